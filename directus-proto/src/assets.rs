//! Assets: a file's content, optionally transformed (`GET /assets/{id}`).
//!
//! [`asset_url`] is the URL for a web page (no token in it: the page's user needs read access,
//! or the file must be public). [`download`] is the request a driver sends; a driver that
//! streams the body checks the head with [`asset_head`] and turns an error answer into the
//! typed [`Error`] with [`asset_error`].
//!
//! ```
//! use directus_proto::BaseUrl;
//! use directus_proto::assets::{AssetTransform, Fit, Format, asset_url};
//!
//! let base = BaseUrl::parse("https://cms.example.com").unwrap();
//! let thumb = AssetTransform::new().width(200).height(200).fit(Fit::Cover).format(Format::Webp);
//! assert_eq!(
//!     asset_url(&base, "a3f315d8", &thumb).unwrap(),
//!     "https://cms.example.com/assets/a3f315d8?width=200&height=200&fit=cover&format=webp"
//! );
//! ```

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, header};
use serde_json::Value;

use crate::operation::Operation;
use crate::{BaseUrl, Error, Key, response, url};

/// How the image fits the `width` × `height` box.
///
/// ```
/// use directus_proto::assets::{AssetTransform, Fit};
/// let t = AssetTransform::new().fit(Fit::Inside);
/// assert_eq!(t.to_query_string().unwrap(), "fit=inside");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fit {
    /// Covers the box, cropping what overflows.
    Cover,
    /// Fits inside the box, letterboxed.
    Contain,
    /// Fits inside the box, keeping the aspect ratio (no letterbox).
    Inside,
    /// Covers the box, keeping the aspect ratio (no crop).
    Outside,
}

impl Fit {
    /// The wire value.
    ///
    /// ```
    /// # use directus_proto::assets::Fit;
    /// assert_eq!(Fit::Contain.as_str(), "contain");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Cover => "cover",
            Fit::Contain => "contain",
            Fit::Inside => "inside",
            Fit::Outside => "outside",
        }
    }
}

/// The output format.
///
/// ```
/// use directus_proto::assets::{AssetTransform, Format};
/// assert_eq!(AssetTransform::new().format(Format::Avif).to_query_string().unwrap(), "format=avif");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The best format the browser accepts (from its `Accept` header).
    Auto,
    /// JPEG.
    Jpg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// TIFF.
    Tiff,
    /// AVIF.
    Avif,
}

impl Format {
    /// The wire value.
    ///
    /// ```
    /// # use directus_proto::assets::Format;
    /// assert_eq!(Format::Jpg.as_str(), "jpg");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Jpg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Tiff => "tiff",
            Format::Avif => "avif",
        }
    }
}

/// The transformation and disposition of an asset: a preset `key`, or width, height, fit,
/// format, quality, without-enlargement and raw `transforms` (sharp operations); and whether
/// the answer is an attachment (`download`).
///
/// Directus only transforms when the project's settings allow it (`storage_asset_transform`:
/// `all`, or `presets` for preset keys only).
///
/// ```
/// use directus_proto::assets::AssetTransform;
/// use serde_json::json;
///
/// let t = AssetTransform::new()
///     .width(64)
///     .quality(80)
///     .without_enlargement(true)
///     .transforms(json!([["blur", 4], ["rotate", 90]]))
///     .download(true);
/// assert_eq!(
///     t.to_query_string().unwrap(),
///     "width=64&quality=80&withoutEnlargement=true\
///      &transforms=%5B%5B%22blur%22%2C4%5D%2C%5B%22rotate%22%2C90%5D%5D&download=true"
/// );
/// assert_eq!(AssetTransform::preset("thumb").to_query_string().unwrap(), "key=thumb");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssetTransform {
    key: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    fit: Option<Fit>,
    format: Option<Format>,
    quality: Option<u8>,
    without_enlargement: Option<bool>,
    transforms: Option<Value>,
    download: bool,
}

impl AssetTransform {
    /// The original content, inline.
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert_eq!(AssetTransform::new().to_query_string().unwrap(), "");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A preset of the project's settings (`storage_asset_presets`), by key.
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert_eq!(AssetTransform::preset("card").to_query_string().unwrap(), "key=card");
    /// ```
    pub fn preset(key: impl Into<String>) -> Self {
        AssetTransform {
            key: Some(key.into()),
            ..Self::default()
        }
    }

    /// Width in pixels (1 to 100 000 000).
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert!(AssetTransform::new().width(0).to_query_string().is_err());
    /// ```
    pub fn width(mut self, width: u32) -> Self {
        self.width = Some(width);
        self
    }

    /// Height in pixels (1 to 100 000 000).
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert_eq!(AssetTransform::new().height(9).to_query_string().unwrap(), "height=9");
    /// ```
    pub fn height(mut self, height: u32) -> Self {
        self.height = Some(height);
        self
    }

    /// How the image fits the box.
    ///
    /// ```
    /// # use directus_proto::assets::{AssetTransform, Fit};
    /// assert_eq!(AssetTransform::new().fit(Fit::Outside).to_query_string().unwrap(), "fit=outside");
    /// ```
    pub fn fit(mut self, fit: Fit) -> Self {
        self.fit = Some(fit);
        self
    }

    /// The output format.
    ///
    /// ```
    /// # use directus_proto::assets::{AssetTransform, Format};
    /// assert_eq!(AssetTransform::new().format(Format::Auto).to_query_string().unwrap(), "format=auto");
    /// ```
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// Quality, 1 to 100 (lossy formats).
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert!(AssetTransform::new().quality(101).to_query_string().is_err());
    /// ```
    pub fn quality(mut self, quality: u8) -> Self {
        self.quality = Some(quality);
        self
    }

    /// Whether an image smaller than the box stays at its size.
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// let q = AssetTransform::new().without_enlargement(false).to_query_string().unwrap();
    /// assert_eq!(q, "withoutEnlargement=false");
    /// ```
    pub fn without_enlargement(mut self, yes: bool) -> Self {
        self.without_enlargement = Some(yes);
        self
    }

    /// Raw sharp operations, a JSON array of `[name, ...args]` arrays.
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert!(AssetTransform::new().transforms(serde_json::json!({"blur": 1})).to_query_string().is_err());
    /// ```
    pub fn transforms(mut self, transforms: Value) -> Self {
        self.transforms = Some(transforms);
        self
    }

    /// Whether the answer is an attachment (`Content-Disposition: attachment`). Directus looks
    /// at the parameter's presence only (`download=false` is an attachment too, measured on
    /// 12.4), so it is sent only when `true`.
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert_eq!(AssetTransform::new().download(false).to_query_string().unwrap(), "");
    /// ```
    pub fn download(mut self, yes: bool) -> Self {
        self.download = yes;
        self
    }

    /// The query string (without `?`), values percent-encoded; out-of-range values are an
    /// [`Error::InvalidInput`] rather than a 400 from the server.
    ///
    /// ```
    /// # use directus_proto::assets::AssetTransform;
    /// assert_eq!(AssetTransform::preset("a b").to_query_string().unwrap(), "key=a%20b");
    /// ```
    pub fn to_query_string(&self) -> Result<String, Error> {
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(key) = &self.key {
            if key.is_empty() {
                return Err(Error::invalid("the asset preset key is empty"));
            }
            params.push(("key", key.clone()));
        }
        for (name, value) in [("width", self.width), ("height", self.height)] {
            if let Some(n) = value {
                if !(1..=100_000_000).contains(&n) {
                    return Err(Error::invalid(format!(
                        "asset {name} must be 1 to 100000000, not {n}"
                    )));
                }
                params.push((name, n.to_string()));
            }
        }
        if let Some(fit) = self.fit {
            params.push(("fit", fit.as_str().to_owned()));
        }
        if let Some(format) = self.format {
            params.push(("format", format.as_str().to_owned()));
        }
        if let Some(q) = self.quality {
            if !(1..=100).contains(&q) {
                return Err(Error::invalid(format!(
                    "asset quality must be 1 to 100, not {q}"
                )));
            }
            params.push(("quality", q.to_string()));
        }
        if let Some(yes) = self.without_enlargement {
            params.push(("withoutEnlargement", yes.to_string()));
        }
        if let Some(transforms) = &self.transforms {
            let valid = transforms.as_array().is_some_and(|ops| {
                ops.iter().all(|op| {
                    op.as_array()
                        .is_some_and(|a| a.first().is_some_and(Value::is_string))
                })
            });
            if !valid {
                return Err(Error::invalid(
                    "asset transforms must be an array of [\"operation\", ...arguments] arrays",
                ));
            }
            params.push(("transforms", transforms.to_string()));
        }
        if self.download {
            params.push(("download", "true".to_owned()));
        }
        Ok(params
            .iter()
            .map(|(name, value)| format!("{name}={}", url::encode(value)))
            .collect::<Vec<_>>()
            .join("&"))
    }
}

fn asset_path(file_id: &Key, transform: &AssetTransform) -> Result<String, Error> {
    let path = format!(
        "/assets/{}",
        url::segment(&file_id.to_string(), "file key")?
    );
    let query = transform.to_query_string()?;
    Ok(if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    })
}

/// The URL of a file's content for a web page (percent-encoded, no token).
///
/// ```
/// use directus_proto::{BaseUrl, assets::{AssetTransform, asset_url}};
/// let base = BaseUrl::parse("https://cms.example.com/api").unwrap();
/// assert_eq!(asset_url(&base, "f1", &AssetTransform::new()).unwrap(), "https://cms.example.com/api/assets/f1");
/// assert_eq!(
///     asset_url(&base, "f/1", &AssetTransform::preset("thumb")).unwrap(),
///     "https://cms.example.com/api/assets/f%2F1?key=thumb"
/// );
/// ```
pub fn asset_url(
    base: &BaseUrl,
    file_id: impl Into<Key>,
    transform: &AssetTransform,
) -> Result<String, Error> {
    Ok(base.join(&asset_path(&file_id.into(), transform)?))
}

/// The download of a file's content (`GET /assets/{id}`, `Accept: */*`). Its parser answers the
/// whole body, for small files; a driver streaming big ones sends [`Operation::request`] and
/// reads the answer with [`asset_head`] and [`asset_error`] instead.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, assets::{self, AssetTransform}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = assets::download(&base, "f1", &AssetTransform::new().width(10)).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/assets/f1?width=10");
/// assert_eq!(op.request().headers()["accept"], "*/*");
/// let ok = http::Response::new(Bytes::from_static(b"\x89PNG"));
/// assert_eq!(op.parse(ok).unwrap(), &b"\x89PNG"[..]);
/// ```
pub fn download(
    base: &BaseUrl,
    file_id: impl Into<Key>,
    transform: &AssetTransform,
) -> Result<Operation<Bytes>, Error> {
    download_range(base, file_id, transform, None)
}

/// [`download`] of a byte range (`Range: bytes=start-end`, `end` inclusive, open-ended when
/// `None`); the answer is `206 Partial Content`.
///
/// ```
/// use directus_proto::{BaseUrl, assets::{self, AssetTransform}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = assets::download_range(&base, "f1", &AssetTransform::new(), Some((100, None))).unwrap();
/// assert_eq!(op.request().headers()["range"], "bytes=100-");
/// assert!(assets::download_range(&base, "f1", &AssetTransform::new(), Some((5, Some(4)))).is_err());
/// ```
pub fn download_range(
    base: &BaseUrl,
    file_id: impl Into<Key>,
    transform: &AssetTransform,
    range: Option<(u64, Option<u64>)>,
) -> Result<Operation<Bytes>, Error> {
    let path = asset_path(&file_id.into(), transform)?;
    let uri: http::Uri = base
        .join(&path)
        .parse()
        .map_err(|e| Error::invalid(format!("the asset URL is not valid: {e}")))?;
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header(header::ACCEPT, HeaderValue::from_static("*/*"));
    if let Some((start, end)) = range {
        let value = match end {
            Some(end) if end < start => {
                return Err(Error::invalid(format!(
                    "byte range {start}-{end} ends before it starts"
                )));
            }
            Some(end) => format!("bytes={start}-{end}"),
            None => format!("bytes={start}-"),
        };
        builder = builder.header(header::RANGE, value);
    }
    let request = builder
        .body(crate::Body::empty())
        .map_err(|e| Error::invalid(format!("the asset request is not valid: {e}")))?;
    Ok(Operation::new(request, body_bytes).for_collection("directus_files"))
}

/// Several files as one zip archive (`POST /assets/files` with their keys, UUIDs), for a
/// streamed download like [`download`]'s: the driver streams the body of a success.
///
/// ```
/// use directus_proto::{BaseUrl, assets};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let id = "6c9a1a54-0000-4000-8000-000000000001";
/// let op = assets::zip_files(&base, &[id]).unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("POST", "/assets/files"));
/// assert_eq!(op.request().headers()["accept"], "*/*");
/// assert!(op.request().body().starts_with(br#"{"ids":["#));
/// assert!(assets::zip_files(&base, &[]).is_err());
/// ```
pub fn zip_files(base: &BaseUrl, ids: &[&str]) -> Result<Operation<Bytes>, Error> {
    if ids.is_empty() {
        return Err(Error::invalid("a zip of files needs at least one file"));
    }
    zip_request(base, "/assets/files", &serde_json::json!({ "ids": ids }))
}

/// A folder's files (and its subfolders', with their paths) as one zip archive
/// (`POST /assets/folder/{id}`).
///
/// ```
/// use directus_proto::{BaseUrl, assets};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = assets::zip_folder(&base, "f0").unwrap();
/// assert_eq!(op.request().uri().path(), "/assets/folder/f0");
/// ```
pub fn zip_folder(base: &BaseUrl, folder: impl Into<Key>) -> Result<Operation<Bytes>, Error> {
    let path = format!(
        "/assets/folder/{}",
        crate::url::segment(&folder.into().to_string(), "folder key")?
    );
    zip_request(base, &path, &serde_json::json!({}))
}

fn zip_request(
    base: &BaseUrl,
    path: &str,
    body: &serde_json::Value,
) -> Result<Operation<Bytes>, Error> {
    let op = Operation::json(base, Method::POST, path, body, body_bytes)?;
    let mut request = op.request().clone();
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    // A zip changes nothing: no collection, so no cached read is dropped.
    Ok(Operation::new(request, body_bytes))
}

/// A success answer's body, as bytes.
fn body_bytes(response: Response<Bytes>) -> Result<Bytes, Error> {
    Ok(response::success(response)?.into_body())
}

/// What the head of a successful asset answer says: type, length, name, ETag, range.
///
/// ```
/// use directus_proto::assets::asset_head;
/// let resp = http::Response::builder()
///     .header("content-type", "image/png")
///     .header("content-length", "69")
///     .header("content-disposition", "inline; filename=\"pixel.png\"")
///     .header("etag", "\"1795715441\"")
///     .body(()).unwrap();
/// let head = asset_head(&resp).unwrap();
/// assert_eq!(head.content_type.as_deref(), Some("image/png"));
/// assert_eq!(head.content_length, Some(69));
/// assert_eq!(head.file_name.as_deref(), Some("pixel.png"));
/// assert!(!head.partial && !head.attachment);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssetHead {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// The file name of `Content-Disposition`.
    pub file_name: Option<String>,
    /// Whether `Content-Disposition` is `attachment`.
    pub attachment: bool,
    /// `ETag`.
    pub etag: Option<String>,
    /// Whether the answer is a range (`206 Partial Content`).
    pub partial: bool,
}

/// The head of an asset answer when its status is a success (the driver then streams the
/// body), or `None` when it is an error: the driver then reads the (small) body and calls
/// [`asset_error`].
///
/// ```
/// use directus_proto::assets::asset_head;
/// let denied = http::Response::builder().status(403).body(()).unwrap();
/// assert!(asset_head(&denied).is_none());
/// ```
pub fn asset_head<B>(response: &Response<B>) -> Option<AssetHead> {
    if !response.status().is_success() {
        return None;
    }
    let headers = response.headers();
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let disposition = text(header::CONTENT_DISPOSITION);
    Some(AssetHead {
        content_type: text(header::CONTENT_TYPE),
        content_length: text(header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok()),
        file_name: disposition.as_deref().and_then(disposition_file_name),
        attachment: disposition.as_deref().is_some_and(|d| {
            d.trim_start()
                .to_ascii_lowercase()
                .starts_with("attachment")
        }),
        etag: text(header::ETAG),
        partial: response.status() == http::StatusCode::PARTIAL_CONTENT,
    })
}

/// The `filename` of a `Content-Disposition` value (`filename*=UTF-8''...` preferred).
fn disposition_file_name(value: &str) -> Option<String> {
    let mut plain = None;
    for param in value.split(';').map(str::trim) {
        let Some((name, v)) = param.split_once('=') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let encoded = v.trim().splitn(3, '\'').nth(2)?;
                return percent_encoding::percent_decode_str(encoded)
                    .decode_utf8()
                    .ok()
                    .map(|s| s.into_owned());
            }
            "filename" => {
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                plain = Some(v.replace("\\\"", "\"").replace("\\\\", "\\"));
            }
            _ => {}
        }
    }
    plain
}

/// The typed error of a failed asset answer, from its body (the driver reads it in full: error
/// bodies are small). A success status given here is reported as an error too.
///
/// ```
/// use directus_proto::{Bytes, ErrorCode, assets::asset_error};
/// let resp = http::Response::builder().status(403)
///     .body(Bytes::from_static(br#"{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}"#)).unwrap();
/// assert_eq!(asset_error(resp).api().unwrap().code(), &ErrorCode::Forbidden);
/// ```
pub fn asset_error(response: Response<Bytes>) -> Error {
    match response::success(response) {
        Err(error) => error,
        Ok(response) => Error::invalid(format!(
            "asset_error was given a success answer (HTTP {})",
            response.status()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("http://localhost:8055").unwrap()
    }

    #[test]
    fn every_parameter_in_a_fixed_order() {
        let t = AssetTransform::preset("thumb")
            .download(true)
            .transforms(serde_json::json!([["grayscale"]]))
            .without_enlargement(true)
            .quality(1)
            .format(Format::Tiff)
            .fit(Fit::Contain)
            .height(100_000_000)
            .width(1);
        assert_eq!(
            asset_url(&base(), "id", &t).unwrap(),
            "http://localhost:8055/assets/id?key=thumb&width=1&height=100000000&fit=contain\
             &format=tiff&quality=1&withoutEnlargement=true\
             &transforms=%5B%5B%22grayscale%22%5D%5D&download=true"
        );
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for t in [
            AssetTransform::new().width(0),
            AssetTransform::new().height(100_000_001),
            AssetTransform::new().quality(0),
            AssetTransform::new().transforms(serde_json::json!([[1]])),
            AssetTransform::preset(""),
        ] {
            assert!(matches!(
                asset_url(&base(), "id", &t),
                Err(Error::InvalidInput(_))
            ));
        }
        assert!(asset_url(&base(), "..", &AssetTransform::new()).is_err());
    }

    #[test]
    fn heads_and_errors() {
        let resp = Response::builder()
            .status(206)
            .header(
                "content-disposition",
                "attachment; filename=\"a\\\"b.png\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.png",
            )
            .body(())
            .unwrap();
        let head = asset_head(&resp).unwrap();
        assert!(head.partial && head.attachment);
        assert_eq!(head.file_name.as_deref(), Some("Grüße.png"));
        assert_eq!(
            disposition_file_name("inline; filename=\"a\\\"b.png\"").as_deref(),
            Some("a\"b.png")
        );
        let op = download(&base(), "id", &AssetTransform::new()).unwrap();
        let err = op
            .parse(
                Response::builder()
                    .status(400)
                    .body(Bytes::from_static(
                        br#"{"errors":[{"message":"bad","extensions":{"code":"INVALID_QUERY"}}]}"#,
                    ))
                    .unwrap(),
            )
            .unwrap_err();
        assert_eq!(err.status().unwrap(), 400);
        assert!(asset_error(Response::new(Bytes::new())).api().is_none());
    }
}
