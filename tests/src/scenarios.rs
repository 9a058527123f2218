//! One list of end-to-end scenarios, run against both drivers.
//!
//! The scenarios are written against the small [`Driver`] trait, implemented for the blocking
//! client ([`directus_blocking::Directus`]) and for [`AsyncDriver`] (the async client with a
//! tokio runtime that `block_on`s each call). The [`scenarios!`](crate::scenarios!) macro turns a
//! list of scenario names into one `#[test]` per scenario for a given driver, and
//! [`all_scenarios!`](crate::all_scenarios!) holds THE list, so `tests/tests/blocking.rs` and
//! `tests/tests/async_client.rs` cannot drift.
//!
//! Every scenario inserts its own rows with a unique `run` value, filters on it, asserts exact
//! results computed here from the rows it inserted, and cleans up (also when it panics).

use std::collections::{BTreeMap, BTreeSet};

use directus_proto::{
    Agg, AggFunc, AggregateRow, BaseUrl, Error, ErrorCode, ExportFormat, F, Filter, Item, Items,
    Key, MetaCount, Order, Page, Query,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::fixtures::{
    INBOX, NOTES, PRODUCTS, READER_EMAIL, READER_PASSWORD, SECRETS, SETTINGS, SUPPLIERS,
};
use crate::{Server, unique};

/// `Result` with the library's error.
pub type Result<T> = std::result::Result<T, Error>;

/// What the scenarios need from a client: the collection operations, with the query passed in.
pub trait Driver: Sized {
    /// `"blocking"` or `"async"`, for messages.
    const NAME: &'static str;
    /// Logs in with email and password (now, so a wrong password fails here).
    fn login(url: &str, email: &str, password: &str) -> Result<Self>;
    /// A client without credentials (nothing is sent until a call).
    fn anonymous(url: &str) -> Result<Self>;
    /// `collection_as::<T>(c).with_query(q).read()`.
    fn read<T: DeserializeOwned>(&self, c: &str, q: Query) -> Result<Page<T>>;
    /// `collection_as::<T>(c).with_query(q).read_one(key)`.
    fn read_one<T: DeserializeOwned>(&self, c: &str, key: Key, q: Query) -> Result<T>;
    /// Every row through the driver's pagination (`iter()` / `stream()`).
    fn iter_all<T: DeserializeOwned>(&self, c: &str, q: Query) -> Result<Vec<T>>;
    /// `collection(c).with_query(q).export(format)`.
    fn export(&self, c: &str, q: Query, format: ExportFormat) -> Result<String>;
    /// Creates one item.
    fn create<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        c: &str,
        item: &B,
    ) -> Result<Option<T>>;
    /// Creates several items.
    fn create_many<T: DeserializeOwned, B: Serialize>(
        &self,
        c: &str,
        items: &[B],
    ) -> Result<Option<Vec<T>>>;
    /// Updates one item.
    fn update<T: DeserializeOwned>(&self, c: &str, key: Key, patch: &Value) -> Result<Option<T>>;
    /// Updates several items by key.
    fn update_many<T: DeserializeOwned>(
        &self,
        c: &str,
        keys: Vec<Key>,
        patch: &Value,
    ) -> Result<Option<Vec<T>>>;
    /// Updates the items matching a filter.
    fn update_by_query<T: DeserializeOwned>(
        &self,
        c: &str,
        filter: Filter,
        patch: &Value,
    ) -> Result<Option<Vec<T>>>;
    /// Deletes one item.
    fn delete(&self, c: &str, key: Key) -> Result<()>;
    /// Deletes several items by key.
    fn delete_many(&self, c: &str, keys: Vec<Key>) -> Result<()>;
    /// Deletes the items matching a filter.
    fn delete_by_query(&self, c: &str, filter: Filter) -> Result<()>;
    /// Reads a singleton.
    fn singleton_read(&self, c: &str) -> Result<Value>;
    /// Updates a singleton.
    fn singleton_update(&self, c: &str, patch: &Value) -> Result<Option<Value>>;
    /// `collection_of::<T>().with_query(q).read()`.
    fn read_of<T: Item>(&self, q: Query) -> Result<Page<T>>;
    /// `collection_of::<T>().read_one(key)`.
    fn read_one_of<T: Item>(&self, key: Key) -> Result<T>;
    /// `collection_of::<T>().create(item)`.
    fn create_of<T: Item>(&self, item: &T) -> Result<Option<T>>;
    /// `collection_of::<T>().update(key, patch)`.
    fn update_of<T: Item>(&self, key: Key, patch: &Value) -> Result<Option<T>>;
}

// ---------------------------------------------------------------------------------------------
// The drivers

fn blocking_items<'a, T: DeserializeOwned>(
    d: &'a directus_blocking::Directus,
    c: &str,
) -> directus_blocking::Collection<'a, T> {
    d.collection_as::<T>(c)
}

impl Driver for directus_blocking::Directus {
    const NAME: &'static str = "blocking";

    fn login(url: &str, email: &str, password: &str) -> Result<Self> {
        directus_blocking::Directus::login(url, email, password)
    }
    fn anonymous(url: &str) -> Result<Self> {
        directus_blocking::Directus::builder(url).anonymous()
    }
    fn read<T: DeserializeOwned>(&self, c: &str, q: Query) -> Result<Page<T>> {
        blocking_items::<T>(self, c).with_query(q).read()
    }
    fn read_one<T: DeserializeOwned>(&self, c: &str, key: Key, q: Query) -> Result<T> {
        blocking_items::<T>(self, c).with_query(q).read_one(key)
    }
    fn iter_all<T: DeserializeOwned>(&self, c: &str, q: Query) -> Result<Vec<T>> {
        blocking_items::<T>(self, c).with_query(q).iter().collect()
    }
    fn export(&self, c: &str, q: Query, format: ExportFormat) -> Result<String> {
        self.collection(c).with_query(q).export(format)
    }
    fn create<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        c: &str,
        item: &B,
    ) -> Result<Option<T>> {
        blocking_items::<T>(self, c).create(item)
    }
    fn create_many<T: DeserializeOwned, B: Serialize>(
        &self,
        c: &str,
        items: &[B],
    ) -> Result<Option<Vec<T>>> {
        blocking_items::<T>(self, c).create_many(items)
    }
    fn update<T: DeserializeOwned>(&self, c: &str, key: Key, patch: &Value) -> Result<Option<T>> {
        blocking_items::<T>(self, c).update(key, patch)
    }
    fn update_many<T: DeserializeOwned>(
        &self,
        c: &str,
        keys: Vec<Key>,
        patch: &Value,
    ) -> Result<Option<Vec<T>>> {
        blocking_items::<T>(self, c).update_many(keys, patch)
    }
    fn update_by_query<T: DeserializeOwned>(
        &self,
        c: &str,
        filter: Filter,
        patch: &Value,
    ) -> Result<Option<Vec<T>>> {
        blocking_items::<T>(self, c).update_by_query(filter, patch)
    }
    fn delete(&self, c: &str, key: Key) -> Result<()> {
        self.collection(c).delete(key)
    }
    fn delete_many(&self, c: &str, keys: Vec<Key>) -> Result<()> {
        self.collection(c).delete_many(keys)
    }
    fn delete_by_query(&self, c: &str, filter: Filter) -> Result<()> {
        self.collection(c).delete_by_query(filter)
    }
    fn singleton_read(&self, c: &str) -> Result<Value> {
        self.singleton(c).read()
    }
    fn singleton_update(&self, c: &str, patch: &Value) -> Result<Option<Value>> {
        self.singleton(c).update(patch)
    }
    fn read_of<T: Item>(&self, q: Query) -> Result<Page<T>> {
        self.collection_of::<T>().with_query(q).read()
    }
    fn read_one_of<T: Item>(&self, key: Key) -> Result<T> {
        self.collection_of::<T>().read_one(key)
    }
    fn create_of<T: Item>(&self, item: &T) -> Result<Option<T>> {
        self.collection_of::<T>().create(item)
    }
    fn update_of<T: Item>(&self, key: Key, patch: &Value) -> Result<Option<T>> {
        self.collection_of::<T>().update(key, patch)
    }
}

/// The async client driven from synchronous tests: each call is `block_on` on its own
/// multi-threaded runtime (the client's refresh task and reqwest's connections run on it).
#[derive(Debug)]
pub struct AsyncDriver {
    /// The async client.
    pub client: directus_async::Directus,
    /// The runtime the calls run on.
    pub rt: tokio::runtime::Runtime,
}

/// A multi-threaded runtime for [`AsyncDriver`] and the async tests.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

impl AsyncDriver {
    fn items<T: DeserializeOwned>(&self, c: &str) -> directus_async::Collection<'_, T> {
        self.client.collection_as::<T>(c)
    }
}

impl Driver for AsyncDriver {
    const NAME: &'static str = "async";

    fn login(url: &str, email: &str, password: &str) -> Result<Self> {
        let rt = runtime();
        let client = rt.block_on(directus_async::Directus::login(url, email, password))?;
        Ok(AsyncDriver { client, rt })
    }
    fn anonymous(url: &str) -> Result<Self> {
        let rt = runtime();
        let client = directus_async::Directus::builder(url).anonymous()?;
        Ok(AsyncDriver { client, rt })
    }
    fn read<T: DeserializeOwned>(&self, c: &str, q: Query) -> Result<Page<T>> {
        self.rt.block_on(self.items::<T>(c).with_query(q).read())
    }
    fn read_one<T: DeserializeOwned>(&self, c: &str, key: Key, q: Query) -> Result<T> {
        self.rt
            .block_on(self.items::<T>(c).with_query(q).read_one(key))
    }
    fn export(&self, c: &str, q: Query, format: ExportFormat) -> Result<String> {
        self.rt
            .block_on(self.client.collection(c).with_query(q).export(format))
    }
    fn iter_all<T: DeserializeOwned>(&self, c: &str, q: Query) -> Result<Vec<T>> {
        use futures_util::StreamExt;
        self.rt.block_on(async {
            let items = self.items::<T>(c).with_query(q);
            let mut stream = std::pin::pin!(items.stream());
            let mut out = Vec::new();
            while let Some(item) = stream.next().await {
                out.push(item?);
            }
            Ok(out)
        })
    }
    fn create<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        c: &str,
        item: &B,
    ) -> Result<Option<T>> {
        self.rt.block_on(self.items::<T>(c).create(item))
    }
    fn create_many<T: DeserializeOwned, B: Serialize>(
        &self,
        c: &str,
        items: &[B],
    ) -> Result<Option<Vec<T>>> {
        self.rt.block_on(self.items::<T>(c).create_many(items))
    }
    fn update<T: DeserializeOwned>(&self, c: &str, key: Key, patch: &Value) -> Result<Option<T>> {
        self.rt.block_on(self.items::<T>(c).update(key, patch))
    }
    fn update_many<T: DeserializeOwned>(
        &self,
        c: &str,
        keys: Vec<Key>,
        patch: &Value,
    ) -> Result<Option<Vec<T>>> {
        self.rt
            .block_on(self.items::<T>(c).update_many(keys, patch))
    }
    fn update_by_query<T: DeserializeOwned>(
        &self,
        c: &str,
        filter: Filter,
        patch: &Value,
    ) -> Result<Option<Vec<T>>> {
        self.rt
            .block_on(self.items::<T>(c).update_by_query(filter, patch))
    }
    fn delete(&self, c: &str, key: Key) -> Result<()> {
        self.rt.block_on(self.client.collection(c).delete(key))
    }
    fn delete_many(&self, c: &str, keys: Vec<Key>) -> Result<()> {
        self.rt
            .block_on(self.client.collection(c).delete_many(keys))
    }
    fn delete_by_query(&self, c: &str, filter: Filter) -> Result<()> {
        self.rt
            .block_on(self.client.collection(c).delete_by_query(filter))
    }
    fn singleton_read(&self, c: &str) -> Result<Value> {
        self.rt.block_on(self.client.singleton(c).read())
    }
    fn singleton_update(&self, c: &str, patch: &Value) -> Result<Option<Value>> {
        self.rt.block_on(self.client.singleton(c).update(patch))
    }
    fn read_of<T: Item>(&self, q: Query) -> Result<Page<T>> {
        self.rt
            .block_on(self.client.collection_of::<T>().with_query(q).read())
    }
    fn read_one_of<T: Item>(&self, key: Key) -> Result<T> {
        self.rt
            .block_on(self.client.collection_of::<T>().read_one(key))
    }
    fn create_of<T: Item>(&self, item: &T) -> Result<Option<T>> {
        self.rt
            .block_on(self.client.collection_of::<T>().create(item))
    }
    fn update_of<T: Item>(&self, key: Key, patch: &Value) -> Result<Option<T>> {
        self.rt
            .block_on(self.client.collection_of::<T>().update(key, patch))
    }
}

/// The server from the environment, with the fixtures ensured (once per process).
pub fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

/// The bootstrap admin, logged in with driver `D`.
pub fn admin<D: Driver>() -> D {
    let server = server();
    D::login(&server.url, &server.admin_email, &server.admin_password)
        .unwrap_or_else(|e| panic!("{}: admin login failed: {e}", D::NAME))
}

/// The fixture reader, logged in with driver `D`.
pub fn reader<D: Driver>() -> D {
    let server = server();
    D::login(&server.url, READER_EMAIL, READER_PASSWORD)
        .unwrap_or_else(|e| panic!("{}: reader login failed: {e}", D::NAME))
}

// ---------------------------------------------------------------------------------------------
// The macros

/// One `#[test]` per scenario: `scenarios!(make_driver_expr; name1, name2)` calls
/// `directus_tests::scenarios::name1(&make_driver_expr)`.
#[macro_export]
macro_rules! scenarios {
    ($make:expr; $($(#[$meta:meta])* $name:ident),* $(,)?) => {
        $(
            #[test]
            $(#[$meta])*
            fn $name() {
                let driver = $make;
                $crate::scenarios::$name(&driver);
            }
        )*
    };
}

/// Every scenario, for one driver: `all_scenarios!(make_driver_expr)`.
#[macro_export]
macro_rules! all_scenarios {
    ($make:expr) => {
        $crate::scenarios!($make;
            filter_operators,
            filter_icontains_negation_is_refused,
            filter_contains_case_depends_on_database,
            filter_in_empty_list,
            filter_relational_paths_and_quantifiers,
            filter_logic_nesting_shorthand_and_chaining,
            sort_limit_offset_page,
            search_text,
            export_csv,
            fields_and_result_shape,
            meta_counts,
            long_query_goes_out_as_search,
            aggregate_each_function_alone,
            aggregate_several_at_once,
            aggregate_group_by_category,
            aggregate_group_by_year,
            aggregate_count_all_on_rest,
            crud_integer_keys,
            crud_uuid_keys,
            singleton_round_trip,
            typed_models,
            collection_as_projection,
            write_without_read_back,
            empty_keys_are_refused_client_side,
            error_wrong_password,
            error_reader_forbidden_collection,
            error_missing_item,
            error_invalid_filter_field,
            path_injection_keys,
            path_injection_collections,
            dot_keys_are_refused_client_side,
            pagination_2000_rows,
            pagination_starts_at_page,
        );
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Deletes the rows of a run (matching `run`) when dropped, also while unwinding.
pub struct Cleanup<'a, D: Driver> {
    driver: &'a D,
    collection: &'static str,
    run: String,
}

impl<D: Driver> std::fmt::Debug for Cleanup<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cleanup({} run={})", self.collection, self.run)
    }
}

impl<'a, D: Driver> Cleanup<'a, D> {
    /// Deletes `collection`'s rows whose `run` is `run` on drop.
    pub fn new(driver: &'a D, collection: &'static str, run: &str) -> Self {
        Cleanup {
            driver,
            collection,
            run: run.to_owned(),
        }
    }
}

impl<D: Driver> Drop for Cleanup<'_, D> {
    fn drop(&mut self) {
        let result = self
            .driver
            .delete_by_query(self.collection, F::eq("run", self.run.clone()));
        if let Err(err) = result
            && !std::thread::panicking()
        {
            panic!(
                "cleanup of {} run {} failed: {err}",
                self.collection, self.run
            );
        }
    }
}

/// The `id` of a row as an integer.
pub fn id_of(row: &Value) -> i64 {
    row["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no integer id in {row}"))
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(id_of).collect()
}

fn id_set(rows: &[Value]) -> BTreeSet<i64> {
    rows.iter().map(id_of).collect()
}

fn api_code(err: &Error) -> Option<(u16, ErrorCode)> {
    err.api().map(|a| (a.status().as_u16(), a.code().clone()))
}

/// Asserts an API error with this status and code.
#[track_caller]
pub fn assert_api<T: std::fmt::Debug>(result: Result<T>, status: u16, code: ErrorCode) {
    match result {
        Err(err) => assert_eq!(
            api_code(&err),
            Some((status, code.clone())),
            "expected {status} {code:?}, got {err:?}"
        ),
        Ok(v) => panic!("expected {status} {code:?}, got Ok({v:?})"),
    }
}

/// Asserts [`Error::InvalidInput`].
#[track_caller]
pub fn assert_invalid_input<T: std::fmt::Debug>(result: Result<T>) {
    match result {
        Err(Error::InvalidInput(_)) => {}
        other => panic!("expected Error::InvalidInput, got {other:?}"),
    }
}

/// One row of the product data set the read scenarios insert.
#[derive(Debug, Clone, Copy)]
pub struct SeedRow {
    /// `name` (`None` is SQL NULL).
    pub name: Option<&'static str>,
    /// `category`.
    pub category: &'static str,
    /// `price` (`None` is SQL NULL).
    pub price: Option<f64>,
    /// `stock`: unique per row, so it identifies the row.
    pub stock: i64,
    /// `active`.
    pub active: bool,
    /// `released_at`.
    pub released_at: &'static str,
}

/// The product data set: names with mixed case, an empty and a NULL name, a NULL price, a
/// repeated price (for the `*Distinct` aggregates), unique stocks.
pub const SEED: [SeedRow; 7] = [
    SeedRow {
        name: Some("Apple Pie"),
        category: "food",
        price: Some(3.5),
        stock: 10,
        active: true,
        released_at: "2021-03-01T10:00:00",
    },
    SeedRow {
        name: Some("apple juice"),
        category: "drink",
        price: Some(1.25),
        stock: 0,
        active: true,
        released_at: "2022-06-15T08:30:00",
    },
    SeedRow {
        name: Some("Banana Split"),
        category: "food",
        price: Some(0.99),
        stock: 25,
        active: false,
        released_at: "2022-01-10T12:00:00",
    },
    SeedRow {
        name: Some("Cherry Cola"),
        category: "drink",
        price: Some(3.5),
        stock: 5,
        active: false,
        released_at: "2023-07-04T18:00:00",
    },
    SeedRow {
        name: Some("Date PIE"),
        category: "food",
        price: Some(7.75),
        stock: 100,
        active: true,
        released_at: "2023-12-24T00:00:00",
    },
    SeedRow {
        name: Some(""),
        category: "misc",
        price: Some(10.0),
        stock: 3,
        active: true,
        released_at: "2024-02-29T09:15:00",
    },
    SeedRow {
        name: None,
        category: "misc",
        price: None,
        stock: 7,
        active: false,
        released_at: "2020-01-01T00:00:00",
    },
];

/// The seeded rows of one run: `ids[i]` is the id of `SEED[i]`. Deletes them on drop.
#[derive(Debug)]
pub struct Seeded<'a, D: Driver> {
    /// The run value.
    pub run: String,
    /// The ids, by `SEED` index.
    pub ids: Vec<i64>,
    _cleanup: Cleanup<'a, D>,
}

impl<D: Driver> Seeded<'_, D> {
    /// The ids of the seeded rows for which `pick` holds.
    pub fn ids_where(&self, pick: impl Fn(&SeedRow) -> bool) -> BTreeSet<i64> {
        SEED.iter()
            .zip(&self.ids)
            .filter(|(row, _)| pick(row))
            .map(|(_, id)| *id)
            .collect()
    }

    /// The run filter.
    pub fn run_filter(&self) -> Filter {
        F::eq("run", self.run.clone())
    }
}

/// Inserts [`SEED`] with a fresh run value.
pub fn seed_products<D: Driver>(d: &D) -> Seeded<'_, D> {
    let run = unique("seed");
    let cleanup = Cleanup::new(d, PRODUCTS, &run);
    let rows: Vec<Value> = SEED
        .iter()
        .map(|r| {
            json!({
                "name": r.name, "category": r.category, "price": r.price, "stock": r.stock,
                "active": r.active, "released_at": r.released_at, "run": run,
                "tags": [r.category], "attrs": {"stock": r.stock}
            })
        })
        .collect();
    let created: Vec<Value> = d
        .create_many(PRODUCTS, &rows)
        .expect("seed create_many")
        .expect("admin reads back");
    assert_eq!(created.len(), SEED.len());
    let by_stock: BTreeMap<i64, i64> = created
        .iter()
        .map(|row| (row["stock"].as_i64().expect("stock"), id_of(row)))
        .collect();
    let ids = SEED.iter().map(|r| by_stock[&r.stock]).collect();
    Seeded {
        run,
        ids,
        _cleanup: cleanup,
    }
}

/// The ids of the products matching `filter` (no limit).
pub fn matching<D: Driver>(d: &D, filter: Filter) -> Result<BTreeSet<i64>> {
    let page = d.read::<Value>(
        PRODUCTS,
        Query::new().fields(["id"]).filter(filter).no_limit(),
    )?;
    Ok(id_set(page.items()))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[track_caller]
fn assert_close(actual: Option<f64>, expected: f64, what: &str) {
    match actual {
        Some(a) if close(a, expected) => {}
        other => panic!("{what}: expected {expected}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Filters

/// (label, filter, whether a row matches (`None`: unknown, the field is NULL), test `!f` too)
type Case = (
    &'static str,
    Filter,
    Box<dyn Fn(&SeedRow) -> Option<bool>>,
    bool,
);

fn name_is(f: fn(&str) -> bool) -> impl Fn(&SeedRow) -> Option<bool> {
    move |r| r.name.map(f)
}

/// Every filter operator on real data; `!f` gives exactly the rows where `f` is false (rows
/// where it is unknown, because the field is NULL, match neither: SQL semantics).
pub fn filter_operators<D: Driver>(d: &D) {
    let s = seed_products(d);
    let lower = |s: &str| s.to_lowercase();
    // (label, filter, whether a row matches: None = unknown (NULL), negate?)
    let cases: Vec<Case> = vec![
        (
            "eq",
            F::eq("name", "Cherry Cola"),
            Box::new(name_is(|n| n == "Cherry Cola")),
            true,
        ),
        (
            "neq",
            F::neq("name", "Cherry Cola"),
            Box::new(name_is(|n| n != "Cherry Cola")),
            true,
        ),
        (
            "eq null",
            F::eq("name", Value::Null),
            Box::new(|r: &SeedRow| Some(r.name.is_none())),
            true,
        ),
        (
            "neq null",
            F::neq("name", Value::Null),
            Box::new(|r: &SeedRow| Some(r.name.is_some())),
            true,
        ),
        (
            "eq bool",
            F::eq("active", true),
            Box::new(|r: &SeedRow| Some(r.active)),
            true,
        ),
        (
            "lt",
            F::lt("stock", 5),
            Box::new(|r: &SeedRow| Some(r.stock < 5)),
            true,
        ),
        (
            "lte",
            F::lte("stock", 5),
            Box::new(|r: &SeedRow| Some(r.stock <= 5)),
            true,
        ),
        (
            "gt",
            F::gt("stock", 10),
            Box::new(|r: &SeedRow| Some(r.stock > 10)),
            true,
        ),
        (
            "gte",
            F::gte("stock", 10),
            Box::new(|r: &SeedRow| Some(r.stock >= 10)),
            true,
        ),
        (
            "lt decimal",
            F::lt("price", 2),
            Box::new(|r: &SeedRow| r.price.map(|p| p < 2.0)),
            true,
        ),
        (
            "in",
            F::in_("category", ["food", "misc"]),
            Box::new(|r: &SeedRow| Some(r.category != "drink")),
            true,
        ),
        (
            "nin",
            F::nin("category", ["food", "misc"]),
            Box::new(|r: &SeedRow| Some(r.category == "drink")),
            true,
        ),
        (
            "in names",
            F::in_("name", ["Apple Pie", ""]),
            Box::new(name_is(|n| n == "Apple Pie" || n.is_empty())),
            true,
        ),
        (
            "null",
            F::null("price"),
            Box::new(|r: &SeedRow| Some(r.price.is_none())),
            true,
        ),
        (
            "nnull",
            F::nnull("price"),
            Box::new(|r: &SeedRow| Some(r.price.is_some())),
            true,
        ),
        (
            "between",
            F::between("stock", 3, 10),
            Box::new(|r: &SeedRow| Some((3..=10).contains(&r.stock))),
            true,
        ),
        (
            "nbetween",
            F::nbetween("stock", 3, 10),
            Box::new(|r: &SeedRow| Some(!(3..=10).contains(&r.stock))),
            true,
        ),
        (
            "year()",
            F::eq("year(released_at)", 2022),
            Box::new(|r: &SeedRow| Some(r.released_at.starts_with("2022"))),
            true,
        ),
        (
            "gt date",
            F::gt("released_at", "2023-07-04T18:00:00"),
            Box::new(|r: &SeedRow| Some(r.released_at > "2023-07-04T18:00:00")),
            true,
        ),
        (
            "between dates",
            F::between("released_at", "2022-01-01T00:00:00", "2022-12-31T23:59:59"),
            Box::new(|r: &SeedRow| Some(r.released_at.starts_with("2022"))),
            true,
        ),
        (
            "empty",
            F::empty("name"),
            Box::new(|r: &SeedRow| Some(r.name.is_none_or(str::is_empty))),
            true,
        ),
        (
            "nempty",
            F::nempty("name"),
            Box::new(|r: &SeedRow| Some(r.name.is_some_and(|n| !n.is_empty()))),
            true,
        ),
        // Case-unambiguous values for the case-sensitive operators (SQLite's LIKE ignores ASCII
        // case, see `filter_contains_case_depends_on_database`).
        (
            "contains",
            F::contains("name", "an"),
            Box::new(name_is(|n| n.contains("an"))),
            true,
        ),
        (
            "ncontains",
            F::ncontains("name", "an"),
            Box::new(name_is(|n| !n.contains("an"))),
            true,
        ),
        (
            "icontains",
            F::icontains("name", "PIE"),
            Box::new(move |r: &SeedRow| r.name.map(|n| lower(n).contains("pie"))),
            false,
        ),
        (
            "starts_with",
            F::starts_with("name", "Ch"),
            Box::new(name_is(|n| n.starts_with("Ch"))),
            true,
        ),
        (
            "nstarts_with",
            F::nstarts_with("name", "Ch"),
            Box::new(name_is(|n| !n.starts_with("Ch"))),
            true,
        ),
        (
            "istarts_with",
            F::istarts_with("name", "APPLE"),
            Box::new(move |r: &SeedRow| r.name.map(|n| lower(n).starts_with("apple"))),
            true,
        ),
        (
            "nistarts_with",
            F::nistarts_with("name", "APPLE"),
            Box::new(move |r: &SeedRow| r.name.map(|n| !lower(n).starts_with("apple"))),
            true,
        ),
        (
            "ends_with",
            F::ends_with("name", "Split"),
            Box::new(name_is(|n| n.ends_with("Split"))),
            true,
        ),
        (
            "nends_with",
            F::nends_with("name", "Split"),
            Box::new(name_is(|n| !n.ends_with("Split"))),
            true,
        ),
        (
            "iends_with",
            F::iends_with("name", "pie"),
            Box::new(move |r: &SeedRow| r.name.map(|n| lower(n).ends_with("pie"))),
            true,
        ),
        (
            "niends_with",
            F::niends_with("name", "pie"),
            Box::new(move |r: &SeedRow| r.name.map(|n| !lower(n).ends_with("pie"))),
            true,
        ),
    ];
    let mut failures = Vec::new();
    for (label, filter, pred, negate) in cases {
        let yes = s.ids_where(|r| pred(r) == Some(true));
        let no = s.ids_where(|r| pred(r) == Some(false));
        match matching(d, s.run_filter() & filter.clone()) {
            Ok(got) if got == yes => {}
            other => failures.push(format!("{label}: expected {yes:?}, got {other:?}")),
        }
        if negate {
            match matching(d, s.run_filter() & !filter) {
                Ok(got) if got == no => {}
                other => failures.push(format!("!{label}: expected {no:?}, got {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}: {failures:#?}", D::NAME);
}

/// `F::in_` with an empty list matches nothing and `F::nin` every row. Directus 12.4 refuses the
/// empty lists themselves (400 INVALID_QUERY `"_in" has to be an array of values`, measured), so
/// the library folds them to constants before anything is sent.
pub fn filter_in_empty_list<D: Driver>(d: &D) {
    let s = seed_products(d);
    let none: Vec<i64> = Vec::new();
    let all = s.ids_where(|_| true);
    assert_eq!(
        matching(d, s.run_filter() & F::nin("stock", none.clone())).unwrap(),
        all
    );
    assert_eq!(
        matching(d, s.run_filter() & !F::in_("stock", none.clone())).unwrap(),
        all
    );
    assert_eq!(
        matching(
            d,
            s.run_filter() & (F::in_("stock", none.clone()) | F::eq("stock", 5))
        )
        .unwrap(),
        s.ids_where(|r| r.stock == 5)
    );
    // and an `and` with it can never match: refused client-side, as `Filter::any([])` is
    let result = matching(
        d,
        s.run_filter() & F::in_("stock", none) & F::eq("stock", 5),
    );
    assert!(
        matches!(
            result,
            Err(Error::Filter(directus_proto::FilterError::MatchesNothing))
        ),
        "{result:?}"
    );
}

/// Directus 12.4 refuses `_nicontains` (the twin of a negated `icontains`) on string fields:
/// 400 INVALID_QUERY.
pub fn filter_icontains_negation_is_refused<D: Driver>(d: &D) {
    let s = seed_products(d);
    assert_api(
        matching(d, s.run_filter() & !F::icontains("name", "pie")),
        400,
        ErrorCode::InvalidQuery,
    );
    assert_api(
        matching(d, s.run_filter() & F::nicontains("name", "pie")),
        400,
        ErrorCode::InvalidQuery,
    );
}

/// A server fact: the "case-sensitive" `_contains`, `_starts_with`, `_ends_with` run as `LIKE`,
/// which SQLite compares ignoring ASCII case and PostgreSQL honouring it (the server's business,
/// not the library's: use `_icontains` for a search that ignores case everywhere).
pub fn filter_contains_case_depends_on_database<D: Driver>(d: &D) {
    let s = seed_products(d);
    let sqlite = crate::Database::from_env() == crate::Database::Sqlite;
    let expect = |pattern: &str, test: fn(&str, &str) -> bool| {
        s.ids_where(|r| {
            r.name.is_some_and(|n| {
                if sqlite {
                    test(&n.to_lowercase(), &pattern.to_lowercase())
                } else {
                    test(n, pattern)
                }
            })
        })
    };
    let apples = expect("APPLE", |n, p| n.contains(p));
    assert_eq!(apples.len(), if sqlite { 2 } else { 0 });
    assert_eq!(
        matching(d, s.run_filter() & F::contains("name", "APPLE")).unwrap(),
        apples
    );
    let apple_start = expect("apple", |n, p| n.starts_with(p));
    assert!(!apple_start.is_empty());
    assert_eq!(
        matching(d, s.run_filter() & F::starts_with("name", "apple")).unwrap(),
        apple_start
    );
    let pies = expect("pie", |n, p| n.ends_with(p));
    assert_eq!(
        matching(d, s.run_filter() & F::ends_with("name", "pie")).unwrap(),
        pies
    );
    // `_icontains` ignores case on both.
    assert_eq!(
        matching(d, s.run_filter() & F::icontains("name", "APPLE"))
            .unwrap()
            .len(),
        2
    );
}

/// Dotted m2o paths, `_some`/`_none` on the o2m `products`, and fields through the relation.
pub fn filter_relational_paths_and_quantifiers<D: Driver>(d: &D) {
    let run = unique("rel");
    let _products = Cleanup::new(d, PRODUCTS, &run);
    let names = [format!("{run}-A"), format!("{run}-B"), format!("{run}-C")];
    let suppliers: Vec<Value> = d
        .create_many(
            SUPPLIERS,
            &names
                .iter()
                .map(|n| json!({"name": n, "country": "NL"}))
                .collect::<Vec<_>>(),
        )
        .unwrap()
        .unwrap();
    let sup: BTreeMap<String, i64> = suppliers
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), id_of(s)))
        .collect();
    let (a, b, c) = (sup[&names[0]], sup[&names[1]], sup[&names[2]]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // A: stocks 1, 60; B: stock 2; C: none; one product without supplier.
        let rows = vec![
            json!({"name": "a1", "stock": 1, "supplier": a, "run": run}),
            json!({"name": "a2", "stock": 60, "supplier": a, "run": run}),
            json!({"name": "b1", "stock": 2, "supplier": b, "run": run}),
            json!({"name": "x1", "stock": 3, "supplier": null, "run": run}),
        ];
        let created: Vec<Value> = d.create_many(PRODUCTS, &rows).unwrap().unwrap();
        let by_name: BTreeMap<String, i64> = created
            .iter()
            .map(|r| (r["name"].as_str().unwrap().to_owned(), id_of(r)))
            .collect();
        let run_f = || F::eq("run", run.clone());
        let set = |names: &[&str]| -> BTreeSet<i64> { names.iter().map(|n| by_name[*n]).collect() };

        // m2o dotted path
        assert_eq!(
            matching(d, run_f() & F::eq("supplier.name", names[0].clone())).unwrap(),
            set(&["a1", "a2"])
        );
        // negated m2o dotted path: products whose supplier has another name (not the NULL one)
        assert_eq!(
            matching(d, run_f() & !F::eq("supplier.name", names[0].clone())).unwrap(),
            set(&["b1"])
        );
        assert_eq!(
            matching(
                d,
                run_f() & F::eq("supplier.country", "NL") & F::gt("stock", 1)
            )
            .unwrap(),
            set(&["a2", "b1"])
        );

        // o2m quantifiers on suppliers
        let ours = || F::in_("name", names.clone());
        let sup_ids = |filter: Filter| -> BTreeSet<i64> {
            let page = d
                .read::<Value>(
                    SUPPLIERS,
                    Query::new().fields(["id"]).filter(ours()).filter(filter),
                )
                .unwrap();
            id_set(page.items())
        };
        let big = || F::gt("stock", 50);
        assert_eq!(sup_ids(F::some("products", big())), BTreeSet::from([a]));
        assert_eq!(sup_ids(F::none("products", big())), BTreeSet::from([b, c]));
        assert_eq!(sup_ids(!F::some("products", big())), BTreeSet::from([b, c]));
        assert_eq!(sup_ids(!F::none("products", big())), BTreeSet::from([a]));
        assert_eq!(
            sup_ids(F::some("products", F::lt("stock", 100))),
            BTreeSet::from([a, b])
        );
        assert_eq!(
            sup_ids(F::none("products", F::lt("stock", 100))),
            BTreeSet::from([c])
        );

        // fields through the relation: the shape is nested
        let page = d
            .read::<Value>(
                PRODUCTS,
                Query::new()
                    .fields(["id", "name", "supplier.name"])
                    .filter(run_f())
                    .sort("name", Order::Asc),
            )
            .unwrap();
        let got: Vec<Value> = page.items().to_vec();
        assert_eq!(
            got,
            vec![
                json!({"id": by_name["a1"], "name": "a1", "supplier": {"name": names[0]}}),
                json!({"id": by_name["a2"], "name": "a2", "supplier": {"name": names[0]}}),
                json!({"id": by_name["b1"], "name": "b1", "supplier": {"name": names[1]}}),
                json!({"id": by_name["x1"], "name": "x1", "supplier": null}),
            ]
        );
        // and the o2m alias from the other side
        let sup_a: Value = d
            .read_one(
                SUPPLIERS,
                Key::from(a),
                Query::new().fields(["id", "products"]),
            )
            .unwrap();
        let mut products: Vec<i64> = sup_a["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        products.sort_unstable();
        assert_eq!(products, set(&["a1", "a2"]).into_iter().collect::<Vec<_>>());
    }));
    // products first (their supplier is SET NULL on delete anyway), then suppliers
    d.delete_by_query(PRODUCTS, F::eq("run", run.clone()))
        .unwrap();
    d.delete_many(SUPPLIERS, vec![Key::from(a), Key::from(b), Key::from(c)])
        .unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// AND/OR nesting, `a | b | c`, `filter_eq`, and chained filters meaning AND.
pub fn filter_logic_nesting_shorthand_and_chaining<D: Driver>(d: &D) {
    let s = seed_products(d);
    let q = |filter: Filter| matching(d, s.run_filter() & filter).unwrap();
    // (food AND stock > 10) OR (drink AND NOT active)
    let f = (F::eq("category", "food") & F::gt("stock", 10))
        | (F::eq("category", "drink") & !F::eq("active", true));
    assert_eq!(
        q(f.clone()),
        s.ids_where(
            |r| (r.category == "food" && r.stock > 10) || (r.category == "drink" && !r.active)
        )
    );
    // its negation (no NULLs in these fields): the exact complement
    assert_eq!(
        q(!f),
        s.ids_where(
            |r| !((r.category == "food" && r.stock > 10) || (r.category == "drink" && !r.active))
        )
    );
    // a | b | c
    assert_eq!(
        q(F::eq("stock", 0) | F::eq("stock", 5) | F::eq("stock", 100)),
        s.ids_where(|r| [0, 5, 100].contains(&r.stock))
    );
    // Filter::all / any
    assert_eq!(
        q(Filter::all([
            F::eq("active", true),
            F::gte("stock", 3),
            F::lte("stock", 10)
        ])),
        s.ids_where(|r| r.active && (3..=10).contains(&r.stock))
    );
    assert_eq!(
        q(Filter::any([F::eq("category", "misc"), F::lt("stock", 1)])),
        s.ids_where(|r| r.category == "misc" || r.stock < 1)
    );
    // filter_eq shorthand and chained filters (AND)
    let page = d
        .read::<Value>(
            PRODUCTS,
            Query::new()
                .fields(["id"])
                .filter_eq("run", s.run.clone())
                .filter_eq("category", "food")
                .filter(F::gt("stock", 10))
                .no_limit(),
        )
        .unwrap();
    assert_eq!(
        id_set(page.items()),
        s.ids_where(|r| r.category == "food" && r.stock > 10)
    );
    // the tuple shorthand
    assert_eq!(
        q(Filter::from(("stock", 25))),
        s.ids_where(|r| r.stock == 25)
    );
}

// ---------------------------------------------------------------------------------------------
// Reads: sort, paging, search, fields, counts, long queries

/// Sort ascending, descending and by several fields; limit, offset, page, no_limit.
pub fn sort_limit_offset_page<D: Driver>(d: &D) {
    let s = seed_products(d);
    let read = |q: Query| -> Vec<i64> {
        let page = d
            .read::<Value>(PRODUCTS, q.fields(["id"]).filter(s.run_filter()))
            .unwrap();
        ids(page.items())
    };
    let mut by_stock: Vec<(i64, i64)> = SEED
        .iter()
        .zip(&s.ids)
        .map(|(r, id)| (r.stock, *id))
        .collect();
    by_stock.sort_unstable();
    let asc: Vec<i64> = by_stock.iter().map(|(_, id)| *id).collect();
    let desc: Vec<i64> = asc.iter().rev().copied().collect();
    assert_eq!(read(Query::new().sort("stock", Order::Asc)), asc);
    assert_eq!(read(Query::new().sort("stock", Order::Desc)), desc);
    // category asc, then stock desc
    let mut multi: Vec<(&str, i64, i64)> = SEED
        .iter()
        .zip(&s.ids)
        .map(|(r, id)| (r.category, -r.stock, *id))
        .collect();
    multi.sort_unstable();
    let multi: Vec<i64> = multi.iter().map(|t| t.2).collect();
    assert_eq!(
        read(
            Query::new()
                .sort("category", Order::Asc)
                .sort("stock", Order::Desc)
        ),
        multi
    );
    // limit, offset, page
    assert_eq!(
        read(Query::new().sort("stock", Order::Asc).limit(3)),
        asc[..3]
    );
    assert_eq!(
        read(Query::new().sort("stock", Order::Asc).limit(2).offset(3)),
        asc[3..5]
    );
    assert_eq!(
        read(Query::new().sort("stock", Order::Asc).limit(2).page(2)),
        asc[2..4]
    );
    assert_eq!(
        read(Query::new().sort("stock", Order::Asc).limit(3).page(3)),
        asc[6..]
    );
    assert_eq!(read(Query::new().sort("stock", Order::Asc).no_limit()), asc);
    assert_eq!(
        read(Query::new().sort("stock", Order::Asc).offset(7)),
        Vec::<i64>::new()
    );
}

/// Full-text search over the string fields (case-insensitive), within the run.
pub fn search_text<D: Driver>(d: &D) {
    let s = seed_products(d);
    let search = |text: &str| -> BTreeSet<i64> {
        let page = d
            .read::<Value>(
                PRODUCTS,
                Query::new()
                    .fields(["id"])
                    .filter(s.run_filter())
                    .search(text),
            )
            .unwrap();
        id_set(page.items())
    };
    assert_eq!(
        search("banana"),
        s.ids_where(|r| r.name == Some("Banana Split"))
    );
    // matches in any string field: the category
    assert_eq!(search("drink"), s.ids_where(|r| r.category == "drink"));
    assert_eq!(
        search("PIE"),
        s.ids_where(|r| r.name.is_some_and(|n| n.to_lowercase().contains("pie")))
    );
    assert_eq!(search("no-such-text-anywhere"), BTreeSet::new());
}

/// `export` answers the same query as a CSV file: a header, then one line per row, in order.
pub fn export_csv<D: Driver>(d: &D) {
    let s = seed_products(d);
    let csv = d
        .export(
            PRODUCTS,
            Query::new()
                .fields(["stock", "category"])
                .filter(s.run_filter())
                .sort("stock", Order::Asc)
                .no_limit(),
            ExportFormat::Csv,
        )
        .unwrap();
    let mut rows: Vec<&SeedRow> = SEED.iter().collect();
    rows.sort_by_key(|r| r.stock);
    let mut expected = String::from("\"stock\",\"category\"");
    for row in rows {
        expected.push_str(&format!("\n{},\"{}\"", row.stock, row.category));
    }
    assert_eq!(csv.trim_end(), expected, "{}", D::NAME);
}

/// `fields` limits the keys of each row; `*` gives them all.
pub fn fields_and_result_shape<D: Driver>(d: &D) {
    let s = seed_products(d);
    let page = d
        .read::<Value>(
            PRODUCTS,
            Query::new()
                .fields([
                    "id",
                    "name",
                    "stock",
                    "tags",
                    "attrs",
                    "active",
                    "released_at",
                ])
                .filter(s.run_filter())
                .sort("stock", Order::Asc)
                .limit(1),
        )
        .unwrap();
    let row = &page.items()[0];
    let i = SEED.iter().position(|r| r.stock == 0).unwrap();
    assert_eq!(
        row,
        &json!({
            "id": s.ids[i], "name": SEED[i].name, "stock": 0, "tags": ["drink"],
            "attrs": {"stock": 0}, "active": true, "released_at": SEED[i].released_at
        })
    );
    let page = d
        .read::<Value>(
            PRODUCTS,
            Query::new().fields(["*"]).filter(s.run_filter()).limit(1),
        )
        .unwrap();
    let keys: BTreeSet<&str> = page.items()[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "id",
            "name",
            "category",
            "price",
            "stock",
            "active",
            "released_at",
            "tags",
            "attrs",
            "run",
            "supplier"
        ])
    );
    // the alias parameter
    let page = d
        .read::<Value>(
            PRODUCTS,
            Query::new()
                .fields(["id", "label"])
                .alias("label", "name")
                .filter(s.run_filter() & F::eq("stock", 25)),
        )
        .unwrap();
    assert_eq!(
        page.items(),
        [json!({"id": s.ids[2], "label": "Banana Split"})]
    );
}

/// `include_count`: filter_count is exact for the run; total_count covers the whole collection.
pub fn meta_counts<D: Driver>(d: &D) {
    let s = seed_products(d);
    let page = d
        .read::<Value>(
            PRODUCTS,
            Query::new()
                .fields(["id"])
                .filter(s.run_filter())
                .limit(2)
                .include_count(),
        )
        .unwrap();
    assert_eq!(page.items().len(), 2);
    assert_eq!(page.meta().filter_count, Some(SEED.len() as u64));
    let total = page.meta().total_count.expect("total_count");
    // other tests write concurrently: the total is at least our rows
    assert!(total >= SEED.len() as u64, "total_count {total}");

    let page = d
        .read::<Value>(
            PRODUCTS,
            Query::new()
                .fields(["id"])
                .filter(s.run_filter() & F::eq("category", "food"))
                .meta(MetaCount::Filter),
        )
        .unwrap();
    assert_eq!(page.meta().filter_count, Some(3));
    assert_eq!(page.meta().total_count, None);
    // without meta: none
    let page = d
        .read::<Value>(PRODUCTS, Query::new().fields(["id"]).filter(s.run_filter()))
        .unwrap();
    assert_eq!(page.meta().filter_count, None);
    assert_eq!(page.meta().total_count, None);
}

/// A filter with 2,000 names goes out as SEARCH and answers the same rows as the short form.
pub fn long_query_goes_out_as_search<D: Driver>(d: &D) {
    let s = seed_products(d);
    let mut names: Vec<String> = (0..2000)
        .map(|i| format!("drs-no-such-name-{i:05}"))
        .collect();
    names.insert(700, "Apple Pie".into());
    names.push("Cherry Cola".into());
    let long = Query::new()
        .fields(["id"])
        .filter(s.run_filter() & F::in_("name", names))
        .sort("id", Order::Asc);
    // the request the drivers send for this query (they run this very operation)
    let base = BaseUrl::parse(&server().url).unwrap();
    let op = Items::<Value>::new(PRODUCTS)
        .with_query(long.clone())
        .read(&base)
        .unwrap();
    assert_eq!(op.request().method().as_str(), "SEARCH");
    let short = Query::new()
        .fields(["id"])
        .filter(s.run_filter() & F::in_("name", ["Apple Pie", "Cherry Cola"]))
        .sort("id", Order::Asc);
    let op = Items::<Value>::new(PRODUCTS)
        .with_query(short.clone())
        .read(&base)
        .unwrap();
    assert_eq!(op.request().method().as_str(), "GET");

    let long_rows = d.read::<Value>(PRODUCTS, long).unwrap();
    let short_rows = d.read::<Value>(PRODUCTS, short).unwrap();
    let expected: Vec<i64> = {
        let mut v = vec![s.ids[0], s.ids[3]];
        v.sort_unstable();
        v
    };
    assert_eq!(ids(long_rows.items()), expected);
    assert_eq!(long_rows.items(), short_rows.items());
}

// ---------------------------------------------------------------------------------------------
// Aggregation

fn aggregate_rows<D: Driver>(d: &D, s: &Seeded<'_, D>, q: Query) -> Vec<AggregateRow> {
    d.read::<AggregateRow>(PRODUCTS, q.filter(s.run_filter()))
        .unwrap()
        .into_items()
}

struct Stats {
    count_rows: i64,
    count_price: i64,
    count_distinct_price: i64,
    sum: f64,
    sum_distinct: f64,
    avg: f64,
    avg_distinct: f64,
    min: f64,
    max: f64,
    min_stock: i64,
    max_stock: i64,
}

fn stats<'a>(rows: impl IntoIterator<Item = &'a SeedRow>) -> Stats {
    let rows: Vec<&SeedRow> = rows.into_iter().collect();
    let prices: Vec<f64> = rows.iter().filter_map(|r| r.price).collect();
    let mut distinct: Vec<f64> = Vec::new();
    for p in &prices {
        if !distinct.iter().any(|q| close(*q, *p)) {
            distinct.push(*p);
        }
    }
    let sum: f64 = prices.iter().sum();
    let sum_distinct: f64 = distinct.iter().sum();
    Stats {
        count_rows: rows.len() as i64,
        count_price: prices.len() as i64,
        count_distinct_price: distinct.len() as i64,
        sum,
        sum_distinct,
        avg: sum / prices.len() as f64,
        avg_distinct: sum_distinct / distinct.len() as f64,
        min: prices.iter().copied().fold(f64::INFINITY, f64::min),
        max: prices.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        min_stock: rows.iter().map(|r| r.stock).min().unwrap(),
        max_stock: rows.iter().map(|r| r.stock).max().unwrap(),
    }
}

#[track_caller]
fn assert_stats(row: &AggregateRow, st: &Stats, what: &str) {
    assert_eq!(
        row.get_i64(AggFunc::Count, "id"),
        Some(st.count_rows),
        "{what} count(id) in {row:?}"
    );
    assert_eq!(
        row.get_i64(AggFunc::Count, "price"),
        Some(st.count_price),
        "{what} count(price)"
    );
    assert_eq!(
        row.get_i64(AggFunc::CountDistinct, "price"),
        Some(st.count_distinct_price),
        "{what} countDistinct(price)"
    );
    assert_close(
        row.get_f64(AggFunc::Sum, "price"),
        st.sum,
        &format!("{what} sum"),
    );
    assert_close(
        row.get_f64(AggFunc::SumDistinct, "price"),
        st.sum_distinct,
        &format!("{what} sumDistinct"),
    );
    assert_close(
        row.get_f64(AggFunc::Avg, "price"),
        st.avg,
        &format!("{what} avg"),
    );
    assert_close(
        row.get_f64(AggFunc::AvgDistinct, "price"),
        st.avg_distinct,
        &format!("{what} avgDistinct"),
    );
    assert_close(
        row.get_f64(AggFunc::Min, "price"),
        st.min,
        &format!("{what} min"),
    );
    assert_close(
        row.get_f64(AggFunc::Max, "price"),
        st.max,
        &format!("{what} max"),
    );
    assert_eq!(
        row.get_i64(AggFunc::Min, "stock"),
        Some(st.min_stock),
        "{what} min(stock)"
    );
    assert_eq!(
        row.get_i64(AggFunc::Max, "stock"),
        Some(st.max_stock),
        "{what} max(stock)"
    );
}

fn all_aggs(q: Query) -> Query {
    // `count` of `id` (not `*`): next to another counted field the server drops `*`, see
    // `aggregate_several_at_once`.
    q.aggregate(Agg::count("id"))
        .aggregate(Agg::count("price"))
        .aggregate(Agg::count_distinct("price"))
        .aggregate(Agg::sum("price"))
        .aggregate(Agg::sum_distinct("price"))
        .aggregate(Agg::avg("price"))
        .aggregate(Agg::avg_distinct("price"))
        .aggregate(Agg::min("price").and_field("stock"))
        .aggregate(Agg::max("price").and_field("stock"))
}

/// Each aggregate function alone: one row with only that function's key.
pub fn aggregate_each_function_alone<D: Driver>(d: &D) {
    let s = seed_products(d);
    let st = stats(&SEED);
    let one = |agg: Agg| -> AggregateRow {
        let rows = aggregate_rows(d, &s, Query::new().aggregate(agg.clone()));
        assert_eq!(rows.len(), 1, "{agg:?}: {rows:?}");
        let row = rows.into_iter().next().unwrap();
        assert_eq!(
            row.as_map().keys().collect::<Vec<_>>(),
            vec![agg.function().as_str()],
            "{agg:?}: {row:?}"
        );
        row
    };
    assert_eq!(
        one(Agg::count("*")).get_i64(AggFunc::Count, "*"),
        Some(st.count_rows)
    );
    assert_eq!(
        one(Agg::count("price")).get_i64(AggFunc::Count, "price"),
        Some(st.count_price)
    );
    assert_eq!(
        one(Agg::count_distinct("price")).get_i64(AggFunc::CountDistinct, "price"),
        Some(st.count_distinct_price)
    );
    assert_close(
        one(Agg::sum("price")).get_f64(AggFunc::Sum, "price"),
        st.sum,
        "sum",
    );
    assert_close(
        one(Agg::sum_distinct("price")).get_f64(AggFunc::SumDistinct, "price"),
        st.sum_distinct,
        "sumDistinct",
    );
    assert_close(
        one(Agg::avg("price")).get_f64(AggFunc::Avg, "price"),
        st.avg,
        "avg",
    );
    assert_close(
        one(Agg::avg_distinct("price")).get_f64(AggFunc::AvgDistinct, "price"),
        st.avg_distinct,
        "avgDistinct",
    );
    assert_close(
        one(Agg::min("price")).get_f64(AggFunc::Min, "price"),
        st.min,
        "min",
    );
    assert_close(
        one(Agg::max("price")).get_f64(AggFunc::Max, "price"),
        st.max,
        "max",
    );
    // min/max of a date come back as the date string
    assert_eq!(
        one(Agg::min("released_at")).get(AggFunc::Min, "released_at"),
        Some(&json!("2020-01-01T00:00:00"))
    );
    assert_eq!(
        one(Agg::max("released_at")).get(AggFunc::Max, "released_at"),
        Some(&json!("2024-02-29T09:15:00"))
    );
}

/// Every function at once, without grouping.
pub fn aggregate_several_at_once<D: Driver>(d: &D) {
    let s = seed_products(d);
    let rows = aggregate_rows(d, &s, all_aggs(Query::new()));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_stats(&rows[0], &stats(&SEED), "all rows");

    // A server fact (12.4): `count` over `*` and a field together answers only the field,
    // `{"count":{"price":6}}`; the `*` count is dropped (alone it is a bare number).
    let rows = aggregate_rows(
        d,
        &s,
        Query::new()
            .aggregate(Agg::count("*"))
            .aggregate(Agg::count("price")),
    );
    assert_eq!(rows.len(), 1);
    let count = rows[0].as_map().get("count").and_then(Value::as_object);
    assert_eq!(
        count.map(|c| c.keys().map(String::as_str).collect::<Vec<_>>()),
        Some(vec!["price"]),
        "{rows:?}"
    );
    assert_eq!(
        rows[0].get_i64(AggFunc::Count, "price"),
        Some(stats(&SEED).count_price),
        "{rows:?}"
    );
    assert_eq!(rows[0].get_i64(AggFunc::Count, "*"), None);
}

/// Every function at once, grouped by category, sorted by the group key.
pub fn aggregate_group_by_category<D: Driver>(d: &D) {
    let s = seed_products(d);
    let rows = aggregate_rows(
        d,
        &s,
        all_aggs(Query::new())
            .group_by(["category"])
            .sort("category", Order::Asc),
    );
    let categories = ["drink", "food", "misc"];
    assert_eq!(
        rows.iter()
            .map(|r| r.group("category").cloned())
            .collect::<Vec<_>>(),
        categories
            .iter()
            .map(|c| Some(json!(c)))
            .collect::<Vec<_>>()
    );
    for (row, category) in rows.iter().zip(categories) {
        assert_stats(
            row,
            &stats(SEED.iter().filter(|r| r.category == category)),
            category,
        );
    }
}

/// Grouping by a date function: `year(released_at)` answers the key `released_at_year`.
pub fn aggregate_group_by_year<D: Driver>(d: &D) {
    let s = seed_products(d);
    let rows = aggregate_rows(
        d,
        &s,
        Query::new()
            .aggregate(Agg::count("*"))
            .aggregate(Agg::sum("stock"))
            .group_by(["year(released_at)"]),
    );
    let mut expected: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for r in &SEED {
        let year: i64 = r.released_at[..4].parse().unwrap();
        let e = expected.entry(year).or_default();
        e.0 += 1;
        e.1 += r.stock;
    }
    let got: BTreeMap<i64, (i64, i64)> = rows
        .iter()
        .map(|row| {
            let year = row
                .group_i64("released_at_year")
                .unwrap_or_else(|| panic!("no released_at_year in {row:?}"));
            (
                year,
                (
                    row.get_i64(AggFunc::Count, "*").unwrap(),
                    row.get_i64(AggFunc::Sum, "stock").unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(rows.len(), expected.len());

    // two keys: category and year
    let rows = aggregate_rows(
        d,
        &s,
        Query::new()
            .aggregate(Agg::count("*"))
            .group_by(["category", "year(released_at)"]),
    );
    let mut expected: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for r in &SEED {
        *expected
            .entry((r.category.to_owned(), r.released_at[..4].parse().unwrap()))
            .or_default() += 1;
    }
    let got: BTreeMap<(String, i64), i64> = rows
        .iter()
        .map(|row| {
            (
                (
                    row.group("category").unwrap().as_str().unwrap().to_owned(),
                    row.group_i64("released_at_year").unwrap(),
                ),
                row.get_i64(AggFunc::Count, "*").unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
}

/// What `countAll` does on REST (12.4): nothing. The server accepts the parameter and answers a
/// row without a `countAll` key (`{"data":[{}]}`); next to other functions it is dropped, and
/// grouped rows carry only their group keys. It is a GraphQL-only function.
pub fn aggregate_count_all_on_rest<D: Driver>(d: &D) {
    let s = seed_products(d);
    let rows = aggregate_rows(d, &s, Query::new().aggregate(Agg::count_all()));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].get_i64(AggFunc::CountAll, "*"), None);
    assert!(rows[0].as_map().is_empty(), "{rows:?}");

    let rows = aggregate_rows(
        d,
        &s,
        Query::new()
            .aggregate(Agg::count_all())
            .aggregate(Agg::count("*")),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get_i64(AggFunc::CountAll, "*"), None);
    assert_eq!(
        rows[0].get_i64(AggFunc::Count, "*"),
        Some(SEED.len() as i64)
    );

    let rows = aggregate_rows(
        d,
        &s,
        Query::new()
            .aggregate(Agg::count_all())
            .group_by(["category"])
            .sort("category", Order::Asc),
    );
    assert_eq!(
        rows.iter().map(|r| r.as_map().clone()).collect::<Vec<_>>(),
        ["drink", "food", "misc"]
            .iter()
            .map(|c| json!({"category": c}).as_object().unwrap().clone())
            .collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// Writes

/// Create, update and delete: one, many, by query, on integer keys.
pub fn crud_integer_keys<D: Driver>(d: &D) {
    let run = unique("crud");
    let _cleanup = Cleanup::new(d, PRODUCTS, &run);
    let read_run = || -> Vec<Value> {
        d.read::<Value>(
            PRODUCTS,
            Query::new()
                .fields(["id", "name", "stock"])
                .filter_eq("run", run.clone())
                .sort("id", Order::Asc),
        )
        .unwrap()
        .into_items()
    };

    let one: Value = d
        .create(PRODUCTS, &json!({"name": "one", "stock": 1, "run": run}))
        .unwrap()
        .unwrap();
    let id1 = id_of(&one);
    assert_eq!(one["name"], "one");
    let many: Vec<Value> = d
        .create_many(
            PRODUCTS,
            &[
                json!({"name": "two", "stock": 2, "run": run}),
                json!({"name": "three", "stock": 3, "run": run}),
                json!({"name": "four", "stock": 4, "run": run}),
            ],
        )
        .unwrap()
        .unwrap();
    let (id2, id3, id4) = (id_of(&many[0]), id_of(&many[1]), id_of(&many[2]));
    assert_eq!(
        many.iter().map(|r| r["name"].clone()).collect::<Vec<_>>(),
        [json!("two"), json!("three"), json!("four")]
    );
    let read: Value = d.read_one(PRODUCTS, Key::from(id1), Query::new()).unwrap();
    assert_eq!(
        (read["name"].clone(), read["stock"].clone()),
        (json!("one"), json!(1))
    );
    // read_one with fields
    let read: Value = d
        .read_one(PRODUCTS, Key::from(id2), Query::new().fields(["name"]))
        .unwrap();
    assert_eq!(read, json!({"name": "two"}));

    // update one
    let updated: Value = d
        .update(PRODUCTS, Key::from(id1), &json!({"stock": 10}))
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated["id"].as_i64(), updated["stock"].clone()),
        (Some(id1), json!(10))
    );
    // update many
    let updated: Vec<Value> = d
        .update_many(
            PRODUCTS,
            vec![Key::from(id2), Key::from(id3)],
            &json!({"stock": 20}),
        )
        .unwrap()
        .unwrap();
    assert_eq!(id_set(&updated), BTreeSet::from([id2, id3]));
    assert!(updated.iter().all(|r| r["stock"] == 20));
    // update by query
    let updated: Vec<Value> = d
        .update_by_query(
            PRODUCTS,
            F::eq("run", run.clone()) & F::gte("stock", 10),
            &json!({"name": "big"}),
        )
        .unwrap()
        .unwrap();
    assert_eq!(id_set(&updated), BTreeSet::from([id1, id2, id3]));
    assert_eq!(
        read_run(),
        vec![
            json!({"id": id1, "name": "big", "stock": 10}),
            json!({"id": id2, "name": "big", "stock": 20}),
            json!({"id": id3, "name": "big", "stock": 20}),
            json!({"id": id4, "name": "four", "stock": 4}),
        ]
    );

    // delete one: the row is gone (a missing item is 403 FORBIDDEN)
    d.delete(PRODUCTS, Key::from(id1)).unwrap();
    assert_api(
        d.read_one::<Value>(PRODUCTS, Key::from(id1), Query::new()),
        403,
        ErrorCode::Forbidden,
    );
    // delete many
    d.delete_many(PRODUCTS, vec![Key::from(id2), Key::from(id3)])
        .unwrap();
    assert_eq!(ids(&read_run()), vec![id4]);
    // delete by query
    d.delete_by_query(PRODUCTS, F::eq("run", run.clone()) & F::eq("name", "four"))
        .unwrap();
    assert!(read_run().is_empty());
}

/// The same on UUID keys (drs_notes).
pub fn crud_uuid_keys<D: Driver>(d: &D) {
    let run = unique("uuid");
    let _cleanup = Cleanup::new(d, NOTES, &run);
    let key = |row: &Value| -> String {
        let k = row["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no uuid in {row}"))
            .to_owned();
        assert_eq!(k.len(), 36, "{k}");
        k
    };
    let read_run = || -> Vec<Value> {
        d.read::<Value>(
            NOTES,
            Query::new()
                .fields(["id", "title", "body"])
                .filter_eq("run", run.clone())
                .sort("title", Order::Asc),
        )
        .unwrap()
        .into_items()
    };
    let a: Value = d
        .create(NOTES, &json!({"title": "a", "body": "first", "run": run}))
        .unwrap()
        .unwrap();
    let ka = key(&a);
    let rest: Vec<Value> = d
        .create_many(
            NOTES,
            &[
                json!({"title": "b", "body": "second", "run": run}),
                json!({"title": "c", "body": "third", "run": run}),
            ],
        )
        .unwrap()
        .unwrap();
    // the answer does not keep the order given (seen with UUID keys): find the rows by title
    let by_title = |title: &str| key(rest.iter().find(|r| r["title"] == title).unwrap());
    let (kb, kc) = (by_title("b"), by_title("c"));
    let read: Value = d
        .read_one(
            NOTES,
            Key::from(ka.as_str()),
            Query::new().fields(["id", "title"]),
        )
        .unwrap();
    assert_eq!(read, json!({"id": ka, "title": "a"}));

    let up: Value = d
        .update(NOTES, Key::from(&ka), &json!({"body": "changed"}))
        .unwrap()
        .unwrap();
    assert_eq!(up["body"], "changed");
    let up: Vec<Value> = d
        .update_many(
            NOTES,
            vec![Key::from(&kb), Key::from(&kc)],
            &json!({"body": "many"}),
        )
        .unwrap()
        .unwrap();
    assert_eq!(up.len(), 2);
    let up: Vec<Value> = d
        .update_by_query(
            NOTES,
            F::eq("run", run.clone()) & F::eq("title", "c"),
            &json!({"body": "by query"}),
        )
        .unwrap()
        .unwrap();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["id"], json!(kc));
    assert_eq!(
        read_run(),
        vec![
            json!({"id": ka, "title": "a", "body": "changed"}),
            json!({"id": kb, "title": "b", "body": "many"}),
            json!({"id": kc, "title": "c", "body": "by query"}),
        ]
    );
    d.delete(NOTES, Key::from(&ka)).unwrap();
    assert_api(
        d.read_one::<Value>(NOTES, Key::from(&ka), Query::new()),
        403,
        ErrorCode::Forbidden,
    );
    d.delete_many(NOTES, vec![Key::from(&kb)]).unwrap();
    assert_eq!(read_run().len(), 1);
    d.delete_by_query(NOTES, F::eq("run", run.clone())).unwrap();
    assert!(read_run().is_empty());
}

/// A lock shared by the test processes on this machine (a file created with `create_new`),
/// for the few scenarios that write a shared row. A lock left by a killed process is taken over
/// after two minutes.
#[derive(Debug)]
pub struct FileLock(std::path::PathBuf);

impl FileLock {
    /// Waits for the lock called `name`.
    pub fn acquire(name: &str) -> FileLock {
        let path = std::env::temp_dir().join(format!("{name}.lock"));
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return FileLock(path),
                Err(_) => {
                    let stale = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > std::time::Duration::from_secs(120));
                    if stale {
                        let _ = std::fs::remove_file(&path);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The singleton: read, update, read back, restore.
pub fn singleton_round_trip<D: Driver>(d: &D) {
    // The singleton is one row for everybody: one writer at a time across test processes.
    let _lock = FileLock::acquire("drs-singleton");
    let before = d.singleton_read(SETTINGS).unwrap();
    assert!(before.is_object(), "{before}");
    assert!(before.get("site_name").is_some(), "{before}");
    let motto = unique("motto");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let written = d
            .singleton_update(SETTINGS, &json!({"motto": motto}))
            .unwrap()
            .expect("admin reads back");
        assert_eq!(written["motto"], json!(motto));
        assert_eq!(written["site_name"], before["site_name"]);
        let after = d.singleton_read(SETTINGS).unwrap();
        assert_eq!(after["motto"], json!(motto));
    }));
    d.singleton_update(SETTINGS, &json!({"motto": before["motto"]}))
        .unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    let restored = d.singleton_read(SETTINGS).unwrap();
    assert_eq!(restored["motto"], before["motto"]);
}

/// A typed model of drs_products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// The key (absent when creating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Option<String>,
    /// Price: decimal(10,2), a number on SQLite and a string on PostgreSQL.
    #[serde(default, with = "directus_proto::lenient::opt_f64")]
    pub price: Option<f64>,
    /// Stock.
    pub stock: Option<i64>,
    /// Active.
    pub active: Option<bool>,
    /// Release date-time.
    pub released_at: Option<String>,
    /// JSON tags.
    pub tags: Option<Vec<String>>,
    /// JSON attributes.
    pub attrs: Option<Value>,
    /// The run.
    pub run: String,
    /// The supplier key (or an object when fields go through it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<Value>,
}

impl Item for Product {
    const COLLECTION: &'static str = PRODUCTS;
}

/// Typed models: create, read (one and many) and update parse into `Product`.
pub fn typed_models<D: Driver>(d: &D) {
    let run = unique("typed");
    let _cleanup = Cleanup::new(d, PRODUCTS, &run);
    let new = Product {
        id: None,
        name: "Typed Widget".into(),
        category: Some("tools".into()),
        price: Some(12.5),
        stock: Some(42),
        active: Some(true),
        released_at: Some("2024-05-01T12:30:00".into()),
        tags: Some(vec!["a".into(), "b".into()]),
        attrs: Some(json!({"color": "red", "sizes": [1, 2]})),
        run: run.clone(),
        supplier: None,
    };
    let created = d.create_of(&new).unwrap().expect("admin reads back");
    let id = created.id.expect("an id");
    assert_eq!(
        Product {
            id: None,
            supplier: None,
            ..created.clone()
        },
        new
    );
    assert_eq!(created.supplier, None); // null, read as None

    let read: Product = d.read_one_of(Key::from(id)).unwrap();
    assert_eq!(read, created);

    let page = d
        .read_of::<Product>(Query::new().filter_eq("run", run.clone()))
        .unwrap();
    assert_eq!(page.items(), std::slice::from_ref(&created));

    let updated = d
        .update_of::<Product>(Key::from(id), &json!({"stock": 41, "tags": ["c"]}))
        .unwrap()
        .unwrap();
    assert_eq!(
        updated,
        Product {
            stock: Some(41),
            tags: Some(vec!["c".into()]),
            ..created.clone()
        }
    );
    // a typed value through the generic create too
    let second: Product = d
        .create(
            PRODUCTS,
            &Product {
                name: "Second".into(),
                ..new.clone()
            },
        )
        .unwrap()
        .unwrap();
    assert_eq!(second.name, "Second");
    assert_ne!(second.id, Some(id));
}

/// `collection_as::<T>` with a projection type.
pub fn collection_as_projection<D: Driver>(d: &D) {
    #[derive(Debug, PartialEq, Deserialize)]
    struct NameStock {
        name: Option<String>,
        stock: i64,
    }
    let s = seed_products(d);
    let page = d
        .read::<NameStock>(
            PRODUCTS,
            Query::new()
                .fields(["name", "stock"])
                .filter(s.run_filter())
                .sort("stock", Order::Desc),
        )
        .unwrap();
    let mut expected: Vec<(i64, Option<String>)> = SEED
        .iter()
        .map(|r| (r.stock, r.name.map(str::to_owned)))
        .collect();
    expected.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
    assert_eq!(
        page.into_items(),
        expected
            .into_iter()
            .map(|(stock, name)| NameStock { name, stock })
            .collect::<Vec<_>>()
    );
    // a type that does not fit the rows is a decoding error, not a panic
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        stock: String,
    }
    let err = d
        .read::<Wrong>(
            PRODUCTS,
            Query::new().fields(["stock"]).filter(s.run_filter()),
        )
        .unwrap_err();
    assert!(err.api().is_none(), "{err:?}");
}

/// The reader may create in drs_inbox but not read it: the server answers 204 and the client
/// `Ok(None)`; the row is there (the admin sees it).
pub fn write_without_read_back<D: Driver>(d: &D) {
    let reader = reader::<D>();
    let run = unique("inbox");
    let _cleanup = Cleanup::new(d, INBOX, &run);
    let created: Option<Value> = reader
        .create(INBOX, &json!({"message": "hello", "run": run}))
        .unwrap();
    assert_eq!(created, None);
    let many: Option<Vec<Value>> = reader
        .create_many(
            INBOX,
            &[
                json!({"message": "m1", "run": run}),
                json!({"message": "m2", "run": run}),
            ],
        )
        .unwrap();
    assert_eq!(many, None);
    // the reader cannot read them
    assert_api(
        reader.read::<Value>(INBOX, Query::new().filter_eq("run", run.clone())),
        403,
        ErrorCode::Forbidden,
    );
    let page = d
        .read::<Value>(
            INBOX,
            Query::new()
                .fields(["message"])
                .filter_eq("run", run.clone())
                .sort("message", Order::Asc),
        )
        .unwrap();
    assert_eq!(
        page.items(),
        [
            json!({"message": "hello"}),
            json!({"message": "m1"}),
            json!({"message": "m2"})
        ]
    );
}

/// update_many / delete_many with no keys: `Error::InvalidInput`, nothing sent (the client
/// points at a closed port, so a request would be a transport error).
pub fn empty_keys_are_refused_client_side<D: Driver>(d: &D) {
    let none: Vec<Key> = Vec::new();
    assert_invalid_input(d.update_many::<Value>(PRODUCTS, none.clone(), &json!({"stock": 0})));
    assert_invalid_input(d.delete_many(PRODUCTS, none.clone()));
    let offline = D::anonymous("http://127.0.0.1:9").unwrap();
    assert_invalid_input(offline.update_many::<Value>(
        PRODUCTS,
        none.clone(),
        &json!({"stock": 0}),
    ));
    assert_invalid_input(offline.delete_many(PRODUCTS, none));
    // the offline client does send otherwise (proof the check above is client-side)
    match offline.delete_many(PRODUCTS, vec![Key::from(1)]) {
        Err(Error::Transport(_)) => {}
        other => panic!("expected a transport error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// A wrong password: 401 INVALID_CREDENTIALS.
pub fn error_wrong_password<D: Driver>(_d: &D) {
    let server = server();
    assert_api(
        D::login(
            &server.url,
            &server.admin_email,
            "certainly-not-the-password",
        )
        .map(|_| ()),
        401,
        ErrorCode::InvalidCredentials,
    );
    assert_api(
        D::login(&server.url, "nobody-drs@example.com", "x").map(|_| ()),
        401,
        ErrorCode::InvalidCredentials,
    );
}

/// The reader reading drs_secrets: 403 FORBIDDEN; the admin reads it.
pub fn error_reader_forbidden_collection<D: Driver>(d: &D) {
    let reader = reader::<D>();
    assert_api(
        reader.read::<Value>(SECRETS, Query::new()),
        403,
        ErrorCode::Forbidden,
    );
    assert_api(
        reader.read_one::<Value>(SECRETS, Key::from(1), Query::new()),
        403,
        ErrorCode::Forbidden,
    );
    assert_api(
        reader.create::<Value, _>(SECRETS, &json!({"secret": "x"})),
        403,
        ErrorCode::Forbidden,
    );
    // the reader may read products but not write them
    assert_api(
        reader.create::<Value, _>(PRODUCTS, &json!({"name": "x"})),
        403,
        ErrorCode::Forbidden,
    );
    let page = d.read::<Value>(SECRETS, Query::new().limit(1)).unwrap();
    assert_eq!(page.items().len(), 1);
}

/// A missing item and a missing collection: 403 FORBIDDEN (not 404).
pub fn error_missing_item<D: Driver>(d: &D) {
    assert_api(
        d.read_one::<Value>(PRODUCTS, Key::from(2_000_000_000), Query::new()),
        403,
        ErrorCode::Forbidden,
    );
    assert_api(
        d.read_one::<Value>(
            NOTES,
            Key::from("00000000-0000-4000-8000-00000000dead"),
            Query::new(),
        ),
        403,
        ErrorCode::Forbidden,
    );
    assert_api(
        d.read::<Value>("drs_no_such_collection", Query::new()),
        403,
        ErrorCode::Forbidden,
    );
    let reader = reader::<D>();
    assert_api(
        reader.read_one::<Value>(PRODUCTS, Key::from(2_000_000_000), Query::new()),
        403,
        ErrorCode::Forbidden,
    );
}

/// A filter on a field that does not exist: 403 FORBIDDEN on 12.4 (the server does not tell
/// "no such field" from "no permission"), for the admin and the reader; likewise in `fields`.
pub fn error_invalid_filter_field<D: Driver>(d: &D) {
    assert_api(
        d.read::<Value>(PRODUCTS, Query::new().filter(F::eq("no_such_field", 1))),
        403,
        ErrorCode::Forbidden,
    );
    assert_api(
        d.read::<Value>(
            PRODUCTS,
            Query::new().filter(F::eq("supplier.no_such_field", 1)),
        ),
        403,
        ErrorCode::Forbidden,
    );
    assert_api(
        d.read::<Value>(PRODUCTS, Query::new().fields(["no_such_field"])),
        403,
        ErrorCode::Forbidden,
    );
    let reader = reader::<D>();
    assert_api(
        reader.read::<Value>(PRODUCTS, Query::new().filter(F::eq("no_such_field", 1))),
        403,
        ErrorCode::Forbidden,
    );
    // an unknown operator is INVALID_QUERY
    assert_api(
        d.read::<Value>(
            PRODUCTS,
            Query::new().filter(F::raw(json!({"stock": {"_nope": 1}}))),
        ),
        400,
        ErrorCode::InvalidQuery,
    );
}

// ---------------------------------------------------------------------------------------------
// Path injection

fn assert_row_intact<D: Driver>(d: &D, id: i64, run: &str) {
    let row: Value = d
        .read_one(
            PRODUCTS,
            Key::from(id),
            Query::new().fields(["id", "name", "stock", "run"]),
        )
        .unwrap_or_else(|e| panic!("row {id} is gone: {e}"));
    assert_eq!(
        row,
        json!({"id": id, "name": "victim", "stock": 1, "run": run})
    );
}

#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T>, what: &str) {
    match result {
        Err(Error::Api(api)) => assert!(
            api.status().as_u16() == 403 && api.code() == &ErrorCode::Forbidden,
            "{what}: expected 403 FORBIDDEN, got {api:?}"
        ),
        other => panic!("{what}: expected an API error, got {other:?}"),
    }
}

/// Keys with `/`, `..`, `?`, `#`, `%` reach the server encoded as one segment: they change no
/// route, so they never read, update or delete the real row.
pub fn path_injection_keys<D: Driver>(d: &D) {
    let run = unique("inject");
    let _cleanup = Cleanup::new(d, PRODUCTS, &run);
    let victim: Value = d
        .create(PRODUCTS, &json!({"name": "victim", "stock": 1, "run": run}))
        .unwrap()
        .unwrap();
    let id = id_of(&victim);
    let keys = [
        format!("{id}/../{id}"),
        format!("x/../{id}"),
        format!("{id}/"),
        format!("{id}?x=1"),
        format!("{id}?fields=*"),
        format!("{id}#"),
        format!("{id}#frag"),
        format!("{id}%"),
        format!("{id}%2F"),
        format!("{id}%3F"),
        format!("../{id}"),
        format!("./{id}"),
        format!("{id}/."),
        "#".to_owned(),
        "%".to_owned(),
        "a/../b".to_owned(),
        "x?y=1".to_owned(),
        "...".to_owned(),
    ];
    for key in &keys {
        assert_refused(
            d.read_one::<Value>(PRODUCTS, Key::from(key.as_str()), Query::new()),
            &format!("read_one({key:?})"),
        );
        // writes on a key that does not exist: 403 FORBIDDEN (as a missing item), never the row
        assert_api(
            d.update::<Value>(
                PRODUCTS,
                Key::from(key.as_str()),
                &json!({"name": "hacked"}),
            ),
            403,
            ErrorCode::Forbidden,
        );
        assert_api(
            d.delete(PRODUCTS, Key::from(key.as_str())),
            403,
            ErrorCode::Forbidden,
        );
        assert_row_intact(d, id, &run);
    }
    // the same keys in a delete_many body are plain values: refused as a whole
    assert_api(
        d.delete_many(
            PRODUCTS,
            keys.iter().map(|k| Key::from(k.as_str())).collect(),
        ),
        403,
        ErrorCode::Forbidden,
    );
    assert_row_intact(d, id, &run);
}

/// Collection names with `/`, `?`, `#`, `%` are one encoded segment: no other route is reached.
pub fn path_injection_collections<D: Driver>(d: &D) {
    let run = unique("injectc");
    let _cleanup = Cleanup::new(d, PRODUCTS, &run);
    let victim: Value = d
        .create(PRODUCTS, &json!({"name": "victim", "stock": 1, "run": run}))
        .unwrap()
        .unwrap();
    let id = id_of(&victim);
    let names = [
        format!("{PRODUCTS}/{id}"),
        format!("{PRODUCTS}?limit=1"),
        format!("{PRODUCTS}#"),
        format!("{PRODUCTS}%2F{id}"),
        format!("{PRODUCTS}%"),
        format!("../items/{PRODUCTS}"),
        format!("x/../{PRODUCTS}"),
        format!("{SECRETS}/../{PRODUCTS}"),
    ];
    for name in &names {
        assert_api(
            d.read::<Value>(name, Query::new()),
            403,
            ErrorCode::Forbidden,
        );
        assert_refused(
            d.read_one::<Value>(name, Key::from(id), Query::new()),
            &format!("read_one in {name:?}"),
        );
        assert_api(d.delete(name, Key::from(id)), 403, ErrorCode::Forbidden);
        assert_api(
            d.delete_by_query(name, F::eq("run", run.clone())),
            403,
            ErrorCode::Forbidden,
        );
        assert_api(
            d.update_by_query::<Value>(name, F::eq("run", run.clone()), &json!({"name": "x"})),
            403,
            ErrorCode::Forbidden,
        );
        assert_row_intact(d, id, &run);
    }
}

/// `.` and `..` as a key or a collection name are refused before anything is sent.
pub fn dot_keys_are_refused_client_side<D: Driver>(d: &D) {
    for key in [".", ".."] {
        assert_invalid_input(d.read_one::<Value>(PRODUCTS, Key::from(key), Query::new()));
        assert_invalid_input(d.update::<Value>(PRODUCTS, Key::from(key), &json!({"name": "x"})));
        assert_invalid_input(d.delete(PRODUCTS, Key::from(key)));
        assert_invalid_input(d.read::<Value>(key, Query::new()));
        assert_invalid_input(d.delete_by_query(key, F::eq("id", 1)));
    }
    assert_invalid_input(d.read_one::<Value>(PRODUCTS, Key::from(""), Query::new()));
    assert_invalid_input(d.read::<Value>("", Query::new()));
}

// ---------------------------------------------------------------------------------------------
// Pagination

/// 2,000 rows (created 500 at a time) iterated 100 per page, sorted by id: each row once, in
/// order.
pub fn pagination_2000_rows<D: Driver>(d: &D) {
    let run = unique("pages");
    let _cleanup = Cleanup::new(d, PRODUCTS, &run);
    let mut created = Vec::new();
    for batch in 0..4 {
        let rows: Vec<Value> = (0..500)
            .map(|i| json!({"name": format!("p{}", batch * 500 + i), "stock": batch * 500 + i, "run": run}))
            .collect();
        let out: Vec<Value> = d.create_many(PRODUCTS, &rows).unwrap().unwrap();
        assert_eq!(out.len(), 500);
        created.extend(ids(&out));
    }
    created.sort_unstable();
    let all: Vec<Value> = d
        .iter_all(
            PRODUCTS,
            Query::new()
                .fields(["id", "stock"])
                .filter_eq("run", run.clone())
                .sort("id", Order::Asc)
                .limit(100),
        )
        .unwrap();
    assert_eq!(all.len(), 2000);
    assert_eq!(ids(&all), created);
    // a page size that does not divide the total, and an offset to start from
    let tail: Vec<Value> = d
        .iter_all(
            PRODUCTS,
            Query::new()
                .fields(["id"])
                .filter_eq("run", run.clone())
                .sort("id", Order::Asc)
                .limit(300)
                .offset(1500),
        )
        .unwrap();
    assert_eq!(ids(&tail), created[1500..]);
    d.delete_by_query(PRODUCTS, F::eq("run", run.clone()))
        .unwrap();
    let left = d
        .read::<Value>(
            PRODUCTS,
            Query::new()
                .filter_eq("run", run.clone())
                .meta(MetaCount::Filter),
        )
        .unwrap();
    assert_eq!(left.meta().filter_count, Some(0));
}

/// `iter()` / `stream()` start at the query's `page`: `.limit(2).page(2).iter()` starts at the
/// third row, as `.limit(2).page(2).read()` does.
pub fn pagination_starts_at_page<D: Driver>(d: &D) {
    let s = seed_products(d);
    let mut sorted = s.ids.clone();
    sorted.sort_unstable();
    let q = || {
        Query::new()
            .fields(["id"])
            .filter(s.run_filter())
            .sort("id", Order::Asc)
            .limit(2)
            .page(2)
    };
    let first_page = d.read::<Value>(PRODUCTS, q()).unwrap();
    assert_eq!(ids(first_page.items()), sorted[2..4]);
    let all: Vec<Value> = d.iter_all(PRODUCTS, q()).unwrap();
    assert_eq!(ids(&all), sorted[2..]);
}
