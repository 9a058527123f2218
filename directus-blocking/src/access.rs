//! What the current identity may do, and the server's login options; see
//! [`directus_proto::access`].

use directus_proto::access::{self, AuthProviders, ItemPermissions, PolicyGlobals};
use directus_proto::models::Role;
use directus_proto::{Key, system};

use crate::Directus;

impl Directus {
    /// What the current identity may do with one item (`None`: a singleton).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let perms = directus.item_permissions("articles", Some(7.into()))?;
    /// if perms.update.access { /* show the edit button */ }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn item_permissions(
        &self,
        collection: &str,
        key: Option<Key>,
    ) -> crate::Result<ItemPermissions> {
        self.run(access::item_permissions(self.base_url(), collection, key)?)
    }

    /// The global flags of the current identity's policies (app access, admin, TFA required).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let admin = directus.my_policy_globals()?.admin_access;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn my_policy_globals(&self) -> crate::Result<PolicyGlobals> {
        self.run(access::my_globals(self.base_url())?)
    }

    /// The current user's roles (the role and the roles it nests in).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let roles = directus.my_roles()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn my_roles(&self) -> crate::Result<Vec<Role>> {
        self.run(system::my_roles(self.base_url())?)
    }

    /// The server's login options: SSO providers, and whether password login is off.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// for p in directus.auth_providers()?.providers { println!("{} ({})", p.name, p.driver); }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn auth_providers(&self) -> crate::Result<AuthProviders> {
        self.run(access::auth_providers(self.base_url())?)
    }
}
