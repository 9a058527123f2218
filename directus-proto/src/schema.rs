//! Schema as code: collections, fields and relations, snapshots, and diffs between servers.
//!
//! - [`Collection`], [`Field`] and [`Relation`] are typed (every member optional, the server's
//!   other members kept in `extra`), with builders for the common field types so that a
//!   migration reads like the schema it makes.
//! - The requests of `/collections`, `/fields` and `/relations`, and of `/schema/snapshot`,
//!   `/schema/diff` and `/schema/apply` ([`Snapshot`], [`Diff`], [`Summary`], [`Refusal`]).
//!
//! Like the JavaScript SDK's `createCollection`, `createField`, `createRelation`,
//! `schemaSnapshot`, `schemaDiff` and `schemaApply`, with types.
//!
//! ```
//! use directus_proto::schema::{self, Collection, Field, Relation};
//! use directus_proto::BaseUrl;
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let suppliers = Collection::new("suppliers")
//!     .fields([Field::integer_pk("id"), Field::string("name").required(), Field::o2m("products")]);
//! let products = Collection::new("products").fields([
//!     Field::integer_pk("id"),
//!     Field::string("name"),
//!     Field::decimal("price", 10, 2),
//!     Field::m2o("supplier", "integer"),
//! ]);
//! let supplier = Relation::many_to_one("products", "supplier", "suppliers").one_field("products");
//! let ops = [
//!     schema::create_collection(&base, &suppliers).unwrap(),
//!     schema::create_collection(&base, &products).unwrap(),
//! ];
//! assert_eq!(ops[0].request().uri().path(), "/collections");
//! assert_eq!(schema::create_relation(&base, &supplier).unwrap().request().uri().path(), "/relations");
//! ```

use http::Method;
use serde::Serialize;

use crate::operation::{Operation, Parser};
use crate::{BaseUrl, Error, response, url};

#[cfg(feature = "codegen")]
pub mod codegen;
pub mod decimal;
mod migrate;
mod model;
mod snapshot;

pub use migrate::{Migrate, Migration};
pub use model::{
    Collection, CollectionMeta, CollectionSchema, Field, FieldMeta, FieldSchema, ManyToMany,
    Relation, RelationMeta, RelationSchema,
};
pub use snapshot::{
    Change, ChangeKind, Changes, CollectionChange, Diff, DiffMode, DiffOptions, FieldChange,
    Refusal, RelationChange, Snapshot, SnapshotScope, Summary, Tally,
};

/// The response-cache group of every schema request: a write to collections, fields or
/// relations (or an apply) drops every cached schema read, since each changes what the others
/// answer.
const SCHEMA: &str = "directus_collections";

fn get<T>(
    base: &BaseUrl,
    path: &str,
    parse: Parser<T>,
    cache_group: &str,
) -> Result<Operation<T>, Error> {
    Ok(Operation::get(base, path, parse)?.for_collection(cache_group))
}

fn write<T, B: Serialize + ?Sized>(
    base: &BaseUrl,
    method: Method,
    path: &str,
    body: &B,
    parse: Parser<T>,
    cache_group: &str,
) -> Result<Operation<T>, Error> {
    Ok(Operation::json(base, method, path, body, parse)?.for_collection(cache_group))
}

fn delete(base: &BaseUrl, path: &str, cache_group: &str) -> Result<Operation<()>, Error> {
    Ok(
        Operation::build_bare(base, Method::DELETE, path, response::empty)?
            .for_collection(cache_group),
    )
}

fn collection_path(name: &str) -> Result<String, Error> {
    Ok(format!(
        "/collections/{}",
        url::segment(name, "collection name")?
    ))
}

fn fields_path(collection: &str, field: Option<&str>) -> Result<String, Error> {
    let mut path = format!("/fields/{}", url::segment(collection, "collection name")?);
    if let Some(field) = field {
        path = format!("{path}/{}", url::segment(field, "field name")?);
    }
    Ok(path)
}

fn relation_path(collection: &str, field: &str) -> Result<String, Error> {
    Ok(format!(
        "/relations/{}/{}",
        url::segment(collection, "collection name")?,
        url::segment(field, "field name")?
    ))
}

// ---- Collections --------------------------------------------------------------------------

/// Every collection (`GET /collections`), system ones included.
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::collections(&base).unwrap().request().uri().path(), "/collections");
/// ```
pub fn collections(base: &BaseUrl) -> Result<Operation<Vec<Collection>>, Error> {
    get(
        base,
        "/collections",
        response::data::<Vec<Collection>>,
        SCHEMA,
    )
}

/// One collection (`GET /collections/{name}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::collection(&base, "a b").unwrap().request().uri().path(), "/collections/a%20b");
/// ```
pub fn collection(base: &BaseUrl, name: &str) -> Result<Operation<Collection>, Error> {
    get(
        base,
        &collection_path(name)?,
        response::data::<Collection>,
        SCHEMA,
    )
}

/// Creates a collection and its table, with its fields (`POST /collections`).
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Collection, Field}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let notes = Collection::new("notes").fields([Field::uuid_pk("id"), Field::text("body")]);
/// let op = schema::create_collection(&base, &notes).unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("POST", "/collections"));
/// ```
pub fn create_collection(
    base: &BaseUrl,
    collection: &Collection,
) -> Result<Operation<Option<Collection>>, Error> {
    write(
        base,
        Method::POST,
        "/collections",
        collection,
        response::written::<Collection>,
        SCHEMA,
    )
}

/// Updates a collection's metadata (`PATCH /collections/{name}` with `{"meta": {...}}`: the
/// table and fields are not changed this way).
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Collection}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let mut patch = Collection::default();
/// patch.meta_mut().note = Some("Our notes".into());
/// let op = schema::update_collection(&base, "notes", &patch).unwrap();
/// assert_eq!(op.request().body(), br#"{"meta":{"note":"Our notes"}}"#);
/// ```
pub fn update_collection<B: Serialize + ?Sized>(
    base: &BaseUrl,
    name: &str,
    patch: &B,
) -> Result<Operation<Option<Collection>>, Error> {
    write(
        base,
        Method::PATCH,
        &collection_path(name)?,
        patch,
        response::written::<Collection>,
        SCHEMA,
    )
}

/// Deletes a collection, its table and its rows (`DELETE /collections/{name}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::delete_collection(&base, "notes").unwrap().request().method(), "DELETE");
/// ```
pub fn delete_collection(base: &BaseUrl, name: &str) -> Result<Operation<()>, Error> {
    delete(base, &collection_path(name)?, SCHEMA)
}

// ---- Fields -------------------------------------------------------------------------------

/// Every field of every collection (`GET /fields`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::all_fields(&base).unwrap().request().uri().path(), "/fields");
/// ```
pub fn all_fields(base: &BaseUrl) -> Result<Operation<Vec<Field>>, Error> {
    get(base, "/fields", response::data::<Vec<Field>>, SCHEMA)
}

/// The fields of a collection (`GET /fields/{collection}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::fields(&base, "articles").unwrap().request().uri().path(), "/fields/articles");
/// ```
pub fn fields(base: &BaseUrl, collection: &str) -> Result<Operation<Vec<Field>>, Error> {
    get(
        base,
        &fields_path(collection, None)?,
        response::data::<Vec<Field>>,
        SCHEMA,
    )
}

/// One field (`GET /fields/{collection}/{field}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::field(&base, "articles", "title").unwrap().request().uri().path(), "/fields/articles/title");
/// ```
pub fn field(base: &BaseUrl, collection: &str, field: &str) -> Result<Operation<Field>, Error> {
    get(
        base,
        &fields_path(collection, Some(field))?,
        response::data::<Field>,
        SCHEMA,
    )
}

/// Adds a field (and its column) to a collection (`POST /fields/{collection}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Field}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = schema::create_field(&base, "articles", &Field::text("body")).unwrap();
/// assert_eq!(op.request().body(), br#"{"field":"body","type":"text","meta":{"interface":"input-multiline"},"schema":{}}"#);
/// ```
pub fn create_field(
    base: &BaseUrl,
    collection: &str,
    field: &Field,
) -> Result<Operation<Option<Field>>, Error> {
    write(
        base,
        Method::POST,
        &fields_path(collection, None)?,
        field,
        response::written::<Field>,
        SCHEMA,
    )
}

/// Updates a field: its type, metadata or column (`PATCH /fields/{collection}/{field}`).
/// Only what the patch holds changes.
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Field}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let mut patch = Field::default();
/// patch.meta_mut().note = Some("Shown on the card".into());
/// let op = schema::update_field(&base, "articles", "title", &patch).unwrap();
/// assert_eq!(op.request().body(), br#"{"meta":{"note":"Shown on the card"}}"#);
/// ```
pub fn update_field<B: Serialize + ?Sized>(
    base: &BaseUrl,
    collection: &str,
    field: &str,
    patch: &B,
) -> Result<Operation<Option<Field>>, Error> {
    write(
        base,
        Method::PATCH,
        &fields_path(collection, Some(field))?,
        patch,
        response::written::<Field>,
        SCHEMA,
    )
}

/// Updates several fields of a collection at once (`PATCH /fields/{collection}` with a list;
/// each entry names its `field`).
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Field}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let mut a = Field { field: Some("a".into()), ..Default::default() };
/// a.meta_mut().sort = Some(2);
/// let op = schema::update_fields(&base, "articles", &[a]).unwrap();
/// assert_eq!(op.request().body(), br#"[{"field":"a","meta":{"sort":2}}]"#);
/// ```
pub fn update_fields(
    base: &BaseUrl,
    collection: &str,
    patches: &[Field],
) -> Result<Operation<Option<Vec<Field>>>, Error> {
    if patches.iter().any(|p| p.field.is_none()) {
        return Err(Error::invalid(
            "each field of a bulk update must name its `field`",
        ));
    }
    write(
        base,
        Method::PATCH,
        &fields_path(collection, None)?,
        patches,
        response::written::<Vec<Field>>,
        SCHEMA,
    )
}

/// Deletes a field and its column (`DELETE /fields/{collection}/{field}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::delete_field(&base, "articles", "body").unwrap().request().uri().path(), "/fields/articles/body");
/// ```
pub fn delete_field(base: &BaseUrl, collection: &str, field: &str) -> Result<Operation<()>, Error> {
    delete(base, &fields_path(collection, Some(field))?, SCHEMA)
}

// ---- Relations ----------------------------------------------------------------------------

/// Every relation (`GET /relations`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::relations(&base).unwrap().request().uri().path(), "/relations");
/// ```
pub fn relations(base: &BaseUrl) -> Result<Operation<Vec<Relation>>, Error> {
    get(base, "/relations", response::data::<Vec<Relation>>, SCHEMA)
}

/// The relations of one collection (`GET /relations/{collection}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::relations_of(&base, "articles").unwrap().request().uri().path(), "/relations/articles");
/// ```
pub fn relations_of(base: &BaseUrl, collection: &str) -> Result<Operation<Vec<Relation>>, Error> {
    let path = format!(
        "/relations/{}",
        url::segment(collection, "collection name")?
    );
    get(base, &path, response::data::<Vec<Relation>>, SCHEMA)
}

/// The relation of one foreign key (`GET /relations/{collection}/{field}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::relation(&base, "articles", "author").unwrap().request().uri().path(), "/relations/articles/author");
/// ```
pub fn relation(
    base: &BaseUrl,
    collection: &str,
    field: &str,
) -> Result<Operation<Relation>, Error> {
    get(
        base,
        &relation_path(collection, field)?,
        response::data::<Relation>,
        SCHEMA,
    )
}

/// Creates a relation (`POST /relations`), e.g. [`Relation::many_to_one`].
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Relation}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = schema::create_relation(&base, &Relation::many_to_one("articles", "author", "directus_users")).unwrap();
/// assert_eq!(op.request().body(), br#"{"collection":"articles","field":"author","related_collection":"directus_users"}"#);
/// ```
pub fn create_relation(
    base: &BaseUrl,
    relation: &Relation,
) -> Result<Operation<Option<Relation>>, Error> {
    write(
        base,
        Method::POST,
        "/relations",
        relation,
        response::written::<Relation>,
        SCHEMA,
    )
}

/// Updates a relation's metadata or constraint (`PATCH /relations/{collection}/{field}`).
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Relation}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let patch = Relation::default().on_delete("CASCADE");
/// let op = schema::update_relation(&base, "articles", "author", &patch).unwrap();
/// assert_eq!(op.request().body(), br#"{"schema":{"on_delete":"CASCADE"}}"#);
/// ```
pub fn update_relation<B: Serialize + ?Sized>(
    base: &BaseUrl,
    collection: &str,
    field: &str,
    patch: &B,
) -> Result<Operation<Option<Relation>>, Error> {
    write(
        base,
        Method::PATCH,
        &relation_path(collection, field)?,
        patch,
        response::written::<Relation>,
        SCHEMA,
    )
}

/// Deletes a relation (`DELETE /relations/{collection}/{field}`); the field stays.
///
/// ```
/// use directus_proto::{BaseUrl, schema};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(schema::delete_relation(&base, "articles", "author").unwrap().request().method(), "DELETE");
/// ```
pub fn delete_relation(
    base: &BaseUrl,
    collection: &str,
    field: &str,
) -> Result<Operation<()>, Error> {
    delete(base, &relation_path(collection, field)?, SCHEMA)
}

// ---- Snapshot, diff, apply ----------------------------------------------------------------

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The schema snapshot (`GET /schema/snapshot`, admins only): the user collections, their
/// fields and relations, typed and as the server's JSON.
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, SnapshotScope}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = schema::snapshot(&base, &SnapshotScope::only(["posts", "tags"])).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/schema/snapshot?includeCollections=posts%2Ctags");
/// ```
pub fn snapshot(base: &BaseUrl, scope: &SnapshotScope) -> Result<Operation<Snapshot>, Error> {
    Operation::get(
        base,
        &with_query("/schema/snapshot", &scope.to_query()),
        snapshot::parse_snapshot,
    )
}

/// What it takes to make the server's schema equal to `snapshot` (`POST /schema/diff`, the
/// snapshot's JSON as sent by the other server): `None` when nothing differs. The server
/// refuses a snapshot of another Directus version or database vendor unless forced
/// ([`Refusal::VersionMismatch`], [`Refusal::VendorMismatch`]).
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, DiffOptions, Snapshot}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let snap = Snapshot::from_json(r#"{"version":1,"directus":"12.4.0","vendor":"sqlite","collections":[],"fields":[],"relations":[]}"#).unwrap();
/// let op = schema::diff(&base, &snap, DiffOptions::new().force(true)).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/schema/diff?force=true");
/// assert_eq!(op.request().body(), snap.json().as_bytes());
/// ```
pub fn diff(
    base: &BaseUrl,
    snapshot: &Snapshot,
    options: DiffOptions,
) -> Result<Operation<Option<Diff>>, Error> {
    Operation::with_body(
        base,
        Method::POST,
        &with_query("/schema/diff", &options.to_query()),
        snapshot.json().as_bytes().to_vec(),
        http::HeaderValue::from_static("application/json"),
        snapshot::parse_diff,
    )
}

/// Applies a diff (`POST /schema/apply`, the diff's JSON as the server answered it). The server
/// refuses a diff whose hash is not its current schema's ([`Refusal::StaleHash`]) unless
/// `force` is set.
///
/// ```
/// use directus_proto::{BaseUrl, schema::{self, Diff}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let diff = Diff::from_json(r#"{"hash":"h","diff":{"collections":[],"fields":[],"systemFields":[],"relations":[]}}"#).unwrap();
/// let op = schema::apply(&base, &diff, false).unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("POST", "/schema/apply"));
/// assert_eq!(op.request().body(), diff.json().as_bytes());
/// ```
pub fn apply(base: &BaseUrl, diff: &Diff, force: bool) -> Result<Operation<()>, Error> {
    let path = if force {
        "/schema/apply?force=true"
    } else {
        "/schema/apply"
    };
    Operation::with_body(
        base,
        Method::POST,
        path,
        diff.json().as_bytes().to_vec(),
        http::HeaderValue::from_static("application/json"),
        response::empty,
    )
    .map(|op| op.for_collection(SCHEMA))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("http://localhost:8055").unwrap()
    }

    #[test]
    fn golden_requests() {
        let b = base();
        let cases: Vec<(Operation<()>, &str, &str)> = vec![
            (
                delete_collection(&b, "a").unwrap(),
                "DELETE",
                "/collections/a",
            ),
            (delete_field(&b, "a", "b").unwrap(), "DELETE", "/fields/a/b"),
            (
                delete_relation(&b, "a", "b").unwrap(),
                "DELETE",
                "/relations/a/b",
            ),
        ];
        for (op, method, path) in cases {
            assert_eq!(op.request().method(), method);
            assert_eq!(op.request().uri().path(), path);
            assert!(op.request().body().is_empty());
            assert!(!op.is_read());
        }
        let op = update_field(&b, "a", "b", &serde_json::json!({"type": "text"})).unwrap();
        assert_eq!(op.request().method(), "PATCH");
        assert_eq!(op.request().headers()["content-type"], "application/json");
        assert_eq!(op.request().body(), br#"{"type":"text"}"#);
        let op = update_relation(&b, "a", "b", &Relation::default()).unwrap();
        assert_eq!(op.request().uri().path(), "/relations/a/b");
        assert!(snapshot(&b, &SnapshotScope::all()).unwrap().is_read());
        assert_eq!(
            snapshot(&b, &SnapshotScope::except(["x"]))
                .unwrap()
                .request()
                .uri()
                .query(),
            Some("excludeCollections=x")
        );
        assert!(update_fields(&b, "a", &[Field::default()]).is_err());
    }

    #[test]
    fn schema_writes_drop_every_cached_schema_read() {
        let b = base();
        let diff = Diff::from_json(r#"{"hash":"h","diff":{}}"#).unwrap();
        let groups: Vec<Option<String>> = [
            collections(&b).unwrap().collection().map(str::to_owned),
            field(&b, "a", "b").unwrap().collection().map(str::to_owned),
            relations(&b).unwrap().collection().map(str::to_owned),
            create_field(&b, "a", &Field::string("c"))
                .unwrap()
                .collection()
                .map(str::to_owned),
            delete_relation(&b, "a", "b")
                .unwrap()
                .collection()
                .map(str::to_owned),
            apply(&b, &diff, false)
                .unwrap()
                .collection()
                .map(str::to_owned),
        ]
        .into();
        assert!(
            groups.iter().all(|g| g.as_deref() == Some(SCHEMA)),
            "{groups:?}"
        );
        // Snapshots and diffs are never cached.
        assert_eq!(
            snapshot(&b, &SnapshotScope::all()).unwrap().collection(),
            None
        );
    }

    #[test]
    fn names_cannot_reroute() {
        let b = base();
        assert!(collection(&b, "..").is_err());
        assert!(field(&b, "a", "..").is_err());
        assert_eq!(
            relation(&b, "a/b", "c?d").unwrap().request().uri().path(),
            "/relations/a%2Fb/c%3Fd"
        );
        assert_eq!(
            fields(&b, "a/b").unwrap().request().uri().path(),
            "/fields/a%2Fb"
        );
    }
}
