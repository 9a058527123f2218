//! The read parameters of a Directus query, and how they go on the wire.
//!
//! A [`Query`] is built with chained calls and encoded either as URL parameters
//! ([`Query::to_query_string`]) or as the JSON body of a `SEARCH` request ([`Query::to_json`]).
//! JSON-valued parameters (`filter`, `deep`, `alias`, `aggregate`) are sent as JSON strings,
//! list-valued ones (`fields`, `sort`, `groupBy`, `meta`) as comma-separated lists, every value
//! percent-encoded.

use serde_json::{Map, Value, json};

use crate::aggregate::{Agg, Aggregate};
use crate::filter::{self, Filter, FilterError};
use crate::{Error, url};

/// Sort direction.
///
/// ```
/// use directus_proto::{Order, Query};
/// let q = Query::new().sort("price", Order::Desc).sort("name", Order::Asc);
/// assert_eq!(q.to_query_string().unwrap(), "sort=-price%2Cname");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// A count Directus can add to a list's `meta`.
///
/// ```
/// use directus_proto::{MetaCount, Query};
/// let q = Query::new().meta(MetaCount::Total);
/// assert_eq!(q.to_query_string().unwrap(), "meta=total_count");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaCount {
    /// `total_count`: the rows in the collection.
    Total,
    /// `filter_count`: the rows that match the filter and search.
    Filter,
}

impl MetaCount {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MetaCount::Total => "total_count",
            MetaCount::Filter => "filter_count",
        }
    }
}

/// The formats of `export`.
///
/// ```
/// use directus_proto::{ExportFormat, Query};
/// assert_eq!(Query::new().export(ExportFormat::Csv).to_query_string().unwrap(), "export=csv");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values.
    Csv,
    /// Comma-separated values with a UTF-8 byte-order mark.
    CsvUtf8,
    /// JSON.
    Json,
    /// XML.
    Xml,
    /// YAML.
    Yaml,
}

impl ExportFormat {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::CsvUtf8 => "csv_utf8",
            ExportFormat::Json => "json",
            ExportFormat::Xml => "xml",
            ExportFormat::Yaml => "yaml",
        }
    }
}

/// The read parameters of a query: fields, filter, search, sort, paging, counts, aggregation,
/// grouping, deep, alias, version and export.
///
/// ```
/// use directus_proto::{Agg, F, Order, Query};
///
/// let q = Query::new()
///     .fields(["id", "name", "supplier.name"])
///     .filter(F::eq("category", "fruit"))
///     .sort("price", Order::Desc)
///     .limit(10)
///     .include_count();
/// assert_eq!(
///     q.to_query_string().unwrap(),
///     "fields=id%2Cname%2Csupplier.name\
///      &filter=%7B%22category%22%3A%7B%22_eq%22%3A%22fruit%22%7D%7D\
///      &sort=-price&limit=10&meta=total_count%2Cfilter_count"
/// );
/// ```
///
/// # Names that cannot be expressed
///
/// Directus splits `fields`, `sort` and `groupBy` on the commas outside parentheses (also in a
/// `SEARCH` body), trims each name, and reads a leading `-` in `sort` as "descending". A name
/// that would change the list is refused when the query is encoded (so `read()` and friends
/// answer [`Error::InvalidInput`]) rather than sent: an empty name, white space at either end,
/// a comma outside parentheses, unbalanced parentheses, and a sort field beginning with `-`
/// (say [`Order::Desc`] instead).
///
/// ```
/// use directus_proto::{Error, Order, Query};
///
/// assert!(matches!(Query::new().fields(["id,password"]).to_query_string(), Err(Error::InvalidInput(_))));
/// assert!(matches!(Query::new().sort("-price", Order::Asc).to_json(), Err(Error::InvalidInput(_))));
/// // Commas inside a function's parentheses are part of the name.
/// assert!(Query::new().fields(["json(data, a.b)"]).to_query_string().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    fields: Vec<String>,
    filters: Vec<Filter>,
    search: Option<String>,
    sort: Vec<(String, Order)>,
    limit: Option<i64>,
    offset: Option<u64>,
    page: Option<u64>,
    meta: Vec<MetaCount>,
    aggregate: Aggregate,
    group_by: Vec<String>,
    /// The `deep` value, or the error its depth gave (checked without recursion when set).
    deep: Option<Result<Value, FilterError>>,
    alias: Map<String, Value>,
    version: Option<String>,
    version_raw: bool,
    backlink: Option<bool>,
    export: Option<ExportFormat>,
}

impl Query {
    /// An empty query: Directus's defaults (all fields the user may read, 100 rows).
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().to_query_string().unwrap(), "");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds fields to return: names, dot paths into relations (`author.name`), wildcards (`*`,
    /// `author.*`) and functions (`year(date)`, `count(comments)`). A name Directus would read
    /// as something else is refused when the query is encoded (see
    /// [names that cannot be expressed](Query#names-that-cannot-be-expressed)).
    ///
    /// ```
    /// # use directus_proto::Query;
    /// let q = Query::new().fields(["*", "author.name"]);
    /// assert_eq!(q.to_query_string().unwrap(), "fields=%2A%2Cauthor.name");
    /// ```
    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Adds a filter; several calls are ANDed.
    ///
    /// ```
    /// # use directus_proto::{F, Query};
    /// let q = Query::new().filter(F::gt("price", 1)).filter(F::eq("active", true));
    /// assert_eq!(
    ///     q.filter_value().unwrap().unwrap(),
    ///     serde_json::json!({"_and": [{"price": {"_gt": 1}}, {"active": {"_eq": true}}]})
    /// );
    /// ```
    pub fn filter(mut self, filter: impl Into<Filter>) -> Self {
        self.filters.push(filter.into());
        self
    }

    /// The equality shorthand: `filter_eq("first_name", "John")` is `filter(F::eq(...))`.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// let q = Query::new().filter_eq("first_name", "John");
    /// assert_eq!(q.filter_value().unwrap().unwrap(), serde_json::json!({"first_name": {"_eq": "John"}}));
    /// ```
    pub fn filter_eq(self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.filter(crate::filter::F::eq(field, value))
    }

    /// Full-text search over the collection's string fields.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().search("apple pie").to_query_string().unwrap(), "search=apple%20pie");
    /// ```
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Adds a sort key; earlier keys sort first. Dot paths and aggregate aliases are allowed.
    /// The direction is `order`: a `field` beginning with `-` is refused when the query is
    /// encoded (see [names that cannot be expressed](Query#names-that-cannot-be-expressed)).
    ///
    /// ```
    /// # use directus_proto::{Order, Query};
    /// let q = Query::new().sort("author.name", Order::Asc);
    /// assert_eq!(q.to_query_string().unwrap(), "sort=author.name");
    /// ```
    pub fn sort(mut self, field: impl Into<String>, order: Order) -> Self {
        self.sort.push((field.into(), order));
        self
    }

    /// At most `n` rows (Directus's default is 100).
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().limit(5).to_query_string().unwrap(), "limit=5");
    /// ```
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(i64::from(n));
        self
    }

    /// Every row: `limit=-1`.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().no_limit().to_query_string().unwrap(), "limit=-1");
    /// ```
    pub fn no_limit(mut self) -> Self {
        self.limit = Some(-1);
        self
    }

    /// Skips `n` rows.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().offset(20).to_query_string().unwrap(), "offset=20");
    /// ```
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// Page `n`, counted from 1, of `limit` rows.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().limit(10).page(3).to_query_string().unwrap(), "limit=10&page=3");
    /// ```
    pub fn page(mut self, n: u64) -> Self {
        self.page = Some(n);
        self
    }

    /// Asks for a count in the answer's `meta`.
    ///
    /// ```
    /// # use directus_proto::{MetaCount, Query};
    /// let q = Query::new().meta(MetaCount::Filter);
    /// assert_eq!(q.to_query_string().unwrap(), "meta=filter_count");
    /// ```
    pub fn meta(mut self, count: MetaCount) -> Self {
        if !self.meta.contains(&count) {
            self.meta.push(count);
        }
        self
    }

    /// Asks for both counts, total and filtered (py-directus's `include_count`).
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().include_count().to_query_string().unwrap(), "meta=total_count%2Cfilter_count");
    /// ```
    pub fn include_count(self) -> Self {
        self.meta(MetaCount::Total).meta(MetaCount::Filter)
    }

    /// Adds an aggregate function; several calls combine into one `aggregate` parameter.
    ///
    /// ```
    /// # use directus_proto::{Agg, Query};
    /// let q = Query::new().aggregate(Agg::sum("price")).aggregate(Agg::count("*"));
    /// assert_eq!(q.to_json().unwrap()["query"]["aggregate"], serde_json::json!({"sum": ["price"], "count": ["*"]}));
    /// ```
    pub fn aggregate(mut self, agg: Agg) -> Self {
        self.aggregate.push(agg);
        self
    }

    /// Groups aggregate rows by fields or date functions (`year(date)`). Names are checked as
    /// [`Query::fields`]'s are.
    ///
    /// ```
    /// # use directus_proto::{Agg, Query};
    /// let q = Query::new().aggregate(Agg::count("*")).group_by(["category", "year(released_at)"]);
    /// assert!(q.to_query_string().unwrap().ends_with("groupBy=category%2Cyear%28released_at%29"));
    /// ```
    pub fn group_by<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.group_by.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Nested query parameters for relations, as Directus's `deep` JSON (keys prefixed `_`).
    ///
    /// A value nesting more than [`MAX_VALUE_DEPTH`](crate::filter::MAX_VALUE_DEPTH) arrays and
    /// objects is dropped here (without recursion) and the query answers
    /// [`FilterError::ValueTooDeep`] when encoded.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// let q = Query::new().deep(serde_json::json!({"products": {"_limit": 1}}));
    /// assert_eq!(q.to_query_string().unwrap(), "deep=%7B%22products%22%3A%7B%22_limit%22%3A1%7D%7D");
    /// ```
    pub fn deep(mut self, deep: Value) -> Self {
        self.deep = Some(filter::check_value_depth(deep));
        self
    }

    /// Replaces the whole query (what the forwarding handles of
    /// [`query_methods!`](crate::query_methods) end in).
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().limit(1).with_query(Query::new()), Query::new());
    /// ```
    pub fn with_query(self, query: Query) -> Self {
        query
    }

    /// Returns `field` under the name `name` as well.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// let q = Query::new().alias("label", "name");
    /// assert_eq!(q.to_json().unwrap()["query"]["alias"], serde_json::json!({"label": "name"}));
    /// ```
    pub fn alias(mut self, name: impl Into<String>, field: impl Into<String>) -> Self {
        self.alias.insert(name.into(), Value::String(field.into()));
        self
    }

    /// Reads a content version instead of the main item.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().version("draft").to_query_string().unwrap(), "version=draft");
    /// ```
    pub fn version(mut self, key: impl Into<String>) -> Self {
        self.version = Some(key.into());
        self
    }

    /// With [`Query::version`]: the version's saved changes as they are (`versionRaw`), not
    /// merged into the main item.
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().version("draft").version_raw().to_query_string().unwrap(), "version=draft&versionRaw=true");
    /// ```
    pub fn version_raw(mut self) -> Self {
        self.version_raw = true;
        self
    }

    /// Whether `*.*` field wildcards follow a relation back to the item it came from
    /// (`backlink`; Directus's default is `true`).
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().backlink(false).to_query_string().unwrap(), "backlink=false");
    /// ```
    pub fn backlink(mut self, follow: bool) -> Self {
        self.backlink = Some(follow);
        self
    }

    /// Answers as a file in this format instead of JSON.
    ///
    /// ```
    /// # use directus_proto::{ExportFormat, Query};
    /// assert_eq!(Query::new().export(ExportFormat::Yaml).to_query_string().unwrap(), "export=yaml");
    /// ```
    pub fn export(mut self, format: ExportFormat) -> Self {
        self.export = Some(format);
        self
    }

    /// The filters ANDed into one Directus filter object, or `None` without filters.
    ///
    /// ```
    /// # use directus_proto::{F, Query};
    /// assert_eq!(Query::new().filter_value().unwrap(), None);
    /// assert!(Query::new().filter(!F::raw(serde_json::json!({"x": {"_eq": 1}}))).filter_value().is_err());
    /// ```
    pub fn filter_value(&self) -> Result<Option<Value>, Error> {
        if self.filters.is_empty() {
            return Ok(None);
        }
        Ok(Some(Filter::all(self.filters.iter().cloned()).to_value()?))
    }

    /// The query reduced to its `fields`: what shapes the rows a write answers.
    pub(crate) fn fields_only(&self) -> Query {
        Query::new().fields(self.fields.iter().cloned())
    }

    /// The query without `page` (pagination moves by offset).
    pub(crate) fn without_page(mut self) -> Self {
        self.page = None;
        self
    }

    /// The current page size, if one was set.
    pub(crate) fn limit_value(&self) -> Option<i64> {
        self.limit
    }

    /// The page, if one was set.
    pub(crate) fn page_value(&self) -> Option<u64> {
        self.page
    }

    /// The offset, if one was set.
    pub(crate) fn offset_value(&self) -> Option<u64> {
        self.offset
    }

    /// The sort keys as Directus reads them: `-` before a descending one.
    fn sort_keys(&self) -> Vec<String> {
        self.sort
            .iter()
            .map(|(field, order)| match order {
                Order::Asc => field.clone(),
                Order::Desc => format!("-{field}"),
            })
            .collect()
    }

    /// The `deep` value, or the error its depth gave.
    fn deep_value(&self) -> Result<Option<&Value>, Error> {
        match &self.deep {
            None => Ok(None),
            Some(Ok(deep)) => Ok(Some(deep)),
            Some(Err(err)) => Err(err.clone().into()),
        }
    }

    /// Refuses the names Directus would read as something else in its comma-separated lists
    /// (see [names that cannot be expressed](Query#names-that-cannot-be-expressed)).
    fn check_names(&self) -> Result<(), Error> {
        for field in &self.fields {
            list_name("fields", field)?;
        }
        for (field, _) in &self.sort {
            list_name("sort", field)?;
            if field.starts_with('-') {
                return Err(Error::invalid(format!(
                    "the sort field {} begins with `-`, which Directus reads as descending: \
                     give the name without it and Order::Desc",
                    shown(field)
                )));
            }
        }
        for field in &self.group_by {
            list_name("groupBy", field)?;
        }
        Ok(())
    }

    /// The parameters in wire order, values not yet percent-encoded.
    fn pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        self.check_names()?;
        let mut pairs = Vec::new();
        if !self.fields.is_empty() {
            pairs.push(("fields", self.fields.join(",")));
        }
        if let Some(filter) = self.filter_value()? {
            pairs.push(("filter", filter.to_string()));
        }
        if let Some(search) = &self.search {
            pairs.push(("search", search.clone()));
        }
        if !self.sort.is_empty() {
            pairs.push(("sort", self.sort_keys().join(",")));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(offset) = self.offset {
            pairs.push(("offset", offset.to_string()));
        }
        if let Some(page) = self.page {
            pairs.push(("page", page.to_string()));
        }
        if !self.meta.is_empty() {
            let meta: Vec<_> = self.meta.iter().map(|m| m.as_str()).collect();
            pairs.push(("meta", meta.join(",")));
        }
        if !self.aggregate.is_empty() {
            pairs.push(("aggregate", self.aggregate.to_value().to_string()));
        }
        if !self.group_by.is_empty() {
            pairs.push(("groupBy", self.group_by.join(",")));
        }
        if let Some(deep) = self.deep_value()? {
            pairs.push(("deep", deep.to_string()));
        }
        if !self.alias.is_empty() {
            pairs.push(("alias", Value::Object(self.alias.clone()).to_string()));
        }
        if let Some(version) = &self.version {
            pairs.push(("version", version.clone()));
        }
        if self.version_raw {
            pairs.push(("versionRaw", "true".to_owned()));
        }
        if let Some(backlink) = self.backlink {
            pairs.push(("backlink", backlink.to_string()));
        }
        if let Some(export) = self.export {
            pairs.push(("export", export.as_str().to_owned()));
        }
        Ok(pairs)
    }

    /// The URL query string, without the leading `?` (empty for an empty query).
    ///
    /// ```
    /// # use directus_proto::Query;
    /// assert_eq!(Query::new().limit(1).offset(2).to_query_string().unwrap(), "limit=1&offset=2");
    /// ```
    pub fn to_query_string(&self) -> Result<String, Error> {
        let pairs = self.pairs()?;
        let mut out = String::with_capacity(pairs.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
        for (name, value) in pairs {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            url::encode_into(&mut out, &value);
        }
        Ok(out)
    }

    /// The body of a `SEARCH` request: `{"query": {...}}` with native JSON values.
    ///
    /// ```
    /// # use directus_proto::{F, Query};
    /// let q = Query::new().fields(["id"]).filter(F::eq("id", 1)).limit(1);
    /// assert_eq!(
    ///     q.to_json().unwrap(),
    ///     serde_json::json!({"query": {"fields": ["id"], "filter": {"id": {"_eq": 1}}, "limit": 1}})
    /// );
    /// ```
    pub fn to_json(&self) -> Result<Value, Error> {
        self.check_names()?;
        let mut query = Map::new();
        if !self.fields.is_empty() {
            query.insert("fields".into(), json!(self.fields));
        }
        if let Some(filter) = self.filter_value()? {
            query.insert("filter".into(), filter);
        }
        if let Some(search) = &self.search {
            query.insert("search".into(), json!(search));
        }
        if !self.sort.is_empty() {
            query.insert("sort".into(), json!(self.sort_keys()));
        }
        if let Some(limit) = self.limit {
            query.insert("limit".into(), json!(limit));
        }
        if let Some(offset) = self.offset {
            query.insert("offset".into(), json!(offset));
        }
        if let Some(page) = self.page {
            query.insert("page".into(), json!(page));
        }
        if !self.meta.is_empty() {
            let meta: Vec<_> = self.meta.iter().map(|m| m.as_str()).collect();
            query.insert("meta".into(), json!(meta.join(",")));
        }
        if !self.aggregate.is_empty() {
            query.insert("aggregate".into(), self.aggregate.to_value());
        }
        if !self.group_by.is_empty() {
            query.insert("groupBy".into(), json!(self.group_by));
        }
        if let Some(deep) = self.deep_value()? {
            query.insert("deep".into(), deep.clone());
        }
        if !self.alias.is_empty() {
            query.insert("alias".into(), Value::Object(self.alias.clone()));
        }
        if let Some(version) = &self.version {
            query.insert("version".into(), json!(version));
        }
        if self.version_raw {
            query.insert("versionRaw".into(), json!(true));
        }
        if let Some(backlink) = self.backlink {
            query.insert("backlink".into(), json!(backlink));
        }
        if let Some(export) = self.export {
            query.insert("export".into(), json!(export.as_str()));
        }
        Ok(json!({ "query": query }))
    }
}

/// Refuses a name that Directus's list splitting (commas outside parentheses, then a trim)
/// would not read back as exactly itself.
fn list_name(param: &str, name: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Err(Error::invalid(format!(
            "the name {} in `{param}` {why}",
            shown(name)
        )))
    };
    if name.is_empty() {
        return bad("is empty");
    }
    // Directus trims each name with JavaScript's `trim`: Unicode white space and U+FEFF, but
    // not U+0085 (NEL), which Rust counts as white space and JavaScript does not.
    let space = |c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}';
    if name.starts_with(space) || name.ends_with(space) {
        return bad("begins or ends with white space, which Directus trims");
    }
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return bad("has unbalanced parentheses"),
            },
            ',' if depth == 0 => {
                return bad("has a comma outside parentheses, which Directus reads as a list");
            }
            _ => {}
        }
    }
    if depth != 0 {
        return bad("has unbalanced parentheses");
    }
    Ok(())
}

/// A name for an error message: quoted, and cut short when long.
fn shown(name: &str) -> String {
    const MAX: usize = 64;
    match name.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &name[..cut]),
        None => format!("{name:?}"),
    }
}

/// Forwards [`Query`]'s builder methods onto a handle that keeps its query in a field.
///
/// Every read parameter is written once, here: [`Items`](crate::Items) forwards to its
/// [`Query`], and the drivers' handles forward to their `Items`. The named field must have the
/// same builder methods ([`Query`], or a type that uses this macro itself).
///
/// ```
/// use directus_proto::{Query, query_methods};
///
/// /// A handle of some driver.
/// pub struct Handle {
///     query: Query,
/// }
///
/// impl Handle {
///     query_methods!(query);
/// }
///
/// let handle = Handle { query: Query::new() }.limit(3);
/// assert_eq!(handle.query.to_query_string().unwrap(), "limit=3");
/// ```
#[macro_export]
macro_rules! query_methods {
    ($field:ident) => {
        /// Adds fields to return; see [`Query::fields`]($crate::Query::fields).
        pub fn fields<I, S>(mut self, fields: I) -> Self
        where
            I: ::std::iter::IntoIterator<Item = S>,
            S: ::std::convert::Into<::std::string::String>,
        {
            self.$field = self.$field.fields(fields);
            self
        }

        /// Adds a filter, ANDed with the others; see [`Query::filter`]($crate::Query::filter).
        pub fn filter(mut self, filter: impl ::std::convert::Into<$crate::Filter>) -> Self {
            self.$field = self.$field.filter(filter);
            self
        }

        /// The equality shorthand; see [`Query::filter_eq`]($crate::Query::filter_eq).
        pub fn filter_eq(
            mut self,
            field: impl ::std::convert::Into<::std::string::String>,
            value: impl ::std::convert::Into<$crate::__private::Value>,
        ) -> Self {
            self.$field = self.$field.filter_eq(field, value);
            self
        }

        /// Full-text search; see [`Query::search`]($crate::Query::search).
        pub fn search(mut self, text: impl ::std::convert::Into<::std::string::String>) -> Self {
            self.$field = self.$field.search(text);
            self
        }

        /// Adds a sort key; see [`Query::sort`]($crate::Query::sort).
        pub fn sort(
            mut self,
            field: impl ::std::convert::Into<::std::string::String>,
            order: $crate::Order,
        ) -> Self {
            self.$field = self.$field.sort(field, order);
            self
        }

        /// At most `n` rows; see [`Query::limit`]($crate::Query::limit).
        pub fn limit(mut self, n: u32) -> Self {
            self.$field = self.$field.limit(n);
            self
        }

        /// Every row; see [`Query::no_limit`]($crate::Query::no_limit).
        pub fn no_limit(mut self) -> Self {
            self.$field = self.$field.no_limit();
            self
        }

        /// Skips rows; see [`Query::offset`]($crate::Query::offset).
        pub fn offset(mut self, n: u64) -> Self {
            self.$field = self.$field.offset(n);
            self
        }

        /// A page of `limit` rows, from 1; see [`Query::page`]($crate::Query::page).
        pub fn page(mut self, n: u64) -> Self {
            self.$field = self.$field.page(n);
            self
        }

        /// Asks for a count in `meta`; see [`Query::meta`]($crate::Query::meta).
        pub fn meta(mut self, count: $crate::MetaCount) -> Self {
            self.$field = self.$field.meta(count);
            self
        }

        /// Total and filter counts; see [`Query::include_count`]($crate::Query::include_count).
        pub fn include_count(mut self) -> Self {
            self.$field = self.$field.include_count();
            self
        }

        /// Adds an aggregate; see [`Query::aggregate`]($crate::Query::aggregate).
        pub fn aggregate(mut self, agg: $crate::Agg) -> Self {
            self.$field = self.$field.aggregate(agg);
            self
        }

        /// Groups aggregates; see [`Query::group_by`]($crate::Query::group_by).
        pub fn group_by<I, S>(mut self, fields: I) -> Self
        where
            I: ::std::iter::IntoIterator<Item = S>,
            S: ::std::convert::Into<::std::string::String>,
        {
            self.$field = self.$field.group_by(fields);
            self
        }

        /// Nested relation parameters; see [`Query::deep`]($crate::Query::deep).
        pub fn deep(mut self, deep: $crate::__private::Value) -> Self {
            self.$field = self.$field.deep(deep);
            self
        }

        /// Returns a field under another name; see [`Query::alias`]($crate::Query::alias).
        pub fn alias(
            mut self,
            name: impl ::std::convert::Into<::std::string::String>,
            field: impl ::std::convert::Into<::std::string::String>,
        ) -> Self {
            self.$field = self.$field.alias(name, field);
            self
        }

        /// Reads a content version; see [`Query::version`]($crate::Query::version).
        pub fn version(mut self, key: impl ::std::convert::Into<::std::string::String>) -> Self {
            self.$field = self.$field.version(key);
            self
        }

        /// A version's raw changes; see [`Query::version_raw`]($crate::Query::version_raw).
        pub fn version_raw(mut self) -> Self {
            self.$field = self.$field.version_raw();
            self
        }

        /// Whether wildcards follow relations back; see [`Query::backlink`]($crate::Query::backlink).
        pub fn backlink(mut self, follow: bool) -> Self {
            self.$field = self.$field.backlink(follow);
            self
        }

        /// Replaces the whole query with `query`.
        pub fn with_query(mut self, query: $crate::Query) -> Self {
            self.$field = self.$field.with_query(query);
            self
        }
    };
}
