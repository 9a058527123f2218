//! The system endpoints that are not plain collection items: the current user, their
//! permissions and roles, the server, the settings singleton, content versions, shares,
//! translations grouped by key. The schema (collections, fields, relations, snapshots) is in
//! [`schema`](crate::schema).
//!
//! The system collections' items are read and written with [`Items`] and the typed
//! [`models`](crate::models): `Items::<User>::of()` is `/users`, `Items::<Activity>::of()` is
//! `/activity`, and so on for roles, policies, permissions, folders, revisions, comments,
//! presets, notifications, shares, versions and translations.
//!
//! ```
//! use directus_proto::models::{Comment, User};
//! use directus_proto::{BaseUrl, Items, Query, system};
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let me = system::me::<User>(&base, &Query::new().fields(["id", "email", "role.name"])).unwrap();
//! assert_eq!(me.request().uri(), "http://127.0.0.1:8055/users/me?fields=id%2Cemail%2Crole.name");
//! let comments = Items::<Comment>::of().read(&base).unwrap();
//! assert_eq!(comments.request().uri().path(), "/comments");
//! ```

use bytes::Bytes;
use std::collections::BTreeMap;

use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::excerpt;
use crate::models::{ActionAccess, Health, Role, ServerInfo, Translation};
use crate::operation::{Operation, Parser};
use crate::{BaseUrl, Error, Items, Key, Query, response, url};

fn with_query(path: &str, query: &Query) -> Result<String, Error> {
    let query = query.to_query_string()?;
    Ok(if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    })
}

fn json_op<T, B: Serialize + ?Sized>(
    base: &BaseUrl,
    method: Method,
    path: &str,
    body: &B,
    parse: Parser<T>,
    collection: &str,
) -> Result<Operation<T>, Error> {
    Ok(Operation::json(base, method, path, body, parse)?.for_collection(collection))
}

fn get<T>(
    base: &BaseUrl,
    path: &str,
    parse: Parser<T>,
    collection: &str,
) -> Result<Operation<T>, Error> {
    Ok(Operation::get(base, path, parse)?.for_collection(collection))
}

// ---- The current user -------------------------------------------------------------------

/// The current user (`GET /users/me`), as `T`: [`User`](crate::models::User), or a project's
/// own type that flattens it.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, Query, models::User, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::me::<User>(&base, &Query::new()).unwrap();
/// let me = op.parse(http::Response::new(Bytes::from_static(br#"{"data":{"id":"u1","email":"a@b.c"}}"#))).unwrap();
/// assert_eq!(me.email.as_deref(), Some("a@b.c"));
/// ```
pub fn me<T: DeserializeOwned>(base: &BaseUrl, query: &Query) -> Result<Operation<T>, Error> {
    get(
        base,
        &with_query("/users/me", query)?,
        response::data::<T>,
        "directus_users",
    )
}

/// Updates the current user (`PATCH /users/me`); answers the user, or `None` on a 204.
///
/// ```
/// use directus_proto::{BaseUrl, models::User, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::update_me::<User, _>(&base, &serde_json::json!({"last_page": "/content"})).unwrap();
/// assert_eq!(op.request().method(), "PATCH");
/// assert_eq!(op.request().body(), br#"{"last_page":"/content"}"#);
/// ```
pub fn update_me<T: DeserializeOwned, B: Serialize + ?Sized>(
    base: &BaseUrl,
    patch: &B,
) -> Result<Operation<Option<T>>, Error> {
    json_op(
        base,
        Method::PATCH,
        "/users/me",
        patch,
        response::written::<T>,
        "directus_users",
    )
}

/// What the current user may do: collection → action (`create`, `read`, `update`, `delete`,
/// `share`) → access.
pub type MyPermissions = BTreeMap<String, BTreeMap<String, ActionAccess>>;

/// The current user's permissions (`GET /permissions/me`), by collection and action.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::my_permissions(&base).unwrap();
/// assert_eq!(op.request().uri().path(), "/permissions/me");
/// let body = br#"{"data":{"articles":{"read":{"access":"full","fields":["*"]},"delete":{"access":"none"}}}}"#;
/// let perms = op.parse(http::Response::new(Bytes::copy_from_slice(body))).unwrap();
/// assert!(perms["articles"]["read"].allows_field("title"));
/// assert!(!perms["articles"]["delete"].allowed());
/// ```
pub fn my_permissions(base: &BaseUrl) -> Result<Operation<MyPermissions>, Error> {
    get(
        base,
        "/permissions/me",
        response::data::<MyPermissions>,
        "directus_permissions",
    )
}

/// The current user's roles (`GET /roles/me`): a list (the role and the roles it nests in).
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::my_roles(&base).unwrap();
/// let roles = op.parse(http::Response::new(Bytes::from_static(br#"{"data":[{"id":"r","name":"Editor"}]}"#))).unwrap();
/// assert_eq!(roles[0].name.as_deref(), Some("Editor"));
/// ```
pub fn my_roles(base: &BaseUrl) -> Result<Operation<Vec<Role>>, Error> {
    get(
        base,
        "/roles/me",
        response::data::<Vec<Role>>,
        "directus_roles",
    )
}

// ---- Server -------------------------------------------------------------------------------

/// `GET /server/ping`: answers the text `pong`; sent without a token.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::ping(&base).unwrap();
/// assert!(!op.is_authenticated());
/// assert_eq!(op.parse(http::Response::new(Bytes::from_static(b"pong"))).unwrap(), "pong");
/// ```
pub fn ping(base: &BaseUrl) -> Result<Operation<String>, Error> {
    Ok(Operation::get(base, "/server/ping", response::text)?.anonymous())
}

/// `GET /server/health`: the status, and for admins every check. The answer has no `data`
/// envelope, and an unhealthy server answers 503 with the same body, which is read as a
/// [`Health`] with status `error` rather than as an error. Directus 12.4 refuses it without
/// a token (403), and answers only `{"status":"ok"}` to users who are not admins.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::health(&base).unwrap();
/// let down = http::Response::builder().status(503)
///     .body(Bytes::from_static(br#"{"status":"error","checks":{}}"#)).unwrap();
/// assert_eq!(op.parse(down).unwrap().status.as_deref(), Some("error"));
/// ```
pub fn health(base: &BaseUrl) -> Result<Operation<Health>, Error> {
    Operation::get(base, "/server/health", parse_health)
}

fn parse_health(response: http::Response<Bytes>) -> Result<Health, Error> {
    if response.status() == http::StatusCode::SERVICE_UNAVAILABLE
        && let Ok(health) = serde_json::from_slice::<Health>(response.body())
        && health.status.is_some()
    {
        return Ok(health);
    }
    let response = response::success(response)?;
    serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
        status: response.status(),
        excerpt: excerpt(response.body()),
        source,
    })
}

/// `GET /server/info`: project information; the version and limits when authenticated.
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::info(&base).unwrap();
/// let info = op.parse(http::Response::new(Bytes::from_static(br#"{"data":{"version":"12.4.0"}}"#))).unwrap();
/// assert_eq!(info.version.as_deref(), Some("12.4.0"));
/// ```
pub fn info(base: &BaseUrl) -> Result<Operation<ServerInfo>, Error> {
    Operation::get(base, "/server/info", response::data::<ServerInfo>)
}

/// `GET /server/specs/oas`: the project's OpenAPI specification (no `data` envelope).
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::openapi(&base).unwrap();
/// let spec = op.parse(http::Response::new(Bytes::from_static(br#"{"openapi":"3.0.1"}"#))).unwrap();
/// assert_eq!(spec["openapi"], "3.0.1");
/// ```
pub fn openapi(base: &BaseUrl) -> Result<Operation<Value>, Error> {
    Operation::get(base, "/server/specs/oas", raw_json)
}

fn raw_json(response: http::Response<Bytes>) -> Result<Value, Error> {
    let response = response::success(response)?;
    serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
        status: response.status(),
        excerpt: excerpt(response.body()),
        source,
    })
}

// ---- Settings -----------------------------------------------------------------------------

/// The settings singleton (`GET /settings`), as `T` ([`Settings`](crate::models::Settings)).
///
/// ```
/// use directus_proto::{BaseUrl, Query, models::Settings, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::settings::<Settings>(&base, &Query::new().fields(["project_name"])).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/settings?fields=project_name");
/// ```
pub fn settings<T: DeserializeOwned>(base: &BaseUrl, query: &Query) -> Result<Operation<T>, Error> {
    Items::<T>::new("directus_settings")
        .with_query(query.clone())
        .read_singleton(base)
}

/// Updates the settings (`PATCH /settings`).
///
/// ```
/// use directus_proto::{BaseUrl, models::Settings, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::update_settings::<Settings, _>(&base, &serde_json::json!({"project_name": "Shop"})).unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("PATCH", "/settings"));
/// ```
pub fn update_settings<T: DeserializeOwned, B: Serialize + ?Sized>(
    base: &BaseUrl,
    patch: &B,
) -> Result<Operation<Option<T>>, Error> {
    Items::<T>::new("directus_settings").update_singleton(base, patch)
}

// ---- Comments, versions, shares -----------------------------------------------------------

/// Comments on an item (`POST /comments` with `{collection, item, comment}`).
///
/// ```
/// use directus_proto::{BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::comment(&base, "articles", 1, "Nice").unwrap();
/// assert_eq!(op.request().body(), br#"{"collection":"articles","comment":"Nice","item":"1"}"#);
/// ```
pub fn comment(
    base: &BaseUrl,
    collection: &str,
    item: impl Into<Key>,
    text: &str,
) -> Result<Operation<Option<crate::models::Comment>>, Error> {
    let body = json!({"collection": collection, "item": item.into().to_string(), "comment": text});
    Items::<crate::models::Comment>::of().create(base, &body)
}

fn version_route(id: &Key, action: &str) -> Result<String, Error> {
    Ok(format!(
        "/versions/{}/{action}",
        url::segment(&id.to_string(), "version key")?
    ))
}

/// Saves changes into a content version (`POST /versions/{id}/save`, the body is the changed
/// fields); answers the item as the version now has it.
///
/// ```
/// use directus_proto::{BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::save_version(&base, "v1", &serde_json::json!({"title": "Draft"})).unwrap();
/// assert_eq!(op.request().uri().path(), "/versions/v1/save");
/// assert_eq!(op.request().body(), br#"{"title":"Draft"}"#);
/// ```
pub fn save_version<B: Serialize + ?Sized>(
    base: &BaseUrl,
    id: impl Into<Key>,
    delta: &B,
) -> Result<Operation<Option<Value>>, Error> {
    let path = version_route(&id.into(), "save")?;
    json_op(
        base,
        Method::POST,
        &path,
        delta,
        response::written::<Value>,
        "directus_versions",
    )
}

/// Compares a content version with the main item (`GET /versions/{id}/compare`): answers
/// `{outdated, mainHash, current, main}`.
///
/// ```
/// use directus_proto::{BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(system::compare_version(&base, "v1").unwrap().request().uri().path(), "/versions/v1/compare");
/// ```
pub fn compare_version(base: &BaseUrl, id: impl Into<Key>) -> Result<Operation<Value>, Error> {
    let path = version_route(&id.into(), "compare")?;
    get(base, &path, response::data::<Value>, "directus_versions")
}

/// Promotes a content version into the main item (`POST /versions/{id}/promote` with the
/// `mainHash` [`compare_version`] answered, optionally limited to some fields).
///
/// ```
/// use directus_proto::{BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = system::promote_version(&base, "v1", "e5b6", None).unwrap();
/// assert_eq!(op.request().body(), br#"{"mainHash":"e5b6"}"#);
/// ```
pub fn promote_version(
    base: &BaseUrl,
    id: impl Into<Key>,
    main_hash: &str,
    fields: Option<&[&str]>,
) -> Result<Operation<Option<Value>>, Error> {
    let path = version_route(&id.into(), "promote")?;
    let body = match fields {
        Some(fields) => json!({"mainHash": main_hash, "fields": fields}),
        None => json!({ "mainHash": main_hash }),
    };
    json_op(
        base,
        Method::POST,
        &path,
        &body,
        response::written::<Value>,
        "directus_versions",
    )
}

/// Public information about a share (`GET /shares/info/{id}`).
///
/// ```
/// use directus_proto::{BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(system::share_info(&base, "s1").unwrap().request().uri().path(), "/shares/info/s1");
/// ```
pub fn share_info(
    base: &BaseUrl,
    id: impl Into<Key>,
) -> Result<Operation<crate::models::Share>, Error> {
    let path = format!(
        "/shares/info/{}",
        url::segment(&id.into().to_string(), "share key")?
    );
    get(
        base,
        &path,
        response::data::<crate::models::Share>,
        "directus_shares",
    )
}

// ---- Translations -------------------------------------------------------------------------

/// Translation strings grouped by key, then by language: `{"greeting": {"de-DE": "Hallo"}}`.
pub type TranslationsByKey = BTreeMap<String, BTreeMap<String, String>>;

/// Groups translation rows by key, then language (rows without a key, language or value are
/// skipped; a later row wins over an earlier one for the same key and language).
///
/// ```
/// use directus_proto::{models::Translation, system};
/// let rows = [Translation::new("greeting", "en-US", "Hello"), Translation::new("greeting", "de-DE", "Hallo")];
/// let grouped = system::translations_by_key(&rows);
/// assert_eq!(grouped["greeting"]["de-DE"], "Hallo");
/// ```
pub fn translations_by_key(rows: &[Translation]) -> TranslationsByKey {
    let mut grouped = TranslationsByKey::new();
    for row in rows {
        if let (Some(key), Some(language), Some(value)) = (&row.key, &row.language, &row.value) {
            grouped
                .entry(key.clone())
                .or_default()
                .insert(language.clone(), value.clone());
        }
    }
    grouped
}

/// The rows of a grouped view (the inverse of [`translations_by_key`]), in key then language
/// order.
///
/// ```
/// use directus_proto::system;
/// let mut grouped = system::TranslationsByKey::new();
/// grouped.entry("bye".into()).or_default().insert("en-US".into(), "Bye".into());
/// assert_eq!(system::translation_rows(&grouped)[0].value.as_deref(), Some("Bye"));
/// ```
pub fn translation_rows(grouped: &TranslationsByKey) -> Vec<Translation> {
    grouped
        .iter()
        .flat_map(|(key, values)| {
            values
                .iter()
                .map(move |(language, value)| Translation::new(key, language, value))
        })
        .collect()
}

/// Creates every string of a grouped view in one request (`POST /translations` with a list).
///
/// ```
/// use directus_proto::{BaseUrl, system};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let mut grouped = system::TranslationsByKey::new();
/// grouped.entry("greeting".into()).or_default().insert("de-DE".into(), "Hallo".into());
/// let op = system::create_translations(&base, &grouped).unwrap();
/// assert_eq!(op.request().uri().path(), "/translations");
/// assert_eq!(op.request().body(), br#"[{"language":"de-DE","key":"greeting","value":"Hallo"}]"#);
/// ```
pub fn create_translations(
    base: &BaseUrl,
    grouped: &TranslationsByKey,
) -> Result<Operation<Option<Vec<Translation>>>, Error> {
    let rows = translation_rows(grouped);
    if rows.is_empty() {
        return Err(Error::invalid("no translations to create"));
    }
    Items::<Translation>::of().create_many(base, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::User;

    fn base() -> BaseUrl {
        BaseUrl::parse("http://localhost:8055").unwrap()
    }

    #[test]
    fn grouping_round_trips() {
        let rows = vec![
            Translation::new("greeting", "en-US", "Hello"),
            Translation::new("greeting", "de-DE", "Hallo"),
            Translation::new("bye", "en-US", "Bye"),
            Translation::default(),
        ];
        let grouped = translations_by_key(&rows);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped["greeting"].len(), 2);
        assert_eq!(translation_rows(&grouped).len(), 3);
        assert_eq!(translations_by_key(&translation_rows(&grouped)), grouped);
        assert!(create_translations(&base(), &TranslationsByKey::new()).is_err());
    }

    #[test]
    fn routes_are_encoded() {
        assert!(me::<User>(&base(), &Query::new()).unwrap().is_read());
        assert_eq!(
            promote_version(&base(), "v", "h", Some(&["title"]))
                .unwrap()
                .request()
                .body(),
            br#"{"fields":["title"],"mainHash":"h"}"#
        );
    }

    #[test]
    fn health_reads_503_bodies_and_errors() {
        let forbidden = http::Response::builder()
            .status(403)
            .body(bytes::Bytes::from_static(
                br#"{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}"#,
            ))
            .unwrap();
        assert_eq!(
            health(&base())
                .unwrap()
                .parse(forbidden)
                .unwrap_err()
                .status()
                .unwrap(),
            403
        );
        let garbage = http::Response::builder()
            .status(503)
            .body(Bytes::from_static(b"<html>"))
            .unwrap();
        assert!(health(&base()).unwrap().parse(garbage).is_err());
    }
}
