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
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let share = directus.create_share("articles", 7, "editor-role-id", "For the press", None).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_share(
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
        .await
    }

    /// A share's public information (sent without a token when the client has none).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let info = directus.share_info("share-id").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn share_info(&self, id: impl Into<Key>) -> crate::Result<Share> {
        self.run(system::share_info(self.base_url(), id)?).await
    }

    /// Logs in with a share: the tokens of a session that reads the shared item only. Build a
    /// client from them with [`Builder::resume`](crate::Builder::resume).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(anonymous: Directus) -> directus_async::Result<()> {
    /// let tokens = anonymous.share_login("share-id", None).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn share_login(
        &self,
        share: impl Into<Key>,
        password: Option<&Secret>,
    ) -> crate::Result<Tokens> {
        self.run(shares::login(self.base_url(), share, password)?)
            .await
    }

    /// Mails a share's link (the server needs a working email transport).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.share_invite("share-id", &["press@example.com"]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn share_invite(&self, share: impl Into<Key>, emails: &[&str]) -> crate::Result<()> {
        self.run(shares::invite(self.base_url(), share, emails)?)
            .await
    }

    /// Triggers a webhook flow (`POST` with `body`, or `GET`) and reads what it returns.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let answer: serde_json::Value = directus.trigger_flow("flow-id", Some(&serde_json::json!({"n": 1}))).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn trigger_flow<T: DeserializeOwned>(
        &self,
        flow: impl Into<Key>,
        body: Option<&Value>,
    ) -> crate::Result<T> {
        self.run(flows::trigger(self.base_url(), flow, body)?).await
    }
}
