//! Accounts: invitations, self-registration, and two-factor authentication (TOTP).
//!
//! The routes that take a mailed token ([`accept_invite`], [`verify_email`]) and
//! [`register`] are sent without a bearer token. Two-factor authentication, for the current
//! user: [`tfa_generate`] (answers a secret and an `otpauth://` URL for an authenticator app),
//! [`tfa_enable`] with the secret and a code from the app, then logins need
//! [`Credentials::with_otp`](crate::Credentials::with_otp); [`tfa_disable`] with a code, or an
//! admin's [`tfa_disable_for`] a user.
//!
//! ```
//! use directus_proto::{Bytes, BaseUrl, users};
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let op = users::tfa_generate(&base, Some(&"pw".into())).unwrap();
//! assert_eq!(op.request().uri().path(), "/users/me/tfa/generate");
//! let answer = br#"{"data":{"secret":"JBSWY3DPEHPK3PXP","otpauth_url":"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}}"#;
//! let tfa = op.parse(http::Response::new(Bytes::copy_from_slice(answer))).unwrap();
//! assert_eq!(tfa.secret.expose(), "JBSWY3DPEHPK3PXP");
//! assert!(!format!("{tfa:?}").contains("JBSWY3DPEHPK3PXP"));
//! ```

use bytes::Bytes;
use http::Method;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Secret;
use crate::operation::Operation;
use crate::{BaseUrl, Error, Key, response, url};

fn post(base: &BaseUrl, path: &str, body: &serde_json::Value) -> Result<Operation<()>, Error> {
    Operation::json(base, Method::POST, path, body, response::empty)
}

/// Invites a user by email (`POST /users/invite`, admins): the server creates the user as
/// `invited` and mails a link to `invite_url` (else the app) with a token for
/// [`accept_invite`].
///
/// ```
/// use directus_proto::{BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = users::invite(&base, "new@example.com", "role-id", None).unwrap();
/// assert_eq!(op.request().body(), br#"{"email":"new@example.com","role":"role-id"}"#);
/// ```
pub fn invite(
    base: &BaseUrl,
    email: &str,
    role: &str,
    invite_url: Option<&str>,
) -> Result<Operation<()>, Error> {
    let mut body = json!({"email": email, "role": role});
    if let Some(invite_url) = invite_url {
        body["invite_url"] = json!(invite_url);
    }
    post(base, "/users/invite", &body)
}

/// Accepts an invitation with the mailed token and a password (`POST /users/invite/accept`).
///
/// ```
/// use directus_proto::{BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = users::accept_invite(&base, &"tok".into(), &"pw".into()).unwrap();
/// assert!(!op.is_authenticated());
/// assert!(!format!("{op:?}").contains("tok"));
/// ```
pub fn accept_invite(
    base: &BaseUrl,
    token: &Secret,
    password: &Secret,
) -> Result<Operation<()>, Error> {
    let body = json!({"token": token.expose(), "password": password.expose()});
    Ok(post(base, "/users/invite/accept", &body)?.anonymous())
}

/// Registers a new user (`POST /users/register`, when the project allows public
/// registration): the server mails a verification link to `verification_url` (else its own).
///
/// ```
/// use directus_proto::{BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = users::register(&base, "me@example.com", &"pw".into(), None).unwrap();
/// assert_eq!(op.request().uri().path(), "/users/register");
/// assert!(!op.is_authenticated());
/// ```
pub fn register(
    base: &BaseUrl,
    email: &str,
    password: &Secret,
    verification_url: Option<&str>,
) -> Result<Operation<()>, Error> {
    let mut body = json!({"email": email, "password": password.expose()});
    if let Some(verification_url) = verification_url {
        body["verification_url"] = json!(verification_url);
    }
    Ok(post(base, "/users/register", &body)?.anonymous())
}

/// Verifies a registration with the mailed token (`GET /users/register/verify-email?token=`).
/// The server answers with a redirect into the app, which counts as success here.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = users::verify_email(&base, &"a.b".into()).unwrap();
/// assert_eq!(op.request().uri().query(), Some("token=a.b"));
/// let redirect = http::Response::builder().status(302).body(Bytes::new()).unwrap();
/// assert!(op.parse(redirect).is_ok());
/// ```
pub fn verify_email(base: &BaseUrl, token: &Secret) -> Result<Operation<()>, Error> {
    let path = format!(
        "/users/register/verify-email?token={}",
        url::encode(token.expose())
    );
    Ok(Operation::get(base, &path, redirect_or_success)?.anonymous())
}

fn redirect_or_success(response: http::Response<Bytes>) -> Result<(), Error> {
    if response.status().is_redirection() {
        return Ok(());
    }
    response::empty(response)
}

/// A new TOTP secret, not yet enabled. Both fields are secrets (never printed).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TfaSecret {
    /// The base32 secret (what [`tfa_enable`] takes back).
    pub secret: Secret,
    /// The `otpauth://` URL for an authenticator app (a QR code).
    pub otpauth_url: Secret,
}

impl std::fmt::Debug for TfaSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TfaSecret").finish_non_exhaustive()
    }
}

fn parse_tfa(response: http::Response<Bytes>) -> Result<TfaSecret, Error> {
    #[derive(Deserialize)]
    struct Raw {
        secret: String,
        otpauth_url: String,
    }
    #[derive(Deserialize)]
    struct Envelope {
        data: Raw,
    }
    let response = response::success(response)?;
    // The body holds the secret: an error carries no excerpt of it.
    let raw: Envelope =
        serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
            status: response.status(),
            excerpt: "(redacted: the answer holds a secret)".into(),
            source,
        })?;
    Ok(TfaSecret {
        secret: Secret::new(raw.data.secret),
        otpauth_url: Secret::new(raw.data.otpauth_url),
    })
}

/// Generates a TOTP secret for the current user (`POST /users/me/tfa/generate`); users who
/// log in with a password must give it.
///
/// ```
/// use directus_proto::{BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = users::tfa_generate(&base, None).unwrap();
/// assert_eq!(op.request().body(), b"{}");
/// ```
pub fn tfa_generate(
    base: &BaseUrl,
    password: Option<&Secret>,
) -> Result<Operation<TfaSecret>, Error> {
    let body = match password {
        Some(password) => json!({"password": password.expose()}),
        None => json!({}),
    };
    Operation::json(
        base,
        Method::POST,
        "/users/me/tfa/generate",
        &body,
        parse_tfa,
    )
}

/// Turns on TOTP for the current user with the generated secret and a current code.
///
/// ```
/// use directus_proto::{BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = users::tfa_enable(&base, &"JBSWY3DPEHPK3PXP".into(), "123456").unwrap();
/// assert_eq!(op.request().uri().path(), "/users/me/tfa/enable");
/// ```
pub fn tfa_enable(base: &BaseUrl, secret: &Secret, otp: &str) -> Result<Operation<()>, Error> {
    let body = json!({"secret": secret.expose(), "otp": otp});
    post(base, "/users/me/tfa/enable", &body)
}

/// Turns off TOTP for the current user, with a current code.
///
/// ```
/// use directus_proto::{BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(users::tfa_disable(&base, "123456").unwrap().request().body(), br#"{"otp":"123456"}"#);
/// ```
pub fn tfa_disable(base: &BaseUrl, otp: &str) -> Result<Operation<()>, Error> {
    post(base, "/users/me/tfa/disable", &json!({ "otp": otp }))
}

/// Turns off TOTP for another user (`POST /users/{id}/tfa/disable`, admins).
///
/// ```
/// use directus_proto::{BaseUrl, users};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(users::tfa_disable_for(&base, "u1").unwrap().request().uri().path(), "/users/u1/tfa/disable");
/// ```
pub fn tfa_disable_for(base: &BaseUrl, user: impl Into<Key>) -> Result<Operation<()>, Error> {
    let path = format!(
        "/users/{}/tfa/disable",
        url::segment(&user.into().to_string(), "user key")?
    );
    post(base, &path, &json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tfa_answers_never_leak() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let op = tfa_generate(&base, Some(&"hunter2".into())).unwrap();
        assert!(!format!("{op:?}").contains("hunter2"));
        let truncated = http::Response::new(Bytes::from_static(br#"{"data":{"secret":"S3CRET""#));
        let err = op.parse(truncated).unwrap_err();
        assert!(!err.to_string().contains("S3CRET"));
        assert!(!format!("{err:?}").contains("S3CRET"));
        let refused = http::Response::builder()
            .status(401)
            .body(Bytes::from_static(br#"{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}"#))
            .unwrap();
        assert_eq!(op.parse(refused).unwrap_err().status().unwrap(), 401);
        assert!(
            verify_email(&base, &"x".into())
                .unwrap()
                .parse(
                    http::Response::builder()
                        .status(500)
                        .body(Bytes::new())
                        .unwrap()
                )
                .is_err()
        );
    }
}
