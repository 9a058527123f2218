//! Files: uploads (one or several, in memory or streamed), content replacement, imports from a
//! URL, metadata reads and writes, and folders looked up by name.
//!
//! Uploads are `multipart/form-data` with each file's metadata fields *before* its part: Directus
//! reads the fields sent before a file, applies them to that file, and forgets them (measured on
//! 12.4: fields after the file are ignored, and a second file does not get the first one's
//! fields). The part's `Content-Type` is what Directus stores as the file's `type`, so it is
//! detected here when not given ([`media`]).
//!
//! ```
//! use directus_proto::BaseUrl;
//! use directus_proto::files::{self, UploadFile};
//! use directus_proto::multipart::Boundary;
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let file = UploadFile::new("pixel.png", b"\x89PNG\r\n\x1a\n".to_vec())
//!     .title("A pixel")
//!     .folder("2545f45f-22b2-4f17-b98d-f210b7d88a34");
//! let op = files::upload(&base, &file, Boundary::new("b").unwrap()).unwrap();
//! assert_eq!(op.request().uri(), "http://127.0.0.1:8055/files");
//! let body = String::from_utf8_lossy(op.request().body());
//! assert!(body.find("A pixel").unwrap() < body.find("filename=\"pixel.png\"").unwrap());
//! assert!(body.contains("content-type: image/png"));
//! ```

use bytes::Bytes;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::models::{File, Folder};
use crate::multipart::{Boundary, Form, Streaming};
use crate::operation::Operation;
use crate::response::{self, Page};
use crate::{BaseUrl, Error, F, Items, Key, Query, media, url};

/// The collection of files.
const FILES: &str = "directus_files";

/// Metadata of an uploaded file: title, folder, and any other field of `directus_files`
/// (including a project's custom fields), as JSON values.
///
/// On the wire every value is text: strings as they are, numbers and booleans as their JSON
/// text, `null` as `null`, arrays and objects as JSON (Directus parses them for `json` and
/// `csv` fields such as `tags`). Directus reads the texts `null`, `true` and `false` as null and
/// booleans, so a string with one of those values is refused: set it with [`update`] after the
/// upload.
///
/// ```
/// use directus_proto::files::FileMeta;
///
/// let meta = FileMeta::new().title("Report").field("tags", serde_json::json!(["q3", "pdf"]));
/// assert_eq!(meta.get("title").unwrap(), "Report");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileMeta(Map<String, Value>);

impl FileMeta {
    /// No metadata: Directus derives the title from the file name.
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// assert!(FileMeta::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The title.
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// assert_eq!(FileMeta::new().title("T").get("title").unwrap(), "T");
    /// ```
    pub fn title(self, title: impl Into<String>) -> Self {
        self.field("title", title.into())
    }

    /// The folder, by key (see [`folder_by_name`] to find it by name).
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// assert_eq!(FileMeta::new().folder("f1").get("folder").unwrap(), "f1");
    /// ```
    pub fn folder(self, folder: impl Into<Key>) -> Self {
        let value = match folder.into() {
            Key::Int(n) => Value::from(n),
            Key::Str(s) => Value::from(s),
        };
        self.field("folder", value)
    }

    /// The description.
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// assert_eq!(FileMeta::new().description("d").get("description").unwrap(), "d");
    /// ```
    pub fn description(self, description: impl Into<String>) -> Self {
        self.field("description", description.into())
    }

    /// Any field (replacing an earlier value of it).
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// let meta = FileMeta::new().field("focal_point_x", 10).field("custom_flag", true);
    /// assert_eq!(meta.get("custom_flag").unwrap(), true);
    /// ```
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// The value of a field, if set.
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// assert!(FileMeta::new().get("title").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Whether no field is set.
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// assert!(!FileMeta::new().title("x").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields as a JSON object (for [`update`] and [`import`]).
    ///
    /// ```
    /// # use directus_proto::files::FileMeta;
    /// assert_eq!(FileMeta::new().title("x").to_value(), serde_json::json!({"title": "x"}));
    /// ```
    pub fn to_value(&self) -> Value {
        Value::Object(self.0.clone())
    }

    /// Writes the fields as text parts: `title` and `folder` first, then the others by name.
    fn write(&self, form: &mut Form) -> Result<(), Error> {
        let first = ["title", "folder"];
        let ordered = first
            .iter()
            .filter_map(|k| self.0.get_key_value(*k))
            .chain(self.0.iter().filter(|(k, _)| !first.contains(&k.as_str())));
        for (name, value) in ordered {
            form.text(name, &form_value(name, value)?)?;
        }
        Ok(())
    }
}

/// A metadata value as Directus's multipart reader takes it back.
fn form_value(name: &str, value: &Value) -> Result<String, Error> {
    match value {
        Value::String(s) => {
            if matches!(s.trim(), "null" | "true" | "false") {
                return Err(Error::invalid(format!(
                    "field {name:?}: Directus reads the upload field text {s:?} as a JSON literal, \
                     not a string; set it with files::update after the upload"
                )));
            }
            Ok(s.clone())
        }
        other => Ok(other.to_string()),
    }
}

/// A file to upload from memory: its name, its bytes, its media type (detected when not given)
/// and its metadata.
///
/// ```
/// use directus_proto::files::UploadFile;
///
/// let file = UploadFile::new("notes.txt", "hello".as_bytes());
/// assert_eq!(file.resolved_media_type().unwrap(), "text/plain");
/// let file = file.media_type("text/markdown");
/// assert_eq!(file.resolved_media_type().unwrap(), "text/markdown");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UploadFile {
    file_name: String,
    content: Vec<u8>,
    media_type: Option<String>,
    meta: FileMeta,
}

impl UploadFile {
    /// A file named `file_name` (the name it is downloaded as; a path's directories are
    /// dropped) with this content.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// assert_eq!(UploadFile::new("/tmp/x/report.pdf", Vec::new()).file_name(), "report.pdf");
    /// ```
    pub fn new(file_name: impl AsRef<str>, content: impl Into<Vec<u8>>) -> Self {
        UploadFile {
            file_name: base_name(file_name.as_ref()),
            content: content.into(),
            media_type: None,
            meta: FileMeta::new(),
        }
    }

    /// The media type to send instead of the detected one.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// let f = UploadFile::new("a.bin", vec![1]).media_type("application/x-thing");
    /// assert_eq!(f.resolved_media_type().unwrap(), "application/x-thing");
    /// ```
    pub fn media_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }

    /// All the metadata at once (replacing what was set).
    ///
    /// ```
    /// # use directus_proto::files::{FileMeta, UploadFile};
    /// let f = UploadFile::new("a.txt", vec![]).meta(FileMeta::new().title("A"));
    /// assert_eq!(f.metadata().get("title").unwrap(), "A");
    /// ```
    pub fn meta(mut self, meta: FileMeta) -> Self {
        self.meta = meta;
        self
    }

    /// The title.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// assert_eq!(UploadFile::new("a.txt", vec![]).title("A").metadata().get("title").unwrap(), "A");
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.meta = self.meta.title(title);
        self
    }

    /// The folder, by key.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// assert_eq!(UploadFile::new("a.txt", vec![]).folder("f").metadata().get("folder").unwrap(), "f");
    /// ```
    pub fn folder(mut self, folder: impl Into<Key>) -> Self {
        self.meta = self.meta.folder(folder);
        self
    }

    /// Any metadata field.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// let f = UploadFile::new("a.txt", vec![]).field("tags", serde_json::json!(["x"]));
    /// assert_eq!(f.metadata().get("tags").unwrap()[0], "x");
    /// ```
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.meta = self.meta.field(name, value);
        self
    }

    /// The file name sent.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// assert_eq!(UploadFile::new("a.txt", vec![]).file_name(), "a.txt");
    /// ```
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The metadata.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// assert!(UploadFile::new("a.txt", vec![]).metadata().is_empty());
    /// ```
    pub fn metadata(&self) -> &FileMeta {
        &self.meta
    }

    /// The media type that will be sent: the given one, else the detected one.
    ///
    /// ```
    /// # use directus_proto::files::UploadFile;
    /// assert_eq!(UploadFile::new("x", b"%PDF-1.7".to_vec()).resolved_media_type().unwrap(), "application/pdf");
    /// ```
    pub fn resolved_media_type(&self) -> Result<String, Error> {
        media::resolve(
            self.media_type.as_deref(),
            &self.content,
            Some(&self.file_name),
        )
    }

    pub(crate) fn write(&self, form: &mut Form) -> Result<(), Error> {
        self.meta.write(form)?;
        let media_type = self.resolved_media_type()?;
        form.file("file", &self.file_name, &media_type, &self.content)?;
        Ok(())
    }
}

/// A file the driver streams from disk: its name, its length if known, its media type (else
/// detected from its first bytes and its name) and its metadata. Only the name is used here:
/// opening and reading the file is the driver's job.
///
/// ```
/// use directus_proto::BaseUrl;
/// use directus_proto::files::{self, StreamedFile};
///
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let file = StreamedFile::new("video.mp4").length(3).title("Clip");
/// let upload = files::upload_stream(&base, &file, b"\0\0\0\x18ftypmp42", directus_proto::multipart::Boundary::random(1)).unwrap();
/// let body = upload.body().assemble(b"abc");
/// assert_eq!(upload.body().content_length(), Some(body.len() as u64));
/// assert!(String::from_utf8_lossy(upload.body().preamble()).contains("content-type: video/mp4"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StreamedFile {
    file_name: String,
    length: Option<u64>,
    media_type: Option<String>,
    meta: FileMeta,
}

impl StreamedFile {
    /// A file named `file_name` (a path's directories are dropped).
    ///
    /// ```
    /// # use directus_proto::files::StreamedFile;
    /// let _ = StreamedFile::new("/data/big.iso");
    /// ```
    pub fn new(file_name: impl AsRef<str>) -> Self {
        StreamedFile {
            file_name: base_name(file_name.as_ref()),
            length: None,
            media_type: None,
            meta: FileMeta::new(),
        }
    }

    /// The file's length in bytes, for `Content-Length`.
    ///
    /// ```
    /// # use directus_proto::files::StreamedFile;
    /// let _ = StreamedFile::new("a.bin").length(1 << 30);
    /// ```
    pub fn length(mut self, length: u64) -> Self {
        self.length = Some(length);
        self
    }

    /// The media type to send instead of the detected one.
    ///
    /// ```
    /// # use directus_proto::files::StreamedFile;
    /// let _ = StreamedFile::new("a.bin").media_type("application/zip");
    /// ```
    pub fn media_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }

    /// All the metadata at once.
    ///
    /// ```
    /// # use directus_proto::files::{FileMeta, StreamedFile};
    /// let _ = StreamedFile::new("a.bin").meta(FileMeta::new().title("A"));
    /// ```
    pub fn meta(mut self, meta: FileMeta) -> Self {
        self.meta = meta;
        self
    }

    /// The title.
    ///
    /// ```
    /// # use directus_proto::files::StreamedFile;
    /// let _ = StreamedFile::new("a.bin").title("A");
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.meta = self.meta.title(title);
        self
    }

    /// The folder, by key.
    ///
    /// ```
    /// # use directus_proto::files::StreamedFile;
    /// let _ = StreamedFile::new("a.bin").folder("f1");
    /// ```
    pub fn folder(mut self, folder: impl Into<Key>) -> Self {
        self.meta = self.meta.folder(folder);
        self
    }

    /// Any metadata field.
    ///
    /// ```
    /// # use directus_proto::files::StreamedFile;
    /// let _ = StreamedFile::new("a.bin").field("description", "big");
    /// ```
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.meta = self.meta.field(name, value);
        self
    }
}

/// A streamed upload: the operation (its request has no body yet, and carries the multipart
/// `Content-Type`) and the body's parts around the file's bytes.
///
/// The driver sends the request with the body [`Streaming::preamble`], the file's bytes,
/// [`Streaming::epilogue`] (and `Content-Length` = [`Streaming::content_length`] when known),
/// then parses the answer with the operation.
///
/// ```
/// use directus_proto::BaseUrl;
/// use directus_proto::files::{self, StreamedFile};
///
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let upload = files::upload_stream(&base, &StreamedFile::new("a.txt").length(2), b"hi", directus_proto::multipart::Boundary::random(1)).unwrap();
/// assert_eq!(upload.operation().request().method(), "POST");
/// assert!(upload.operation().request().body().is_empty());
/// let (op, body) = upload.into_parts();
/// assert_eq!(op.request().headers()["content-type"], body.content_type());
/// ```
#[derive(Debug)]
pub struct StreamUpload<T = Option<File>> {
    operation: Operation<T>,
    body: Streaming,
}

impl<T> StreamUpload<T> {
    /// The operation: the request without its body, and the parser of the answer.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, files::{self, StreamedFile}};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let up = files::upload_stream(&base, &StreamedFile::new("a.txt"), b"", directus_proto::multipart::Boundary::random(1)).unwrap();
    /// assert_eq!(up.operation().request().uri(), "http://localhost/files");
    /// ```
    pub fn operation(&self) -> &Operation<T> {
        &self.operation
    }

    /// The body around the file's bytes.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, files::{self, StreamedFile}};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let up = files::upload_stream(&base, &StreamedFile::new("a.txt"), b"", directus_proto::multipart::Boundary::random(1)).unwrap();
    /// assert!(up.body().epilogue().ends_with(b"--\r\n"));
    /// ```
    pub fn body(&self) -> &Streaming {
        &self.body
    }

    /// Both, owned.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, files::{self, StreamedFile}};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let (op, body) = files::upload_stream(&base, &StreamedFile::new("a.txt"), b"", directus_proto::multipart::Boundary::random(1)).unwrap().into_parts();
    /// # let _ = (op, body);
    /// ```
    pub fn into_parts(self) -> (Operation<T>, Streaming) {
        (self.operation, self.body)
    }
}

/// The last path component of a name (either separator), or the name itself.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or(name)
        .to_owned()
}

fn multipart_op<T>(
    base: &BaseUrl,
    method: Method,
    path: &str,
    form: Form,
    parse: crate::operation::Parser<T>,
) -> Result<Operation<T>, Error> {
    let content_type = form.content_type();
    Ok(
        Operation::with_body(base, method, path, form.finish(), content_type, parse)?
            .for_collection(FILES),
    )
}

fn file_route(id: &Key) -> Result<String, Error> {
    Ok(format!(
        "/files/{}",
        url::segment(&id.to_string(), "file key")?
    ))
}

/// Uploads one file (`POST /files`, multipart). Answers the file's row, or `None` when the
/// user may create files but not read them.
///
/// The boundary should be [`Boundary::random`] (the drivers pass fresh randomness for every
/// request); the content is checked against it, and an upload whose content holds it is
/// refused.
///
/// ```
/// use directus_proto::{BaseUrl, files::{self, UploadFile}, multipart::Boundary};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::upload(&base, &UploadFile::new("a.txt", "hi"), Boundary::new("b").unwrap()).unwrap();
/// assert_eq!(op.request().headers()["content-type"], "multipart/form-data; boundary=b");
/// let op = files::upload(&base, &UploadFile::new("a.txt", "hi"), Boundary::random(7)).unwrap();
/// let ct = op.request().headers()["content-type"].to_str().unwrap();
/// assert!(ct.starts_with("multipart/form-data; boundary=directus-rs-"));
/// ```
pub fn upload(
    base: &BaseUrl,
    file: &UploadFile,
    boundary: Boundary,
) -> Result<Operation<Option<File>>, Error> {
    let mut form = Form::new(boundary);
    file.write(&mut form)?;
    multipart_op(
        base,
        Method::POST,
        "/files",
        form,
        response::written::<File>,
    )
}

/// Uploads several files in one request, each with its own metadata before it. Answers the
/// rows (Directus answers an object for one file, a list for several: both are read). The list
/// is **not** in upload order: Directus reads the new rows back sorted by key (measured on
/// 12.4), so match them by `filename_download`. The boundary is as for [`upload`].
///
/// ```
/// use directus_proto::{BaseUrl, files::{self, UploadFile}, multipart::Boundary};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::upload_many(&base, &[
///     UploadFile::new("a.txt", "A").title("First"),
///     UploadFile::new("b.txt", "B").title("Second"),
/// ], Boundary::random(7)).unwrap();
/// let body = String::from_utf8_lossy(op.request().body()).into_owned();
/// assert!(body.find("First").unwrap() < body.find("a.txt").unwrap());
/// assert!(body.find("a.txt").unwrap() < body.find("Second").unwrap());
/// assert!(files::upload_many(&base, &[], Boundary::random(8)).is_err());
/// ```
pub fn upload_many(
    base: &BaseUrl,
    files: &[UploadFile],
    boundary: Boundary,
) -> Result<Operation<Option<Vec<File>>>, Error> {
    if files.is_empty() {
        return Err(Error::invalid("no files to upload"));
    }
    let mut form = Form::new(boundary);
    for file in files {
        file.write(&mut form)?;
    }
    multipart_op(base, Method::POST, "/files", form, one_or_many)
}

/// Reads the answer to an upload of several files: a list, or one object for a single file.
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::files::one_or_many;
/// let one = http::Response::new(Bytes::from_static(br#"{"data":{"id":"a"}}"#));
/// assert_eq!(one_or_many(one).unwrap().unwrap().len(), 1);
/// let two = http::Response::new(Bytes::from_static(br#"{"data":[{"id":"a"},{"id":"b"}]}"#));
/// assert_eq!(one_or_many(two).unwrap().unwrap().len(), 2);
/// ```
pub fn one_or_many(response: http::Response<Bytes>) -> Result<Option<Vec<File>>, Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<File>),
        One(Box<File>),
    }
    Ok(
        response::written::<OneOrMany>(response)?.map(|answer| match answer {
            OneOrMany::Many(files) => files,
            OneOrMany::One(file) => vec![*file],
        }),
    )
}

/// Replaces a file's content (and metadata given with it): `PATCH /files/{id}`, multipart.
/// The boundary is as for [`upload`].
///
/// ```
/// use directus_proto::{BaseUrl, files::{self, UploadFile}, multipart::Boundary};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::replace(&base, "a3f3", &UploadFile::new("v2.pdf", "%PDF-1.7"), Boundary::random(7)).unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("PATCH", "/files/a3f3"));
/// ```
pub fn replace(
    base: &BaseUrl,
    id: impl Into<Key>,
    file: &UploadFile,
    boundary: Boundary,
) -> Result<Operation<Option<File>>, Error> {
    let path = file_route(&id.into())?;
    let mut form = Form::new(boundary);
    file.write(&mut form)?;
    multipart_op(base, Method::PATCH, &path, form, response::written::<File>)
}

fn stream_op(
    base: &BaseUrl,
    method: Method,
    path: &str,
    file: &StreamedFile,
    head: &[u8],
    boundary: Boundary,
) -> Result<StreamUpload, Error> {
    stream_op_to(
        base,
        method,
        path,
        file,
        head,
        boundary,
        response::written::<File>,
        FILES,
    )
}

/// A streamed multipart request of `file` (its metadata first) to any route, with `boundary`
/// (one nobody can predict: see [`upload_stream`]).
#[allow(clippy::too_many_arguments)] // the parts of one request, each needed
pub(crate) fn stream_op_to<T>(
    base: &BaseUrl,
    method: Method,
    path: &str,
    file: &StreamedFile,
    head: &[u8],
    boundary: Boundary,
    parse: crate::operation::Parser<T>,
    collection: &str,
) -> Result<StreamUpload<T>, Error> {
    let mut form = Form::new(boundary);
    file.meta.write(&mut form)?;
    let media_type = media::resolve(file.media_type.as_deref(), head, Some(&file.file_name))?;
    let body = form.finish_streaming("file", &file.file_name, &media_type, file.length)?;
    let operation = Operation::with_body(
        base,
        method,
        path,
        Vec::new(),
        body.content_type().clone(),
        parse,
    )?
    .for_collection(collection);
    Ok(StreamUpload { operation, body })
}

/// A streamed upload (`POST /files`): `head` is the file's first bytes (up to
/// [`media::SNIFF_LEN`]), read by the driver for detecting the media type.
///
/// The content is streamed by the driver and never seen here, so it cannot be checked against
/// the boundary: the boundary must be one nobody can predict, [`Boundary::random`] from fresh
/// randomness (the drivers' is keyed by `std`'s random hasher keys). A boundary derived from
/// the file would let a file whose bytes hold it add parts of its own to the request.
///
/// ```
/// use directus_proto::{BaseUrl, files::{self, StreamedFile}, multipart::Boundary};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let file = StreamedFile::new("doc.pdf").length(9);
/// let up = files::upload_stream(&base, &file, b"%PDF-1.7\n", Boundary::random(7)).unwrap();
/// assert!(String::from_utf8_lossy(up.body().preamble()).ends_with("content-type: application/pdf\r\n\r\n"));
/// ```
pub fn upload_stream(
    base: &BaseUrl,
    file: &StreamedFile,
    head: &[u8],
    boundary: Boundary,
) -> Result<StreamUpload, Error> {
    stream_op(base, Method::POST, "/files", file, head, boundary)
}

/// A streamed content replacement (`PATCH /files/{id}`); the boundary is as for
/// [`upload_stream`].
///
/// ```
/// use directus_proto::{BaseUrl, files::{self, StreamedFile}, multipart::Boundary};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let up = files::replace_stream(&base, "f1", &StreamedFile::new("a.txt"), b"hi", Boundary::random(7)).unwrap();
/// assert_eq!(up.operation().request().method(), "PATCH");
/// ```
pub fn replace_stream(
    base: &BaseUrl,
    id: impl Into<Key>,
    file: &StreamedFile,
    head: &[u8],
    boundary: Boundary,
) -> Result<StreamUpload, Error> {
    let path = file_route(&id.into())?;
    stream_op(base, Method::PATCH, &path, file, head, boundary)
}

/// Imports a file from a URL (`POST /files/import` with `{url, data}`): the server fetches it.
/// Directus refuses URLs resolving to its deny list (by default loopback and link-local
/// addresses) with `SERVICE_UNAVAILABLE`.
///
/// ```
/// use directus_proto::{BaseUrl, files::{self, FileMeta}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::import(&base, "https://example.com/a.png", &FileMeta::new().title("A")).unwrap();
/// assert_eq!(op.request().body(), br#"{"data":{"title":"A"},"url":"https://example.com/a.png"}"#);
/// ```
pub fn import(
    base: &BaseUrl,
    url: &str,
    data: &FileMeta,
) -> Result<Operation<Option<File>>, Error> {
    if url.trim().is_empty() {
        return Err(Error::invalid("the URL to import is empty"));
    }
    let body = if data.is_empty() {
        json!({ "url": url })
    } else {
        json!({ "url": url, "data": data.to_value() })
    };
    Ok(Operation::json(
        base,
        Method::POST,
        "/files/import",
        &body,
        response::written::<File>,
    )?
    .for_collection(FILES))
}

/// Reads a file's metadata (`GET /files/{id}`) with the query's `fields`.
///
/// ```
/// use directus_proto::{BaseUrl, Query, files};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::read(&base, "f1", &Query::new().fields(["id", "type"])).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/files/f1?fields=id%2Ctype");
/// ```
pub fn read(base: &BaseUrl, id: impl Into<Key>, query: &Query) -> Result<Operation<File>, Error> {
    Items::<File>::of()
        .with_query(query.clone())
        .read_one(base, id)
}

/// Lists files (`GET /files`) matching the query.
///
/// ```
/// use directus_proto::{BaseUrl, F, Query, files};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::list(&base, &Query::new().filter(F::eq("type", "image/png")).limit(5)).unwrap();
/// assert_eq!(op.request().uri().path(), "/files");
/// ```
pub fn list(base: &BaseUrl, query: &Query) -> Result<Operation<Page<File>>, Error> {
    Items::<File>::of().with_query(query.clone()).read(base)
}

/// Updates a file's metadata (`PATCH /files/{id}`, JSON): title, folder, custom fields.
///
/// ```
/// use directus_proto::{BaseUrl, files::{self, FileMeta}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::update(&base, "f1", &FileMeta::new().title("true")).unwrap();
/// assert_eq!(op.request().body(), br#"{"title":"true"}"#);
/// ```
pub fn update(
    base: &BaseUrl,
    id: impl Into<Key>,
    meta: &FileMeta,
) -> Result<Operation<Option<File>>, Error> {
    Items::<File>::of().update(base, id, &meta.to_value())
}

/// Deletes a file: its row and its stored content (`DELETE /files/{id}`).
///
/// ```
/// use directus_proto::{BaseUrl, files};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(files::delete(&base, "f1").unwrap().request().method(), "DELETE");
/// ```
pub fn delete(base: &BaseUrl, id: impl Into<Key>) -> Result<Operation<()>, Error> {
    Items::<File>::of().delete(base, id)
}

/// Looks a folder up by name: `GET /folders?filter={"name":{"_eq":name}}&limit=2`. The answer
/// is the folder; no match is an [`Error::InvalidInput`] saying the folder does not exist (so a
/// file is never uploaded into the root by mistake), and two matches one saying the name is
/// ambiguous. [`pick_folder`] gives the same errors naming the folder.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, Error, files};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::folder_by_name(&base, "photos").unwrap();
/// assert_eq!(
///     op.request().uri(),
///     "http://localhost:8055/folders?filter=%7B%22name%22%3A%7B%22_eq%22%3A%22photos%22%7D%7D&limit=2"
/// );
/// let none = http::Response::new(Bytes::from_static(br#"{"data":[]}"#));
/// assert!(matches!(op.parse(none), Err(Error::InvalidInput(m)) if m.contains("does not exist")));
/// ```
pub fn folder_by_name(base: &BaseUrl, name: &str) -> Result<Operation<Folder>, Error> {
    Ok(
        Operation::get(base, &folder_lookup(name)?, parse_one_folder)?
            .for_collection("directus_folders"),
    )
}

/// The same lookup as [`folder_by_name`], answering the (at most two) folders found, for a
/// driver to hand to [`pick_folder`] with the name.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, files};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = files::folders_named(&base, "photos").unwrap();
/// assert_eq!(op.request().uri(), files::folder_by_name(&base, "photos").unwrap().request().uri());
/// let found = op.parse(http::Response::new(Bytes::from_static(br#"{"data":[]}"#))).unwrap();
/// assert!(files::pick_folder("photos", found.into_items()).is_err());
/// ```
pub fn folders_named(base: &BaseUrl, name: &str) -> Result<Operation<Page<Folder>>, Error> {
    Ok(
        Operation::get(base, &folder_lookup(name)?, response::page::<Folder>)?
            .for_collection("directus_folders"),
    )
}

/// `/folders?filter={"name":{"_eq":name}}&limit=2`: two, to tell one match from several.
fn folder_lookup(name: &str) -> Result<String, Error> {
    if name.is_empty() {
        return Err(Error::invalid("the folder name is empty"));
    }
    let query = Query::new().filter(F::eq("name", name)).limit(2);
    Ok(format!("/folders?{}", query.to_query_string()?))
}

fn parse_one_folder(response: http::Response<Bytes>) -> Result<Folder, Error> {
    let page = response::page::<Folder>(response)?;
    one_folder(None, page.into_items())
}

/// The one folder of a lookup by `name`, or the error naming it: none (the folder does not
/// exist) or several (the name is ambiguous).
///
/// ```
/// use directus_proto::{Error, files::pick_folder, models::Folder};
/// let err = pick_folder("photos", vec![]).unwrap_err();
/// assert_eq!(err.to_string(), "invalid input: folder \"photos\" does not exist");
/// let two = vec![Folder::default(), Folder::default()];
/// assert!(pick_folder("dup", two).unwrap_err().to_string().contains("ambiguous"));
/// ```
pub fn pick_folder(name: &str, folders: Vec<Folder>) -> Result<Folder, Error> {
    one_folder(Some(name), folders)
}

fn one_folder(name: Option<&str>, mut folders: Vec<Folder>) -> Result<Folder, Error> {
    let named = name.map_or_else(|| "the requested name".to_owned(), |n| format!("{n:?}"));
    match folders.len() {
        1 => Ok(folders.remove(0)),
        0 => Err(Error::invalid(match name {
            Some(_) => format!("folder {named} does not exist"),
            None => "no folder has the requested name: the folder does not exist".to_owned(),
        })),
        _ => Err(Error::invalid(format!(
            "several folders are named {named}: the folder name is ambiguous, use its key"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("http://localhost:8055").unwrap()
    }

    #[test]
    fn golden_upload_with_metadata_first() {
        let file = UploadFile::new("pixel.png", b"\x89PNG\r\n\x1a\n".to_vec())
            .field("tags", json!(["a", "b"]))
            .folder("2545f45f")
            .title("A pixel")
            .field("focal_point_x", 3)
            .field("description", Value::Null);
        let op = upload(&base(), &file, Boundary::new("BOUNDARY").unwrap()).unwrap();
        let expected = "--BOUNDARY\r\ncontent-disposition: form-data; name=\"title\"\r\n\r\nA pixel\r\n\
--BOUNDARY\r\ncontent-disposition: form-data; name=\"folder\"\r\n\r\n2545f45f\r\n\
--BOUNDARY\r\ncontent-disposition: form-data; name=\"description\"\r\n\r\nnull\r\n\
--BOUNDARY\r\ncontent-disposition: form-data; name=\"focal_point_x\"\r\n\r\n3\r\n\
--BOUNDARY\r\ncontent-disposition: form-data; name=\"tags\"\r\n\r\n[\"a\",\"b\"]\r\n\
--BOUNDARY\r\ncontent-disposition: form-data; name=\"file\"; filename=\"pixel.png\"\r\n\
content-type: image/png\r\n\r\n\u{89}PNG\r\n\u{1a}\n\r\n--BOUNDARY--\r\n";
        let expected: Vec<u8> = expected
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert_eq!(op.request().body(), &expected);
        assert_eq!(op.request().method(), "POST");
        assert_eq!(
            op.request().headers()["content-type"],
            "multipart/form-data; boundary=BOUNDARY"
        );
        assert_eq!(op.collection(), Some("directus_files"));
    }

    #[test]
    fn literal_strings_are_refused() {
        for s in ["true", " false", "null"] {
            let file = UploadFile::new("a.txt", "x").title(s);
            assert!(upload(&base(), &file, Boundary::random(1)).is_err());
        }
        assert!(
            upload(
                &base(),
                &UploadFile::new("a.txt", "x").field("flag", true),
                Boundary::random(1)
            )
            .is_ok()
        );
    }

    #[test]
    fn streamed_equals_in_memory() {
        let content = b"%PDF-1.4\nrest of the file".to_vec();
        let streamed = StreamedFile::new("doc.pdf")
            .length(content.len() as u64)
            .title("Doc");
        let up = upload_stream(&base(), &streamed, &content, Boundary::random(1)).unwrap();
        let boundary = up
            .body()
            .content_type()
            .to_str()
            .unwrap()
            .rsplit('=')
            .next()
            .unwrap()
            .to_owned();
        let mem = upload(
            &base(),
            &UploadFile::new("doc.pdf", content.clone()).title("Doc"),
            Boundary::new(boundary).unwrap(),
        )
        .unwrap();
        assert_eq!(mem.request().body(), &up.body().assemble(&content));
        assert_eq!(
            up.body().content_length(),
            Some(mem.request().body().len() as u64)
        );
    }

    #[test]
    fn folder_lookup_errors() {
        let op = folder_by_name(&base(), "dup").unwrap();
        let two = http::Response::new(Bytes::from_static(br#"{"data":[{"id":"a"},{"id":"b"}]}"#));
        assert!(matches!(op.parse(two), Err(Error::InvalidInput(m)) if m.contains("ambiguous")));
        let one = http::Response::new(Bytes::from_static(br#"{"data":[{"id":"a","name":"dup"}]}"#));
        assert_eq!(op.parse(one).unwrap().id, Some(Key::from("a")));
        assert!(folder_by_name(&base(), "").is_err());
    }

    #[test]
    fn paths_are_encoded_and_names_stripped() {
        let op = replace(
            &base(),
            "a/../b",
            &UploadFile::new("C:\\x\\y.txt", "x"),
            Boundary::random(1),
        )
        .unwrap();
        assert_eq!(op.request().uri().path(), "/files/a%2F..%2Fb");
        assert!(String::from_utf8_lossy(op.request().body()).contains("filename=\"y.txt\""));
        assert!(delete(&base(), "..").is_err());
        assert!(import(&base(), " ", &FileMeta::new()).is_err());
    }
}

/// A progress callback, shared by the handles of a driver.
pub type OnProgress = std::sync::Arc<dyn Fn(Progress) + Send + Sync>;

/// How far a transfer (upload or download) has got: bytes done, and the total when known.
/// The drivers report it to a progress callback as the bytes move.
///
/// ```
/// use directus_proto::files::Progress;
/// let p = Progress { done: 50, total: Some(200) };
/// assert_eq!(p.fraction(), Some(0.25));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes moved so far.
    pub done: u64,
    /// All the bytes, when known (the file's size, or the answer's `Content-Length`).
    pub total: Option<u64>,
}

impl Progress {
    /// `done / total`, when the total is known and not zero.
    ///
    /// ```
    /// # use directus_proto::files::Progress;
    /// assert_eq!(Progress { done: 1, total: None }.fraction(), None);
    /// ```
    pub fn fraction(&self) -> Option<f64> {
        match self.total {
            Some(total) if total > 0 => Some(self.done as f64 / total as f64),
            _ => None,
        }
    }
}
