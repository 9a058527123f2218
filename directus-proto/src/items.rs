//! Requests on the items of a collection: reads with every query parameter, writes of one,
//! many or by query, singletons, and lazy pagination.

use std::marker::PhantomData;

use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::filter::Filter;
use crate::operation::Operation;
use crate::response::{self, Page};
use crate::{
    BaseUrl, CallOptions, CollectionRef, Error, ExportFormat, Item, Key, Query, RetryPolicy,
};
use std::time::Duration;

/// URLs longer than this are sent as `SEARCH` with the query in the body (the official app does
/// the same past about 8 KB; Node refuses headers past 16 KB).
pub const MAX_URL_LEN: usize = 8 * 1024;

/// A collection with a query: builds the requests on its items, parsed into `T`
/// (`serde_json::Value` unless a typed model is given).
///
/// ```
/// use directus_proto::{BaseUrl, F, Items, Order, Query};
///
/// let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
/// let products = Items::<serde_json::Value>::new("products")
///     .with_query(Query::new().filter(F::eq("category", "fruit")).sort("price", Order::Desc));
/// let op = products.read(&base).unwrap();
/// assert_eq!(
///     op.request().uri(),
///     "http://127.0.0.1:8055/items/products?filter=%7B%22category%22%3A%7B%22_eq%22%3A%22fruit%22%7D%7D&sort=-price"
/// );
/// ```
#[derive(Debug)]
pub struct Items<T = Value> {
    collection: String,
    /// The collection checked once (`None` when its name is refused: [`Items::collection`]
    /// says why), so that pages and repeated reads do not check it again.
    checked: Option<CollectionRef>,
    query: Query,
    options: CallOptions,
    model: PhantomData<fn() -> T>,
}

/// The read parameters, chained: the same methods as [`Query`]'s.
impl<T> Items<T> {
    crate::query_methods!(query);
}

/// Per-call overrides, carried by every operation built from here on (see
/// [`call_options`](crate::call_options)).
impl<T> Items<T> {
    /// The calls' own [`RetryPolicy`], instead of the session's.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items, RetryPolicy};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let items = Items::<serde_json::Value>::new("a").retry(RetryPolicy::none());
    /// assert_eq!(items.read(&base).unwrap().retry_policy(), Some(&RetryPolicy::none()));
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options = self.options.retry(policy);
        self
    }

    /// Each call's overall timeout, retries and waits included.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// # use std::time::Duration;
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let items = Items::<serde_json::Value>::new("a").timeout(Duration::from_secs(2));
    /// let create = items.create(&base, &serde_json::json!({})).unwrap();
    /// assert_eq!(create.timeout_duration(), Some(Duration::from_secs(2)));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }

    /// The per-call overrides.
    ///
    /// ```
    /// # use directus_proto::{CallOptions, Items};
    /// assert_eq!(Items::<serde_json::Value>::new("a").options(), &CallOptions::new());
    /// ```
    pub fn options(&self) -> &CallOptions {
        &self.options
    }
}

impl<T> Clone for Items<T> {
    fn clone(&self) -> Self {
        Items {
            collection: self.collection.clone(),
            checked: self.checked.clone(),
            query: self.query.clone(),
            options: self.options.clone(),
            model: PhantomData,
        }
    }
}

fn ensure_keys(keys: &[Key]) -> Result<(), Error> {
    if keys.is_empty() {
        // An empty key list is almost always a bug upstream; never let it reach the server.
        return Err(Error::invalid("no keys given"));
    }
    Ok(())
}

fn with_query(mut path: String, query: &str) -> String {
    if !query.is_empty() {
        path.reserve(1 + query.len());
        path.push('?');
        path.push_str(query);
    }
    path
}

impl<T: DeserializeOwned> Items<T> {
    /// The items of the collection `name`, with an empty query. The name is checked when a
    /// request is built ([`CollectionRef::new`]).
    ///
    /// ```
    /// # use directus_proto::Items;
    /// let users = Items::<serde_json::Value>::new("directus_users");
    /// assert_eq!(users.collection().unwrap().route(), "/users");
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        let collection = name.into();
        Items {
            checked: CollectionRef::new(collection.clone()).ok(),
            collection,
            query: Query::new(),
            options: CallOptions::new(),
            model: PhantomData,
        }
    }

    /// The items of `T`'s collection.
    ///
    /// ```
    /// # use directus_proto::{Item, Items};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Post { title: String }
    /// impl Item for Post { const COLLECTION: &'static str = "posts"; }
    /// assert_eq!(Items::<Post>::of().collection().unwrap().name(), "posts");
    /// ```
    pub fn of() -> Self
    where
        T: Item,
    {
        Self::new(T::COLLECTION)
    }

    /// The collection's name as given.
    pub(crate) fn name(&self) -> &str {
        &self.collection
    }

    /// The collection and its route, or the error its name gives.
    ///
    /// ```
    /// # use directus_proto::Items;
    /// assert_eq!(Items::<serde_json::Value>::new("a").collection().unwrap().name(), "a");
    /// assert!(Items::<serde_json::Value>::new("..").collection().is_err());
    /// ```
    pub fn collection(&self) -> Result<CollectionRef, Error> {
        self.checked().cloned()
    }

    /// The checked collection, or the error its name gives.
    fn checked(&self) -> Result<&CollectionRef, Error> {
        self.checked.as_ref().ok_or_else(|| {
            // The check is deterministic: it fails again, with its own error.
            CollectionRef::new(self.collection.clone())
                .err()
                .unwrap_or_else(|| Error::invalid("the collection name was refused"))
        })
    }

    /// The collection's route, or the error its name gives.
    fn route(&self) -> Result<&str, Error> {
        self.checked().map(CollectionRef::route)
    }

    /// The query.
    ///
    /// ```
    /// # use directus_proto::{Items, Query};
    /// assert_eq!(Items::<serde_json::Value>::new("a").query(), &Query::new());
    /// ```
    pub fn query(&self) -> &Query {
        &self.query
    }

    fn op<U>(
        &self,
        base: &BaseUrl,
        method: Method,
        path: String,
        query: &str,
        body: Option<&Value>,
        parse: crate::operation::Parser<U>,
    ) -> Result<Operation<U>, Error> {
        let path = with_query(path, query);
        let op = match body {
            Some(body) => Operation::json(base, method, &path, body, parse)?,
            None => Operation::build_bare(base, method, &path, parse)?,
        };
        Ok(self
            .options
            .apply(op.for_collection(self.collection.clone())))
    }

    /// The filter of a write by query: `filter` ANDed with the query's own filters, so that a
    /// handle narrowed with `.filter(a)` never writes beyond `a`.
    fn write_filter(&self, filter: impl Into<Filter>) -> Result<Value, Error> {
        let all = self.query.clone().filter(filter).filter_value()?;
        Ok(all.unwrap_or_else(|| json!({})))
    }

    /// A create or update: the query string carries only `fields`, which shapes the written
    /// rows answered.
    fn write<U>(
        &self,
        base: &BaseUrl,
        method: Method,
        path: String,
        body: &Value,
        parse: crate::operation::Parser<U>,
    ) -> Result<Operation<U>, Error> {
        let query = self.query.fields_only().to_query_string()?;
        self.op(base, method, path, &query, Some(body), parse)
    }

    /// A create or update whose body is already JSON (the caller's value serialized once,
    /// straight to bytes: no `Value` in between).
    fn write_json<U>(
        &self,
        base: &BaseUrl,
        method: Method,
        path: String,
        body: Vec<u8>,
        parse: crate::operation::Parser<U>,
    ) -> Result<Operation<U>, Error> {
        let query = self.query.fields_only().to_query_string()?;
        let path = with_query(path, &query);
        let json = http::HeaderValue::from_static("application/json");
        let op = Operation::with_body(base, method, &path, body, json, parse)?;
        Ok(self
            .options
            .apply(op.for_collection(self.collection.clone())))
    }

    fn read_with<U>(
        &self,
        base: &BaseUrl,
        path: String,
        parse: crate::operation::Parser<U>,
    ) -> Result<Operation<U>, Error> {
        let query = self.query.to_query_string()?;
        if base.as_str().len() + path.len() + 1 + query.len() <= MAX_URL_LEN {
            return self.op(base, Method::GET, path, &query, None, parse);
        }
        let search = Method::from_bytes(b"SEARCH").map_err(|e| Error::invalid(e.to_string()))?;
        self.op(base, search, path, "", Some(&self.query.to_json()?), parse)
    }

    /// Reads the items matching the query, with `meta` when counts were asked for. Past
    /// [`MAX_URL_LEN`] the read is a `SEARCH` with the query in the body.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, F, Items, Query};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let names: Vec<String> = (0..2000).map(|i| format!("name-{i}")).collect();
    /// let items = Items::<serde_json::Value>::new("a")
    ///     .with_query(Query::new().filter(F::in_("name", names)));
    /// let op = items.read(&base).unwrap();
    /// assert_eq!(op.request().method(), "SEARCH");
    /// assert_eq!(op.request().uri(), "http://localhost/items/a");
    /// ```
    pub fn read(&self, base: &BaseUrl) -> Result<Operation<Page<T>>, Error> {
        self.read_with(base, self.route()?.to_owned(), response::page::<T>)
    }

    /// The request of a streamed read: the same request as [`read`](Self::read), whose answer
    /// the driver reads as it arrives through a [`stream::ItemDecoder`](crate::stream::ItemDecoder)
    /// instead of whole. The operation's own parser only checks the status (its body is left
    /// to the decoder), and it is never served from or put in the response cache.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items, Query};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let items = Items::<serde_json::Value>::new("a").with_query(Query::new().no_limit());
    /// let op = items.read_stream(&base).unwrap();
    /// assert_eq!(op.request().uri(), "http://localhost/items/a?limit=-1");
    /// assert_eq!(op.request().headers()["accept"], "application/json");
    /// assert!(op.collection().is_none());
    /// ```
    pub fn read_stream(&self, base: &BaseUrl) -> Result<Operation<()>, Error> {
        let read = self.read(base)?;
        let op = Operation::new(read.request().clone(), response::empty);
        Ok(self.options.apply(op))
    }

    /// A read whose answer is kept as its bytes, to decode into types that borrow from it
    /// ([`RawPage::parse_borrowed`](crate::RawPage::parse_borrowed)).
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a").read_raw(&base).unwrap();
    /// let raw = op.parse(http::Response::new(Bytes::from_static(br#"{"data":[{"n":"x"}]}"#))).unwrap();
    /// assert_eq!(raw.parse_borrowed::<std::collections::HashMap<&str, &str>>().unwrap().items()[0]["n"], "x");
    /// ```
    pub fn read_raw(&self, base: &BaseUrl) -> Result<Operation<crate::RawPage>, Error> {
        self.read_with(base, self.route()?.to_owned(), crate::borrowed::raw_page)
    }

    /// Exports the items matching the query as a file in `format` (CSV, JSON, XML, YAML), as
    /// text: the same query, answered as the export instead of the JSON envelope.
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{BaseUrl, ExportFormat, Items, Query};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let items = Items::<serde_json::Value>::new("a").with_query(Query::new().fields(["id"]));
    /// let op = items.export(&base, ExportFormat::Csv).unwrap();
    /// assert_eq!(op.request().uri(), "http://localhost/items/a?fields=id&export=csv");
    /// assert_eq!(op.parse(http::Response::new(Bytes::from_static(b"id\n1"))).unwrap(), "id\n1");
    /// ```
    pub fn export(&self, base: &BaseUrl, format: ExportFormat) -> Result<Operation<String>, Error> {
        let items = self.clone().with_query(self.query.clone().export(format));
        items.read_with(base, self.route()?.to_owned(), response::text)
    }

    /// Reads one item by key, with the query's `fields` (and other parameters).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items, Query};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let items = Items::<serde_json::Value>::new("a").with_query(Query::new().fields(["id"]));
    /// assert_eq!(items.read_one(&base, "x?y=1").unwrap().request().uri(), "http://localhost/items/a/x%3Fy%3D1?fields=id");
    /// ```
    pub fn read_one(&self, base: &BaseUrl, key: impl Into<Key>) -> Result<Operation<T>, Error> {
        let path = self.checked()?.item_route(&key.into())?;
        self.read_with(base, path, response::data::<T>)
    }

    /// Reads a singleton collection (an object, not a list).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("settings_page").read_singleton(&base).unwrap();
    /// assert_eq!(op.request().uri(), "http://localhost/items/settings_page");
    /// ```
    pub fn read_singleton(&self, base: &BaseUrl) -> Result<Operation<T>, Error> {
        self.read_with(base, self.route()?.to_owned(), response::data::<T>)
    }

    /// Updates (upserts) a singleton collection.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("settings_page")
    ///     .update_singleton(&base, &serde_json::json!({"title": "Hi"})).unwrap();
    /// assert_eq!(op.request().method(), "PATCH");
    /// assert_eq!(op.request().body(), br#"{"title":"Hi"}"#);
    /// ```
    pub fn update_singleton<B: Serialize + ?Sized>(
        &self,
        base: &BaseUrl,
        patch: &B,
    ) -> Result<Operation<Option<T>>, Error> {
        let body = crate::json::to_bytes(patch)?;
        self.write_json(
            base,
            Method::PATCH,
            self.route()?.to_owned(),
            body,
            response::written::<T>,
        )
    }

    /// Creates one item; answers it (or `None` when the user may not read it: 204).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a").create(&base, &serde_json::json!({"name": "x"})).unwrap();
    /// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("POST", "/items/a"));
    /// assert_eq!(op.request().body(), br#"{"name":"x"}"#);
    /// ```
    pub fn create<B: Serialize + ?Sized>(
        &self,
        base: &BaseUrl,
        item: &B,
    ) -> Result<Operation<Option<T>>, Error> {
        let body = crate::json::to_bytes(item)?;
        // Compact JSON: an object is the only value that starts with `{`.
        if body.first() != Some(&b'{') {
            return Err(Error::invalid(
                "an item to create must serialize to an object",
            ));
        }
        let path = self.route()?.to_owned();
        self.write_json(base, Method::POST, path, body, response::written::<T>)
    }

    /// Creates several items in one request.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let rows = [serde_json::json!({"n": 1}), serde_json::json!({"n": 2})];
    /// let op = Items::<serde_json::Value>::new("a").create_many(&base, &rows).unwrap();
    /// assert_eq!(op.request().body(), br#"[{"n":1},{"n":2}]"#);
    /// ```
    pub fn create_many<B: Serialize>(
        &self,
        base: &BaseUrl,
        items: &[B],
    ) -> Result<Operation<Option<Vec<T>>>, Error> {
        let body = crate::json::to_bytes(items)?;
        let path = self.route()?.to_owned();
        self.write_json(base, Method::POST, path, body, response::written::<Vec<T>>)
    }

    /// Updates one item by key with a partial object.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a").update(&base, 7, &serde_json::json!({"n": 1})).unwrap();
    /// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("PATCH", "/items/a/7"));
    /// ```
    pub fn update<B: Serialize + ?Sized>(
        &self,
        base: &BaseUrl,
        key: impl Into<Key>,
        patch: &B,
    ) -> Result<Operation<Option<T>>, Error> {
        let body = crate::json::to_bytes(patch)?;
        let path = self.checked()?.item_route(&key.into())?;
        self.write_json(base, Method::PATCH, path, body, response::written::<T>)
    }

    /// Applies one partial object to several items by key.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items, Key};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a")
    ///     .update_many(&base, [7, 8], &serde_json::json!({"n": 1})).unwrap();
    /// assert_eq!(op.request().body(), br#"{"data":{"n":1},"keys":[7,8]}"#);
    /// ```
    pub fn update_many<K, B>(
        &self,
        base: &BaseUrl,
        keys: impl IntoIterator<Item = K>,
        patch: &B,
    ) -> Result<Operation<Option<Vec<T>>>, Error>
    where
        K: Into<Key>,
        B: Serialize + ?Sized,
    {
        let keys: Vec<Key> = keys.into_iter().map(Into::into).collect();
        ensure_keys(&keys)?;
        let body = json!({"keys": keys, "data": to_value(patch)?});
        let path = self.route()?.to_owned();
        self.write(
            base,
            Method::PATCH,
            path,
            &body,
            response::written::<Vec<T>>,
        )
    }

    /// Updates several items, each with its own patch, in one request and one transaction
    /// (`PATCH /items/{collection}` with a list): every object carries its primary key.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let rows = [serde_json::json!({"id": 7, "n": 1}), serde_json::json!({"id": 8, "n": 2})];
    /// let op = Items::<serde_json::Value>::new("a").update_batch(&base, &rows).unwrap();
    /// assert_eq!(op.request().method(), "PATCH");
    /// assert_eq!(op.request().body(), br#"[{"id":7,"n":1},{"id":8,"n":2}]"#);
    /// ```
    pub fn update_batch<B: Serialize>(
        &self,
        base: &BaseUrl,
        items: &[B],
    ) -> Result<Operation<Option<Vec<T>>>, Error> {
        // Written once, each item checked as it is written (not through a `Value`).
        let Some(body) = crate::json::objects_to_bytes(items)? else {
            return Err(Error::invalid(
                "a batch update needs at least one item, each an object with its key",
            ));
        };
        let path = self.route()?.to_owned();
        self.write_json(base, Method::PATCH, path, body, response::written::<Vec<T>>)
    }

    /// Applies one partial object to every item matching `filter` (all of them, not a page).
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, F, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a")
    ///     .update_by_query(&base, F::eq("n", 1), &serde_json::json!({"n": 2})).unwrap();
    /// assert_eq!(op.request().body(), br#"{"data":{"n":2},"query":{"filter":{"n":{"_eq":1}},"limit":-1}}"#);
    /// ```
    pub fn update_by_query<B: Serialize + ?Sized>(
        &self,
        base: &BaseUrl,
        filter: impl Into<Filter>,
        patch: &B,
    ) -> Result<Operation<Option<Vec<T>>>, Error> {
        let body = json!({
            "query": {"filter": self.write_filter(filter)?, "limit": -1},
            "data": to_value(patch)?,
        });
        let path = self.route()?.to_owned();
        self.write(
            base,
            Method::PATCH,
            path,
            &body,
            response::written::<Vec<T>>,
        )
    }

    /// Deletes one item by key.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a").delete(&base, "k#1").unwrap();
    /// assert_eq!(op.request().uri(), "http://localhost/items/a/k%231");
    /// ```
    pub fn delete(&self, base: &BaseUrl, key: impl Into<Key>) -> Result<Operation<()>, Error> {
        let path = self.checked()?.item_route(&key.into())?;
        self.op(base, Method::DELETE, path, "", None, response::empty)
    }

    /// Deletes several items by key.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a").delete_many(&base, ["u1", "u2"]).unwrap();
    /// assert_eq!(op.request().body(), br#"{"keys":["u1","u2"]}"#);
    /// ```
    pub fn delete_many<K: Into<Key>>(
        &self,
        base: &BaseUrl,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Operation<()>, Error> {
        let keys: Vec<Key> = keys.into_iter().map(Into::into).collect();
        ensure_keys(&keys)?;
        let body = json!({ "keys": keys });
        let path = self.route()?.to_owned();
        self.op(base, Method::DELETE, path, "", Some(&body), response::empty)
    }

    /// Deletes every item matching `filter`.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, F, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<serde_json::Value>::new("a").delete_by_query(&base, F::eq("n", 1)).unwrap();
    /// assert_eq!(op.request().body(), br#"{"query":{"filter":{"n":{"_eq":1}},"limit":-1}}"#);
    /// ```
    pub fn delete_by_query(
        &self,
        base: &BaseUrl,
        filter: impl Into<Filter>,
    ) -> Result<Operation<()>, Error> {
        let body = json!({"query": {"filter": self.write_filter(filter)?, "limit": -1}});
        let path = self.route()?.to_owned();
        self.op(base, Method::DELETE, path, "", Some(&body), response::empty)
    }

    /// Pages through the items matching the query, `limit` rows at a time (100 when the query
    /// sets none), starting at its `page` (or else its `offset`). Sort on a unique field for a
    /// stable order.
    ///
    /// An offset that does not fit in a `u64` (a huge `page`, or an offset near `u64::MAX` that
    /// grows past it) is never wrapped: [`Pager::next_read`] answers [`Error::InvalidInput`].
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items, Query};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let items = Items::<serde_json::Value>::new("a").with_query(Query::new().limit(2));
    /// let mut pager = items.pages();
    /// assert_eq!(pager.next_read(&base).unwrap().unwrap().request().uri().query(), Some("limit=2&offset=0"));
    /// pager.received(2);
    /// assert_eq!(pager.next_read(&base).unwrap().unwrap().request().uri().query(), Some("limit=2&offset=2"));
    /// pager.received(1);
    /// assert!(pager.next_read(&base).is_none());
    /// ```
    pub fn pages(&self) -> Pager<T> {
        let page_size = match self.query.limit_value() {
            Some(n) if n > 0 => n as u64,
            _ => 100,
        };
        // `page` counts from 1 in pages of `limit` and, as in Directus, wins over `offset`.
        let offset = match self.query.page_value() {
            Some(page) => page.saturating_sub(1).checked_mul(page_size),
            None => Some(self.query.offset_value().unwrap_or(0)),
        };
        // The pager's own handle asks for pages of `page_size` from `offset`; `received` moves
        // the offset on, so a page's read is built without copying the query.
        let mut query = self
            .query
            .clone()
            .limit(u32::try_from(page_size).unwrap_or(u32::MAX))
            .without_page();
        if let Some(offset) = offset {
            query = query.offset(offset);
        }
        Pager {
            items: self.clone().with_query(query),
            page_size,
            offset,
            done: false,
        }
    }
}

fn to_value<B: Serialize + ?Sized>(body: &B) -> Result<Value, Error> {
    crate::json::to_value(body)
}

/// Lazy pagination state: the next page to read, until a short page ends it.
#[derive(Debug)]
pub struct Pager<T = Value> {
    items: Items<T>,
    page_size: u64,
    /// The next offset; `None` once it no longer fits in a `u64`.
    offset: Option<u64>,
    done: bool,
}

impl<T: DeserializeOwned> Pager<T> {
    /// The read of the next page, or `None` when the last page was short.
    ///
    /// # Errors
    ///
    /// The request's own errors, and [`Error::InvalidInput`] when the offset of the next page
    /// does not fit in a `u64`.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Error, Items, Query};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let mut pager = Items::<serde_json::Value>::new("a").pages();
    /// assert!(pager.next_read(&base).is_some());
    ///
    /// let huge = Items::<serde_json::Value>::new("a").with_query(Query::new().page(1 << 60));
    /// assert!(matches!(huge.pages().next_read(&base), Some(Err(Error::InvalidInput(_)))));
    /// ```
    pub fn next_read(&self, base: &BaseUrl) -> Option<Result<Operation<Page<T>>, Error>> {
        if self.done {
            return None;
        }
        let Some(offset) = self.offset else {
            return Some(Err(Error::invalid(
                "the offset of the next page does not fit in a u64",
            )));
        };
        debug_assert_eq!(self.items.query.offset_value(), Some(offset));
        Some(self.items.read(base))
    }

    /// Records that the last page held `count` items.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, Items};
    /// let base = BaseUrl::parse("http://localhost").unwrap();
    /// let mut pager = Items::<serde_json::Value>::new("a").pages();
    /// pager.received(3);
    /// assert!(pager.next_read(&base).is_none());
    /// ```
    pub fn received(&mut self, count: usize) {
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        self.offset = self.offset.and_then(|offset| offset.checked_add(count));
        if let Some(offset) = self.offset {
            self.items.query = std::mem::take(&mut self.items.query).offset(offset);
        }
        if count < self.page_size {
            self.done = true;
        }
    }
}
