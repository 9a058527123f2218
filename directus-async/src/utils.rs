//! The utility routes: imports (one collection from a file, or the multi-collection upsert),
//! export into a file, manual sort, revert, random strings, clearing the cache. Streamed
//! imports from disk are on [`Files`](crate::files::Files).

use directus_proto::utils::{self, ImportBatch, ImportOptions, ImportReport};
use directus_proto::{ExportFormat, FileMeta, Key, Query, UploadFile};

use crate::Directus;

impl Directus {
    /// A random URL-safe string of `length` (1 to 500) characters, made by the server.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let token = directus.random_string(32).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn random_string(&self, length: u32) -> crate::Result<String> {
        self.run(utils::random_string(self.base_url(), length)?)
            .await
    }

    /// Moves `item` to `to`'s place in the collection's manual sort.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.sort("articles", 7, 2).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn sort(
        &self,
        collection: &str,
        item: impl Into<Key>,
        to: impl Into<Key>,
    ) -> crate::Result<()> {
        self.run(utils::sort(self.base_url(), collection, item, to)?)
            .await
    }

    /// Reverts an item to what a revision recorded.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.revert(42).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revert(&self, revision: impl Into<Key>) -> crate::Result<()> {
        self.run(utils::revert(self.base_url(), revision)?).await
    }

    /// Clears the server's data cache (admins); with `system`, its schema and permission
    /// caches too.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.clear_server_cache(false).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn clear_server_cache(&self, system: bool) -> crate::Result<()> {
        self.run(utils::clear_cache(self.base_url(), system)?).await
    }

    /// Imports a CSV or JSON file (in memory) into a collection: every row is created, in one
    /// transaction.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, UploadFile};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.import("products", &UploadFile::new("rows.csv", "name,stock\nApple,3\n")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn import(&self, collection: &str, file: &UploadFile) -> crate::Result<()> {
        self.run(utils::import(
            self.base_url(),
            collection,
            file,
            crate::random::boundary(),
        )?)
        .await
    }

    /// Imports rows of one or more collections in one transaction; with
    /// [`ImportOptions::merge`] rows whose key exists are updated and the others created (an
    /// upsert), and a dry run only reports.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// use directus_proto::utils::{ImportBatch, ImportOptions};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let rows = vec![serde_json::json!({"sku": "A-1", "name": "Apple"})];
    /// let report = directus.import_batch(&[ImportBatch::new("catalog", rows)], ImportOptions::merge()).await?;
    /// println!("{} created", report.collections["catalog"].new.len());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn import_batch(
        &self,
        batches: &[ImportBatch],
        options: ImportOptions,
    ) -> crate::Result<ImportReport> {
        self.run(utils::import_batch(self.base_url(), batches, options)?)
            .await
    }

    /// Exports a collection into a new file of the file library, in the background.
    ///
    /// ```no_run
    /// # use directus_async::{Directus, ExportFormat, FileMeta, Query};
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.export_to_file("products", &Query::new().no_limit(), ExportFormat::Csv, &FileMeta::new().title("All products")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn export_to_file(
        &self,
        collection: &str,
        query: &Query,
        format: ExportFormat,
        file: &FileMeta,
    ) -> crate::Result<()> {
        self.run(utils::export_to_file(
            self.base_url(),
            collection,
            query,
            format,
            file,
        )?)
        .await
    }
}
