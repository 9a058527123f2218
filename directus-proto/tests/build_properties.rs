//! Properties of request building over arbitrary input: filters render the same JSON in a query
//! string, a `SEARCH` body and [`Filter::to_value`], and a filter of any shape or depth is safe;
//! requests built from any collection name, key, value and base URL stay on the base's
//! authority, and their keys and values decode back to what was given (or are refused with a
//! typed error).

use directus_proto::{BaseUrl, Error, F, Filter, FilterError, Items, Key, Order, Query};
use http::Uri;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON without floats (serde_json's default float parsing may be off by one unit in the last
/// place, which is not what these properties are about).
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "(?s).{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("(?s).{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Field paths: ordinary ones, functions, and anything at all.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z]{1,6}(\\.[a-z_]{1,6}){0,3}",
        1 => "(year|month|count)\\([a-z_]{1,6}\\)",
        1 => "json\\([a-z]{1,4}, [a-z.\\[\\]0-9]{1,8}\\)",
        2 => "(?s).{0,12}",
        1 => "_[a-z]{1,5}",
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    let ops: Vec<fn(String, Value) -> Filter> = vec![
        |f, v| F::eq(f, v),
        |f, v| F::neq(f, v),
        |f, v| F::lt(f, v),
        |f, v| F::gte(f, v),
        |f, v| F::contains(f, v),
        |f, v| F::nstarts_with(f, v),
        |f, v| F::intersects(f, v),
        |f, v| F::in_(f, [v]),
        |f, v| F::nin(f, [v.clone(), v]),
        |f, v| F::between(f, v.clone(), v),
        |f, _| F::null(f),
        |f, _| F::nempty(f),
        |_, v| F::raw(v),
    ];
    (field(), json(), 0..ops.len()).prop_map(move |(f, v, i)| ops[i](f, v))
}

fn tree() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::all),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::any),
            inner.clone().prop_map(|f| !f),
            (field(), inner.clone()).prop_map(|(r, f)| F::some(r, f)),
            (field(), inner).prop_map(|(r, f)| F::none(r, f)),
        ]
    })
}

/// The decoded value of parameter `name` in a query string.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| {
            percent_decode_str(v)
                .decode_utf8()
                .expect("utf-8")
                .into_owned()
        })
    })
}

proptest! {
    /// The query string's `filter` and the `SEARCH` body's decode to exactly `to_value`; a
    /// filter that does not render makes the query fail with the same typed error.
    #[test]
    fn query_string_and_search_body_carry_to_value(f in tree()) {
        let query = Query::new().filter(f.clone());
        match f.to_value() {
            Ok(value) => {
                let qs = query.to_query_string().expect("renders");
                let sent: Value = serde_json::from_str(&param(&qs, "filter").expect("filter"))
                    .expect("JSON");
                prop_assert_eq!(&sent, &value);
                prop_assert_eq!(&query.to_json().expect("body")["query"]["filter"], &value);
                // Nothing outside the parameter: one `filter`, no other names.
                prop_assert_eq!(qs.split('&').count(), 1);
            }
            Err(err) => {
                prop_assert!(matches!(query.to_query_string(), Err(Error::Filter(ref e)) if *e == err));
                prop_assert!(matches!(query.to_json(), Err(Error::Filter(ref e)) if *e == err));
            }
        }
        prop_assert_eq!((!!f.clone()).to_value(), f.to_value());
    }

    /// Directus reads a condition's keys as the field path down to the first key beginning
    /// with `_`, which it reads as the operator: a rendered condition always reads back as the
    /// path and operator given, whatever the field name.
    #[test]
    fn conditions_read_back_as_their_path_and_operator(field in field(), value in json()) {
        let Ok(rendered) = F::eq(field.clone(), value.clone()).to_value() else {
            return Ok(());
        };
        let (mut path, mut node) = (Vec::new(), &rendered);
        loop {
            let object = node.as_object().expect("object");
            prop_assert_eq!(object.len(), 1);
            let (key, child) = object.iter().next().expect("one key");
            if key.starts_with('_') {
                prop_assert_eq!(key.as_str(), "_eq");
                prop_assert_eq!(child, &value);
                break;
            }
            path.push(key.as_str());
            node = child;
        }
        prop_assert_eq!(path.join("."), field);
    }
}

/// One step of building a filter from input, applied to the filter so far.
#[derive(Clone, Debug)]
enum Step {
    Not,
    And(i64),
    Or(i64),
    Some,
    None,
    AnyWith,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Not),
        any::<i64>().prop_map(Step::And),
        any::<i64>().prop_map(Step::Or),
        Just(Step::Some),
        Just(Step::None),
        Just(Step::AnyWith),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Trees of any depth built step by step (far past the limit) never crash anything, on the
    /// test thread's 2 MiB stack: they render or answer `TooDeep`.
    #[test]
    fn arbitrary_depth_is_safe(steps in prop::collection::vec(step(), 0..600)) {
        let mut f = F::eq("a", 0);
        for s in steps {
            f = match s {
                Step::Not => !f,
                Step::And(n) => f & F::eq("b", n),
                Step::Or(n) => F::lt("c", n) | f,
                Step::Some => F::some("r", f),
                Step::None => F::none("r", f),
                Step::AnyWith => Filter::any([F::null("d"), f, F::nnull("e")]),
            };
        }
        let copy = f.clone();
        prop_assert!(copy == f);
        let shown = format!("{f:?}");
        prop_assert!(!shown.is_empty());
        match f.to_value() {
            Ok(v) => prop_assert!(!v.to_string().is_empty()),
            Err(e) => prop_assert_eq!(e, FilterError::TooDeep { limit: directus_proto::filter::MAX_DEPTH }),
        }
        let _ = Query::new().filter(f).to_query_string();
    }
}

// ---- request building from arbitrary names, keys, values and base URLs ----

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z_]{1,10}",
        3 => "(?s).{0,16}",
        1 => "[./?#%&=+ \\\\]{0,5}",
        1 => prop_oneof![
            Just(String::new()),
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just("directus_users".to_owned()),
            Just("directus_nope".to_owned()),
        ],
    ]
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![any::<i64>().prop_map(Key::Int), name().prop_map(Key::Str)]
}

fn base_url() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        4 => Just("http"),
        4 => Just("https"),
        1 => Just("HTTP"),
        1 => Just("ftp"),
        1 => Just(""),
    ];
    let host = prop_oneof![
        2 => Just("127.0.0.1".to_owned()),
        2 => Just("[::1]".to_owned()),
        2 => Just("example.com".to_owned()),
        1 => Just("a@b".to_owned()),
        2 => "[a-z0-9.-]{1,10}",
        1 => "(?s).{0,6}",
    ];
    let port = prop_oneof![
        2 => Just(String::new()),
        2 => any::<u16>().prop_map(|p| format!(":{p}")),
        1 => "[0-9]{0,6}".prop_map(|p| format!(":{p}")),
    ];
    let path = prop_oneof![
        2 => Just(String::new()),
        1 => Just("/".to_owned()),
        2 => "(/[a-zA-Z0-9._~%-]{0,6}){1,3}/?",
        1 => "(?s).{0,10}",
    ];
    prop_oneof![
        8 => (scheme, host, port, path).prop_map(|(s, h, p, path)| format!("{s}://{h}{p}{path}")),
        1 => "(?s).{0,30}",
    ]
}

/// The path of the base URL, without a trailing `/`.
fn base_path(base: &BaseUrl) -> String {
    let uri: Uri = base.as_str().parse().expect("a parsed base is a URI");
    uri.path().trim_end_matches('/').to_owned()
}

fn decode(text: &str) -> String {
    percent_decode_str(text)
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

/// The request stays on the base's scheme and authority, under its path.
fn on_base<T>(base: &BaseUrl, op: &directus_proto::Operation<T>) -> Result<(), TestCaseError> {
    let want: Uri = base.as_str().parse().expect("base");
    let uri = op.request().uri();
    prop_assert_eq!(uri.authority(), want.authority(), "{}", uri);
    prop_assert_eq!(
        uri.scheme_str().map(str::to_ascii_lowercase),
        want.scheme_str().map(str::to_ascii_lowercase)
    );
    prop_assert!(
        uri.path().starts_with(&base_path(base)),
        "{} under {}",
        uri,
        base
    );
    Ok(())
}

proptest! {
    #[test]
    fn requests_stay_on_the_base_and_keys_decode_back(
        url in base_url(),
        collection in name(),
        key in key(),
        value in json(),
        text in "(?s).{0,16}",
    ) {
        let Ok(base) = BaseUrl::parse(&url) else { return Ok(()) };
        let items = Items::<Value>::new(collection.clone())
            .with_query(Query::new().search(text.clone()).version(text.clone()).limit(2));
        let route = match items.collection() {
            Ok(c) => c.route().to_owned(),
            Err(e) => {
                prop_assert!(matches!(e, Error::InvalidInput(_)));
                prop_assert!(matches!(items.read(&base), Err(Error::InvalidInput(_))));
                return Ok(());
            }
        };
        if !collection.starts_with("directus_") {
            prop_assert_eq!(decode(route.trim_start_matches("/items/")), collection.clone());
        }

        // A read: on the base, the route, and the values decode back.
        let read = items.read(&base).expect("read");
        on_base(&base, &read)?;
        prop_assert_eq!(read.request().uri().path(), format!("{}{route}", base_path(&base)));
        let query = read.request().uri().query().expect("query");
        prop_assert_eq!(param(query, "search"), Some(text.clone()));
        prop_assert_eq!(param(query, "version"), Some(text.clone()));
        prop_assert_eq!(query.split('&').count(), 3);

        // Writes with any value: the body is the value.
        if value.is_object() {
            let op = items.create(&base, &value).expect("create");
            on_base(&base, &op)?;
            prop_assert_eq!(serde_json::from_slice::<Value>(op.request().body()).expect("JSON"), value.clone());
        }

        // Item routes: the last segment decodes to the key, or the key is refused.
        let key_text = key.to_string();
        let ops = [
            items.read_one(&base, key.clone()).map(|op| op.request().clone()),
            items.update(&base, key.clone(), &value).map(|op| op.request().clone()),
            items.delete(&base, key.clone()).map(|op| op.request().clone()),
        ];
        for op in ops {
            match op {
                Ok(request) => {
                    let want: Uri = base.as_str().parse().expect("base");
                    prop_assert_eq!(request.uri().authority(), want.authority());
                    let path = request.uri().path();
                    let prefix = format!("{}{route}/", base_path(&base));
                    prop_assert!(path.starts_with(&prefix), "{} under {}", path, prefix);
                    prop_assert_eq!(decode(&path[prefix.len()..]), key_text.clone());
                }
                Err(e) => {
                    prop_assert!(matches!(e, Error::InvalidInput(_)));
                    prop_assert!(matches!(key_text.as_str(), "" | "." | ".."), "{:?} refused", key_text);
                }
            }
        }
    }

    /// List parameters: a name either stays exactly one entry of the list Directus reads, or
    /// the query is refused with a typed error.
    #[test]
    fn names_are_one_entry_or_refused(names in prop::collection::vec(name(), 1..4), desc in any::<bool>()) {
        let order = if desc { Order::Desc } else { Order::Asc };
        let queries = [
            ("fields", Query::new().fields(names.clone())),
            ("sort", names.iter().fold(Query::new(), |q, n| q.sort(n.clone(), order))),
            ("groupBy", Query::new().group_by(names.clone())),
        ];
        for (param_name, query) in queries {
            match query.to_query_string() {
                Ok(qs) => {
                    let list = param(&qs, param_name).expect("param");
                    let read: Vec<&str> = split_fields(&list).into_iter().map(js_trim).collect();
                    let want: Vec<String> = names.iter().map(|n| {
                        if param_name == "sort" && desc { format!("-{n}") } else { n.clone() }
                    }).collect();
                    prop_assert_eq!(read, want);
                    prop_assert!(query.to_json().is_ok());
                }
                Err(e) => {
                    prop_assert!(matches!(e, Error::InvalidInput(_)));
                    prop_assert!(matches!(query.to_json(), Err(Error::InvalidInput(_))));
                    // Refused only when Directus could not read some name back as itself.
                    let unreadable = |n: &String| {
                        n.is_empty()
                            || js_trim(n) != n
                            || split_fields(n) != [n.as_str()]
                            || !balanced(n)
                            || (param_name == "sort" && n.starts_with('-'))
                    };
                    prop_assert!(names.iter().any(unreadable), "{:?} refused: {}", names, e);
                }
            }
        }
    }
}

/// Directus's `splitFields`: commas outside parentheses separate names.
fn split_fields(input: &str) -> Vec<&str> {
    let (mut out, mut start, mut depth) = (Vec::new(), 0, 0i64);
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&input[start..]);
    out
}

/// Parentheses that never close before they open and all close: a name that cannot merge with
/// its neighbours in the list.
fn balanced(name: &str) -> bool {
    let mut depth = 0i64;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// JavaScript's `String.prototype.trim`: white space (Unicode `Zs`, tab, VT, FF, BOM) and line
/// terminators (LF, CR, U+2028, U+2029).
fn js_trim(s: &str) -> &str {
    let js_space = |c: char| {
        matches!(
            c,
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        )
    };
    s.trim_matches(js_space)
}
