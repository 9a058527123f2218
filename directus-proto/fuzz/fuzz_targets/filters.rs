//! Filter trees and queries built from arbitrary paths, values and operators: nothing panics,
//! whatever the shape or depth; when a filter renders, the query string's `filter` (and the
//! `filter` of the read request, in its URI or its `SEARCH` body) decodes to the JSON of
//! `to_value`, and when it does not, the query fails too.

#![no_main]

use arbitrary::Arbitrary;
use directus_proto::{Agg, BaseUrl, F, Filter, Items, Order, Query};
use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// A JSON scalar.
#[derive(Arbitrary, Debug, Clone)]
enum Scalar {
    Null,
    Bool(bool),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Text(String),
}

/// A JSON value: a scalar, small containers, or a scalar under `depth` arrays or objects.
#[derive(Arbitrary, Debug, Clone)]
enum Json {
    Scalar(Scalar),
    Array(Vec<Scalar>),
    Object(Vec<(String, Scalar)>),
    Deep {
        depth: u16,
        in_objects: bool,
        leaf: Scalar,
    },
}

impl Scalar {
    fn value(&self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Signed(n) => Value::from(*n),
            Scalar::Unsigned(n) => Value::from(*n),
            Scalar::Float(f) => Value::from(*f),
            Scalar::Text(s) => Value::from(s.as_str()),
        }
    }
}

impl Json {
    fn value(&self) -> Value {
        match self {
            Json::Scalar(s) => s.value(),
            Json::Array(items) => Value::Array(items.iter().map(Scalar::value).collect()),
            Json::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value()))
                    .collect::<Map<_, _>>(),
            ),
            Json::Deep {
                depth,
                in_objects,
                leaf,
            } => {
                let mut value = leaf.value();
                for _ in 0..*depth % 512 {
                    value = if *in_objects {
                        let mut map = Map::new();
                        map.insert("k".into(), value);
                        Value::Object(map)
                    } else {
                        Value::Array(vec![value])
                    };
                }
                value
            }
        }
    }
}

/// Every operator `F` has.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Contains,
    Ncontains,
    Icontains,
    Nicontains,
    StartsWith,
    NstartsWith,
    IstartsWith,
    NistartsWith,
    EndsWith,
    NendsWith,
    IendsWith,
    NiendsWith,
    Intersects,
    Nintersects,
    IntersectsBbox,
    NintersectsBbox,
    Null,
    Nnull,
    Empty,
    Nempty,
    In,
    Nin,
    Between,
    Nbetween,
    Raw,
}

/// One instruction of a stack machine that builds a tree of any depth without recursion.
#[derive(Arbitrary, Debug)]
enum Build {
    Leaf(Op, String, Json, Json),
    And(u8),
    Or(u8),
    Not,
    AndPair,
    OrPair,
    Some(String),
    None(String),
}

fn leaf(op: Op, path: String, a: Value, b: Value) -> Filter {
    match op {
        Op::Eq => F::eq(path, a),
        Op::Neq => F::neq(path, a),
        Op::Lt => F::lt(path, a),
        Op::Lte => F::lte(path, a),
        Op::Gt => F::gt(path, a),
        Op::Gte => F::gte(path, a),
        Op::Contains => F::contains(path, a),
        Op::Ncontains => F::ncontains(path, a),
        Op::Icontains => F::icontains(path, a),
        Op::Nicontains => F::nicontains(path, a),
        Op::StartsWith => F::starts_with(path, a),
        Op::NstartsWith => F::nstarts_with(path, a),
        Op::IstartsWith => F::istarts_with(path, a),
        Op::NistartsWith => F::nistarts_with(path, a),
        Op::EndsWith => F::ends_with(path, a),
        Op::NendsWith => F::nends_with(path, a),
        Op::IendsWith => F::iends_with(path, a),
        Op::NiendsWith => F::niends_with(path, a),
        Op::Intersects => F::intersects(path, a),
        Op::Nintersects => F::nintersects(path, a),
        Op::IntersectsBbox => F::intersects_bbox(path, a),
        Op::NintersectsBbox => F::nintersects_bbox(path, a),
        Op::Null => F::null(path),
        Op::Nnull => F::nnull(path),
        Op::Empty => F::empty(path),
        Op::Nempty => F::nempty(path),
        Op::In => F::in_(path, [a, b]),
        Op::Nin => F::nin(path, [a]),
        Op::Between => F::between(path, a, b),
        Op::Nbetween => F::nbetween(path, a, b),
        Op::Raw => F::raw(a),
    }
}

fn build(program: Vec<Build>) -> Filter {
    let mut stack: Vec<Filter> = Vec::new();
    let pop = |stack: &mut Vec<Filter>| stack.pop().unwrap_or_else(|| Filter::all([]));
    for step in program {
        let next = match step {
            Build::Leaf(op, path, a, b) => leaf(op, path, a.value(), b.value()),
            Build::And(n) | Build::Or(n) => {
                let n = usize::from(n % 6).min(stack.len());
                let parts = stack.split_off(stack.len() - n);
                if matches!(step, Build::And(_)) {
                    Filter::all(parts)
                } else {
                    Filter::any(parts)
                }
            }
            Build::Not => !pop(&mut stack),
            Build::AndPair => {
                let (b, a) = (pop(&mut stack), pop(&mut stack));
                a & b
            }
            Build::OrPair => {
                let (b, a) = (pop(&mut stack), pop(&mut stack));
                a | b
            }
            Build::Some(relation) => F::some(relation, pop(&mut stack)),
            Build::None(relation) => F::none(relation, pop(&mut stack)),
        };
        stack.push(next);
    }
    Filter::all(stack)
}

#[derive(Arbitrary, Debug)]
struct QueryInput {
    collection: String,
    fields: Vec<String>,
    sort: Vec<(String, bool)>,
    group_by: Vec<String>,
    aggregate: Vec<(u8, String)>,
    search: Option<String>,
    limit: Option<Option<u32>>,
    offset: Option<u64>,
    page: Option<u64>,
    alias: Option<(String, String)>,
    deep: Option<Json>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    filter: Vec<Build>,
    query: QueryInput,
}

fn query(input: QueryInput, filter: Filter) -> Query {
    let mut query = Query::new().filter(filter);
    if !input.fields.is_empty() {
        query = query.fields(input.fields);
    }
    for (field, desc) in input.sort {
        query = query.sort(field, if desc { Order::Desc } else { Order::Asc });
    }
    if !input.group_by.is_empty() {
        query = query.group_by(input.group_by);
    }
    for (function, field) in input.aggregate {
        let agg = match function % 9 {
            0 => Agg::count(field),
            1 => Agg::count_distinct(field),
            2 => Agg::sum(field),
            3 => Agg::sum_distinct(field),
            4 => Agg::avg(field),
            5 => Agg::avg_distinct(field),
            6 => Agg::min(field),
            7 => Agg::max(field),
            _ => Agg::count_all(),
        };
        query = query.aggregate(agg);
    }
    if let Some(search) = input.search {
        query = query.search(search);
    }
    match input.limit {
        Some(Some(n)) => query = query.limit(n),
        Some(None) => query = query.no_limit(),
        None => {}
    }
    if let Some(offset) = input.offset {
        query = query.offset(offset);
    }
    if let Some(page) = input.page {
        query = query.page(page);
    }
    if let Some((name, field)) = input.alias {
        query = query.alias(name, field);
    }
    if let Some(deep) = input.deep {
        query = query.deep(deep.value());
    }
    query
}

/// The decoded value of parameter `name` in a query string.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| {
            percent_decode_str(v)
                .decode_utf8()
                .expect("a parameter is UTF-8")
                .into_owned()
        })
    })
}

/// JSON text read without serde_json's default nesting limit of 128: a filter within the
/// limits of `directus_proto::filter` (depth, path segments, value depth) may nest deeper than
/// that in JSON, and Directus (`JSON.parse`) reads it.
fn read_json(text: &str) -> Value {
    let mut reader = serde_json::Deserializer::from_str(text);
    reader.disable_recursion_limit();
    let value = serde::Deserialize::deserialize(&mut reader).expect("JSON");
    reader.end().expect("one JSON value");
    value
}

/// `value` as a reader of its text sees it (floats read back as serde_json reads them).
fn as_read(value: &Value) -> Value {
    read_json(&value.to_string())
}

fn decoded_filter(query: &str) -> Value {
    read_json(&param(query, "filter").expect("a filter parameter"))
}

fuzz_target!(|input: Input| {
    let filter = build(input.filter);
    let rendered = filter.to_value();
    let _ = format!("{filter:?}");
    let collection = input.query.collection.clone();
    let query = query(input.query, filter);
    let qs = query.to_query_string();
    let json = query.to_json();
    match &rendered {
        Ok(value) => {
            let expected = as_read(value);
            if let Ok(qs) = &qs {
                assert_eq!(decoded_filter(qs), expected);
            }
            if let Ok(json) = &json {
                assert_eq!(json["query"]["filter"], *value);
            }
        }
        Err(_) => {
            assert!(qs.is_err(), "a filter that does not render, sent");
            assert!(json.is_err(), "a filter that does not render, sent");
        }
    }

    let base = BaseUrl::parse("http://127.0.0.1:8055/cms").unwrap();
    let Ok(read) = Items::<Value>::new(collection)
        .with_query(query)
        .read(&base)
    else {
        return;
    };
    let request = read.request();
    assert_eq!(request.uri().authority().unwrap(), "127.0.0.1:8055");
    let Ok(value) = rendered else {
        panic!("a read with a filter that does not render");
    };
    if request.method() == http::Method::GET {
        assert_eq!(
            decoded_filter(request.uri().query().unwrap()),
            as_read(&value)
        );
    } else {
        let body = read_json(std::str::from_utf8(request.body()).expect("a UTF-8 body"));
        assert_eq!(as_read(&body["query"]["filter"]), as_read(&value));
    }
});
