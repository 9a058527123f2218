//! A caller's tokens, read from the request head, and the plan for them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};
use serde::Deserialize;

use super::cookies::CookieSettings;
use crate::auth::{Secret, Tokens};

/// The longest token accepted from a request (a Directus access token is about 250 bytes, a
/// refresh token 64).
pub const MAX_TOKEN_LEN: usize = 4096;

/// The most `Cookie` header bytes read from one request; more is refused as [`Malformed`].
pub const MAX_COOKIE_HEADER: usize = 16 * 1024;

/// The longest margin before expiry at which an access token is refreshed first (as a
/// [`Session`](crate::Session) does).
const MAX_MARGIN: Duration = Duration::from_secs(30);

/// The request's credentials cannot be read: a malformed `Authorization` header, a token with
/// characters a token cannot have, or an oversized header. Answer `400` and forward nothing.
///
/// ```
/// use directus_proto::web::{CookieSettings, request_credentials};
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", "Basic dXNlcjpwdw==".parse().unwrap());
/// let err = request_credentials(&headers, &CookieSettings::default()).unwrap_err();
/// assert_eq!(err.to_string(), "the Authorization header is not `Bearer <token>`");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(&'static str);

/// Where a request's credentials came from; see [`request_credentials`]. `Debug` shows no token.
///
/// ```
/// use directus_proto::web::{CookieSettings, RequestCredentials, request_credentials};
/// let mut headers = http::HeaderMap::new();
/// headers.insert("cookie", "theme=dark; directus_refresh_token=r1".parse().unwrap());
/// let found = request_credentials(&headers, &CookieSettings::default()).unwrap();
/// assert!(matches!(found, Some(RequestCredentials::Cookies { access: None, refresh: Some(_) })));
/// assert!(!format!("{found:?}").contains("r1"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestCredentials {
    /// `Authorization: Bearer <token>`: a static token or an access token the caller manages.
    Bearer(Secret),
    /// The access and refresh cookies (at least one of them).
    Cookies {
        /// The access-token cookie.
        access: Option<Secret>,
        /// The refresh-token cookie.
        refresh: Option<Secret>,
    },
    /// Directus' own session cookie (when [`CookieSettings::session_cookie`] names it).
    Session(Secret),
}

/// What to do with a request's credentials; see [`RequestCredentials::plan`].
///
/// ```
/// use directus_proto::{Secret, web::{Plan, RequestCredentials}};
/// let bearer = RequestCredentials::Bearer(Secret::new("t"));
/// assert_eq!(bearer.plan(std::time::SystemTime::now()), Plan::Static(Secret::new("t")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Plan {
    /// Use these tokens; the access token is valid for `expires` more (refresh later if needed).
    Use(Tokens),
    /// The access token is missing, expired, about to expire or unreadable: refresh with this
    /// refresh token first (and send the rotated tokens back as cookies).
    Refresh(Secret),
    /// Send this token as it is and never refresh it (a bearer token, a session cookie, or an
    /// access cookie without a refresh cookie): the server decides.
    Static(Secret),
    /// No token at all: answer as unauthenticated.
    Unauthenticated,
}

/// Reads a caller's credentials from the request head: the `Authorization: Bearer` header first,
/// else the access and refresh cookies, else Directus' session cookie (when configured).
/// `Ok(None)` when there are none.
///
/// Tokens must be RFC 6750 `b64token`s (letters, digits, `-._~+/`, trailing `=`) of at most
/// [`MAX_TOKEN_LEN`] bytes, so a token with `CR`, `LF`, `;`, spaces or quotes is refused, never
/// forwarded; the `Cookie` headers may hold at most [`MAX_COOKIE_HEADER`] bytes together. Other
/// cookies are skipped without being looked at.
///
/// ```
/// use directus_proto::web::{CookieSettings, RequestCredentials, request_credentials};
/// let settings = CookieSettings::default();
/// let mut headers = http::HeaderMap::new();
/// assert_eq!(request_credentials(&headers, &settings).unwrap(), None);
/// headers.insert("authorization", "Bearer a b".parse().unwrap());
/// assert!(request_credentials(&headers, &settings).is_err());
/// headers.insert("authorization", "bearer abc.def".parse().unwrap());
/// assert!(matches!(request_credentials(&headers, &settings), Ok(Some(RequestCredentials::Bearer(_)))));
/// ```
///
/// # Errors
///
/// [`Malformed`] for a header or token that breaks these rules.
pub fn request_credentials(
    headers: &HeaderMap,
    settings: &CookieSettings,
) -> Result<Option<RequestCredentials>, Malformed> {
    let mut authorization = headers.get_all(AUTHORIZATION).iter();
    if let Some(value) = authorization.next() {
        if authorization.next().is_some() {
            return Err(Malformed("more than one Authorization header"));
        }
        return bearer(value.as_bytes()).map(|t| Some(RequestCredentials::Bearer(t)));
    }
    let mut total = 0usize;
    let (mut access, mut refresh, mut session) = (None, None, None);
    for header in headers.get_all(COOKIE) {
        total = total.saturating_add(header.len());
        if total > MAX_COOKIE_HEADER {
            return Err(Malformed("the Cookie header is too large"));
        }
        for pair in header.as_bytes().split(|&b| b == b';') {
            let pair = pair.trim_ascii();
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (name, value) = (&pair[..eq], &pair[eq + 1..]);
            let slot = if name == settings.access_cookie.as_bytes() {
                &mut access
            } else if name == settings.refresh_cookie.as_bytes() {
                &mut refresh
            } else if settings
                .session_cookie
                .as_deref()
                .is_some_and(|s| name == s.as_bytes())
            {
                &mut session
            } else {
                continue;
            };
            // RFC 6265: the first of two cookies with one name is the more specific one.
            if slot.is_none() {
                let value = value
                    .strip_prefix(b"\"")
                    .and_then(|v| v.strip_suffix(b"\""))
                    .unwrap_or(value);
                *slot = Some(token(value)?);
            }
        }
    }
    Ok(match (access, refresh, session) {
        (None, None, None) => None,
        (None, None, Some(session)) => Some(RequestCredentials::Session(session)),
        (access, refresh, _) => Some(RequestCredentials::Cookies { access, refresh }),
    })
}

fn bearer(value: &[u8]) -> Result<Secret, Malformed> {
    const NOT_BEARER: Malformed = Malformed("the Authorization header is not `Bearer <token>`");
    let scheme = value.get(..7).ok_or(NOT_BEARER)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return Err(NOT_BEARER);
    }
    token(&value[7..])
}

/// An RFC 6750 `b64token` of at most [`MAX_TOKEN_LEN`] bytes.
fn token(value: &[u8]) -> Result<Secret, Malformed> {
    if value.is_empty() {
        return Err(Malformed("an empty token"));
    }
    if value.len() > MAX_TOKEN_LEN {
        return Err(Malformed("a token longer than 4096 bytes"));
    }
    let body_end = value.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let valid = body_end > 0
        && value[..body_end]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !valid {
        return Err(Malformed("a token with characters a token cannot have"));
    }
    // Only ASCII passed the check above.
    Ok(Secret::new(String::from_utf8_lossy(value).into_owned()))
}

#[derive(Deserialize)]
struct Claims {
    exp: Option<u64>,
    iat: Option<u64>,
}

/// The `iat` and `exp` claims of a JWT, read without checking its signature (the server
/// checks it; this only decides when to refresh first).
pub(crate) fn jwt_times(token: &str) -> Option<(Option<u64>, u64)> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let claims: Claims = serde_json::from_slice(&base64url(payload.as_bytes())?).ok()?;
    Some((claims.iat, claims.exp?))
}

/// Decodes unpadded base64url; `None` on anything else.
fn base64url(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

impl RequestCredentials {
    /// What to do with these credentials at `now` (the wall clock: JWT times are Unix times).
    ///
    /// Cookies: an access token whose JWT `exp` is further away than the refresh margin (10% of
    /// its lifetime, at most 30 s, as [`Session`](crate::Session) uses) is used; one that is
    /// expired, close to it or unreadable is replaced by a refresh when there is a refresh
    /// cookie, and sent as it is otherwise. Bearer tokens and session cookies are sent as they
    /// are.
    ///
    /// ```
    /// use directus_proto::Secret;
    /// use directus_proto::web::{Plan, RequestCredentials};
    /// use std::time::SystemTime;
    ///
    /// let cookies = RequestCredentials::Cookies {
    ///     access: Some(Secret::new("not-a-jwt")),
    ///     refresh: Some(Secret::new("r1")),
    /// };
    /// assert_eq!(cookies.plan(SystemTime::now()), Plan::Refresh(Secret::new("r1")));
    /// ```
    pub fn plan(self, now: SystemTime) -> Plan {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        match self {
            RequestCredentials::Bearer(token) | RequestCredentials::Session(token) => {
                Plan::Static(token)
            }
            RequestCredentials::Cookies {
                access: Some(access),
                refresh,
            } => {
                let remaining = jwt_times(access.expose()).and_then(|(iat, exp)| {
                    let lifetime = Duration::from_secs(exp.saturating_sub(iat.unwrap_or(exp)));
                    let margin = (lifetime / 10).min(MAX_MARGIN).as_secs();
                    let left = exp.checked_sub(now)?;
                    (left > margin).then(|| Duration::from_secs(left))
                });
                match (remaining, refresh) {
                    (Some(left), refresh) => Plan::Use(Tokens::new(access, refresh, Some(left))),
                    (None, Some(refresh)) => Plan::Refresh(refresh),
                    (None, None) => Plan::Static(access),
                }
            }
            RequestCredentials::Cookies {
                access: None,
                refresh: Some(refresh),
            } => Plan::Refresh(refresh),
            RequestCredentials::Cookies {
                access: None,
                refresh: None,
            } => Plan::Unauthenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    fn read(pairs: &[(&str, &[u8])]) -> Result<Option<RequestCredentials>, Malformed> {
        request_credentials(&headers(pairs), &CookieSettings::default())
    }

    fn jwt(iat: u64, exp: u64) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let json = format!(r#"{{"id":"u","iat":{iat},"exp":{exp}}}"#);
        let mut out = String::new();
        for chunk in json.as_bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        format!("eyJhbGciOiJIUzI1NiJ9.{out}.c2ln")
    }

    #[test]
    fn malformed_authorization_headers_are_refused() {
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer  abc",
            b"Token abc",
            b"Bearer a;b",
            b"Bearer a\"b",
            b"Bearer =abc",
            b"Bearer a\tb",
            b"Bearer \xff\xfe",
        ] {
            assert!(read(&[("authorization", bad)]).is_err(), "{bad:?}");
        }
        assert!(
            read(&[
                ("authorization", b"Bearer a"),
                ("authorization", b"Bearer b")
            ])
            .is_err()
        );
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert!(read(&[("authorization", long.as_bytes())]).is_err());
        assert!(read(&[("authorization", b"BEARER abc.DEF-_~+/==")]).is_ok());
    }

    #[test]
    fn cookies_are_bounded_and_checked() {
        let big = format!("other={}", "x".repeat(MAX_COOKIE_HEADER));
        assert!(read(&[("cookie", big.as_bytes())]).is_err());
        assert!(read(&[("cookie", b"directus_access_token=a%0D%0Ab")]).is_err());
        assert_eq!(read(&[("cookie", b"a=b; c; =d")]).unwrap(), None);
        // Another cookie's odd value is not our business.
        assert_eq!(read(&[("cookie", b"pref=\"x y\"")]).unwrap(), None);
        let found = read(&[(
            "cookie",
            b"directus_refresh_token=\"r1\"; directus_refresh_token=r2",
        )])
        .unwrap();
        assert_eq!(
            found,
            Some(RequestCredentials::Cookies {
                access: None,
                refresh: Some(Secret::new("r1"))
            })
        );
    }

    #[test]
    fn the_session_cookie_is_read_when_named() {
        let settings = CookieSettings::default().session_cookie("directus_session_token");
        let map = headers(&[("cookie", b"directus_session_token=s1")]);
        assert_eq!(
            request_credentials(&map, &settings).unwrap(),
            Some(RequestCredentials::Session(Secret::new("s1")))
        );
        assert_eq!(
            request_credentials(&map, &CookieSettings::default()).unwrap(),
            None
        );
    }

    #[test]
    fn plans_follow_the_jwt_expiry() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cookies = |access: &str, refresh: Option<&str>| RequestCredentials::Cookies {
            access: Some(Secret::new(access)),
            refresh: refresh.map(Secret::new),
        };
        // 900 s token, 600 s left: used, with the time left.
        let fresh = jwt(1_000_000 - 300, 1_000_000 + 600);
        match cookies(&fresh, Some("r")).plan(now) {
            Plan::Use(tokens) => assert_eq!(tokens.expires, Some(Duration::from_secs(600))),
            other => panic!("{other:?}"),
        }
        // 10 s token with 1 s left: inside the 10% margin, refresh.
        let close = jwt(1_000_000 - 9, 1_000_000 + 1);
        assert_eq!(
            cookies(&close, Some("r")).plan(now),
            Plan::Refresh("r".into())
        );
        let expired = jwt(1_000_000 - 20, 1_000_000 - 10);
        assert_eq!(
            cookies(&expired, Some("r")).plan(now),
            Plan::Refresh("r".into())
        );
        assert_eq!(
            cookies(&expired, None).plan(now),
            Plan::Static(Secret::new(expired.clone()))
        );
        assert_eq!(
            cookies("x.y.z", Some("r")).plan(now),
            Plan::Refresh("r".into())
        );
    }

    #[test]
    fn base64url_decodes_and_refuses() {
        assert_eq!(base64url(b"aGk").unwrap(), b"hi");
        assert_eq!(base64url(b"aGVsbG8").unwrap(), b"hello");
        assert!(base64url(b"a=b").is_none());
    }

    proptest::proptest! {
        /// No header bytes make reading credentials or planning panic, and what is read is
        /// always a well-formed, bounded token.
        #[test]
        fn hostile_headers_never_panic(
            authorization in proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..200)),
            cookie in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            seconds in proptest::num::u64::ANY,
        ) {
            let mut map = HeaderMap::new();
            if let Some(value) = authorization.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
                map.insert(AUTHORIZATION, value);
            }
            let mut prefixed = b"directus_access_token=".to_vec();
            prefixed.extend_from_slice(&cookie);
            for value in [cookie, prefixed] {
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    map.append(COOKIE, value);
                }
            }
            if let Ok(Some(found)) = request_credentials(&map, &CookieSettings::default()) {
                let tokens = match &found {
                    RequestCredentials::Bearer(t) | RequestCredentials::Session(t) => vec![t.clone()],
                    RequestCredentials::Cookies { access, refresh } => {
                        access.iter().chain(refresh).cloned().collect()
                    }
                };
                for token in tokens {
                    proptest::prop_assert!(token.expose().len() <= MAX_TOKEN_LEN);
                    proptest::prop_assert!(!token.expose().bytes().any(|b| b.is_ascii_whitespace() || b == b';'));
                }
                let now = UNIX_EPOCH.checked_add(Duration::from_secs(seconds / 2)).unwrap_or(UNIX_EPOCH);
                let _ = found.plan(now);
            }
        }

        /// Any payload in a JWT-shaped token: no panic.
        #[test]
        fn jwt_payloads_never_panic(payload in "[A-Za-z0-9_-]{0,200}") {
            let _ = jwt_times(&format!("h.{payload}.s"));
        }
    }
}
