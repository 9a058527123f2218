//! Streaming reads: [`ItemDecoder`], a push parser that yields the items of a list answer
//! (`{"data":[...]}`) one by one while its bytes arrive, so a read of any size runs in memory
//! bounded by its largest item.
//!
//! The driver opens the request ([`Items::read_stream`](crate::Items::read_stream)), reads the body in
//! chunks of its choosing, and alternates [`ItemDecoder::feed`] with [`ItemDecoder::next`]:
//!
//! ```
//! use directus_proto::stream::{ItemDecoder, Next};
//! use http::StatusCode;
//!
//! let body = br#"{"data":[{"id":1},{"id":2}],"meta":{"filter_count":2}}"#;
//! let mut decoder = ItemDecoder::<serde_json::Value>::new(StatusCode::OK);
//! let mut chunks = body.chunks(5);
//! let mut ids = Vec::new();
//! loop {
//!     match decoder.next()? {
//!         Next::Item(item) => ids.push(item["id"].as_u64().unwrap()),
//!         Next::NeedMore => match chunks.next() {
//!             Some(chunk) => decoder.feed(chunk),
//!             None => decoder.end(),
//!         },
//!         Next::End => break,
//!     }
//! }
//! assert_eq!(ids, [1, 2]);
//! assert_eq!(decoder.meta().unwrap().filter_count, Some(2));
//! # Ok::<(), directus_proto::Error>(())
//! ```
//!
//! What the decoder holds is bounded: the chunk being read, the bytes of one item (at most
//! [`ItemDecoder::max_item_bytes`], 32 MiB by default: the body limit of a buffered read), and
//! one byte per nesting level (at most [`ItemDecoder::max_depth`], [`MAX_ITEM_DEPTH`] by
//! default). Past either limit the stream ends with a [`StreamError`]; so does an answer that
//! is not a list envelope or ends early. Nothing recurses: the scanner keeps its nesting in a
//! bounded stack, and serde_json decodes each item with its own recursion limit.

use std::fmt;
use std::marker::PhantomData;

use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error, excerpt};
use crate::response::Meta;

/// The deepest nesting of objects and arrays an item may have (the deepest serde_json reads
/// with its recursion limit of 128): a deeper item ends the stream with
/// [`StreamErrorKind::TooDeep`].
///
/// ```
/// use directus_proto::stream::{ItemDecoder, MAX_ITEM_DEPTH, Next};
/// let deep = format!("{{\"data\":[{}{}]}}", "[".repeat(MAX_ITEM_DEPTH), "]".repeat(MAX_ITEM_DEPTH));
/// let mut decoder = ItemDecoder::<serde_json::Value>::new(http::StatusCode::OK);
/// decoder.feed(deep.as_bytes());
/// assert!(matches!(decoder.next(), Ok(Next::Item(_))));
/// let deeper = format!("{{\"data\":[{}]}}", "[".repeat(MAX_ITEM_DEPTH + 1));
/// let mut decoder = ItemDecoder::<serde_json::Value>::new(http::StatusCode::OK);
/// decoder.feed(deeper.as_bytes());
/// assert!(decoder.next().unwrap_err().stream().is_some());
/// ```
pub const MAX_ITEM_DEPTH: usize = 127;

/// The default largest item, in bytes: the default body limit of a buffered read
/// ([`Config::body_limit_bytes`](crate::Config::body_limit_bytes)).
///
/// ```
/// use directus_proto::{Config, stream::MAX_ITEM_BYTES};
/// assert_eq!(MAX_ITEM_BYTES as u64, Config::default().body_limit_bytes());
/// ```
pub const MAX_ITEM_BYTES: usize = 32 * 1024 * 1024;

/// The longest object key the envelope scanner keeps (`errors` is the longest it looks for).
const MAX_KEY: usize = 16;

/// A buffer grown past this for one big item is given back after it.
const KEEP_CAPACITY: usize = 1024 * 1024;

/// Why a streamed answer could not be read.
///
/// ```
/// use directus_proto::stream::{StreamError, StreamErrorKind};
/// # fn check(error: &StreamError) {
/// if error.kind() == StreamErrorKind::ItemTooLarge {
///     eprintln!("raise the body limit: {error}");
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("streamed answer (HTTP {status}): {message}")]
pub struct StreamError {
    kind: StreamErrorKind,
    status: StatusCode,
    message: String,
}

/// The kinds of [`StreamError`].
///
/// ```
/// use directus_proto::stream::StreamErrorKind;
/// assert_ne!(StreamErrorKind::TooDeep, StreamErrorKind::Truncated);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// An item (or the answer's `meta` or `errors`) is larger than the per-item limit.
    ItemTooLarge,
    /// An item nests objects and arrays deeper than the depth limit.
    TooDeep,
    /// The answer is not a `{"data":[...]}` envelope (or its JSON is broken).
    Malformed,
    /// The answer ended before its envelope did.
    Truncated,
}

impl StreamError {
    fn new(kind: StreamErrorKind, status: StatusCode, message: impl Into<String>) -> Self {
        StreamError {
            kind,
            status,
            message: message.into(),
        }
    }

    /// What went wrong.
    ///
    /// ```
    /// use directus_proto::stream::{ItemDecoder, Next, StreamErrorKind};
    /// let mut decoder = ItemDecoder::<serde_json::Value>::new(http::StatusCode::OK);
    /// decoder.feed(br#"{"data":[1,"#);
    /// decoder.end();
    /// assert!(matches!(decoder.next(), Ok(Next::Item(_))));
    /// let error = decoder.next().unwrap_err();
    /// assert_eq!(error.stream().unwrap().kind(), StreamErrorKind::Truncated);
    /// ```
    pub fn kind(&self) -> StreamErrorKind {
        self.kind
    }

    /// The HTTP status of the answer.
    ///
    /// ```
    /// use directus_proto::stream::ItemDecoder;
    /// let mut decoder = ItemDecoder::<serde_json::Value>::new(http::StatusCode::OK);
    /// decoder.feed(b"[]");
    /// assert_eq!(decoder.next().unwrap_err().stream().unwrap().status(), 200);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// What [`ItemDecoder::next`] found.
///
/// ```
/// use directus_proto::stream::{ItemDecoder, Next};
/// let mut decoder = ItemDecoder::<u32>::new(http::StatusCode::OK);
/// assert!(matches!(decoder.next(), Ok(Next::NeedMore)));
/// decoder.feed(br#"{"data":[7]}"#);
/// assert!(matches!(decoder.next(), Ok(Next::Item(7))));
/// assert!(matches!(decoder.next(), Ok(Next::NeedMore)));
/// decoder.end();
/// assert!(matches!(decoder.next(), Ok(Next::End)));
/// ```
#[derive(Debug, PartialEq)]
pub enum Next<T> {
    /// The next item.
    Item(T),
    /// Every byte fed so far is read: feed the next chunk, or call [`ItemDecoder::end`].
    NeedMore,
    /// The answer is complete; nothing more will come (also after an error).
    End,
}

/// Where the envelope scanner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    Start,
    /// Expecting a key (or, when `first`, the closing `}`).
    Key { first: bool },
    /// Inside a key.
    KeyText,
    /// After a key.
    Colon,
    /// Expecting the value of the key just read.
    Value,
    /// In `data`'s list, expecting an item (or, when `first`, the closing `]`).
    Items { first: bool },
    /// After an item: `,` or `]`.
    AfterItem,
    /// Inside a value.
    InValue(Target),
    /// After a value of the envelope: `,` or `}`.
    AfterValue,
    /// After the closing `}`: only white space may follow.
    Done,
}

/// What the value being scanned is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Item,
    Meta,
    Errors,
    /// Another key's value: scanned, not kept.
    Skip,
}

impl Target {
    fn kept(self) -> bool {
        self != Target::Skip
    }
}

/// The scanner of one JSON value: finds where it ends without parsing it (serde_json does).
#[derive(Debug, Default)]
struct Scan {
    /// The closing bracket of each open object or array.
    stack: Vec<u8>,
    begun: bool,
    in_string: bool,
    escaped: bool,
    scalar: bool,
}

/// A push parser of a list answer's items: fed byte chunks, it yields complete items of
/// `{"data":[...]}` decoded into `T`, keeps the `meta`, and turns an `errors` list into
/// [`Error::Api`]. See the [module documentation](self) for the loop a driver runs.
///
/// ```
/// use directus_proto::stream::{ItemDecoder, Next};
/// let mut decoder = ItemDecoder::<String>::new(http::StatusCode::OK).max_item_bytes(64);
/// decoder.feed(br#"{"data":["a]\"b"]}"#);
/// assert_eq!(decoder.next().unwrap(), Next::Item("a]\"b".to_owned()));
/// ```
pub struct ItemDecoder<T> {
    status: StatusCode,
    max_item: usize,
    max_depth: usize,
    /// The chunk being read, and how far.
    input: Vec<u8>,
    pos: usize,
    /// Bytes read before this chunk.
    offset: u64,
    state: State,
    key: Vec<u8>,
    key_unknown: bool,
    key_escaped: bool,
    scan: Scan,
    /// Where the current value begins in `input` (0 when it began in an earlier chunk).
    start: usize,
    /// The current value's bytes from earlier chunks.
    carried: Vec<u8>,
    meta: Option<Meta>,
    ended: bool,
    finished: bool,
    model: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ItemDecoder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The bytes are the server's data: only sizes and positions are shown.
        f.debug_struct("ItemDecoder")
            .field("status", &self.status)
            .field("max_item", &self.max_item)
            .field("max_depth", &self.max_depth)
            .field("read", &self.offset.saturating_add(self.pos as u64))
            .field("state", &self.state)
            .field("carried", &self.carried.len())
            .field("finished", &self.finished)
            .finish()
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<T: DeserializeOwned> ItemDecoder<T> {
    /// A decoder of the body of a success answer with `status`, with the default limits.
    ///
    /// ```
    /// use directus_proto::stream::ItemDecoder;
    /// let decoder = ItemDecoder::<serde_json::Value>::new(http::StatusCode::OK);
    /// assert_eq!(decoder.read_bytes(), 0);
    /// ```
    pub fn new(status: StatusCode) -> Self {
        ItemDecoder {
            status,
            max_item: MAX_ITEM_BYTES,
            max_depth: MAX_ITEM_DEPTH,
            input: Vec::new(),
            pos: 0,
            offset: 0,
            state: State::Start,
            key: Vec::with_capacity(MAX_KEY),
            key_unknown: false,
            key_escaped: false,
            scan: Scan::default(),
            start: 0,
            carried: Vec::new(),
            meta: None,
            ended: false,
            finished: false,
            model: PhantomData,
        }
    }

    /// Sets the largest item (or `meta`, or `errors` list) in bytes; a larger one ends the
    /// stream with [`StreamErrorKind::ItemTooLarge`]. Drivers pass their body limit.
    ///
    /// ```
    /// use directus_proto::stream::{ItemDecoder, StreamErrorKind};
    /// let mut decoder = ItemDecoder::<String>::new(http::StatusCode::OK).max_item_bytes(4);
    /// decoder.feed(br#"{"data":["too long"]}"#);
    /// let error = decoder.next().unwrap_err();
    /// assert_eq!(error.stream().unwrap().kind(), StreamErrorKind::ItemTooLarge);
    /// ```
    pub fn max_item_bytes(mut self, bytes: usize) -> Self {
        self.max_item = bytes;
        self
    }

    /// Sets the deepest nesting an item may have (at most [`MAX_ITEM_DEPTH`]; more is
    /// lowered to it).
    ///
    /// ```
    /// use directus_proto::stream::{ItemDecoder, StreamErrorKind};
    /// let mut decoder = ItemDecoder::<serde_json::Value>::new(http::StatusCode::OK).max_depth(2);
    /// decoder.feed(br#"{"data":[[[[1]]]]}"#);
    /// assert_eq!(decoder.next().unwrap_err().stream().unwrap().kind(), StreamErrorKind::TooDeep);
    /// ```
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.min(MAX_ITEM_DEPTH);
        self
    }

    /// Gives the next chunk of the body. Feed after [`Next::NeedMore`] only: the decoder then
    /// holds no unread bytes, so it never holds more than one chunk.
    ///
    /// ```
    /// use directus_proto::stream::{ItemDecoder, Next};
    /// let mut decoder = ItemDecoder::<u8>::new(http::StatusCode::OK);
    /// decoder.feed(br#"{"data":[1"#);
    /// assert_eq!(decoder.next().unwrap(), Next::NeedMore);
    /// decoder.feed(b"2]}");
    /// assert_eq!(decoder.next().unwrap(), Next::Item(12));
    /// ```
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.pos > 0 {
            self.offset = self.offset.saturating_add(self.pos as u64);
            self.input.drain(..self.pos);
            self.pos = 0;
        }
        self.input.extend_from_slice(chunk);
    }

    /// Says the body is complete: [`next`](Self::next) answers the remaining items, then
    /// [`Next::End`] (or [`StreamErrorKind::Truncated`] when the envelope is not closed).
    ///
    /// ```
    /// use directus_proto::stream::{ItemDecoder, Next};
    /// let mut decoder = ItemDecoder::<u8>::new(http::StatusCode::OK);
    /// decoder.feed(br#"{"data":[]}"#);
    /// decoder.end();
    /// assert_eq!(decoder.next().unwrap(), Next::End);
    /// ```
    pub fn end(&mut self) {
        self.ended = true;
    }

    /// The answer's `meta` (counts asked for with [`Query::meta`](crate::Query::meta)), once
    /// read: Directus sends it after the items, so it is there when the stream has ended.
    ///
    /// ```
    /// use directus_proto::stream::ItemDecoder;
    /// let mut decoder = ItemDecoder::<u8>::new(http::StatusCode::OK);
    /// decoder.feed(br#"{"meta":{"total_count":3},"data":[]}"#);
    /// decoder.end();
    /// decoder.next().unwrap();
    /// assert_eq!(decoder.meta().unwrap().total_count, Some(3));
    /// ```
    pub fn meta(&self) -> Option<Meta> {
        self.meta
    }

    /// The bytes of the body read so far.
    ///
    /// ```
    /// use directus_proto::stream::ItemDecoder;
    /// let mut decoder = ItemDecoder::<u8>::new(http::StatusCode::OK);
    /// decoder.feed(br#"{"data":[1,2]}"#);
    /// decoder.next().unwrap();
    /// assert_eq!(decoder.read_bytes(), 10);
    /// ```
    pub fn read_bytes(&self) -> u64 {
        self.offset.saturating_add(self.pos as u64)
    }

    /// The next item, [`Next::NeedMore`] when the bytes fed so far hold no complete item, or
    /// [`Next::End`]. An error ends the stream: every later call answers [`Next::End`].
    ///
    /// An item that does not decode into `T` is an [`Error::Decode`] quoting its first bytes;
    /// an `errors` list in the answer is the [`Error::Api`] it describes; a broken envelope
    /// is an [`Error::Stream`].
    ///
    /// ```
    /// use directus_proto::{ErrorCode, stream::ItemDecoder};
    /// let mut decoder = ItemDecoder::<u8>::new(http::StatusCode::OK);
    /// decoder.feed(br#"{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}"#);
    /// let error = decoder.next().unwrap_err();
    /// assert_eq!(error.api().unwrap().code(), &ErrorCode::Forbidden);
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Next<T>, Error> {
        if self.finished {
            return Ok(Next::End);
        }
        let result = self.advance();
        if !matches!(result, Ok(Next::Item(_)) | Ok(Next::NeedMore)) {
            self.finished = true;
            self.input = Vec::new();
            self.carried = Vec::new();
            self.scan.stack = Vec::new();
        }
        result
    }

    fn advance(&mut self) -> Result<Next<T>, Error> {
        loop {
            let Some((target, end)) = self.scan_envelope()? else {
                if !self.ended {
                    return Ok(Next::NeedMore);
                }
                if self.state == State::Done {
                    return Ok(Next::End);
                }
                return Err(self.fail(
                    StreamErrorKind::Truncated,
                    "the answer ended before its list did",
                ));
            };
            let start = self.start;
            if self.carried.len().saturating_add(end - start) > self.max_item {
                return Err(self.too_large());
            }
            let bytes: &[u8] = if self.carried.is_empty() {
                &self.input[start..end]
            } else {
                self.carried.extend_from_slice(&self.input[start..end]);
                &self.carried
            };
            let decoded = match target {
                Target::Item => {
                    Some(
                        serde_json::from_slice::<T>(bytes).map_err(|source| Error::Decode {
                            status: self.status,
                            excerpt: excerpt(bytes),
                            source,
                        }),
                    )
                }
                Target::Meta if bytes == b"null" => None,
                Target::Meta => {
                    match serde_json::from_slice::<Meta>(bytes) {
                        Ok(meta) => self.meta = Some(meta),
                        Err(source) => {
                            return Err(Error::Decode {
                                status: self.status,
                                excerpt: excerpt(bytes),
                                source,
                            });
                        }
                    }
                    None
                }
                Target::Errors => {
                    let mut envelope = Vec::with_capacity(bytes.len() + 12);
                    envelope.extend_from_slice(b"{\"errors\":");
                    envelope.extend_from_slice(bytes);
                    envelope.push(b'}');
                    // A 2xx answer carrying errors is still an error: never read as a success.
                    let status = if self.status.is_success() {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        self.status
                    };
                    return Err(ApiError::from_body(status, &envelope).into());
                }
                Target::Skip => None,
            };
            self.release();
            match decoded {
                Some(Ok(item)) => return Ok(Next::Item(item)),
                Some(Err(error)) => return Err(error),
                None => continue,
            }
        }
    }

    /// Drops the finished value's carried bytes (and a buffer grown for one big item).
    fn release(&mut self) {
        if self.carried.capacity() > KEEP_CAPACITY {
            self.carried = Vec::new();
        } else {
            self.carried.clear();
        }
    }

    fn fail(&self, kind: StreamErrorKind, message: impl Into<String>) -> Error {
        StreamError::new(kind, self.status, message).into()
    }

    fn too_large(&self) -> Error {
        self.fail(
            StreamErrorKind::ItemTooLarge,
            format!(
                "an item is larger than the limit of {} bytes (at byte {})",
                self.max_item,
                self.read_bytes()
            ),
        )
    }

    fn unexpected(&self, expected: &str) -> Error {
        let found = self.input.get(self.pos).copied().unwrap_or(b' ');
        let found = if found.is_ascii_graphic() {
            format!("{:?}", found as char)
        } else {
            format!("byte 0x{found:02x}")
        };
        self.fail(
            StreamErrorKind::Malformed,
            format!(
                "expected {expected} at byte {}, found {found}",
                self.read_bytes()
            ),
        )
    }

    /// Reads the envelope until a kept value ends (answering its kind and end in `input`) or
    /// the input is used up (`None`; the current value's bytes are then carried over).
    fn scan_envelope(&mut self) -> Result<Option<(Target, usize)>, Error> {
        while self.pos < self.input.len() {
            let b = self.input[self.pos];
            let outside_value = !matches!(self.state, State::InValue(_) | State::KeyText);
            if outside_value && is_space(b) {
                self.pos += 1;
                continue;
            }
            match self.state {
                State::Start => {
                    if b != b'{' {
                        return Err(self.unexpected("a JSON object (`{\"data\":[...]}`)"));
                    }
                    self.state = State::Key { first: true };
                }
                State::Key { first } => match b {
                    b'}' if first => self.state = State::Done,
                    b'"' => {
                        self.key.clear();
                        self.key_unknown = false;
                        self.key_escaped = false;
                        self.state = State::KeyText;
                    }
                    _ => return Err(self.unexpected("a key")),
                },
                State::KeyText => {
                    if self.key_escaped {
                        self.key_escaped = false;
                        self.key_unknown = true;
                    } else if b == b'\\' {
                        self.key_escaped = true;
                    } else if b == b'"' {
                        self.state = State::Colon;
                    } else if self.key.len() < MAX_KEY {
                        self.key.push(b);
                    } else {
                        self.key_unknown = true;
                    }
                }
                State::Colon => {
                    if b != b':' {
                        return Err(self.unexpected("`:`"));
                    }
                    self.state = State::Value;
                }
                State::Value => {
                    let key: &[u8] = if self.key_unknown { b"" } else { &self.key };
                    let target = match key {
                        b"data" => {
                            if b != b'[' {
                                return Err(self.unexpected("a list of items in `data`"));
                            }
                            self.state = State::Items { first: true };
                            self.pos += 1;
                            continue;
                        }
                        b"meta" => Target::Meta,
                        b"errors" => Target::Errors,
                        _ => Target::Skip,
                    };
                    self.begin_value(target);
                    continue;
                }
                State::Items { first } => {
                    if b == b']' && first {
                        self.state = State::AfterValue;
                    } else {
                        self.begin_value(Target::Item);
                        continue;
                    }
                }
                State::AfterItem => match b {
                    b',' => self.state = State::Items { first: false },
                    b']' => self.state = State::AfterValue,
                    _ => return Err(self.unexpected("`,` or `]` after an item")),
                },
                State::AfterValue => match b {
                    b',' => self.state = State::Key { first: false },
                    b'}' => self.state = State::Done,
                    _ => return Err(self.unexpected("`,` or `}`")),
                },
                State::InValue(target) => {
                    if let Some(end) = self.scan_value()? {
                        self.pos = end;
                        self.state = if target == Target::Item {
                            State::AfterItem
                        } else {
                            State::AfterValue
                        };
                        if target.kept() {
                            return Ok(Some((target, end)));
                        }
                    }
                    continue;
                }
                State::Done => return Err(self.unexpected("the end of the answer")),
            }
            self.pos += 1;
        }
        // The chunk is used up: carry the current value's bytes over, within the limit.
        if let State::InValue(target) = self.state {
            if target.kept() {
                let tail = &self.input[self.start.min(self.input.len())..];
                if self.carried.len().saturating_add(tail.len()) > self.max_item {
                    return Err(self.too_large());
                }
                self.carried.extend_from_slice(tail);
            }
            self.start = 0;
        }
        self.offset = self.offset.saturating_add(self.input.len() as u64);
        self.input.clear();
        self.pos = 0;
        Ok(None)
    }

    fn begin_value(&mut self, target: Target) {
        self.state = State::InValue(target);
        self.start = self.pos;
        self.scan.stack.clear();
        self.scan.begun = false;
        self.scan.in_string = false;
        self.scan.escaped = false;
        self.scan.scalar = false;
    }

    /// Scans the current value from `pos`: `Some(end)` (exclusive) when it ends in this chunk;
    /// otherwise `pos` is left at the end of the input.
    fn scan_value(&mut self) -> Result<Option<usize>, Error> {
        let len = self.input.len();
        let mut i = self.pos;
        while i < len {
            let scan = &mut self.scan;
            if scan.in_string {
                if scan.escaped {
                    scan.escaped = false;
                    i += 1;
                    continue;
                }
                match self.input[i..]
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\')
                {
                    None => i = len,
                    Some(k) => {
                        i += k;
                        if self.input[i] == b'\\' {
                            scan.escaped = true;
                        } else {
                            scan.in_string = false;
                            if scan.stack.is_empty() {
                                return Ok(Some(i + 1));
                            }
                        }
                        i += 1;
                    }
                }
                continue;
            }
            let b = self.input[i];
            if scan.scalar {
                if matches!(b, b',' | b']' | b'}') || is_space(b) {
                    return Ok(Some(i));
                }
                i += 1;
                continue;
            }
            let first = !scan.begun;
            scan.begun = true;
            match b {
                b'"' => scan.in_string = true,
                b'{' | b'[' => {
                    if scan.stack.len() >= self.max_depth {
                        self.pos = i;
                        return Err(self.fail(
                            StreamErrorKind::TooDeep,
                            format!(
                                "an item nests deeper than {} levels (at byte {})",
                                self.max_depth,
                                self.read_bytes()
                            ),
                        ));
                    }
                    scan.stack.push(if b == b'{' { b'}' } else { b']' });
                }
                b'}' | b']' => {
                    if scan.stack.pop() != Some(b) {
                        self.pos = i;
                        return Err(self.unexpected("a value or a matching bracket"));
                    }
                    if scan.stack.is_empty() {
                        return Ok(Some(i + 1));
                    }
                }
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' if first => scan.scalar = true,
                _ if first => {
                    self.pos = i;
                    return Err(self.unexpected("a JSON value"));
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = len;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::{Value, json};

    /// Decodes `body` fed in `chunks` of at most `size` bytes (every byte boundary when 1).
    fn decode_in<T: DeserializeOwned>(
        body: &[u8],
        size: usize,
    ) -> (Vec<T>, Result<(), Error>, Option<Meta>) {
        let mut decoder = ItemDecoder::<T>::new(StatusCode::OK).max_item_bytes(1 << 20);
        let mut chunks = body.chunks(size.max(1));
        let mut items = Vec::new();
        let mut turns = 0usize;
        loop {
            turns += 1;
            assert!(
                turns < 10 * body.len() + 100,
                "the decoder does not progress"
            );
            match decoder.next() {
                Ok(Next::Item(item)) => items.push(item),
                Ok(Next::NeedMore) => match chunks.next() {
                    Some(chunk) => decoder.feed(chunk),
                    None => decoder.end(),
                },
                Ok(Next::End) => return (items, Ok(()), decoder.meta()),
                Err(error) => {
                    assert!(matches!(decoder.next(), Ok(Next::End)));
                    return (items, Err(error), decoder.meta());
                }
            }
        }
    }

    fn kind(result: Result<(), Error>) -> StreamErrorKind {
        match result {
            Err(Error::Stream(error)) => error.kind(),
            other => panic!("expected a stream error, got {other:?}"),
        }
    }

    const TRICKY: &str = r#" {"meta":null, "data" : [ {"id":1,"s":"a]}\"[{\\","n":[1,[2,{"x":null}]]}, 2 ,-3.5e2,"str]",true,false,null,[],{},
        {"u":"\u00e9\ud83d\ude00"} ] , "meta":{"filter_count":"7","total_count":9}, "other":{"k":[1,"]"]} }  "#;

    #[test]
    fn every_split_of_a_tricky_answer_decodes_as_serde_json_does() {
        let whole: Value = serde_json::from_str(TRICKY).unwrap();
        let expected = whole["data"].as_array().unwrap().clone();
        for size in 1..TRICKY.len() + 1 {
            let (items, end, meta) = decode_in::<Value>(TRICKY.as_bytes(), size);
            end.unwrap();
            assert_eq!(items, expected, "chunks of {size}");
            assert_eq!(meta.unwrap().filter_count, Some(7), "the later meta");
        }
    }

    #[test]
    fn typed_items_and_meta_first() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Row {
            id: u32,
            name: String,
        }
        let body =
            br#"{"meta":{"total_count":2},"data":[{"id":1,"name":"a"},{"id":2,"name":"b\"]"}]}"#;
        let (rows, end, meta) = decode_in::<Row>(body, 3);
        end.unwrap();
        assert_eq!(rows[1].name, "b\"]");
        assert_eq!(meta.unwrap().total_count, Some(2));
    }

    #[test]
    fn an_item_of_the_wrong_shape_is_a_decode_error_after_the_good_ones() {
        let (items, end, _) = decode_in::<u32>(br#"{"data":[1,2,"x",4]}"#, 2);
        assert_eq!(items, [1, 2]);
        assert!(matches!(end, Err(Error::Decode { .. })));
    }

    #[test]
    fn an_errors_answer_is_the_api_error() {
        let body = br#"{"errors":[{"message":"You don't have permission","extensions":{"code":"FORBIDDEN"}}]}"#;
        for size in [1, 7, body.len()] {
            let (items, end, _) = decode_in::<Value>(body, size);
            assert!(items.is_empty());
            let Err(Error::Api(api)) = end else {
                panic!("{end:?}")
            };
            assert_eq!(api.code(), &crate::ErrorCode::Forbidden);
        }
    }

    #[test]
    fn hostile_answers_are_typed_errors() {
        use StreamErrorKind as K;
        let cases: Vec<(Vec<u8>, K)> = vec![
            (b"".to_vec(), K::Truncated),
            (br#"{"data":[1,2"#.to_vec(), K::Truncated),
            (br#"{"data":[{"a":"unterminated"#.to_vec(), K::Truncated),
            (br#"{"data":[1]"#.to_vec(), K::Truncated),
            (br#"{"data":[1,]}"#.to_vec(), K::Malformed),
            (br#"{"data":[{]}"#.to_vec(), K::Malformed),
            (br#"{"data":[[}]}"#.to_vec(), K::Malformed),
            (br#"{"data":{"id":1}}"#.to_vec(), K::Malformed),
            (br#"{"data":[1]}x"#.to_vec(), K::Malformed),
            (br#"{"data":[@]}"#.to_vec(), K::Malformed),
            (b"[1,2]".to_vec(), K::Malformed),
            (b"<html>".to_vec(), K::Malformed),
            (br#"{"data"[1]}"#.to_vec(), K::Malformed),
        ];
        for (body, expected) in cases {
            for size in [1, 3, body.len().max(1)] {
                let (_, end, _) = decode_in::<Value>(&body, size);
                assert_eq!(kind(end), expected, "{:?}", String::from_utf8_lossy(&body));
            }
        }
    }

    #[test]
    fn a_million_levels_of_nesting_stop_at_the_depth_limit() {
        let mut body = b"{\"data\":[".to_vec();
        body.extend(std::iter::repeat_n(b'[', 1_000_000));
        let (_, end, _) = decode_in::<Value>(&body, 64 * 1024);
        assert_eq!(kind(end), StreamErrorKind::TooDeep);
        // In a skipped value too.
        let mut body = b"{\"other\":".to_vec();
        body.extend(std::iter::repeat_n(b'{', 1_000_000));
        let (_, end, _) = decode_in::<Value>(&body, 4096);
        assert_eq!(kind(end), StreamErrorKind::TooDeep);
    }

    #[test]
    fn a_huge_string_stops_at_the_item_limit_without_being_held() {
        let mut decoder = ItemDecoder::<Value>::new(StatusCode::OK).max_item_bytes(1 << 20);
        decoder.feed(b"{\"data\":[\"");
        let chunk = vec![b'a'; 64 * 1024];
        let mut fed = 0usize;
        let error = loop {
            match decoder.next() {
                Ok(Next::NeedMore) => {
                    decoder.feed(&chunk);
                    fed += chunk.len();
                    assert!(fed < 4 << 20, "the limit did not stop the string");
                }
                Err(error) => break error,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            error.stream().unwrap().kind(),
            StreamErrorKind::ItemTooLarge
        );
        // Same for a huge `meta`; a huge skipped value is read past without being kept.
        let mut decoder = ItemDecoder::<Value>::new(StatusCode::OK).max_item_bytes(16);
        decoder.feed(br#"{"other":"0123456789012345678901234567890","data":[1]}"#);
        assert_eq!(decoder.next().unwrap(), Next::Item(json!(1)));
        let mut decoder = ItemDecoder::<Value>::new(StatusCode::OK).max_item_bytes(16);
        decoder.feed(br#"{"meta":{"total_count":1000000000000000000000}}"#);
        assert_eq!(
            decoder.next().unwrap_err().stream().unwrap().kind(),
            StreamErrorKind::ItemTooLarge
        );
    }

    #[test]
    fn the_carried_buffer_is_given_back_after_a_big_item() {
        let big = "x".repeat(2 * KEEP_CAPACITY);
        let body = format!(r#"{{"data":["{big}",1]}}"#);
        let mut decoder = ItemDecoder::<Value>::new(StatusCode::OK);
        let mut chunks = body.as_bytes().chunks(4096);
        let mut seen = 0;
        while seen < 2 {
            match decoder.next().unwrap() {
                Next::Item(_) => {
                    seen += 1;
                    assert!(decoder.carried.capacity() <= KEEP_CAPACITY);
                }
                Next::NeedMore => decoder.feed(chunks.next().unwrap()),
                Next::End => panic!("ended early"),
            }
        }
    }

    #[test]
    fn the_streamed_read_sends_what_the_read_sends_and_is_never_cached() {
        use crate::{BaseUrl, F, Items, Query};
        let base = BaseUrl::parse("http://localhost:8055").unwrap();
        let long: Vec<String> = (0..2000).map(|i| format!("name-{i}")).collect();
        for query in [
            Query::new().no_limit().fields(["id", "n"]),
            Query::new().filter(F::in_("name", long)),
        ] {
            let items = Items::<Value>::new("rows").with_query(query);
            let (read, streamed) = (
                items.read(&base).unwrap(),
                items.read_stream(&base).unwrap(),
            );
            let (a, b) = (read.request(), streamed.request());
            assert_eq!(
                (a.method(), a.uri(), a.headers()),
                (b.method(), b.uri(), b.headers())
            );
            assert_eq!(a.body(), b.body());
            assert!(streamed.is_read() && streamed.may_repeat());
            assert_eq!(
                streamed.collection(),
                None,
                "kept out of the response cache"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any list of JSON values, split anywhere, decodes as serde_json decodes the whole.
        #[test]
        fn splits_never_change_the_items(
            values in proptest::collection::vec(arb_json(), 0..8),
            size in 1usize..40,
            spaced in any::<bool>(),
        ) {
            let body = if spaced {
                serde_json::to_string_pretty(&json!({"data": values, "meta": {"filter_count": 1}})).unwrap()
            } else {
                serde_json::to_string(&json!({"data": values})).unwrap()
            };
            let whole: Value = serde_json::from_str(&body).unwrap();
            let (items, end, _) = decode_in::<Value>(body.as_bytes(), size);
            prop_assert!(end.is_ok(), "{:?}", end);
            prop_assert_eq!(&Value::from(items), &whole["data"]);
        }

        /// Arbitrary bytes never panic and always end (an error or the end).
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256), size in 1usize..16) {
            let _ = decode_in::<Value>(&body, size);
            let mut prefixed = br#"{"data":["#.to_vec();
            prefixed.extend(&body);
            let _ = decode_in::<Value>(&prefixed, size);
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e9f64..1e9).prop_map(Value::from),
            "[a-z\\[\\]{}\",:\\\\ é\u{1F600}\n]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
                proptest::collection::btree_map("[a-z\\]\"]{0,5}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
