//! A collection of many small numbered rows, for the streamed-read tests and the memory
//! measurements (`tests/tests/streaming.rs`, the `stream-rss` binary): created with `create_many`
//! in batches, deleted when the handle is dropped.

use std::borrow::Cow;

use directus_blocking::Directus;
use directus_proto::schema::{Collection, Field};
use serde::Deserialize;
use serde_json::{Value, json};

/// Rows sent per `create_many` request.
pub const BATCH: u64 = 2_000;

/// A row as typed, owned data.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Row {
    /// The primary key (auto-increment: rows are numbered in creation order).
    pub id: u64,
    /// The row's number, 0 to `rows - 1`.
    pub n: u64,
    /// [`label`] of `n`.
    pub label: String,
}

/// A row borrowing its label from the answer's body.
#[derive(Debug, Deserialize)]
pub struct BorrowedRow<'a> {
    /// The primary key.
    pub id: u64,
    /// The row's number.
    pub n: u64,
    /// The label: borrowed unless it holds JSON escapes (the even rows' do).
    #[serde(borrow)]
    pub label: Cow<'a, str>,
}

/// The label of row `n`: every other one holds characters JSON escapes or that look like the
/// envelope's brackets, so a streamed decoder meets them at every chunk boundary.
pub fn label(n: u64) -> String {
    if n.is_multiple_of(2) {
        format!("row \"{n}\" ]}},{{[ \\ é")
    } else {
        format!("row {n} of the streamed-read tests")
    }
}

/// A collection `{id, n, label}` holding `rows` rows; dropped with its handle.
#[derive(Debug)]
pub struct Rows {
    client: Directus,
    name: String,
    rows: u64,
    keep: bool,
}

impl Rows {
    /// Creates the collection on the server `client` is logged in to (as an admin) and fills it.
    pub fn create(
        client: Directus,
        prefix: &str,
        rows: u64,
    ) -> Result<Rows, directus_blocking::Error> {
        let name = crate::unique(prefix).replace('-', "_");
        let mut collection = Collection::new(&name).fields([
            Field::integer_pk("id"),
            Field::integer("n"),
            Field::string("label"),
        ]);
        // No activity or revision rows for each created row: creation runs several times faster.
        collection
            .meta_mut()
            .extra
            .insert("accountability".into(), Value::Null);
        client.create_collection(&collection)?;
        let table = Rows {
            client,
            name,
            rows,
            keep: false,
        };
        let mut start = 0;
        while start < rows {
            let end = start.saturating_add(BATCH).min(rows);
            let batch: Vec<Value> = (start..end)
                .map(|n| json!({"n": n, "label": label(n)}))
                .collect();
            table
                .client
                .collection(&table.name)
                .fields(["id"])
                .create_many(&batch)?;
            start = end;
        }
        Ok(table)
    }

    /// A handle on an existing collection of this shape (deleted when dropped).
    pub fn existing(client: Directus, name: &str, rows: u64) -> Rows {
        Rows {
            client,
            name: name.to_owned(),
            rows,
            keep: false,
        }
    }

    /// Keeps the collection on the server when the handle is dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// The collection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many rows it holds.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The admin client that created it.
    pub fn client(&self) -> &Directus {
        &self.client
    }

    /// Checks that `rows` are every row, once, in creation order.
    pub fn check(&self, driver: &str, rows: &[Row]) {
        assert_eq!(rows.len() as u64, self.rows, "{driver}: row count");
        let mut last = 0;
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.n, i as u64, "{driver}: row {i} out of order");
            assert!(row.id > last, "{driver}: id {} after {last}", row.id);
            assert_eq!(row.label, label(row.n), "{driver}: label of row {i}");
            last = row.id;
        }
    }
}

impl Drop for Rows {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        if let Err(error) = self.client.delete_collection(&self.name) {
            eprintln!("could not delete the collection {}: {error}", self.name);
        }
    }
}
