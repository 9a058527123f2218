//! Reads of any size: items decoded one by one while the answer arrives ([`ItemStream`]), and
//! pages kept raw to decode into borrowing types ([`RawPage`]).

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use directus_proto::stream::{ItemDecoder, Next};
use directus_proto::{Bytes, Error, Meta, Operation, RawPage};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::transport::ByteStream;
use crate::{Collection, Directus};

/// The items of a read, decoded one by one while the answer arrives: a
/// [`Stream`](futures_util::Stream) of `Result<T>`. Made by [`Collection::read_stream`].
///
/// Memory stays flat whatever the number of rows: the chunk the HTTP client handed over and
/// the bytes of the item being decoded. An item larger than the client's body limit
/// ([`Config::body_limit`](crate::Config::body_limit), 32 MiB by default) or nested deeper than
/// [`MAX_ITEM_DEPTH`](directus_proto::stream::MAX_ITEM_DEPTH) ends the stream with an
/// [`Error::Stream`]. A stream has no overall timeout (reading 200,000 rows takes what it
/// takes, and so may your loop body); each chunk must come within
/// [`Config::timeout`](crate::Config::timeout) of being asked for, so a stalled server still
/// fails it (the timer runs only while the stream is polled: a slow loop body is never cut).
///
/// A failure once items have been yielded (the connection drops, an item does not decode) is
/// the last item, an `Err`; the read is never sent again behind your back. Everything before the
/// body (token refresh after `TOKEN_EXPIRED`, retries of a failed connection, redirects) goes
/// as for every other read.
///
/// ```no_run
/// # use directus_async::Directus;
/// use futures_util::StreamExt;
/// # async fn demo(directus: Directus) -> directus_async::Result<()> {
/// let mut rows = directus.collection("events").no_limit().read_stream().await?;
/// let mut count = 0;
/// while let Some(row) = rows.next().await {
///     let row = row?;
///     count += 1;
/// }
/// println!("{count} rows, {} bytes", rows.read_bytes());
/// # Ok(())
/// # }
/// ```
pub struct ItemStream<T> {
    body: Option<ByteStream>,
    decoder: ItemDecoder<T>,
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
    /// Directus sends it after the items: it is there once the stream has ended.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// use futures_util::StreamExt;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let mut rows = directus.collection("events").no_limit().include_count().read_stream().await?;
    /// let n = rows.by_ref().count().await;
    /// assert_eq!(rows.meta().and_then(|m| m.filter_count), Some(n as u64));
    /// # Ok(())
    /// # }
    /// ```
    pub fn meta(&self) -> Option<Meta> {
        self.decoder.meta()
    }

    /// The bytes of the body read so far.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let rows = directus.collection("events").read_stream().await?;
    /// assert_eq!(rows.read_bytes(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_bytes(&self) -> u64 {
        self.decoder.read_bytes()
    }
}

impl<T: DeserializeOwned> Stream for ItemStream<T> {
    type Item = crate::Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.decoder.next() {
                Ok(Next::Item(item)) => return Poll::Ready(Some(Ok(item))),
                Ok(Next::End) => {
                    this.body = None;
                    return Poll::Ready(None);
                }
                Err(error) => {
                    this.body = None;
                    return Poll::Ready(Some(Err(error)));
                }
                Ok(Next::NeedMore) => {
                    let Some(body) = this.body.as_mut() else {
                        return Poll::Ready(None);
                    };
                    match body.poll_next_unpin(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(None) => this.decoder.end(),
                        Poll::Ready(Some(Ok(chunk))) => this.decoder.feed(&chunk),
                        Poll::Ready(Some(Err(error))) => {
                            // The last item: without a body, the next poll answers `None`.
                            this.body = None;
                            return Poll::Ready(Some(Err(error)));
                        }
                    }
                }
            }
        }
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
    /// is this `Err`. [`stream`](Collection::stream) pages instead, one request per page.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, Order};
    /// use futures_util::TryStreamExt;
    /// #[derive(serde::Deserialize)]
    /// struct Event { id: u64, kind: String }
    ///
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let mut events = directus.collection_as::<Event>("events").sort("id", Order::Asc).no_limit().read_stream().await?;
    /// while let Some(event) = events.try_next().await? {
    ///     println!("{} {}", event.id, event.kind);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_stream(&self) -> crate::Result<ItemStream<T>> {
        open(
            self.client(),
            self.items().read_stream(self.client().base_url())?,
        )
        .await
    }

    /// [`read_stream`](Collection::read_stream) with the items as JSON values, whatever `T` is.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// use futures_util::TryStreamExt;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let mut rows = directus.collection("events").no_limit().read_stream_values().await?;
    /// while let Some(row) = rows.try_next().await? {
    ///     println!("{}", row["id"]);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_stream_values(&self) -> crate::Result<ItemStream<Value>> {
        open(
            self.client(),
            self.items().read_stream(self.client().base_url())?,
        )
        .await
    }

    /// Reads the matching items and keeps the answer as its bytes, to decode into types that
    /// borrow from it ([`RawPage::parse_borrowed`]): one allocation per page instead of one per
    /// string field. It pays for string-heavy rows used before the page is dropped.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// #[derive(serde::Deserialize)]
    /// struct Row<'a> { id: u64, #[serde(borrow)] name: std::borrow::Cow<'a, str> }
    ///
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let raw = directus.collection("products").limit(500).read_raw().await?;
    /// for row in raw.parse_borrowed::<Row<'_>>()?.items() {
    ///     println!("{} {}", row.id, row.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_raw(&self) -> crate::Result<RawPage> {
        self.client()
            .run(self.items().read_raw(self.client().base_url())?)
            .await
    }
}

/// Runs a streamed read's call; answers the unread body of its success as an [`ItemStream`].
async fn open<U: DeserializeOwned>(
    client: &Directus,
    op: Operation<()>,
) -> crate::Result<ItemStream<U>> {
    let opened = Mutex::new(None);
    let inner = client.inner();
    let call = inner.session.call(op);
    inner
        .drive_with(call, |request, config| {
            let opened = &opened;
            async move {
                let response = inner.http.open(request, &config).await?;
                let (parts, body) = response.into_parts();
                if parts.status.is_success() {
                    // Keep the unread body for after the call; the call sees the head.
                    *opened.lock().unwrap_or_else(|p| p.into_inner()) = Some((parts.status, body));
                    Ok(http::Response::from_parts(parts, Bytes::new()))
                } else {
                    // An error answer: read it whole (within the body limit and the timeout)
                    // and let the call decide (refresh, retry, error).
                    let bytes = crate::transport::collect_limited(body, &config).await?;
                    Ok(http::Response::from_parts(parts, bytes))
                }
            }
        })
        .await?;
    let (status, body) = opened
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .ok_or_else(|| Error::InvalidInput("the streamed read got no answer".into()))?;
    let limit = usize::try_from(inner.config.body_limit_bytes()).unwrap_or(usize::MAX);
    Ok(ItemStream {
        body: Some(body),
        decoder: ItemDecoder::new(status).max_item_bytes(limit),
    })
}
