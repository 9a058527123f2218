//! The query limits against a real server, for both drivers: the deepest filter the client
//! allows is one Directus runs (the limit never refuses a filter the server would answer), one
//! level more is a typed error with no request sent, and so are names that would change the
//! query and a pager offset past `u64::MAX`.

use std::collections::BTreeSet;

use directus_proto::filter::MAX_DEPTH;
use directus_proto::{Error, F, Filter, FilterError, Order, Query};
use directus_tests::fixtures::PRODUCTS;
use directus_tests::scenarios::{self, AsyncDriver, Driver, matching, seed_products};
use serde_json::Value;

/// A filter exactly `MAX_DEPTH` levels deep that matches what `base` matches: alternately
/// `f & !null(run)` (every seeded row has a run) and `f | stock = -i` (none has).
fn deepest(base: Filter) -> Filter {
    let mut f = base;
    for i in 1..MAX_DEPTH {
        f = if i % 2 == 0 {
            f & !F::null("run")
        } else {
            f | F::eq("stock", -(i as i64))
        };
    }
    f
}

fn limits<D: Driver>(d: &D) {
    let s = seed_products(d);
    let all: BTreeSet<i64> = s.ids.iter().copied().collect();

    let f = deepest(s.run_filter());
    assert!(f.to_value().is_ok());
    assert_eq!(
        matching(d, f.clone()).expect("the deepest filter is served"),
        all,
        "{}",
        D::NAME
    );

    let too_deep = f & F::nnull("name");
    match matching(d, too_deep) {
        Err(Error::Filter(FilterError::TooDeep { limit })) => assert_eq!(limit, MAX_DEPTH),
        other => panic!("{}: one level more gave {other:?}", D::NAME),
    }

    // Names that would change the query: refused before anything is sent.
    for query in [
        Query::new().fields(["id,name"]),
        Query::new().sort("-stock", Order::Asc),
        Query::new().group_by(["category,run"]),
    ] {
        let got = d.read::<Value>(PRODUCTS, query.filter(s.run_filter()));
        assert!(
            matches!(got, Err(Error::InvalidInput(_))),
            "{}: {got:?}",
            D::NAME
        );
    }
    let got = matching(d, F::eq("_and", 1) & s.run_filter());
    assert!(
        matches!(got, Err(Error::Filter(FilterError::InvalidField { .. }))),
        "{}: {got:?}",
        D::NAME
    );

    // Pagination that would overflow: a typed error from the driver's iteration.
    let got = d.iter_all::<Value>(PRODUCTS, Query::new().filter(s.run_filter()).page(1 << 60));
    assert!(
        matches!(got, Err(Error::InvalidInput(_))),
        "{}: {got:?}",
        D::NAME
    );
}

#[test]
fn blocking() {
    limits(&scenarios::admin::<directus_blocking::Directus>());
}

#[test]
fn async_client() {
    limits(&scenarios::admin::<AsyncDriver>());
}
