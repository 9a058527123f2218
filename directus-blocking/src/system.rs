//! The system endpoints: the current user, settings, server and translations.
//!
//! System collections are also plain collections: `directus.collection_of::<User>()` lists,
//! reads, creates, updates and deletes users on `/users` with the full query builder, and
//! likewise for [`Role`](directus_proto::models::Role), [`Policy`](directus_proto::models::Policy),
//! [`Activity`](directus_proto::models::Activity) and the rest of
//! [`directus_proto::models`]. Any other endpoint of [`directus_proto::system`] runs with
//! [`Directus::run`].

use directus_proto::models::Translation;
use directus_proto::models::{Health, ServerInfo, Settings};
use directus_proto::system::{self, MyPermissions, TranslationsByKey};
use directus_proto::{Items, Query};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Directus;

impl Directus {
    /// The current user as `T`: [`User`](directus_proto::models::User), or a type of yours
    /// that flattens it and adds the project's fields.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_proto::models::User;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let me: User = directus.me_as()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn me_as<T: DeserializeOwned>(&self) -> crate::Result<T> {
        self.run(system::me(self.base_url(), &Query::new())?)
    }

    /// Updates the current user.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.update_me(&serde_json::json!({"title": "Editor"}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_me<B: Serialize + ?Sized>(
        &self,
        patch: &B,
    ) -> crate::Result<Option<directus_proto::models::User>> {
        self.run(system::update_me(self.base_url(), patch)?)
    }

    /// What the current user may do, by collection and action.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let perms = directus.my_permissions()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn my_permissions(&self) -> crate::Result<MyPermissions> {
        self.run(system::my_permissions(self.base_url())?)
    }

    /// The project settings.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// println!("{:?}", directus.settings()?.project_name);
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn settings(&self) -> crate::Result<Settings> {
        self.run(system::settings(self.base_url(), &Query::new())?)
    }

    /// Updates the project settings.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.update_settings(&serde_json::json!({"project_name": "Shop"}))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_settings<B: Serialize + ?Sized>(
        &self,
        patch: &B,
    ) -> crate::Result<Option<Settings>> {
        self.run(system::update_settings(self.base_url(), patch)?)
    }

    /// `GET /server/info`.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// println!("{:?}", directus.server_info()?.version);
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn server_info(&self) -> crate::Result<ServerInfo> {
        self.run(system::info(self.base_url())?)
    }

    /// `GET /server/health` (admins see every check).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// println!("{:?}", directus.health()?.status);
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn health(&self) -> crate::Result<Health> {
        self.run(system::health(self.base_url())?)
    }

    /// Every translation string, grouped by key then language.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let greeting = &directus.translations_by_key()?["greeting"]["en-US"];
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn translations_by_key(&self) -> crate::Result<TranslationsByKey> {
        let rows = self.run(
            Items::<Translation>::of()
                .with_query(Query::new().no_limit())
                .read(self.base_url())?,
        )?;
        Ok(system::translations_by_key(rows.items()))
    }

    /// Creates translation strings in bulk, from the grouped form.
    ///
    /// An `Err` is one of: not applied (a 4xx answer, bad input), applied with an answer that does
    /// not decode into the requested type ([`Error::Applied`](crate::Error::Applied), which holds the
    /// answer: do not send again), or unknown (a transport failure after sending, a 5xx);
    /// [`Error::write_outcome`](crate::Error::write_outcome) tells which.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let mut grouped = std::collections::BTreeMap::new();
    /// grouped.entry("greeting".to_string()).or_insert_with(std::collections::BTreeMap::new)
    ///     .insert("en-US".to_string(), "Hello".to_string());
    /// directus.create_translations(&grouped)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create_translations(
        &self,
        grouped: &TranslationsByKey,
    ) -> crate::Result<Option<Vec<Translation>>> {
        self.run(system::create_translations(self.base_url(), grouped)?)
    }
}
