//! Rust models from a schema snapshot (feature `codegen`): one struct per collection, with serde
//! attributes, an [`Item`](crate::Item) impl and constants for its field names, so that
//! filters, sorts and field lists are checked by the compiler.
//!
//! A pure function of the snapshot: run it in a `build.rs` on a committed snapshot file (as
//! `prost-build` does with `.proto` files, or sqlx with its offline data), or from a small
//! program that asks a live server (`directus.schema_snapshot(..)`, then write the source).
//!
//! ```
//! use directus_proto::schema::Snapshot;
//! use directus_proto::schema::codegen::{self, Options};
//!
//! let snapshot = Snapshot::from_json(r#"{"version":1,"directus":"12.4.0","vendor":"sqlite",
//!   "collections":[{"collection":"products","meta":{},"schema":{"name":"products"}}],
//!   "fields":[
//!     {"collection":"products","field":"id","type":"integer","meta":{},"schema":{"is_primary_key":true,"is_nullable":false}},
//!     {"collection":"products","field":"name","type":"string","meta":{},"schema":{"is_nullable":true}}],
//!   "relations":[]}"#).unwrap();
//! let source = codegen::generate(&snapshot, &Options::new()).unwrap();
//! assert!(source.contains("pub struct Products {"));
//! assert!(source.contains("const COLLECTION: &'static str = \"products\";"));
//! assert!(source.contains("pub const NAME: &'static str = \"name\";"));
//! ```
//!
//! What the types are:
//!
//! | Directus type | Rust |
//! |---|---|
//! | `string`, `text`, `uuid`, `hash` | `String` |
//! | `dateTime`, `date`, `time`, `timestamp` | `String` as Directus writes them, or with [`DateTimes::Chrono`] `chrono::NaiveDateTime`, `NaiveDate`, `NaiveTime`, `DateTime<Utc>` |
//! | `integer`, `bigInteger` | `i64` (`bigInteger` read leniently: PostgreSQL answers strings) |
//! | `float` | `f64`, read leniently (numbers and numeric strings) |
//! | `decimal` | `f64` or exact `String`, see [`Decimal`]; both read numbers and strings |
//! | `boolean` | `bool` |
//! | `json` | `serde_json::Value` |
//! | `csv` | `Vec<String>` |
//! | many-to-one | `Option<Ref<T>>`: the key, or the item when the query expands it |
//! | one-to-many, many-to-many | `Option<Vec<Ref<T>>>` (`T` is the junction for an m2m) |
//! | others (`geometry`, ...) | `serde_json::Value` |
//!
//! A nullable column is an `Option`, and so are the primary key (absent before it is created)
//! and relations; a `NOT NULL` column is the plain type. Aliases without data (dividers,
//! groups) are left out. `None` fields are left out of writes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Field, Snapshot};
use crate::Error;

/// How decimals are typed.
///
/// ```
/// use directus_proto::schema::codegen::{Decimal, Options};
/// let _ = Options::new().decimal(Decimal::String);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Decimal {
    /// `f64`: easy arithmetic, not exact (read with
    /// [`aggregate::lenient`](crate::aggregate::lenient), which takes numbers and strings).
    #[default]
    F64,
    /// `String`: the exact value, for a decimal crate of your choice (read with
    /// [`schema::decimal`](crate::schema::decimal), which takes numbers and strings: SQLite
    /// answers `12.5` where PostgreSQL answers `"12.50"`).
    String,
}

/// How date and time columns are typed.
///
/// ```
/// use directus_proto::schema::codegen::{DateTimes, Options};
/// let _ = Options::new().date_times(DateTimes::Chrono);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DateTimes {
    /// `String`, as Directus writes them (`2024-05-01T12:00:00` for a `dateTime`,
    /// `2024-05-01T12:00:00.000Z` for a `timestamp`): no dependency.
    #[default]
    String,
    /// The `chrono` crate's types (your crate needs `chrono` with its `serde` feature):
    /// `dateTime` → `NaiveDateTime` (Directus keeps no zone), `timestamp` → `DateTime<Utc>`,
    /// `date` → `NaiveDate`, `time` → `NaiveTime`.
    Chrono,
}

/// Options of [`generate`].
///
/// ```
/// use directus_proto::schema::codegen::{Decimal, Options};
/// let o = Options::new().decimal(Decimal::String).crate_path("::directus_proto");
/// # let _ = o;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    decimal: Decimal,
    date_times: DateTimes,
    crate_path: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            decimal: Decimal::F64,
            date_times: DateTimes::String,
            crate_path: "::directus_proto".into(),
        }
    }
}

impl Options {
    /// Decimals as `f64`, `directus_proto` at `::directus_proto`.
    ///
    /// ```
    /// # use directus_proto::schema::codegen::Options;
    /// assert_eq!(Options::new(), Options::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How decimals are typed.
    ///
    /// ```
    /// # use directus_proto::schema::codegen::{Decimal, Options};
    /// let _ = Options::new().decimal(Decimal::F64);
    /// ```
    pub fn decimal(mut self, decimal: Decimal) -> Self {
        self.decimal = decimal;
        self
    }

    /// How date and time columns are typed (default: `String`).
    ///
    /// ```
    /// # use directus_proto::schema::codegen::{DateTimes, Options};
    /// let _ = Options::new().date_times(DateTimes::Chrono);
    /// ```
    pub fn date_times(mut self, date_times: DateTimes) -> Self {
        self.date_times = date_times;
        self
    }

    /// The path the generated code names `directus_proto` by (for a renamed dependency).
    ///
    /// ```
    /// # use directus_proto::schema::codegen::Options;
    /// let _ = Options::new().crate_path("::proto");
    /// ```
    pub fn crate_path(mut self, path: impl Into<String>) -> Self {
        self.crate_path = path.into();
        self
    }
}

/// The Rust source of the models of every collection of `snapshot` that has a table.
///
/// Names that are not Rust identifiers are made into ones (and renamed back for serde); two
/// collections or fields that would get the same name are numbered. Fails only on a snapshot
/// without any collection.
///
/// ```
/// use directus_proto::schema::{Snapshot, codegen};
/// let empty = Snapshot::from_json(r#"{"version":1,"directus":"12.4.0"}"#).unwrap();
/// assert!(codegen::generate(&empty, &codegen::Options::new()).is_err());
/// ```
pub fn generate(snapshot: &Snapshot, options: &Options) -> Result<String, Error> {
    let collections: Vec<&str> = snapshot
        .collections
        .iter()
        .filter(|c| c.schema.is_some())
        .filter_map(|c| c.collection.as_deref())
        .collect();
    if collections.is_empty() {
        return Err(Error::invalid(
            "the snapshot has no collection with a table to generate models for",
        ));
    }
    let mut taken = BTreeSet::new();
    let structs: BTreeMap<&str, String> = collections
        .iter()
        .map(|c| (*c, unique_name(pascal(c), &mut taken)))
        .collect();

    // (collection, field) → related collection; (related, alias) → collection of the many side.
    let mut m2o = BTreeMap::new();
    let mut o2m = BTreeMap::new();
    for r in &snapshot.relations {
        let (Some(collection), Some(field)) = (r.collection.as_deref(), r.field.as_deref()) else {
            continue;
        };
        if let Some(related) = r.related_collection.as_deref() {
            m2o.insert((collection, field), related);
            if let Some(alias) = r.meta.as_ref().and_then(|m| m.one_field.as_deref()) {
                o2m.insert((related, alias), collection);
            }
        }
    }

    let ctx = Context {
        options,
        structs: &structs,
        m2o: &m2o,
        o2m: &o2m,
        snapshot,
    };
    let mut out = String::new();
    out.push_str(&format!(
        "// @generated by directus_proto::schema::codegen from a Directus {} snapshot. Do not edit.\n",
        sanitize_doc(snapshot.directus.as_deref().unwrap_or("?"))
    ));
    for collection in &collections {
        ctx.write_struct(&mut out, collection);
    }
    Ok(out)
}

struct Context<'a> {
    options: &'a Options,
    structs: &'a BTreeMap<&'a str, String>,
    m2o: &'a BTreeMap<(&'a str, &'a str), &'a str>,
    o2m: &'a BTreeMap<(&'a str, &'a str), &'a str>,
    snapshot: &'a Snapshot,
}

/// One generated struct field.
struct Member {
    name: String,
    ident: String,
    ty: String,
    optional: bool,
    deserialize_with: Option<String>,
    /// The related struct of a many-to-one, for the nested constants.
    related: Option<String>,
}

impl Context<'_> {
    fn members(&self, collection: &str) -> Vec<Member> {
        let mut taken = BTreeSet::new();
        let mut members = Vec::new();
        for field in self.snapshot.fields_of(collection) {
            let Some(name) = field.field.as_deref() else {
                continue;
            };
            if let Some(member) = self.member(collection, name, field, &mut taken) {
                members.push(member);
            }
        }
        members
    }

    fn member(
        &self,
        collection: &str,
        name: &str,
        field: &Field,
        taken: &mut BTreeSet<String>,
    ) -> Option<Member> {
        let p = &self.options.crate_path;
        let ty_name = field.type_name().unwrap_or("unknown");
        let nullable = field
            .schema
            .as_ref()
            .and_then(|s| s.is_nullable)
            .unwrap_or(true);
        let mut member = Member {
            name: name.to_owned(),
            ident: String::new(),
            ty: String::new(),
            optional: nullable || field.is_primary_key(),
            deserialize_with: None,
            related: None,
        };
        if ty_name == "alias" {
            let many = self.o2m.get(&(collection, name))?;
            member.ty = format!("::std::vec::Vec<{p}::models::Ref<{}>>", self.target(many));
            member.optional = true;
        } else if let Some(related) = self.m2o.get(&(collection, name)) {
            member.ty = format!("{p}::models::Ref<{}>", self.target(related));
            member.optional = true;
            member.related = self.structs.get(related).cloned();
        } else {
            let (ty, lenient) = self.scalar(ty_name);
            member.ty = ty;
            member.deserialize_with = lenient
                .map(|(one, optional)| if member.optional { optional } else { one }.to_owned());
        }
        member.ident = unique_name(snake(name), taken);
        Some(member)
    }

    /// The Rust type of a related collection: its generated struct, a system model, or a key.
    fn target(&self, collection: &str) -> String {
        let p = &self.options.crate_path;
        if let Some(name) = self.structs.get(collection) {
            return name.clone();
        }
        let system = match collection {
            "directus_users" => "User",
            "directus_files" => "File",
            "directus_folders" => "Folder",
            "directus_roles" => "Role",
            "directus_policies" => "Policy",
            _ => return format!("{p}::Key"),
        };
        format!("{p}::models::{system}")
    }

    /// The type of a column and, for lenient ones, the deserializers (plain, optional).
    fn scalar(&self, ty: &str) -> (String, Option<(String, String)>) {
        let p = &self.options.crate_path;
        let lenient = |module: &str, plain: &str, optional: &str| {
            Some((
                format!("{p}::{module}::{plain}"),
                format!("{p}::{module}::{optional}"),
            ))
        };
        match ty {
            "dateTime" | "date" | "time" | "timestamp"
                if self.options.date_times == DateTimes::Chrono =>
            {
                let chrono = match ty {
                    "dateTime" => "::chrono::NaiveDateTime",
                    "date" => "::chrono::NaiveDate",
                    "time" => "::chrono::NaiveTime",
                    _ => "::chrono::DateTime<::chrono::Utc>",
                };
                (chrono.into(), None)
            }
            "string" | "text" | "uuid" | "hash" | "dateTime" | "date" | "time" | "timestamp" => {
                ("::std::string::String".into(), None)
            }
            "integer" => ("i64".into(), None),
            "bigInteger" => (
                "i64".into(),
                lenient(
                    "aggregate::lenient",
                    "deserialize_i64",
                    "deserialize_option_i64",
                ),
            ),
            // Read leniently like decimals: SQLite reports a `decimal` column as `float` until
            // the server reloads its schema, and then answers its values as strings.
            "float" => (
                "f64".into(),
                lenient(
                    "aggregate::lenient",
                    "deserialize_f64",
                    "deserialize_option_f64",
                ),
            ),
            "decimal" => match self.options.decimal {
                Decimal::F64 => (
                    "f64".into(),
                    lenient(
                        "aggregate::lenient",
                        "deserialize_f64",
                        "deserialize_option_f64",
                    ),
                ),
                Decimal::String => (
                    "::std::string::String".into(),
                    lenient(
                        "schema::decimal",
                        "deserialize_string",
                        "deserialize_option_string",
                    ),
                ),
            },
            "boolean" => ("bool".into(), None),
            "csv" => ("::std::vec::Vec<::std::string::String>".into(), None),
            _ => ("::serde_json::Value".into(), None),
        }
    }

    fn write_struct(&self, out: &mut String, collection: &str) {
        let Some(name) = self.structs.get(collection) else {
            return;
        };
        let members = self.members(collection);
        let p = &self.options.crate_path;
        let _ = writeln!(out);
        let _ = writeln!(out, "/// An item of `{}`.", sanitize_doc(collection));
        let _ = writeln!(
            out,
            "#[derive(Clone, Debug, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]"
        );
        let _ = writeln!(out, "pub struct {name} {{");
        for m in &members {
            let _ = writeln!(out, "    /// `{}`.", sanitize_doc(&m.name));
            let mut attrs = Vec::new();
            if strip_raw(&m.ident) != m.name {
                attrs.push(format!("rename = {:?}", m.name));
            }
            if m.optional {
                attrs.push("default".into());
                attrs.push("skip_serializing_if = \"::std::option::Option::is_none\"".into());
            }
            if let Some(with) = &m.deserialize_with {
                attrs.push(format!("deserialize_with = {with:?}"));
            }
            if !attrs.is_empty() {
                let _ = writeln!(out, "    #[serde({})]", attrs.join(", "));
            }
            let ty = if m.optional {
                format!("::std::option::Option<{}>", m.ty)
            } else {
                m.ty.clone()
            };
            let _ = writeln!(out, "    pub {}: {ty},", m.ident);
        }
        let _ = writeln!(out, "}}");
        let _ = writeln!(out);
        let _ = writeln!(out, "impl {p}::Item for {name} {{");
        let _ = writeln!(out, "    const COLLECTION: &'static str = {collection:?};");
        let _ = writeln!(out, "}}");
        let _ = writeln!(out);

        // Field-name constants: every field, then `relation.field` one level down.
        let _ = writeln!(
            out,
            "/// The field names of `{}`.",
            sanitize_doc(collection)
        );
        let _ = writeln!(out, "impl {name} {{");
        let mut consts = BTreeSet::from(["COLLECTION".to_owned()]);
        let pk = self
            .snapshot
            .fields_of(collection)
            .find(|f| f.is_primary_key())
            .and_then(|f| f.field.clone());
        if let Some(pk) = pk {
            consts.insert("PRIMARY_KEY".into());
            let _ = writeln!(out, "    /// The primary key's field.");
            let _ = writeln!(out, "    pub const PRIMARY_KEY: &'static str = {pk:?};");
        }
        let mut nested = Vec::new();
        for m in &members {
            let konst = upper(&strip_raw(&m.ident));
            if consts.insert(konst.clone()) {
                let _ = writeln!(out, "    /// `{}`.", sanitize_doc(&m.name));
                let _ = writeln!(out, "    pub const {konst}: &'static str = {:?};", m.name);
            }
            if let Some(related) = &m.related {
                let related_collection = self
                    .structs
                    .iter()
                    .find(|(_, s)| *s == related)
                    .map(|(c, _)| *c);
                if let Some(related_collection) = related_collection {
                    for inner in self.members(related_collection) {
                        if inner.related.is_some() || inner.ty.contains("::Vec<") {
                            continue;
                        }
                        nested.push((
                            format!("{konst}_{}", upper(&strip_raw(&inner.ident))),
                            format!("{}.{}", m.name, inner.name),
                        ));
                    }
                }
            }
        }
        for (konst, path) in nested {
            if consts.insert(konst.clone()) {
                let _ = writeln!(out, "    /// `{}`.", sanitize_doc(&path));
                let _ = writeln!(out, "    pub const {konst}: &'static str = {path:?};");
            }
        }
        let _ = writeln!(out, "}}");
    }
}

/// `drs_products` → `DrsProducts`; anything not alphanumeric separates words.
fn pascal(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'C');
    }
    if out == "Self" {
        out.push('_');
    }
    out
}

/// A field name as a Rust identifier: lower case, non-alphanumerics as `_`, keywords raw.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            out.push('_');
            prev_lower = false;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out.chars().all(|c| c == '_') {
        out = format!("f{out}");
    }
    match out.as_str() {
        "self" | "super" | "crate" | "extern" | "_" => format!("{out}_"),
        kw if KEYWORDS.contains(&kw) => format!("r#{kw}"),
        _ => out,
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "try", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual", "yield",
];

fn strip_raw(ident: &str) -> String {
    ident.trim_start_matches("r#").to_owned()
}

fn upper(ident: &str) -> String {
    let up = ident.trim_start_matches('_').to_ascii_uppercase();
    if up.is_empty() || up.starts_with(|c: char| c.is_ascii_digit()) {
        format!("F_{up}")
    } else {
        up
    }
}

/// `name`, or `name2`, `name3`... when taken.
fn unique_name(name: String, taken: &mut BTreeSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    let mut n: u64 = 2;
    loop {
        let candidate = format!("{}{n}", strip_raw(&name));
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n = n.saturating_add(1);
    }
}

/// Text safe inside a `///` line and backticks.
fn sanitize_doc(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || c == '`' { ' ' } else { c })
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal("drs_products"), "DrsProducts");
        assert_eq!(pascal("1st-try"), "C1stTry");
        assert_eq!(pascal("__"), "C");
        assert_eq!(snake("releasedAt"), "released_at");
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("9 lives"), "_9_lives");
        assert_eq!(snake("-"), "f_");
        assert_eq!(upper("r#type".trim_start_matches("r#")), "TYPE");
        let mut taken = BTreeSet::new();
        assert_eq!(unique_name("a".into(), &mut taken), "a");
        assert_eq!(unique_name("a".into(), &mut taken), "a2");
        assert_eq!(unique_name("r#type".into(), &mut taken), "r#type");
        assert_eq!(unique_name("r#type".into(), &mut taken), "type2");
    }

    #[test]
    fn hostile_names_make_valid_literals() {
        let json = r#"{"version":1,"directus":"12\n//","collections":[{"collection":"a\"b","schema":{}}],
            "fields":[{"collection":"a\"b","field":"x\"}\n","type":"string","schema":{}}],"relations":[]}"#;
        let snapshot = Snapshot::from_json(json).unwrap();
        let source = generate(&snapshot, &Options::new()).unwrap();
        assert!(
            source.contains(r#"const COLLECTION: &'static str = "a\"b";"#),
            "{source}"
        );
        assert!(source.contains(r#"rename = "x\"}\n""#), "{source}");
        assert!(source.starts_with("// @generated"));
        assert_eq!(source.lines().nth(1), Some(""));
    }
}
