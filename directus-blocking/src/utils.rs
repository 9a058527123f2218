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
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let token = directus.random_string(32)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn random_string(&self, length: u32) -> crate::Result<String> {
        self.run(utils::random_string(self.base_url(), length)?)
    }

    /// Moves `item` to `to`'s place in the collection's manual sort.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.sort("articles", 7, 2)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn sort(
        &self,
        collection: &str,
        item: impl Into<Key>,
        to: impl Into<Key>,
    ) -> crate::Result<()> {
        self.run(utils::sort(self.base_url(), collection, item, to)?)
    }

    /// Reverts an item to what a revision recorded.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.revert(42)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn revert(&self, revision: impl Into<Key>) -> crate::Result<()> {
        self.run(utils::revert(self.base_url(), revision)?)
    }

    /// Clears the server's data cache (admins); with `system`, its schema and permission
    /// caches too.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.clear_server_cache(false)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn clear_server_cache(&self, system: bool) -> crate::Result<()> {
        self.run(utils::clear_cache(self.base_url(), system)?)
    }

    /// Imports a CSV or JSON file (in memory) into a collection: every row is created, in one
    /// transaction.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, UploadFile};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.import("products", &UploadFile::new("rows.csv", "name,stock\nApple,3\n"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn import(&self, collection: &str, file: &UploadFile) -> crate::Result<()> {
        self.run(utils::import(
            self.base_url(),
            collection,
            file,
            crate::random::boundary(),
        )?)
    }

    /// Imports rows of one or more collections in one transaction; with
    /// [`ImportOptions::merge`] rows whose key exists are updated and the others created (an
    /// upsert), and a dry run only reports.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_proto::utils::{ImportBatch, ImportOptions};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let rows = vec![serde_json::json!({"sku": "A-1", "name": "Apple"})];
    /// let report = directus.import_batch(&[ImportBatch::new("catalog", rows)], ImportOptions::merge())?;
    /// println!("{} created", report.collections["catalog"].new.len());
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn import_batch(
        &self,
        batches: &[ImportBatch],
        options: ImportOptions,
    ) -> crate::Result<ImportReport> {
        self.run(utils::import_batch(self.base_url(), batches, options)?)
    }

    /// Exports a collection into a new file of the file library, in the background.
    ///
    /// ```no_run
    /// # use directus_blocking::{Directus, ExportFormat, FileMeta, Query};
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.export_to_file("products", &Query::new().no_limit(), ExportFormat::Csv, &FileMeta::new().title("All products"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn export_to_file(
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
    }
}
