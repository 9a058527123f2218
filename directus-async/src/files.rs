//! Files and assets: uploads (in memory, or streamed with progress), content replacement,
//! imports, metadata, folders by name, and streamed downloads.

use std::sync::{Arc, Mutex};

use directus_proto::assets;
pub use directus_proto::assets::{AssetHead, AssetTransform, Fit, Format};
use directus_proto::files;
pub use directus_proto::files::{FileMeta, OnProgress, Progress, StreamedFile, UploadFile};
use directus_proto::models::{File, Folder};
use directus_proto::multipart::Streaming;
use directus_proto::{Error, Key, Operation, Page, Query};
use futures_util::stream::{self, StreamExt};
use http::{HeaderValue, header};

use crate::Directus;
use crate::transport::ByteStream;
use directus_proto::Bytes;

/// The files of the server; see [`Directus::files`].
///
/// ```no_run
/// use directus_async::{Directus, files::StreamedFile};
///
/// # async fn demo(directus: Directus) -> directus_async::Result<()> {
/// let report = directus
///     .files()
///     .on_progress(|p| eprintln!("{} of {:?} bytes", p.done, p.total))
///     .upload_path("report.pdf", StreamedFile::new("report.pdf").title("Q3 report"))
///     .await?;
/// # Ok(())
/// # }
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

/// Reports the bytes of a stream as they pass.
fn counted(stream: ByteStream, total: Option<u64>, callback: Option<OnProgress>) -> ByteStream {
    let mut done = 0u64;
    stream
        .inspect(move |chunk| {
            if let (Ok(chunk), Some(callback)) = (chunk, &callback)
                && !chunk.is_empty()
            {
                done += chunk.len() as u64;
                callback(Progress { done, total });
            }
        })
        .boxed()
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
    async fn run<T>(&self, op: Operation<T>) -> crate::Result<T> {
        self.client.run(self.options.apply(op)).await
    }

    /// Reports the progress of the streamed uploads and downloads of this handle.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// let files = directus.files().on_progress(|p| println!("{:?}", p.fraction()));
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
    /// # use directus_async::{Directus, UploadFile};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().upload(&UploadFile::new("hello.txt", b"hello".to_vec())).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn upload(&self, file: &UploadFile) -> crate::Result<Option<File>> {
        self.run(files::upload(
            self.client.base_url(),
            file,
            crate::random::boundary(),
        )?)
        .await
    }

    /// Uploads several files in one request, each with its own metadata.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, UploadFile};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let files = [UploadFile::new("a.txt", b"a".to_vec()), UploadFile::new("b.txt", b"b".to_vec())];
    /// directus.files().upload_many(&files).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn upload_many(&self, files: &[UploadFile]) -> crate::Result<Option<Vec<File>>> {
        self.run(files::upload_many(
            self.client.base_url(),
            files,
            crate::random::boundary(),
        )?)
        .await
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
    /// # use directus_async::{Directus, UploadFile};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().upload_into("documents", &UploadFile::new("a.txt", b"a".to_vec())).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn upload_into(
        &self,
        folder: &str,
        file: &UploadFile,
    ) -> crate::Result<Option<File>> {
        let folder = self.folder(folder).await?;
        let id = folder
            .id
            .ok_or_else(|| Error::InvalidInput("the folder was read without its key".into()))?;
        self.upload(&file.clone().folder(id)).await
    }

    /// Uploads a stream of chunks, of which `head` are the first bytes (up to
    /// [`SNIFF_LEN`](directus_proto::media::SNIFF_LEN), for detecting the media type) and
    /// `rest` the others. Memory stays small whatever the size.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Bytes, Directus, files::StreamedFile};
    /// use futures_util::{StreamExt, stream};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let rest = stream::iter([Ok(Bytes::from_static(b"2\n"))]).boxed();
    /// directus.files().upload_stream(b"a,b\n1,".to_vec(), rest, StreamedFile::new("t.csv").length(8)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn upload_stream(
        &self,
        head: Vec<u8>,
        rest: ByteStream,
        file: StreamedFile,
    ) -> crate::Result<Option<File>> {
        let (op, body) = files::upload_stream(
            self.client.base_url(),
            &file,
            &head,
            crate::random::boundary(),
        )?
        .into_parts();
        self.send_streamed(op, body, head, rest).await
    }

    /// Imports a CSV or JSON file into a collection, streamed (every row created, in one
    /// transaction): `head` is the file's first bytes (for its media type), `rest` the others.
    ///
    /// ```no_run
    /// # use directus_async::{Bytes, Directus, files::StreamedFile};
    /// use futures_util::{StreamExt, stream};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let rest = stream::iter([Ok(Bytes::from_static(b"Apple\n"))]).boxed();
    /// directus.files().import_rows_stream("products", b"name\n".to_vec(), rest, StreamedFile::new("rows.csv")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn import_rows_stream(
        &self,
        collection: &str,
        head: Vec<u8>,
        rest: ByteStream,
        file: StreamedFile,
    ) -> crate::Result<()> {
        let (op, body) = directus_proto::utils::import_stream(
            self.client.base_url(),
            collection,
            &file,
            &head,
            crate::random::boundary(),
        )?
        .into_parts();
        self.send_streamed(op, body, head, rest).await
    }

    /// Replaces a file's content (in memory), keeping its key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, UploadFile};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().replace("f1", &UploadFile::new("a.txt", b"new".to_vec())).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn replace(
        &self,
        id: impl Into<Key>,
        file: &UploadFile,
    ) -> crate::Result<Option<File>> {
        self.run(files::replace(
            self.client.base_url(),
            id,
            file,
            crate::random::boundary(),
        )?)
        .await
    }

    /// Replaces a file's content with a stream of chunks (see [`Files::upload_stream`]).
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, files::StreamedFile};
    /// use futures_util::{StreamExt, stream};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().replace_stream("f1", b"new".to_vec(), stream::empty().boxed(), StreamedFile::new("a.txt")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn replace_stream(
        &self,
        id: impl Into<Key>,
        head: Vec<u8>,
        rest: ByteStream,
        file: StreamedFile,
    ) -> crate::Result<Option<File>> {
        let (op, body) = files::replace_stream(
            self.client.base_url(),
            id,
            &file,
            &head,
            crate::random::boundary(),
        )?
        .into_parts();
        self.send_streamed(op, body, head, rest).await
    }

    async fn send_streamed<T>(
        &self,
        op: Operation<T>,
        body: Streaming,
        head: Vec<u8>,
        rest: ByteStream,
    ) -> crate::Result<T> {
        let total = body.content_length();
        let parts = stream::iter([
            Ok(Bytes::copy_from_slice(body.preamble())),
            Ok(Bytes::from(head)),
        ])
        .chain(rest)
        .chain(stream::iter([Ok(Bytes::copy_from_slice(body.epilogue()))]))
        .boxed();
        let mut content = Some(counted(parts, total, self.progress.clone()));
        let inner = self.client.inner();
        let call = inner.session.call(self.options.apply(op));
        inner
            .drive_with(call, |mut request, config| {
                // The content can be read once: a second send (after a refused token) says so.
                let content = content.take();
                async move {
                    let content = content.ok_or_else(|| {
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
                    inner.http.send_streaming(request, content, &config).await
                }
            })
            .await
    }

    /// Asks the server to fetch a file from a URL.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, FileMeta};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().import("https://example.com/logo.png", &FileMeta::new()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn import(&self, url: &str, meta: &FileMeta) -> crate::Result<Option<File>> {
        self.run(files::import(self.client.base_url(), url, meta)?)
            .await
    }

    /// Reads a file's metadata.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, Query};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let file = directus.files().read("f1", &Query::new()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read(&self, id: impl Into<Key>, query: &Query) -> crate::Result<File> {
        self.run(files::read(self.client.base_url(), id, query)?)
            .await
    }

    /// Lists files.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, Query};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let page = directus.files().list(&Query::new().limit(10)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list(&self, query: &Query) -> crate::Result<Page<File>> {
        self.run(files::list(self.client.base_url(), query)?).await
    }

    /// Updates a file's metadata.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`], which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, FileMeta};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().update("f1", &FileMeta::new().title("New title")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update(&self, id: impl Into<Key>, meta: &FileMeta) -> crate::Result<Option<File>> {
        self.run(files::update(self.client.base_url(), id, meta)?)
            .await
    }

    /// Deletes a file (its record and its content).
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`] tells which.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.files().delete("f1").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete(&self, id: impl Into<Key>) -> crate::Result<()> {
        self.run(files::delete(self.client.base_url(), id)?).await
    }

    /// The folder of this name; an unknown or ambiguous name is an [`Error::InvalidInput`]
    /// that names it.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let documents = directus.files().folder("documents").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn folder(&self, name: &str) -> crate::Result<Folder> {
        let found = self
            .client
            .run(files::folders_named(self.client.base_url(), name)?)
            .await?;
        files::pick_folder(name, found.into_items())
    }

    /// The URL of an asset with transforms, for web pages (it carries no token).
    ///
    /// ```
    /// # use directus_async::{AssetTransform, Directus};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// let url = directus.files().url("f1", &AssetTransform::new().width(64)).unwrap();
    /// assert_eq!(url, "http://127.0.0.1:8055/assets/f1?width=64");
    /// ```
    pub fn url(&self, id: impl Into<Key>, transform: &AssetTransform) -> crate::Result<String> {
        assets::asset_url(self.client.base_url(), id, transform)
    }

    /// Opens a download: the answer's head and its body as a stream of chunks (with progress),
    /// read as you go.
    ///
    /// ```no_run
    /// # use directus_async::{AssetTransform, Bytes, Directus};
    /// use futures_util::TryStreamExt;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let (head, body) = directus.files().download_stream("f1", &AssetTransform::new()).await?;
    /// let bytes: Vec<Bytes> = body.try_collect().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn download_stream(
        &self,
        id: impl Into<Key>,
        transform: &AssetTransform,
    ) -> crate::Result<(AssetHead, ByteStream)> {
        let op = assets::download(self.client.base_url(), id, transform)?;
        self.open_download(op).await
    }

    /// Several files as one zip archive: the head and a stream of the body (with progress).
    ///
    /// ```no_run
    /// # use directus_async::{Bytes, Directus};
    /// use futures_util::TryStreamExt;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let (head, body) = directus.files().download_zip(&["6c9a1a54-0000-4000-8000-000000000001"]).await?;
    /// let zip: Vec<Bytes> = body.try_collect().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn download_zip(&self, ids: &[&str]) -> crate::Result<(AssetHead, ByteStream)> {
        let op = assets::zip_files(self.client.base_url(), ids)?;
        self.open_download(op).await
    }

    /// A folder's files as one zip archive: the head and a stream of the body.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let (head, body) = directus.files().download_folder_zip("folder-id").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn download_folder_zip(
        &self,
        folder: impl Into<Key>,
    ) -> crate::Result<(AssetHead, ByteStream)> {
        let op = assets::zip_folder(self.client.base_url(), folder)?;
        self.open_download(op).await
    }

    /// Runs a download operation; answers the head and the body of its success, streamed.
    async fn open_download(&self, op: Operation<Bytes>) -> crate::Result<(AssetHead, ByteStream)> {
        let opened = Mutex::new(None);
        let inner = self.client.inner();
        let call = inner.session.call(self.options.apply(op));
        inner
            .drive_with(call, |request, config| {
                let opened = &opened;
                async move {
                    let response = inner.http.open(request, &config).await?;
                    let (parts, body) = response.into_parts();
                    let head_only = http::Response::from_parts(parts, Bytes::new());
                    match assets::asset_head(&head_only) {
                        Some(head) => {
                            // A success: keep the unread body for after the call.
                            *opened.lock().unwrap_or_else(|p| p.into_inner()) = Some((head, body));
                            Ok(head_only)
                        }
                        // An error answer: read it whole (within the body limit and the
                        // timeout) and let the call decide.
                        None => {
                            let bytes = crate::transport::collect_limited(body, &config).await?;
                            let (parts, _) = head_only.into_parts();
                            Ok(http::Response::from_parts(parts, bytes))
                        }
                    }
                }
            })
            .await?;
        let (head, body) = opened
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .ok_or_else(|| Error::InvalidInput("the download got no answer".into()))?;
        let total = head.content_length;
        Ok((head, counted(body, total, self.progress.clone())))
    }
}

#[cfg(feature = "tokio")]
mod with_tokio {
    use std::path::Path;

    use directus_proto::TransportError;
    use directus_proto::media::SNIFF_LEN;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    use super::*;

    fn io_error(what: &str, error: std::io::Error) -> Error {
        TransportError::io(what, error).into()
    }

    /// Chunks of a reader.
    fn chunks(reader: impl AsyncRead + Unpin + Send + 'static) -> ByteStream {
        stream::unfold(reader, |mut reader| async move {
            let mut buf = vec![0; 64 * 1024];
            match reader.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), reader))
                }
                Err(e) => Some((Err(io_error("reading the file", e)), reader)),
            }
        })
        .boxed()
    }

    async fn read_head(reader: &mut (impl AsyncRead + Unpin)) -> crate::Result<Vec<u8>> {
        let mut head = Vec::with_capacity(SNIFF_LEN);
        reader
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut head)
            .await
            .map_err(|e| io_error("reading the file", e))?;
        Ok(head)
    }

    async fn open(
        path: &Path,
        file: StreamedFile,
    ) -> crate::Result<(tokio::fs::File, StreamedFile)> {
        let handle = tokio::fs::File::open(path)
            .await
            .map_err(|e| io_error(&format!("opening {}", path.display()), e))?;
        let length = handle
            .metadata()
            .await
            .map_err(|e| io_error(&format!("reading {}", path.display()), e))?
            .len();
        Ok((handle, file.length(length)))
    }

    impl Files<'_> {
        /// Streams a file from any reader (give [`StreamedFile::length`] when known).
        ///
        /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
        /// not decode into the requested type ([`Error::Applied`], which holds the
        /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
        /// [`Error::write_outcome`] tells which.
        ///
        /// ```no_run
        /// # use directus_async::{Directus, files::StreamedFile};
        /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
        /// let data: &'static [u8] = b"a,b\n1,2\n";
        /// directus.files().upload_reader(data, StreamedFile::new("t.csv").length(8)).await?;
        /// # Ok(())
        /// # }
        /// ```
        pub async fn upload_reader(
            &self,
            mut reader: impl AsyncRead + Unpin + Send + 'static,
            file: StreamedFile,
        ) -> crate::Result<Option<File>> {
            let head = read_head(&mut reader).await?;
            self.upload_stream(head, chunks(reader), file).await
        }

        /// Streams a file from disk: memory stays small whatever the file's size.
        ///
        /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
        /// not decode into the requested type ([`Error::Applied`], which holds the
        /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
        /// [`Error::write_outcome`] tells which.
        ///
        /// ```no_run
        /// # use directus_async::{Directus, files::StreamedFile};
        /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
        /// directus.files().upload_path("movie.mp4", StreamedFile::new("movie.mp4")).await?;
        /// # Ok(())
        /// # }
        /// ```
        pub async fn upload_path(
            &self,
            path: impl AsRef<Path>,
            file: StreamedFile,
        ) -> crate::Result<Option<File>> {
            let (reader, file) = open(path.as_ref(), file).await?;
            self.upload_reader(reader, file).await
        }

        /// Imports a CSV or JSON file into a collection, streamed from disk.
        ///
        /// ```no_run
        /// # use directus_async::{Directus, files::StreamedFile};
        /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
        /// directus.files().import_rows_path("products", "rows.csv", StreamedFile::new("rows.csv")).await?;
        /// # Ok(())
        /// # }
        /// ```
        pub async fn import_rows_path(
            &self,
            collection: &str,
            path: impl AsRef<Path>,
            file: StreamedFile,
        ) -> crate::Result<()> {
            let (mut reader, file) = open(path.as_ref(), file).await?;
            let head = read_head(&mut reader).await?;
            self.import_rows_stream(collection, head, chunks(reader), file)
                .await
        }

        /// Replaces a file's content, streamed from disk.
        ///
        /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
        /// not decode into the requested type ([`Error::Applied`], which holds the
        /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
        /// [`Error::write_outcome`] tells which.
        ///
        /// ```no_run
        /// # use directus_async::{Directus, files::StreamedFile};
        /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
        /// directus.files().replace_path("f1", "new.pdf", StreamedFile::new("new.pdf")).await?;
        /// # Ok(())
        /// # }
        /// ```
        pub async fn replace_path(
            &self,
            id: impl Into<Key>,
            path: impl AsRef<Path>,
            file: StreamedFile,
        ) -> crate::Result<Option<File>> {
            let (mut reader, file) = open(path.as_ref(), file).await?;
            let head = read_head(&mut reader).await?;
            self.replace_stream(id, head, chunks(reader), file).await
        }

        /// Downloads an asset into `writer`, streamed. Answers the head of the answer.
        ///
        /// ```no_run
        /// # use directus_async::{AssetTransform, Directus};
        /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
        /// let mut thumbnail = Vec::new();
        /// directus.files().download("f1", &AssetTransform::new().width(64), &mut thumbnail).await?;
        /// # Ok(())
        /// # }
        /// ```
        pub async fn download(
            &self,
            id: impl Into<Key>,
            transform: &AssetTransform,
            mut writer: impl AsyncWrite + Unpin,
        ) -> crate::Result<AssetHead> {
            let (head, mut body) = self.download_stream(id, transform).await?;
            while let Some(chunk) = body.next().await {
                writer
                    .write_all(&chunk?)
                    .await
                    .map_err(|e| io_error("writing the asset", e))?;
            }
            writer
                .flush()
                .await
                .map_err(|e| io_error("writing the asset", e))?;
            Ok(head)
        }

        /// Downloads an asset into a file (created or truncated), streamed.
        ///
        /// ```no_run
        /// # use directus_async::{AssetTransform, Directus};
        /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
        /// directus.files().download_to_file("f1", &AssetTransform::new(), "copy.pdf").await?;
        /// # Ok(())
        /// # }
        /// ```
        pub async fn download_to_file(
            &self,
            id: impl Into<Key>,
            transform: &AssetTransform,
            path: impl AsRef<Path>,
        ) -> crate::Result<AssetHead> {
            let file = tokio::fs::File::create(path.as_ref())
                .await
                .map_err(|e| io_error(&format!("creating {}", path.as_ref().display()), e))?;
            self.download(id, transform, tokio::io::BufWriter::new(file))
                .await
        }
    }
}
