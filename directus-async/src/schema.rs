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
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// for c in directus.schema_collections().await? { println!("{:?}", c.collection); }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_collections(&self) -> crate::Result<Vec<Collection>> {
        self.run(schema::collections(self.base_url())?).await
    }

    /// One collection (`GET /collections/{name}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let singleton = directus.schema_collection("settings").await?.is_singleton();
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_collection(&self, name: &str) -> crate::Result<Collection> {
        self.run(schema::collection(self.base_url(), name)?).await
    }

    /// Creates a collection, its table and its fields (`POST /collections`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.create_collection(&Collection::new("notes").fields([Field::uuid_pk("id"), Field::text("body")])).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_collection(
        &self,
        collection: &Collection,
    ) -> crate::Result<Option<Collection>> {
        self.run(schema::create_collection(self.base_url(), collection)?)
            .await
    }

    /// Updates a collection's metadata (`PATCH /collections/{name}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.update_collection("notes", &Collection::default().note("Team notes")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_collection(
        &self,
        name: &str,
        patch: &Collection,
    ) -> crate::Result<Option<Collection>> {
        self.run(schema::update_collection(self.base_url(), name, patch)?)
            .await
    }

    /// Deletes a collection, its table and its items (`DELETE /collections/{name}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.delete_collection("notes").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_collection(&self, name: &str) -> crate::Result<()> {
        self.run(schema::delete_collection(self.base_url(), name)?)
            .await
    }

    /// Every field of every collection (`GET /fields`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let fields = directus.schema_all_fields().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_all_fields(&self) -> crate::Result<Vec<Field>> {
        self.run(schema::all_fields(self.base_url())?).await
    }

    /// The fields of a collection (`GET /fields/{collection}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let fields = directus.schema_fields("products").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_fields(&self, collection: &str) -> crate::Result<Vec<Field>> {
        self.run(schema::fields(self.base_url(), collection)?).await
    }

    /// One field (`GET /fields/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let price = directus.schema_field("products", "price").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_field(&self, collection: &str, field: &str) -> crate::Result<Field> {
        self.run(schema::field(self.base_url(), collection, field)?)
            .await
    }

    /// Adds a field and its column (`POST /fields/{collection}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.create_field("products", &Field::decimal("weight", 8, 3)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_field(
        &self,
        collection: &str,
        field: &Field,
    ) -> crate::Result<Option<Field>> {
        self.run(schema::create_field(self.base_url(), collection, field)?)
            .await
    }

    /// Updates a field's type, metadata or column (`PATCH /fields/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.update_field("products", "name", &Field::default().note("Shown on the card")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_field(
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
        .await
    }

    /// Updates several fields of a collection at once (`PATCH /fields/{collection}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let mut name = Field { field: Some("name".into()), ..Default::default() };
    /// name.meta_mut().sort = Some(1);
    /// directus.update_fields("products", &[name]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_fields(
        &self,
        collection: &str,
        patches: &[Field],
    ) -> crate::Result<Option<Vec<Field>>> {
        self.run(schema::update_fields(self.base_url(), collection, patches)?)
            .await
    }

    /// Deletes a field and its column (`DELETE /fields/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.delete_field("products", "weight").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_field(&self, collection: &str, field: &str) -> crate::Result<()> {
        self.run(schema::delete_field(self.base_url(), collection, field)?)
            .await
    }

    /// Every relation (`GET /relations`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let relations = directus.schema_relations().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_relations(&self) -> crate::Result<Vec<Relation>> {
        self.run(schema::relations(self.base_url())?).await
    }

    /// The relations of one collection (`GET /relations/{collection}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let relations = directus.schema_relations_of("products").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_relations_of(&self, collection: &str) -> crate::Result<Vec<Relation>> {
        self.run(schema::relations_of(self.base_url(), collection)?)
            .await
    }

    /// The relation of one foreign key (`GET /relations/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let supplier = directus.schema_relation("products", "supplier").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_relation(&self, collection: &str, field: &str) -> crate::Result<Relation> {
        self.run(schema::relation(self.base_url(), collection, field)?)
            .await
    }

    /// Creates a relation (`POST /relations`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.create_relation(&Relation::many_to_one("products", "supplier", "suppliers")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_relation(&self, relation: &Relation) -> crate::Result<Option<Relation>> {
        self.run(schema::create_relation(self.base_url(), relation)?)
            .await
    }

    /// Updates a relation's metadata or constraint (`PATCH /relations/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.update_relation("products", "supplier", &Relation::default().on_delete("CASCADE")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_relation(
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
        .await
    }

    /// Deletes a relation; the field stays (`DELETE /relations/{collection}/{field}`).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// directus.delete_relation("products", "supplier").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_relation(&self, collection: &str, field: &str) -> crate::Result<()> {
        self.run(schema::delete_relation(self.base_url(), collection, field)?)
            .await
    }

    /// The schema snapshot (`GET /schema/snapshot`, admins only); [`Snapshot::json`] is the server's JSON, byte for byte.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let snapshot = directus.schema_snapshot(&SnapshotScope::all()).await?;
    /// std::fs::write("schema.json", snapshot.json()).unwrap();
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_snapshot(&self, scope: &SnapshotScope) -> crate::Result<Snapshot> {
        self.run(schema::snapshot(self.base_url(), scope)?).await
    }

    /// What it takes to make this server's schema equal to `snapshot` (`POST /schema/diff`); `None` when nothing differs.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let snapshot = Snapshot::from_json(&std::fs::read_to_string("schema.json").unwrap())?;
    /// if let Some(diff) = directus.schema_diff(&snapshot, DiffOptions::new()).await? { println!("{}", diff.summary()); }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_diff(
        &self,
        snapshot: &Snapshot,
        options: DiffOptions,
    ) -> crate::Result<Option<Diff>> {
        self.run(schema::diff(self.base_url(), snapshot, options)?)
            .await
    }

    /// Applies a diff this server answered (`POST /schema/apply`); refused with [`Refusal::StaleHash`](directus_proto::schema::Refusal::StaleHash) if its schema changed since, unless `force`.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let snapshot = Snapshot::from_json(&std::fs::read_to_string("schema.json").unwrap())?;
    /// if let Some(diff) = directus.schema_diff(&snapshot, DiffOptions::new()).await? { directus.schema_apply(&diff, false).await?; }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_apply(&self, diff: &Diff, force: bool) -> crate::Result<()> {
        self.run(schema::apply(self.base_url(), diff, force)?).await
    }

    /// Migrates this server's schema to `target`: snapshots this server, diffs it on the
    /// target and, unless `plan` is a dry run or nothing differs, applies the diff there (with
    /// its hash: a target changed in between refuses it, and nothing is applied).
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # use directus_proto::schema::*;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let (dev, prod) = (directus.clone(), directus);
    /// let report = dev.migrate_schema_to(&prod, &Migrate::new().dry_run(true)).await?;
    /// println!("{report}");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn migrate_schema_to(
        &self,
        target: &Directus,
        plan: &Migrate,
    ) -> crate::Result<Migration> {
        let snapshot = self.run(plan.snapshot(self.base_url())?).await?;
        let diff = target.run(plan.diff(target.base_url(), &snapshot)?).await?;
        let apply = match &diff {
            Some(diff) => plan.apply(target.base_url(), diff)?,
            None => None,
        };
        let applied = apply.is_some();
        if let Some(apply) = apply {
            target.run(apply).await?;
        }
        Ok(Migration::new(diff, applied))
    }
}
