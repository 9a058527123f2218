//! Typed models of Directus's system collections.
//!
//! Every field is an `Option` (Directus leaves out the fields a query does not ask for, or the
//! user may not read), and every model keeps the fields it does not name in `extra`: a
//! project's custom fields on `directus_users` or `directus_files`, and the fields newer
//! Directus versions add, are kept and readable. Writes only send the fields that are `Some`
//! (and everything in `extra`, which is where an explicit `null` goes).
//!
//! The models stored in a system collection implement [`Item`], so `Items::<User>::of()`
//! reads `/users`. Relational fields are a [`Ref`]: a key, or the related item when the query
//! expands it (`fields=*,role.*`).
//!
//! A project that adds fields reads them into its own type, with the system model flattened in:
//!
//! ```
//! use directus_proto::models::User;
//! use directus_proto::{Item, Items};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct Member {
//!     #[serde(flatten)]
//!     base: User,
//!     nickname: Option<String>,
//! }
//!
//! impl Item for Member {
//!     const COLLECTION: &'static str = "directus_users";
//! }
//!
//! let m: Member = serde_json::from_str(r#"{"id":"u1","email":"a@b.c","nickname":"Al"}"#).unwrap();
//! assert_eq!(m.base.email.as_deref(), Some("a@b.c"));
//! assert_eq!(m.nickname.as_deref(), Some("Al"));
//! assert_eq!(Items::<Member>::of().collection().unwrap().route(), "/users");
//! ```
//!
//! (With a flattened `base`, the custom fields land in `Member`'s own fields first; what is
//! left over ends in `base.extra`.)

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::{Item, Key, Secret};

/// A relational field: the related item's key, or the item itself when the query expands it.
///
/// ```
/// use directus_proto::Key;
/// use directus_proto::models::{Ref, Role};
///
/// let id: Ref<Role> = serde_json::from_str(r#""r1""#).unwrap();
/// assert_eq!(id.key(), Some(&Key::from("r1")));
/// let item: Ref<Role> = serde_json::from_str(r#"{"id":"r1","name":"Editor"}"#).unwrap();
/// assert_eq!(item.item().unwrap().name.as_deref(), Some("Editor"));
/// assert_eq!(item.key(), Some(&Key::from("r1")));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ref<T> {
    /// The key only (the default without `fields=rel.*`).
    Key(Key),
    /// The expanded item.
    Item(Box<T>),
}

impl<T: HasKey> Ref<T> {
    /// The related item's key (from the item when expanded; `None` if its key was not read).
    ///
    /// ```
    /// # use directus_proto::{Key, models::{Folder, Ref}};
    /// assert_eq!(Ref::<Folder>::Key(Key::from("f")).key(), Some(&Key::from("f")));
    /// ```
    pub fn key(&self) -> Option<&Key> {
        match self {
            Ref::Key(key) => Some(key),
            Ref::Item(item) => item.key(),
        }
    }
}

impl<T> Ref<T> {
    /// The expanded item, if the query expanded it.
    ///
    /// ```
    /// # use directus_proto::{Key, models::{Folder, Ref}};
    /// assert!(Ref::<Folder>::Key(Key::from("f")).item().is_none());
    /// ```
    pub fn item(&self) -> Option<&T> {
        match self {
            Ref::Key(_) => None,
            Ref::Item(item) => Some(item),
        }
    }
}

/// A model whose primary key can be read.
///
/// ```
/// use directus_proto::Key;
/// use directus_proto::models::{HasKey, User};
/// let user: User = serde_json::from_str(r#"{"id":"u1"}"#).unwrap();
/// assert_eq!(user.key(), Some(&Key::from("u1")));
/// ```
pub trait HasKey {
    /// The primary key, when it was read.
    fn key(&self) -> Option<&Key>;
}

/// Integers that PostgreSQL answers as strings (`bigInteger` columns such as `filesize`).
fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Int {
        Number(i64),
        Float(f64),
        Text(String),
    }
    match Option::<Int>::deserialize(d)? {
        None => Ok(None),
        Some(Int::Number(n)) => Ok(Some(n)),
        // Only whole floats are integers; anything else is a shape mismatch.
        Some(Int::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        Some(Int::Float(f)) => Err(serde::de::Error::custom(format!("{f} is not an integer"))),
        Some(Int::Text(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

macro_rules! model {
    (
        $(#[$meta:meta])*
        $name:ident $(: $collection:literal)? , key $key:ident ;
        $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// The fields this model does not name: custom fields, and fields of newer
            /// Directus versions.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        $(
            impl Item for $name {
                const COLLECTION: &'static str = $collection;
            }
        )?

        model!(@key $name $key);
    };
    (@key $name:ident none) => {};
    (@key $name:ident $key:ident) => {
        impl HasKey for $name {
            fn key(&self) -> Option<&Key> {
                self.$key.as_ref()
            }
        }
    };
}

model! {
    /// A user (`directus_users`, `/users`).
    ///
    /// ```
    /// use directus_proto::Items;
    /// use directus_proto::models::User;
    ///
    /// let u: User = serde_json::from_str(r#"{"id":"u1","email":"a@b.c","role":"r1","pet":"cat"}"#).unwrap();
    /// assert_eq!(u.role.unwrap().key().unwrap().to_string(), "r1");
    /// assert_eq!(u.extra["pet"], "cat");
    /// assert_eq!(Items::<User>::of().collection().unwrap().route(), "/users");
    /// ```
    User: "directus_users", key id;
    /// Primary key (a UUID).
    id: Key,
    /// First name.
    first_name: String,
    /// Last name.
    last_name: String,
    /// Email address (the login).
    email: String,
    /// Password: write-only (reads answer `**********`). A [`Secret`]: `Debug` never shows it.
    password: Secret,
    /// Location.
    location: String,
    /// Job title.
    title: String,
    /// Description.
    description: String,
    /// Tags.
    tags: Value,
    /// Avatar file.
    avatar: Ref<File>,
    /// Language of the app (`en-US`).
    language: String,
    /// `active`, `invited`, `draft`, `suspended` or `archived`.
    status: String,
    /// Role.
    role: Ref<Role>,
    /// Static token: write-only (reads answer `**********`). A [`Secret`].
    token: Secret,
    /// The two-factor secret (reads answer `**********`). A [`Secret`].
    tfa_secret: Secret,
    /// What an external auth provider keeps for the user. A [`Secret`] (as JSON text).
    auth_data: Secret,
    /// Last access time.
    last_access: String,
    /// Last page visited in the app.
    last_page: String,
    /// Auth provider (`default` for email and password).
    provider: String,
    /// Identifier at the external auth provider.
    external_identifier: String,
    /// Whether the user gets email notifications.
    email_notifications: bool,
    /// App appearance (`auto`, `light`, `dark`).
    appearance: String,
    /// Text direction (`auto`, `ltr`, `rtl`).
    text_direction: String,
    /// The user's policy attachments (`directus_access` rows or their keys).
    policies: Value,
}

model! {
    /// A role (`directus_roles`, `/roles`).
    ///
    /// ```
    /// use directus_proto::models::Role;
    /// let r: Role = serde_json::from_str(r#"{"id":"r1","name":"Editor","children":[]}"#).unwrap();
    /// assert_eq!(r.name.as_deref(), Some("Editor"));
    /// ```
    Role: "directus_roles", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Name.
    name: String,
    /// Icon name.
    icon: String,
    /// Description.
    description: String,
    /// Parent role.
    parent: Ref<Role>,
    /// Child roles (keys or items).
    children: Value,
    /// Policy attachments (`directus_access` rows or their keys).
    policies: Value,
    /// Users with this role (keys or items).
    users: Value,
}

model! {
    /// An access policy (`directus_policies`, `/policies`).
    ///
    /// ```
    /// use directus_proto::models::Policy;
    /// let p: Policy = serde_json::from_str(r#"{"id":"p","admin_access":false,"app_access":true}"#).unwrap();
    /// assert_eq!(p.app_access, Some(true));
    /// ```
    Policy: "directus_policies", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Name.
    name: String,
    /// Icon name.
    icon: String,
    /// Description.
    description: String,
    /// Allowed IP addresses or ranges.
    ip_access: Value,
    /// Whether two-factor authentication is required.
    enforce_tfa: bool,
    /// Whether the policy grants admin access.
    admin_access: bool,
    /// Whether the policy grants access to the app.
    app_access: bool,
    /// Permissions (keys or items).
    permissions: Value,
    /// User attachments.
    users: Value,
    /// Role attachments.
    roles: Value,
}

model! {
    /// A permission of a policy (`directus_permissions`, `/permissions`).
    ///
    /// ```
    /// use directus_proto::models::Permission;
    /// let p: Permission = serde_json::from_str(
    ///     r#"{"id":1,"collection":"articles","action":"read","fields":["*"],"policy":"p1"}"#).unwrap();
    /// assert_eq!(p.fields.unwrap(), ["*"]);
    /// ```
    Permission: "directus_permissions", key id;
    /// Primary key (an integer).
    id: Key,
    /// The collection.
    collection: String,
    /// `create`, `read`, `update`, `delete` or `share`.
    action: String,
    /// Item filter the permission is limited to.
    permissions: Value,
    /// Validation filter of written values.
    validation: Value,
    /// Default values of created items.
    presets: Value,
    /// Fields allowed (`*` for all).
    fields: Vec<String>,
    /// The policy.
    policy: Ref<Policy>,
}

model! {
    /// A file's metadata (`directus_files`, `/files`); the content is an asset
    /// ([`assets`](crate::assets)).
    ///
    /// ```
    /// use directus_proto::models::File;
    /// let f: File = serde_json::from_str(
    ///     r#"{"id":"f1","type":"image/png","filesize":"69","width":1,"folder":null}"#).unwrap();
    /// assert_eq!((f.r#type.as_deref(), f.filesize, f.folder), (Some("image/png"), Some(69), None));
    /// ```
    File: "directus_files", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Storage location name (`local`, `s3`, ...).
    storage: String,
    /// Name of the stored file.
    filename_disk: String,
    /// Name the file is downloaded as.
    filename_download: String,
    /// Title.
    title: String,
    /// Media type, as sent at upload.
    r#type: String,
    /// Folder.
    folder: Ref<Folder>,
    /// Uploader.
    uploaded_by: Ref<User>,
    /// Creation time.
    created_on: String,
    /// Last editor.
    modified_by: Ref<User>,
    /// Last modification time.
    modified_on: String,
    /// Character set.
    charset: String,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient_int")]
    filesize: i64,
    /// Width in pixels (images).
    #[serde(deserialize_with = "lenient_int")]
    width: i64,
    /// Height in pixels (images).
    #[serde(deserialize_with = "lenient_int")]
    height: i64,
    /// Duration (audio and video).
    #[serde(deserialize_with = "lenient_int")]
    duration: i64,
    /// Embed code (external media).
    embed: String,
    /// Description.
    description: String,
    /// Location.
    location: String,
    /// Tags.
    tags: Value,
    /// Metadata read from the file (EXIF, IPTC, ...).
    metadata: Value,
    /// Focal point, x.
    #[serde(deserialize_with = "lenient_int")]
    focal_point_x: i64,
    /// Focal point, y.
    #[serde(deserialize_with = "lenient_int")]
    focal_point_y: i64,
    /// Time the content was last uploaded.
    uploaded_on: String,
}

model! {
    /// A folder of files (`directus_folders`, `/folders`).
    ///
    /// ```
    /// use directus_proto::models::Folder;
    /// let f: Folder = serde_json::from_str(r#"{"id":"d1","name":"photos","parent":null,"type":"files"}"#).unwrap();
    /// assert_eq!(f.name.as_deref(), Some("photos"));
    /// assert_eq!(f.extra["type"], "files");
    /// ```
    Folder: "directus_folders", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Name.
    name: String,
    /// Parent folder.
    parent: Ref<Folder>,
}

model! {
    /// An activity log entry (`directus_activity`, `/activity`; read-only).
    ///
    /// ```
    /// use directus_proto::models::Activity;
    /// let a: Activity = serde_json::from_str(r#"{"id":39,"action":"create","item":"1"}"#).unwrap();
    /// assert_eq!(a.action.as_deref(), Some("create"));
    /// ```
    Activity: "directus_activity", key id;
    /// Primary key (an integer).
    id: Key,
    /// `create`, `update`, `delete`, `login`, ...
    action: String,
    /// The user who acted.
    user: Ref<User>,
    /// When.
    timestamp: String,
    /// IP address.
    ip: String,
    /// User agent.
    user_agent: String,
    /// The collection.
    collection: String,
    /// The item's key (as text).
    item: String,
    /// Origin of the request.
    origin: String,
    /// Revisions (keys or items).
    revisions: Value,
}

model! {
    /// A revision of an item (`directus_revisions`, `/revisions`; read-only).
    ///
    /// ```
    /// use directus_proto::models::Revision;
    /// let r: Revision = serde_json::from_str(r#"{"id":1,"activity":2,"data":{"a":1},"delta":{"a":1}}"#).unwrap();
    /// assert_eq!(r.delta.unwrap()["a"], 1);
    /// ```
    Revision: "directus_revisions", key id;
    /// Primary key (an integer).
    id: Key,
    /// The activity entry (key or item).
    activity: Value,
    /// The collection.
    collection: String,
    /// The item's key (as text).
    item: String,
    /// The item after the change.
    data: Value,
    /// The changed fields.
    delta: Value,
    /// Parent revision.
    parent: Value,
    /// Content version (key or item).
    version: Value,
}

model! {
    /// A comment on an item (`directus_comments`, `/comments`).
    ///
    /// ```
    /// use directus_proto::models::Comment;
    /// let c: Comment = serde_json::from_str(r#"{"id":"c","collection":"articles","item":"1","comment":"Nice"}"#).unwrap();
    /// assert_eq!(c.comment.as_deref(), Some("Nice"));
    /// ```
    Comment: "directus_comments", key id;
    /// Primary key (a UUID).
    id: Key,
    /// The collection.
    collection: String,
    /// The item's key (as text).
    item: String,
    /// The comment (Markdown).
    comment: String,
    /// Creation time.
    date_created: String,
    /// Last update time.
    date_updated: String,
    /// Author.
    user_created: Ref<User>,
    /// Last editor.
    user_updated: Ref<User>,
}

model! {
    /// A layout preset or bookmark (`directus_presets`, `/presets`).
    ///
    /// ```
    /// use directus_proto::models::Preset;
    /// let p: Preset = serde_json::from_str(r#"{"id":1,"bookmark":"Mine","layout":"tabular"}"#).unwrap();
    /// assert_eq!(p.layout.as_deref(), Some("tabular"));
    /// ```
    Preset: "directus_presets", key id;
    /// Primary key (an integer).
    id: Key,
    /// Bookmark name (`None` for a collection's default preset).
    bookmark: String,
    /// Owner user.
    user: Ref<User>,
    /// Owner role.
    role: Ref<Role>,
    /// The collection.
    collection: String,
    /// Search text.
    search: String,
    /// Layout (`tabular`, `cards`, ...).
    layout: String,
    /// Layout query per layout.
    layout_query: Value,
    /// Layout options per layout.
    layout_options: Value,
    /// Refresh interval in seconds.
    #[serde(deserialize_with = "lenient_int")]
    refresh_interval: i64,
    /// Filter.
    filter: Value,
    /// Icon name.
    icon: String,
    /// Color.
    color: String,
}

model! {
    /// A notification to a user (`directus_notifications`, `/notifications`).
    ///
    /// ```
    /// use directus_proto::models::Notification;
    /// let n: Notification = serde_json::from_str(r#"{"id":1,"status":"inbox","subject":"Hi"}"#).unwrap();
    /// assert_eq!(n.status.as_deref(), Some("inbox"));
    /// ```
    Notification: "directus_notifications", key id;
    /// Primary key (an integer).
    id: Key,
    /// When.
    timestamp: String,
    /// `inbox` or `archived`.
    status: String,
    /// Recipient.
    recipient: Ref<User>,
    /// Sender.
    sender: Ref<User>,
    /// Subject.
    subject: String,
    /// Message (Markdown).
    message: String,
    /// Collection of the item it is about.
    collection: String,
    /// Key of the item it is about (as text).
    item: String,
}

model! {
    /// A share link to an item (`directus_shares`, `/shares`).
    ///
    /// ```
    /// use directus_proto::models::Share;
    /// let s: Share = serde_json::from_str(r#"{"id":"s","name":"link","times_used":0}"#).unwrap();
    /// assert_eq!(s.times_used, Some(0));
    /// ```
    Share: "directus_shares", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Name.
    name: String,
    /// The collection.
    collection: String,
    /// The item's key (as text).
    item: String,
    /// Role whose permissions the share uses.
    role: Ref<Role>,
    /// Password: write-only. A [`Secret`]: `Debug` never shows it.
    password: Secret,
    /// Creator.
    user_created: Ref<User>,
    /// Creation time.
    date_created: String,
    /// Start of validity.
    date_start: String,
    /// End of validity.
    date_end: String,
    /// Times used.
    #[serde(deserialize_with = "lenient_int")]
    times_used: i64,
    /// Maximum uses.
    #[serde(deserialize_with = "lenient_int")]
    max_uses: i64,
}

model! {
    /// A content version of an item (`directus_versions`, `/versions`).
    ///
    /// ```
    /// use directus_proto::models::Version;
    /// let v: Version = serde_json::from_str(r#"{"id":"v","key":"draft","item":"1","delta":null}"#).unwrap();
    /// assert_eq!(v.key.as_deref(), Some("draft"));
    /// ```
    Version: "directus_versions", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Version key (used in `?version=`).
    key: String,
    /// Name.
    name: String,
    /// The collection.
    collection: String,
    /// The item's key (as text).
    item: String,
    /// Hash of the main item when the version was made.
    hash: String,
    /// Creation time.
    date_created: String,
    /// Last update time.
    date_updated: String,
    /// Creator.
    user_created: Ref<User>,
    /// Last editor.
    user_updated: Ref<User>,
    /// The changes held by the version.
    delta: Value,
}

model! {
    /// An insights dashboard (`directus_dashboards`, `/dashboards`).
    ///
    /// ```
    /// use directus_proto::models::Dashboard;
    /// let d: Dashboard = serde_json::from_str(r#"{"id":"d","name":"Sales","panels":["p1"]}"#).unwrap();
    /// assert_eq!(d.name.as_deref(), Some("Sales"));
    /// ```
    Dashboard: "directus_dashboards", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Name.
    name: String,
    /// Icon.
    icon: String,
    /// Note.
    note: String,
    /// Color.
    color: String,
    /// Its panels (keys or objects).
    panels: Vec<Ref<Panel>>,
    /// Creation time.
    date_created: String,
    /// Creator.
    user_created: Ref<User>,
}

model! {
    /// A panel of a dashboard (`directus_panels`, `/panels`).
    ///
    /// ```
    /// use directus_proto::models::Panel;
    /// let p: Panel = serde_json::from_str(r#"{"id":"p","type":"metric","width":12,"options":{"collection":"orders"}}"#).unwrap();
    /// assert_eq!((p.r#type.as_deref(), p.width), (Some("metric"), Some(12)));
    /// ```
    Panel: "directus_panels", key id;
    /// Primary key (a UUID).
    id: Key,
    /// The dashboard (key or object).
    dashboard: Ref<Dashboard>,
    /// Name.
    name: String,
    /// Icon.
    icon: String,
    /// Color.
    color: String,
    /// Whether the header shows.
    show_header: bool,
    /// Note.
    note: String,
    /// The panel type (`metric`, `time-series`, `list`, ...).
    r#type: String,
    /// Grid position.
    position_x: i64,
    /// Grid position.
    position_y: i64,
    /// Grid width.
    width: i64,
    /// Grid height.
    height: i64,
    /// The type's options.
    options: Value,
    /// Creation time.
    date_created: String,
    /// Creator.
    user_created: Ref<User>,
}

model! {
    /// A policy given to a role or a user (`directus_access`, `/access`).
    ///
    /// ```
    /// use directus_proto::models::Access;
    /// let a: Access = serde_json::from_str(r#"{"id":"a","role":"r","user":null,"policy":"p"}"#).unwrap();
    /// assert!(a.user.is_none());
    /// ```
    Access: "directus_access", key id;
    /// Primary key (a UUID).
    id: Key,
    /// The role (key or object), or none for a user's own policy.
    role: Ref<Role>,
    /// The user (key or object), or none for a role's policy.
    user: Ref<User>,
    /// The policy (key or object).
    policy: Ref<Policy>,
    /// Order among the role's or user's policies.
    sort: i64,
}

model! {
    /// An installed extension (`directus_extensions`, `/extensions`).
    ///
    /// ```
    /// use directus_proto::models::Extension;
    /// let e: Extension = serde_json::from_str(r#"{"id":"e","bundle":null,"schema":{"type":"interface","name":"x"},"meta":{"enabled":true}}"#).unwrap();
    /// assert_eq!(e.schema.unwrap()["type"], "interface");
    /// ```
    Extension: "directus_extensions", key id;
    /// Primary key.
    id: Key,
    /// The bundle it belongs to, if any.
    bundle: String,
    /// Its manifest (`type`, `name`, `version`, `local`...).
    schema: Value,
    /// `enabled` and other settings.
    meta: Value,
}

model! {
    /// A translation string (`directus_translations`, `/translations`).
    ///
    /// ```
    /// use directus_proto::models::Translation;
    /// let t = Translation::new("greeting", "de-DE", "Hallo");
    /// assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"language":"de-DE","key":"greeting","value":"Hallo"}"#);
    /// ```
    Translation: "directus_translations", key id;
    /// Primary key (a UUID).
    id: Key,
    /// Language code (`en-US`).
    language: String,
    /// The key the string is looked up by.
    key: String,
    /// The translated text.
    value: String,
}

impl Translation {
    /// A new translation row (without a key: the server assigns it).
    ///
    /// ```
    /// # use directus_proto::models::Translation;
    /// assert_eq!(Translation::new("k", "en-US", "v").value.as_deref(), Some("v"));
    /// ```
    pub fn new(
        key: impl Into<String>,
        language: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Translation {
            key: Some(key.into()),
            language: Some(language.into()),
            value: Some(value.into()),
            ..Default::default()
        }
    }
}

model! {
    /// The project settings (`directus_settings`, `/settings`: a singleton).
    ///
    /// ```
    /// use directus_proto::models::Settings;
    /// let s: Settings = serde_json::from_str(r#"{"id":1,"project_name":"Directus","mcp_enabled":true}"#).unwrap();
    /// assert_eq!(s.project_name.as_deref(), Some("Directus"));
    /// assert_eq!(s.extra["mcp_enabled"], true);
    /// ```
    Settings: "directus_settings", key id;
    /// Primary key (always 1).
    id: Key,
    /// Project name.
    project_name: String,
    /// Project URL.
    project_url: String,
    /// Brand color.
    project_color: String,
    /// Logo file.
    project_logo: Ref<File>,
    /// Project descriptor.
    project_descriptor: String,
    /// Default language.
    default_language: String,
    /// Default appearance (`auto`, `light`, `dark`).
    default_appearance: String,
    /// Public page foreground file.
    public_foreground: Ref<File>,
    /// Public page background file.
    public_background: Ref<File>,
    /// Public page note.
    public_note: String,
    /// Public favicon file.
    public_favicon: Ref<File>,
    /// Failed logins before a user is suspended.
    #[serde(deserialize_with = "lenient_int")]
    auth_login_attempts: i64,
    /// Password policy (a regular expression).
    auth_password_policy: String,
    /// Which asset transformations are allowed: `all`, `none` or `presets`.
    storage_asset_transform: String,
    /// Asset presets (`key` of [`AssetTransform::preset`](crate::assets::AssetTransform::preset)).
    storage_asset_presets: Value,
    /// Default folder of uploads.
    storage_default_folder: Ref<Folder>,
    /// Custom CSS of the app.
    custom_css: String,
    /// Module bar configuration.
    module_bar: Value,
    /// Whether public registration is open.
    public_registration: bool,
    /// Role given to publicly registered users.
    public_registration_role: Ref<Role>,
}

model! {
    /// What `/server/info` answers (more with authentication than without).
    ///
    /// ```
    /// use directus_proto::models::ServerInfo;
    /// let i: ServerInfo = serde_json::from_str(
    ///     r#"{"project":{"project_name":"Directus"},"version":"12.4.0","queryLimit":{"default":100,"max":-1}}"#).unwrap();
    /// assert_eq!(i.version.as_deref(), Some("12.4.0"));
    /// assert_eq!(i.query_limit.unwrap()["default"], 100);
    /// ```
    ServerInfo, key none;
    /// Public project settings (name, colors, logo, default language, ...).
    project: Value,
    /// The Directus version (authenticated only).
    version: String,
    /// Default and maximum `limit` (authenticated only).
    #[serde(rename = "queryLimit")]
    query_limit: Value,
    /// Rate limiter configuration (`false` when off).
    #[serde(rename = "rateLimit")]
    rate_limit: Value,
    /// WebSocket configuration (`false` when off).
    websocket: Value,
    /// Upload configuration (`mimeTypeAllowList`).
    files: Value,
    /// License information.
    license: Value,
}

model! {
    /// What `/server/health` answers (without the `data` envelope; `status` is `ok`, `warn`
    /// or `error`).
    ///
    /// ```
    /// use directus_proto::models::Health;
    /// let h: Health = serde_json::from_str(r#"{"status":"ok","releaseId":"12.4.0","checks":{}}"#).unwrap();
    /// assert_eq!(h.status.as_deref(), Some("ok"));
    /// assert_eq!(h.release_id.as_deref(), Some("12.4.0"));
    /// ```
    Health, key none;
    /// `ok`, `warn` or `error`.
    status: String,
    /// The Directus version.
    #[serde(rename = "releaseId")]
    release_id: String,
    /// The server's public URL.
    #[serde(rename = "serviceId")]
    service_id: String,
    /// The checks by name (`sqlite3:responseTime`, ...), each a list of results (admins only).
    checks: Value,
}

/// What the current user may do with one action on one collection (`/permissions/me`).
///
/// ```
/// use directus_proto::models::ActionAccess;
/// let a: ActionAccess = serde_json::from_str(r#"{"access":"full","fields":["*"]}"#).unwrap();
/// assert_eq!(a.access, "full");
/// assert!(a.allows_field("title"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionAccess {
    /// `none`, `partial` or `full`.
    pub access: String,
    /// The fields allowed (`*` for all), when access is not `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// Other keys (`permissions`, `presets`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ActionAccess {
    /// Whether some items may be acted on (`partial` or `full`).
    ///
    /// ```
    /// # use directus_proto::models::ActionAccess;
    /// let a: ActionAccess = serde_json::from_str(r#"{"access":"none"}"#).unwrap();
    /// assert!(!a.allowed());
    /// ```
    pub fn allowed(&self) -> bool {
        self.access != "none"
    }

    /// Whether `field` is among the allowed fields.
    ///
    /// ```
    /// # use directus_proto::models::ActionAccess;
    /// let a: ActionAccess = serde_json::from_str(r#"{"access":"partial","fields":["id"]}"#).unwrap();
    /// assert!(a.allows_field("id") && !a.allows_field("title"));
    /// ```
    pub fn allows_field(&self, field: &str) -> bool {
        self.allowed()
            && self
                .fields
                .as_deref()
                .is_some_and(|f| f.iter().any(|x| x == "*" || x == field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_send_what_is_set() {
        let user = User {
            email: Some("a@b.c".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&user).unwrap(),
            r#"{"email":"a@b.c"}"#
        );
        let mut user = user;
        user.extra.insert("avatar".into(), Value::Null);
        assert_eq!(
            serde_json::to_string(&user).unwrap(),
            r#"{"email":"a@b.c","avatar":null}"#
        );
    }

    #[test]
    fn lenient_integers() {
        let f: File = serde_json::from_str(r#"{"filesize":"1234","width":2.0}"#).unwrap();
        assert_eq!((f.filesize, f.width), (Some(1234), Some(2)));
        assert!(serde_json::from_str::<File>(r#"{"filesize":"x"}"#).is_err());
        assert!(serde_json::from_str::<File>(r#"{"width":1.5}"#).is_err());
    }

    #[test]
    fn expanded_relations() {
        let u: User =
            serde_json::from_str(r#"{"role":{"id":"r","name":"Admin","policies":[]}}"#).unwrap();
        let role = u.role.unwrap();
        assert_eq!(role.key(), Some(&Key::from("r")));
        assert_eq!(role.item().unwrap().name.as_deref(), Some("Admin"));
        let p: Permission = serde_json::from_str(r#"{"id":3,"policy":null}"#).unwrap();
        assert_eq!((p.id, p.policy), (Some(Key::Int(3)), None));
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn debug_never_shows_passwords_tokens_or_tfa_secrets() {
        let user: User = serde_json::from_str(
            r#"{"id":"u1","password":"s3cr3t","token":"s3cr3t","tfa_secret":"s3cr3t","auth_data":{"r":"s3cr3t"}}"#,
        )
        .unwrap();
        let share: Share = serde_json::from_str(r#"{"id":"s1","password":"s3cr3t"}"#).unwrap();
        let shown = format!("{user:?} {share:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(user.token.as_ref().map(Secret::expose), Some("s3cr3t"));
        // written back as the strings they are
        let written = serde_json::to_value(&user).unwrap();
        assert_eq!(written["password"], "s3cr3t");
    }
}
