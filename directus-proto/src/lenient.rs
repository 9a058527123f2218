//! Serde helpers for values whose JSON shape depends on the database behind Directus.
//!
//! Directus answers what its database driver gives it. The same field reads differently
//! (measured on Directus 12.4 with SQLite and PostgreSQL 15):
//!
//! | field type | SQLite | PostgreSQL | read it as |
//! |---|---|---|---|
//! | `decimal` / `numeric` | number (`12.5`: scale dropped, not rounded to it) | string (`"12.5000"`, rounded to the scale) | [`f64`](mod@self::f64) / [`opt_f64`], or `rust_decimal::Decimal` (below) |
//! | `bigInteger` | number (beyond 2^53 it comes back rounded: the server reads it as a JavaScript number) | string (`"9007199254740993"`, exact) | [`i64`](mod@self::i64) / [`opt_i64`] |
//! | `float`, `integer` | number | number | plain `f64`, `i64` |
//! | aggregates (`sum`, `count`, `avg`, ...) | number | string | [`crate::AggregateRow`] getters, or these helpers |
//! | `dateTime` | `"2024-05-01T12:30:00"` | `"2024-05-01T12:30:00"` | `String` (or a date-time type of your choice) |
//! | `timestamp` | `"2024-05-01T12:30:00.000Z"` | `"2024-05-01T12:30:00.000Z"` | `String`; parse as RFC 3339 |
//! | `date` | `"2024-05-01"` | `"2024-05-01"` | `String` |
//! | `json` | the JSON value | the JSON value | `serde_json::Value` or your type |
//! | `csv` | array of strings | array of strings | `Vec<String>` |
//!
//! The helpers are serde `with` modules: put `#[serde(with = "directus_proto::lenient::f64")]`
//! (or the re-export `directus_blocking::lenient::f64` / `directus_async::lenient::f64`) on the
//! field. Reading accepts a JSON number or a numeric string; writing sends what every database
//! accepts: a float as a JSON number, an integer as a JSON number when JavaScript can hold it
//! exactly (|n| < 2^53) and as a string beyond, so Directus (JavaScript) never rounds it.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! struct Product {
//!     #[serde(default, skip_serializing_if = "Option::is_none")]
//!     id: Option<i64>,
//!     name: String,
//!     #[serde(with = "directus_proto::lenient::f64")]
//!     price: f64,
//!     #[serde(default, with = "directus_proto::lenient::opt_i64")]
//!     views: Option<i64>,
//! }
//!
//! let sqlite: Product = serde_json::from_str(r#"{"id":1,"name":"kiwi","price":1.25,"views":9007199254740993}"#).unwrap();
//! let pg: Product = serde_json::from_str(r#"{"id":1,"name":"kiwi","price":"1.2500","views":"9007199254740993"}"#).unwrap();
//! assert_eq!(sqlite, pg);
//! assert_eq!(
//!     serde_json::to_string(&pg).unwrap(),
//!     r#"{"id":1,"name":"kiwi","price":1.25,"views":"9007199254740993"}"#
//! );
//! ```
//!
//! For exact decimals (money), use [`rust_decimal`](https://docs.rs/rust_decimal)'s `Decimal`
//! with its `serde` feature and no helper: it reads a number or a string, and writes a string
//! (`"12.50"`), which both databases store exactly.
//!
//! ```
//! use rust_decimal::Decimal;
//! use std::str::FromStr;
//!
//! #[derive(serde::Deserialize, serde::Serialize)]
//! struct Line { amount: Decimal }
//!
//! let pg: Line = serde_json::from_str(r#"{"amount":"12.5000"}"#).unwrap();
//! let sqlite: Line = serde_json::from_str(r#"{"amount":12.5}"#).unwrap();
//! assert_eq!(pg.amount, sqlite.amount);
//! assert_eq!(pg.amount, Decimal::from_str("12.5").unwrap());
//! assert_eq!(serde_json::to_string(&pg).unwrap(), r#"{"amount":"12.5000"}"#);
//! ```
//!
//! The `deserialize_*` functions are the same readers for `deserialize_with`, and
//! [`value_as_f64`] / [`value_as_i64`] read a [`serde_json::Value`] you already hold.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, Visitor};
use serde_json::Value;

/// A JSON number or numeric string as a finite float.
///
/// ```
/// use directus_proto::lenient::value_as_f64;
/// use serde_json::json;
///
/// assert_eq!(value_as_f64(&json!("18433.54")), Some(18433.54));
/// assert_eq!(value_as_f64(&json!(2)), Some(2.0));
/// assert_eq!(value_as_f64(&json!("NaN")), None);
/// assert_eq!(value_as_f64(&json!(null)), None);
/// ```
pub fn value_as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_f64(s),
        _ => None,
    }
}

/// A JSON integer, integral float, or string holding either, as an `i64`.
///
/// ```
/// use directus_proto::lenient::value_as_i64;
/// use serde_json::json;
///
/// assert_eq!(value_as_i64(&json!("376")), Some(376));
/// assert_eq!(value_as_i64(&json!("12.000")), Some(12));
/// assert_eq!(value_as_i64(&json!(2.5)), None);
/// ```
pub fn value_as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(f64_to_i64)),
        Value::String(s) => parse_i64(s),
        _ => None,
    }
}

fn parse_f64(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

fn parse_i64(s: &str) -> Option<i64> {
    let s = s.trim();
    s.parse::<i64>()
        .ok()
        .or_else(|| parse_f64(s).and_then(f64_to_i64))
}

fn f64_to_i64(f: f64) -> Option<i64> {
    // i64::MAX is not exactly representable; 2^63 is the first float out of range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        #[allow(clippy::cast_possible_truncation)]
        Some(f as i64)
    } else {
        None
    }
}

trait Lenient: Sized {
    const EXPECTING: &'static str;
    fn from_i64(v: i64) -> Option<Self>;
    fn from_u64(v: u64) -> Option<Self>;
    fn from_f64(v: f64) -> Option<Self>;
    fn from_str(v: &str) -> Option<Self>;
}

impl Lenient for f64 {
    const EXPECTING: &'static str = "a number or a numeric string";
    #[allow(clippy::cast_precision_loss)]
    fn from_i64(v: i64) -> Option<f64> {
        Some(v as f64)
    }
    #[allow(clippy::cast_precision_loss)]
    fn from_u64(v: u64) -> Option<f64> {
        Some(v as f64)
    }
    fn from_f64(v: f64) -> Option<f64> {
        Some(v).filter(|f| f.is_finite())
    }
    fn from_str(v: &str) -> Option<f64> {
        parse_f64(v)
    }
}

impl Lenient for i64 {
    const EXPECTING: &'static str = "an integer or an integer string";
    fn from_i64(v: i64) -> Option<i64> {
        Some(v)
    }
    fn from_u64(v: u64) -> Option<i64> {
        i64::try_from(v).ok()
    }
    fn from_f64(v: f64) -> Option<i64> {
        f64_to_i64(v)
    }
    fn from_str(v: &str) -> Option<i64> {
        parse_i64(v)
    }
}

struct NumVisitor<T>(PhantomData<T>);

impl<T: Lenient> NumVisitor<T> {
    fn check<E: de::Error>(got: Option<T>, unexpected: de::Unexpected<'_>) -> Result<T, E> {
        got.ok_or_else(|| E::invalid_value(unexpected, &T::EXPECTING))
    }
}

impl<'de, T: Lenient> Visitor<'de> for NumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Self::check(T::from_i64(v), de::Unexpected::Signed(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Self::check(T::from_u64(v), de::Unexpected::Unsigned(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Self::check(T::from_f64(v), de::Unexpected::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Self::check(T::from_str(v), de::Unexpected::Str(v))
    }
}

struct OptVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient> Visitor<'de> for OptVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "null or {}", T::EXPECTING)
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(NumVisitor(PhantomData)).map(Some)
    }
}

/// Deserializes an `f64` from a JSON number or a numeric string (`3.75` or `"3.75"`).
/// Non-finite values (`"NaN"`, `"inf"`) are rejected.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Sum {
///     #[serde(deserialize_with = "directus_proto::lenient::deserialize_f64")]
///     price: f64,
/// }
/// let s: Sum = serde_json::from_str(r#"{"price":"18433.54"}"#).unwrap();
/// assert_eq!(s.price, 18433.54);
/// ```
///
/// # Errors
///
/// When the input is neither a number nor a string holding a finite number.
pub fn deserialize_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    deserializer.deserialize_any(NumVisitor(PhantomData))
}

/// Deserializes an `i64` from a JSON integer, an integral float, or a string holding either
/// (`376`, `"376"`, `"376.000"`).
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Row {
///     #[serde(deserialize_with = "directus_proto::lenient::deserialize_i64")]
///     count: i64,
/// }
/// let r: Row = serde_json::from_str(r#"{"count":"376"}"#).unwrap();
/// assert_eq!(r.count, 376);
/// assert!(serde_json::from_str::<Row>(r#"{"count":"3.5"}"#).is_err());
/// ```
///
/// # Errors
///
/// When the input is not an integral number in the `i64` range, as a number or a string.
pub fn deserialize_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(NumVisitor(PhantomData))
}

/// Like [`deserialize_f64`], with `null` as `None`. Add `#[serde(default)]` to accept a
/// missing field too (`avg` and `sum` of an empty group are `null`).
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Avg {
///     #[serde(default, deserialize_with = "directus_proto::lenient::deserialize_option_f64")]
///     price: Option<f64>,
/// }
/// assert_eq!(serde_json::from_str::<Avg>(r#"{"price":null}"#).unwrap().price, None);
/// assert_eq!(serde_json::from_str::<Avg>(r#"{}"#).unwrap().price, None);
/// assert_eq!(serde_json::from_str::<Avg>(r#"{"price":"2.5"}"#).unwrap().price, Some(2.5));
/// ```
///
/// # Errors
///
/// When the input is neither `null`, a number, nor a string holding a finite number.
pub fn deserialize_option_f64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_option(OptVisitor(PhantomData))
}

/// Like [`deserialize_i64`], with `null` as `None`. Add `#[serde(default)]` to accept a
/// missing field too.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Row {
///     #[serde(default, deserialize_with = "directus_proto::lenient::deserialize_option_i64")]
///     count: Option<i64>,
/// }
/// assert_eq!(serde_json::from_str::<Row>(r#"{"count":"5"}"#).unwrap().count, Some(5));
/// assert_eq!(serde_json::from_str::<Row>(r#"{"count":null}"#).unwrap().count, None);
/// ```
///
/// # Errors
///
/// When the input is neither `null` nor an integral number in the `i64` range.
pub fn deserialize_option_i64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_option(OptVisitor(PhantomData))
}

/// The largest integer JavaScript (and so Directus) holds exactly: 2^53 - 1.
const JS_SAFE: i64 = (1 << 53) - 1;

fn ser_i64<S: serde::Serializer>(v: i64, serializer: S) -> Result<S::Ok, S::Error> {
    if (-JS_SAFE..=JS_SAFE).contains(&v) {
        serializer.serialize_i64(v)
    } else {
        serializer.collect_str(&v)
    }
}

fn ser_f64<S: serde::Serializer>(v: f64, serializer: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        serializer.serialize_f64(v)
    } else {
        Err(serde::ser::Error::custom(
            "a decimal must be finite (NaN and infinity have no JSON form)",
        ))
    }
}

/// `#[serde(with = "directus_proto::lenient::f64")]`: an `f64` read from a number or a numeric
/// string (a `decimal` on PostgreSQL), written as a JSON number.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct P { #[serde(with = "directus_proto::lenient::f64")] price: f64 }
///
/// let p: P = serde_json::from_str(r#"{"price":"12.50"}"#).unwrap();
/// assert_eq!(p.price, 12.5);
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"price":12.5}"#);
/// assert!(serde_json::to_string(&P { price: f64::NAN }).is_err());
/// ```
pub mod f64 {
    use serde::{Deserializer, Serializer};

    /// Reads a number or a numeric string; see [`super::deserialize_f64`].
    ///
    /// ```
    /// let v = directus_proto::lenient::f64::deserialize(serde_json::json!("2.5")).unwrap();
    /// assert_eq!(v, 2.5);
    /// ```
    ///
    /// # Errors
    ///
    /// When the input is neither a number nor a string holding a finite number.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        super::deserialize_f64(deserializer)
    }

    /// Writes a JSON number.
    ///
    /// ```
    /// let v = directus_proto::lenient::f64::serialize(&2.5, serde_json::value::Serializer).unwrap();
    /// assert_eq!(v, serde_json::json!(2.5));
    /// ```
    ///
    /// # Errors
    ///
    /// For NaN and infinities, which have no JSON form.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        super::ser_f64(*value, serializer)
    }
}

/// `#[serde(default, with = "directus_proto::lenient::opt_f64")]`: like [`f64`](mod@crate::lenient::f64)
/// with `null` (and, with `default`, a missing field) as `None`.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct P { #[serde(default, with = "directus_proto::lenient::opt_f64")] price: Option<f64> }
///
/// assert_eq!(serde_json::from_str::<P>(r#"{"price":"1.5"}"#).unwrap().price, Some(1.5));
/// assert_eq!(serde_json::from_str::<P>(r#"{"price":null}"#).unwrap().price, None);
/// assert_eq!(serde_json::from_str::<P>("{}").unwrap().price, None);
/// assert_eq!(serde_json::to_string(&P { price: None }).unwrap(), r#"{"price":null}"#);
/// ```
pub mod opt_f64 {
    use serde::{Deserializer, Serializer};

    /// Reads `null`, a number or a numeric string; see [`super::deserialize_option_f64`].
    ///
    /// ```
    /// let v = directus_proto::lenient::opt_f64::deserialize(serde_json::json!(null)).unwrap();
    /// assert_eq!(v, None);
    /// ```
    ///
    /// # Errors
    ///
    /// When the input is neither `null`, a number, nor a string holding a finite number.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        super::deserialize_option_f64(deserializer)
    }

    /// Writes `null` or a JSON number.
    ///
    /// ```
    /// let v = directus_proto::lenient::opt_f64::serialize(&Some(1.5), serde_json::value::Serializer).unwrap();
    /// assert_eq!(v, serde_json::json!(1.5));
    /// ```
    ///
    /// # Errors
    ///
    /// For NaN and infinities.
    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::ser_f64(*v, serializer),
            None => serializer.serialize_none(),
        }
    }
}

/// `#[serde(with = "directus_proto::lenient::i64")]`: an `i64` read from a number or an integer
/// string (a `bigInteger` on PostgreSQL), written as a JSON number when JavaScript holds it
/// exactly and as a string beyond 2^53.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct R { #[serde(with = "directus_proto::lenient::i64")] views: i64 }
///
/// let r: R = serde_json::from_str(r#"{"views":"9007199254740993"}"#).unwrap();
/// assert_eq!(r.views, 9_007_199_254_740_993);
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"views":"9007199254740993"}"#);
/// assert_eq!(serde_json::to_string(&R { views: 42 }).unwrap(), r#"{"views":42}"#);
/// ```
pub mod i64 {
    use serde::{Deserializer, Serializer};

    /// Reads an integer, an integral float, or a string holding either; see
    /// [`super::deserialize_i64`].
    ///
    /// ```
    /// let v = directus_proto::lenient::i64::deserialize(serde_json::json!("376")).unwrap();
    /// assert_eq!(v, 376);
    /// ```
    ///
    /// # Errors
    ///
    /// When the input is not an integral number in the `i64` range.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        super::deserialize_i64(deserializer)
    }

    /// Writes a JSON number, or a string beyond ±(2^53 - 1).
    ///
    /// ```
    /// let v = directus_proto::lenient::i64::serialize(&i64::MAX, serde_json::value::Serializer).unwrap();
    /// assert_eq!(v, serde_json::json!("9223372036854775807"));
    /// ```
    ///
    /// # Errors
    ///
    /// Only those of the serializer.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub fn serialize<S: Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        super::ser_i64(*value, serializer)
    }
}

/// `#[serde(default, with = "directus_proto::lenient::opt_i64")]`: like [`i64`](mod@crate::lenient::i64)
/// with `null` (and, with `default`, a missing field) as `None`.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct R { #[serde(default, with = "directus_proto::lenient::opt_i64")] views: Option<i64> }
///
/// assert_eq!(serde_json::from_str::<R>(r#"{"views":"7"}"#).unwrap().views, Some(7));
/// assert_eq!(serde_json::from_str::<R>("{}").unwrap().views, None);
/// assert_eq!(serde_json::to_string(&R { views: Some(7) }).unwrap(), r#"{"views":7}"#);
/// ```
pub mod opt_i64 {
    use serde::{Deserializer, Serializer};

    /// Reads `null`, an integer, or an integer string; see [`super::deserialize_option_i64`].
    ///
    /// ```
    /// let v = directus_proto::lenient::opt_i64::deserialize(serde_json::json!("5")).unwrap();
    /// assert_eq!(v, Some(5));
    /// ```
    ///
    /// # Errors
    ///
    /// When the input is neither `null` nor an integral number in the `i64` range.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        super::deserialize_option_i64(deserializer)
    }

    /// Writes `null`, a JSON number, or a string beyond ±(2^53 - 1).
    ///
    /// ```
    /// let v = directus_proto::lenient::opt_i64::serialize(&None, serde_json::value::Serializer).unwrap();
    /// assert_eq!(v, serde_json::json!(null));
    /// ```
    ///
    /// # Errors
    ///
    /// Only those of the serializer.
    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::ser_i64(*v, serializer),
            None => serializer.serialize_none(),
        }
    }
}
