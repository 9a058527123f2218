//! Shares: a link that lets someone without an account read one item (`/shares`). Create one
//! with [`create`] (or [`Items`] of [`Share`]), read its public information with
//! [`system::share_info`](crate::system::share_info), log in with it ([`login`]: the tokens of
//! a session limited to the shared item) and mail it ([`invite`]; the server needs email).
//!
//! ```
//! use directus_proto::{BaseUrl, shares};
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let op = shares::login(&base, "a-share-id", Some(&"pw".into())).unwrap();
//! assert!(!op.is_authenticated());
//! assert!(!format!("{op:?}").contains("pw"));
//! ```

use http::Method;
use serde_json::json;

use crate::auth::{self, Secret, Tokens};
use crate::models::Share;
use crate::operation::Operation;
use crate::{BaseUrl, Error, Items, Key, response};

/// Creates a share of one item (`POST /shares`). Its visitors read the item with the
/// permissions of `role` intersected with yours (Directus gives a share without a role
/// nothing); `name` shows in the app, `password` (if any) is what [`login`] needs.
///
/// ```
/// use directus_proto::{BaseUrl, shares};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = shares::create(&base, "articles", 7, "role-id", "For the press", None).unwrap();
/// assert_eq!(op.request().body(), br#"{"collection":"articles","item":"7","name":"For the press","role":"role-id"}"#);
/// ```
pub fn create(
    base: &BaseUrl,
    collection: &str,
    item: impl Into<Key>,
    role: &str,
    name: &str,
    password: Option<&Secret>,
) -> Result<Operation<Option<Share>>, Error> {
    let mut body = json!({
        "collection": collection,
        "item": item.into().to_string(),
        "role": role,
        "name": name,
    });
    if let Some(password) = password {
        body["password"] = json!(password.expose());
    }
    Items::<Share>::of().create(base, &body)
}

/// Logs in with a share (`POST /shares/auth`, JSON mode): the tokens of a session that may
/// read the shared item only. Use them with
/// [`Credentials::refresh_token`](crate::Credentials::refresh_token) or as a static token
/// until they expire.
///
/// ```
/// use directus_proto::{BaseUrl, shares};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = shares::login(&base, "s1", None).unwrap();
/// assert_eq!(op.request().body(), br#"{"mode":"json","share":"s1"}"#);
/// ```
pub fn login(
    base: &BaseUrl,
    share: impl Into<Key>,
    password: Option<&Secret>,
) -> Result<Operation<Tokens>, Error> {
    let mut body = json!({"share": share.into().to_string(), "mode": "json"});
    if let Some(password) = password {
        body["password"] = json!(password.expose());
    }
    Ok(Operation::json(base, Method::POST, "/shares/auth", &body, auth::tokens)?.anonymous())
}

/// Mails a share's link to people (`POST /shares/invite`); the server needs a working email
/// transport.
///
/// ```
/// use directus_proto::{BaseUrl, shares};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = shares::invite(&base, "s1", &["a@example.com"]).unwrap();
/// assert_eq!(op.request().body(), br#"{"emails":["a@example.com"],"share":"s1"}"#);
/// assert!(shares::invite(&base, "s1", &[]).is_err());
/// ```
pub fn invite(
    base: &BaseUrl,
    share: impl Into<Key>,
    emails: &[&str],
) -> Result<Operation<()>, Error> {
    if emails.is_empty() {
        return Err(Error::invalid("an invite needs at least one email address"));
    }
    let body = json!({"share": share.into().to_string(), "emails": emails});
    Operation::json(base, Method::POST, "/shares/invite", &body, response::empty)
}
