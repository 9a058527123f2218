//! Directus filter rules, built as a tree and rendered to the JSON Directus reads.
//!
//! Build conditions with the constructors on [`F`], combine them with `&`, `|` and `!`
//! (or [`Filter::all`], [`Filter::any`], [`Filter::and`], [`Filter::or`]), then render with
//! [`Filter::to_value`]:
//!
//! ```
//! use directus_proto::filter::F;
//! use serde_json::json;
//!
//! let f = F::eq("status", "published") & !F::lt("price", 10) & F::starts_with("author.name", "A");
//! assert_eq!(
//!     f.to_value().unwrap(),
//!     json!({"_and": [
//!         {"status": {"_eq": "published"}},
//!         {"price": {"_gte": 10}},
//!         {"author": {"name": {"_starts_with": "A"}}},
//!     ]})
//! );
//! ```
//!
//! # Negation and `NULL`
//!
//! Directus has no `_not` operator, so [`Filter::to_value`] pushes every negation down to the
//! conditions (De Morgan: `!(a & b)` is `!a | !b`, `!(a | b)` is `!a & !b`, `!!a` is `a`) and
//! replaces each negated operator by its twin (`_lt` by `_gte`, `_in` by `_nin`, `_some` by
//! `_none`, ...).
//!
//! The result means exactly what SQL's `NOT (...)` means under SQL's three-valued logic, because
//! that is how Directus runs the twins (`_neq` is `NOT col = v`, `_gte` is `col >= v`, `_nin` is
//! `col NOT IN (...)`): **`!f` matches the rows where `f` is false; a row whose field is `NULL`
//! matches neither `f` nor `!f`.** For example `!F::lt("price", 1)` becomes
//! `{"price":{"_gte":1}}`, which does *not* return rows without a price. If you want those too, say
//! so: `!F::lt("price", 1) | F::null("price")`.
//!
//! These operators never look at a `NULL` as unknown, so their negation is the exact complement:
//! `_null`/`_nnull`, `_empty`/`_nempty` (`_empty` is "`NULL` or `''`"), `_eq`/`_neq` *with a
//! `null` value* (Directus turns `{"_eq": null}` into `IS NULL`), `_in`/`_nin` with an empty list,
//! and `_some`/`_none`.
//!
//! A dotted path such as `"products.name"` that crosses a one-to-many or many-to-many relation
//! matches when *some* related row matches, so its negation `{"products":{"name":{"_neq":..}}}`
//! means "some related row has another name", not "no related row has that name". This module
//! cannot know the relation kinds of your schema: for to-many relations use [`F::some`] and
//! [`F::none`], whose negation is exact. Dotted paths are exact for many-to-one relations.
//!
//! A hand-written [`F::raw`] filter cannot be negated: [`Filter::to_value`] answers
//! [`FilterError::CannotNegate`] rather than guess.
//!
//! Directus turns the strings `"true"`, `"false"`, `"null"` and `"NULL"` anywhere in a filter
//! into `true`, `false` and `null` before it runs it, so `F::eq("name", "null")` means
//! `name IS NULL` on the server, not the text `null`; no filter can match those four texts.
//!
//! # Limits
//!
//! Filters are often built from input, so no input may make an operation on them (rendering,
//! `clone`, `Debug`, `==`, `drop`) exhaust the stack. Three documented limits, far above any
//! real filter, keep every filter small enough for that; past one, the filter holds a typed
//! error instead of its parts, and [`Filter::to_value`] (so a request built with it) answers it:
//!
//! - [`MAX_DEPTH`] levels of `&`, `|`, [`F::some`] and [`F::none`] nesting
//!   ([`FilterError::TooDeep`]; `!` costs nothing, and flattened chains such as `a & b & c`
//!   are one level);
//! - [`MAX_PATH_SEGMENTS`] segments in a dotted field path ([`FilterError::TooManySegments`]);
//! - [`MAX_VALUE_DEPTH`] nested arrays / objects in a value or a raw filter
//!   ([`FilterError::ValueTooDeep`]).
//!
//! ```
//! use directus_proto::filter::{F, FilterError, MAX_DEPTH};
//!
//! let mut f = F::eq("a", 1);
//! for i in 0..10_000 {
//!     f = F::some("items", !f | F::eq("b", i));
//! }
//! assert_eq!(f.to_value(), Err(FilterError::TooDeep { limit: MAX_DEPTH }));
//! ```
//!
//! A field path segment that begins with `_` cannot be expressed: Directus reads every such key
//! as an operator (`_and`, `_or`, `_eq`, `_some`, ...), so [`Filter::to_value`] answers
//! [`FilterError::InvalidField`] for it.

use std::fmt;
use std::ops::{BitAnd, BitOr, Not};

use serde_json::{Map, Value};

/// Why a [`Filter`] cannot be rendered as Directus filter JSON.
///
/// ```
/// use directus_proto::filter::{F, FilterError};
///
/// let err = (!F::raw(serde_json::json!({"title": {"_regex": "^a"}}))).to_value().unwrap_err();
/// assert!(matches!(err, FilterError::CannotNegate { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A negation reached something that has no operator twin (a raw filter), and Directus has
    /// no `_not` operator to express it.
    #[error("cannot negate {operator}: Directus has no `_not` and it has no negated twin")]
    CannotNegate {
        /// The operator (or `"raw filter"`) that could not be negated.
        operator: String,
    },
    /// A field path is empty, has an empty segment (`"a..b"`) or unbalanced parentheses.
    #[error("invalid field path {path:?}: {reason}")]
    InvalidField {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `_some` / `_none` were given a dotted relation path; Directus only accepts them on a
    /// relational field of the collection being filtered (nest [`F::some`] calls instead).
    #[error("`_some`/`_none` need a single relational field, not the path {relation:?}")]
    QuantifierPath {
        /// The relation path as given.
        relation: String,
    },
    /// A raw filter was not a JSON object.
    #[error("a raw filter must be a JSON object, got {found}")]
    RawNotObject {
        /// The JSON type that was given instead (`"array"`, `"string"`, ...).
        found: &'static str,
    },
    /// The whole filter can never match (for example `Filter::any([])`, or the negation of
    /// `Filter::all([])`), and Directus filters cannot express "nothing".
    #[error("the filter can never match (an empty `any`), which Directus cannot express")]
    MatchesNothing,
    /// `&`, `|`, [`F::some`] and [`F::none`] nest deeper than [`MAX_DEPTH`] levels.
    #[error("the filter nests deeper than {limit} levels of and / or / some / none")]
    TooDeep {
        /// The limit, [`MAX_DEPTH`].
        limit: usize,
    },
    /// A dotted field path has more than [`MAX_PATH_SEGMENTS`] segments.
    #[error("a field path has more than {limit} segments")]
    TooManySegments {
        /// The limit, [`MAX_PATH_SEGMENTS`].
        limit: usize,
    },
    /// A value (or a raw filter, or a query's `deep`) nests more than [`MAX_VALUE_DEPTH`] arrays
    /// and objects.
    #[error("a JSON value nests more than {limit} arrays and objects")]
    ValueTooDeep {
        /// The limit, [`MAX_VALUE_DEPTH`].
        limit: usize,
    },
}

/// The deepest nesting of `&`, `|`, [`F::some`] and [`F::none`] a [`Filter`] may have (a
/// condition alone is one level; `!` and flattened chains like `a & b & c` add none).
///
/// Past it, the combined filter holds [`FilterError::TooDeep`] instead of its parts. The limit
/// applies to the filter as sent: the `_and` that joins several [`Query::filter`] calls (or a
/// write's filter with its handle's) counts as one more level. Directus itself joins at most
/// `MAX_RELATIONAL_DEPTH` (default 10) relations, and hand-written filters rarely nest past a
/// handful of levels.
///
/// [`Query::filter`]: crate::Query::filter
///
/// ```
/// use directus_proto::filter::{F, FilterError, MAX_DEPTH};
///
/// let mut f = F::eq("a", 1);
/// for _ in 1..MAX_DEPTH {
///     f = F::some("r", f);
/// }
/// assert!(f.to_value().is_ok());
/// assert_eq!(F::some("r", f).to_value(), Err(FilterError::TooDeep { limit: MAX_DEPTH }));
/// ```
pub const MAX_DEPTH: usize = 128;

/// The most segments a dotted field path (`"author.address.city"`) may have; each becomes a
/// nested JSON object. Past it, [`Filter::to_value`] answers [`FilterError::TooManySegments`].
///
/// ```
/// use directus_proto::filter::{F, FilterError, MAX_PATH_SEGMENTS};
///
/// let path = vec!["a"; MAX_PATH_SEGMENTS + 1].join(".");
/// assert_eq!(
///     F::eq(path, 1).to_value(),
///     Err(FilterError::TooManySegments { limit: MAX_PATH_SEGMENTS })
/// );
/// ```
pub const MAX_PATH_SEGMENTS: usize = 64;

/// The most arrays and objects a JSON value given to a filter ([`F::eq`], [`F::raw`], ...) may
/// nest. A deeper value is refused when the filter is made ([`FilterError::ValueTooDeep`]) and
/// taken apart without recursion.
///
/// ```
/// use directus_proto::filter::{F, FilterError, MAX_VALUE_DEPTH};
/// use serde_json::Value;
///
/// let mut value = Value::from(1);
/// for _ in 0..=MAX_VALUE_DEPTH {
///     value = Value::Array(vec![value]);
/// }
/// assert_eq!(
///     F::eq("a", value).to_value(),
///     Err(FilterError::ValueTooDeep { limit: MAX_VALUE_DEPTH })
/// );
/// ```
pub const MAX_VALUE_DEPTH: usize = 128;

/// A Directus filter rule: a tree of conditions combined with and / or / not.
///
/// Build one with [`F`], combine with `&`, `|`, `!`, render with [`Filter::to_value`].
/// Equality (`PartialEq`) is structural: `!F::eq("a", 1)` and `F::neq("a", 1)` render the same
/// JSON but are different trees. Every filter stays within the [limits](self#limits), so no
/// operation on one can exhaust the stack.
///
/// ```
/// use directus_proto::filter::{F, Filter};
/// use serde_json::json;
///
/// let f: Filter = F::gt("year(date)", 2000) | F::null("date");
/// assert_eq!(
///     f.to_value().unwrap(),
///     json!({"_or": [{"year(date)": {"_gt": 2000}}, {"date": {"_null": true}}]})
/// );
/// ```
#[derive(Clone, PartialEq)]
pub struct Filter {
    node: Node,
    /// `!` is a flag, not a node: it costs no depth and `!!f` is `f` again.
    negated: bool,
    /// The nesting of `node`: 1 for a leaf, never more than [`MAX_DEPTH`].
    depth: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Cond {
        path: String,
        op: Op,
        value: Value,
    },
    Rel {
        relation: String,
        quant: Quant,
        filter: Box<Filter>,
    },
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Raw(Value),
    /// A filter that broke a limit: its parts were dropped and only the error is kept.
    Invalid(FilterError),
}

impl Filter {
    fn leaf(node: Node) -> Filter {
        Filter {
            node,
            negated: false,
            depth: 1,
        }
    }

    fn invalid(err: FilterError) -> Filter {
        Filter::leaf(Node::Invalid(err))
    }

    fn is_invalid(&self) -> bool {
        matches!(self.node, Node::Invalid(_))
    }

    /// A node one level above children at most `child_depth` deep, or
    /// [`FilterError::TooDeep`] (the children are dropped, each within the limit).
    fn nested(node: Node, child_depth: usize) -> Filter {
        let depth = child_depth.saturating_add(1);
        if depth > MAX_DEPTH {
            return Filter::invalid(FilterError::TooDeep { limit: MAX_DEPTH });
        }
        Filter {
            node,
            negated: false,
            depth,
        }
    }

    /// A leaf holding a user's JSON value, or [`FilterError::ValueTooDeep`].
    fn with_value(value: Value, node: impl FnOnce(Value) -> Node) -> Filter {
        match check_value_depth(value) {
            Ok(value) => Filter::leaf(node(value)),
            Err(err) => Filter::invalid(err),
        }
    }

    /// `_and` (`is_and`) or `_or` of `filters`, flattening same-kind children; an invalid
    /// child makes the whole invalid.
    fn join(is_and: bool, filters: impl IntoIterator<Item = Filter>) -> Filter {
        let mut out = Vec::new();
        for f in filters {
            if f.is_invalid() {
                return f;
            }
            match f {
                Filter {
                    node: Node::And(children),
                    negated: false,
                    ..
                } if is_and => out.extend(children),
                Filter {
                    node: Node::Or(children),
                    negated: false,
                    ..
                } if !is_and => out.extend(children),
                other => out.push(other),
            }
        }
        match <[Filter; 1]>::try_from(out) {
            Ok([only]) => only,
            Err(out) => {
                let depth = out.iter().map(|f| f.depth).max().unwrap_or(0);
                let node = if is_and {
                    Node::And(out)
                } else {
                    Node::Or(out)
                };
                Filter::nested(node, depth)
            }
        }
    }

    fn quantified(relation: String, quant: Quant, filter: Filter) -> Filter {
        if filter.is_invalid() {
            return filter;
        }
        let depth = filter.depth;
        Filter::nested(
            Node::Rel {
                relation,
                quant,
                filter: Box::new(filter),
            },
            depth,
        )
    }
}

/// The tree, with `!` shown as `Not(..)`.
impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.debug_tuple("Not").field(&self.node).finish()
        } else {
            fmt::Debug::fmt(&self.node, f)
        }
    }
}

/// Counts how deep `value` nests without recursion; a value past [`MAX_VALUE_DEPTH`] is taken
/// apart without recursion too (serde_json's own `drop` would recurse) and refused.
pub(crate) fn check_value_depth(value: Value) -> Result<Value, FilterError> {
    if value_depth_within(&value, MAX_VALUE_DEPTH) {
        return Ok(value);
    }
    dispose(value);
    Err(FilterError::ValueTooDeep {
        limit: MAX_VALUE_DEPTH,
    })
}

/// Whether `value` nests at most `limit` arrays and objects.
fn value_depth_within(value: &Value, limit: usize) -> bool {
    if !matches!(value, Value::Array(_) | Value::Object(_)) {
        return true;
    }
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth >= limit {
            return false;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    true
}

/// Drops a value of any depth with a heap stack instead of recursion.
fn dispose(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quant {
    Some,
    None,
}

impl Quant {
    fn key(self) -> &'static str {
        match self {
            Quant::Some => "_some",
            Quant::None => "_none",
        }
    }

    fn twin(self) -> Quant {
        match self {
            Quant::Some => Quant::None,
            Quant::None => Quant::Some,
        }
    }
}

macro_rules! ops {
    ($($variant:ident = $wire:literal / $twin:ident,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Op {
            $($variant,)*
        }

        impl Op {
            fn key(self) -> &'static str {
                match self {
                    $(Op::$variant => $wire,)*
                }
            }

            /// The operator that matches exactly where this one is false (SQL `NOT`).
            /// Every Directus comparison operator has one; an operator added without a twin
            /// would return `None` and surface as [`FilterError::CannotNegate`].
            fn twin(self) -> Option<Op> {
                match self {
                    $(Op::$variant => Some(Op::$twin),)*
                }
            }
        }
    };
}

ops! {
    Eq = "_eq" / Neq,
    Neq = "_neq" / Eq,
    Lt = "_lt" / Gte,
    Gte = "_gte" / Lt,
    Lte = "_lte" / Gt,
    Gt = "_gt" / Lte,
    In = "_in" / Nin,
    Nin = "_nin" / In,
    Null = "_null" / Nnull,
    Nnull = "_nnull" / Null,
    Between = "_between" / Nbetween,
    Nbetween = "_nbetween" / Between,
    Empty = "_empty" / Nempty,
    Nempty = "_nempty" / Empty,
    Contains = "_contains" / Ncontains,
    Ncontains = "_ncontains" / Contains,
    Icontains = "_icontains" / Nicontains,
    Nicontains = "_nicontains" / Icontains,
    StartsWith = "_starts_with" / NstartsWith,
    NstartsWith = "_nstarts_with" / StartsWith,
    IstartsWith = "_istarts_with" / NistartsWith,
    NistartsWith = "_nistarts_with" / IstartsWith,
    EndsWith = "_ends_with" / NendsWith,
    NendsWith = "_nends_with" / EndsWith,
    IendsWith = "_iends_with" / NiendsWith,
    NiendsWith = "_niends_with" / IendsWith,
    Intersects = "_intersects" / Nintersects,
    Nintersects = "_nintersects" / Intersects,
    IntersectsBbox = "_intersects_bbox" / NintersectsBbox,
    NintersectsBbox = "_nintersects_bbox" / IntersectsBbox,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Constructors for every Directus filter operator, plus `_some` / `_none` and raw JSON.
///
/// Field paths use dots for relations (`"author.name"` renders as
/// `{"author":{"name":{...}}}`); dots inside parentheses stay in one key, so function keys like
/// `"year(date)"` or `"json(data, a.b)"` work. Dynamic values (`"$NOW"`, `"$NOW(-1 year)"`,
/// `"$CURRENT_USER"`, ...) are plain strings passed through unchanged.
///
/// ```
/// use directus_proto::filter::F;
/// use serde_json::json;
///
/// let f = F::lte("created_at", "$NOW(-1 year)");
/// assert_eq!(f.to_value().unwrap(), json!({"created_at": {"_lte": "$NOW(-1 year)"}}));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F;

fn cond(field: impl Into<String>, op: Op, value: Value) -> Filter {
    let path = field.into();
    Filter::with_value(value, |value| Node::Cond { path, op, value })
}

fn list<V: Into<Value>>(values: impl IntoIterator<Item = V>) -> Value {
    Value::Array(values.into_iter().map(Into::into).collect())
}

macro_rules! value_ops {
    ($($name:ident => $op:ident, $wire:literal, $twin:literal, $field:literal, $arg:literal, $what:literal;)*) => {
        $(
            #[doc = concat!("`", $wire, "`: ", $what, ".")]
            #[doc = ""]
            #[doc = concat!("Negated, it becomes [`F::", $twin, "`].")]
            #[doc = ""]
            #[doc = "```"]
            #[doc = "use directus_proto::filter::F;"]
            #[doc = "use serde_json::json;"]
            #[doc = ""]
            #[doc = concat!("let f = F::", stringify!($name), "(\"", $field, "\", ", $arg, ");")]
            #[doc = concat!("assert_eq!(f.to_value().unwrap(), json!({\"", $field, "\": {\"", $wire, "\": ", $arg, "}}));")]
            #[doc = "```"]
            pub fn $name(field: impl Into<String>, value: impl Into<Value>) -> Filter {
                cond(field, Op::$op, value.into())
            }
        )*
    };
}

macro_rules! unary_ops {
    ($($name:ident => $op:ident, $wire:literal, $twin:literal, $what:literal;)*) => {
        $(
            #[doc = concat!("`", $wire, "`: ", $what, ". Sends `true` as the value.")]
            #[doc = ""]
            #[doc = concat!("Negated, it becomes [`F::", $twin, "`]; the two are exact complements.")]
            #[doc = ""]
            #[doc = "```"]
            #[doc = "use directus_proto::filter::F;"]
            #[doc = "use serde_json::json;"]
            #[doc = ""]
            #[doc = concat!("let f = F::", stringify!($name), "(\"title\");")]
            #[doc = concat!("assert_eq!(f.to_value().unwrap(), json!({\"title\": {\"", $wire, "\": true}}));")]
            #[doc = "```"]
            pub fn $name(field: impl Into<String>) -> Filter {
                cond(field, Op::$op, Value::Bool(true))
            }
        )*
    };
}

macro_rules! list_ops {
    ($($name:ident => $op:ident, $wire:literal, $twin:literal, $what:literal;)*) => {
        $(
            #[doc = concat!("`", $wire, "`: ", $what, ".")]
            #[doc = ""]
            #[doc = concat!("Negated, it becomes [`F::", $twin, "`].")]
            #[doc = ""]
            #[doc = "```"]
            #[doc = "use directus_proto::filter::F;"]
            #[doc = "use serde_json::json;"]
            #[doc = ""]
            #[doc = concat!("let f = F::", stringify!($name), "(\"id\", [1, 2, 3]);")]
            #[doc = concat!("assert_eq!(f.to_value().unwrap(), json!({\"id\": {\"", $wire, "\": [1, 2, 3]}}));")]
            #[doc = "```"]
            pub fn $name<V: Into<Value>>(field: impl Into<String>, values: impl IntoIterator<Item = V>) -> Filter {
                cond(field, Op::$op, list(values))
            }
        )*
    };
}

macro_rules! range_ops {
    ($($name:ident => $op:ident, $wire:literal, $twin:literal, $what:literal;)*) => {
        $(
            #[doc = concat!("`", $wire, "`: ", $what, " (bounds included, as SQL `BETWEEN`).")]
            #[doc = ""]
            #[doc = concat!("Negated, it becomes [`F::", $twin, "`].")]
            #[doc = ""]
            #[doc = "```"]
            #[doc = "use directus_proto::filter::F;"]
            #[doc = "use serde_json::json;"]
            #[doc = ""]
            #[doc = concat!("let f = F::", stringify!($name), "(\"price\", 10, 20);")]
            #[doc = concat!("assert_eq!(f.to_value().unwrap(), json!({\"price\": {\"", $wire, "\": [10, 20]}}));")]
            #[doc = "```"]
            pub fn $name(field: impl Into<String>, low: impl Into<Value>, high: impl Into<Value>) -> Filter {
                cond(field, Op::$op, Value::Array(vec![low.into(), high.into()]))
            }
        )*
    };
}

impl F {
    value_ops! {
        eq => Eq, "_eq", "neq", "title", "\"Hello\"", "equal to the value (`null` means `IS NULL`)";
        neq => Neq, "_neq", "eq", "title", "\"Hello\"", "not equal to the value (`null` means `IS NOT NULL`)";
        lt => Lt, "_lt", "gte", "price", "10", "less than the value";
        lte => Lte, "_lte", "gt", "price", "10", "less than or equal to the value";
        gt => Gt, "_gt", "lte", "price", "10", "greater than the value";
        gte => Gte, "_gte", "lt", "price", "10", "greater than or equal to the value";
        contains => Contains, "_contains", "ncontains", "title", "\"rust\"", "contains the substring (case-sensitive `LIKE`)";
        ncontains => Ncontains, "_ncontains", "contains", "title", "\"rust\"", "does not contain the substring";
        icontains => Icontains, "_icontains", "nicontains", "title", "\"rust\"", "contains the substring, ignoring case. Note: Directus 12.4 refuses its twin `_nicontains` on every field type (its per-type operator list omits it), so a negated `icontains` is answered with 400 `INVALID_QUERY` by that server";
        nicontains => Nicontains, "_nicontains", "icontains", "title", "\"rust\"", "does not contain the substring, ignoring case. Note: Directus 12.4 refuses this operator on every field type (its per-type operator list omits it) with 400 `INVALID_QUERY`";
        starts_with => StartsWith, "_starts_with", "nstarts_with", "title", "\"The\"", "starts with the value";
        nstarts_with => NstartsWith, "_nstarts_with", "starts_with", "title", "\"The\"", "does not start with the value";
        istarts_with => IstartsWith, "_istarts_with", "nistarts_with", "title", "\"the\"", "starts with the value, ignoring case";
        nistarts_with => NistartsWith, "_nistarts_with", "istarts_with", "title", "\"the\"", "does not start with the value, ignoring case";
        ends_with => EndsWith, "_ends_with", "nends_with", "file", "\".png\"", "ends with the value";
        nends_with => NendsWith, "_nends_with", "ends_with", "file", "\".png\"", "does not end with the value";
        iends_with => IendsWith, "_iends_with", "niends_with", "file", "\".PNG\"", "ends with the value, ignoring case";
        niends_with => NiendsWith, "_niends_with", "iends_with", "file", "\".PNG\"", "does not end with the value, ignoring case";
        intersects => Intersects, "_intersects", "nintersects", "location", "json!({\"type\": \"Point\", \"coordinates\": [4.9, 52.4]})", "the geometry intersects the GeoJSON value";
        nintersects => Nintersects, "_nintersects", "intersects", "location", "json!({\"type\": \"Point\", \"coordinates\": [4.9, 52.4]})", "the geometry does not intersect the GeoJSON value";
        intersects_bbox => IntersectsBbox, "_intersects_bbox", "nintersects_bbox", "location", "json!({\"type\": \"Point\", \"coordinates\": [4.9, 52.4]})", "the geometry's bounding box intersects the GeoJSON value";
        nintersects_bbox => NintersectsBbox, "_nintersects_bbox", "intersects_bbox", "location", "json!({\"type\": \"Point\", \"coordinates\": [4.9, 52.4]})", "the geometry's bounding box does not intersect the GeoJSON value";
    }

    unary_ops! {
        null => Null, "_null", "nnull", "the field is `NULL`";
        nnull => Nnull, "_nnull", "null", "the field is not `NULL`";
        empty => Empty, "_empty", "nempty", "the field is `NULL` or the empty string";
        nempty => Nempty, "_nempty", "empty", "the field is neither `NULL` nor the empty string";
    }

    list_ops! {
        in_ => In, "_in", "nin", "equal to one of the values (an empty list matches nothing)";
        nin => Nin, "_nin", "in_", "equal to none of the values (an empty list matches every row)";
    }

    range_ops! {
        between => Between, "_between", "nbetween", "between the two values";
        nbetween => Nbetween, "_nbetween", "between", "not between the two values";
    }

    /// `_some`: at least one row of the one-to-many or many-to-many `relation` matches `filter`
    /// (whose field paths are relative to the related collection).
    ///
    /// Negated, it becomes [`F::none`] with the same inner filter (the inner filter is not
    /// negated). `relation` must be one field of the collection being filtered; to go deeper,
    /// nest: `F::some("a", F::some("b", ...))`.
    ///
    /// ```
    /// use directus_proto::filter::F;
    /// use serde_json::json;
    ///
    /// let f = F::some("products", F::gt("price", 100));
    /// assert_eq!(
    ///     f.to_value().unwrap(),
    ///     json!({"products": {"_some": {"price": {"_gt": 100}}}})
    /// );
    /// assert_eq!(
    ///     (!f).to_value().unwrap(),
    ///     json!({"products": {"_none": {"price": {"_gt": 100}}}})
    /// );
    /// ```
    pub fn some(relation: impl Into<String>, filter: Filter) -> Filter {
        Filter::quantified(relation.into(), Quant::Some, filter)
    }

    /// `_none`: no row of the one-to-many or many-to-many `relation` matches `filter`.
    ///
    /// Negated, it becomes [`F::some`] with the same inner filter.
    ///
    /// ```
    /// use directus_proto::filter::F;
    /// use serde_json::json;
    ///
    /// let f = F::none("tags", F::eq("name", "draft"));
    /// assert_eq!(
    ///     f.to_value().unwrap(),
    ///     json!({"tags": {"_none": {"name": {"_eq": "draft"}}}})
    /// );
    /// ```
    pub fn none(relation: impl Into<String>, filter: Filter) -> Filter {
        Filter::quantified(relation.into(), Quant::None, filter)
    }

    /// A filter written by hand, passed through unchanged. It must be a JSON object.
    ///
    /// It combines with other filters, but cannot be negated: [`Filter::to_value`] answers
    /// [`FilterError::CannotNegate`] for `!F::raw(..)` (a double negation cancels out).
    ///
    /// ```
    /// use directus_proto::filter::F;
    /// use serde_json::json;
    ///
    /// let f = F::raw(json!({"data": {"_json": {"a.b": {"_eq": 1}}}})) & F::nnull("data");
    /// assert_eq!(
    ///     f.to_value().unwrap(),
    ///     json!({"_and": [
    ///         {"data": {"_json": {"a.b": {"_eq": 1}}}},
    ///         {"data": {"_nnull": true}},
    ///     ]})
    /// );
    /// assert!((!F::raw(json!({"a": {"_eq": 1}}))).to_value().is_err());
    /// ```
    pub fn raw(filter: Value) -> Filter {
        Filter::with_value(filter, Node::Raw)
    }
}

impl Filter {
    /// All of `filters` must match (`_and`). Nested `all`s are flattened into one list; an
    /// `all` of one filter is that filter; an `all` of none matches every row (renders `{}`).
    ///
    /// ```
    /// use directus_proto::filter::{F, Filter};
    /// use serde_json::json;
    ///
    /// let f = Filter::all([F::eq("a", 1), F::eq("b", 2), F::eq("c", 3)]);
    /// assert_eq!(f, F::eq("a", 1) & F::eq("b", 2) & F::eq("c", 3));
    /// assert_eq!(Filter::all([F::eq("a", 1)]), F::eq("a", 1));
    /// assert_eq!(Filter::all([]).to_value().unwrap(), json!({}));
    /// ```
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter::join(true, filters)
    }

    /// At least one of `filters` must match (`_or`). Nested `any`s are flattened into one list;
    /// an `any` of one filter is that filter; an `any` of none matches nothing, which
    /// [`Filter::to_value`] reports as [`FilterError::MatchesNothing`] unless it is absorbed
    /// (`x | Filter::any([])` is `x`).
    ///
    /// ```
    /// use directus_proto::filter::{F, Filter, FilterError};
    /// use serde_json::json;
    ///
    /// let f = Filter::any([F::eq("a", 1), F::eq("b", 2)]) | F::eq("c", 3);
    /// assert_eq!(
    ///     f.to_value().unwrap(),
    ///     json!({"_or": [{"a": {"_eq": 1}}, {"b": {"_eq": 2}}, {"c": {"_eq": 3}}]})
    /// );
    /// assert_eq!(Filter::any([]).to_value(), Err(FilterError::MatchesNothing));
    /// ```
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter::join(false, filters)
    }

    /// Both `self` and `other` must match; the same as `self & other`.
    ///
    /// ```
    /// use directus_proto::filter::F;
    ///
    /// let f = F::eq("status", "published").and(F::gte("rating", 4));
    /// assert_eq!(f, F::eq("status", "published") & F::gte("rating", 4));
    /// ```
    #[must_use]
    pub fn and(self, other: Filter) -> Filter {
        Filter::all([self, other])
    }

    /// `self` or `other` must match; the same as `self | other`.
    ///
    /// ```
    /// use directus_proto::filter::F;
    ///
    /// let f = F::eq("status", "draft").or(F::null("status"));
    /// assert_eq!(f, F::eq("status", "draft") | F::null("status"));
    /// ```
    #[must_use]
    pub fn or(self, other: Filter) -> Filter {
        Filter::any([self, other])
    }

    /// Renders the JSON Directus reads in its `filter` query parameter (or in `deep`'s
    /// `_filter`, or a permission rule).
    ///
    /// Negations are pushed down onto operator twins (see the [module docs](self) for what that
    /// means for `NULL`), nested `_and`s / `_or`s are flattened, and several conditions are
    /// always rendered as an `_and` list, never merged into one object (Directus reads only the
    /// first key of an operator object, so merging would silently drop conditions).
    ///
    /// # Errors
    ///
    /// [`FilterError::CannotNegate`] for a negated raw filter, [`FilterError::InvalidField`] for
    /// a malformed field path (or a segment beginning with `_`, which Directus would read as an
    /// operator), [`FilterError::QuantifierPath`] for a dotted `_some`/`_none` relation,
    /// [`FilterError::RawNotObject`], [`FilterError::MatchesNothing`] when the whole filter
    /// reduces to an empty `any`, and the errors of the [limits](self#limits).
    ///
    /// ```
    /// use directus_proto::filter::F;
    /// use serde_json::json;
    ///
    /// let f = !(F::eq("a", 1) & F::in_("b", [1, 2]));
    /// assert_eq!(
    ///     f.to_value().unwrap(),
    ///     json!({"_or": [{"a": {"_neq": 1}}, {"b": {"_nin": [1, 2]}}]})
    /// );
    /// ```
    pub fn to_value(&self) -> Result<Value, FilterError> {
        match normalize(self, false)? {
            Norm::Const(true) => Ok(Value::Object(Map::new())),
            Norm::Const(false) => Err(FilterError::MatchesNothing),
            Norm::Leaf(v) => Ok(v),
            Norm::And(items) => Ok(tagged("_and", items)),
            Norm::Or(items) => Ok(tagged("_or", items)),
        }
    }
}

/// Negation: see the [module docs](self). Pushed down when rendering; `!!f` is `f` again.
///
/// `!f` matches the rows where `f` is false. Rows where `f` is unknown because a compared field
/// is `NULL` match neither: `!F::lt("price", 1)` renders `{"price":{"_gte":1}}`, which does not
/// return rows without a price (as SQL's `NOT (price < 1)` would not).
///
/// ```
/// use directus_proto::filter::F;
/// use serde_json::json;
///
/// assert_eq!((!F::lt("price", 1)).to_value().unwrap(), json!({"price": {"_gte": 1}}));
/// // Ask for the NULL rows explicitly if you want them:
/// let f = !F::lt("price", 1) | F::null("price");
/// assert_eq!(
///     f.to_value().unwrap(),
///     json!({"_or": [{"price": {"_gte": 1}}, {"price": {"_null": true}}]})
/// );
/// assert_eq!(!!F::lt("price", 1), F::lt("price", 1));
/// ```
impl Not for Filter {
    type Output = Filter;

    fn not(self) -> Filter {
        if self.is_invalid() {
            return self;
        }
        Filter {
            negated: !self.negated,
            ..self
        }
    }
}

/// `a & b`: both must match. Chains flatten into one `_and` list.
///
/// ```
/// use directus_proto::filter::F;
/// use serde_json::json;
///
/// let f = F::gte("price", 1) & F::lte("price", 9) & F::eq("stock", 0);
/// assert_eq!(
///     f.to_value().unwrap(),
///     json!({"_and": [
///         {"price": {"_gte": 1}},
///         {"price": {"_lte": 9}},
///         {"stock": {"_eq": 0}},
///     ]})
/// );
/// ```
impl BitAnd for Filter {
    type Output = Filter;

    fn bitand(self, rhs: Filter) -> Filter {
        Filter::all([self, rhs])
    }
}

/// `a | b`: at least one must match. Chains flatten into one `_or` list.
///
/// ```
/// use directus_proto::filter::F;
/// use serde_json::json;
///
/// let f = F::eq("a", 1) | F::eq("b", 2) | F::eq("c", 3);
/// assert_eq!(
///     f.to_value().unwrap(),
///     json!({"_or": [{"a": {"_eq": 1}}, {"b": {"_eq": 2}}, {"c": {"_eq": 3}}]})
/// );
/// ```
impl BitOr for Filter {
    type Output = Filter;

    fn bitor(self, rhs: Filter) -> Filter {
        Filter::any([self, rhs])
    }
}

/// Equality shorthand: `("field", value).into()` is `F::eq("field", value)`.
///
/// ```
/// use directus_proto::filter::{F, Filter};
///
/// let f: Filter = ("author.name", "Ada").into();
/// assert_eq!(f, F::eq("author.name", "Ada"));
/// ```
impl<K: Into<String>, V: Into<Value>> From<(K, V)> for Filter {
    fn from((field, value): (K, V)) -> Filter {
        F::eq(field, value)
    }
}

/// A filter after negation push-down: a constant, one rendered object, or a flat list.
enum Norm {
    Const(bool),
    Leaf(Value),
    And(Vec<Value>),
    Or(Vec<Value>),
}

impl Norm {
    fn into_value(self) -> Value {
        match self {
            Norm::Const(true) => Value::Object(Map::new()),
            // Never reached: constants are folded away by `combine` before rendering a child.
            Norm::Const(false) => tagged("_or", Vec::new()),
            Norm::Leaf(v) => v,
            Norm::And(items) => tagged("_and", items),
            Norm::Or(items) => tagged("_or", items),
        }
    }
}

fn tagged(key: &str, items: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert(key.to_owned(), Value::Array(items));
    Value::Object(m)
}

/// Renders `filter` (negated when `negated`); recursion is bounded by [`MAX_DEPTH`].
fn normalize(filter: &Filter, negated: bool) -> Result<Norm, FilterError> {
    let negated = negated != filter.negated;
    match &filter.node {
        Node::Cond { path, op, value } => {
            let op = if negated {
                op.twin().ok_or_else(|| FilterError::CannotNegate {
                    operator: op.key().to_owned(),
                })?
            } else {
                *op
            };
            // Directus refuses an empty `_in`/`_nin` list (400 INVALID_QUERY): it is a constant,
            // folded here: no value is in the empty list, every value is outside it.
            if matches!(op, Op::In | Op::Nin) && value.as_array().is_some_and(Vec::is_empty) {
                split_path(path)?;
                return Ok(Norm::Const(op == Op::Nin));
            }
            let mut inner = Map::new();
            inner.insert(op.key().to_owned(), value.clone());
            Ok(Norm::Leaf(nest(path, Value::Object(inner))?))
        }
        Node::Rel {
            relation,
            quant,
            filter,
        } => {
            let segments = split_path(relation)?;
            if segments.len() != 1 {
                return Err(FilterError::QuantifierPath {
                    relation: relation.clone(),
                });
            }
            let quant = if negated { quant.twin() } else { *quant };
            let inner = match normalize(filter, false)? {
                // No related row can match a filter that matches nothing.
                Norm::Const(false) => return Ok(Norm::Const(quant == Quant::None)),
                other => other.into_value(),
            };
            let mut q = Map::new();
            q.insert(quant.key().to_owned(), inner);
            let mut m = Map::new();
            m.insert(relation.clone(), Value::Object(q));
            Ok(Norm::Leaf(Value::Object(m)))
        }
        Node::And(children) => combine(!negated, children, negated),
        Node::Or(children) => combine(negated, children, negated),
        Node::Invalid(err) => Err(err.clone()),
        Node::Raw(value) => {
            if negated {
                return Err(FilterError::CannotNegate {
                    operator: "raw filter".to_owned(),
                });
            }
            match value {
                Value::Object(m) if m.is_empty() => Ok(Norm::Const(true)),
                Value::Object(_) => Ok(Norm::Leaf(value.clone())),
                other => Err(FilterError::RawNotObject {
                    found: json_type(other),
                }),
            }
        }
    }
}

/// Combines children (each normalized with `negated`) into a conjunction (`is_and`) or a
/// disjunction, flattening same-kind lists and folding constants.
fn combine(is_and: bool, children: &[Filter], negated: bool) -> Result<Norm, FilterError> {
    let mut items = Vec::with_capacity(children.len());
    for child in children {
        match normalize(child, negated)? {
            // `true` is neutral in an and, absorbing in an or; `false` the other way round.
            Norm::Const(b) if b == is_and => {}
            Norm::Const(b) => return Ok(Norm::Const(b)),
            Norm::And(list) if is_and => items.extend(list),
            Norm::Or(list) if !is_and => items.extend(list),
            other => items.push(other.into_value()),
        }
    }
    Ok(match items.len() {
        0 => Norm::Const(is_and),
        1 => match items.pop() {
            Some(only) => Norm::Leaf(only),
            None => Norm::Const(is_and),
        },
        _ if is_and => Norm::And(items),
        _ => Norm::Or(items),
    })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Splits a field path on the dots that are not inside parentheses, at most
/// [`MAX_PATH_SEGMENTS`] of them, none empty or beginning with `_` (Directus reads such a key as
/// an operator: `_and`, `_or`, `_eq`, `_some`, ...).
fn split_path(path: &str) -> Result<Vec<&str>, FilterError> {
    let invalid = |reason| FilterError::InvalidField {
        path: path.to_owned(),
        reason,
    };
    let mut segments = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in path.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| invalid("unbalanced parentheses"))?
            }
            '.' if depth == 0 => {
                if segments.len() + 1 >= MAX_PATH_SEGMENTS {
                    return Err(FilterError::TooManySegments {
                        limit: MAX_PATH_SEGMENTS,
                    });
                }
                segments.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(invalid("unbalanced parentheses"));
    }
    segments.push(&path[start..]);
    if segments.iter().any(|s| s.is_empty()) {
        return Err(invalid("empty field name"));
    }
    if segments.iter().any(|s| s.starts_with('_')) {
        return Err(invalid(
            "a field name beginning with `_` would be read by Directus as an operator",
        ));
    }
    Ok(segments)
}

/// `"a.b"` and `{"_eq": 1}` give `{"a": {"b": {"_eq": 1}}}`.
fn nest(path: &str, leaf: Value) -> Result<Value, FilterError> {
    let segments = split_path(path)?;
    Ok(segments.iter().rev().fold(leaf, |acc, segment| {
        let mut m = Map::new();
        m.insert((*segment).to_owned(), acc);
        Value::Object(m)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn v(f: &Filter) -> Value {
        f.to_value().expect("filter renders")
    }

    /// Every operator with its twin, a sample filter and the wire key.
    fn all_operators() -> Vec<(Filter, &'static str, &'static str, Value)> {
        let geo = json!({"type": "Point", "coordinates": [1.0, 2.0]});
        vec![
            (F::eq("f", 1), "_eq", "_neq", json!(1)),
            (F::neq("f", 1), "_neq", "_eq", json!(1)),
            (F::lt("f", 1), "_lt", "_gte", json!(1)),
            (F::lte("f", 1), "_lte", "_gt", json!(1)),
            (F::gt("f", 1), "_gt", "_lte", json!(1)),
            (F::gte("f", 1), "_gte", "_lt", json!(1)),
            (F::in_("f", [1, 2]), "_in", "_nin", json!([1, 2])),
            (F::nin("f", ["a", "b"]), "_nin", "_in", json!(["a", "b"])),
            (F::null("f"), "_null", "_nnull", json!(true)),
            (F::nnull("f"), "_nnull", "_null", json!(true)),
            (
                F::between("f", 1, 5),
                "_between",
                "_nbetween",
                json!([1, 5]),
            ),
            (
                F::nbetween("f", "2020-01-01", "$NOW"),
                "_nbetween",
                "_between",
                json!(["2020-01-01", "$NOW"]),
            ),
            (F::empty("f"), "_empty", "_nempty", json!(true)),
            (F::nempty("f"), "_nempty", "_empty", json!(true)),
            (F::contains("f", "x"), "_contains", "_ncontains", json!("x")),
            (
                F::ncontains("f", "x"),
                "_ncontains",
                "_contains",
                json!("x"),
            ),
            (
                F::icontains("f", "x"),
                "_icontains",
                "_nicontains",
                json!("x"),
            ),
            (
                F::nicontains("f", "x"),
                "_nicontains",
                "_icontains",
                json!("x"),
            ),
            (
                F::starts_with("f", "x"),
                "_starts_with",
                "_nstarts_with",
                json!("x"),
            ),
            (
                F::nstarts_with("f", "x"),
                "_nstarts_with",
                "_starts_with",
                json!("x"),
            ),
            (
                F::istarts_with("f", "x"),
                "_istarts_with",
                "_nistarts_with",
                json!("x"),
            ),
            (
                F::nistarts_with("f", "x"),
                "_nistarts_with",
                "_istarts_with",
                json!("x"),
            ),
            (
                F::ends_with("f", "x"),
                "_ends_with",
                "_nends_with",
                json!("x"),
            ),
            (
                F::nends_with("f", "x"),
                "_nends_with",
                "_ends_with",
                json!("x"),
            ),
            (
                F::iends_with("f", "x"),
                "_iends_with",
                "_niends_with",
                json!("x"),
            ),
            (
                F::niends_with("f", "x"),
                "_niends_with",
                "_iends_with",
                json!("x"),
            ),
            (
                F::intersects("f", geo.clone()),
                "_intersects",
                "_nintersects",
                geo.clone(),
            ),
            (
                F::nintersects("f", geo.clone()),
                "_nintersects",
                "_intersects",
                geo.clone(),
            ),
            (
                F::intersects_bbox("f", geo.clone()),
                "_intersects_bbox",
                "_nintersects_bbox",
                geo.clone(),
            ),
            (
                F::nintersects_bbox("f", geo.clone()),
                "_nintersects_bbox",
                "_intersects_bbox",
                geo,
            ),
        ]
    }

    #[test]
    fn every_operator_and_its_negation() {
        let ops = all_operators();
        assert_eq!(ops.len(), 30);
        for (f, op, twin, value) in ops {
            assert_eq!(v(&f), json!({"f": {op: value.clone()}}), "{op}");
            assert_eq!(v(&!f.clone()), json!({"f": {twin: value.clone()}}), "!{op}");
            assert_eq!(v(&!!f.clone()), json!({"f": {op: value}}), "!!{op}");
        }
    }

    #[test]
    fn nested_paths_and_function_keys() {
        assert_eq!(
            v(&F::eq("author.name", "x")),
            json!({"author": {"name": {"_eq": "x"}}})
        );
        assert_eq!(
            v(&F::eq("a.b.c", 1)),
            json!({"a": {"b": {"c": {"_eq": 1}}}})
        );
        assert_eq!(
            v(&F::eq("year(date)", 1968)),
            json!({"year(date)": {"_eq": 1968}})
        );
        assert_eq!(
            v(&F::eq("author.year(birth.date)", 1968)),
            json!({"author": {"year(birth.date)": {"_eq": 1968}}})
        );
        assert_eq!(
            v(&F::eq("json(data, a.b[0].c)", 1)),
            json!({"json(data, a.b[0].c)": {"_eq": 1}})
        );
        assert_eq!(
            v(&F::eq("owner", "$CURRENT_USER")),
            json!({"owner": {"_eq": "$CURRENT_USER"}})
        );
    }

    #[test]
    fn invalid_paths() {
        for bad in ["", "a..b", ".a", "a.", "year(date", "a)b("] {
            assert!(
                matches!(
                    F::eq(bad, 1).to_value(),
                    Err(FilterError::InvalidField { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            F::some("a.b", F::eq("c", 1)).to_value(),
            Err(FilterError::QuantifierPath {
                relation: "a.b".into()
            })
        );
    }

    #[test]
    fn flattening() {
        let (a, b, c, d) = (F::eq("a", 1), F::eq("b", 2), F::eq("c", 3), F::eq("d", 4));
        let or = a.clone() | b.clone() | c.clone();
        assert_eq!(
            v(&or),
            json!({"_or": [{"a": {"_eq": 1}}, {"b": {"_eq": 2}}, {"c": {"_eq": 3}}]})
        );
        assert_eq!(
            a.clone() | (b.clone() | c.clone()),
            or,
            "right-nested chains flatten too"
        );
        assert_eq!(Filter::any([a.clone(), b.clone(), c.clone()]), or);
        let and = (a.clone() & b.clone()) & (c.clone() & d.clone());
        assert_eq!(
            and,
            Filter::all([a.clone(), b.clone(), c.clone(), d.clone()])
        );
        assert_eq!(Filter::all([a.clone()]), a);
        assert_eq!(Filter::any([a.clone()]), a);
        // Mixed: an or inside an and stays a nested list.
        assert_eq!(
            v(&((a.clone() | b.clone()) & c.clone())),
            json!({"_and": [{"_or": [{"a": {"_eq": 1}}, {"b": {"_eq": 2}}]}, {"c": {"_eq": 3}}]})
        );
        // Flattening also happens after push-down: a | !(b & c) = a | !b | !c.
        assert_eq!(
            v(&(a | !(b & c))),
            json!({"_or": [{"a": {"_eq": 1}}, {"b": {"_neq": 2}}, {"c": {"_neq": 3}}]})
        );
    }

    #[test]
    fn same_field_conditions_do_not_overwrite() {
        let f = F::gte("price", 1) & F::lte("price", 9);
        assert_eq!(
            v(&f),
            json!({"_and": [{"price": {"_gte": 1}}, {"price": {"_lte": 9}}]})
        );
        let f = F::eq("author.name", "x") & F::eq("author.age", 3);
        assert_eq!(
            v(&f),
            json!({"_and": [
                {"author": {"name": {"_eq": "x"}}},
                {"author": {"age": {"_eq": 3}}},
            ]})
        );
    }

    #[test]
    fn de_morgan() {
        let (a, b, c) = (F::eq("a", 1), F::lt("b", 2), F::null("c"));
        assert_eq!(
            v(&!(a.clone() & b.clone())),
            json!({"_or": [{"a": {"_neq": 1}}, {"b": {"_gte": 2}}]})
        );
        assert_eq!(
            v(&!(a.clone() | b.clone())),
            json!({"_and": [{"a": {"_neq": 1}}, {"b": {"_gte": 2}}]})
        );
        assert_eq!(
            v(&!((a.clone() | b.clone()) & c.clone())),
            json!({"_or": [
                {"_and": [{"a": {"_neq": 1}}, {"b": {"_gte": 2}}]},
                {"c": {"_nnull": true}},
            ]})
        );
        assert_eq!(v(&!!(a.clone() & b.clone())), v(&(a.clone() & b.clone())));
        assert_eq!(v(&!(!a.clone() & !b.clone())), v(&(a | b)));
    }

    #[test]
    fn some_none() {
        let inner = F::eq("name", "x") & F::gt("price", 1);
        let some = F::some("products", inner.clone());
        let want_inner = json!({"_and": [{"name": {"_eq": "x"}}, {"price": {"_gt": 1}}]});
        assert_eq!(v(&some), json!({"products": {"_some": want_inner.clone()}}));
        assert_eq!(
            v(&!some.clone()),
            json!({"products": {"_none": want_inner.clone()}})
        );
        assert_eq!(v(&!F::none("products", inner.clone())), v(&some));
        // The inner filter may itself be negated: it is pushed down independently.
        assert_eq!(
            v(&!F::some("products", !inner)),
            json!({"products": {"_none": {"_or": [{"name": {"_neq": "x"}}, {"price": {"_lte": 1}}]}}})
        );
        // Nested quantifiers.
        assert_eq!(
            v(&F::none("a", F::some("b", F::eq("c", 1)))),
            json!({"a": {"_none": {"b": {"_some": {"c": {"_eq": 1}}}}}})
        );
        // Quantifier over "matches nothing" folds to a constant.
        assert_eq!(
            v(&(F::eq("x", 1) & F::none("products", Filter::any([])))),
            json!({"x": {"_eq": 1}})
        );
        assert_eq!(
            F::some("products", Filter::any([])).to_value(),
            Err(FilterError::MatchesNothing)
        );
        assert_eq!(
            v(&F::some("products", Filter::all([]))),
            json!({"products": {"_some": {}}})
        );
    }

    #[test]
    fn raw_filters() {
        let raw = F::raw(json!({"a": {"_regex": "x"}}));
        assert_eq!(v(&raw), json!({"a": {"_regex": "x"}}));
        assert_eq!(v(&!!raw.clone()), json!({"a": {"_regex": "x"}}));
        assert_eq!(
            (!raw.clone()).to_value(),
            Err(FilterError::CannotNegate {
                operator: "raw filter".into()
            })
        );
        assert!(matches!(
            (!(raw.clone() | F::eq("b", 1))).to_value(),
            Err(FilterError::CannotNegate { .. })
        ));
        assert_eq!(
            F::raw(json!([1])).to_value(),
            Err(FilterError::RawNotObject { found: "array" })
        );
        assert_eq!(
            v(&(F::raw(json!({})) & F::eq("a", 1))),
            json!({"a": {"_eq": 1}})
        );
        let msg = (!raw).to_value().expect_err("raw").to_string();
        assert!(msg.contains("cannot negate raw filter"), "{msg}");
    }

    #[test]
    fn constants() {
        let a = F::eq("a", 1);
        assert_eq!(v(&Filter::all([])), json!({}));
        assert_eq!(Filter::any([]).to_value(), Err(FilterError::MatchesNothing));
        assert_eq!(
            (!Filter::all([])).to_value(),
            Err(FilterError::MatchesNothing)
        );
        assert_eq!(v(&!Filter::any([])), json!({}));
        assert_eq!(v(&(a.clone() | Filter::any([]))), v(&a));
        assert_eq!(v(&(a.clone() & Filter::all([]))), v(&a));
        assert_eq!(v(&(a.clone() | Filter::all([]))), json!({}));
        assert_eq!(
            (a & Filter::any([])).to_value(),
            Err(FilterError::MatchesNothing)
        );
    }

    #[test]
    fn tuple_shorthand_and_methods() {
        let f: Filter = ("title", "x").into();
        assert_eq!(v(&f), json!({"title": {"_eq": "x"}}));
        assert_eq!(
            F::eq("a", 1).and(F::eq("b", 2)).or(F::eq("c", 3)),
            (F::eq("a", 1) & F::eq("b", 2)) | F::eq("c", 3)
        );
        assert_eq!(v(&F::eq("a", Value::Null)), json!({"a": {"_eq": null}}));
        assert_eq!(v(&!F::eq("a", Value::Null)), json!({"a": {"_neq": null}}));
    }

    // ---- property tests ----

    fn leaf() -> impl Strategy<Value = Filter> {
        let field = prop_oneof![
            Just("a"),
            Just("b.c"),
            Just("year(date)"),
            Just("x.json(d, p.q)")
        ];
        let idx = 0..all_operators().len();
        prop_oneof![
            8 => (field, idx, any::<i32>()).prop_map(|(field, i, n)| {
                let (template, ..) = all_operators().swap_remove(i);
                // Re-target the sample operator at a random field and value.
                match template.node {
                    Node::Cond { op, value, .. } => {
                        let value = if value.is_array() { json!([n, n]) } else if value.is_boolean() { value } else { json!(n) };
                        Filter::leaf(Node::Cond { path: field.to_owned(), op, value })
                    }
                    _ => template,
                }
            }),
            1 => Just(F::raw(json!({"r": {"_regex": "x"}}))),
            1 => Just(Filter::all([])),
            1 => Just(Filter::any([])),
        ]
    }

    fn tree() -> impl Strategy<Value = Filter> {
        leaf().prop_recursive(5, 48, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::all),
                prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::any),
                inner.clone().prop_map(|f| !f),
                inner.clone().prop_map(|f| F::some("rel", f)),
                inner.prop_map(|f| F::none("rel", f)),
            ]
        })
    }

    proptest! {
        #[test]
        fn double_negation_is_identity(f in tree()) {
            prop_assert_eq!((!!f.clone()).to_value(), f.to_value());
            prop_assert_eq!(!!f.clone(), f.clone());
            // Negation renders or errors, never panics.
            let _ = (!f).to_value();
        }

        #[test]
        fn de_morgan_holds(a in tree(), b in tree()) {
            prop_assert_eq!(
                (!(a.clone() & b.clone())).to_value(),
                (!a.clone() | !b.clone()).to_value()
            );
            prop_assert_eq!((!(a.clone() | b.clone())).to_value(), (!a & !b).to_value());
        }

        /// The rendered negation matches exactly the rows where the original is false, under
        /// SQL three-valued logic (checked with a small evaluator of the Directus JSON).
        #[test]
        fn negation_is_sql_not(f in sql_tree(), rows in prop::collection::vec(row(), 1..8)) {
            let (Ok(pos), Ok(neg)) = (f.to_value(), (!f).to_value()) else {
                return Ok(());
            };
            for r in &rows {
                prop_assert_eq!(eval(&neg, r), eval(&pos, r).not3(), "row {:?}: {} vs {}", r, pos, neg);
            }
        }
    }

    type Row = [Option<i64>; 3];

    fn row() -> impl Strategy<Value = Row> {
        [
            prop::option::of(0i64..4),
            prop::option::of(0i64..4),
            prop::option::of(0i64..4),
        ]
    }

    fn sql_tree() -> impl Strategy<Value = Filter> {
        let field = prop_oneof![Just("a"), Just("b"), Just("c")];
        let n = 0i64..4;
        let leaf = prop_oneof![
            (field.clone(), n.clone()).prop_map(|(f, n)| F::eq(f, n)),
            (field.clone(), n.clone()).prop_map(|(f, n)| F::neq(f, n)),
            (field.clone(), n.clone()).prop_map(|(f, n)| F::lt(f, n)),
            (field.clone(), n.clone()).prop_map(|(f, n)| F::lte(f, n)),
            (field.clone(), n.clone()).prop_map(|(f, n)| F::gt(f, n)),
            (field.clone(), n.clone()).prop_map(|(f, n)| F::gte(f, n)),
            (field.clone(), prop::collection::vec(n.clone(), 0..3)).prop_map(|(f, l)| F::in_(f, l)),
            (field.clone(), prop::collection::vec(n.clone(), 0..3)).prop_map(|(f, l)| F::nin(f, l)),
            (field.clone(), n.clone(), n.clone()).prop_map(|(f, x, y)| F::between(f, x, y)),
            (field.clone(), n.clone(), n).prop_map(|(f, x, y)| F::nbetween(f, x, y)),
            field.clone().prop_map(F::null),
            field.clone().prop_map(F::nnull),
            field.clone().prop_map(|f| F::eq(f, Value::Null)),
            field.prop_map(|f| F::neq(f, Value::Null)),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::all),
                prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::any),
                inner.prop_map(|f| !f),
            ]
        })
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum T {
        True,
        False,
        Unknown,
    }

    impl T {
        fn not3(self) -> T {
            match self {
                T::True => T::False,
                T::False => T::True,
                T::Unknown => T::Unknown,
            }
        }
        fn from_bool(b: bool) -> T {
            if b { T::True } else { T::False }
        }
    }

    /// Evaluates Directus filter JSON against a row the way Directus's SQL does (three-valued).
    fn eval(filter: &Value, row: &Row) -> T {
        let obj = filter.as_object().expect("object");
        if obj.is_empty() {
            return T::True;
        }
        assert_eq!(obj.len(), 1, "one key per object: {filter}");
        let (key, value) = obj.iter().next().expect("one key");
        let list = || value.as_array().expect("list").iter().map(|f| eval(f, row));
        match key.as_str() {
            "_and" => list().fold(T::True, |acc, t| match (acc, t) {
                (T::False, _) | (_, T::False) => T::False,
                (T::Unknown, _) | (_, T::Unknown) => T::Unknown,
                _ => T::True,
            }),
            "_or" => list().fold(T::False, |acc, t| match (acc, t) {
                (T::True, _) | (_, T::True) => T::True,
                (T::Unknown, _) | (_, T::Unknown) => T::Unknown,
                _ => T::False,
            }),
            field => {
                let x = row[match field {
                    "a" => 0,
                    "b" => 1,
                    _ => 2,
                }];
                let (op, arg) = value.as_object().expect("op").iter().next().expect("op");
                let nums = || {
                    arg.as_array()
                        .expect("list")
                        .iter()
                        .map(|n| n.as_i64().expect("int"))
                        .collect::<Vec<_>>()
                };
                match (op.as_str(), arg.is_null()) {
                    ("_null", _) | ("_eq", true) => T::from_bool(x.is_none()),
                    ("_nnull", _) | ("_neq", true) => T::from_bool(x.is_some()),
                    // `x IN ()` is false and `x NOT IN ()` true even for NULL (knex renders
                    // `1 = 0` / `1 = 1`).
                    ("_in", _) if nums().is_empty() => T::False,
                    ("_nin", _) if nums().is_empty() => T::True,
                    (op, _) => {
                        let Some(x) = x else { return T::Unknown };
                        let n = arg.as_i64().unwrap_or_default();
                        T::from_bool(match op {
                            "_eq" => x == n,
                            "_neq" => x != n,
                            "_lt" => x < n,
                            "_lte" => x <= n,
                            "_gt" => x > n,
                            "_gte" => x >= n,
                            "_in" => nums().contains(&x),
                            "_nin" => !nums().contains(&x),
                            "_between" => nums()[0] <= x && x <= nums()[1],
                            "_nbetween" => !(nums()[0] <= x && x <= nums()[1]),
                            other => panic!("unexpected operator {other}"),
                        })
                    }
                }
            }
        }
    }
}
