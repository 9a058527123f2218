//! Typed collections, fields and relations, and the builders that make a schema read like one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Item;
use crate::aggregate::lenient::deserialize_option_i64 as lenient_i64;

/// Declares a struct whose every field is optional (left out of writes when `None`) and that
/// keeps the fields it does not name in `extra`, like [`models`](crate::models).
macro_rules! open_struct {
    (
        $(#[$meta:meta])*
        $name:ident;
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
            /// The fields this model does not name (and those of newer Directus versions).
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

open_struct! {
    /// A collection (`/collections`): its name, app metadata and table; on create, its fields.
    ///
    /// ```
    /// use directus_proto::schema::{Collection, Field};
    /// let c = Collection::new("notes").note("Notes").field(Field::integer_pk("id")).field(Field::text("body"));
    /// let json = serde_json::to_value(&c).unwrap();
    /// assert_eq!(json["schema"], serde_json::json!({}));
    /// assert_eq!(json["fields"][1]["type"], "text");
    /// ```
    Collection;
    /// The collection's name (its key).
    collection: String,
    /// App metadata (the `directus_collections` row).
    meta: CollectionMeta,
    /// The table (`None` for a folder: a collection without a table).
    schema: CollectionSchema,
    /// Fields to create with the collection (create only).
    fields: Vec<Field>,
}

impl Item for Collection {
    const COLLECTION: &'static str = "directus_collections";
}

open_struct! {
    /// A collection's app metadata.
    ///
    /// ```
    /// use directus_proto::schema::CollectionMeta;
    /// let m: CollectionMeta = serde_json::from_str(r#"{"singleton":true,"icon":"box","color":"red"}"#).unwrap();
    /// assert_eq!((m.singleton, m.extra["color"].as_str()), (Some(true), Some("red")));
    /// ```
    CollectionMeta;
    /// A note shown in the app.
    note: String,
    /// Material icon name.
    icon: String,
    /// Hidden in the app's navigation.
    hidden: bool,
    /// One item only (`GET /items/{collection}` answers the object).
    singleton: bool,
    /// Content versioning enabled.
    versioning: bool,
    /// The field used for manual sorting.
    sort_field: String,
    /// The field used for archiving.
    archive_field: String,
    /// Display template of an item.
    display_template: String,
    /// `all`, `activity` or `None` (activity tracking).
    accountability: String,
    /// Parent collection (folder) in the navigation.
    group: String,
    /// Position in the navigation.
    #[serde(deserialize_with = "lenient_i64")]
    sort: i64,
}

open_struct! {
    /// A collection's table information.
    ///
    /// ```
    /// use directus_proto::schema::CollectionSchema;
    /// let s: CollectionSchema = serde_json::from_str(r#"{"name":"notes","comment":null}"#).unwrap();
    /// assert_eq!(s.name.as_deref(), Some("notes"));
    /// ```
    CollectionSchema;
    /// The table name.
    name: String,
    /// The table comment.
    comment: String,
}

open_struct! {
    /// A field (`/fields`): name, Directus type, app metadata and column.
    ///
    /// ```
    /// use directus_proto::schema::Field;
    /// let f = Field::decimal("price", 10, 2).note("Unit price");
    /// assert_eq!(
    ///     serde_json::to_string(&f).unwrap(),
    ///     r#"{"field":"price","type":"decimal","meta":{"interface":"input","note":"Unit price"},"schema":{"numeric_precision":10,"numeric_scale":2}}"#
    /// );
    /// ```
    Field;
    /// The collection (on reads).
    collection: String,
    /// The field's name.
    field: String,
    /// Directus type: `string`, `text`, `integer`, `bigInteger`, `decimal`, `float`, `boolean`,
    /// `dateTime`, `date`, `time`, `timestamp`, `json`, `uuid`, `alias`, ...
    r#type: String,
    /// App metadata (the `directus_fields` row; `None` for a column Directus does not manage).
    meta: FieldMeta,
    /// The column (`None` for alias fields such as o2m and m2m).
    schema: FieldSchema,
}

open_struct! {
    /// A field's app metadata.
    ///
    /// ```
    /// use directus_proto::schema::FieldMeta;
    /// let m: FieldMeta = serde_json::from_str(r#"{"special":["m2o"],"interface":"select-dropdown-m2o","width":"full"}"#).unwrap();
    /// assert!(m.has_special("m2o"));
    /// ```
    FieldMeta;
    /// The `directus_fields` row id.
    #[serde(deserialize_with = "lenient_i64")]
    id: i64,
    /// Special flags: `uuid`, `m2o`, `o2m`, `m2m`, `cast-boolean`, `cast-json`, `date-created`, ...
    special: Vec<String>,
    /// The app interface (`input`, `input-multiline`, `boolean`, `datetime`, ...).
    interface: String,
    /// The interface's options.
    options: Value,
    /// The display.
    display: String,
    /// The display's options.
    display_options: Value,
    /// Read-only in the app.
    readonly: bool,
    /// Hidden in the app.
    hidden: bool,
    /// Required in the app.
    required: bool,
    /// Position in the form.
    #[serde(deserialize_with = "lenient_i64")]
    sort: i64,
    /// `half`, `full`, `fill`.
    width: String,
    /// A note shown under the field.
    note: String,
    /// The group field it sits in.
    group: String,
    /// Validation filter.
    validation: Value,
    /// Conditions.
    conditions: Value,
}

impl FieldMeta {
    /// Whether `special` holds `flag`.
    ///
    /// ```
    /// # use directus_proto::schema::FieldMeta;
    /// assert!(!FieldMeta::default().has_special("o2m"));
    /// ```
    pub fn has_special(&self, flag: &str) -> bool {
        self.special.iter().flatten().any(|s| s == flag)
    }
}

open_struct! {
    /// A field's column.
    ///
    /// ```
    /// use directus_proto::schema::FieldSchema;
    /// let s: FieldSchema = serde_json::from_str(r#"{"data_type":"integer","is_nullable":false,"is_primary_key":true,"numeric_precision":"10"}"#).unwrap();
    /// assert_eq!((s.is_primary_key, s.numeric_precision), (Some(true), Some(10)));
    /// ```
    FieldSchema;
    /// The column name.
    name: String,
    /// The table.
    table: String,
    /// The database type (`integer`, `varchar`, `numeric`, ...).
    data_type: String,
    /// The default value.
    default_value: Value,
    /// Maximum length of strings.
    #[serde(deserialize_with = "lenient_i64")]
    max_length: i64,
    /// Digits of a decimal.
    #[serde(deserialize_with = "lenient_i64")]
    numeric_precision: i64,
    /// Digits after the point of a decimal.
    #[serde(deserialize_with = "lenient_i64")]
    numeric_scale: i64,
    /// Whether the column accepts `NULL`.
    is_nullable: bool,
    /// Unique constraint.
    is_unique: bool,
    /// Indexed.
    is_indexed: bool,
    /// The primary key.
    is_primary_key: bool,
    /// Generated column.
    is_generated: bool,
    /// Auto-incremented.
    has_auto_increment: bool,
    /// The table its foreign key points at.
    foreign_key_table: String,
    /// The column its foreign key points at.
    foreign_key_column: String,
    /// The column comment.
    comment: String,
}

open_struct! {
    /// A relation (`/relations`): the foreign key `collection.field` and what it points at.
    ///
    /// ```
    /// use directus_proto::schema::Relation;
    /// let r = Relation::many_to_one("products", "supplier", "suppliers").one_field("products");
    /// assert_eq!(
    ///     serde_json::to_string(&r).unwrap(),
    ///     r#"{"collection":"products","field":"supplier","related_collection":"suppliers","meta":{"one_field":"products"}}"#
    /// );
    /// ```
    Relation;
    /// The collection holding the foreign key (the "many" side).
    collection: String,
    /// The foreign key field.
    field: String,
    /// The related collection (`None` for many-to-any).
    related_collection: String,
    /// App metadata (the `directus_relations` row).
    meta: RelationMeta,
    /// The foreign key constraint.
    schema: RelationSchema,
}

open_struct! {
    /// A relation's app metadata.
    ///
    /// ```
    /// use directus_proto::schema::RelationMeta;
    /// let m: RelationMeta = serde_json::from_str(r#"{"one_field":"tags","junction_field":"tag_id"}"#).unwrap();
    /// assert_eq!(m.junction_field.as_deref(), Some("tag_id"));
    /// ```
    RelationMeta;
    /// The `directus_relations` row id.
    #[serde(deserialize_with = "lenient_i64")]
    id: i64,
    /// The o2m alias on the related collection.
    one_field: String,
    /// The other foreign key of a junction (m2m).
    junction_field: String,
    /// Sort field of the o2m side.
    sort_field: String,
    /// `nullify` or `delete`: what happens to the many side when it is deselected.
    one_deselect_action: String,
    /// The collection field of a many-to-any.
    one_collection_field: String,
    /// The allowed collections of a many-to-any.
    one_allowed_collections: Vec<String>,
}

open_struct! {
    /// A relation's foreign key constraint.
    ///
    /// ```
    /// use directus_proto::schema::RelationSchema;
    /// let s: RelationSchema = serde_json::from_str(r#"{"on_delete":"SET NULL","constraint_name":"x"}"#).unwrap();
    /// assert_eq!(s.on_delete.as_deref(), Some("SET NULL"));
    /// ```
    RelationSchema;
    /// The table holding the foreign key.
    table: String,
    /// The foreign key column.
    column: String,
    /// The table it points at.
    foreign_key_table: String,
    /// The column it points at.
    foreign_key_column: String,
    /// The constraint name.
    constraint_name: String,
    /// `SET NULL`, `CASCADE`, `NO ACTION`, ...
    on_delete: String,
    /// `NO ACTION`, ...
    on_update: String,
}

// ---- Collections --------------------------------------------------------------------------

impl Collection {
    /// A collection with a table of this name, managed by Directus (it has metadata: without,
    /// the table would exist but Directus would neither show nor snapshot it). Add its
    /// primary key with [`Collection::field`].
    ///
    /// ```
    /// # use directus_proto::schema::Collection;
    /// assert_eq!(
    ///     serde_json::to_string(&Collection::new("notes")).unwrap(),
    ///     r#"{"collection":"notes","meta":{},"schema":{}}"#
    /// );
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Collection {
            collection: Some(name.into()),
            meta: Some(CollectionMeta::default()),
            schema: Some(CollectionSchema::default()),
            ..Default::default()
        }
    }

    /// A singleton: one item, read and written without a key.
    ///
    /// ```
    /// # use directus_proto::schema::Collection;
    /// assert_eq!(Collection::singleton("site").meta.unwrap().singleton, Some(true));
    /// ```
    pub fn singleton(name: impl Into<String>) -> Self {
        let mut c = Collection::new(name);
        c.meta_mut().singleton = Some(true);
        c
    }

    /// A folder: a collection without a table, grouping others in the app.
    ///
    /// ```
    /// # use directus_proto::schema::Collection;
    /// assert_eq!(serde_json::to_string(&Collection::folder("shop")).unwrap(), r#"{"collection":"shop","meta":{}}"#);
    /// ```
    pub fn folder(name: impl Into<String>) -> Self {
        Collection {
            collection: Some(name.into()),
            meta: Some(CollectionMeta::default()),
            ..Default::default()
        }
    }

    /// The metadata, created empty if missing.
    ///
    /// ```
    /// # use directus_proto::schema::Collection;
    /// let mut c = Collection::new("a");
    /// c.meta_mut().icon = Some("box".into());
    /// ```
    pub fn meta_mut(&mut self) -> &mut CollectionMeta {
        self.meta.get_or_insert_with(Default::default)
    }

    /// Sets the app note.
    ///
    /// ```
    /// # use directus_proto::schema::Collection;
    /// assert_eq!(Collection::new("a").note("n").meta.unwrap().note.as_deref(), Some("n"));
    /// ```
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.meta_mut().note = Some(note.into());
        self
    }

    /// Adds a field to create with the collection.
    ///
    /// ```
    /// # use directus_proto::schema::{Collection, Field};
    /// assert_eq!(Collection::new("a").field(Field::uuid_pk("id")).fields.unwrap().len(), 1);
    /// ```
    pub fn field(mut self, field: Field) -> Self {
        self.fields.get_or_insert_with(Vec::new).push(field);
        self
    }

    /// Adds several fields to create with the collection.
    ///
    /// ```
    /// # use directus_proto::schema::{Collection, Field};
    /// let c = Collection::new("a").fields([Field::integer_pk("id"), Field::string("name")]);
    /// assert_eq!(c.fields.unwrap().len(), 2);
    /// ```
    pub fn fields(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.fields.get_or_insert_with(Vec::new).extend(fields);
        self
    }

    /// Whether the collection is a singleton.
    ///
    /// ```
    /// # use directus_proto::schema::Collection;
    /// assert!(Collection::singleton("a").is_singleton() && !Collection::new("b").is_singleton());
    /// ```
    pub fn is_singleton(&self) -> bool {
        self.meta
            .as_ref()
            .and_then(|m| m.singleton)
            .unwrap_or(false)
    }
}

// ---- Fields -------------------------------------------------------------------------------

impl Field {
    /// A field of this name and Directus type, with empty metadata and column.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(serde_json::to_string(&Field::new("n", "integer")).unwrap(), r#"{"field":"n","type":"integer","meta":{},"schema":{}}"#);
    /// ```
    pub fn new(field: impl Into<String>, r#type: impl Into<String>) -> Self {
        Field {
            field: Some(field.into()),
            r#type: Some(r#type.into()),
            meta: Some(FieldMeta::default()),
            schema: Some(FieldSchema::default()),
            ..Default::default()
        }
    }

    fn with_interface(mut self, interface: &str) -> Self {
        self.meta_mut().interface = Some(interface.into());
        self
    }

    fn with_special(mut self, flag: &str) -> Self {
        self.meta_mut()
            .special
            .get_or_insert_with(Vec::new)
            .push(flag.into());
        self
    }

    /// A string (`varchar(255)`).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::string("name").r#type.as_deref(), Some("string"));
    /// ```
    pub fn string(name: impl Into<String>) -> Self {
        Field::new(name, "string").with_interface("input")
    }

    /// A long text.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::text("body").r#type.as_deref(), Some("text"));
    /// ```
    pub fn text(name: impl Into<String>) -> Self {
        Field::new(name, "text").with_interface("input-multiline")
    }

    /// A 32-bit integer.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::integer("stock").r#type.as_deref(), Some("integer"));
    /// ```
    pub fn integer(name: impl Into<String>) -> Self {
        Field::new(name, "integer").with_interface("input")
    }

    /// A 64-bit integer (PostgreSQL answers it as a string).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::big_integer("views").r#type.as_deref(), Some("bigInteger"));
    /// ```
    pub fn big_integer(name: impl Into<String>) -> Self {
        Field::new(name, "bigInteger").with_interface("input")
    }

    /// A decimal with `precision` digits, `scale` of them after the point (PostgreSQL answers
    /// it as a string, SQLite as a number).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::decimal("price", 10, 2).schema.unwrap().numeric_scale, Some(2));
    /// ```
    pub fn decimal(name: impl Into<String>, precision: u32, scale: u32) -> Self {
        let mut f = Field::new(name, "decimal").with_interface("input");
        let schema = f.schema_mut();
        schema.numeric_precision = Some(i64::from(precision));
        schema.numeric_scale = Some(i64::from(scale));
        f
    }

    /// A boolean (`cast-boolean`, so SQLite's 0/1 reads as `false`/`true`).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert!(Field::boolean("active").meta.unwrap().has_special("cast-boolean"));
    /// ```
    pub fn boolean(name: impl Into<String>) -> Self {
        Field::new(name, "boolean")
            .with_special("cast-boolean")
            .with_interface("boolean")
    }

    /// A date and time without a zone (`dateTime`; reads as `"2024-05-01T10:20:30"`).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::date_time("at").r#type.as_deref(), Some("dateTime"));
    /// ```
    pub fn date_time(name: impl Into<String>) -> Self {
        Field::new(name, "dateTime").with_interface("datetime")
    }

    /// A JSON value (`cast-json`).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert!(Field::json("attrs").meta.unwrap().has_special("cast-json"));
    /// ```
    pub fn json(name: impl Into<String>) -> Self {
        Field::new(name, "json")
            .with_special("cast-json")
            .with_interface("input-code")
    }

    /// A UUID column (not a key; see [`Field::uuid_pk`]).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::uuid("token").r#type.as_deref(), Some("uuid"));
    /// ```
    pub fn uuid(name: impl Into<String>) -> Self {
        Field::new(name, "uuid").with_interface("input")
    }

    /// A UUID primary key, generated by Directus on create.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// let id = Field::uuid_pk("id");
    /// assert_eq!(id.schema.unwrap().is_primary_key, Some(true));
    /// assert!(id.meta.unwrap().has_special("uuid"));
    /// ```
    pub fn uuid_pk(name: impl Into<String>) -> Self {
        let mut f = Field::new(name, "uuid").with_special("uuid").hidden();
        f.meta_mut().readonly = Some(true);
        f.meta_mut().interface = Some("input".into());
        f.schema_mut().is_primary_key = Some(true);
        f
    }

    /// An auto-incremented integer primary key.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::integer_pk("id").schema.unwrap().has_auto_increment, Some(true));
    /// ```
    pub fn integer_pk(name: impl Into<String>) -> Self {
        let mut f = Field::integer(name).hidden();
        f.meta_mut().readonly = Some(true);
        let schema = f.schema_mut();
        schema.is_primary_key = Some(true);
        schema.has_auto_increment = Some(true);
        f
    }

    /// A many-to-one foreign key whose column has `key_type`, the type of the related
    /// collection's primary key (`integer`, `uuid`, `string`); add its
    /// [`Relation::many_to_one`].
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// let f = Field::m2o("supplier", "integer");
    /// assert!(f.meta.unwrap().has_special("m2o"));
    /// ```
    pub fn m2o(name: impl Into<String>, key_type: impl Into<String>) -> Self {
        Field::new(name, key_type)
            .with_special("m2o")
            .with_interface("select-dropdown-m2o")
    }

    /// A one-to-many alias (no column): the items of another collection whose foreign key
    /// points here; its relation is the other side's [`Relation::many_to_one`] with
    /// [`Relation::one_field`].
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// let f = Field::o2m("products");
    /// assert_eq!((f.r#type.as_deref(), f.schema.is_none()), (Some("alias"), true));
    /// ```
    pub fn o2m(name: impl Into<String>) -> Self {
        Field::alias(name, "o2m", "list-o2m")
    }

    /// A many-to-many alias (no column) through a junction collection; see [`ManyToMany`].
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert!(Field::m2m("tags").meta.unwrap().has_special("m2m"));
    /// ```
    pub fn m2m(name: impl Into<String>) -> Self {
        Field::alias(name, "m2m", "list-m2m")
    }

    fn alias(name: impl Into<String>, special: &str, interface: &str) -> Self {
        let mut f = Field::new(name, "alias")
            .with_special(special)
            .with_interface(interface);
        f.schema = None;
        f
    }

    /// The metadata, created empty if missing.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// let mut f = Field::string("a");
    /// f.meta_mut().width = Some("half".into());
    /// ```
    pub fn meta_mut(&mut self) -> &mut FieldMeta {
        self.meta.get_or_insert_with(Default::default)
    }

    /// The column, created empty if missing.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// let mut f = Field::string("code");
    /// f.schema_mut().max_length = Some(8);
    /// ```
    pub fn schema_mut(&mut self) -> &mut FieldSchema {
        self.schema.get_or_insert_with(Default::default)
    }

    /// Sets the app note.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::string("a").note("n").meta.unwrap().note.as_deref(), Some("n"));
    /// ```
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.meta_mut().note = Some(note.into());
        self
    }

    /// Hidden in the app.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::string("a").hidden().meta.unwrap().hidden, Some(true));
    /// ```
    pub fn hidden(mut self) -> Self {
        self.meta_mut().hidden = Some(true);
        self
    }

    /// Required: `NOT NULL` in the database and required in the app.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::string("a").required().schema.unwrap().is_nullable, Some(false));
    /// ```
    pub fn required(mut self) -> Self {
        self.meta_mut().required = Some(true);
        self.schema_mut().is_nullable = Some(false);
        self
    }

    /// A unique column.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::string("sku").unique().schema.unwrap().is_unique, Some(true));
    /// ```
    pub fn unique(mut self) -> Self {
        self.schema_mut().is_unique = Some(true);
        self
    }

    /// The column's default value.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::integer("stock").default_value(0).schema.unwrap().default_value, Some(0.into()));
    /// ```
    pub fn default_value(mut self, value: impl Into<Value>) -> Self {
        self.schema_mut().default_value = Some(value.into());
        self
    }

    /// The Directus type (`None` if not read).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert_eq!(Field::json("a").type_name(), Some("json"));
    /// ```
    pub fn type_name(&self) -> Option<&str> {
        self.r#type.as_deref()
    }

    /// Whether `meta.special` holds `flag` (`m2o`, `o2m`, `m2m`, `uuid`, ...).
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert!(Field::o2m("a").has_special("o2m"));
    /// ```
    pub fn has_special(&self, flag: &str) -> bool {
        self.meta.as_ref().is_some_and(|m| m.has_special(flag))
    }

    /// Whether this is the primary key.
    ///
    /// ```
    /// # use directus_proto::schema::Field;
    /// assert!(Field::uuid_pk("id").is_primary_key());
    /// ```
    pub fn is_primary_key(&self) -> bool {
        self.schema
            .as_ref()
            .and_then(|s| s.is_primary_key)
            .unwrap_or(false)
    }
}

// ---- Relations ----------------------------------------------------------------------------

impl Relation {
    /// A many-to-one relation: `collection.field` holds a key of `related_collection`.
    ///
    /// ```
    /// # use directus_proto::schema::Relation;
    /// assert_eq!(Relation::many_to_one("a", "b", "c").field.as_deref(), Some("b"));
    /// ```
    pub fn many_to_one(
        collection: impl Into<String>,
        field: impl Into<String>,
        related_collection: impl Into<String>,
    ) -> Self {
        Relation {
            collection: Some(collection.into()),
            field: Some(field.into()),
            related_collection: Some(related_collection.into()),
            ..Default::default()
        }
    }

    /// Names the one-to-many alias on the related collection (makes it an o2m as well).
    ///
    /// ```
    /// # use directus_proto::schema::Relation;
    /// let r = Relation::many_to_one("products", "supplier", "suppliers").one_field("products");
    /// assert_eq!(r.meta.unwrap().one_field.as_deref(), Some("products"));
    /// ```
    pub fn one_field(mut self, alias: impl Into<String>) -> Self {
        self.meta_mut().one_field = Some(alias.into());
        self
    }

    /// What the database does with the foreign key when the related item is deleted
    /// (`SET NULL`, `CASCADE`, ...).
    ///
    /// ```
    /// # use directus_proto::schema::Relation;
    /// let r = Relation::many_to_one("a", "b", "c").on_delete("CASCADE");
    /// assert_eq!(r.schema.unwrap().on_delete.as_deref(), Some("CASCADE"));
    /// ```
    pub fn on_delete(mut self, action: impl Into<String>) -> Self {
        self.schema.get_or_insert_with(Default::default).on_delete = Some(action.into());
        self
    }

    /// The metadata, created empty if missing.
    ///
    /// ```
    /// # use directus_proto::schema::Relation;
    /// let mut r = Relation::many_to_one("a", "b", "c");
    /// r.meta_mut().sort_field = Some("sort".into());
    /// ```
    pub fn meta_mut(&mut self) -> &mut RelationMeta {
        self.meta.get_or_insert_with(Default::default)
    }
}

/// A many-to-many relation through a junction collection, as the three things Directus needs:
/// the junction collection (its key and two foreign keys), the alias on the parent, and the two
/// relations of the junction's foreign keys.
///
/// The junction's foreign keys are named `{collection}_id` and `{related}_id` (for a relation
/// of a collection to itself, the second is `related_{related}_id`).
///
/// ```
/// use directus_proto::schema::ManyToMany;
/// let m2m = ManyToMany::new("posts", "tags", "tags", "posts_tags");
/// assert_eq!(m2m.junction.collection.as_deref(), Some("posts_tags"));
/// assert_eq!(m2m.alias.field.as_deref(), Some("tags"));
/// assert_eq!(m2m.relations[0].meta.as_ref().unwrap().junction_field.as_deref(), Some("tags_id"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ManyToMany {
    /// The junction collection to create (integer key and both foreign keys).
    pub junction: Collection,
    /// The alias field to add to the parent collection.
    pub alias: Field,
    /// The relations to create: junction → parent (with the alias as its `one_field`), then
    /// junction → related.
    pub relations: [Relation; 2],
}

impl ManyToMany {
    /// `collection.alias` lists items of `related` through `junction`; both keys are integers
    /// (see [`ManyToMany::with_key_types`]).
    ///
    /// ```
    /// # use directus_proto::schema::ManyToMany;
    /// let m = ManyToMany::new("a", "bs", "b", "a_b");
    /// assert_eq!(m.relations[1].related_collection.as_deref(), Some("b"));
    /// ```
    pub fn new(collection: &str, alias: &str, related: &str, junction: &str) -> Self {
        Self::with_key_types(collection, alias, related, junction, "integer", "integer")
    }

    /// Like [`ManyToMany::new`], with the key types of the parent and the related collection.
    ///
    /// ```
    /// # use directus_proto::schema::ManyToMany;
    /// let m = ManyToMany::with_key_types("a", "bs", "b", "a_b", "uuid", "integer");
    /// assert_eq!(m.junction.fields.unwrap()[1].r#type.as_deref(), Some("uuid"));
    /// ```
    pub fn with_key_types(
        collection: &str,
        alias: &str,
        related: &str,
        junction: &str,
        collection_key_type: &str,
        related_key_type: &str,
    ) -> Self {
        let left = format!("{collection}_id");
        let right = if collection == related {
            format!("related_{related}_id")
        } else {
            format!("{related}_id")
        };
        let hidden = |name: &str, ty: &str| {
            let mut f = Field::new(name, ty);
            f.meta_mut().hidden = Some(true);
            f
        };
        let fields = [
            Field::integer_pk("id"),
            hidden(&left, collection_key_type),
            hidden(&right, related_key_type),
        ];
        let mut junction_collection = Collection::new(junction).fields(fields);
        junction_collection.meta_mut().hidden = Some(true);
        let mut to_parent =
            Relation::many_to_one(junction, &left, collection).on_delete("SET NULL");
        to_parent.meta_mut().one_field = Some(alias.into());
        to_parent.meta_mut().junction_field = Some(right.clone());
        let mut to_related = Relation::many_to_one(junction, &right, related).on_delete("SET NULL");
        to_related.meta_mut().junction_field = Some(left);
        ManyToMany {
            junction: junction_collection,
            alias: Field::m2m(alias),
            relations: [to_parent, to_related],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builders_serialize_as_directus_expects() {
        assert_eq!(
            serde_json::to_value(Field::uuid_pk("id")).unwrap(),
            json!({"field":"id","type":"uuid","meta":{"special":["uuid"],"interface":"input","readonly":true,"hidden":true},"schema":{"is_primary_key":true}})
        );
        assert_eq!(
            serde_json::to_value(Field::o2m("products")).unwrap(),
            json!({"field":"products","type":"alias","meta":{"special":["o2m"],"interface":"list-o2m"}})
        );
        assert_eq!(
            serde_json::to_value(Field::string("a")).unwrap()["schema"],
            json!({})
        );
        let m2m = ManyToMany::new("posts", "similar", "posts", "posts_similar");
        assert_eq!(m2m.relations[1].field.as_deref(), Some("related_posts_id"));
    }

    #[test]
    fn reads_keep_unknown_fields() {
        let f: Field = serde_json::from_str(
            r#"{"collection":"a","field":"b","type":"string","meta":{"x":1},"schema":{"y":2},"z":3}"#,
        )
        .unwrap();
        assert_eq!(f.meta.unwrap().extra["x"], 1);
        assert_eq!(f.schema.unwrap().extra["y"], 2);
        assert_eq!(f.extra["z"], 3);
        let alias: Field =
            serde_json::from_str(r#"{"field":"p","type":"alias","schema":null,"meta":null}"#)
                .unwrap();
        assert!(alias.schema.is_none() && alias.meta.is_none());
    }
}
