//! Moving a schema from one server to another: snapshot the source, diff on the target, apply.

use super::{Diff, DiffMode, DiffOptions, Snapshot, SnapshotScope, Summary};
use crate::Error;
use crate::{BaseUrl, Operation};

/// How to migrate a schema from one server to another: which collections, mirror or merge,
/// and whether only to report (dry run). A driver's `migrate_schema_to` runs its three steps:
/// [`Migrate::snapshot`] on the source, [`Migrate::diff`] on the target and, unless it is a dry
/// run or nothing differs, [`Migrate::apply`] on the target, with the diff's hash, so that a
/// target changed in between refuses it ([`Refusal::StaleHash`](super::Refusal::StaleHash)).
///
/// ```
/// use directus_proto::BaseUrl;
/// use directus_proto::schema::{DiffMode, Migrate};
///
/// let source = BaseUrl::parse("http://dev:8055").unwrap();
/// let plan = Migrate::new().only(["posts", "tags"]).mode(DiffMode::Merge).dry_run(true);
/// assert_eq!(plan.snapshot(&source).unwrap().request().uri().query(), Some("includeCollections=posts%2Ctags"));
/// assert!(plan.is_dry_run());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Migrate {
    scope: SnapshotScope,
    options: DiffOptions,
    dry_run: bool,
}

impl Migrate {
    /// Every user collection, mirror mode, applied.
    ///
    /// ```
    /// # use directus_proto::schema::Migrate;
    /// assert!(!Migrate::new().is_dry_run());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these collections (and only they are changed on the target).
    ///
    /// ```
    /// # use directus_proto::schema::{Migrate, SnapshotScope};
    /// assert_eq!(Migrate::new().only(["a"]).scope(), &SnapshotScope::only(["a"]));
    /// ```
    pub fn only<S: Into<String>>(mut self, collections: impl IntoIterator<Item = S>) -> Self {
        self.scope = SnapshotScope::only(collections);
        self
    }

    /// Every collection but these.
    ///
    /// ```
    /// # use directus_proto::schema::{Migrate, SnapshotScope};
    /// assert_eq!(Migrate::new().except(["a"]).scope(), &SnapshotScope::except(["a"]));
    /// ```
    pub fn except<S: Into<String>>(mut self, collections: impl IntoIterator<Item = S>) -> Self {
        self.scope = SnapshotScope::except(collections);
        self
    }

    /// Mirror (delete what the source lacks; the default) or merge (never delete).
    ///
    /// ```
    /// # use directus_proto::schema::{DiffMode, Migrate};
    /// let _ = Migrate::new().mode(DiffMode::Merge);
    /// ```
    pub fn mode(mut self, mode: DiffMode) -> Self {
        self.options = self.options.mode(mode);
        self
    }

    /// Lets the target accept a snapshot of another Directus version or database vendor.
    /// (The diff's hash is always checked on apply.)
    ///
    /// ```
    /// # use directus_proto::schema::Migrate;
    /// let _ = Migrate::new().allow_other_version(true);
    /// ```
    pub fn allow_other_version(mut self, allow: bool) -> Self {
        self.options = self.options.force(allow);
        self
    }

    /// Only compute and report the diff; apply nothing.
    ///
    /// ```
    /// # use directus_proto::schema::Migrate;
    /// assert!(Migrate::new().dry_run(true).is_dry_run());
    /// ```
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Whether nothing is applied.
    ///
    /// ```
    /// # use directus_proto::schema::Migrate;
    /// assert!(!Migrate::default().is_dry_run());
    /// ```
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The collections migrated.
    ///
    /// ```
    /// # use directus_proto::schema::{Migrate, SnapshotScope};
    /// assert_eq!(Migrate::new().scope(), &SnapshotScope::All);
    /// ```
    pub fn scope(&self) -> &SnapshotScope {
        &self.scope
    }

    /// Step 1, on the source: its snapshot.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, schema::Migrate};
    /// let base = BaseUrl::parse("http://dev:8055").unwrap();
    /// assert_eq!(Migrate::new().snapshot(&base).unwrap().request().uri().path(), "/schema/snapshot");
    /// ```
    pub fn snapshot(&self, source: &BaseUrl) -> Result<Operation<Snapshot>, Error> {
        super::snapshot(source, &self.scope)
    }

    /// Step 2, on the target: the diff that makes it equal to the source's snapshot.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, schema::{Migrate, Snapshot}};
    /// let base = BaseUrl::parse("http://prod:8055").unwrap();
    /// let snap = Snapshot::from_json(r#"{"version":1,"directus":"12.4.0"}"#).unwrap();
    /// assert_eq!(Migrate::new().diff(&base, &snap).unwrap().request().uri().path(), "/schema/diff");
    /// ```
    pub fn diff(
        &self,
        target: &BaseUrl,
        snapshot: &Snapshot,
    ) -> Result<Operation<Option<Diff>>, Error> {
        super::diff(target, snapshot, self.options)
    }

    /// Step 3, on the target: the apply, or `None` for a dry run.
    ///
    /// ```
    /// # use directus_proto::{BaseUrl, schema::{Diff, Migrate}};
    /// let base = BaseUrl::parse("http://prod:8055").unwrap();
    /// let diff = Diff::from_json(r#"{"hash":"h","diff":{}}"#).unwrap();
    /// assert!(Migrate::new().apply(&base, &diff).unwrap().is_some());
    /// assert!(Migrate::new().dry_run(true).apply(&base, &diff).unwrap().is_none());
    /// ```
    pub fn apply(&self, target: &BaseUrl, diff: &Diff) -> Result<Option<Operation<()>>, Error> {
        if self.dry_run {
            return Ok(None);
        }
        super::apply(target, diff, false).map(Some)
    }
}

/// What a migration found and did.
///
/// ```
/// use directus_proto::schema::Migration;
/// let m = Migration::new(None, false);
/// assert!(m.summary().is_empty());
/// assert_eq!(m.to_string(), "no changes\n");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Migration {
    /// The diff (`None` when the target already matched).
    pub diff: Option<Diff>,
    /// Whether the diff was applied (`false` for a dry run or no diff).
    pub applied: bool,
}

impl Migration {
    /// A migration's outcome.
    ///
    /// ```
    /// # use directus_proto::schema::Migration;
    /// assert!(!Migration::new(None, false).applied);
    /// ```
    pub fn new(diff: Option<Diff>, applied: bool) -> Self {
        Migration { diff, applied }
    }

    /// What was (or, for a dry run, would be) added, changed and removed on the target.
    ///
    /// ```
    /// # use directus_proto::schema::Migration;
    /// assert_eq!(Migration::new(None, false).summary().collections.len(), 0);
    /// ```
    pub fn summary(&self) -> Summary {
        self.diff.as_ref().map(Diff::summary).unwrap_or_default()
    }
}

impl std::fmt::Display for Migration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.summary().fmt(f)
    }
}
