//! Schema as code: collections, fields and relations, snapshots, and migrations between
//! servers; one-line calls of [`directus_proto::schema`].

use directus_proto::schema::{
    self, Collection, Diff, DiffOptions, Field, Migrate, Migration, Relation, Snapshot,
    SnapshotScope,
};

use crate::Directus;

impl Directus {
    /// The collections (`GET /collections`), system ones included.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// for c in directus.schema_collections()? { println!("{:?}", c.collection); }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_collections(&self) -> crate::Result<Vec<Collection>> {
        self.run(schema::collections(self.base_url())?)
    }

    /// One collection (`GET /collections/{name}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let singleton = directus.schema_collection("settings")?.is_singleton();
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_collection(&self, name: &str) -> crate::Result<Collection> {
        self.run(schema::collection(self.base_url(), name)?)
    }

    /// Creates a collection, its table and its fields (`POST /collections`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.create_collection(&Collection::new("notes").fields([Field::uuid_pk("id"), Field::text("body")]))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create_collection(&self, collection: &Collection) -> crate::Result<Option<Collection>> {
        self.run(schema::create_collection(self.base_url(), collection)?)
    }

    /// Updates a collection's metadata (`PATCH /collections/{name}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.update_collection("notes", &Collection::default().note("Team notes"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_collection(
        &self,
        name: &str,
        patch: &Collection,
    ) -> crate::Result<Option<Collection>> {
        self.run(schema::update_collection(self.base_url(), name, patch)?)
    }

    /// Deletes a collection, its table and its items (`DELETE /collections/{name}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.delete_collection("notes")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn delete_collection(&self, name: &str) -> crate::Result<()> {
        self.run(schema::delete_collection(self.base_url(), name)?)
    }

    /// Every field of every collection (`GET /fields`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let fields = directus.schema_all_fields()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_all_fields(&self) -> crate::Result<Vec<Field>> {
        self.run(schema::all_fields(self.base_url())?)
    }

    /// The fields of a collection (`GET /fields/{collection}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let fields = directus.schema_fields("products")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_fields(&self, collection: &str) -> crate::Result<Vec<Field>> {
        self.run(schema::fields(self.base_url(), collection)?)
    }

    /// One field (`GET /fields/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let price = directus.schema_field("products", "price")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_field(&self, collection: &str, field: &str) -> crate::Result<Field> {
        self.run(schema::field(self.base_url(), collection, field)?)
    }

    /// Adds a field and its column (`POST /fields/{collection}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.create_field("products", &Field::decimal("weight", 8, 3))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create_field(&self, collection: &str, field: &Field) -> crate::Result<Option<Field>> {
        self.run(schema::create_field(self.base_url(), collection, field)?)
    }

    /// Updates a field's type, metadata or column (`PATCH /fields/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.update_field("products", "name", &Field::default().note("Shown on the card"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_field(
        &self,
        collection: &str,
        field: &str,
        patch: &Field,
    ) -> crate::Result<Option<Field>> {
        self.run(schema::update_field(
            self.base_url(),
            collection,
            field,
            patch,
        )?)
    }

    /// Updates several fields of a collection at once (`PATCH /fields/{collection}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let mut name = Field { field: Some("name".into()), ..Default::default() };
    /// name.meta_mut().sort = Some(1);
    /// directus.update_fields("products", &[name])?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_fields(
        &self,
        collection: &str,
        patches: &[Field],
    ) -> crate::Result<Option<Vec<Field>>> {
        self.run(schema::update_fields(self.base_url(), collection, patches)?)
    }

    /// Deletes a field and its column (`DELETE /fields/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.delete_field("products", "weight")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn delete_field(&self, collection: &str, field: &str) -> crate::Result<()> {
        self.run(schema::delete_field(self.base_url(), collection, field)?)
    }

    /// Every relation (`GET /relations`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let relations = directus.schema_relations()?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_relations(&self) -> crate::Result<Vec<Relation>> {
        self.run(schema::relations(self.base_url())?)
    }

    /// The relations of one collection (`GET /relations/{collection}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let relations = directus.schema_relations_of("products")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_relations_of(&self, collection: &str) -> crate::Result<Vec<Relation>> {
        self.run(schema::relations_of(self.base_url(), collection)?)
    }

    /// The relation of one foreign key (`GET /relations/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let supplier = directus.schema_relation("products", "supplier")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_relation(&self, collection: &str, field: &str) -> crate::Result<Relation> {
        self.run(schema::relation(self.base_url(), collection, field)?)
    }

    /// Creates a relation (`POST /relations`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.create_relation(&Relation::many_to_one("products", "supplier", "suppliers"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn create_relation(&self, relation: &Relation) -> crate::Result<Option<Relation>> {
        self.run(schema::create_relation(self.base_url(), relation)?)
    }

    /// Updates a relation's metadata or constraint (`PATCH /relations/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.update_relation("products", "supplier", &Relation::default().on_delete("CASCADE"))?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn update_relation(
        &self,
        collection: &str,
        field: &str,
        patch: &Relation,
    ) -> crate::Result<Option<Relation>> {
        self.run(schema::update_relation(
            self.base_url(),
            collection,
            field,
            patch,
        )?)
    }

    /// Deletes a relation; the field stays (`DELETE /relations/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// directus.delete_relation("products", "supplier")?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn delete_relation(&self, collection: &str, field: &str) -> crate::Result<()> {
        self.run(schema::delete_relation(self.base_url(), collection, field)?)
    }

    /// The schema snapshot (`GET /schema/snapshot`, admins only); [`Snapshot::json`] is the server's JSON, byte for byte.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let snapshot = directus.schema_snapshot(&SnapshotScope::all())?;
    /// std::fs::write("schema.json", snapshot.json()).unwrap();
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_snapshot(&self, scope: &SnapshotScope) -> crate::Result<Snapshot> {
        self.run(schema::snapshot(self.base_url(), scope)?)
    }

    /// What it takes to make this server's schema equal to `snapshot` (`POST /schema/diff`); `None` when nothing differs.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let snapshot = Snapshot::from_json(&std::fs::read_to_string("schema.json").unwrap())?;
    /// if let Some(diff) = directus.schema_diff(&snapshot, DiffOptions::new())? { println!("{}", diff.summary()); }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_diff(
        &self,
        snapshot: &Snapshot,
        options: DiffOptions,
    ) -> crate::Result<Option<Diff>> {
        self.run(schema::diff(self.base_url(), snapshot, options)?)
    }

    /// Applies a diff this server answered (`POST /schema/apply`); refused with [`Refusal::StaleHash`](directus_proto::schema::Refusal::StaleHash) if its schema changed since, unless `force`.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let snapshot = Snapshot::from_json(&std::fs::read_to_string("schema.json").unwrap())?;
    /// if let Some(diff) = directus.schema_diff(&snapshot, DiffOptions::new())? { directus.schema_apply(&diff, false)?; }
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn schema_apply(&self, diff: &Diff, force: bool) -> crate::Result<()> {
        self.run(schema::apply(self.base_url(), diff, force)?)
    }

    /// Migrates this server's schema to `target`: snapshots this server, diffs it on the
    /// target and, unless `plan` is a dry run or nothing differs, applies the diff there (with
    /// its hash: a target changed in between refuses it, and nothing is applied).
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # use directus_proto::schema::*;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let (dev, prod) = (directus.clone(), directus);
    /// let report = dev.migrate_schema_to(&prod, &Migrate::new().dry_run(true))?;
    /// println!("{report}");
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn migrate_schema_to(&self, target: &Directus, plan: &Migrate) -> crate::Result<Migration> {
        let snapshot = self.run(plan.snapshot(self.base_url())?)?;
        let diff = target.run(plan.diff(target.base_url(), &snapshot)?)?;
        let apply = match &diff {
            Some(diff) => plan.apply(target.base_url(), diff)?,
            None => None,
        };
        let applied = apply.is_some();
        if let Some(apply) = apply {
            target.run(apply)?;
        }
        Ok(Migration::new(diff, applied))
    }
}
