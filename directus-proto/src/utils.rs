//! The utility routes (`/utils/...`): imports and exports, manual sort, reverting a revision,
//! random strings and clearing the cache.
//!
//! Imports come in two forms, both answered by Directus 12.4:
//! - [`import`] / [`import_stream`]: a CSV or JSON file into one collection
//!   (`POST /utils/import/{collection}`, multipart). Every row is created.
//! - [`import_batch`]: rows of several collections in one transaction (`POST /utils/import`),
//!   with [`ImportMode::Merge`] updating the rows whose key exists and creating the others (an
//!   upsert), and [`ImportOptions::dry_run`] rolling it all back while still answering what
//!   would happen. This is what a sync job needs.
//!
//! ```
//! use directus_proto::{BaseUrl, utils::{self, ImportBatch, ImportOptions}};
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let rows = vec![serde_json::json!({"sku": "A-1", "name": "Apple"})];
//! let op = utils::import_batch(&base, &[ImportBatch::new("catalog", rows)], ImportOptions::merge()).unwrap();
//! assert_eq!(op.request().uri(), "http://127.0.0.1:8055/utils/import?mode=merge");
//! ```

use std::collections::BTreeMap;

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::files::{self, FileMeta, StreamUpload, StreamedFile, UploadFile};
use crate::multipart::{Boundary, Form};
use crate::operation::Operation;
use crate::{BaseUrl, Error, ExportFormat, Key, Query, response, url};

fn collection_route(prefix: &str, collection: &str) -> Result<String, Error> {
    Ok(format!(
        "{prefix}/{}",
        url::segment(collection, "collection name")?
    ))
}

/// A random string of `length` characters (1 to 500; Directus's default is 32) from
/// `GET /utils/random/string`, URL-safe (nanoid).
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, utils};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = utils::random_string(&base, 12).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/utils/random/string?length=12");
/// assert_eq!(op.parse(http::Response::new(Bytes::from_static(br#"{"data":"V1StGXR8_Z5j"}"#))).unwrap(), "V1StGXR8_Z5j");
/// assert!(utils::random_string(&base, 501).is_err());
/// ```
pub fn random_string(base: &BaseUrl, length: u32) -> Result<Operation<String>, Error> {
    if !(1..=500).contains(&length) {
        return Err(Error::invalid(format!(
            "a random string is 1 to 500 characters long, not {length}"
        )));
    }
    Operation::get(
        base,
        &format!("/utils/random/string?length={length}"),
        response::data::<String>,
    )
}

/// Moves an item to another's place in a collection's manual sort
/// (`POST /utils/sort/{collection}` with `{item, to}`): the items between shift by one. The
/// collection needs a sort field (`meta.sort_field`).
///
/// ```
/// use directus_proto::{BaseUrl, utils};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = utils::sort(&base, "articles", 7, 2).unwrap();
/// assert_eq!(op.request().uri().path(), "/utils/sort/articles");
/// assert_eq!(op.request().body(), br#"{"item":7,"to":2}"#);
/// ```
pub fn sort(
    base: &BaseUrl,
    collection: &str,
    item: impl Into<Key>,
    to: impl Into<Key>,
) -> Result<Operation<()>, Error> {
    let path = collection_route("/utils/sort", collection)?;
    let body = json!({"item": item.into(), "to": to.into()});
    Ok(
        Operation::json(base, Method::POST, &path, &body, response::empty)?
            .for_collection(collection),
    )
}

/// Reverts an item to the state a revision recorded (`POST /utils/revert/{revision}`).
///
/// ```
/// use directus_proto::{BaseUrl, utils};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = utils::revert(&base, 42).unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("POST", "/utils/revert/42"));
/// ```
pub fn revert(base: &BaseUrl, revision: impl Into<Key>) -> Result<Operation<()>, Error> {
    let path = format!(
        "/utils/revert/{}",
        url::segment(&revision.into().to_string(), "revision key")?
    );
    Operation::json(base, Method::POST, &path, &json!({}), response::empty)
}

/// Clears the server's data cache (`POST /utils/cache/clear`, admins); with `system`, the
/// schema and permission caches too (`?system`).
///
/// ```
/// use directus_proto::{BaseUrl, utils};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// assert_eq!(utils::clear_cache(&base, true).unwrap().request().uri(), "http://localhost:8055/utils/cache/clear?system=true");
/// assert_eq!(utils::clear_cache(&base, false).unwrap().request().uri().query(), None);
/// ```
pub fn clear_cache(base: &BaseUrl, system: bool) -> Result<Operation<()>, Error> {
    let path = if system {
        "/utils/cache/clear?system=true"
    } else {
        "/utils/cache/clear"
    };
    Operation::build_bare(base, Method::POST, path, response::empty)
}

/// Imports a CSV or JSON file (in memory) into a collection (`POST /utils/import/{collection}`,
/// multipart): every row becomes a new item, in one transaction. The media type comes from
/// the file ([`UploadFile::media_type`], else its content and name): Directus takes
/// `text/csv` and `application/json`.
///
/// ```
/// use directus_proto::{BaseUrl, files::UploadFile, utils};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let file = UploadFile::new("rows.csv", "name\nApple\n");
/// let op = utils::import(&base, "products", &file, directus_proto::multipart::Boundary::random(1)).unwrap();
/// assert_eq!(op.request().uri().path(), "/utils/import/products");
/// assert!(String::from_utf8_lossy(op.request().body()).contains("content-type: text/csv"));
/// ```
pub fn import(
    base: &BaseUrl,
    collection: &str,
    file: &UploadFile,
    boundary: Boundary,
) -> Result<Operation<()>, Error> {
    let path = collection_route("/utils/import", collection)?;
    let mut form = Form::new(boundary);
    file.write(&mut form)?;
    let content_type = form.content_type();
    Ok(Operation::with_body(
        base,
        Method::POST,
        &path,
        form.finish(),
        content_type,
        response::empty,
    )?
    .for_collection(collection))
}

/// [`import`] with the file streamed by the driver: `head` is the file's first bytes, for the
/// media type. The driver sends the preamble, the file and the epilogue.
///
/// ```
/// use directus_proto::{BaseUrl, files::StreamedFile, utils};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let boundary = directus_proto::multipart::Boundary::random(1);
/// let up = utils::import_stream(&base, "products", &StreamedFile::new("rows.csv"), b"name\n", boundary).unwrap();
/// assert_eq!(up.operation().request().uri().path(), "/utils/import/products");
/// assert!(up.operation().request().body().is_empty());
/// ```
pub fn import_stream(
    base: &BaseUrl,
    collection: &str,
    file: &StreamedFile,
    head: &[u8],
    boundary: Boundary,
) -> Result<StreamUpload<()>, Error> {
    let path = collection_route("/utils/import", collection)?;
    files::stream_op_to(
        base,
        Method::POST,
        &path,
        file,
        head,
        boundary,
        response::empty,
        collection,
    )
}

/// The rows of one collection in an [`import_batch`].
///
/// ```
/// use directus_proto::utils::ImportBatch;
/// let batch = ImportBatch::new("products", vec![serde_json::json!({"id": 1, "name": "Apple"})]);
/// assert_eq!(serde_json::to_string(&batch).unwrap(), r#"{"collection":"products","items":[{"id":1,"name":"Apple"}]}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportBatch {
    /// The collection.
    pub collection: String,
    /// Its rows, each a JSON object (with its key, to update an existing row in merge mode).
    pub items: Vec<Value>,
}

impl ImportBatch {
    /// The rows `items` of `collection`.
    ///
    /// ```
    /// # use directus_proto::utils::ImportBatch;
    /// let batch = ImportBatch::new("products", vec![]);
    /// assert!(batch.items.is_empty());
    /// ```
    pub fn new(collection: impl Into<String>, items: Vec<Value>) -> Self {
        ImportBatch {
            collection: collection.into(),
            items,
        }
    }
}

/// How [`import_batch`] treats rows whose key exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Create every row (Directus's default): a UUID key that exists gets a new UUID, an
    /// integer key that exists is refused, auto-increment keys are dropped.
    #[default]
    Add,
    /// Upsert: update the rows whose key exists, create the others.
    Merge,
}

/// The options of [`import_batch`].
///
/// ```
/// use directus_proto::utils::{ImportMode, ImportOptions};
/// let options = ImportOptions::merge().dry_run(true);
/// assert_eq!(options.mode, ImportMode::Merge);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Add or merge.
    pub mode: ImportMode,
    /// Roll everything back, but still answer what would have been created and updated.
    pub dry_run: bool,
}

impl ImportOptions {
    /// Merge mode: the upsert.
    ///
    /// ```
    /// # use directus_proto::utils::{ImportMode, ImportOptions};
    /// assert_eq!(ImportOptions::merge().mode, ImportMode::Merge);
    /// ```
    pub fn merge() -> Self {
        ImportOptions {
            mode: ImportMode::Merge,
            dry_run: false,
        }
    }

    /// Only report, change nothing.
    ///
    /// ```
    /// # use directus_proto::utils::ImportOptions;
    /// assert!(ImportOptions::default().dry_run(true).dry_run);
    /// ```
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
}

/// What an [`import_batch`] did (or, in a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// `false` for a dry run.
    #[serde(default)]
    pub applied: bool,
    /// The mode the server used.
    #[serde(default)]
    pub mode: ImportMode,
    /// Per collection.
    #[serde(default)]
    pub collections: BTreeMap<String, ImportCounts>,
}

/// The keys an [`import_batch`] touched in one collection.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ImportCounts {
    /// Rows whose key existed (updated, in merge mode).
    #[serde(default)]
    pub existing: Vec<Key>,
    /// Rows created.
    #[serde(default)]
    pub new: Vec<Key>,
    /// Rows deleted (only with Directus's `dangerouslyAllowDelete`, which this crate never sets).
    #[serde(default)]
    pub deleted: Vec<Key>,
    /// Keys of the file that became other keys (a given key replaced), old → new.
    #[serde(default)]
    pub mapped: Map<String, Value>,
}

/// Imports rows of one or more collections in one transaction (`POST /utils/import`, JSON;
/// Directus 12.4): foreign keys between the given rows are remapped, and with
/// [`ImportOptions::merge`] rows whose key exists are updated (an upsert).
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, utils::{self, ImportBatch, ImportOptions}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let batch = [ImportBatch::new("products", vec![serde_json::json!({"id": 1, "name": "Apple"})])];
/// let op = utils::import_batch(&base, &batch, ImportOptions::merge().dry_run(true)).unwrap();
/// assert_eq!(op.request().uri().query(), Some("mode=merge&dryRun=true"));
/// let answer = br#"{"data":{"applied":false,"mode":"merge","collections":{"products":{"existing":[1],"new":[],"deleted":[],"mapped":{}}}}}"#;
/// let report = op.parse(http::Response::new(Bytes::copy_from_slice(answer))).unwrap();
/// assert_eq!(report.collections["products"].existing.len(), 1);
/// ```
pub fn import_batch(
    base: &BaseUrl,
    batches: &[ImportBatch],
    options: ImportOptions,
) -> Result<Operation<ImportReport>, Error> {
    if batches.is_empty() {
        return Err(Error::invalid("an import needs at least one collection"));
    }
    if let Some(bad) = batches
        .iter()
        .find(|b| b.items.iter().any(|item| !item.is_object()))
    {
        return Err(Error::invalid(format!(
            "every imported row of {:?} must be a JSON object",
            bad.collection
        )));
    }
    let mut path = String::from("/utils/import");
    if options.mode == ImportMode::Merge {
        path.push_str("?mode=merge");
    }
    if options.dry_run {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str("dryRun=true");
    }
    Operation::json(
        base,
        Method::POST,
        &path,
        batches,
        response::data::<ImportReport>,
    )
}

/// Exports a collection into a new file in the file library (`POST /utils/export/{collection}`):
/// the server answers at once and writes the file in the background, then notifies the user.
/// `file` is the new file's metadata (title, folder...). For an export in the answer itself,
/// read with [`Query::export`].
///
/// ```
/// use directus_proto::{BaseUrl, ExportFormat, FileMeta, Query, utils};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = utils::export_to_file(&base, "products", &Query::new().no_limit().fields(["id"]), ExportFormat::Csv, &FileMeta::new().title("All")).unwrap();
/// assert_eq!(op.request().uri().path(), "/utils/export/products");
/// let body: serde_json::Value = serde_json::from_slice(op.request().body()).unwrap();
/// assert_eq!(body["format"], "csv");
/// assert_eq!(body["file"]["title"], "All");
/// ```
pub fn export_to_file(
    base: &BaseUrl,
    collection: &str,
    query: &Query,
    format: ExportFormat,
    file: &FileMeta,
) -> Result<Operation<()>, Error> {
    let path = collection_route("/utils/export", collection)?;
    let query = query
        .to_json()?
        .get("query")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let body = json!({"query": query, "format": format.as_str(), "file": file.to_value()});
    Operation::json(base, Method::POST, &path, &body, response::empty)
}

/// What a sync must send: the rows to create, the rows that differ from what the server has,
/// and how many are already up to date. See [`diff_rows`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowDiff {
    /// Incoming rows whose key the server does not have.
    pub new: Vec<Value>,
    /// Incoming rows whose key exists with another value in at least one of their fields.
    pub changed: Vec<Value>,
    /// Incoming rows equal, field by field, to the server's.
    pub unchanged: usize,
}

impl RowDiff {
    /// The rows to send ([`RowDiff::new`] then [`RowDiff::changed`]), for an
    /// [`import_batch`] in [`ImportMode::Merge`].
    ///
    /// ```
    /// use directus_proto::utils::RowDiff;
    /// assert!(RowDiff::default().to_send().is_empty());
    /// ```
    pub fn to_send(&self) -> Vec<Value> {
        self.new.iter().chain(&self.changed).cloned().collect()
    }
}

/// Compares incoming rows with the server's, by the key field: the sans-IO half of a sync job
/// that sends only what changed (so a second run sends nothing). Only the fields an incoming
/// row has are compared, as JSON values (`3` and `"3"` differ: convert first). Rows without
/// the key, or not objects, are refused; a key given twice keeps the last row.
///
/// ```
/// use directus_proto::utils::diff_rows;
/// use serde_json::json;
/// let server = [json!({"sku": "a", "name": "Apple", "stock": 3, "sort": 1})];
/// let incoming = vec![json!({"sku": "a", "name": "Apple", "stock": 3}), json!({"sku": "b", "name": "Pear"})];
/// let diff = diff_rows("sku", &server, incoming).unwrap();
/// assert_eq!((diff.new.len(), diff.changed.len(), diff.unchanged), (1, 0, 1));
/// ```
pub fn diff_rows(key: &str, existing: &[Value], incoming: Vec<Value>) -> Result<RowDiff, Error> {
    let key_of = |row: &Value| -> Option<String> {
        match row.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let by_key: BTreeMap<String, &Map<String, Value>> = existing
        .iter()
        .filter_map(|row| Some((key_of(row)?, row.as_object()?)))
        .collect();
    let mut last: BTreeMap<String, usize> = BTreeMap::new();
    for (i, row) in incoming.iter().enumerate() {
        let k = key_of(row)
            .filter(|_| row.is_object())
            .ok_or_else(|| Error::invalid(format!("row {i} is not an object with a {key:?}")))?;
        last.insert(k, i);
    }
    let mut diff = RowDiff::default();
    for (i, row) in incoming.into_iter().enumerate() {
        let Some(k) = key_of(&row) else { continue };
        if last.get(&k) != Some(&i) {
            continue;
        }
        match by_key.get(&k) {
            None => diff.new.push(row),
            Some(current) => {
                let same = row
                    .as_object()
                    .is_some_and(|fields| fields.iter().all(|(f, v)| current.get(f) == Some(v)));
                if same {
                    diff.unchanged += 1;
                } else {
                    diff.changed.push(row);
                }
            }
        }
    }
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("http://localhost:8055").unwrap()
    }

    #[test]
    fn golden_requests() {
        let op = sort(&base(), "a/b", "x", "y").unwrap();
        assert_eq!(op.request().uri().path(), "/utils/sort/a%2Fb");
        assert_eq!(op.request().body(), br#"{"item":"x","to":"y"}"#);
        assert!(!op.is_read());
        assert_eq!(op.collection(), Some("a/b"));
        assert!(random_string(&base(), 0).is_err());
        assert!(random_string(&base(), 500).is_ok());
        assert!(revert(&base(), "..").is_err());
        let clear = clear_cache(&base(), false).unwrap();
        assert_eq!(clear.request().method(), "POST");
        assert!(clear.request().body().is_empty());
        let batch = [ImportBatch::new("a", vec![json!({"id": 1})])];
        let add = import_batch(&base(), &batch, ImportOptions::default().dry_run(true)).unwrap();
        assert_eq!(add.request().uri().query(), Some("dryRun=true"));
        assert_eq!(
            add.request().body(),
            br#"[{"collection":"a","items":[{"id":1}]}]"#
        );
        assert!(import_batch(&base(), &[], ImportOptions::merge()).is_err());
        let scalar = [ImportBatch::new("a", vec![json!(1)])];
        assert!(import_batch(&base(), &scalar, ImportOptions::merge()).is_err());
    }

    #[test]
    fn import_is_multipart_with_the_file() {
        let file = UploadFile::new("x.json", "[{\"a\":1}]");
        let op = import(&base(), "drs", &file, Boundary::random(3)).unwrap();
        let ct = op.request().headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(ct.starts_with("multipart/form-data; boundary="));
        let body = String::from_utf8_lossy(op.request().body()).into_owned();
        assert!(
            body.contains("name=\"file\"; filename=\"x.json\""),
            "{body}"
        );
        assert!(body.contains("content-type: application/json"), "{body}");
        assert!(body.contains("[{\"a\":1}]"));
    }

    #[test]
    fn diff_keeps_the_last_duplicate_and_refuses_keyless_rows() {
        let server = [
            json!({"id": 1, "n": "a"}),
            json!("junk"),
            json!({"n": "no key"}),
        ];
        let incoming = vec![
            json!({"id": 1, "n": "b"}),
            json!({"id": 1, "n": "a"}),
            json!({"id": 2}),
        ];
        let diff = diff_rows("id", &server, incoming).unwrap();
        assert_eq!(
            (diff.new, diff.changed, diff.unchanged),
            (vec![json!({"id": 2})], vec![], 1)
        );
        assert!(diff_rows("id", &server, vec![json!({"n": 1})]).is_err());
        assert!(diff_rows("id", &server, vec![json!([1])]).is_err());
        assert!(diff_rows("id", &[], vec![json!({"id": null})]).is_err());
    }

    #[test]
    fn export_body_carries_the_query() {
        let q = Query::new().fields(["id"]).limit(5);
        let op = export_to_file(&base(), "p", &q, ExportFormat::Json, &FileMeta::new()).unwrap();
        let body: Value = serde_json::from_slice(op.request().body()).unwrap();
        assert_eq!(
            body,
            json!({"query": {"fields": ["id"], "limit": 5}, "format": "json", "file": {}})
        );
    }
}
