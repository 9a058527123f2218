//! Aggregation: the `aggregate` query parameter and typed reading of its result rows.
//!
//! ```
//! use directus_proto::aggregate::{Agg, AggFunc, Aggregate, AggregateRow};
//! use serde_json::json;
//!
//! let aggregate: Aggregate = [Agg::sum("price"), Agg::count("*")].into_iter().collect();
//! assert_eq!(aggregate.to_value(), json!({"sum": ["price"], "count": ["*"]}));
//!
//! // PostgreSQL answers numbers as strings; SQLite as numbers. Both read the same way.
//! let row: AggregateRow = serde_json::from_value(
//!     json!({"category": "dairy", "sum": {"price": "18433.54"}, "count": "376"}),
//! )
//! .unwrap();
//! assert_eq!(row.get_f64(AggFunc::Sum, "price"), Some(18433.54));
//! assert_eq!(row.get_i64(AggFunc::Count, "*"), Some(376));
//! assert_eq!(row.group("category"), Some(&json!("dairy")));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One of Directus's nine aggregate functions.
///
/// ```
/// use directus_proto::aggregate::AggFunc;
///
/// assert_eq!(AggFunc::CountDistinct.as_str(), "countDistinct");
/// assert_eq!(AggFunc::ALL.len(), 9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AggFunc {
    /// `count`: non-null values of a field, or rows with `"*"`.
    Count,
    /// `countDistinct`: distinct non-null values of a field.
    CountDistinct,
    /// `countAll`: all rows (of each group), takes no field.
    CountAll,
    /// `sum`: sum of a numeric field.
    Sum,
    /// `sumDistinct`: sum of the distinct values of a numeric field.
    SumDistinct,
    /// `avg`: average of a numeric field.
    Avg,
    /// `avgDistinct`: average of the distinct values of a numeric field.
    AvgDistinct,
    /// `min`: smallest value of a field.
    Min,
    /// `max`: largest value of a field.
    Max,
}

impl AggFunc {
    /// All nine functions, in declaration order.
    ///
    /// ```
    /// use directus_proto::aggregate::AggFunc;
    ///
    /// let names: Vec<&str> = AggFunc::ALL.iter().map(|f| f.as_str()).collect();
    /// assert_eq!(names[0], "count");
    /// assert_eq!(names[8], "max");
    /// ```
    pub const ALL: [AggFunc; 9] = [
        AggFunc::Count,
        AggFunc::CountDistinct,
        AggFunc::CountAll,
        AggFunc::Sum,
        AggFunc::SumDistinct,
        AggFunc::Avg,
        AggFunc::AvgDistinct,
        AggFunc::Min,
        AggFunc::Max,
    ];

    /// The name Directus uses, in the `aggregate` parameter and as the result row key.
    ///
    /// ```
    /// use directus_proto::aggregate::AggFunc;
    ///
    /// assert_eq!(AggFunc::CountAll.as_str(), "countAll");
    /// assert_eq!(AggFunc::AvgDistinct.to_string(), "avgDistinct");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::CountDistinct => "countDistinct",
            AggFunc::CountAll => "countAll",
            AggFunc::Sum => "sum",
            AggFunc::SumDistinct => "sumDistinct",
            AggFunc::Avg => "avg",
            AggFunc::AvgDistinct => "avgDistinct",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }
}

impl fmt::Display for AggFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One aggregate function over one or more fields.
///
/// Each constructor takes one field; add more of the same function with [`Agg::and_field`].
/// `"*"` is meaningful for [`Agg::count`] only (rows rather than non-null values).
///
/// ```
/// use directus_proto::aggregate::{Agg, AggFunc};
///
/// let agg = Agg::sum("price").and_field("tax");
/// assert_eq!(agg.function(), AggFunc::Sum);
/// assert_eq!(agg.fields(), ["price", "tax"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agg {
    function: AggFunc,
    fields: Vec<String>,
}

macro_rules! agg_constructors {
    ($($name:ident => $func:ident, $wire:literal, $field:literal;)*) => {
        $(
            #[doc = concat!("`", $wire, "` of `field`.")]
            #[doc = ""]
            #[doc = "```"]
            #[doc = "use directus_proto::aggregate::{Agg, Aggregate};"]
            #[doc = "use serde_json::json;"]
            #[doc = ""]
            #[doc = concat!("let agg = Aggregate::from(Agg::", stringify!($name), "(\"", $field, "\"));")]
            #[doc = concat!("assert_eq!(agg.to_value(), json!({\"", $wire, "\": [\"", $field, "\"]}));")]
            #[doc = "```"]
            pub fn $name(field: impl Into<String>) -> Agg {
                Agg {
                    function: AggFunc::$func,
                    fields: vec![field.into()],
                }
            }
        )*
    };
}

impl Agg {
    agg_constructors! {
        count => Count, "count", "*";
        count_distinct => CountDistinct, "countDistinct", "customer";
        sum => Sum, "sum", "price";
        sum_distinct => SumDistinct, "sumDistinct", "price";
        avg => Avg, "avg", "rating";
        avg_distinct => AvgDistinct, "avgDistinct", "rating";
        min => Min, "min", "date_created";
        max => Max, "max", "date_created";
    }

    /// `countAll`: the number of rows (per group). It takes no field; it is sent as
    /// `{"countAll": ["*"]}` and answered as a bare number, read with
    /// `row.get_i64(AggFunc::CountAll, "*")`.
    ///
    /// ```
    /// use directus_proto::aggregate::{Agg, Aggregate};
    /// use serde_json::json;
    ///
    /// let agg = Aggregate::from(Agg::count_all());
    /// assert_eq!(agg.to_value(), json!({"countAll": ["*"]}));
    /// ```
    pub fn count_all() -> Agg {
        Agg {
            function: AggFunc::CountAll,
            fields: vec!["*".to_owned()],
        }
    }

    /// Adds another field to the same function. A field already present is not repeated.
    /// [`Agg::count_all`] takes no field, so this does nothing on it.
    ///
    /// ```
    /// use directus_proto::aggregate::Agg;
    ///
    /// let agg = Agg::avg("price").and_field("rating").and_field("price");
    /// assert_eq!(agg.fields(), ["price", "rating"]);
    /// assert_eq!(Agg::count_all().and_field("id").fields(), ["*"]);
    /// ```
    #[must_use]
    pub fn and_field(mut self, field: impl Into<String>) -> Agg {
        if self.function != AggFunc::CountAll {
            push_unique(&mut self.fields, field.into());
        }
        self
    }

    /// The function.
    ///
    /// ```
    /// use directus_proto::aggregate::{Agg, AggFunc};
    ///
    /// assert_eq!(Agg::max("price").function(), AggFunc::Max);
    /// ```
    pub fn function(&self) -> AggFunc {
        self.function
    }

    /// The fields, in the order given.
    ///
    /// ```
    /// use directus_proto::aggregate::Agg;
    ///
    /// assert_eq!(Agg::min("price").fields(), ["price"]);
    /// ```
    pub fn fields(&self) -> &[String] {
        &self.fields
    }
}

fn push_unique(fields: &mut Vec<String>, field: String) {
    if !fields.contains(&field) {
        fields.push(field);
    }
}

/// The `aggregate` query parameter: several [`Agg`]s, fields merged per function.
///
/// ```
/// use directus_proto::aggregate::{Agg, Aggregate};
/// use serde_json::json;
///
/// let mut aggregate = Aggregate::new();
/// assert!(aggregate.is_empty());
/// aggregate.push(Agg::sum("price"));
/// aggregate.push(Agg::sum("tax"));
/// aggregate.push(Agg::count("*"));
/// assert_eq!(aggregate.to_value(), json!({"sum": ["price", "tax"], "count": ["*"]}));
/// ```
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct Aggregate {
    functions: BTreeMap<AggFunc, Vec<String>>,
}

impl Aggregate {
    /// An empty set.
    ///
    /// ```
    /// use directus_proto::aggregate::Aggregate;
    ///
    /// assert!(Aggregate::new().is_empty());
    /// ```
    pub fn new() -> Aggregate {
        Aggregate::default()
    }

    /// Adds `agg`, merging its fields into those already asked of the same function (a field
    /// already present is not repeated).
    ///
    /// ```
    /// use directus_proto::aggregate::{Agg, Aggregate};
    ///
    /// let mut aggregate = Aggregate::new();
    /// aggregate.push(Agg::avg("price"));
    /// aggregate.push(Agg::avg("price").and_field("rating"));
    /// assert_eq!(aggregate.fields(directus_proto::aggregate::AggFunc::Avg).unwrap(), ["price", "rating"]);
    /// ```
    pub fn push(&mut self, agg: Agg) {
        let fields = self.functions.entry(agg.function).or_default();
        for field in agg.fields {
            push_unique(fields, field);
        }
    }

    /// [`Aggregate::push`] for chaining.
    ///
    /// ```
    /// use directus_proto::aggregate::{Agg, Aggregate};
    /// use serde_json::json;
    ///
    /// let aggregate = Aggregate::new().with(Agg::min("price")).with(Agg::max("price"));
    /// assert_eq!(aggregate.to_value(), json!({"min": ["price"], "max": ["price"]}));
    /// ```
    #[must_use]
    pub fn with(mut self, agg: Agg) -> Aggregate {
        self.push(agg);
        self
    }

    /// Whether nothing was pushed (then there is no `aggregate` parameter to send).
    ///
    /// ```
    /// use directus_proto::aggregate::{Agg, Aggregate};
    ///
    /// assert!(Aggregate::default().is_empty());
    /// assert!(!Aggregate::from(Agg::count_all()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// The fields asked of `function`, if any.
    ///
    /// ```
    /// use directus_proto::aggregate::{Agg, AggFunc, Aggregate};
    ///
    /// let aggregate = Aggregate::from(Agg::sum("price"));
    /// assert_eq!(aggregate.fields(AggFunc::Sum).unwrap(), ["price"]);
    /// assert_eq!(aggregate.fields(AggFunc::Avg), None);
    /// ```
    pub fn fields(&self, function: AggFunc) -> Option<&[String]> {
        self.functions.get(&function).map(Vec::as_slice)
    }

    /// The JSON Directus reads in the `aggregate` query parameter, e.g.
    /// `{"sum":["price"],"count":["*"]}`.
    ///
    /// ```
    /// use directus_proto::aggregate::{Agg, Aggregate};
    /// use serde_json::json;
    ///
    /// let aggregate = Aggregate::from(Agg::count_distinct("customer"));
    /// assert_eq!(aggregate.to_value(), json!({"countDistinct": ["customer"]}));
    /// assert_eq!(aggregate.to_value().to_string(), r#"{"countDistinct":["customer"]}"#);
    /// ```
    pub fn to_value(&self) -> Value {
        Value::Object(
            self.functions
                .iter()
                .map(|(function, fields)| {
                    (
                        function.as_str().to_owned(),
                        Value::Array(fields.iter().cloned().map(Value::String).collect()),
                    )
                })
                .collect(),
        )
    }
}

/// A set of one aggregate.
///
/// ```
/// use directus_proto::aggregate::{Agg, Aggregate};
///
/// let aggregate: Aggregate = Agg::count("*").into();
/// assert!(!aggregate.is_empty());
/// ```
impl From<Agg> for Aggregate {
    fn from(agg: Agg) -> Aggregate {
        Aggregate::new().with(agg)
    }
}

/// Collects aggregates, merging fields per function.
///
/// ```
/// use directus_proto::aggregate::{Agg, Aggregate};
/// use serde_json::json;
///
/// let aggregate: Aggregate = [Agg::sum("a"), Agg::sum("b")].into_iter().collect();
/// assert_eq!(aggregate.to_value(), json!({"sum": ["a", "b"]}));
/// ```
impl FromIterator<Agg> for Aggregate {
    fn from_iter<I: IntoIterator<Item = Agg>>(iter: I) -> Aggregate {
        let mut aggregate = Aggregate::new();
        aggregate.extend(iter);
        aggregate
    }
}

/// Pushes each aggregate.
///
/// ```
/// use directus_proto::aggregate::{Agg, Aggregate};
///
/// let mut aggregate = Aggregate::new();
/// aggregate.extend([Agg::min("a"), Agg::max("a")]);
/// assert!(!aggregate.is_empty());
/// ```
impl Extend<Agg> for Aggregate {
    fn extend<I: IntoIterator<Item = Agg>>(&mut self, iter: I) {
        for agg in iter {
            self.push(agg);
        }
    }
}

/// One row of an aggregate answer, read leniently.
///
/// Directus answers `{"category":"fruit","sum":{"price":3.75},"count":2}` on SQLite and
/// `{"category":"dairy","sum":{"price":"18433.54"},"count":"376"}` on PostgreSQL (numbers as
/// strings). `count` over `"*"` and `countAll` come back as a bare value (`"count": 5`); every
/// other function over a named field as an object keyed by field (`"count": {"id": 5}`).
/// The getters accept both: ask for field `"*"` to read a bare value.
///
/// ```
/// use directus_proto::aggregate::{AggFunc, AggregateRow};
/// use serde_json::json;
///
/// let row: AggregateRow = serde_json::from_value(
///     json!({"category": "fruit", "sum": {"price": 3.75}, "count": 2, "countAll": 2}),
/// )
/// .unwrap();
/// assert_eq!(row.get_f64(AggFunc::Sum, "price"), Some(3.75));
/// assert_eq!(row.get_i64(AggFunc::Count, "*"), Some(2));
/// assert_eq!(row.get_i64(AggFunc::CountAll, "*"), Some(2));
/// assert_eq!(row.group("category").and_then(|v| v.as_str()), Some("fruit"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AggregateRow(Map<String, Value>);

impl AggregateRow {
    /// The raw value of `function` over `field`, as Directus sent it (a number, a numeric
    /// string, `null` for an empty group, or anything else a `min`/`max` can give, such as a
    /// date string). Field `"*"` reads the bare form (`"count": 5`) or a `"*"` key.
    ///
    /// ```
    /// use directus_proto::aggregate::{AggFunc, AggregateRow};
    /// use serde_json::json;
    ///
    /// let row: AggregateRow =
    ///     serde_json::from_value(json!({"max": {"date": "2024-05-01"}})).unwrap();
    /// assert_eq!(row.get(AggFunc::Max, "date"), Some(&json!("2024-05-01")));
    /// assert_eq!(row.get(AggFunc::Max, "other"), None);
    /// ```
    pub fn get(&self, function: AggFunc, field: &str) -> Option<&Value> {
        match self.0.get(function.as_str())? {
            Value::Object(fields) => fields.get(field),
            bare if field == "*" => Some(bare),
            _ => None,
        }
    }

    /// [`AggregateRow::get`] as a float: accepts a JSON number or a numeric string; `None` when
    /// absent, `null`, or not numeric.
    ///
    /// ```
    /// use directus_proto::aggregate::{AggFunc, AggregateRow};
    /// use serde_json::json;
    ///
    /// let row: AggregateRow =
    ///     serde_json::from_value(json!({"avg": {"price": "4.5000000000000000"}})).unwrap();
    /// assert_eq!(row.get_f64(AggFunc::Avg, "price"), Some(4.5));
    /// ```
    pub fn get_f64(&self, function: AggFunc, field: &str) -> Option<f64> {
        self.get(function, field).and_then(lenient::value_as_f64)
    }

    /// [`AggregateRow::get`] as an integer: accepts a JSON integer, an integral float, or a
    /// string holding either; `None` when absent, `null`, fractional, out of range, or not
    /// numeric.
    ///
    /// ```
    /// use directus_proto::aggregate::{AggFunc, AggregateRow};
    /// use serde_json::json;
    ///
    /// let row: AggregateRow = serde_json::from_value(json!({"count": {"id": "376"}})).unwrap();
    /// assert_eq!(row.get_i64(AggFunc::Count, "id"), Some(376));
    /// ```
    pub fn get_i64(&self, function: AggFunc, field: &str) -> Option<i64> {
        self.get(function, field).and_then(lenient::value_as_i64)
    }

    /// The value of a `groupBy` key in this row (`Some(&Value::Null)` for the group of nulls).
    ///
    /// ```
    /// use directus_proto::aggregate::AggregateRow;
    /// use serde_json::json;
    ///
    /// let row: AggregateRow =
    ///     serde_json::from_value(json!({"category": null, "count": 3})).unwrap();
    /// assert_eq!(row.group("category"), Some(&json!(null)));
    /// assert_eq!(row.group("missing"), None);
    /// ```
    pub fn group(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A `groupBy` key as an integer: a date-function group such as `year(released_at)` is a
    /// number on SQLite and a string on PostgreSQL; this reads both.
    ///
    /// ```
    /// use directus_proto::aggregate::AggregateRow;
    /// use serde_json::json;
    ///
    /// let pg: AggregateRow = serde_json::from_value(json!({"released_at_year": "2020"})).unwrap();
    /// let sqlite: AggregateRow = serde_json::from_value(json!({"released_at_year": 2020})).unwrap();
    /// assert_eq!(pg.group_i64("released_at_year"), Some(2020));
    /// assert_eq!(sqlite.group_i64("released_at_year"), Some(2020));
    /// ```
    pub fn group_i64(&self, key: &str) -> Option<i64> {
        self.group(key).and_then(lenient::value_as_i64)
    }

    /// The whole row.
    ///
    /// ```
    /// use directus_proto::aggregate::AggregateRow;
    /// use serde_json::json;
    ///
    /// let row: AggregateRow = serde_json::from_value(json!({"count": 3})).unwrap();
    /// assert_eq!(row.as_map().len(), 1);
    /// ```
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The whole row, owned.
    ///
    /// ```
    /// use directus_proto::aggregate::AggregateRow;
    /// use serde_json::json;
    ///
    /// let row: AggregateRow = serde_json::from_value(json!({"count": 3})).unwrap();
    /// assert_eq!(row.into_map()["count"], json!(3));
    /// ```
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

/// Wraps a JSON object.
///
/// ```
/// use directus_proto::aggregate::{AggFunc, AggregateRow};
///
/// let mut map = serde_json::Map::new();
/// map.insert("countAll".into(), 7.into());
/// assert_eq!(AggregateRow::from(map).get_i64(AggFunc::CountAll, "*"), Some(7));
/// ```
impl From<Map<String, Value>> for AggregateRow {
    fn from(map: Map<String, Value>) -> AggregateRow {
        AggregateRow(map)
    }
}

/// Serde helpers that accept a number or a numeric string: see [`crate::lenient`] (kept here
/// for the aggregate-row types that first needed them).
pub use crate::lenient;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_function_name() {
        let aggregate: Aggregate = [
            Agg::count("*"),
            Agg::count_distinct("a"),
            Agg::count_all(),
            Agg::sum("a"),
            Agg::sum_distinct("a"),
            Agg::avg("a"),
            Agg::avg_distinct("a"),
            Agg::min("a"),
            Agg::max("a"),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            aggregate.to_value(),
            json!({
                "count": ["*"], "countDistinct": ["a"], "countAll": ["*"], "sum": ["a"],
                "sumDistinct": ["a"], "avg": ["a"], "avgDistinct": ["a"], "min": ["a"], "max": ["a"],
            })
        );
        for f in AggFunc::ALL {
            assert!(aggregate.fields(f).is_some(), "{f}");
        }
    }

    #[test]
    fn merging() {
        let mut a = Aggregate::new();
        a.push(Agg::sum("price"));
        a.push(Agg::count("*"));
        a.push(Agg::sum("tax").and_field("price"));
        a.push(Agg::count("id"));
        assert_eq!(
            a.to_value(),
            json!({"sum": ["price", "tax"], "count": ["*", "id"]})
        );
        // Order of pushes of different functions does not matter for equality.
        let b = Aggregate::new()
            .with(Agg::count("*").and_field("id"))
            .with(Agg::sum("price").and_field("tax"));
        assert_eq!(a, b);
        assert_eq!(Aggregate::new().to_value(), json!({}));
    }

    fn row(v: Value) -> AggregateRow {
        serde_json::from_value(v).expect("row")
    }

    #[test]
    fn sqlite_shape() {
        let r = row(json!({"category": "fruit", "sum": {"price": 3.75}, "count": 2}));
        assert_eq!(r.get_f64(AggFunc::Sum, "price"), Some(3.75));
        assert_eq!(r.get_i64(AggFunc::Sum, "price"), None);
        assert_eq!(r.get_i64(AggFunc::Count, "*"), Some(2));
        assert_eq!(r.get_f64(AggFunc::Count, "*"), Some(2.0));
        assert_eq!(r.get_i64(AggFunc::Count, "id"), None);
        assert_eq!(r.get_f64(AggFunc::Avg, "price"), None);
        assert_eq!(r.group("category"), Some(&json!("fruit")));
    }

    #[test]
    fn postgres_shape() {
        let r = row(json!({
            "category": "dairy", "sum": {"price": "18433.54"}, "count": "376",
            "countDistinct": {"customer": "12"}, "avg": {"price": "49.0253723404255319"},
            "min": {"price": null}, "countAll": "376",
        }));
        assert_eq!(r.get_f64(AggFunc::Sum, "price"), Some(18433.54));
        assert_eq!(r.get_i64(AggFunc::Count, "*"), Some(376));
        assert_eq!(r.get_i64(AggFunc::CountAll, "*"), Some(376));
        assert_eq!(r.get_i64(AggFunc::CountDistinct, "customer"), Some(12));
        let avg = r.get_f64(AggFunc::Avg, "price").expect("avg");
        assert!((avg - 49.025_372_340_425_53).abs() < 1e-9);
        assert_eq!(r.get(AggFunc::Min, "price"), Some(&Value::Null));
        assert_eq!(r.get_f64(AggFunc::Min, "price"), None);
    }

    #[test]
    fn named_count_and_star_key() {
        let r = row(json!({"count": {"id": 5}}));
        assert_eq!(r.get_i64(AggFunc::Count, "id"), Some(5));
        assert_eq!(r.get_i64(AggFunc::Count, "*"), None);
        let r = row(json!({"count": {"*": "5"}}));
        assert_eq!(r.get_i64(AggFunc::Count, "*"), Some(5));
    }

    #[test]
    fn lenient_values() {
        use lenient::{value_as_f64, value_as_i64};
        assert_eq!(value_as_i64(&json!(" 42 ")), Some(42));
        assert_eq!(value_as_i64(&json!(42.0)), Some(42));
        assert_eq!(value_as_i64(&json!(u64::MAX)), None);
        assert_eq!(value_as_i64(&json!("9223372036854775807")), Some(i64::MAX));
        assert_eq!(value_as_i64(&json!("9223372036854775808")), None);
        assert_eq!(value_as_i64(&json!("1e300")), None);
        assert_eq!(value_as_i64(&json!(true)), None);
        assert_eq!(value_as_f64(&json!("1e400")), None);
        assert_eq!(value_as_f64(&json!("inf")), None);
        assert_eq!(value_as_f64(&json!("abc")), None);
        assert_eq!(value_as_f64(&json!("-0.5")), Some(-0.5));
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Typed {
        #[serde(deserialize_with = "lenient::deserialize_f64")]
        f: f64,
        #[serde(deserialize_with = "lenient::deserialize_i64")]
        i: i64,
        #[serde(default, deserialize_with = "lenient::deserialize_option_f64")]
        of: Option<f64>,
        #[serde(default, deserialize_with = "lenient::deserialize_option_i64")]
        oi: Option<i64>,
    }

    #[test]
    fn lenient_serde() {
        let t: Typed =
            serde_json::from_str(r#"{"f":"1.5","i":"7","of":"2","oi":3}"#).expect("strings");
        assert_eq!(
            t,
            Typed {
                f: 1.5,
                i: 7,
                of: Some(2.0),
                oi: Some(3)
            }
        );
        let t: Typed = serde_json::from_str(r#"{"f":1,"i":7.0,"of":null}"#).expect("numbers");
        assert_eq!(
            t,
            Typed {
                f: 1.0,
                i: 7,
                of: None,
                oi: None
            }
        );
        for bad in [
            r#"{"f":"x","i":1}"#,
            r#"{"f":1,"i":"1.5"}"#,
            r#"{"f":true,"i":1}"#,
            r#"{"f":1,"i":1,"of":"NaN"}"#,
            r#"{"f":1,"i":1,"oi":[1]}"#,
        ] {
            assert!(serde_json::from_str::<Typed>(bad).is_err(), "{bad}");
        }
        // Through serde_json::Value too (a different Deserializer).
        let t: Typed =
            serde_json::from_value(json!({"f": "3", "i": "4", "oi": "5"})).expect("value");
        assert_eq!((t.f, t.i, t.oi), (3.0, 4, Some(5)));
    }

    #[test]
    fn rows_in_a_list() {
        let rows: Vec<AggregateRow> = serde_json::from_str(
            r#"[{"category":"fruit","sum":{"price":3.75},"count":2},
                {"category":"dairy","sum":{"price":"18433.54"},"count":"376"}]"#,
        )
        .expect("rows");
        let totals: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.group("category").and_then(Value::as_str),
                    r.get_i64(AggFunc::Count, "*"),
                )
            })
            .collect();
        assert_eq!(
            totals,
            [(Some("fruit"), Some(2)), (Some("dairy"), Some(376))]
        );
        assert_eq!(
            serde_json::to_value(&rows[0]).expect("ser")["count"],
            json!(2)
        );
    }
}
