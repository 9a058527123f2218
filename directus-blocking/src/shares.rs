//! Shares and webhook flows; see [`directus_proto::shares`] and [`directus_proto::flows`].

use directus_proto::auth::Tokens;
use directus_proto::models::Share;
use directus_proto::{Key, Secret, flows, shares, system};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Directus;

impl Directus {
    /// Shares one item: a link for people without an account, who read it with `role`'s
    /// permissions intersected with yours (with a password, if given).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let share = directus.create_share("articles", 7, "editor-role-id", "For the press", None)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create_share(
        &self,
        collection: &str,
        item: impl Into<Key>,
        role: &str,
        name: &str,
        password: Option<&Secret>,
    ) -> crate::Result<Option<Share>> {
        self.run(shares::create(
            self.base_url(),
            collection,
            item,
            role,
            name,
            password,
        )?)
    }

    /// A share's public information (sent without a token when the client has none).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::builder("http://127.0.0.1:8055").anonymous()?;
    /// let info = directus.share_info("share-id")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn share_info(&self, id: impl Into<Key>) -> crate::Result<Share> {
        self.run(system::share_info(self.base_url(), id)?)
    }

    /// Logs in with a share: the tokens of a session that reads the shared item only. Build a
    /// client from them with [`Builder::resume`](crate::Builder::resume).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let anonymous = Directus::builder("http://127.0.0.1:8055").anonymous()?;
    /// let tokens = anonymous.share_login("share-id", None)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn share_login(
        &self,
        share: impl Into<Key>,
        password: Option<&Secret>,
    ) -> crate::Result<Tokens> {
        self.run(shares::login(self.base_url(), share, password)?)
    }

    /// Mails a share's link (the server needs a working email transport).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.share_invite("share-id", &["press@example.com"])?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn share_invite(&self, share: impl Into<Key>, emails: &[&str]) -> crate::Result<()> {
        self.run(shares::invite(self.base_url(), share, emails)?)
    }

    /// Triggers a webhook flow (`POST` with `body`, or `GET`) and reads what it returns.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let answer: serde_json::Value = directus.trigger_flow("flow-id", Some(&serde_json::json!({"n": 1})))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn trigger_flow<T: DeserializeOwned>(
        &self,
        flow: impl Into<Key>,
        body: Option<&Value>,
    ) -> crate::Result<T> {
        self.run(flows::trigger(self.base_url(), flow, body)?)
    }
}
