//! Invitations, registration and two-factor authentication; see [`directus_proto::users`].

use directus_proto::users::{self, TfaSecret};
use directus_proto::{Key, Secret};

use crate::Directus;

impl Directus {
    /// Invites a user by email (admins); the server mails a link with an invite token.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.invite_user("new@example.com", "role-id", None).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn invite_user(
        &self,
        email: &str,
        role: &str,
        invite_url: Option<&str>,
    ) -> crate::Result<()> {
        self.run(users::invite(self.base_url(), email, role, invite_url)?)
            .await
    }

    /// Accepts an invitation with the mailed token, setting a password.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(anonymous: Directus) -> directus_async::Result<()> {
    /// anonymous.accept_invite(&"token-from-mail".into(), &"new-password".into()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn accept_invite(&self, token: &Secret, password: &Secret) -> crate::Result<()> {
        self.run(users::accept_invite(self.base_url(), token, password)?)
            .await
    }

    /// Registers a new user (when the project allows public registration).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(anonymous: Directus) -> directus_async::Result<()> {
    /// anonymous.register("me@example.com", &"pw".into(), None).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn register(
        &self,
        email: &str,
        password: &Secret,
        verification_url: Option<&str>,
    ) -> crate::Result<()> {
        self.run(users::register(
            self.base_url(),
            email,
            password,
            verification_url,
        )?)
        .await
    }

    /// Verifies a registration with the mailed token.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(anonymous: Directus) -> directus_async::Result<()> {
    /// anonymous.verify_email(&"token-from-mail".into()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify_email(&self, token: &Secret) -> crate::Result<()> {
        self.run(users::verify_email(self.base_url(), token)?).await
    }

    /// Generates a TOTP secret for the current user (their password, if they log in with one).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let tfa = directus.tfa_generate(Some(&"pw".into())).await?;
    /// println!("scan {}", tfa.otpauth_url.expose());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn tfa_generate(&self, password: Option<&Secret>) -> crate::Result<TfaSecret> {
        self.run(users::tfa_generate(self.base_url(), password)?)
            .await
    }

    /// Turns on TOTP for the current user with the generated secret and a current code.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// # let tfa = directus.tfa_generate(Some(&"pw".into())).await?;
    /// directus.tfa_enable(&tfa.secret, "123456").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn tfa_enable(&self, secret: &Secret, otp: &str) -> crate::Result<()> {
        self.run(users::tfa_enable(self.base_url(), secret, otp)?)
            .await
    }

    /// Turns off TOTP for the current user, with a current code.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.tfa_disable("123456").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn tfa_disable(&self, otp: &str) -> crate::Result<()> {
        self.run(users::tfa_disable(self.base_url(), otp)?).await
    }

    /// Turns off TOTP for another user (admins).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.tfa_disable_for("user-id").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn tfa_disable_for(&self, user: impl Into<Key>) -> crate::Result<()> {
        self.run(users::tfa_disable_for(self.base_url(), user)?)
            .await
    }
}
