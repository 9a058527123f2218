//! Request bodies as JSON, with a bound on nesting.
//!
//! serde serializes nested values by recursion, so a caller's value nested a million levels
//! deep (easy to build from user input as a `serde_json::Value`) would overflow the stack while
//! its request is built. Bodies are written through a formatter that counts the nesting and
//! stops at [`MAX_BODY_DEPTH`] with a typed error, before the recursion goes deeper. The bound
//! is far above any real item and above what the deepest filter a query allows renders to
//! (`filter::MAX_DEPTH` levels of `{"_and": [...]}`), and low enough for a small stack.

use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CompactFormatter, Formatter};

use crate::Error;

/// The deepest nesting of arrays and objects a request body may have.
pub const MAX_BODY_DEPTH: usize = 512;

/// A compact formatter that fails past [`MAX_BODY_DEPTH`].
struct Bounded {
    depth: usize,
}

impl Bounded {
    fn enter(&mut self) -> io::Result<()> {
        self.depth += 1;
        if self.depth > MAX_BODY_DEPTH {
            return Err(io::Error::other(TooDeep));
        }
        Ok(())
    }
}

#[derive(Debug)]
struct TooDeep;

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "nested deeper than {MAX_BODY_DEPTH} levels")
    }
}

impl std::error::Error for TooDeep {}

impl Formatter for Bounded {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.enter()?;
        CompactFormatter.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_array(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.enter()?;
        CompactFormatter.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_object(writer)
    }
}

/// The error of a body that does not serialize.
fn unserializable(error: serde_json::Error) -> Error {
    Error::invalid(format!("the request body does not serialize: {error}"))
}

/// `body` as compact JSON bytes, or [`Error::InvalidInput`] when it does not serialize or nests
/// deeper than [`MAX_BODY_DEPTH`].
///
/// ```
/// use directus_proto::json;
/// use serde_json::json;
///
/// assert_eq!(json::to_bytes(&json!({"a": [1]})).unwrap(), br#"{"a":[1]}"#);
/// let mut deep = json!(1);
/// for _ in 0..513 {
///     deep = json!([deep]);
/// }
/// assert!(json::to_bytes(&deep).is_err());
/// ```
pub fn to_bytes<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, Bounded { depth: 0 });
    body.serialize(&mut serializer).map_err(unserializable)?;
    Ok(bytes)
}

/// `items` as a compact JSON array, byte for byte what [`to_bytes`] writes for the slice and
/// within the same bound, or `Ok(None)` when there are none or one of them is not a JSON object.
/// Each item is written once, and the first byte it writes says whether it is an object.
pub(crate) fn objects_to_bytes<B: Serialize>(items: &[B]) -> Result<Option<Vec<u8>>, Error> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut bytes = vec![b'['];
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        let start = bytes.len();
        // Inside the array: one level deep already.
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut bytes, Bounded { depth: 1 });
        item.serialize(&mut serializer).map_err(unserializable)?;
        if bytes.get(start) != Some(&b'{') {
            return Ok(None);
        }
    }
    bytes.push(b']');
    Ok(Some(bytes))
}

/// `body` as a [`Value`], within the same bound as [`to_bytes`].
///
/// ```
/// use directus_proto::json;
/// assert_eq!(json::to_value(&[1, 2]).unwrap(), serde_json::json!([1, 2]));
/// ```
pub fn to_value<B: Serialize + ?Sized>(body: &B) -> Result<Value, Error> {
    // Written once through the bound first: the second, unbounded pass then cannot go deeper.
    to_bytes(body)?;
    serde_json::to_value(body).map_err(unserializable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_of_objects_are_written_as_the_slice_is() {
        let objects = [
            serde_json::json!({"id": 1}),
            serde_json::json!({"id": 2, "tags": [1, {"a": []}], "s": "}],[{\"\\"}),
        ];
        assert_eq!(
            objects_to_bytes(&objects).unwrap().unwrap(),
            to_bytes(&objects).unwrap()
        );
        let none = |items: &[Value]| assert_eq!(objects_to_bytes(items).unwrap(), None);
        none(&[]);
        none(&[serde_json::json!({"id": 1}), serde_json::json!(2)]);
        none(&[serde_json::json!([{"id": 2}])]);
        none(&[Value::Null]);
        none(&[serde_json::json!("{}")]);
        // The bound counts the array's own level: an item may nest one level less.
        let mut deep = serde_json::json!({});
        for _ in 0..MAX_BODY_DEPTH - 1 {
            deep = serde_json::json!({ "a": deep });
        }
        assert!(to_bytes(&[&deep]).is_err());
        assert!(objects_to_bytes(&[&deep]).is_err());
    }

    /// A million levels, built without recursion, on a small stack: refused, not a crash. (The
    /// value's own drop is serde_json's recursion, so the test takes it apart by hand.)
    #[test]
    fn a_million_levels_is_a_typed_error() {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let mut deep = Value::Null;
                for _ in 0..1_000_000 {
                    deep = Value::Array(vec![deep]);
                }
                let err = to_bytes(&deep).unwrap_err();
                assert!(err.to_string().contains("deeper than 512"), "{err}");
                assert!(to_value(&deep).is_err());
                while let Value::Array(mut inner) = deep {
                    deep = inner.pop().unwrap_or(Value::Null);
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn exactly_the_limit_is_fine() {
        let mut deep = Value::Null;
        for _ in 0..MAX_BODY_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(to_value(&deep).unwrap(), deep);
        deep = Value::Array(vec![deep]);
        assert!(to_bytes(&deep).is_err());
    }
}
