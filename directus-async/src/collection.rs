//! Handles on a collection's items and on a singleton, and pagination as a `Stream`.

use directus_proto::{ExportFormat, Filter, Items, Key, Page, Query, query_methods};
use futures_util::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Directus;

/// The items of one collection, with a query being built. Reads parse into `T`.
///
/// ```no_run
/// use directus_async::{Directus, F, Order};
///
/// # async fn demo(directus: Directus) -> directus_async::Result<()> {
/// let page = directus.collection("products")
///     .filter(F::eq("category", "fruit"))
///     .filter((F::eq("name", "apple") | F::eq("name", "pear")) & !F::lt("price", 1))
///     .sort("price", Order::Desc)
///     .fields(["id", "name", "supplier.name"])
///     .include_count()
///     .read()
///     .await?;
/// # Ok(())
/// # }
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
    /// # use directus_async::{Directus, Query};
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// assert_eq!(directus.collection("a").limit(2).query(), &Query::new().limit(2));
    /// ```
    pub fn query(&self) -> &Query {
        self.items.query()
    }

    /// Reads the matching items (a `SEARCH` when the query is too long for a URL).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let page = directus.collection("products").limit(10).read().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read(&self) -> crate::Result<Page<T>> {
        self.client
            .run(self.items.read(self.client.base_url())?)
            .await
    }

    /// Exports the matching items as CSV, JSON, XML or YAML text.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, ExportFormat};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let csv = directus.collection("products").fields(["id", "name"]).export(ExportFormat::Csv).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn export(&self, format: ExportFormat) -> crate::Result<String> {
        self.client
            .run(self.items.export(self.client.base_url(), format)?)
            .await
    }

    /// Reads one item by key (the query's `fields` and `deep` apply).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let product = directus.collection("products").fields(["name"]).read_one(7).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_one(&self, key: impl Into<Key>) -> crate::Result<T> {
        self.client
            .run(self.items.read_one(self.client.base_url(), key)?)
            .await
    }

    /// Every matching item as a stream, reading `limit` rows per request (100 by default)
    /// only when the previous page is used up: memory stays bounded by the page size.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, Order};
    /// use futures_util::TryStreamExt;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let mut items = std::pin::pin!(directus.collection("products").sort("id", Order::Asc).limit(500).stream());
    /// while let Some(item) = items.try_next().await? {
    ///     println!("{item}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream(&self) -> impl Stream<Item = crate::Result<T>> + 'a
    where
        T: 'a,
    {
        let client = self.client;
        // One future per page, not per item: the items of a page are handed out by a plain
        // iterator (`try_flatten`), so the call's future is built once per request.
        let pages = futures_util::stream::unfold(
            (self.items.pages(), false),
            move |(mut pager, failed)| async move {
                if failed {
                    return None;
                }
                let page = match pager.next_read(client.base_url())? {
                    Ok(op) => client.run(op).await,
                    Err(err) => Err(err),
                };
                match page {
                    Ok(page) => {
                        pager.received(page.items().len());
                        let items = page.into_items();
                        if items.is_empty() {
                            return None;
                        }
                        let items = futures_util::stream::iter(items.into_iter().map(Ok));
                        Some((Ok(items), (pager, false)))
                    }
                    // One error ends the stream: the same page would fail again.
                    Err(err) => Some((Err(err), (pager, true))),
                }
            },
        );
        futures_util::TryStreamExt::try_flatten(pages)
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
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.collection("products").create(&serde_json::json!({"name": "kiwi"})).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create<B: Serialize + ?Sized>(&self, item: &B) -> crate::Result<Option<T>> {
        self.client
            .run(self.items.create(self.client.base_url(), item)?)
            .await
    }

    /// Creates several items in one request.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let rows = vec![serde_json::json!({"name": "a"}), serde_json::json!({"name": "b"})];
    /// directus.collection("products").create_many(&rows).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_many<B: Serialize>(&self, items: &[B]) -> crate::Result<Option<Vec<T>>> {
        self.client
            .run(self.items.create_many(self.client.base_url(), items)?)
            .await
    }

    /// Updates one item by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.collection("products").update(7, &serde_json::json!({"price": 2.5})).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update<B: Serialize + ?Sized>(
        &self,
        key: impl Into<Key>,
        patch: &B,
    ) -> crate::Result<Option<T>> {
        self.client
            .run(self.items.update(self.client.base_url(), key, patch)?)
            .await
    }

    /// Applies one patch to several items by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.collection("products").update_many([7, 8], &serde_json::json!({"stock": 0})).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_many<K: Into<Key>, B: Serialize + ?Sized>(
        &self,
        keys: impl IntoIterator<Item = K>,
        patch: &B,
    ) -> crate::Result<Option<Vec<T>>> {
        self.client
            .run(
                self.items
                    .update_many(self.client.base_url(), keys, patch)?,
            )
            .await
    }

    /// Updates several items, each with its own patch (which carries its key), in one
    /// request and one transaction.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let patches = [serde_json::json!({"id": 7, "stock": 0}), serde_json::json!({"id": 8, "stock": 3})];
    /// directus.collection("products").update_batch(&patches).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_batch<B: Serialize>(&self, items: &[B]) -> crate::Result<Option<Vec<T>>> {
        self.client
            .run(self.items.update_batch(self.client.base_url(), items)?)
            .await
    }

    /// Applies one patch to every item matching `filter`.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, F};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.collection("products")
    ///     .update_by_query(F::eq("stock", 0), &serde_json::json!({"active": false}))
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_by_query<B: Serialize + ?Sized>(
        &self,
        filter: impl Into<Filter>,
        patch: &B,
    ) -> crate::Result<Option<Vec<T>>> {
        self.client
            .run(
                self.items
                    .update_by_query(self.client.base_url(), filter, patch)?,
            )
            .await
    }

    /// Deletes one item by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.collection("products").delete(7).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete(&self, key: impl Into<Key>) -> crate::Result<()> {
        self.client
            .run(self.items.delete(self.client.base_url(), key)?)
            .await
    }

    /// Deletes several items by key.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.collection("products").delete_many([7, 8]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_many<K: Into<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> crate::Result<()> {
        self.client
            .run(self.items.delete_many(self.client.base_url(), keys)?)
            .await
    }

    /// Deletes every item matching `filter`.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), or unknown (a transport failure
    /// after sending, a 5xx); [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, F};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.collection("products").delete_by_query(F::eq("category", "obsolete")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_by_query(&self, filter: impl Into<Filter>) -> crate::Result<()> {
        self.client
            .run(self.items.delete_by_query(self.client.base_url(), filter)?)
            .await
    }

    /// Drops this query's cached answer, if the cache is on.
    ///
    /// ```
    /// # use directus_async::Directus;
    /// let directus = Directus::with_token("http://127.0.0.1:8055", "t").unwrap();
    /// directus.collection("a").limit(1).forget_cached();
    /// ```
    pub fn forget_cached(&self) {
        if let Ok(op) = self.items.read(self.client.base_url()) {
            self.client.session_state().clear_cached(&op);
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
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let settings = directus.singleton("settings_page").read().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read(&self) -> crate::Result<T> {
        self.client
            .run(self.items.read_singleton(self.client.base_url())?)
            .await
    }

    /// Updates the singleton with a partial object.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.singleton("settings_page").update(&serde_json::json!({"title": "Hi"})).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update<B: Serialize + ?Sized>(&self, patch: &B) -> crate::Result<Option<T>> {
        self.client
            .run(self.items.update_singleton(self.client.base_url(), patch)?)
            .await
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
