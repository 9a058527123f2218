//! Serde helpers for decimals kept exact as text: PostgreSQL and MySQL answer decimals as
//! strings (`"12.50"`), SQLite as numbers (`12.5`); these read both into a `String`.
//! (For decimals as `f64`, [`aggregate::lenient`](crate::aggregate::lenient) reads both too.)
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Product {
//!     #[serde(default, deserialize_with = "directus_proto::schema::decimal::deserialize_option_string")]
//!     price: Option<String>,
//! }
//!
//! let pg: Product = serde_json::from_str(r#"{"price":"12.50"}"#).unwrap();
//! let sqlite: Product = serde_json::from_str(r#"{"price":12.5}"#).unwrap();
//! assert_eq!((pg.price.as_deref(), sqlite.price.as_deref()), (Some("12.50"), Some("12.5")));
//! ```

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

struct DecimalText;

impl<'de> Visitor<'de> for DecimalText {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal as a number or a string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        if v.is_finite() {
            Ok(v.to_string())
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
}

struct OptionalDecimalText;

impl<'de> Visitor<'de> for OptionalDecimalText {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal as a number or a string, or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<String>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(DecimalText).map(Some)
    }
}

/// A decimal, number or string, as its text.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Row {
///     #[serde(deserialize_with = "directus_proto::schema::decimal::deserialize_string")]
///     total: String,
/// }
/// let row: Row = serde_json::from_str(r#"{"total":3}"#).unwrap();
/// assert_eq!(row.total, "3");
/// assert!(serde_json::from_str::<Row>(r#"{"total":true}"#).is_err());
/// ```
pub fn deserialize_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(DecimalText)
}

/// An optional decimal, number or string, as its text (`null` is `None`).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Row {
///     #[serde(default, deserialize_with = "directus_proto::schema::decimal::deserialize_option_string")]
///     total: Option<String>,
/// }
/// let row: Row = serde_json::from_str(r#"{"total":null}"#).unwrap();
/// assert_eq!(row.total, None);
/// ```
pub fn deserialize_option_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_option(OptionalDecimalText)
}
