//! Invitations, registration and two-factor authentication; see [`directus_proto::users`].

use directus_proto::users::{self, TfaSecret};
use directus_proto::{Key, Secret};

use crate::Directus;

impl Directus {
    /// Invites a user by email (admins); the server mails a link with an invite token.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.invite_user("new@example.com", "role-id", None)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn invite_user(
        &self,
        email: &str,
        role: &str,
        invite_url: Option<&str>,
    ) -> crate::Result<()> {
        self.run(users::invite(self.base_url(), email, role, invite_url)?)
    }

    /// Accepts an invitation with the mailed token, setting a password.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let anonymous = Directus::builder("http://127.0.0.1:8055").anonymous()?;
    /// anonymous.accept_invite(&"token-from-mail".into(), &"new-password".into())?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn accept_invite(&self, token: &Secret, password: &Secret) -> crate::Result<()> {
        self.run(users::accept_invite(self.base_url(), token, password)?)
    }

    /// Registers a new user (when the project allows public registration).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let anonymous = Directus::builder("http://127.0.0.1:8055").anonymous()?;
    /// anonymous.register("me@example.com", &"pw".into(), None)?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn register(
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
    }

    /// Verifies a registration with the mailed token.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let anonymous = Directus::builder("http://127.0.0.1:8055").anonymous()?;
    /// anonymous.verify_email(&"token-from-mail".into())?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn verify_email(&self, token: &Secret) -> crate::Result<()> {
        self.run(users::verify_email(self.base_url(), token)?)
    }

    /// Generates a TOTP secret for the current user (their password, if they log in with one).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::login("http://127.0.0.1:8055", "a@example.com", "pw")?;
    /// let tfa = directus.tfa_generate(Some(&"pw".into()))?;
    /// println!("scan {}", tfa.otpauth_url.expose());
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn tfa_generate(&self, password: Option<&Secret>) -> crate::Result<TfaSecret> {
        self.run(users::tfa_generate(self.base_url(), password)?)
    }

    /// Turns on TOTP for the current user with the generated secret and a current code.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::login("http://127.0.0.1:8055", "a@example.com", "pw")?;
    /// # let tfa = directus.tfa_generate(Some(&"pw".into()))?;
    /// directus.tfa_enable(&tfa.secret, "123456")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn tfa_enable(&self, secret: &Secret, otp: &str) -> crate::Result<()> {
        self.run(users::tfa_enable(self.base_url(), secret, otp)?)
    }

    /// Turns off TOTP for the current user, with a current code.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::login("http://127.0.0.1:8055", "a@example.com", "pw")?;
    /// directus.tfa_disable("123456")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn tfa_disable(&self, otp: &str) -> crate::Result<()> {
        self.run(users::tfa_disable(self.base_url(), otp)?)
    }

    /// Turns off TOTP for another user (admins).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.tfa_disable_for("user-id")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn tfa_disable_for(&self, user: impl Into<Key>) -> crate::Result<()> {
        self.run(users::tfa_disable_for(self.base_url(), user)?)
    }
}
