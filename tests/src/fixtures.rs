//! The fixture schema, created through the Directus REST API with plain `ureq` (not the library
//! clients, which are what the tests test). The schema itself is written with the typed builders
//! of `directus_proto::schema`: plain values, whose JSON proto's own tests pin.
//!
//! [`ensure`] is idempotent: it creates what is missing and tolerates what exists, so it can run
//! before every test run, against a fresh server or one that already has the fixtures, and from
//! several processes at once (objects with a UUID key get a fixed key, so a racing second create
//! fails and is then found). Collections carry the prefix `drs_`; users, roles and policies `drs-`.
//!
//! Tests isolate their rows by writing a value from [`crate::unique`] into the `run` column
//! (`drs_products`, `drs_notes`, `drs_inbox`) and filtering on it.
//!
//! Measured on Directus 12.4.0 with SQLite (the test server):
//! - `price` is created as `decimal(10,2)` but SQLite has no decimal: `/fields` reports type
//!   `float`, and values come back as JSON numbers without the scale (`"12.50"` reads back as
//!   `12.5`, `3.333` stays `3.333`). On PostgreSQL decimals come back as strings.
//! - `released_at` (`dateTime`) comes back without a zone: `"2024-05-01T10:20:30"`.
//! - The o2m alias `products` reads as an array of keys (`[1]`) with `fields=*`.
//! - A missing collection, field, relation or item answers 403 FORBIDDEN (for the admin too).
//! - The reader: `GET /items/drs_inbox` is 403 with an extra `reason` extension; its
//!   `POST /items/drs_inbox` answers 204 with no body (it may not read what it wrote).
//! - `POST /auth/login` answers `expires: 10000` (ms) with `ACCESS_TOKEN_TTL=10s`. An expired
//!   token is 401 TOKEN_EXPIRED, even on `POST /auth/login`: never send a bearer token there.
//! - Racing creates are not refused: two `POST /relations` for one field both succeed (duplicate
//!   relation rows), and concurrent `POST /collections` on SQLite can answer 500; hence the lock.

use std::cell::RefCell;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use directus_proto::schema::{Collection, Field, Relation};
use serde_json::{Value, json};

/// Suppliers: integer key `id`; `name`, `country`; o2m alias `products` over `drs_products.supplier`.
pub const SUPPLIERS: &str = "drs_suppliers";
/// Products: integer key `id`; `name`, `category`, `price` decimal(10,2), `stock` integer,
/// `active` boolean, `released_at` dateTime, `tags` json, `attrs` json, `run` string,
/// `supplier` m2o to [`SUPPLIERS`].
pub const PRODUCTS: &str = "drs_products";
/// Notes: UUID key `id`; `title` string, `body` text, `run` string. Content versioning is on.
pub const NOTES: &str = "drs_notes";
/// A singleton collection: `site_name`, `motto` (seeded when empty).
pub const SETTINGS: &str = "drs_settings";
/// Inbox: integer key; `message`, `run`. The reader may create rows here but not read them.
pub const INBOX: &str = "drs_inbox";
/// Secrets: integer key; `secret`. The reader has no access at all (one row is seeded).
pub const SECRETS: &str = "drs_secrets";
/// Catalog: string key `sku`; `name` string, `stock` integer, `run` string. The key a sync
/// job upserts on (the `sync` example writes 10,000 rows here).
pub const CATALOG: &str = "drs_catalog";
/// Ranked: integer key; `label`, `sort` integer (the manual sort field), `run`. Only the sort
/// test writes here, always with sort values: Directus's manual sort first numbers every row
/// without one, across the whole collection.
pub const RANKED: &str = "drs_ranked";
/// Measures: integer key; one field of each type whose JSON shape depends on the database:
/// `amount` decimal(12,4), `big` bigInteger, `at` timestamp, `when` dateTime, `day` date,
/// `doc` json, `labels` csv, and `run` string.
pub const MEASURES: &str = "drs_measures";
/// Every fixture collection.
pub const COLLECTIONS: [&str; 9] = [
    SUPPLIERS, PRODUCTS, NOTES, SETTINGS, INBOX, SECRETS, CATALOG, RANKED, MEASURES,
];

/// The seeded singleton values (written only when `site_name` is empty).
pub const SETTINGS_SITE_NAME: &str = "directus-rs demo";
/// The seeded singleton motto.
pub const SETTINGS_MOTTO: &str = "sans-IO, blocking and async";
/// The value of the row seeded into [`SECRETS`].
pub const SEEDED_SECRET: &str = "drs-the-cake-is-a-lie";

/// Name of the reader policy: read on products and suppliers, create (only) on the inbox.
pub const READER_POLICY: &str = "drs-reader-policy";
/// Name of the reader role (linked to [`READER_POLICY`]).
pub const READER_ROLE: &str = "drs-reader";
/// The reader user.
pub const READER_EMAIL: &str = "drs-reader@example.com";
/// The reader's password.
pub const READER_PASSWORD: &str = "drs-reader-password-1";
/// A user with the administrator role and a static token.
pub const TOKEN_EMAIL: &str = "drs-token@example.com";
/// The token user's password (it can also log in).
pub const TOKEN_PASSWORD: &str = "drs-token-password-1";
/// The token user's static token (`Authorization: Bearer drs-static-token-0123456789`).
pub const STATIC_TOKEN: &str = "drs-static-token-0123456789";

/// A policy that lets a user read and update users (turning two-factor authentication on
/// writes the user's own `tfa_secret`); tests attach it to the throwaway users they make.
/// Directus 12 without a license refuses field lists and filters in permissions
/// (`RESOURCE_RESTRICTED`), so it cannot be limited to the user's own row or that field.
pub const TFA_POLICY: &str = "drs-tfa-policy";
/// The fixed key of [`TFA_POLICY`] (created with it; found by name first).
pub const TFA_POLICY_ID: &str = "00000000-d75d-4000-8000-000000000005";

/// Fixed keys used when this module creates the objects (found by name/e-mail first, so a
/// server where they were made otherwise works too: use the ids in [`Fixtures`]).
pub const READER_POLICY_ID: &str = "00000000-d75d-4000-8000-000000000001";
/// Fixed key of the reader role when created here.
pub const READER_ROLE_ID: &str = "00000000-d75d-4000-8000-000000000002";
/// Fixed key of the reader user when created here.
pub const READER_USER_ID: &str = "00000000-d75d-4000-8000-000000000003";
/// Fixed key of the token user when created here.
pub const TOKEN_USER_ID: &str = "00000000-d75d-4000-8000-000000000004";

/// The ids of the fixture objects on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixtures {
    /// The administrator role (the bootstrap admin's role).
    pub admin_role: String,
    /// The id of [`READER_POLICY`].
    pub reader_policy: String,
    /// The id of [`READER_ROLE`].
    pub reader_role: String,
    /// The id of the [`READER_EMAIL`] user.
    pub reader_user: String,
    /// The id of the [`TOKEN_EMAIL`] user.
    pub token_user: String,
}

/// Creates whatever of the fixture schema, roles, policies and users is missing.
///
/// Processes on this machine that ensure the fixtures of the same server take turns (a lock
/// file in the temp folder): Directus itself would let racing creates duplicate relations and
/// permissions, and concurrent schema changes on SQLite can fail with 500.
pub fn ensure(url: &str, admin_email: &str, admin_password: &str) -> Result<Fixtures, String> {
    let _lock = LockFile::acquire(url)?;
    let mut api = Api::new(url);
    // The test server's access tokens live 10 s: `send` logs in again when one expires.
    api.credentials = Some((admin_email.to_owned(), admin_password.to_owned()));
    api.relogin()?;

    let me = api.ok("GET", "/users/me?fields=id,role", None)?;
    let admin_role = str_at(&me, "/data/role")?;

    for spec in collection_specs() {
        ensure_collection(&api, &spec)?;
    }
    ensure_relation(&api)?;
    ensure_versioning(&api, NOTES)?;
    seed(&api)?;

    let reader_policy = ensure_policy(&api)?;
    for (collection, action) in [(PRODUCTS, "read"), (SUPPLIERS, "read"), (INBOX, "create")] {
        ensure_permission(&api, &reader_policy, collection, action)?;
    }
    ensure_tfa_policy(&api)?;
    let reader_role = ensure_role(&api)?;
    ensure_access(&api, &reader_role, &reader_policy)?;
    let reader_user = ensure_user(
        &api,
        READER_USER_ID,
        READER_EMAIL,
        READER_PASSWORD,
        &reader_role,
    )?;
    let token_user = ensure_user(
        &api,
        TOKEN_USER_ID,
        TOKEN_EMAIL,
        TOKEN_PASSWORD,
        &admin_role,
    )?;
    ensure_static_token(&api, &token_user)?;

    Ok(Fixtures {
        admin_role,
        reader_policy,
        reader_role,
        reader_user,
        token_user,
    })
}

// ---------------------------------------------------------------------------------------------
// Schema

/// The fixture collections, written with the typed builders of `directus_proto::schema` (plain
/// values: they are sent with `ureq` like everything here; their JSON is pinned by proto's tests).
fn collection_specs() -> Vec<Collection> {
    let note = |what: &str| format!("directus-rs test fixture: {what}");
    let mut tags = Field::json("tags");
    tags.meta_mut().interface = Some("tags".into());
    let mut sku = Field::string("sku");
    sku.schema_mut().is_primary_key = Some(true);
    let mut sort = Field::integer("sort").hidden();
    sort.meta_mut().interface = Some("input".into());
    let mut ranked = Collection::new(RANKED).note(note("manual sort")).fields([
        Field::integer_pk("id"),
        Field::string("label"),
        sort,
        Field::string("run"),
    ]);
    ranked.meta_mut().sort_field = Some("sort".into());
    let mut labels = Field::new("labels", "csv");
    labels.meta_mut().special = Some(vec!["cast-csv".into()]);
    labels.meta_mut().interface = Some("tags".into());
    vec![
        Collection::new(SUPPLIERS)
            .note(note("suppliers (o2m products)"))
            .fields([
                Field::integer_pk("id"),
                Field::string("name"),
                Field::string("country"),
                Field::o2m("products"),
            ]),
        Collection::new(PRODUCTS)
            .note(note("products (m2o supplier)"))
            .fields([
                Field::integer_pk("id"),
                Field::string("name"),
                Field::string("category"),
                Field::decimal("price", 10, 2),
                Field::integer("stock"),
                Field::boolean("active"),
                Field::date_time("released_at"),
                tags,
                Field::json("attrs"),
                Field::string("run"),
                Field::m2o("supplier", "integer"),
            ]),
        Collection::new(NOTES)
            .note(note("notes (UUID key)"))
            .fields([
                Field::uuid_pk("id"),
                Field::string("title"),
                Field::text("body"),
                Field::string("run"),
            ]),
        Collection::new(CATALOG)
            .note(note("catalog (string key)"))
            .fields([
                sku,
                Field::string("name"),
                Field::integer("stock"),
                Field::string("run"),
            ]),
        ranked,
        Collection::singleton(SETTINGS)
            .note(note("a singleton"))
            .fields([
                Field::integer_pk("id"),
                Field::string("site_name"),
                Field::string("motto"),
            ]),
        Collection::new(INBOX)
            .note(note("inbox (the reader may create, not read)"))
            .fields([
                Field::integer_pk("id"),
                Field::string("message"),
                Field::string("run"),
            ]),
        Collection::new(SECRETS)
            .note(note("secrets (the reader has no access)"))
            .fields([Field::integer_pk("id"), Field::string("secret")]),
        Collection::new(MEASURES)
            .note(note("measures (shapes that differ by database)"))
            .fields([
                Field::integer_pk("id"),
                Field::decimal("amount", 12, 4),
                Field::big_integer("big"),
                Field::new("at", "timestamp"),
                Field::date_time("when"),
                Field::new("day", "date"),
                Field::json("doc"),
                labels,
                Field::string("run"),
            ]),
    ]
}

fn ensure_collection(api: &Api, spec: &Collection) -> Result<(), String> {
    let name = spec.collection.as_deref().unwrap_or_default();
    let path = format!("/collections/{name}");
    if api.send("GET", &path, None)?.status != 200 {
        // Create it with all its fields at once (what the app does).
        let body = to_json(spec)?;
        let reply = api.send("POST", "/collections", Some(&body))?;
        if !reply.is_success() && api.send("GET", &path, None)?.status != 200 {
            return Err(reply.describe("POST", "/collections"));
        }
    }
    // Add the fields an older fixture version (or a racing, half-done run) may lack.
    let existing = api.ok("GET", &format!("/fields/{name}"), None)?;
    let names: Vec<&str> = existing
        .get("data")
        .and_then(Value::as_array)
        .map(|fields| {
            fields
                .iter()
                .filter_map(|f| f.get("field").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    for field in spec.fields.iter().flatten() {
        let field_name = field.field.as_deref().unwrap_or_default();
        if names.contains(&field_name) {
            continue;
        }
        let fields_path = format!("/fields/{name}");
        let reply = api.send("POST", &fields_path, Some(&to_json(field)?))?;
        if !reply.is_success()
            && api
                .send("GET", &format!("{fields_path}/{field_name}"), None)?
                .status
                != 200
        {
            return Err(reply.describe("POST", &fields_path));
        }
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("a fixture does not serialize: {e}"))
}

fn ensure_relation(api: &Api) -> Result<(), String> {
    let path = format!("/relations/{PRODUCTS}/supplier");
    if api.send("GET", &path, None)?.status == 200 {
        return Ok(());
    }
    let relation = Relation::many_to_one(PRODUCTS, "supplier", SUPPLIERS)
        .one_field("products")
        .on_delete("SET NULL");
    let reply = api.send("POST", "/relations", Some(&to_json(&relation)?))?;
    if !reply.is_success() && api.send("GET", &path, None)?.status != 200 {
        return Err(reply.describe("POST", "/relations"));
    }
    Ok(())
}

/// Turns content versioning on for a collection (an update, so also for an older fixture).
fn ensure_versioning(api: &Api, collection: &str) -> Result<(), String> {
    let path = format!("/collections/{collection}");
    let current = api.ok("GET", &path, None)?;
    if current.pointer("/data/meta/versioning") != Some(&Value::Bool(true)) {
        api.ok("PATCH", &path, Some(&json!({"meta": {"versioning": true}})))?;
    }
    Ok(())
}

fn seed(api: &Api) -> Result<(), String> {
    let settings = api.ok("GET", &format!("/items/{SETTINGS}"), None)?;
    let site_name = settings.pointer("/data/site_name").unwrap_or(&Value::Null);
    if site_name.is_null() {
        let body = json!({"site_name": SETTINGS_SITE_NAME, "motto": SETTINGS_MOTTO});
        api.ok("PATCH", &format!("/items/{SETTINGS}"), Some(&body))?;
    }
    let secrets = api.ok("GET", &format!("/items/{SECRETS}?limit=1"), None)?;
    let empty = secrets
        .get("data")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if empty {
        let body = json!({"secret": SEEDED_SECRET});
        api.ok("POST", &format!("/items/{SECRETS}"), Some(&body))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Access control

/// Finds the first row of a system collection matching `filter`: its `id`.
fn find_id(api: &Api, route: &str, filter: &Value) -> Result<Option<String>, String> {
    let path = format!(
        "{route}?fields=id&limit=1&sort=id&filter={}",
        encode(&filter.to_string())
    );
    let reply = api.ok("GET", &path, None)?;
    Ok(reply.pointer("/data/0/id").and_then(|id| match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }))
}

/// Finds by `filter`, else creates `body` (tolerating a racing create), then finds again.
fn find_or_create(api: &Api, route: &str, filter: &Value, body: &Value) -> Result<String, String> {
    if let Some(id) = find_id(api, route, filter)? {
        return Ok(id);
    }
    let reply = api.send("POST", route, Some(body))?;
    if let Some(id) = find_id(api, route, filter)? {
        return Ok(id);
    }
    Err(reply.describe("POST", route))
}

fn ensure_policy(api: &Api) -> Result<String, String> {
    find_or_create(
        api,
        "/policies",
        &json!({"name": {"_eq": READER_POLICY}}),
        &json!({
            "id": READER_POLICY_ID,
            "name": READER_POLICY,
            "icon": "menu_book",
            "description": "directus-rs test fixture: read products and suppliers, create inbox rows",
            "app_access": false,
            "admin_access": false,
            "enforce_tfa": false
        }),
    )
}

fn ensure_permission(
    api: &Api,
    policy: &str,
    collection: &str,
    action: &str,
) -> Result<(), String> {
    find_or_create(
        api,
        "/permissions",
        &json!({"_and": [
            {"policy": {"_eq": policy}},
            {"collection": {"_eq": collection}},
            {"action": {"_eq": action}}
        ]}),
        &json!({
            "policy": policy,
            "collection": collection,
            "action": action,
            "fields": ["*"],
            "permissions": {},
            "validation": {}
        }),
    )
    .map(drop)
}

fn ensure_role(api: &Api) -> Result<String, String> {
    find_or_create(
        api,
        "/roles",
        &json!({"name": {"_eq": READER_ROLE}}),
        &json!({
            "id": READER_ROLE_ID,
            "name": READER_ROLE,
            "icon": "visibility",
            "description": "directus-rs test fixture"
        }),
    )
}

/// [`TFA_POLICY`]: users readable and writable.
fn ensure_tfa_policy(api: &Api) -> Result<String, String> {
    let policy = find_or_create(
        api,
        "/policies",
        &json!({"name": {"_eq": TFA_POLICY}}),
        &json!({
            "id": TFA_POLICY_ID,
            "name": TFA_POLICY,
            "icon": "lock",
            "description": "directus-rs test fixture: a user's own TFA secret",
            "app_access": false,
            "admin_access": false,
            "enforce_tfa": false
        }),
    )?;
    for action in ["read", "update"] {
        find_or_create(
            api,
            "/permissions",
            &json!({"_and": [
                {"policy": {"_eq": policy}},
                {"collection": {"_eq": "directus_users"}},
                {"action": {"_eq": action}}
            ]}),
            &json!({
                "policy": policy,
                "collection": "directus_users",
                "action": action,
                "fields": ["*"],
                "permissions": {},
                "validation": {}
            }),
        )?;
    }
    Ok(policy)
}

fn ensure_access(api: &Api, role: &str, policy: &str) -> Result<(), String> {
    find_or_create(
        api,
        "/access",
        &json!({"_and": [{"role": {"_eq": role}}, {"policy": {"_eq": policy}}]}),
        &json!({"role": role, "policy": policy}),
    )
    .map(drop)
}

fn ensure_user(
    api: &Api,
    id: &str,
    email: &str,
    password: &str,
    role: &str,
) -> Result<String, String> {
    let user = find_or_create(
        api,
        "/users",
        &json!({"email": {"_eq": email}}),
        &json!({
            "id": id,
            "email": email,
            "password": password,
            "role": role,
            "status": "active",
            "first_name": "drs",
            "last_name": email.split('@').next().unwrap_or(email)
        }),
    )?;
    let current = api.ok("GET", &format!("/users/{user}?fields=role,status"), None)?;
    let role_ok = current.pointer("/data/role").and_then(Value::as_str) == Some(role);
    let status_ok = current.pointer("/data/status").and_then(Value::as_str) == Some("active");
    if !role_ok || !status_ok {
        api.ok(
            "PATCH",
            &format!("/users/{user}"),
            Some(&json!({"role": role, "status": "active"})),
        )?;
    }
    // The password may have been changed by someone: make sure it logs in.
    if Api::new(&api.url).login(email, password).is_err() {
        api.ok(
            "PATCH",
            &format!("/users/{user}"),
            Some(&json!({"password": password})),
        )?;
        Api::new(&api.url).login(email, password).map_err(|e| {
            format!("{email} still cannot log in after resetting its password: {e}")
        })?;
    }
    Ok(user)
}

fn ensure_static_token(api: &Api, user: &str) -> Result<(), String> {
    let mut probe = Api::new(&api.url);
    probe.token = RefCell::new(Some(STATIC_TOKEN.to_owned()));
    let me = probe.send("GET", "/users/me?fields=id", None)?;
    if me.status == 200 && me.json.pointer("/data/id").and_then(Value::as_str) == Some(user) {
        return Ok(());
    }
    api.ok(
        "PATCH",
        &format!("/users/{user}"),
        Some(&json!({"token": STATIC_TOKEN})),
    )?;
    let me = probe.ok("GET", "/users/me?fields=id", None)?;
    if me.pointer("/data/id").and_then(Value::as_str) != Some(user) {
        return Err(format!(
            "the static token does not authenticate {TOKEN_EMAIL}: {me}"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A tiny REST helper over plain ureq.

struct Api {
    agent: ureq::Agent,
    url: String,
    token: RefCell<Option<String>>,
    /// Admin e-mail and password, to log in again when the access token expires.
    credentials: Option<(String, String)>,
}

struct Reply {
    status: u16,
    text: String,
    /// The body as JSON, `Null` when it is empty or not JSON.
    json: Value,
}

impl Reply {
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn describe(&self, method: &str, path: &str) -> String {
        let mut text = self.text.clone();
        if text.len() > 800 {
            text.truncate(800);
            text.push_str("...");
        }
        format!("{method} {path} answered {}: {text}", self.status)
    }
}

impl Api {
    fn new(url: &str) -> Api {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        Api {
            agent: ureq::Agent::new_with_config(config),
            url: url.trim_end_matches('/').to_owned(),
            token: RefCell::new(None),
            credentials: None,
        }
    }

    fn login(&self, email: &str, password: &str) -> Result<String, String> {
        // Without the (maybe expired) bearer token: Directus would refuse the request.
        let body = json!({"email": email, "password": password});
        let reply = self.send_once("POST", "/auth/login", Some(&body), false)?;
        if !reply.is_success() {
            return Err(reply.describe("POST", "/auth/login"));
        }
        str_at(&reply.json, "/data/access_token")
    }

    fn relogin(&self) -> Result<(), String> {
        if let Some((email, password)) = &self.credentials {
            let token = self.login(email, password)?;
            *self.token.borrow_mut() = Some(token);
        }
        Ok(())
    }

    /// Like [`Api::send_once`], but logs in again and retries once on a 401 (expired token).
    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply, String> {
        let reply = self.send_once(method, path, body, true)?;
        if reply.status == 401 && self.credentials.is_some() {
            self.relogin()?;
            return self.send_once(method, path, body, true);
        }
        Ok(reply)
    }

    fn send_once(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        with_token: bool,
    ) -> Result<Reply, String> {
        let url = format!("{}{}", self.url, path);
        let bearer = match with_token {
            true => self.token.borrow().as_ref().map(|t| format!("Bearer {t}")),
            false => None,
        };
        macro_rules! auth {
            ($builder:expr) => {{
                let builder = $builder;
                match &bearer {
                    Some(value) => builder.header("Authorization", value),
                    None => builder,
                }
            }};
        }
        let result = match (method, body) {
            ("GET", _) => auth!(self.agent.get(&url)).call(),
            ("DELETE", _) => auth!(self.agent.delete(&url)).call(),
            ("POST", Some(body)) => auth!(self.agent.post(&url)).send_json(body),
            ("POST", None) => auth!(self.agent.post(&url)).send_empty(),
            ("PATCH", Some(body)) => auth!(self.agent.patch(&url)).send_json(body),
            ("PATCH", None) => auth!(self.agent.patch(&url)).send_empty(),
            _ => return Err(format!("unsupported method {method}")),
        };
        let mut response = result.map_err(|e| {
            format!(
                "{method} {url} failed: {e} (is the Directus server running at {}?)",
                self.url
            )
        })?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("{method} {url}: reading the body failed: {e}"))?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply { status, text, json })
    }

    /// Sends and requires a 2xx status; answers the JSON body (`Null` for 204).
    fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let reply = self.send(method, path, body)?;
        if reply.is_success() {
            Ok(reply.json)
        } else {
            Err(reply.describe(method, path))
        }
    }
}

fn str_at(value: &Value, pointer: &str) -> Result<String, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("no string at {pointer} in {value}"))
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A lock file (`create_new`) held while [`ensure`] runs; removed on drop. A lock whose owner
/// process is gone, or that is older than two minutes, is taken over.
#[derive(Debug)]
struct LockFile(PathBuf);

impl LockFile {
    fn acquire(url: &str) -> Result<LockFile, String> {
        let name: String = url
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = std::env::temp_dir().join(format!("directus-rs-fixtures-{name}.lock"));
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(LockFile(path));
                }
                Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                    if LockFile::is_stale(&path) {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    if Instant::now() > deadline {
                        return Err(format!(
                            "waited 5 minutes for the fixture lock {}; delete it if no setup runs",
                            path.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(err) => {
                    return Err(format!(
                        "cannot create the lock file {}: {err}",
                        path.display()
                    ));
                }
            }
        }
    }

    fn is_stale(path: &PathBuf) -> bool {
        let too_old = fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(120));
        let owner_gone = fs::read_to_string(path)
            .ok()
            .and_then(|pid| pid.trim().parse::<u32>().ok())
            .is_some_and(|pid| {
                std::path::Path::new("/proc/self").exists()
                    && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            });
        too_old || owner_gone
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
