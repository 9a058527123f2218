//! Collection names, their routes (items or the system endpoints) and item keys.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, url};

/// System collections and the routes Directus serves them on. Only these names leave `/items`.
const SYSTEM: &[(&str, &str)] = &[
    ("directus_access", "/access"),
    ("directus_activity", "/activity"),
    ("directus_collections", "/collections"),
    ("directus_comments", "/comments"),
    ("directus_dashboards", "/dashboards"),
    ("directus_extensions", "/extensions"),
    ("directus_fields", "/fields"),
    ("directus_files", "/files"),
    ("directus_flows", "/flows"),
    ("directus_folders", "/folders"),
    ("directus_notifications", "/notifications"),
    ("directus_operations", "/operations"),
    ("directus_panels", "/panels"),
    ("directus_permissions", "/permissions"),
    ("directus_policies", "/policies"),
    ("directus_presets", "/presets"),
    ("directus_relations", "/relations"),
    ("directus_revisions", "/revisions"),
    ("directus_roles", "/roles"),
    ("directus_settings", "/settings"),
    ("directus_shares", "/shares"),
    ("directus_translations", "/translations"),
    ("directus_users", "/users"),
    ("directus_versions", "/versions"),
];

/// A collection and the route its items live under.
///
/// User collections live under `/items/{name}` (the name percent-encoded); system collections
/// (`directus_users`, `directus_files`, ...) under their own routes.
///
/// ```
/// use directus_proto::CollectionRef;
///
/// assert_eq!(CollectionRef::new("posts").unwrap().route(), "/items/posts");
/// assert_eq!(CollectionRef::new("directus_users").unwrap().route(), "/users");
/// assert_eq!(CollectionRef::new("a/b?c").unwrap().route(), "/items/a%2Fb%3Fc");
/// assert!(CollectionRef::new("directus_nope").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CollectionRef {
    name: String,
    route: String,
}

impl CollectionRef {
    /// The collection of this name. A `directus_` name without a REST route is an error
    /// (Directus refuses `/items/directus_*`).
    ///
    /// ```
    /// # use directus_proto::CollectionRef;
    /// assert_eq!(CollectionRef::new("directus_files").unwrap().name(), "directus_files");
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        let route = match SYSTEM.iter().find(|(system, _)| *system == name) {
            Some((_, route)) => (*route).to_owned(),
            None if name.starts_with("directus_") => {
                return Err(Error::invalid(format!(
                    "{name:?} is a system collection without a REST route"
                )));
            }
            None => format!("/items/{}", url::segment(&name, "collection name")?),
        };
        Ok(CollectionRef { name, route })
    }

    /// The collection's name.
    ///
    /// ```
    /// # use directus_proto::CollectionRef;
    /// assert_eq!(CollectionRef::new("posts").unwrap().name(), "posts");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The encoded route of the collection's items.
    ///
    /// ```
    /// # use directus_proto::CollectionRef;
    /// assert_eq!(CollectionRef::new("directus_roles").unwrap().route(), "/roles");
    /// ```
    pub fn route(&self) -> &str {
        &self.route
    }

    /// The encoded route of one item.
    ///
    /// ```
    /// # use directus_proto::{CollectionRef, Key};
    /// let posts = CollectionRef::new("posts").unwrap();
    /// assert_eq!(posts.item_route(&Key::from("a/../b")).unwrap(), "/items/posts/a%2F..%2Fb");
    /// assert_eq!(posts.item_route(&Key::from(7)).unwrap(), "/items/posts/7");
    /// ```
    pub fn item_route(&self, key: &Key) -> Result<String, Error> {
        Ok(format!(
            "{}/{}",
            self.route,
            url::segment(&key.to_string(), "item key")?
        ))
    }
}

/// The primary key of an item: an integer or a string (UUIDs and custom string keys).
///
/// ```
/// use directus_proto::Key;
///
/// assert_eq!(Key::from(7), Key::Int(7));
/// assert_eq!(Key::from("7a9c"), Key::Str("7a9c".into()));
/// assert_eq!(serde_json::to_string(&[Key::from(1), Key::from("x")]).unwrap(), r#"[1,"x"]"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    /// An integer key.
    Int(i64),
    /// A string key (a UUID or a custom key).
    Str(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(n) => write!(f, "{n}"),
            Key::Str(s) => f.write_str(s),
        }
    }
}

macro_rules! int_keys {
    ($($t:ty),*) => {$(
        impl From<$t> for Key {
            fn from(n: $t) -> Self {
                Key::Int(i64::from(n))
            }
        }
    )*};
}
int_keys!(i8, i16, i32, i64, u8, u16, u32);

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key::Str(s.to_owned())
    }
}

impl From<String> for Key {
    fn from(s: String) -> Self {
        Key::Str(s)
    }
}

impl From<&String> for Key {
    fn from(s: &String) -> Self {
        Key::Str(s.clone())
    }
}

impl From<&Key> for Key {
    fn from(k: &Key) -> Self {
        k.clone()
    }
}
