//! What the current identity may do: on one item (`/permissions/me/{collection}/{key}`), its
//! policies' global flags (`/policies/me/globals`), and which auth providers the server offers
//! (`GET /auth`). The per-collection view is [`system::my_permissions`](crate::system::my_permissions),
//! the roles [`system::my_roles`](crate::system::my_roles).
//!
//! ```
//! use directus_proto::{BaseUrl, access};
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let op = access::item_permissions(&base, "articles", Some(7.into())).unwrap();
//! assert_eq!(op.request().uri().path(), "/permissions/me/articles/7");
//! ```

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::excerpt;
use crate::operation::Operation;
use crate::{BaseUrl, Error, Key, response, url};

/// Whether one action is allowed on an item.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ItemAccess {
    /// Allowed.
    #[serde(default)]
    pub access: bool,
    /// Other keys (`presets`, `fields` for updates).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What the current identity may do with one item (or a singleton).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ItemPermissions {
    /// Updating it.
    #[serde(default)]
    pub update: ItemAccess,
    /// Deleting it.
    #[serde(default)]
    pub delete: ItemAccess,
    /// Sharing it.
    #[serde(default)]
    pub share: ItemAccess,
}

/// `GET /permissions/me/{collection}/{key}` (no key for a singleton).
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, access};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = access::item_permissions(&base, "settings_page", None).unwrap();
/// assert_eq!(op.request().uri().path(), "/permissions/me/settings_page");
/// let body = br#"{"data":{"update":{"access":true},"delete":{"access":false},"share":{"access":false}}}"#;
/// let perms = op.parse(http::Response::new(Bytes::copy_from_slice(body))).unwrap();
/// assert!(perms.update.access && !perms.delete.access);
/// ```
pub fn item_permissions(
    base: &BaseUrl,
    collection: &str,
    key: Option<Key>,
) -> Result<Operation<ItemPermissions>, Error> {
    let mut path = format!(
        "/permissions/me/{}",
        url::segment(collection, "collection name")?
    );
    if let Some(key) = key {
        path.push('/');
        path.push_str(&url::segment(&key.to_string(), "item key")?);
    }
    Operation::get(base, &path, response::data::<ItemPermissions>)
}

/// The global flags of the current identity's policies.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct PolicyGlobals {
    /// May use the app.
    #[serde(default)]
    pub app_access: bool,
    /// Is an administrator.
    #[serde(default)]
    pub admin_access: bool,
    /// Must use two-factor authentication.
    #[serde(default)]
    pub enforce_tfa: bool,
}

/// `GET /policies/me/globals`.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, access};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = access::my_globals(&base).unwrap();
/// let body = br#"{"data":{"app_access":true,"admin_access":false,"enforce_tfa":false}}"#;
/// assert!(op.parse(http::Response::new(Bytes::copy_from_slice(body))).unwrap().app_access);
/// ```
pub fn my_globals(base: &BaseUrl) -> Result<Operation<PolicyGlobals>, Error> {
    Operation::get(
        base,
        "/policies/me/globals",
        response::data::<PolicyGlobals>,
    )
}

/// One login provider (SSO: OpenID, OAuth 2.0, LDAP, SAML).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AuthProvider {
    /// Its name, as in `/auth/login/{name}`.
    #[serde(default)]
    pub name: String,
    /// `openid`, `oauth2`, `ldap` or `saml`.
    #[serde(default)]
    pub driver: String,
    /// Other keys (`icon`, `label`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The login options of a server.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AuthProviders {
    /// The SSO providers.
    #[serde(default, rename = "data")]
    pub providers: Vec<AuthProvider>,
    /// Whether email-and-password login is turned off.
    #[serde(default, rename = "disableDefault")]
    pub disable_default: bool,
}

/// `GET /auth`, sent without a token.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, access};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = access::auth_providers(&base).unwrap();
/// assert!(!op.is_authenticated());
/// let body = br#"{"data":[{"name":"github","driver":"oauth2","icon":"github"}],"disableDefault":false}"#;
/// let p = op.parse(http::Response::new(Bytes::copy_from_slice(body))).unwrap();
/// assert_eq!(p.providers[0].driver, "oauth2");
/// ```
pub fn auth_providers(base: &BaseUrl) -> Result<Operation<AuthProviders>, Error> {
    Ok(Operation::get(base, "/auth", parse_providers)?.anonymous())
}

fn parse_providers(response: http::Response<Bytes>) -> Result<AuthProviders, Error> {
    let response = response::success(response)?;
    serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
        status: response.status(),
        excerpt: excerpt(response.body()),
        source,
    })
}
