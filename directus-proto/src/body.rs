//! [`Body`]: the bytes of a request this crate builds, never shown by `Debug`.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// The body of a request built by this crate.
///
/// A request body may hold a password (login), a refresh token (refresh, logout) or a user's
/// data, so its `Debug` shows only its length: `Debug` of an [`http::Request<Body>`], of a
/// [`Step::Send`](crate::Step::Send) or of an [`Operation`](crate::Operation) never prints
/// the bytes. Read them with [`Body::as_bytes`] (or through `Deref<Target = [u8]>`) and hand
/// them to an HTTP client with [`Body::into_bytes`].
///
/// It clones without copying its bytes: an [`Operation`](crate::Operation) keeps its request
/// to send it again (after a refresh, a retry, a redirect), and each attempt gets a clone.
///
/// ```
/// use directus_proto::Body;
///
/// let body = Body::from(br#"{"password":"hunter2"}"#.to_vec());
/// assert_eq!(format!("{body:?}"), "Body(22 bytes)");
/// assert_eq!(body, br#"{"password":"hunter2"}"#);
/// assert_eq!(body.len(), 22);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Body(Bytes);

impl Body {
    /// An empty body.
    ///
    /// ```
    /// # use directus_proto::Body;
    /// assert!(Body::empty().is_empty());
    /// ```
    pub fn empty() -> Self {
        Body(Bytes::new())
    }

    /// The bytes.
    ///
    /// ```
    /// # use directus_proto::Body;
    /// assert_eq!(Body::from(b"ab".to_vec()).as_bytes(), b"ab");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, to hand to an HTTP client (reqwest and hyper take [`Bytes`] as they are;
    /// `Vec::from(body)` gives a `Vec<u8>`, which copies unless this is the last clone).
    ///
    /// ```
    /// # use directus_proto::{Body, Bytes};
    /// let bytes: Bytes = Body::from(b"ab".to_vec()).into_bytes();
    /// assert_eq!(bytes, &b"ab"[..]);
    /// ```
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body({} bytes)", self.0.len())
    }
}

impl Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body(Bytes::from(bytes))
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body(bytes)
    }
}

impl From<Body> for Vec<u8> {
    fn from(body: Body) -> Self {
        Vec::from(body.0)
    }
}

impl PartialEq<[u8]> for Body {
    fn eq(&self, other: &[u8]) -> bool {
        self.0[..] == *other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Body {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.0[..] == other[..]
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Body {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.0[..] == other[..]
    }
}

impl PartialEq<Vec<u8>> for Body {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.0[..] == other[..]
    }
}

impl PartialEq<str> for Body {
    fn eq(&self, other: &str) -> bool {
        self.0[..] == *other.as_bytes()
    }
}

impl PartialEq<&str> for Body {
    fn eq(&self, other: &&str) -> bool {
        self.0[..] == *other.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_request_shows_no_body() {
        let request = http::Request::post("http://x/auth/login")
            .body(Body::from(br#"{"password":"hunter2"}"#.to_vec()))
            .unwrap();
        let shown = format!("{request:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("104, 117"), "{shown}"); // the bytes as numbers
        assert!(shown.contains("Body(22 bytes)"), "{shown}");
    }

    #[test]
    fn a_clone_shares_the_bytes() {
        let body = Body::from(b"{\"title\":\"A\"}".to_vec());
        let again = body.clone();
        assert_eq!(body.as_bytes().as_ptr(), again.as_bytes().as_ptr());
        assert_eq!(again.into_bytes(), body.as_bytes());
    }
}
