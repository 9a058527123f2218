//! Files and assets: uploads (in memory or streamed from a path or reader, with progress),
//! content replacement, imports, metadata, folders by name, and streamed downloads.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use directus_proto::assets;
pub use directus_proto::assets::{AssetHead, AssetTransform, Fit, Format};
use directus_proto::files;
pub use directus_proto::files::{FileMeta, OnProgress, Progress, StreamedFile, UploadFile};
use directus_proto::media::SNIFF_LEN;
use directus_proto::models::{File, Folder};
use directus_proto::multipart::Streaming;
use directus_proto::{Bytes, Error, Key, Operation, Page, Query, TransportError};
use http::{HeaderValue, header};

use crate::Directus;

/// The files of the server; see [`Directus::files`].
///
/// ```no_run
/// use directus_blocking::{Directus, files::StreamedFile};
///
/// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
/// let report = directus
///     .files()
///     .on_progress(|p| eprintln!("{} of {:?} bytes", p.done, p.total))
///     .upload_path("report.pdf", StreamedFile::new("report.pdf").title("Q3 report"))?;
/// # Ok::<(), directus_blocking::Error>(())
/// ```
#[derive(Clone)]
pub struct Files<'a> {
    client: &'a Directus,
    progress: Option<OnProgress>,
    pub(crate) options: directus_proto::CallOptions,
}

impl std::fmt::Debug for Files<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files")
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

fn io_error(what: &str, error: io::Error) -> Error {
    TransportError::io(what, error).into()
}

/// Counts the bytes that pass and reports them.
struct Counting<'p, T> {
    inner: T,
    progress: Progress,
    callback: Option<&'p OnProgress>,
}

impl<T> Counting<'_, T> {
    fn advance(&mut self, n: usize) {
        self.progress.done += n as u64;
        if let Some(callback) = self.callback
            && n > 0
        {
            callback(self.progress);
        }
    }
}

impl<T: Read> Read for Counting<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.advance(n);
        Ok(n)
    }
}

impl<T: Write> Write for Counting<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.advance(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads up to `SNIFF_LEN` bytes: the head the media type is detected from.
fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    reader.take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

impl<'a> Files<'a> {
    pub(crate) fn new(client: &'a Directus) -> Self {
        Files {
            client,
            progress: None,
            options: directus_proto::CallOptions::new(),
        }
    }

    /// Runs one operation of this handle, with its per-call overrides.
    fn run<T>(&self, op: Operation<T>) -> crate::Result<T> {
        self.client.run(self.options.apply(op))
    }

    /// Reports the progress of the streamed uploads and downloads of this handle.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// let files = directus.files().on_progress(|p| println!("{:?}", p.fraction()));
    /// # let _ = files;
    /// ```
    pub fn on_progress(mut self, callback: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Uploads a file held in memory. Its media type is the given one, else detected from its
    /// bytes, else from its name.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, UploadFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let file = directus.files().upload(&UploadFile::new("hello.txt", b"hello".to_vec()).title("Hello"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn upload(&self, file: &UploadFile) -> crate::Result<Option<File>> {
        self.run(files::upload(
            self.client.base_url(),
            file,
            crate::random::boundary(),
        )?)
    }

    /// Uploads several files in one request, each with its own metadata.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, UploadFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let files = [UploadFile::new("a.txt", b"a".to_vec()), UploadFile::new("b.txt", b"b".to_vec())];
    /// let uploaded = directus.files().upload_many(&files)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn upload_many(&self, files: &[UploadFile]) -> crate::Result<Option<Vec<File>>> {
        self.run(files::upload_many(
            self.client.base_url(),
            files,
            crate::random::boundary(),
        )?)
    }

    /// Uploads into the folder named `folder` (looked up first; an unknown or ambiguous name is
    /// an error and nothing is uploaded).
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, UploadFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().upload_into("documents", &UploadFile::new("a.txt", b"a".to_vec()))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn upload_into(&self, folder: &str, file: &UploadFile) -> crate::Result<Option<File>> {
        let folder = self.folder(folder)?;
        let id = folder
            .id
            .ok_or_else(|| Error::InvalidInput("the folder was read without its key".into()))?;
        self.upload(&file.clone().folder(id))
    }

    /// Streams a file from disk: memory stays small whatever the file's size.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, files::StreamedFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().upload_path("movie.mp4", StreamedFile::new("movie.mp4"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn upload_path(
        &self,
        path: impl AsRef<Path>,
        file: StreamedFile,
    ) -> crate::Result<Option<File>> {
        let (reader, file) = open(path.as_ref(), file)?;
        self.upload_reader(reader, file)
    }

    /// Streams a file from any reader (give [`StreamedFile::length`] when known: the request
    /// then carries a `Content-Length` and the progress a total).
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, files::StreamedFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let data: &[u8] = b"a,b\n1,2\n";
    /// directus.files().upload_reader(data, StreamedFile::new("t.csv").length(8))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn upload_reader(
        &self,
        mut reader: impl Read,
        file: StreamedFile,
    ) -> crate::Result<Option<File>> {
        let head = read_head(&mut reader).map_err(|e| io_error("reading the file", e))?;
        let (op, body) = files::upload_stream(
            self.client.base_url(),
            &file,
            &head,
            crate::random::boundary(),
        )?
        .into_parts();
        self.send_streamed(op, &body, head.as_slice().chain(reader))
    }

    /// Replaces a file's content (in memory), keeping its key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, UploadFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().replace("f1", &UploadFile::new("a.txt", b"new".to_vec()))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn replace(&self, id: impl Into<Key>, file: &UploadFile) -> crate::Result<Option<File>> {
        self.run(files::replace(
            self.client.base_url(),
            id,
            file,
            crate::random::boundary(),
        )?)
    }

    /// Replaces a file's content, streamed from disk.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, files::StreamedFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().replace_path("f1", "new.pdf", StreamedFile::new("new.pdf"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn replace_path(
        &self,
        id: impl Into<Key>,
        path: impl AsRef<Path>,
        file: StreamedFile,
    ) -> crate::Result<Option<File>> {
        let (mut reader, file) = open(path.as_ref(), file)?;
        let head = read_head(&mut reader).map_err(|e| io_error("reading the file", e))?;
        let (op, body) = files::replace_stream(
            self.client.base_url(),
            id,
            &file,
            &head,
            crate::random::boundary(),
        )?
        .into_parts();
        self.send_streamed(op, &body, head.as_slice().chain(reader))
    }

    /// Imports a CSV or JSON file into a collection, streamed from disk (every row created,
    /// in one transaction); the progress callback sees the bytes.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, files::StreamedFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().import_rows_path("products", "rows.csv", StreamedFile::new("rows.csv"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn import_rows_path(
        &self,
        collection: &str,
        path: impl AsRef<Path>,
        file: StreamedFile,
    ) -> crate::Result<()> {
        let (reader, file) = open(path.as_ref(), file)?;
        self.import_rows_reader(collection, reader, file)
    }

    /// Imports a CSV or JSON file into a collection, streamed from any reader.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, files::StreamedFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let csv: &[u8] = b"name\nApple\n";
    /// directus.files().import_rows_reader("products", csv, StreamedFile::new("rows.csv"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn import_rows_reader(
        &self,
        collection: &str,
        mut reader: impl Read,
        file: StreamedFile,
    ) -> crate::Result<()> {
        let head = read_head(&mut reader).map_err(|e| io_error("reading the file", e))?;
        let (op, body) = directus_proto::utils::import_stream(
            self.client.base_url(),
            collection,
            &file,
            &head,
            crate::random::boundary(),
        )?
        .into_parts();
        self.send_streamed(op, &body, head.as_slice().chain(reader))
    }

    fn send_streamed<T>(
        &self,
        op: Operation<T>,
        body: &Streaming,
        content: impl Read,
    ) -> crate::Result<T> {
        let total = body.content_length();
        let mut content = Some(content);
        let call = self.client.session_state().call(self.options.apply(op));
        self.client.drive_with(call, |transport, mut request| {
            // The content can be read once: a second send (after a refused token) says so.
            let content = content.take().ok_or_else(|| {
                Error::InvalidInput(
                    "the server refused the token after a streamed upload was sent; nothing was stored, upload again"
                        .into(),
                )
            })?;
            if let Some(total) = total {
                request
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(total));
            }
            let mut reader = Counting {
                inner: body.preamble().chain(content).chain(body.epilogue()),
                progress: Progress { done: 0, total },
                callback: self.progress.as_ref(),
            };
            transport.send_reader(request, &mut reader)
        })
    }

    /// Asks the server to fetch a file from a URL.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, FileMeta};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().import("https://example.com/logo.png", &FileMeta::new().title("Logo"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn import(&self, url: &str, meta: &FileMeta) -> crate::Result<Option<File>> {
        self.run(files::import(self.client.base_url(), url, meta)?)
    }

    /// Reads a file's metadata.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, Query};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let file = directus.files().read("f1", &Query::new())?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read(&self, id: impl Into<Key>, query: &Query) -> crate::Result<File> {
        self.run(files::read(self.client.base_url(), id, query)?)
    }

    /// Lists files.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, Query};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let page = directus.files().list(&Query::new().limit(10))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn list(&self, query: &Query) -> crate::Result<Page<File>> {
        self.run(files::list(self.client.base_url(), query)?)
    }

    /// Updates a file's metadata.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, FileMeta};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().update("f1", &FileMeta::new().title("New title"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update(&self, id: impl Into<Key>, meta: &FileMeta) -> crate::Result<Option<File>> {
        self.run(files::update(self.client.base_url(), id, meta)?)
    }

    /// Deletes a file (its record and its content).
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().delete("f1")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn delete(&self, id: impl Into<Key>) -> crate::Result<()> {
        self.run(files::delete(self.client.base_url(), id)?)
    }

    /// The folder of this name; an unknown or ambiguous name is an [`Error::InvalidInput`]
    /// that names it.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let documents = directus.files().folder("documents")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn folder(&self, name: &str) -> crate::Result<Folder> {
        let found = self
            .client
            .run(files::folders_named(self.client.base_url(), name)?)?;
        files::pick_folder(name, found.into_items())
    }

    /// The URL of an asset with transforms, for web pages (it carries no token: add one the
    /// page may show, or serve public files).
    ///
    /// ```
    /// # use directus_blocking::{AssetTransform, Directus};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// let url = directus.files().url("f1", &AssetTransform::new().width(64)).unwrap();
    /// assert_eq!(url, "http://127.0.0.1:8055/assets/f1?width=64");
    /// ```
    pub fn url(&self, id: impl Into<Key>, transform: &AssetTransform) -> crate::Result<String> {
        assets::asset_url(self.client.base_url(), id, transform)
    }

    /// Downloads an asset into `writer`, streamed: memory stays small whatever its size.
    /// Answers the head of the answer (type, length, file name).
    ///
    /// ```no_run
    /// # use directus_blocking::{AssetTransform, Directus};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let mut thumbnail = Vec::new();
    /// directus.files().download("f1", &AssetTransform::new().width(64), &mut thumbnail)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn download(
        &self,
        id: impl Into<Key>,
        transform: &AssetTransform,
        writer: impl Write,
    ) -> crate::Result<AssetHead> {
        let op = assets::download(self.client.base_url(), id, transform)?;
        self.stream_into(op, writer)
    }

    /// Several files as one zip archive, streamed into `writer` (with progress).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let zip = std::fs::File::create("files.zip").unwrap();
    /// directus.files().download_zip(&["6c9a1a54-0000-4000-8000-000000000001"], zip)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn download_zip(&self, ids: &[&str], writer: impl Write) -> crate::Result<AssetHead> {
        self.stream_into(assets::zip_files(self.client.base_url(), ids)?, writer)
    }

    /// A folder's files as one zip archive, streamed into `writer` (with progress).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let zip = std::fs::File::create("folder.zip").unwrap();
    /// directus.files().download_folder_zip("folder-id", zip)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn download_folder_zip(
        &self,
        folder: impl Into<Key>,
        writer: impl Write,
    ) -> crate::Result<AssetHead> {
        self.stream_into(assets::zip_folder(self.client.base_url(), folder)?, writer)
    }

    /// Runs a download operation and streams the body of its success into `writer`.
    fn stream_into(&self, op: Operation<Bytes>, writer: impl Write) -> crate::Result<AssetHead> {
        let mut opened = None;
        let call = self.client.session_state().call(self.options.apply(op));
        self.client.drive_with(call, |transport, request| {
            let response = transport.open_stream(request)?;
            match assets::asset_head(&response) {
                Some(head) => {
                    // A success: keep the unread body for after the call, and answer its head.
                    let (parts, body) = response.into_parts();
                    opened = Some((head, body));
                    Ok(http::Response::from_parts(parts, Bytes::new()))
                }
                // An error answer: read it whole and let the call decide (refresh, or error).
                None => transport.read_answer(response),
            }
        })?;
        let (head, body) =
            opened.ok_or_else(|| Error::InvalidInput("the download got no answer".into()))?;
        let mut counting = Counting {
            inner: writer,
            progress: Progress {
                done: 0,
                total: head.content_length,
            },
            callback: self.progress.as_ref(),
        };
        io::copy(&mut body.into_reader(), &mut counting)
            .map_err(|e| io_error("downloading the asset", e))?;
        counting
            .flush()
            .map_err(|e| io_error("writing the asset", e))?;
        Ok(head)
    }

    /// Downloads an asset into a file (created or truncated), streamed.
    ///
    /// ```no_run
    /// # use directus_blocking::{AssetTransform, Directus};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.files().download_to_file("f1", &AssetTransform::new(), "copy.pdf")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn download_to_file(
        &self,
        id: impl Into<Key>,
        transform: &AssetTransform,
        path: impl AsRef<Path>,
    ) -> crate::Result<AssetHead> {
        let file = fs::File::create(path.as_ref())
            .map_err(|e| io_error(&format!("creating {}", path.as_ref().display()), e))?;
        self.download(id, transform, io::BufWriter::new(file))
    }
}

/// Opens a file for a streamed upload; its length and name fill what `file` left out.
fn open(path: &Path, file: StreamedFile) -> crate::Result<(fs::File, StreamedFile)> {
    let handle =
        fs::File::open(path).map_err(|e| io_error(&format!("opening {}", path.display()), e))?;
    let length = handle
        .metadata()
        .map_err(|e| io_error(&format!("reading {}", path.display()), e))?
        .len();
    Ok((handle, file.length(length)))
}
