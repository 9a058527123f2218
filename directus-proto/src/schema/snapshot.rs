//! Schema snapshots, the diff between a snapshot and a server, and its readable summary.

use bytes::Bytes;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::model::{Collection, Field, Relation};
use crate::error::ErrorCode;
use crate::{Error, error::excerpt};

/// A schema snapshot (`GET /schema/snapshot`): typed, with the server's JSON kept byte for
/// byte, which is what [`diff`](super::diff) sends and what belongs in a file.
///
/// ```
/// use directus_proto::schema::Snapshot;
/// let json = r#"{"version":1,"directus":"12.4.0","vendor":"sqlite","collections":[{"collection":"notes","meta":{},"schema":{"name":"notes"}}],"fields":[],"relations":[]}"#;
/// let snapshot = Snapshot::from_json(json).unwrap();
/// assert_eq!(snapshot.directus.as_deref(), Some("12.4.0"));
/// assert_eq!(snapshot.collections[0].collection.as_deref(), Some("notes"));
/// assert_eq!(snapshot.json(), json);
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// `1` for a full snapshot, `2` for one limited to some collections.
    #[serde(default)]
    pub version: Option<i64>,
    /// The Directus version that took it.
    #[serde(default)]
    pub directus: Option<String>,
    /// The database (`sqlite`, `postgres`, `mysql`, ...).
    #[serde(default)]
    pub vendor: Option<String>,
    /// The user collections (no `directus_*` ones), sorted by name.
    #[serde(default)]
    pub collections: Vec<Collection>,
    /// Their fields.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// The relations between them.
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// Other members (`systemFields`: indexes on system fields, and those of newer versions).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: String,
}

impl Snapshot {
    /// Reads a snapshot from its JSON (a committed file, or what the server answered).
    /// Only JSON objects with a `directus` version are snapshots.
    ///
    /// ```
    /// use directus_proto::schema::Snapshot;
    /// assert!(Snapshot::from_json("[]").is_err());
    /// assert!(Snapshot::from_json(r#"{"collections":"x"}"#).is_err());
    /// assert!(Snapshot::from_json(r#"{"version":1}"#).is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Snapshot, Error> {
        let mut snapshot: Snapshot = serde_json::from_str(json)
            .map_err(|source| Error::InvalidInput(format!("not a schema snapshot: {source}")))?;
        if snapshot.directus.is_none() || snapshot.version.is_none() {
            return Err(Error::InvalidInput(
                "not a schema snapshot: no `version` or `directus` member".into(),
            ));
        }
        snapshot.raw = json.to_owned();
        Ok(snapshot)
    }

    /// The JSON exactly as read (to write to a file, or to send to another server).
    ///
    /// ```
    /// # use directus_proto::schema::Snapshot;
    /// let s = Snapshot::from_json(r#"{ "version": 1, "directus": "12.4.0" }"#).unwrap();
    /// assert_eq!(s.json(), r#"{ "version": 1, "directus": "12.4.0" }"#);
    /// ```
    pub fn json(&self) -> &str {
        &self.raw
    }

    /// The fields of one collection, in the snapshot's order.
    ///
    /// ```
    /// # use directus_proto::schema::Snapshot;
    /// let s = Snapshot::from_json(r#"{"version":1,"directus":"1","fields":[{"collection":"a","field":"id"},{"collection":"b","field":"id"}]}"#).unwrap();
    /// assert_eq!(s.fields_of("a").count(), 1);
    /// ```
    pub fn fields_of<'a>(&'a self, collection: &'a str) -> impl Iterator<Item = &'a Field> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.collection.as_deref() == Some(collection))
    }

    /// The major version of the Directus that took it (`12` of `12.4.0`).
    ///
    /// ```
    /// # use directus_proto::schema::Snapshot;
    /// let s = Snapshot::from_json(r#"{"version":1,"directus":"12.4.0"}"#).unwrap();
    /// assert_eq!(s.major_version(), Some(12));
    /// ```
    pub fn major_version(&self) -> Option<u64> {
        self.directus.as_deref()?.split('.').next()?.parse().ok()
    }
}

/// The parser of `GET /schema/snapshot`: the `data` member, typed and kept byte for byte.
pub(super) fn parse_snapshot(response: http::Response<Bytes>) -> Result<Snapshot, Error> {
    let raw = raw_data(response)?;
    Snapshot::from_json(&raw)
}

fn raw_data(response: http::Response<Bytes>) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        data: &'a RawValue,
    }
    let response = crate::response::success(response)?;
    let envelope: Envelope<'_> =
        serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
            status: response.status(),
            excerpt: excerpt(response.body()),
            source,
        })?;
    Ok(envelope.data.get().to_owned())
}

/// Which collections a snapshot covers: all (the default), only some, or all but some.
/// A limited snapshot (version 2) only diffs, and so only changes, the collections it names.
///
/// ```
/// use directus_proto::schema::SnapshotScope;
/// assert_eq!(SnapshotScope::only(["a", "b"]).to_query(), "includeCollections=a%2Cb");
/// assert_eq!(SnapshotScope::all().to_query(), "");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SnapshotScope {
    /// Every user collection.
    #[default]
    All,
    /// Only these collections (`includeCollections`).
    Only(Vec<String>),
    /// Every collection but these (`excludeCollections`).
    Except(Vec<String>),
}

impl SnapshotScope {
    /// Every user collection.
    ///
    /// ```
    /// # use directus_proto::schema::SnapshotScope;
    /// assert_eq!(SnapshotScope::all(), SnapshotScope::All);
    /// ```
    pub fn all() -> Self {
        SnapshotScope::All
    }

    /// Only these collections.
    ///
    /// ```
    /// # use directus_proto::schema::SnapshotScope;
    /// assert_eq!(SnapshotScope::only(["a"]), SnapshotScope::Only(vec!["a".into()]));
    /// ```
    pub fn only<S: Into<String>>(collections: impl IntoIterator<Item = S>) -> Self {
        SnapshotScope::Only(collections.into_iter().map(Into::into).collect())
    }

    /// Every collection but these.
    ///
    /// ```
    /// # use directus_proto::schema::SnapshotScope;
    /// assert_eq!(SnapshotScope::except(["a"]).to_query(), "excludeCollections=a");
    /// ```
    pub fn except<S: Into<String>>(collections: impl IntoIterator<Item = S>) -> Self {
        SnapshotScope::Except(collections.into_iter().map(Into::into).collect())
    }

    /// The URL parameters (empty for [`SnapshotScope::All`]).
    ///
    /// ```
    /// # use directus_proto::schema::SnapshotScope;
    /// assert_eq!(SnapshotScope::only(["a b"]).to_query(), "includeCollections=a%20b");
    /// ```
    pub fn to_query(&self) -> String {
        let (key, names) = match self {
            SnapshotScope::All => return String::new(),
            SnapshotScope::Only(names) => ("includeCollections", names),
            SnapshotScope::Except(names) => ("excludeCollections", names),
        };
        format!("{key}={}", crate::url::encode(&names.join(",")))
    }
}

/// How a diff treats what the target has and the snapshot does not.
///
/// ```
/// use directus_proto::schema::DiffMode;
/// assert_eq!(DiffMode::default(), DiffMode::Mirror);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiffMode {
    /// Make the target equal to the snapshot: what the snapshot lacks is deleted (Directus's
    /// default).
    #[default]
    Mirror,
    /// Only add and change: nothing is deleted.
    Merge,
}

/// Options of `POST /schema/diff` and `POST /schema/apply`.
///
/// ```
/// use directus_proto::schema::{DiffMode, DiffOptions};
/// let o = DiffOptions::new().mode(DiffMode::Merge).force(true);
/// assert_eq!(o.to_query(), "force=true&mode=merge");
/// assert_eq!(DiffOptions::new().to_query(), "");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffOptions {
    force: bool,
    mode: DiffMode,
}

impl DiffOptions {
    /// No force, mirror mode.
    ///
    /// ```
    /// # use directus_proto::schema::DiffOptions;
    /// assert_eq!(DiffOptions::new(), DiffOptions::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Skips the server's checks: for a diff, that the snapshot comes from the same Directus
    /// version and database vendor; for an apply, that the diff's hash is current. Use with
    /// care: it can apply a diff to a schema it was not made for.
    ///
    /// ```
    /// # use directus_proto::schema::DiffOptions;
    /// assert!(DiffOptions::new().force(true).is_forced());
    /// ```
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Mirror (the default) or merge.
    ///
    /// ```
    /// # use directus_proto::schema::{DiffMode, DiffOptions};
    /// assert_eq!(DiffOptions::new().mode(DiffMode::Merge).to_query(), "mode=merge");
    /// ```
    pub fn mode(mut self, mode: DiffMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether the server's checks are skipped.
    ///
    /// ```
    /// # use directus_proto::schema::DiffOptions;
    /// assert!(!DiffOptions::new().is_forced());
    /// ```
    pub fn is_forced(&self) -> bool {
        self.force
    }

    /// The URL parameters of a diff.
    ///
    /// ```
    /// # use directus_proto::schema::DiffOptions;
    /// assert_eq!(DiffOptions::new().force(true).to_query(), "force=true");
    /// ```
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if self.force {
            parts.push("force=true");
        }
        if self.mode == DiffMode::Merge {
            parts.push("mode=merge");
        }
        parts.join("&")
    }
}

/// What `POST /schema/diff` answered: the changes that make the server's schema equal to the
/// snapshot, and the hash of the server's schema they were computed against. Applying it is
/// refused if the server's schema changed meanwhile ([`Refusal::StaleHash`]).
///
/// ```
/// use directus_proto::schema::Diff;
/// let json = r#"{"hash":"abc","diff":{"collections":[{"collection":"notes","diff":[{"kind":"N","rhs":{"collection":"notes"}}]}],"fields":[],"systemFields":[],"relations":[]}}"#;
/// let diff = Diff::from_json(json).unwrap();
/// assert_eq!(diff.hash, "abc");
/// assert_eq!(diff.summary().collections.added, ["notes"]);
/// assert_eq!(diff.json(), json);
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Diff {
    /// The hash of the server's schema the diff was computed against.
    pub hash: String,
    /// The changes.
    pub diff: Changes,
    #[serde(skip)]
    raw: String,
}

impl Diff {
    /// Reads a diff from its JSON (`{"hash": ..., "diff": {...}}`).
    ///
    /// ```
    /// # use directus_proto::schema::Diff;
    /// assert!(Diff::from_json(r#"{"diff":{}}"#).is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Diff, Error> {
        let mut diff: Diff = serde_json::from_str(json)
            .map_err(|source| Error::InvalidInput(format!("not a schema diff: {source}")))?;
        diff.raw = json.to_owned();
        Ok(diff)
    }

    /// The JSON exactly as the server answered it (what [`apply`](super::apply) sends).
    ///
    /// ```
    /// # use directus_proto::schema::Diff;
    /// let d = Diff::from_json(r#"{"hash":"h","diff":{}}"#).unwrap();
    /// assert_eq!(d.json(), r#"{"hash":"h","diff":{}}"#);
    /// ```
    pub fn json(&self) -> &str {
        &self.raw
    }

    /// What the diff adds, changes and removes.
    ///
    /// ```
    /// # use directus_proto::schema::Diff;
    /// let d = Diff::from_json(r#"{"hash":"h","diff":{"fields":[{"collection":"a","field":"b","diff":[{"kind":"D","lhs":{}}]}]}}"#).unwrap();
    /// assert_eq!(d.summary().fields.removed, ["a.b"]);
    /// ```
    pub fn summary(&self) -> Summary {
        let d = &self.diff;
        Summary {
            collections: Tally::of(
                d.collections
                    .iter()
                    .map(|c| (c.collection.clone(), &c.diff)),
            ),
            fields: Tally::of(
                d.fields
                    .iter()
                    .chain(&d.system_fields)
                    .map(|f| (format!("{}.{}", f.collection, f.field), &f.diff)),
            ),
            relations: Tally::of(d.relations.iter().map(|r| {
                let name = match &r.related_collection {
                    Some(related) => format!("{}.{} → {related}", r.collection, r.field),
                    None => format!("{}.{}", r.collection, r.field),
                };
                (name, &r.diff)
            })),
        }
    }
}

/// The parser of `POST /schema/diff`: `None` when there is no difference (204).
pub(super) fn parse_diff(response: http::Response<Bytes>) -> Result<Option<Diff>, Error> {
    if response.status() == http::StatusCode::NO_CONTENT && response.body().is_empty() {
        return Ok(None);
    }
    let status = response.status();
    let raw = raw_data(response)?;
    if raw == "null" {
        return Ok(None);
    }
    Diff::from_json(&raw).map(Some).map_err(|e| match e {
        Error::InvalidInput(why) => Error::InvalidInput(format!("HTTP {status}: {why}")),
        other => other,
    })
}

/// The changes of a [`Diff`], by kind of object.
///
/// ```
/// use directus_proto::schema::Changes;
/// let c: Changes = serde_json::from_str(r#"{"collections":[],"systemFields":[]}"#).unwrap();
/// assert!(c.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Changes {
    /// Changed collections.
    #[serde(default)]
    pub collections: Vec<CollectionChange>,
    /// Changed fields.
    #[serde(default)]
    pub fields: Vec<FieldChange>,
    /// Changed indexes of system fields.
    #[serde(default, rename = "systemFields")]
    pub system_fields: Vec<FieldChange>,
    /// Changed relations.
    #[serde(default)]
    pub relations: Vec<RelationChange>,
}

impl Changes {
    /// Whether nothing changes.
    ///
    /// ```
    /// # use directus_proto::schema::Changes;
    /// assert!(Changes::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty()
            && self.fields.is_empty()
            && self.system_fields.is_empty()
            && self.relations.is_empty()
    }
}

/// The changes of one collection.
///
/// ```
/// use directus_proto::schema::CollectionChange;
/// let c: CollectionChange = serde_json::from_str(r#"{"collection":"a","diff":[]}"#).unwrap();
/// assert_eq!(c.collection, "a");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionChange {
    /// The collection.
    pub collection: String,
    /// What changes.
    #[serde(default)]
    pub diff: Vec<Change>,
}

/// The changes of one field.
///
/// ```
/// use directus_proto::schema::FieldChange;
/// let f: FieldChange = serde_json::from_str(r#"{"collection":"a","field":"b","diff":[]}"#).unwrap();
/// assert_eq!(f.field, "b");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The collection.
    pub collection: String,
    /// The field.
    pub field: String,
    /// What changes.
    #[serde(default)]
    pub diff: Vec<Change>,
}

/// The changes of one relation.
///
/// ```
/// use directus_proto::schema::RelationChange;
/// let r: RelationChange = serde_json::from_str(r#"{"collection":"a","field":"b","related_collection":null,"diff":[]}"#).unwrap();
/// assert_eq!(r.related_collection, None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RelationChange {
    /// The collection holding the foreign key.
    pub collection: String,
    /// The foreign key field.
    pub field: String,
    /// The related collection.
    #[serde(default)]
    pub related_collection: Option<String>,
    /// What changes.
    #[serde(default)]
    pub diff: Vec<Change>,
}

/// One change, as the `deep-diff` library Directus uses describes it.
///
/// ```
/// use directus_proto::schema::{Change, ChangeKind};
/// let c: Change = serde_json::from_str(r#"{"kind":"E","path":["meta","note"],"lhs":"a","rhs":"b"}"#).unwrap();
/// assert_eq!((c.kind, c.path_string()), (ChangeKind::Edited, "meta.note".to_string()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What kind of change.
    pub kind: ChangeKind,
    /// Where, inside the object (empty for the whole object).
    #[serde(default)]
    pub path: Vec<Value>,
    /// The value before.
    #[serde(default)]
    pub lhs: Option<Value>,
    /// The value after.
    #[serde(default)]
    pub rhs: Option<Value>,
    /// Other members (`index` and `item` of array changes).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Change {
    /// The path as `meta.note`.
    ///
    /// ```
    /// # use directus_proto::schema::Change;
    /// assert_eq!(Change::default().path_string(), "");
    /// ```
    pub fn path_string(&self) -> String {
        let parts: Vec<String> = self
            .path
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        parts.join(".")
    }
}

/// The kind of a [`Change`].
///
/// ```
/// use directus_proto::schema::ChangeKind;
/// assert_eq!(serde_json::from_str::<ChangeKind>(r#""N""#).unwrap(), ChangeKind::New);
/// assert_eq!(serde_json::from_str::<ChangeKind>(r#""Z""#).unwrap(), ChangeKind::Other);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    /// Added (`N`).
    #[serde(rename = "N")]
    New,
    /// Removed (`D`).
    #[serde(rename = "D")]
    Deleted,
    /// Edited (`E`).
    #[serde(rename = "E")]
    Edited,
    /// Changed inside an array (`A`).
    #[serde(rename = "A")]
    Array,
    /// A kind this version does not know.
    #[default]
    #[serde(other)]
    Other,
}

/// What a [`Diff`] adds, changes and removes, by name (`collection`, `collection.field`,
/// `collection.field → related`). Its `Display` is a short report.
///
/// ```
/// use directus_proto::schema::Diff;
/// let d = Diff::from_json(r#"{"hash":"h","diff":{"collections":[{"collection":"a","diff":[{"kind":"N","rhs":{}}]}],"fields":[{"collection":"b","field":"c","diff":[{"kind":"E","path":["meta","note"],"lhs":"x","rhs":"y"}]}]}}"#).unwrap();
/// assert_eq!(d.summary().to_string(), "collections: + a\nfields: ~ b.c (meta.note)\n");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Collections.
    pub collections: Tally,
    /// Fields (and indexes of system fields).
    pub fields: Tally,
    /// Relations.
    pub relations: Tally,
}

impl Summary {
    /// Whether nothing changes.
    ///
    /// ```
    /// # use directus_proto::schema::Summary;
    /// assert!(Summary::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty() && self.fields.is_empty() && self.relations.is_empty()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no changes");
        }
        for (what, tally) in [
            ("collections", &self.collections),
            ("fields", &self.fields),
            ("relations", &self.relations),
        ] {
            if tally.is_empty() {
                continue;
            }
            write!(f, "{what}:")?;
            let mut first = true;
            let mut item = |f: &mut fmt::Formatter<'_>, text: String| {
                let sep = if first { " " } else { ", " };
                first = false;
                write!(f, "{sep}{text}")
            };
            for name in &tally.added {
                item(f, format!("+ {name}"))?;
            }
            for (name, paths) in &tally.changed {
                if paths.is_empty() {
                    item(f, format!("~ {name}"))?;
                } else {
                    item(f, format!("~ {name} ({})", paths.join(", ")))?;
                }
            }
            for name in &tally.removed {
                item(f, format!("- {name}"))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Names added, changed (with the paths that change) and removed.
///
/// ```
/// use directus_proto::schema::Tally;
/// assert!(Tally::default().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tally {
    /// Added.
    pub added: Vec<String>,
    /// Changed, with the paths that change (`meta.note`, `schema.is_nullable`, `type`).
    pub changed: Vec<(String, Vec<String>)>,
    /// Removed.
    pub removed: Vec<String>,
}

impl Tally {
    fn of<'a>(entries: impl Iterator<Item = (String, &'a Vec<Change>)>) -> Tally {
        let mut tally = Tally::default();
        for (name, changes) in entries {
            match changes.first().map(|c| c.kind) {
                Some(ChangeKind::New) if changes.len() == 1 && changes[0].path.is_empty() => {
                    tally.added.push(name)
                }
                Some(ChangeKind::Deleted) if changes.len() == 1 && changes[0].path.is_empty() => {
                    tally.removed.push(name)
                }
                _ => {
                    let mut paths: Vec<String> = changes.iter().map(Change::path_string).collect();
                    paths.retain(|p| !p.is_empty());
                    paths.dedup();
                    tally.changed.push((name, paths));
                }
            }
        }
        tally
    }

    /// Whether nothing is added, changed or removed.
    ///
    /// ```
    /// # use directus_proto::schema::Tally;
    /// assert_eq!(Tally::default().len(), 0);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many names are added, changed or removed.
    ///
    /// ```
    /// # use directus_proto::schema::Tally;
    /// assert_eq!(Tally::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.added.len() + self.changed.len() + self.removed.len()
    }
}

/// Why the server refused a snapshot or a diff (all `400 INVALID_PAYLOAD` answers; read from
/// the error's message).
///
/// ```
/// use directus_proto::schema::Refusal;
/// use directus_proto::{ApiError, Error};
/// let body = br#"{"errors":[{"message":"Invalid payload. Provided hash does not match the current instance's schema hash, indicating the schema has changed after this diff was generated. Please generate a new diff and try again or use the \"force\" query parameter to bypass this check.","extensions":{"code":"INVALID_PAYLOAD"}}]}"#;
/// let err = Error::from(ApiError::from_body(http::StatusCode::BAD_REQUEST, body));
/// assert_eq!(Refusal::of(&err), Some(Refusal::StaleHash));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The diff was computed against a schema that has changed since (or it creates what
    /// exists, or deletes what does not): take a new diff.
    StaleHash,
    /// The snapshot comes from another Directus version.
    VersionMismatch,
    /// The snapshot comes from another database vendor, or does not say which.
    VendorMismatch,
    /// The snapshot or the diff is malformed; the server's reason.
    Invalid(String),
}

impl Refusal {
    /// The refusal `error` is, if it is one.
    ///
    /// ```
    /// # use directus_proto::{Error, schema::Refusal};
    /// assert_eq!(Refusal::of(&Error::InvalidInput("x".into())), None);
    /// ```
    pub fn of(error: &Error) -> Option<Refusal> {
        let api = error.api()?;
        if api.status() != http::StatusCode::BAD_REQUEST || api.code() != &ErrorCode::InvalidPayload
        {
            return None;
        }
        let message = api.message();
        Some(if message.contains("generate a new diff") {
            Refusal::StaleHash
        } else if message.contains("directus version") {
            Refusal::VersionMismatch
        } else if message.contains("vendor") {
            Refusal::VendorMismatch
        } else {
            Refusal::Invalid(message.to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> http::Response<Bytes> {
        http::Response::builder()
            .status(status)
            .body(Bytes::copy_from_slice(body.as_bytes()))
            .unwrap()
    }

    #[test]
    fn snapshot_keeps_the_bytes_of_data() {
        let body = r#"{"data":{"version":1, "directus":"12.4.0","vendor":"sqlite","collections":[],"fields":[],"systemFields":[],"relations":[]}}"#;
        let s = parse_snapshot(resp(200, body)).unwrap();
        assert_eq!(
            s.json(),
            r#"{"version":1, "directus":"12.4.0","vendor":"sqlite","collections":[],"fields":[],"systemFields":[],"relations":[]}"#
        );
        assert!(s.extra.contains_key("systemFields"));
        for bad in [
            "",
            "{",
            r#"{"data":[]}"#,
            r#"{"data":{"directus":1}}"#,
            "null",
        ] {
            assert!(parse_snapshot(resp(200, bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn diff_answers() {
        assert_eq!(parse_diff(resp(204, "")).unwrap(), None);
        let d = parse_diff(resp(200, r#"{"data":{"hash":"h","diff":{"collections":[],"fields":[],"systemFields":[],"relations":[{"collection":"a","field":"b","related_collection":"c","diff":[{"kind":"N","rhs":{}}]}]}}}"#)).unwrap().unwrap();
        assert_eq!(d.summary().relations.added, ["a.b → c"]);
        assert!(parse_diff(resp(200, r#"{"data":{"diff":1}}"#)).is_err());
        assert!(parse_diff(resp(400, r#"{"errors":[]}"#)).is_err());
    }

    #[test]
    fn summary_groups_changes() {
        let d = Diff::from_json(
            r#"{"hash":"h","diff":{"collections":[{"collection":"gone","diff":[{"kind":"D","lhs":{}}]}],
            "fields":[{"collection":"a","field":"x","diff":[{"kind":"E","path":["meta","note"],"lhs":"1","rhs":"2"},{"kind":"E","path":["schema","max_length"],"lhs":1,"rhs":2}]},
                      {"collection":"a","field":"y","diff":[{"kind":"N","rhs":{}}]}],
            "relations":[]}}"#,
        )
        .unwrap();
        let s = d.summary();
        assert_eq!(s.collections.removed, ["gone"]);
        assert_eq!(s.fields.added, ["a.y"]);
        assert_eq!(
            s.fields.changed,
            [(
                "a.x".to_string(),
                vec!["meta.note".to_string(), "schema.max_length".to_string()]
            )]
        );
        assert_eq!(
            s.to_string(),
            "collections: - gone\nfields: + a.y, ~ a.x (meta.note, schema.max_length)\n"
        );
        assert_eq!(Summary::default().to_string(), "no changes\n");
    }

    #[test]
    fn refusals() {
        let err = |msg: &str| {
            let body = serde_json::json!({"errors":[{"message": msg, "extensions":{"code":"INVALID_PAYLOAD"}}]});
            Error::from(crate::ApiError::from_body(
                http::StatusCode::BAD_REQUEST,
                body.to_string().as_bytes(),
            ))
        };
        assert_eq!(
            Refusal::of(&err(
                "Invalid payload. Provided snapshot's directus version 10.0.0 does not match the current instance's version 12.4.0. You can bypass this check by passing the \"force\" query parameter."
            )),
            Some(Refusal::VersionMismatch)
        );
        assert_eq!(
            Refusal::of(&err(
                "Invalid payload. Provided snapshot does not contain the \"vendor\" property."
            )),
            Some(Refusal::VendorMismatch)
        );
        assert_eq!(
            Refusal::of(&err(
                "Invalid payload. Provided diff is trying to create collection \"a\" but it already exists. Please generate a new diff and try again."
            )),
            Some(Refusal::StaleHash)
        );
        assert!(matches!(
            Refusal::of(&err("Invalid payload. \"directus\" is required.")),
            Some(Refusal::Invalid(_))
        ));
    }
}
