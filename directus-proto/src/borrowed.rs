//! Borrowed decoding: [`RawPage`] keeps a list answer's body and decodes it into types that
//! borrow from it (`&str`, `Cow<str>`, `&RawValue` fields with `#[serde(borrow)]`), so a page
//! costs one allocation for its body and one for its list, not one per string field.
//!
//! It pays when items have many string fields that you only look at (filter, compare, write
//! somewhere) before the page is dropped: decoding skips copying every string. It does not when
//! you keep the items beyond the page (they cannot outlive it), or for numbers and booleans
//! (nothing to copy). Strings with JSON escapes (`\"`, `\n`, `\u00e9`) cannot be borrowed as
//! `&str`: use `Cow<'a, str>` with `#[serde(borrow)]` for fields that may hold them (borrowed when
//! they can be, owned when they must).
//!
//! ```
//! use std::borrow::Cow;
//! use directus_proto::{Bytes, RawPage};
//!
//! #[derive(serde::Deserialize)]
//! struct Row<'a> {
//!     id: u32,
//!     #[serde(borrow)]
//!     name: Cow<'a, str>,
//!     #[serde(borrow)]
//!     sku: &'a str,
//! }
//!
//! let answer = http::Response::new(
//!     Bytes::from_static(br#"{"data":[{"id":1,"name":"pear","sku":"P-1"},{"id":2,"name":"caf\u00e9","sku":"C-2"}]}"#),
//! );
//! let raw = directus_proto::borrowed::raw_page(answer)?;
//! let page = raw.parse_borrowed::<Row<'_>>()?;
//! assert!(matches!(page.items()[0].name, Cow::Borrowed("pear")));
//! assert_eq!(page.items()[1].name, "café");
//! assert_eq!(page.items()[1].sku, "C-2");
//! # Ok::<(), directus_proto::Error>(())
//! ```

use bytes::Bytes;
use std::fmt;

use http::{Response, StatusCode};
use serde::Deserialize;

use crate::error::{Error, excerpt};
use crate::response::{self, Meta, Page};

/// A list answer kept as its bytes, to decode into types that borrow from it. See the
/// [module documentation](self) for when it pays.
///
/// ```
/// use directus_proto::{Bytes, RawPage};
/// let raw = RawPage::new(http::StatusCode::OK, Bytes::from_static(br#"{"data":["a","b"]}"#));
/// let page = raw.parse_borrowed::<&str>()?;
/// assert_eq!(page.items(), ["a", "b"]);
/// # Ok::<(), directus_proto::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RawPage {
    status: StatusCode,
    body: Bytes,
}

impl fmt::Debug for RawPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPage")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Vec<T>,
    #[serde(default)]
    meta: Option<Meta>,
}

impl RawPage {
    /// A raw page from the status and body of a success answer.
    ///
    /// ```
    /// use directus_proto::{Bytes, RawPage};
    /// let raw = RawPage::new(http::StatusCode::OK, Bytes::from_static(br#"{"data":[]}"#));
    /// assert_eq!(raw.body(), br#"{"data":[]}"#);
    /// ```
    pub fn new(status: StatusCode, body: Bytes) -> Self {
        RawPage { status, body }
    }

    /// Decodes the items into `T`, which may borrow from this page, and the `meta`.
    ///
    /// An answer of another shape is an [`Error::Decode`] quoting its first bytes (a `&str`
    /// field given a string with escapes is one too: use `Cow<str>` there).
    ///
    /// ```
    /// use directus_proto::{Bytes, RawPage};
    /// #[derive(serde::Deserialize)]
    /// struct Row<'a> { title: &'a str }
    /// let raw = RawPage::new(http::StatusCode::OK,
    ///     Bytes::from_static(br#"{"data":[{"title":"Hi"}],"meta":{"filter_count":1}}"#));
    /// let page = raw.parse_borrowed::<Row<'_>>()?;
    /// assert_eq!((page.items()[0].title, page.meta().filter_count), ("Hi", Some(1)));
    /// # Ok::<(), directus_proto::Error>(())
    /// ```
    pub fn parse_borrowed<'a, T: Deserialize<'a>>(&'a self) -> Result<Page<T>, Error> {
        let envelope: Envelope<T> =
            serde_json::from_slice(&self.body).map_err(|source| Error::Decode {
                status: self.status,
                excerpt: excerpt(&self.body),
                source,
            })?;
        Ok(Page::new(envelope.data, envelope.meta.unwrap_or_default()))
    }

    /// The HTTP status of the answer.
    ///
    /// ```
    /// # use directus_proto::{Bytes, RawPage};
    /// assert_eq!(RawPage::new(http::StatusCode::OK, Bytes::new()).status(), 200);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body as received.
    ///
    /// ```
    /// # use directus_proto::{Bytes, RawPage};
    /// assert!(RawPage::new(http::StatusCode::OK, Bytes::new()).body().is_empty());
    /// ```
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, given back.
    ///
    /// ```
    /// # use directus_proto::{Bytes, RawPage};
    /// assert_eq!(RawPage::new(http::StatusCode::OK, Bytes::from_static(b"{}")).into_body(), &b"{}"[..]);
    /// ```
    pub fn into_body(self) -> Bytes {
        self.body
    }
}

/// The parser of a read kept raw: a success answer as a [`RawPage`], else its typed error.
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::borrowed::raw_page;
/// let denied = http::Response::builder().status(403).body(Bytes::from_static(b"{}")).unwrap();
/// assert_eq!(raw_page(denied).unwrap_err().status().unwrap(), 403);
/// ```
pub fn raw_page(response: Response<Bytes>) -> Result<RawPage, Error> {
    let response = response::success(response)?;
    let status = response.status();
    Ok(RawPage::new(status, response.into_body()))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Row<'a> {
        id: u64,
        #[serde(borrow)]
        name: Cow<'a, str>,
        #[serde(borrow, default)]
        tag: Option<&'a str>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Owned {
        id: u64,
        name: String,
        tag: Option<String>,
    }

    const BODY: &[u8] = br#"{"data":[{"id":1,"name":"plain","tag":"t"},{"id":2,"name":"esc\"aped\n","tag":null},{"id":3,"name":"","extra":[1,{"a":2}]}],"meta":{"total_count":"3"}}"#;

    #[test]
    fn borrowed_items_equal_owned_ones_and_borrow_what_they_can() {
        let raw = raw_page(Response::new(Bytes::from_static(BODY))).unwrap();
        let page = raw.parse_borrowed::<Row<'_>>().unwrap();
        let owned = response::page::<Owned>(Response::new(Bytes::from_static(BODY))).unwrap();
        assert_eq!(page.meta(), owned.meta());
        assert_eq!(page.meta().total_count, Some(3));
        for (b, o) in page.items().iter().zip(owned.items()) {
            assert_eq!(b.id, o.id);
            assert_eq!(b.name, o.name);
            assert_eq!(b.tag.map(str::to_owned), o.tag);
        }
        assert!(matches!(page.items()[0].name, Cow::Borrowed("plain")));
        assert!(matches!(page.items()[1].name, Cow::Owned(_)));
        // The borrowed `&str` points into the page's body.
        let tag = page.items()[0].tag.unwrap();
        let body = raw.body().as_ptr_range();
        assert!(body.contains(&tag.as_ptr()));
    }

    #[test]
    fn a_str_given_an_escaped_string_is_a_decode_error() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Strict<'a> {
            name: &'a str,
        }
        let raw = RawPage::new(
            StatusCode::OK,
            Bytes::from_static(br#"{"data":[{"name":"a\nb"}]}"#),
        );
        assert!(matches!(
            raw.parse_borrowed::<Strict<'_>>(),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn hostile_bodies_are_errors_not_panics() {
        let deep = format!("{{\"data\":[{}]}}", "[".repeat(100_000));
        for body in [
            Bytes::from_static(b""),
            Bytes::from_static(b"<html>"),
            Bytes::from_static(br#"{"data":{}}"#),
            Bytes::from(deep),
        ] {
            let raw = RawPage::new(StatusCode::OK, body);
            assert!(raw.parse_borrowed::<&str>().is_err());
        }
    }
}
