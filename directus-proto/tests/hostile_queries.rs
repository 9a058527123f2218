//! Hostile input to query building: filters of any depth, field paths of any length, JSON values
//! of any depth, pager offsets near `u64::MAX` and names that would change the query. Nothing
//! may crash (every deep case runs on a 2 MiB stack, in the normal debug build) and every refusal
//! is a typed error.

use directus_proto::filter::{MAX_DEPTH, MAX_PATH_SEGMENTS, MAX_VALUE_DEPTH};
use directus_proto::{BaseUrl, Error, F, Filter, FilterError, Items, Order, Query};
use serde_json::{Value, json};

/// Runs `f` on a thread with a 2 MiB stack (the default of spawned threads and tokio workers).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic");
}

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").expect("base")
}

/// Every operation a caller can do on a filter, with the error rendering must give.
fn exercise(f: Filter, want: Result<(), FilterError>) {
    let copy = f.clone();
    assert!(copy == f);
    assert!(!format!("{f:?}").is_empty());
    let negated = !f.clone();
    let _ = negated == f;
    assert_eq!(f.to_value().map(|_| ()), want);
    let items = Items::<Value>::new("posts").with_query(Query::new().filter(f.clone()));
    match (items.read(&base()), &want) {
        (Ok(op), Ok(())) => {
            let request = op.request();
            assert!(request.uri().query().is_some() || request.method() == "SEARCH");
        }
        (Err(Error::Filter(got)), Err(want)) => assert_eq!(&got, want),
        (other, want) => panic!("read gave {other:?}, want {want:?}"),
    }
    let query = Query::new().filter(f);
    if want.is_ok() {
        query.to_query_string().expect("query string");
        query.to_json().expect("SEARCH body");
    }
    drop((copy, negated, query, items));
}

#[test]
fn a_million_levels_of_not_and_or_some_never_crash() {
    on_small_stack(|| {
        let mut f = F::eq("a", 0);
        for i in 0..1_000_000 {
            f = match i % 4 {
                0 => !f,
                1 => f & F::eq("b", i),
                2 => f | F::eq("c", i),
                _ => F::some("items", f),
            };
        }
        exercise(f, Err(FilterError::TooDeep { limit: MAX_DEPTH }));
    });
}

#[test]
fn nested_quantifiers_a_million_deep_never_crash() {
    on_small_stack(|| {
        let mut f = F::eq("a", 0);
        for i in 0..1_000_000 {
            f = if i % 2 == 0 {
                F::some("r", f)
            } else {
                F::none("r", f)
            };
        }
        exercise(f, Err(FilterError::TooDeep { limit: MAX_DEPTH }));
    });
}

#[test]
fn the_deepest_allowed_filter_works_on_a_small_stack() {
    // Every limit at once: MAX_DEPTH levels, a path of MAX_PATH_SEGMENTS segments and a value
    // MAX_VALUE_DEPTH deep at the bottom.
    on_small_stack(|| {
        let mut value = json!(1);
        for _ in 0..MAX_VALUE_DEPTH {
            value = Value::Array(vec![value]);
        }
        let path = vec!["a"; MAX_PATH_SEGMENTS].join(".");
        let mut f = F::eq(path, value);
        for i in 1..MAX_DEPTH {
            f = if i % 2 == 0 {
                F::some("r", !f)
            } else {
                f | F::eq("b", 1)
            };
        }
        exercise(f.clone(), Ok(()));
        let rendered = f.to_value().expect("renders");
        assert!(!rendered.to_string().is_empty());
        // One more level is refused.
        exercise(
            F::some("r", f),
            Err(FilterError::TooDeep { limit: MAX_DEPTH }),
        );
    });
}

#[test]
fn wide_filters_are_fine() {
    on_small_stack(|| {
        let f = Filter::all((0..2_000).map(|i| F::eq("a", i)));
        let g = Filter::any((0..5).map(|_| f.clone()));
        exercise(g, Ok(()));
    });
}

#[test]
fn a_one_megabyte_dotted_path_is_refused_not_a_crash() {
    on_small_stack(|| {
        let path = "a.".repeat(500_000) + "a";
        assert!(path.len() > 1_000_000);
        let limit = MAX_PATH_SEGMENTS;
        exercise(
            F::eq(path.clone(), 1),
            Err(FilterError::TooManySegments { limit }),
        );
        exercise(
            F::some("r", F::eq(path.clone(), 1)) & F::nnull("b"),
            Err(FilterError::TooManySegments { limit }),
        );
        exercise(
            F::some(path.clone(), F::eq("a", 1)),
            Err(FilterError::TooManySegments { limit }),
        );
        let over = vec!["a"; limit + 1].join(".");
        exercise(F::eq(over, 1), Err(FilterError::TooManySegments { limit }));
        // Parentheses keep dots in one segment, however many.
        let func = format!("json(data, {})", "a.".repeat(100_000) + "a");
        exercise(F::eq(func, 1), Ok(()));
    });
}

fn deep_value(levels: usize) -> Value {
    let mut value = json!("x");
    for i in 0..levels {
        // Not `json!`: it would serialize (recursively) the value it wraps.
        value = if i % 2 == 0 {
            Value::Array(vec![value])
        } else {
            Value::Object([("k".to_owned(), value)].into_iter().collect())
        };
    }
    value
}

#[test]
fn values_a_million_deep_are_refused_and_dropped_without_recursion() {
    on_small_stack(|| {
        let want = Err(FilterError::ValueTooDeep {
            limit: MAX_VALUE_DEPTH,
        });
        exercise(F::eq("a", deep_value(1_000_000)), want.clone());
        exercise(F::in_("a", [deep_value(1_000_000)]), want.clone());
        exercise(
            F::raw(json!({"a": {"_eq": 1}})) & F::raw(deep_value(1_000_000)),
            want.clone(),
        );
        exercise(F::eq("a", deep_value(MAX_VALUE_DEPTH)), Ok(()));
        exercise(F::eq("a", deep_value(MAX_VALUE_DEPTH + 1)), want);
    });
}

#[test]
fn a_deep_value_in_deep_is_refused() {
    on_small_stack(|| {
        let query = Query::new().deep(deep_value(1_000_000));
        let copy = query.clone();
        assert!(copy == query);
        assert!(!format!("{query:?}").is_empty());
        let want = FilterError::ValueTooDeep {
            limit: MAX_VALUE_DEPTH,
        };
        assert!(matches!(query.to_query_string(), Err(Error::Filter(ref e)) if *e == want));
        assert!(matches!(query.to_json(), Err(Error::Filter(ref e)) if *e == want));
        let items = Items::<Value>::new("posts").with_query(query);
        assert!(matches!(items.read(&base()), Err(Error::Filter(ref e)) if *e == want));
    });
}

// ---- finding 10: pager arithmetic ----

fn offset_of(query: Query) -> Result<Option<String>, Error> {
    let items = Items::<Value>::new("a").with_query(query);
    let pager = items.pages();
    let op = pager.next_read(&base()).expect("a first page")?;
    Ok(op.request().uri().query().map(str::to_owned))
}

#[test]
fn huge_pages_are_a_typed_error_not_a_panic_or_a_wrap() {
    for page in [1u64 << 60, u64::MAX, (u64::MAX / 100) + 2] {
        let got = offset_of(Query::new().page(page));
        assert!(
            matches!(got, Err(Error::InvalidInput(_))),
            "page {page}: {got:?}"
        );
    }
    // The largest page that fits still works, exactly.
    let page = u64::MAX / 100;
    let want = format!("limit=100&offset={}", (page - 1) * 100);
    assert_eq!(offset_of(Query::new().page(page)).unwrap(), Some(want));
    assert_eq!(
        offset_of(Query::new().limit(7).page(3)).unwrap(),
        Some("limit=7&offset=14".to_owned())
    );
}

#[test]
fn offsets_near_the_end_of_u64_stop_with_a_typed_error() {
    let items = Items::<Value>::new("a").with_query(Query::new().limit(100).offset(u64::MAX - 150));
    let mut pager = items.pages();
    let first = pager.next_read(&base()).expect("page").expect("request");
    let want = format!("limit=100&offset={}", u64::MAX - 150);
    assert_eq!(first.request().uri().query(), Some(want.as_str()));
    pager.received(100);
    let second = pager.next_read(&base()).expect("page").expect("request");
    let want = format!("limit=100&offset={}", u64::MAX - 50);
    assert_eq!(second.request().uri().query(), Some(want.as_str()));
    pager.received(100);
    let third = pager.next_read(&base()).expect("still a full page");
    assert!(matches!(third, Err(Error::InvalidInput(_))), "{third:?}");
    // A short page still ends it.
    pager.received(1);
    assert!(pager.next_read(&base()).is_none());
}

// ---- finding 12: names that change the query ----

fn refused(query: Query) {
    for got in [
        query.to_query_string().map(drop),
        query.to_json().map(drop),
        Items::<Value>::new("a")
            .with_query(query.clone())
            .read(&base())
            .map(drop),
    ] {
        assert!(
            matches!(got, Err(Error::InvalidInput(_))),
            "{query:?}: {got:?}"
        );
    }
}

#[test]
fn a_comma_in_a_name_cannot_add_entries() {
    refused(Query::new().fields(["id,password"]));
    refused(Query::new().fields(["id", "a,b"]));
    refused(Query::new().sort("title,-password", Order::Asc));
    refused(Query::new().group_by(["a,b"]));
    // Unbalanced parentheses would merge the next name into this one, or split it.
    refused(Query::new().fields(["json(data", "b)"]));
    refused(Query::new().fields([")a(,b"]));
    refused(Query::new().group_by(["year(date"]));
    // Empty names (after Directus's trim) mean "all fields" or nothing at all.
    refused(Query::new().fields([""]));
    refused(Query::new().fields(["id", "  "]));
    refused(Query::new().fields([" id"]));
    refused(Query::new().group_by(["id\u{feff}"]));
    refused(Query::new().sort("", Order::Desc));
    // A leading `-` would flip the direction.
    refused(Query::new().sort("-price", Order::Asc));
    refused(Query::new().sort(" -price", Order::Desc));
    // Writes send `fields` too.
    let items = Items::<Value>::new("a").with_query(Query::new().fields(["id,password"]));
    assert!(matches!(
        items.create(&base(), &json!({"a": 1})),
        Err(Error::InvalidInput(_))
    ));
    // The message names the parameter, and a long name is cut short.
    let long = "x,".repeat(10_000);
    let err = Query::new()
        .fields([long])
        .to_query_string()
        .unwrap_err()
        .to_string();
    assert!(err.contains("`fields`") && err.len() < 300, "{err}");
}

#[test]
fn names_that_mean_one_thing_still_work() {
    let q = Query::new()
        .fields(["id", "json(data, a.b)", "author.*", "count(comments)", "*"])
        .sort("year(date)", Order::Desc)
        .sort("author.name", Order::Asc)
        .group_by(["year(date)", "json(meta, x, y)"]);
    assert_eq!(
        q.to_query_string().unwrap(),
        "fields=id%2Cjson%28data%2C%20a.b%29%2Cauthor.%2A%2Ccount%28comments%29%2C%2A\
         &sort=-year%28date%29%2Cauthor.name\
         &groupBy=year%28date%29%2Cjson%28meta%2C%20x%2C%20y%29"
    );
    assert_eq!(
        q.to_json().unwrap()["query"]["sort"],
        json!(["-year(date)", "author.name"])
    );
}

#[test]
fn filter_fields_that_read_as_operators_are_refused() {
    for path in [
        "_and",
        "_or",
        "_eq",
        "_some",
        "_none",
        "_json",
        "_x",
        "a._and",
        "a._some.b",
        "a.b._or",
    ] {
        let got = F::eq(path, 1).to_value();
        assert!(
            matches!(got, Err(FilterError::InvalidField { .. })),
            "{path}: {got:?}"
        );
        let got = F::some(path, F::eq("a", 1)).to_value();
        assert!(
            matches!(got, Err(FilterError::InvalidField { .. })),
            "{path}: {got:?}"
        );
        let items = Items::<Value>::new("a").with_query(Query::new().filter(F::eq(path, 1)));
        assert!(matches!(items.read(&base()), Err(Error::Filter(_))));
    }
    // Functions, `$` variables and underscores inside a name are fine.
    for path in [
        "a_b",
        "year(_date)",
        "json(_data, _a)",
        "a.b_",
        "$FOLLOW(x, y)",
    ] {
        assert!(F::eq(path, 1).to_value().is_ok(), "{path}");
    }
    assert_eq!(
        F::some("products", F::none("tags", F::eq("name", "x")))
            .to_value()
            .unwrap(),
        json!({"products": {"_some": {"tags": {"_none": {"name": {"_eq": "x"}}}}}})
    );
}
