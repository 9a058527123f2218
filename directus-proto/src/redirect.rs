//! Which redirects a call follows: the one policy of both drivers (and of any
//! [`HttpClient`](https://docs.rs/directus-async) you plug in, which must not follow redirects
//! itself).
//!
//! Directus answers its API routes without redirects; a `3xx` comes from something in front of
//! it (a proxy moving the API, `http` → `https`) or from something pretending to be it. So:
//!
//! - **Same origin** (scheme, host and port of the base URL): a `GET` or `HEAD` follows `301`,
//!   `302`, `303`, `307` and `308`; any other request (a write, a `SEARCH`, login, refresh)
//!   follows only `307` and `308`, which keep the method and the body. The method never changes.
//! - **Another origin**: only a `GET` or `HEAD` without a body follows, and it goes **without**
//!   the `Authorization` header. A request with a body or credentials (every write, login,
//!   refresh, logout, password reset) never goes to another origin: its `3xx` is returned as
//!   the error it is. `https` → `http` counts as another origin.
//! - At most [`MAX_REDIRECTS`] hops; only `http` and `https` targets.
//!
//! ```
//! use directus_proto::{Bytes, BaseUrl, Body, redirect};
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let login = http::Request::post("http://127.0.0.1:8055/auth/login")
//!     .body(Body::from(br#"{"password":"pw"}"#.to_vec())).unwrap();
//! let away = http::Response::builder().status(307)
//!     .header("location", "http://collector.example/steal").body(Bytes::new()).unwrap();
//! assert_eq!(redirect::target(&base, &login, &away), None);
//!
//! let read = http::Request::get("http://127.0.0.1:8055/assets/f1")
//!     .header("authorization", "Bearer t").body(Body::empty()).unwrap();
//! let cdn = http::Response::builder().status(302)
//!     .header("location", "https://cdn.example/f1").body(Bytes::new()).unwrap();
//! let hop = redirect::target(&base, &read, &cdn).unwrap();
//! assert_eq!(hop.uri, "https://cdn.example/f1");
//! assert!(!hop.keep_authorization);
//! ```

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};

use crate::{BaseUrl, Body};

/// The most redirects one call follows.
pub const MAX_REDIRECTS: u8 = 5;

/// Where a followed redirect goes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hop {
    /// The next URI.
    pub uri: Uri,
    /// Whether the request keeps its `Authorization` header (same origin only).
    pub keep_authorization: bool,
}

/// The hop to follow for `response` to `request`, or `None` when the policy (see the module
/// docs) says not to follow it, or it is not a redirect.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, Body, redirect};
/// let base = BaseUrl::parse("https://cms.example").unwrap();
/// let write = http::Request::patch("https://cms.example/items/a/1")
///     .body(Body::from(b"{}".to_vec())).unwrap();
/// let moved = |status: u16| http::Response::builder().status(status)
///     .header("location", "/v2/items/a/1").body(Bytes::new()).unwrap();
/// assert!(redirect::target(&base, &write, &moved(302)).is_none()); // would change the method
/// let hop = redirect::target(&base, &write, &moved(308)).unwrap();
/// assert_eq!(hop.uri, "https://cms.example/v2/items/a/1");
/// assert!(hop.keep_authorization);
/// ```
pub fn target(base: &BaseUrl, request: &Request<Body>, response: &Response<Bytes>) -> Option<Hop> {
    let status = response.status();
    let keeps_method = matches!(
        status,
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
    );
    let any_read = matches!(
        status,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND | StatusCode::SEE_OTHER
    );
    if !keeps_method && !any_read {
        return None;
    }
    let location = response
        .headers()
        .get(http::header::LOCATION)?
        .to_str()
        .ok()?;
    let uri = resolve(request.uri(), location)?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return None;
    }
    let plain_read = (request.method() == Method::GET || request.method() == Method::HEAD)
        && request.body().is_empty();
    if !plain_read && !keeps_method {
        return None;
    }
    let same_origin = same_origin(base, &uri);
    if !same_origin && !plain_read {
        return None;
    }
    Some(Hop {
        uri,
        keep_authorization: same_origin,
    })
}

/// Whether `uri` has the scheme, host and port of `base`.
fn same_origin(base: &BaseUrl, uri: &Uri) -> bool {
    let Ok(base) = base.as_str().parse::<Uri>() else {
        return false;
    };
    let port = |u: &Uri| {
        u.port_u16().or(match u.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        })
    };
    base.scheme() == uri.scheme()
        && base
            .host()
            .zip(uri.host())
            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        && port(&base) == port(uri)
}

/// `location` resolved against `current`: absolute, scheme-relative (`//host/p`),
/// path-absolute (`/p`) or relative to the current path.
fn resolve(current: &Uri, location: &str) -> Option<Uri> {
    if has_scheme(location) {
        return location.parse().ok();
    }
    let scheme = current.scheme_str()?;
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}").parse().ok();
    }
    let authority = current.authority()?;
    let path = if location.starts_with('/') {
        location.to_owned()
    } else {
        let dir = current.path().rsplit_once('/').map_or("", |(dir, _)| dir);
        format!("{dir}/{location}")
    };
    format!("{scheme}://{authority}{path}").parse().ok()
}

/// Whether a reference starts with a scheme (`name:`, RFC 3986 section 3.1).
fn has_scheme(reference: &str) -> bool {
    reference.split_once(':').is_some_and(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("http://127.0.0.1:8055").unwrap()
    }

    fn answer(status: u16, location: &str) -> Response<Bytes> {
        Response::builder()
            .status(status)
            .header("location", location)
            .body(Bytes::new())
            .unwrap()
    }

    fn request(method: &str, body: &[u8]) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri("http://127.0.0.1:8055/items/a")
            .body(Body::from(body.to_vec()))
            .unwrap()
    }

    #[test]
    fn nothing_with_a_body_leaves_the_origin() {
        for status in [301, 302, 303, 307, 308] {
            for (method, body) in [
                ("POST", &b"{\"password\":\"pw\"}"[..]),
                ("PATCH", b"{}"),
                ("DELETE", b""),
                ("SEARCH", b"{}"),
                ("GET", b"x"),
            ] {
                let hop = target(
                    &base(),
                    &request(method, body),
                    &answer(status, "http://127.0.0.2:8055/collect"),
                );
                assert_eq!(hop, None, "{method} {status}");
            }
        }
    }

    #[test]
    fn reads_leave_the_origin_without_authorization() {
        for status in [301, 302, 303, 307, 308] {
            for method in ["GET", "HEAD"] {
                let hop = target(
                    &base(),
                    &request(method, b""),
                    &answer(status, "http://127.0.0.2:8055/x"),
                )
                .unwrap();
                assert!(!hop.keep_authorization);
            }
        }
        // https -> http on the same host is another origin
        let secure = BaseUrl::parse("https://cms.example").unwrap();
        let read = Request::get("https://cms.example/a")
            .body(Body::empty())
            .unwrap();
        let hop = target(&secure, &read, &answer(301, "http://cms.example/a")).unwrap();
        assert!(!hop.keep_authorization);
    }

    #[test]
    fn same_origin_keeps_the_method_or_does_not_follow() {
        let hop = target(
            &base(),
            &request("POST", b"{}"),
            &answer(307, "/v2/items/a"),
        )
        .unwrap();
        assert_eq!(hop.uri, "http://127.0.0.1:8055/v2/items/a");
        assert!(hop.keep_authorization);
        for status in [301, 302, 303] {
            assert_eq!(
                target(&base(), &request("POST", b"{}"), &answer(status, "/x")),
                None
            );
        }
        let hop = target(&base(), &request("GET", b""), &answer(302, "b?x=1")).unwrap();
        assert_eq!(hop.uri, "http://127.0.0.1:8055/items/b?x=1");
        let hop = target(
            &base(),
            &request("GET", b""),
            &answer(302, "//127.0.0.1:8055/c"),
        )
        .unwrap();
        assert!(hop.keep_authorization);
        // default ports are the same origin
        let plain = BaseUrl::parse("http://cms.example").unwrap();
        let read = Request::get("http://cms.example/a")
            .body(Body::empty())
            .unwrap();
        assert!(
            target(&plain, &read, &answer(302, "http://CMS.example:80/b"))
                .unwrap()
                .keep_authorization
        );
    }

    #[test]
    fn odd_answers_are_not_followed() {
        let read = request("GET", b"");
        assert_eq!(target(&base(), &read, &answer(200, "/x")), None);
        assert_eq!(target(&base(), &read, &answer(304, "/x")), None);
        assert_eq!(
            target(&base(), &read, &answer(302, "javascript:alert(1)")),
            None
        );
        assert_eq!(
            target(&base(), &read, &answer(302, "file:///etc/passwd")),
            None
        );
        assert_eq!(target(&base(), &read, &answer(302, "http://[::1")), None);
        let none = Response::builder().status(302).body(Bytes::new()).unwrap();
        assert_eq!(target(&base(), &read, &none), None);
        let long = format!("/{}", "a".repeat(70_000));
        assert_eq!(target(&base(), &read, &answer(302, &long)), None);
    }
}
