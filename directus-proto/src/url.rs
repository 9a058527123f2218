//! The server's base URL and the percent-encoding of path segments and query values.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// Everything but RFC 3986's unreserved characters is encoded, in path segments and query
/// values alike: `/`, `?`, `#`, `%`, `&`, `=` and `+` can never change a route or a parameter.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one path segment or query component.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text);
    out
}

/// Percent-encodes one query component onto `out`.
pub(crate) fn encode_into(out: &mut String, text: &str) {
    out.extend(utf8_percent_encode(text, COMPONENT));
}

/// Encodes a path segment. `.` and `..` are refused: HTTP stacks (and URL parsers such as the
/// WHATWG one) collapse them, even percent-encoded, so they would change the route.
pub(crate) fn segment(text: &str, what: &str) -> Result<String, Error> {
    match text {
        "" => Err(Error::invalid(format!("{what} is empty"))),
        "." | ".." => Err(Error::invalid(format!(
            "{what} {text:?} cannot be sent as a path segment"
        ))),
        _ => Ok(encode(text)),
    }
}

/// The base URL of a Directus server: scheme, host, port and an optional path prefix
/// (for a server behind a proxy at `https://example.com/cms`).
///
/// ```
/// use directus_proto::BaseUrl;
///
/// let base = BaseUrl::parse("http://127.0.0.1:8055/").unwrap();
/// assert_eq!(base.join("/items/posts"), "http://127.0.0.1:8055/items/posts");
/// assert!(BaseUrl::parse("127.0.0.1:8055").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks and normalizes a base URL: `http` or `https`, a host, no query or fragment.
    ///
    /// ```
    /// # use directus_proto::BaseUrl;
    /// assert_eq!(BaseUrl::parse("https://example.com/cms/").unwrap().as_str(), "https://example.com/cms");
    /// assert!(BaseUrl::parse("https://example.com/?a=1").is_err());
    /// ```
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::invalid(format!("base URL {url:?}: {why}"));
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(bad("the scheme must be http or https")),
        }
        if uri.authority().is_none_or(|a| a.host().is_empty()) {
            return Err(bad("no host"));
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(bad("credentials in the URL are not supported"));
        }
        // `http::Uri` keeps any digits (or none) after the `:`; a client cannot connect there.
        let port = uri.authority().and_then(|a| a.as_str().rsplit_once(':'));
        if port.is_some_and(|(_, port)| !port.contains(']') && port.parse::<u16>().is_err()) {
            return Err(bad("the port is not a number from 0 to 65535"));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(bad("a query or fragment is not allowed"));
        }
        Ok(BaseUrl(url.trim_end_matches('/').to_owned()))
    }

    /// The normalized URL, without a trailing slash.
    ///
    /// ```
    /// # use directus_proto::BaseUrl;
    /// assert_eq!(BaseUrl::parse("http://localhost:8055").unwrap().as_str(), "http://localhost:8055");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The full URL of an already-encoded path (starting with `/`) and query.
    ///
    /// ```
    /// # use directus_proto::BaseUrl;
    /// let base = BaseUrl::parse("http://localhost:8055").unwrap();
    /// assert_eq!(base.join("/server/ping"), "http://localhost:8055/server/ping");
    /// ```
    pub fn join(&self, path_and_query: &str) -> String {
        let mut url = String::with_capacity(self.0.len() + path_and_query.len());
        url.push_str(&self.0);
        url.push_str(path_and_query);
        url
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BaseUrl").field(&self.0).finish()
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_that_could_reroute() {
        assert_eq!(encode("a/../b"), "a%2F..%2Fb");
        assert_eq!(encode("x?y=1"), "x%3Fy%3D1");
        assert_eq!(encode("#"), "%23");
        assert_eq!(encode("100%"), "100%25");
        assert_eq!(encode("a b+c&d"), "a%20b%2Bc%26d");
        assert_eq!(encode("ünï"), "%C3%BCn%C3%AF");
        assert!(segment("..", "key").is_err());
        assert!(segment(".", "key").is_err());
        assert!(segment("", "key").is_err());
        assert_eq!(segment("...", "key").unwrap(), "...");
    }

    #[test]
    fn base_url_rules() {
        for bad in [
            "",
            "ftp://x",
            "http://",
            "/relative",
            "http://u:p@host",
            "http://h/#f",
            "http://h:",
            "http://h:65536",
            "http://[::1]:",
            "http://h:x",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
        for good in ["http://[::1]", "http://h:0", "https://h:65535/x"] {
            assert!(BaseUrl::parse(good).is_ok(), "{good}");
        }
        let base = BaseUrl::parse("http://[::1]:8055/cms//").unwrap();
        assert_eq!(base.as_str(), "http://[::1]:8055/cms");
    }
}
