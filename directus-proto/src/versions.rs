//! Content versions: a named draft of one item (`/versions`), saved into, compared with the
//! main item, and promoted. The collection needs versioning on (`meta.versioning`); read an
//! item at a version with [`Query::version`](crate::Query::version) (the version's `key`).
//!
//! The saves, [`system::save_version`](crate::system::save_version) and
//! [`system::promote_version`](crate::system::promote_version), live beside the other system
//! routes; here are the creation and the typed comparison.
//!
//! ```
//! use directus_proto::{BaseUrl, versions};
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let op = versions::create(&base, "articles", 7, "draft", "Spring draft").unwrap();
//! assert_eq!(op.request().body(), br#"{"collection":"articles","item":"7","key":"draft","name":"Spring draft"}"#);
//! ```

use serde::Deserialize;
use serde_json::{Value, json};

use crate::models::Version;
use crate::operation::Operation;
use crate::{BaseUrl, Error, Items, Key, response, url};

/// Creates a content version of an item (`POST /versions`): `key` is what `?version=` names,
/// `name` what the app shows.
///
/// ```
/// use directus_proto::{BaseUrl, versions};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = versions::create(&base, "articles", "a-uuid", "draft", "Draft").unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("POST", "/versions"));
/// assert!(versions::create(&base, "articles", 1, "", "Draft").is_err());
/// ```
pub fn create(
    base: &BaseUrl,
    collection: &str,
    item: impl Into<Key>,
    key: &str,
    name: &str,
) -> Result<Operation<Option<Version>>, Error> {
    if key.trim().is_empty() {
        return Err(Error::invalid("a version needs a key"));
    }
    let body = json!({
        "collection": collection,
        "item": item.into().to_string(),
        "key": key,
        "name": name,
    });
    Items::<Version>::of().create(base, &body)
}

/// A version compared with its main item (`GET /versions/{id}/compare`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Comparison {
    /// Whether the main item changed since the version was made.
    #[serde(default)]
    pub outdated: bool,
    /// The hash of the main item, which [`promote`](crate::system::promote_version) needs.
    #[serde(default, rename = "mainHash")]
    pub main_hash: String,
    /// The fields the version changes, with their new values.
    #[serde(default)]
    pub current: Value,
    /// The main item.
    #[serde(default)]
    pub main: Value,
}

/// Compares a version with the main item, typed.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, versions};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = versions::compare(&base, "v1").unwrap();
/// assert_eq!(op.request().uri().path(), "/versions/v1/compare");
/// let answer = br#"{"data":{"outdated":false,"mainHash":"ab12","current":{"title":"B"},"main":{"id":1,"title":"A"}}}"#;
/// let cmp = op.parse(http::Response::new(Bytes::copy_from_slice(answer))).unwrap();
/// assert_eq!(cmp.main_hash, "ab12");
/// assert_eq!(cmp.current["title"], "B");
/// ```
pub fn compare(base: &BaseUrl, id: impl Into<Key>) -> Result<Operation<Comparison>, Error> {
    let path = format!(
        "/versions/{}/compare",
        url::segment(&id.into().to_string(), "version key")?
    );
    Ok(Operation::get(base, &path, response::data::<Comparison>)?
        .for_collection("directus_versions"))
}
