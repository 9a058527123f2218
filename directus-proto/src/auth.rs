//! Credentials, tokens and the requests of the `/auth` endpoints.
//!
//! The state that decides when to refresh lives in [`Session`](crate::Session); this module
//! holds what it is made of, and the requests that can be sent on their own (password reset).

use bytes::Bytes;
use std::fmt;
use std::time::Duration;

use http::{Method, Response};
use serde::Deserialize;
use serde_json::json;

use crate::BaseUrl;
use crate::error::Error;
use crate::operation::Operation;
use crate::response::success;

/// A password or token. Its `Debug` shows nothing of it and it has no `Display`.
///
/// ```
/// use directus_proto::Secret;
/// let secret = Secret::new("hunter2");
/// assert_eq!(format!("{secret:?}"), "Secret(***)");
/// assert_eq!(secret.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    ///
    /// ```
    /// # use directus_proto::Secret;
    /// let _ = Secret::new(String::from("token"));
    /// ```
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself: the one way to read it, easy to find in a review.
    ///
    /// ```
    /// # use directus_proto::Secret;
    /// assert_eq!(Secret::new("t").expose(), "t");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Written as the string it holds (to set a password or a token).
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Read from a string; any other JSON value (an object of provider data) is kept as its JSON
/// text.
///
/// ```
/// # use directus_proto::Secret;
/// let s: Secret = serde_json::from_str(r#""**********""#).unwrap();
/// assert_eq!(s.expose(), "**********");
/// let s: Secret = serde_json::from_str(r#"{"refresh":"x"}"#).unwrap();
/// assert_eq!(s.expose(), r#"{"refresh":"x"}"#);
/// ```
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Secret(
            match serde_json::Value::deserialize(deserializer)? {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            },
        ))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

/// How a client proves who it is.
///
/// ```
/// use directus_proto::Credentials;
///
/// let login = Credentials::password("admin@example.com", "secret").with_otp("123456");
/// assert!(!format!("{login:?}").contains("secret"));
/// let token = Credentials::static_token("abc");
/// assert_eq!(format!("{token:?}"), "StaticToken(Secret(***))");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// Email and password (and a one-time password when 2FA is on). Sessions with these log in
    /// again by themselves when the refresh token is lost.
    Password {
        /// The user's email.
        email: String,
        /// The password.
        password: Secret,
        /// The one-time password, for users with two-factor auth.
        otp: Option<Secret>,
    },
    /// A user's static token: never expires, never refreshed.
    StaticToken(Secret),
    /// A refresh token from an earlier login: the session starts by refreshing it.
    RefreshToken(Secret),
}

impl Credentials {
    /// Email and password.
    ///
    /// ```
    /// # use directus_proto::Credentials;
    /// let _ = Credentials::password("a@example.com", "pw");
    /// ```
    pub fn password(email: impl Into<String>, password: impl Into<Secret>) -> Self {
        Credentials::Password {
            email: email.into(),
            password: password.into(),
            otp: None,
        }
    }

    /// Adds a one-time password to email-and-password credentials (no effect on others).
    ///
    /// ```
    /// # use directus_proto::Credentials;
    /// let _ = Credentials::password("a@example.com", "pw").with_otp("123456");
    /// ```
    pub fn with_otp(self, code: impl Into<Secret>) -> Self {
        match self {
            Credentials::Password {
                email, password, ..
            } => Credentials::Password {
                email,
                password,
                otp: Some(code.into()),
            },
            other => other,
        }
    }

    /// A static token.
    ///
    /// ```
    /// # use directus_proto::Credentials;
    /// let _ = Credentials::static_token("token");
    /// ```
    pub fn static_token(token: impl Into<Secret>) -> Self {
        Credentials::StaticToken(token.into())
    }

    /// A refresh token from an earlier login.
    ///
    /// ```
    /// # use directus_proto::Credentials;
    /// let _ = Credentials::refresh_token("token");
    /// ```
    pub fn refresh_token(token: impl Into<Secret>) -> Self {
        Credentials::RefreshToken(token.into())
    }
}

/// The tokens a login or refresh answers.
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::auth::Tokens;
/// use std::time::Duration;
///
/// let resp = http::Response::new(Bytes::from_static(br#"{"data":{"access_token":"a","refresh_token":"r","expires":900000}}"#));
/// let tokens = directus_proto::auth::tokens(resp).unwrap();
/// assert_eq!(tokens.expires, Some(Duration::from_secs(900)));
/// assert_eq!(tokens.access_token.expose(), "a");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tokens {
    /// The access token, sent as `Authorization: Bearer`.
    pub access_token: Secret,
    /// The refresh token (rotates on every refresh).
    pub refresh_token: Option<Secret>,
    /// How long the access token lives (`expires`, sent in milliseconds, read from any JSON
    /// number or numeric string; more than [`Duration`] holds is [`Duration::MAX`]). `None`
    /// when the answer has none or one that is not a lifetime (negative, not a number): the
    /// token is then refreshed when the server answers `TOKEN_EXPIRED`.
    pub expires: Option<Duration>,
}

impl Tokens {
    /// Tokens kept from an earlier login (a cookie, a file): the access token, the refresh
    /// token when there is one, and how long the access token still lives.
    ///
    /// ```
    /// use directus_proto::auth::Tokens;
    /// use std::time::Duration;
    /// let tokens = Tokens::new("access", Some("refresh".into()), Some(Duration::from_secs(60)));
    /// assert_eq!(tokens.refresh_token.unwrap().expose(), "refresh");
    /// ```
    pub fn new(
        access_token: impl Into<Secret>,
        refresh_token: Option<Secret>,
        expires: Option<Duration>,
    ) -> Self {
        Tokens {
            access_token: access_token.into(),
            refresh_token,
            expires,
        }
    }
}

#[derive(Deserialize)]
struct RawTokens {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default, deserialize_with = "lifetime")]
    expires: Option<Duration>,
}

/// `expires` in milliseconds, as any JSON number (`900000`, `900000.0`, `9e5`) or numeric
/// string; `None` for anything that is not a lifetime.
fn lifetime<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    fn from_float(ms: f64) -> Option<Duration> {
        // NaN and negative lifetimes are not lifetimes; too long ones are "forever".
        (ms >= 0.0).then(|| Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX))
    }
    fn from_text(text: &str) -> Option<Duration> {
        match text.trim().parse::<u64>() {
            Ok(ms) => Some(Duration::from_millis(ms)),
            Err(_) => text.trim().parse::<f64>().ok().and_then(from_float),
        }
    }
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => n.as_f64().and_then(from_float),
        },
        serde_json::Value::String(text) => from_text(&text),
        _ => None,
    })
}

#[derive(Deserialize)]
struct TokenEnvelope {
    data: RawTokens,
}

/// Reads a login or refresh answer. On a body that does not decode, the error's excerpt is
/// redacted: the body may hold tokens.
///
/// ```
/// use directus_proto::Bytes;
/// let resp = http::Response::new(Bytes::from_static(br#"{"data":{"access_token":"s3cret"#));
/// let err = directus_proto::auth::tokens(resp).unwrap_err();
/// assert!(!err.to_string().contains("s3cret"));
/// ```
pub fn tokens(response: Response<Bytes>) -> Result<Tokens, Error> {
    let response = success(response).map_err(Error::redacted)?;
    let raw = serde_json::from_slice::<TokenEnvelope>(response.body()).map_err(|source| {
        Error::Decode {
            status: response.status(),
            excerpt: String::new(),
            source,
        }
        .redacted()
    })?;
    Ok(Tokens {
        access_token: Secret(raw.data.access_token),
        refresh_token: raw.data.refresh_token.map(Secret),
        expires: raw.data.expires,
    })
}

/// `POST /auth/login` in json mode.
///
/// ```
/// use directus_proto::{BaseUrl, Secret, auth};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = auth::login(&base, "a@example.com", &Secret::new("pw"), None).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/auth/login");
/// assert_eq!(op.request().body(), br#"{"email":"a@example.com","mode":"json","password":"pw"}"#);
/// assert!(!format!("{op:?}").contains("pw\""));
/// ```
pub fn login(
    base: &BaseUrl,
    email: &str,
    password: &Secret,
    otp: Option<&Secret>,
) -> Result<Operation<Tokens>, Error> {
    let mut body = json!({"email": email, "password": password.expose(), "mode": "json"});
    if let Some(otp) = otp {
        body["otp"] = json!(otp.expose());
    }
    Ok(
        Operation::json(base, Method::POST, "/auth/login", &body, tokens)?
            .anonymous()
            .secret_answer(),
    )
}

/// `POST /auth/refresh` in json mode. The refresh token rotates: the answer's replaces it.
///
/// ```
/// use directus_proto::{BaseUrl, Secret, auth};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = auth::refresh(&base, &Secret::new("r1")).unwrap();
/// assert_eq!(op.request().body(), br#"{"mode":"json","refresh_token":"r1"}"#);
/// ```
pub fn refresh(base: &BaseUrl, refresh_token: &Secret) -> Result<Operation<Tokens>, Error> {
    let body = json!({"refresh_token": refresh_token.expose(), "mode": "json"});
    Ok(
        Operation::json(base, Method::POST, "/auth/refresh", &body, tokens)?
            .anonymous()
            .secret_answer(),
    )
}

/// `POST /auth/logout` with the refresh token, so the session is revoked on the server.
///
/// ```
/// use directus_proto::{BaseUrl, Secret, auth};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = auth::logout(&base, &Secret::new("r1")).unwrap();
/// assert_eq!(op.request().uri().path(), "/auth/logout");
/// ```
pub fn logout(base: &BaseUrl, refresh_token: &Secret) -> Result<Operation<()>, Error> {
    let body = json!({"refresh_token": refresh_token.expose(), "mode": "json"});
    Ok(Operation::json(
        base,
        Method::POST,
        "/auth/logout",
        &body,
        crate::response::empty,
    )?
    .anonymous()
    .secret_answer())
}

/// `POST /auth/password/request`: mails a reset link (to `reset_url`, when given and allowed
/// by the server's `PASSWORD_RESET_URL_ALLOW_LIST`).
///
/// ```
/// use directus_proto::{BaseUrl, auth};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = auth::password_request(&base, "a@example.com", Some("https://app.example.com/reset")).unwrap();
/// assert_eq!(op.request().body(), br#"{"email":"a@example.com","reset_url":"https://app.example.com/reset"}"#);
/// ```
pub fn password_request(
    base: &BaseUrl,
    email: &str,
    reset_url: Option<&str>,
) -> Result<Operation<()>, Error> {
    let mut body = json!({ "email": email });
    if let Some(reset_url) = reset_url {
        body["reset_url"] = json!(reset_url);
    }
    Ok(Operation::json(
        base,
        Method::POST,
        "/auth/password/request",
        &body,
        crate::response::empty,
    )?
    .anonymous()
    .secret_answer())
}

/// `POST /auth/password/reset` with the token from the mail and the new password.
///
/// ```
/// use directus_proto::{BaseUrl, Secret, auth};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = auth::password_reset(&base, &Secret::new("jwt"), &Secret::new("new-pw")).unwrap();
/// assert_eq!(op.request().uri().path(), "/auth/password/reset");
/// ```
pub fn password_reset(
    base: &BaseUrl,
    token: &Secret,
    password: &Secret,
) -> Result<Operation<()>, Error> {
    let body = json!({"token": token.expose(), "password": password.expose()});
    Ok(Operation::json(
        base,
        Method::POST,
        "/auth/password/reset",
        &body,
        crate::response::empty,
    )?
    .anonymous()
    .secret_answer())
}

/// `GET /auth`: the configured auth providers.
///
/// ```
/// use directus_proto::{BaseUrl, auth};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(auth::providers(&base).unwrap().request().uri().path(), "/auth");
/// ```
pub fn providers(base: &BaseUrl) -> Result<Operation<serde_json::Value>, Error> {
    Ok(Operation::get(base, "/auth", crate::response::data)?.anonymous())
}

/// Refuses a token that cannot be sent as it is: empty, or with whitespace or a control
/// character (a token read from a file with its newline). The error names the problem, never
/// the token.
pub(crate) fn check_token(token: &Secret, what: &str) -> Result<(), Error> {
    let token = token.expose();
    let problem = if token.is_empty() {
        "is empty"
    } else if token.contains(['\n', '\r']) {
        "holds a line break (read from a file? trim it)"
    } else if token.chars().any(char::is_control) {
        "holds a control character"
    } else if token.chars().any(char::is_whitespace) {
        "holds whitespace (trim it)"
    } else {
        return Ok(());
    };
    Err(Error::invalid(format!("the {what} {problem}")))
}

/// The `Authorization` header value of an access token, marked sensitive so HTTP stacks keep
/// it out of their logs.
pub(crate) fn bearer(token: &Secret) -> Result<http::HeaderValue, Error> {
    check_token(token, "token")?;
    let mut value = http::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| Error::invalid("the token holds characters a header cannot carry"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BaseUrl, Step};

    fn answer(status: u16, body: &str) -> Response<Bytes> {
        Response::builder()
            .status(status)
            .body(Bytes::copy_from_slice(body.as_bytes()))
            .unwrap()
    }

    /// Nothing of an auth answer's body is ever quoted: not for odd shapes that a word filter
    /// would miss, not for a proxy's error page echoing the request.
    #[test]
    fn auth_answers_are_never_quoted() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let bodies = [
            (200, r#"{"data":{"access_\u0074oken":{"s3cr3t":1}}}"#),
            (200, r#"{"DATA":{"ACCESS_TOKEN":"s3cr3t"}}"#),
            (200, r#"["s3cr3t"]"#),
            (200, r#"{"data":{"access_token":["s3cr3t"]}}"#),
            (502, r#"<html>bad gateway for {"password":"s3cr3t"}</html>"#),
            (400, r#"{"email":"a","password":"s3cr3t"}"#),
        ];
        for (status, body) in bodies {
            let login = login(&base, "a@example.com", &Secret::new("pw"), None).unwrap();
            let refresh = refresh(&base, &Secret::new("r")).unwrap();
            let reset = password_reset(&base, &Secret::new("t"), &Secret::new("p")).unwrap();
            let mut errors = vec![
                login.parse(answer(status, body)).unwrap_err(),
                refresh.parse(answer(status, body)).unwrap_err(),
                tokens(answer(status, body)).unwrap_err(),
            ];
            if status >= 400 {
                errors.push(reset.parse(answer(status, body)).unwrap_err());
            }
            for err in errors {
                let shown = format!("{err} {err:?}");
                assert!(!shown.contains("s3cr3t"), "{shown}");
            }
        }
        // the logout exchange reads its answer itself
        let session =
            crate::Session::new(base.clone(), Some(Credentials::refresh_token("r"))).unwrap();
        let mut logout = session.logout();
        let now = std::time::Instant::now();
        assert!(matches!(
            crate::Exchange::step(&mut logout, None, now),
            Ok(Step::Send(_))
        ));
        let err = crate::Exchange::step(&mut logout, Some(answer(502, "s3cr3t")), now).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
    }

    #[test]
    fn debug_of_auth_requests_shows_no_secret() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let ops = [
            login(
                &base,
                "a@example.com",
                &Secret::new("s3cr3t"),
                Some(&Secret::new("s3cr3t")),
            )
            .unwrap(),
            refresh(&base, &Secret::new("s3cr3t")).unwrap(),
        ];
        for op in ops {
            let shown = format!("{op:?} {:?}", op.request());
            assert!(
                !shown.contains("s3cr3t") && !shown.contains("115, 51"),
                "{shown}"
            );
        }
        let session =
            crate::Session::new(base, Some(Credentials::refresh_token("s3cr3t"))).unwrap();
        let mut refresh = session.refresh(session.generation()).unwrap();
        let step = crate::Exchange::step(&mut refresh, None, std::time::Instant::now()).unwrap();
        let shown = format!("{step:?}");
        assert!(
            !shown.contains("s3cr3t") && shown.contains("bytes"),
            "{shown}"
        );
    }
}
