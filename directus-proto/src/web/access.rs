//! What a caller may do (roles, admin and app access) and the guards that check it.

use bytes::Bytes;
use serde::Deserialize;

use crate::filter::F;
use crate::operation::Operation;
use crate::{BaseUrl, Error, Query, response};

/// A role of the caller: its id, and its name when the caller (or the service client) may read
/// it.
///
/// ```
/// let r: directus_proto::web::RoleRef = serde_json::from_str(r#"{"id":"r1","name":"Editor"}"#).unwrap();
/// assert_eq!(r.name.as_deref(), Some("Editor"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RoleRef {
    /// The role's key.
    pub id: String,
    /// The role's name (`None` when the caller's policies do not let it read roles).
    #[serde(default)]
    pub name: Option<String>,
}

/// What the caller is allowed: its roles (its own and the ones it nests in) and the global
/// flags of its policies. Read once per token and kept briefly (see `directus_async::axum`).
///
/// ```
/// use directus_proto::web::{Access, Requirement};
/// let access = Access::from_parts(
///     r#"{"data":[{"id":"r1","name":"Editor"}]}"#.as_bytes(),
///     r#"{"data":{"app_access":true,"admin_access":false}}"#.as_bytes(),
/// ).unwrap();
/// assert!(Requirement::role("Editor").allows(&access));
/// assert!(!Requirement::Admin.allows(&access));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Access {
    /// The caller's roles.
    pub roles: Vec<RoleRef>,
    /// Whether a policy gives admin access.
    pub admin_access: bool,
    /// Whether a policy gives access to the Data Studio app.
    pub app_access: bool,
}

#[derive(Deserialize)]
struct Globals {
    #[serde(default)]
    app_access: bool,
    #[serde(default)]
    admin_access: bool,
}

impl Access {
    /// An access from its two answers: `GET /roles/me?fields=id,name` and
    /// `GET /policies/me/globals` (as JSON bodies).
    ///
    /// ```
    /// # use directus_proto::web::Access;
    /// let a = Access::from_parts(br#"{"data":[{"id":"r"}]}"#, br#"{"data":{"admin_access":true}}"#).unwrap();
    /// assert!(a.admin_access && a.roles[0].name.is_none());
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when a body has another shape.
    pub fn from_parts(roles: &[u8], globals: &[u8]) -> Result<Self, Error> {
        let roles = my_roles(&BaseUrl::parse("http://localhost")?)?
            .parse(http::Response::new(Bytes::copy_from_slice(roles)))?;
        let globals = parse_globals(http::Response::new(Bytes::copy_from_slice(globals)))?;
        Ok(Access::new(roles, globals.admin_access, globals.app_access))
    }

    /// An access from its parts.
    ///
    /// ```
    /// # use directus_proto::web::Access;
    /// let a = Access::new(Vec::new(), false, true);
    /// assert!(a.app_access);
    /// ```
    pub fn new(roles: Vec<RoleRef>, admin_access: bool, app_access: bool) -> Self {
        Access {
            roles,
            admin_access,
            app_access,
        }
    }

    /// The ids of the roles whose names are unknown (to look up with [`role_names`]).
    ///
    /// ```
    /// # use directus_proto::web::Access;
    /// let a = Access::from_parts(br#"{"data":[{"id":"r"}]}"#, br#"{"data":{}}"#).unwrap();
    /// assert_eq!(a.unnamed_roles(), vec!["r"]);
    /// ```
    pub fn unnamed_roles(&self) -> Vec<&str> {
        self.roles
            .iter()
            .filter(|r| r.name.is_none())
            .map(|r| r.id.as_str())
            .collect()
    }

    /// Fills in role names looked up elsewhere ([`role_names`]).
    ///
    /// ```
    /// # use directus_proto::web::{Access, RoleRef};
    /// let mut a = Access::from_parts(br#"{"data":[{"id":"r"}]}"#, br#"{"data":{}}"#).unwrap();
    /// let named: Vec<RoleRef> = serde_json::from_str(r#"[{"id":"r","name":"Reader"}]"#).unwrap();
    /// a.name_roles(&named);
    /// assert_eq!(a.roles[0].name.as_deref(), Some("Reader"));
    /// ```
    pub fn name_roles(&mut self, named: &[RoleRef]) {
        for role in self.roles.iter_mut().filter(|r| r.name.is_none()) {
            if let Some(found) = named.iter().find(|n| n.id == role.id) {
                role.name.clone_from(&found.name);
            }
        }
    }
}

/// The caller's roles: `GET /roles/me?fields=id,name` (names come back only when the caller may
/// read roles; ids always).
///
/// ```
/// let base = directus_proto::BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = directus_proto::web::access::my_roles(&base).unwrap();
/// assert_eq!(op.request().uri(), "http://localhost:8055/roles/me?fields=id%2Cname");
/// ```
pub fn my_roles(base: &BaseUrl) -> Result<Operation<Vec<RoleRef>>, Error> {
    Operation::get(base, "/roles/me?fields=id%2Cname", response::data)
}

/// The global flags of the caller's policies: `GET /policies/me/globals`.
///
/// ```
/// use directus_proto::Bytes;
/// let base = directus_proto::BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = directus_proto::web::my_access_globals(&base).unwrap();
/// assert_eq!(op.request().uri().path(), "/policies/me/globals");
/// let (admin, app) = op.parse(http::Response::new(Bytes::from_static(br#"{"data":{"app_access":true,"admin_access":false}}"#))).unwrap();
/// assert!(!admin && app);
/// ```
pub fn my_access_globals(base: &BaseUrl) -> Result<Operation<(bool, bool)>, Error> {
    Operation::get(base, "/policies/me/globals", |r| {
        parse_globals(r).map(|g| (g.admin_access, g.app_access))
    })
}

fn parse_globals(response: http::Response<Bytes>) -> Result<Globals, Error> {
    response::data::<Globals>(response)
}

/// The names of these roles, read by a client that may read roles (the service client):
/// `GET /roles?filter[id][_in]=..&fields=id,name`.
///
/// ```
/// let base = directus_proto::BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = directus_proto::web::role_names(&base, &["r1"]).unwrap();
/// assert!(op.request().uri().query().unwrap().contains("fields=id%2Cname"));
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] when the query cannot be encoded.
pub fn role_names(base: &BaseUrl, ids: &[&str]) -> Result<Operation<Vec<RoleRef>>, Error> {
    let limit = u32::try_from(ids.len()).unwrap_or(u32::MAX).max(1);
    let query = Query::new()
        .filter(F::in_("id", ids.iter().copied()))
        .fields(["id", "name"])
        .limit(limit)
        .to_query_string()?;
    Ok(
        Operation::get(base, &format!("/roles?{query}"), response::data)?
            .for_collection("directus_roles"),
    )
}

/// What a route asks of its caller.
///
/// ```
/// use directus_proto::web::{Access, Requirement};
/// let admin = Access::new(Vec::new(), true, true);
/// assert!(Requirement::Admin.allows(&admin));
/// assert!(Requirement::AppAccess.allows(&admin));
/// assert!(!Requirement::any_role(["Editor", "Author"]).allows(&admin));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// A policy with admin access.
    Admin,
    /// A policy with app access (or admin access).
    AppAccess,
    /// One of these roles, by name or id (py-directus' `assert_role`). Only the caller's own
    /// role and the roles it nests in count; admin access does not stand in for a role.
    AnyRole(Vec<String>),
}

impl Requirement {
    /// One role, by name or id.
    ///
    /// ```
    /// # use directus_proto::web::Requirement;
    /// assert_eq!(Requirement::role("Editor"), Requirement::AnyRole(vec!["Editor".into()]));
    /// ```
    pub fn role(name: impl Into<String>) -> Self {
        Requirement::AnyRole(vec![name.into()])
    }

    /// Any of these roles, by name or id.
    ///
    /// ```
    /// # use directus_proto::web::Requirement;
    /// let _ = Requirement::any_role(["Editor", "Author"]);
    /// ```
    pub fn any_role<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Requirement::AnyRole(names.into_iter().map(Into::into).collect())
    }

    /// Whether `access` meets it.
    ///
    /// ```
    /// # use directus_proto::web::{Access, Requirement};
    /// assert!(!Requirement::AppAccess.allows(&Access::default()));
    /// ```
    pub fn allows(&self, access: &Access) -> bool {
        match self {
            Requirement::Admin => access.admin_access,
            Requirement::AppAccess => access.app_access || access.admin_access,
            Requirement::AnyRole(names) => access.roles.iter().any(|role| {
                names
                    .iter()
                    .any(|n| *n == role.id || role.name.as_deref() == Some(n.as_str()))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_requests() {
        let base = BaseUrl::parse("http://h:1").unwrap();
        let op = role_names(&base, &["r1", "r2"]).unwrap();
        assert_eq!(op.request().method(), http::Method::GET);
        assert_eq!(
            op.request().uri(),
            "http://h:1/roles?fields=id%2Cname&filter=%7B%22id%22%3A%7B%22_in%22%3A%5B%22r1%22%2C%22r2%22%5D%7D%7D&limit=2"
        );
        assert!(op.request().headers().get("authorization").is_none());
        let op = my_roles(&base).unwrap();
        assert_eq!(op.request().uri(), "http://h:1/roles/me?fields=id%2Cname");
        let op = my_access_globals(&base).unwrap();
        assert_eq!(op.request().uri(), "http://h:1/policies/me/globals");
    }

    #[test]
    fn roles_match_by_name_or_id_and_admin_is_no_role() {
        let access = Access::new(
            vec![RoleRef {
                id: "r1".into(),
                name: None,
            }],
            true,
            false,
        );
        assert!(Requirement::role("r1").allows(&access));
        assert!(!Requirement::role("Editor").allows(&access));
        assert!(Requirement::AppAccess.allows(&access));
        assert!(!Requirement::AnyRole(Vec::new()).allows(&access));
    }
}
