//! Reads of any size: items decoded one by one while the answer arrives ([`ItemStream`]), and
//! pages kept raw to decode into borrowing types ([`RawPage`]).

use std::io::Read;

use directus_proto::stream::{ItemDecoder, Next};
use directus_proto::{Bytes, Error, Meta, RawPage};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::transport::transport_error;
use crate::{Collection, Directus};

/// Bytes read from the socket at a time.
const CHUNK: usize = 64 * 1024;

/// The items of a read, decoded one by one while the answer arrives: an iterator of
/// `Result<T>`. Made by [`Collection::read_stream`].
///
/// Memory stays flat whatever the number of rows: one 64 KiB read buffer and the bytes of the
/// item being decoded. An item larger than the client's body limit
/// ([`Config::body_limit`](crate::Config::body_limit), 32 MiB by default) or nested deeper than
/// [`MAX_ITEM_DEPTH`](directus_proto::stream::MAX_ITEM_DEPTH) ends the stream with an
/// [`Error::Stream`]. A stream has no overall timeout (reading 200,000 rows takes what it
/// takes, and so may your loop body); each read from the socket waits at most
/// [`Config::timeout`](crate::Config::timeout), so a stalled server still fails it.
///
/// A failure once items have been yielded (the connection drops, an item does not decode) is
/// the last item, an `Err`; the read is never sent again behind your back. Everything before the
/// body (token refresh after `TOKEN_EXPIRED`, retries of a failed connection, redirects) goes
/// as for every other read.
///
/// ```no_run
/// # use directus_blocking::Directus;
/// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
/// let mut rows = directus.collection("events").no_limit().read_stream()?;
/// let mut count = 0;
/// for row in &mut rows {
///     let row = row?;
///     count += 1;
/// }
/// println!("{count} rows, {} bytes", rows.read_bytes());
/// # Ok::<(), directus_blocking::Error>(())
/// ```
pub struct ItemStream<T> {
    body: Option<ureq::BodyReader<'static>>,
    decoder: ItemDecoder<T>,
    chunk: Vec<u8>,
}

impl<T> std::fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream")
            .field("open", &self.body.is_some())
            .field("decoder", &self.decoder)
            .finish()
    }
}

impl<T: DeserializeOwned> ItemStream<T> {
    /// The answer's `meta` (the counts asked for with `.include_count()` or `.meta(...)`).
    /// Directus sends it after the items: it is there once the iterator has ended.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let mut rows = directus.collection("events").no_limit().include_count().read_stream()?;
    /// let n = rows.by_ref().count();
    /// assert_eq!(rows.meta().and_then(|m| m.filter_count), Some(n as u64));
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn meta(&self) -> Option<Meta> {
        self.decoder.meta()
    }

    /// The bytes of the body read so far.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let rows = directus.collection("events").read_stream()?;
    /// assert_eq!(rows.read_bytes(), 0);
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read_bytes(&self) -> u64 {
        self.decoder.read_bytes()
    }
}

impl<T: DeserializeOwned> Iterator for ItemStream<T> {
    type Item = crate::Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.decoder.next() {
                Ok(Next::Item(item)) => return Some(Ok(item)),
                Ok(Next::End) => {
                    self.body = None;
                    return None;
                }
                Err(error) => {
                    self.body = None;
                    return Some(Err(error));
                }
                Ok(Next::NeedMore) => {
                    let body = self.body.as_mut()?;
                    match body.read(&mut self.chunk) {
                        Ok(0) => self.decoder.end(),
                        Ok(n) => self.decoder.feed(&self.chunk[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            // The last item: without a body, the next call answers `None`.
                            self.body = None;
                            return Some(Err(read_error(e)));
                        }
                    }
                }
            }
        }
    }
}

/// An error of ureq's body reader, which wraps ureq's own errors in `io::Error`.
fn read_error(error: std::io::Error) -> Error {
    match error.downcast::<ureq::Error>() {
        Ok(error) => transport_error(error),
        Err(io) => transport_error(ureq::Error::Io(io)),
    }
}

/// Streamed and raw reads.
impl<T: DeserializeOwned> Collection<'_, T> {
    /// Reads the matching items as they arrive, decoded one by one into `T`: a read of any size
    /// (`.no_limit()` on a million rows) in flat memory, where [`read`](Collection::read) holds
    /// the whole answer (at most the body limit, 32 MiB by default) and fails past it. See
    /// [`ItemStream`] for the limits and the timeout.
    ///
    /// The request is sent and its head read here: an error answer (permissions, a bad query)
    /// is this `Err`. [`iter`](Collection::iter) pages instead, one request per page.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, Order};
    /// #[derive(serde::Deserialize)]
    /// struct Event { id: u64, kind: String }
    ///
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// for event in directus.collection_as::<Event>("events").sort("id", Order::Asc).no_limit().read_stream()? {
    ///     let event = event?;
    ///     println!("{} {}", event.id, event.kind);
    /// }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read_stream(&self) -> crate::Result<ItemStream<T>> {
        open(
            self.client(),
            self.items().read_stream(self.client().base_url())?,
        )
    }

    /// [`read_stream`](Collection::read_stream) with the items as JSON values, whatever `T` is.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// for row in directus.collection("events").no_limit().read_stream_values()? {
    ///     println!("{}", row?["id"]);
    /// }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read_stream_values(&self) -> crate::Result<ItemStream<Value>> {
        open(
            self.client(),
            self.items().read_stream(self.client().base_url())?,
        )
    }

    /// Reads the matching items and keeps the answer as its bytes, to decode into types that
    /// borrow from it ([`RawPage::parse_borrowed`]): one allocation per page instead of one per
    /// string field. It pays for string-heavy rows used before the page is dropped.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// #[derive(serde::Deserialize)]
    /// struct Row<'a> { id: u64, #[serde(borrow)] name: std::borrow::Cow<'a, str> }
    ///
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let raw = directus.collection("products").limit(500).read_raw()?;
    /// for row in raw.parse_borrowed::<Row<'_>>()?.items() {
    ///     println!("{} {}", row.id, row.name);
    /// }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read_raw(&self) -> crate::Result<RawPage> {
        self.client()
            .run(self.items().read_raw(self.client().base_url())?)
    }
}

/// Runs a streamed read's call; answers the unread body of its success as an [`ItemStream`].
fn open<U: DeserializeOwned>(
    client: &Directus,
    op: directus_proto::Operation<()>,
) -> crate::Result<ItemStream<U>> {
    let mut opened = None;
    let call = client.session_state().call(op);
    client.drive_with(call, |transport, request| {
        let response = transport.open_stream(request)?;
        if response.status().is_success() {
            // Keep the unread body for after the call; the call sees the head.
            let (parts, body) = response.into_parts();
            opened = Some((parts.status, body));
            Ok(http::Response::from_parts(parts, Bytes::new()))
        } else {
            // An error answer: read it whole and let the call decide (refresh, retry, error).
            transport.read_answer(response)
        }
    })?;
    let (status, body) =
        opened.ok_or_else(|| Error::InvalidInput("the streamed read got no answer".into()))?;
    let limit =
        usize::try_from(client.transport().config().body_limit_bytes()).unwrap_or(usize::MAX);
    Ok(ItemStream {
        body: Some(body.into_reader()),
        decoder: ItemDecoder::new(status).max_item_bytes(limit),
        chunk: vec![0; CHUNK],
    })
}
