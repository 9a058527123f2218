//! Content versions; see [`directus_proto::versions`].

use directus_proto::models::Version;
use directus_proto::versions::{self, Comparison};
use directus_proto::{Key, system};

use serde::Serialize;
use serde_json::Value;

use crate::Directus;

impl Directus {
    /// Creates a content version of an item.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let draft = directus.create_version("articles", 7, "draft", "Spring draft")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create_version(
        &self,
        collection: &str,
        item: impl Into<Key>,
        key: &str,
        name: &str,
    ) -> crate::Result<Option<Version>> {
        self.run(versions::create(
            self.base_url(),
            collection,
            item,
            key,
            name,
        )?)
    }

    /// Saves changes into a version; answers the item as the version has it.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.save_version("version-id", &serde_json::json!({"title": "New title"}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn save_version<B: Serialize + ?Sized>(
        &self,
        id: impl Into<Key>,
        delta: &B,
    ) -> crate::Result<Option<Value>> {
        self.run(system::save_version(self.base_url(), id, delta)?)
    }

    /// Compares a version with the main item.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let cmp = directus.compare_version("version-id")?;
    /// println!("outdated: {}", cmp.outdated);
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn compare_version(&self, id: impl Into<Key>) -> crate::Result<Comparison> {
        self.run(versions::compare(self.base_url(), id)?)
    }

    /// Promotes a version into the main item (`main_hash` from
    /// [`compare_version`](Self::compare_version)), optionally only some fields.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let cmp = directus.compare_version("version-id")?;
    /// directus.promote_version("version-id", &cmp.main_hash, None)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn promote_version(
        &self,
        id: impl Into<Key>,
        main_hash: &str,
        fields: Option<&[&str]>,
    ) -> crate::Result<Option<Value>> {
        self.run(system::promote_version(
            self.base_url(),
            id,
            main_hash,
            fields,
        )?)
    }
}
