//! Media types of uploads: the one the caller gives, else the one the content's magic bytes
//! show, else the one the file name's extension suggests, else `application/octet-stream`.
//!
//! Directus stores whatever `Content-Type` the file part carries (measured on 12.4: a PNG sent
//! as `application/octet-stream` is stored as such, without width or height), so the type has
//! to be right on the client. Detection reads bytes already in memory and the file name only:
//! no file is opened here.
//!
//! ```
//! use directus_proto::media;
//!
//! let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
//! assert_eq!(media::detect(png, Some("pixel.dat")), "image/png");
//! assert_eq!(media::detect(b"hello", Some("notes.txt")), "text/plain");
//! assert_eq!(media::resolve(Some("image/webp"), png, Some("pixel.png")).unwrap(), "image/webp");
//! ```

use std::path::Path;

use crate::Error;

/// The fallback type: bytes of unknown kind.
///
/// ```
/// assert_eq!(directus_proto::media::OCTET_STREAM, "application/octet-stream");
/// ```
pub const OCTET_STREAM: &str = "application/octet-stream";

/// How many leading bytes of a file detection looks at: a driver streaming a big file passes
/// its first `SNIFF_LEN` bytes (or all of it, if shorter).
///
/// ```
/// assert!(directus_proto::media::SNIFF_LEN >= 8192);
/// ```
pub const SNIFF_LEN: usize = 8192;

/// The media type of `content` (the whole file or its first [`SNIFF_LEN`] bytes) named
/// `file_name`: magic bytes first (crate `infer`), then the extension (crate `mime_guess`),
/// then [`OCTET_STREAM`].
///
/// ```
/// use directus_proto::media::detect;
///
/// assert_eq!(detect(b"\xff\xd8\xff\xe0\0\x10JFIF\0", None), "image/jpeg");
/// assert_eq!(detect(b"%PDF-1.4\n", Some("report")), "application/pdf");
/// assert_eq!(detect(b"a,b\n1,2\n", Some("table.csv")), "text/csv");
/// assert_eq!(detect(b"\x01\x02", Some("blob")), "application/octet-stream");
/// ```
pub fn detect(content: &[u8], file_name: Option<&str>) -> String {
    let head = &content[..content.len().min(SNIFF_LEN)];
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    file_name
        .and_then(by_extension)
        .unwrap_or(OCTET_STREAM)
        .to_owned()
}

/// The media type its extension suggests for `file_name`, if any.
///
/// ```
/// use directus_proto::media::by_extension;
///
/// assert_eq!(by_extension("photo.JPG"), Some("image/jpeg"));
/// assert_eq!(by_extension("dir.d/README"), None);
/// ```
pub fn by_extension(file_name: &str) -> Option<&'static str> {
    let ext = Path::new(file_name).extension()?.to_str()?;
    mime_guess::from_ext(ext).first_raw()
}

/// The type to send: `given` when there is one (checked to be a `type/subtype` that can go in a
/// header), else [`detect`].
///
/// ```
/// use directus_proto::media::resolve;
///
/// assert_eq!(resolve(None, b"%PDF-1.7", None).unwrap(), "application/pdf");
/// assert_eq!(resolve(Some("text/markdown; charset=utf-8"), b"# Hi", None).unwrap(), "text/markdown; charset=utf-8");
/// assert!(resolve(Some("text/plain\r\nX-Evil: 1"), b"", None).is_err());
/// ```
pub fn resolve(
    given: Option<&str>,
    content: &[u8],
    file_name: Option<&str>,
) -> Result<String, Error> {
    match given {
        Some(given) => check(given).map(str::to_owned),
        None => Ok(detect(content, file_name)),
    }
}

/// Checks that a media type is `type/subtype` (parameters allowed) and safe in a header line.
pub(crate) fn check(media_type: &str) -> Result<&str, Error> {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    let valid_essence = essence
        .split_once('/')
        .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !s.contains('/'));
    if !valid_essence || media_type.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(Error::invalid(format!(
            "{media_type:?} is not a media type (type/subtype)"
        )));
    }
    Ok(media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

    #[test]
    fn magic_bytes_win_over_the_extension() {
        assert_eq!(detect(PNG, Some("pixel.png")), "image/png");
        assert_eq!(detect(PNG, Some("misnamed.txt")), "image/png");
        assert_eq!(detect(JPEG, Some("photo")), "image/jpeg");
        assert_eq!(detect(PDF, None), "application/pdf");
    }

    #[test]
    fn plain_text_by_extension_then_octet_stream() {
        assert_eq!(
            detect(b"hello from directus-rs\n", Some("notes.txt")),
            "text/plain"
        );
        assert_eq!(detect(b"{}", Some("data.json")), "application/json");
        assert_eq!(detect(b"<svg/>", Some("icon.svg")), "image/svg+xml");
        assert_eq!(detect(b"hello", Some("notes")), OCTET_STREAM);
        assert_eq!(detect(b"", None), OCTET_STREAM);
    }

    #[test]
    fn the_given_type_wins() {
        assert_eq!(
            resolve(Some("image/webp"), PNG, Some("a.png")).unwrap(),
            "image/webp"
        );
        assert_eq!(
            resolve(Some("text/plain"), PDF, Some("a.pdf")).unwrap(),
            "text/plain"
        );
        assert_eq!(resolve(None, PNG, Some("a.txt")).unwrap(), "image/png");
        for bad in [
            "",
            "png",
            "image/",
            "/png",
            "a/b/c",
            "text/plain\n",
            "täxt/plain",
        ] {
            assert!(resolve(Some(bad), b"", None).is_err(), "{bad:?}");
        }
    }
}
