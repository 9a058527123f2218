//! Handles on a collection's items and on a singleton, and lazy pagination.

use directus_proto::{ExportFormat, Filter, Items, Key, Page, Pager, Query, query_methods};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Directus;

/// The items of one collection, with a query being built. Reads parse into `T`.
///
/// Query methods ([`filter`](Collection::filter), [`sort`](Collection::sort),
/// [`limit`](Collection::limit), ...) chain; [`read`](Collection::read) and the writes send.
///
/// ```no_run
/// use directus_blocking::{Directus, F, Order};
///
/// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
/// let page = directus.collection("products")
///     .filter(F::eq("category", "fruit"))
///     .filter((F::eq("name", "apple") | F::eq("name", "pear")) & !F::lt("price", 1))
///     .sort("price", Order::Desc)
///     .fields(["id", "name", "supplier.name"])
///     .include_count()
///     .read()?;
/// # Ok::<(), directus_blocking::Error>(())
/// ```
#[derive(Debug)]
pub struct Collection<'a, T> {
    client: &'a Directus,
    pub(crate) items: Items<T>,
}

impl<T> Clone for Collection<'_, T> {
    fn clone(&self) -> Self {
        Collection {
            client: self.client,
            items: self.items.clone(),
        }
    }
}

impl<'a, T: DeserializeOwned> Collection<'a, T> {
    pub(crate) fn new(client: &'a Directus, items: Items<T>) -> Self {
        Collection { client, items }
    }

    query_methods!(items);

    /// The client (for the handle's methods in other modules).
    pub(crate) fn client(&self) -> &'a Directus {
        self.client
    }

    /// The collection and query (for the handle's methods in other modules).
    pub(crate) fn items(&self) -> &Items<T> {
        &self.items
    }

    /// The query built so far.
    ///
    /// ```
    /// # use directus_blocking::{Directus, Query};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// assert_eq!(directus.collection("a").limit(2).query(), &Query::new().limit(2));
    /// ```
    pub fn query(&self) -> &Query {
        self.items.query()
    }

    /// Reads the matching items (a `SEARCH` when the query is too long for a URL).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let page = directus.collection("products").limit(10).read()?;
    /// for item in page.items() { println!("{item}"); }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read(&self) -> crate::Result<Page<T>> {
        self.client.run(self.items.read(self.client.base_url())?)
    }

    /// Exports the matching items as CSV, JSON, XML or YAML text.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, ExportFormat};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let csv = directus.collection("products").fields(["id", "name"]).export(ExportFormat::Csv)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn export(&self, format: ExportFormat) -> crate::Result<String> {
        self.client
            .run(self.items.export(self.client.base_url(), format)?)
    }

    /// Reads one item by key (the query's `fields` and `deep` apply).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let product = directus.collection("products").fields(["name"]).read_one(7)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read_one(&self, key: impl Into<Key>) -> crate::Result<T> {
        self.client
            .run(self.items.read_one(self.client.base_url(), key)?)
    }

    /// Iterates over every matching item, reading `limit` rows per request (100 by default)
    /// only when the previous page is used up: memory stays bounded by the page size.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, Order};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// for item in directus.collection("products").sort("id", Order::Asc).limit(500).iter() {
    ///     let item = item?;
    /// }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn iter(&self) -> Pages<'a, T> {
        Pages {
            client: self.client,
            pager: self.items.pages(),
            buffer: Vec::new().into_iter(),
            failed: false,
        }
    }

    /// Creates one item (JSON or any serde type); answers it as `T`, or `None` when the user
    /// may not read it back.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let created = directus.collection("products").create(&serde_json::json!({"name": "kiwi"}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create<B: Serialize + ?Sized>(&self, item: &B) -> crate::Result<Option<T>> {
        self.client
            .run(self.items.create(self.client.base_url(), item)?)
    }

    /// Creates several items in one request.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let rows = vec![serde_json::json!({"name": "a"}), serde_json::json!({"name": "b"})];
    /// let created = directus.collection("products").create_many(&rows)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create_many<B: Serialize>(&self, items: &[B]) -> crate::Result<Option<Vec<T>>> {
        self.client
            .run(self.items.create_many(self.client.base_url(), items)?)
    }

    /// Updates one item by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.collection("products").update(7, &serde_json::json!({"price": 2.5}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update<B: Serialize + ?Sized>(
        &self,
        key: impl Into<Key>,
        patch: &B,
    ) -> crate::Result<Option<T>> {
        self.client
            .run(self.items.update(self.client.base_url(), key, patch)?)
    }

    /// Applies one patch to several items by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.collection("products").update_many([7, 8], &serde_json::json!({"stock": 0}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_many<K: Into<Key>, B: Serialize + ?Sized>(
        &self,
        keys: impl IntoIterator<Item = K>,
        patch: &B,
    ) -> crate::Result<Option<Vec<T>>> {
        self.client.run(
            self.items
                .update_many(self.client.base_url(), keys, patch)?,
        )
    }

    /// Updates several items, each with its own patch (which carries its key), in one
    /// request and one transaction.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let patches = [serde_json::json!({"id": 7, "stock": 0}), serde_json::json!({"id": 8, "stock": 3})];
    /// directus.collection("products").update_batch(&patches)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_batch<B: Serialize>(&self, items: &[B]) -> crate::Result<Option<Vec<T>>> {
        self.client
            .run(self.items.update_batch(self.client.base_url(), items)?)
    }

    /// Applies one patch to every item matching `filter`.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, F};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.collection("products").update_by_query(F::eq("stock", 0), &serde_json::json!({"active": false}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_by_query<B: Serialize + ?Sized>(
        &self,
        filter: impl Into<Filter>,
        patch: &B,
    ) -> crate::Result<Option<Vec<T>>> {
        self.client.run(
            self.items
                .update_by_query(self.client.base_url(), filter, patch)?,
        )
    }

    /// Deletes one item by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.collection("products").delete(7)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn delete(&self, key: impl Into<Key>) -> crate::Result<()> {
        self.client
            .run(self.items.delete(self.client.base_url(), key)?)
    }

    /// Deletes several items by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.collection("products").delete_many([7, 8])?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn delete_many<K: Into<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> crate::Result<()> {
        self.client
            .run(self.items.delete_many(self.client.base_url(), keys)?)
    }

    /// Deletes every item matching `filter`.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, F};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.collection("products").delete_by_query(F::eq("category", "obsolete"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn delete_by_query(&self, filter: impl Into<Filter>) -> crate::Result<()> {
        self.client
            .run(self.items.delete_by_query(self.client.base_url(), filter)?)
    }

    /// Drops this query's cached answer, if the cache is on.
    ///
    /// ```
    /// # use directus_blocking::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// directus.collection("a").limit(1).forget_cached();
    /// ```
    pub fn forget_cached(&self) {
        if let Ok(op) = self.items.read(self.client.base_url()) {
            self.client.session_state().clear_cached(&op);
        }
    }
}

/// Every item of a query, read a page at a time; see [`Collection::iter`].
#[derive(Debug)]
pub struct Pages<'a, T> {
    client: &'a Directus,
    pager: Pager<T>,
    /// The rest of the last page, moved out as it is used (no copy of the page).
    buffer: std::vec::IntoIter<T>,
    failed: bool,
}

impl<T: DeserializeOwned> Iterator for Pages<'_, T> {
    type Item = crate::Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(item) = self.buffer.next() {
            return Some(Ok(item));
        }
        if self.failed {
            return None;
        }
        let page = self
            .pager
            .next_read(self.client.base_url())?
            .and_then(|op| self.client.run(op));
        match page {
            Ok(page) => {
                self.pager.received(page.items().len());
                self.buffer = page.into_items().into_iter();
                self.buffer.next().map(Ok)
            }
            Err(err) => {
                // One error ends the iteration: the same page would fail again.
                self.failed = true;
                Some(Err(err))
            }
        }
    }
}

/// A singleton collection; see [`Directus::singleton`].
#[derive(Debug)]
pub struct Singleton<'a, T> {
    client: &'a Directus,
    pub(crate) items: Items<T>,
}

impl<'a, T: DeserializeOwned> Singleton<'a, T> {
    pub(crate) fn new(client: &'a Directus, items: Items<T>) -> Self {
        Singleton { client, items }
    }

    /// Reads the singleton.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let settings = directus.singleton("settings_page").read()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn read(&self) -> crate::Result<T> {
        self.client
            .run(self.items.read_singleton(self.client.base_url())?)
    }

    /// Updates the singleton with a partial object.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.singleton("settings_page").update(&serde_json::json!({"title": "Hi"}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update<B: Serialize + ?Sized>(&self, patch: &B) -> crate::Result<Option<T>> {
        self.client
            .run(self.items.update_singleton(self.client.base_url(), patch)?)
    }
}

/// Subscribing to a collection handle keeps its query and its row type:
/// `realtime.subscribe(directus.collection_of::<Post>().filter(..))`.
impl<T: DeserializeOwned> directus_proto::realtime::IntoSubscribe for Collection<'_, T> {
    type Row = T;

    fn into_subscribe(self) -> directus_proto::realtime::Subscribe {
        self.items.into()
    }
}
