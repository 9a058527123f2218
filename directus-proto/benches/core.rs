//! The core's own costs, each next to the bare serde_json / http code doing the same job:
//! building a read, one turn of the session's step loop, parsing recorded answers (a 100-row
//! and a 2,000-row page of the benchmark collection, `benches/data/`, recorded from a real
//! server by `cargo run -p directus-tests --bin bench -- --record directus-proto/benches/data`)
//! into a typed struct, into `Value`, and into a type that borrows its strings from the body
//! (`RawPage::parse_borrowed`).
//!
//! ```sh
//! cargo bench -p directus-proto
//! ```

use directus_proto::Bytes;
use std::time::Instant;

use directus_proto::items::Items;
use directus_proto::session::{Exchange, Session, Step};
use directus_proto::{BaseUrl, Body, Credentials, F, Order, Page, response};
use divan::{Bencher, black_box};
use http::{Request, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Value, json};

fn main() {
    divan::main();
}

/// A row of the recorded answers.
#[allow(dead_code)] // the fields are read by serde only
#[derive(Debug, Deserialize)]
struct Row {
    id: i64,
    name: String,
    category: String,
    price: f64,
    stock: i64,
    note: String,
}

/// The same row borrowing its strings from the answer's body (`Cow`: the recorded strings hold
/// no escapes, so every one is borrowed).
#[allow(dead_code)] // the fields are read by serde only
#[derive(Debug, Deserialize)]
struct BorrowedRow<'a> {
    id: i64,
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    category: std::borrow::Cow<'a, str>,
    price: f64,
    stock: i64,
    #[serde(borrow)]
    note: std::borrow::Cow<'a, str>,
}

/// The envelope the bare code parses.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

const PAGE_100: &[u8] = include_bytes!("data/page-100.json");
const PAGE_2000: &[u8] = include_bytes!("data/page-2000.json");

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").expect("base URL")
}

fn answer(body: &[u8]) -> Response<Bytes> {
    Response::builder()
        .status(200)
        .header("content-type", "application/json; charset=utf-8")
        .body(Bytes::copy_from_slice(body))
        .expect("response")
}

/// Building a read with a 5-condition filter, a sort and a limit.
mod build_read {
    use super::*;

    #[divan::bench]
    fn directus_proto(bencher: Bencher<'_, '_>) {
        let base = base();
        bencher.bench_local(|| {
            let items = Items::<Value>::new("products")
                .filter(
                    F::eq("category", "fruit")
                        & F::gt("price", 1)
                        & F::lt("price", 100)
                        & F::in_("stock", [1, 2, 3])
                        & F::contains("name", "apple"),
                )
                .sort("price", Order::Desc)
                .limit(100);
            black_box(items.read(&base).expect("read"))
        });
    }

    /// Characters escaped in a query value (what a URL-encoding form would escape).
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

    #[divan::bench]
    fn json_and_http(bencher: Bencher<'_, '_>) {
        bencher.bench_local(|| {
            let filter = json!({"_and": [
                {"category": {"_eq": "fruit"}},
                {"price": {"_gt": 1}},
                {"price": {"_lt": 100}},
                {"stock": {"_in": [1, 2, 3]}},
                {"name": {"_contains": "apple"}},
            ]});
            let encoded = serde_json::to_string(&filter).expect("json");
            let uri = format!(
                "http://127.0.0.1:8055/items/products?filter={}&sort=-price&limit=100",
                utf8_percent_encode(&encoded, QUERY)
            );
            black_box(
                Request::get(uri)
                    .header("accept", "application/json")
                    .body(Body::empty())
                    .expect("request"),
            )
        });
    }
}

/// One call through the session: the first step (token, cache lookup, request), the answer
/// (an empty page), the parsed result.
mod step_loop {
    use super::*;

    const EMPTY: &[u8] = br#"{"data":[]}"#;

    #[divan::bench]
    fn directus_proto(bencher: Bencher<'_, '_>) {
        let base = base();
        let session =
            Session::new(base.clone(), Some(Credentials::static_token("t"))).expect("session");
        bencher.bench_local(|| {
            let op = Items::<Value>::new("products")
                .limit(100)
                .read(&base)
                .expect("read");
            let mut call = session.call(op);
            let now = Instant::now();
            let Ok(Step::Send(request)) = call.step(None, now) else {
                unreachable!("a call starts with a request")
            };
            black_box(request);
            match call.step(Some(answer(EMPTY)), now) {
                Ok(Step::Done(page)) => black_box(page),
                _ => unreachable!("an answer ends the call"),
            }
        });
    }

    #[divan::bench]
    fn bare_http_and_serde(bencher: Bencher<'_, '_>) {
        bencher.bench_local(|| {
            let request = Request::get("http://127.0.0.1:8055/items/products?limit=100")
                .header("authorization", "Bearer t")
                .body(Body::empty())
                .expect("request");
            black_box(request);
            let response = answer(EMPTY);
            black_box(
                serde_json::from_slice::<Envelope<Vec<Value>>>(response.body())
                    .expect("json")
                    .data,
            )
        });
    }
}

/// Parsing a recorded answer: the answer is built outside the timing in both columns.
mod parse {
    use super::*;

    fn proto<T: serde::de::DeserializeOwned>(bencher: Bencher<'_, '_>, body: &[u8]) {
        bencher
            .with_inputs(|| answer(body))
            .bench_local_values(|r| black_box(response::page::<T>(r).expect("page")));
    }

    fn bare<T: serde::de::DeserializeOwned>(bencher: Bencher<'_, '_>, body: &[u8]) {
        bencher
            .with_inputs(|| answer(body))
            .bench_local_values(|r| {
                black_box(
                    serde_json::from_slice::<Envelope<Vec<T>>>(r.body())
                        .expect("json")
                        .data,
                )
            });
    }

    #[divan::bench]
    fn rows_100_typed_directus_proto(b: Bencher<'_, '_>) {
        proto::<Row>(b, PAGE_100);
    }
    #[divan::bench]
    fn rows_100_typed_serde(b: Bencher<'_, '_>) {
        bare::<Row>(b, PAGE_100);
    }
    #[divan::bench]
    fn rows_100_value_directus_proto(b: Bencher<'_, '_>) {
        proto::<Value>(b, PAGE_100);
    }
    #[divan::bench]
    fn rows_100_value_serde(b: Bencher<'_, '_>) {
        bare::<Value>(b, PAGE_100);
    }
    #[divan::bench]
    fn rows_2000_typed_directus_proto(b: Bencher<'_, '_>) {
        proto::<Row>(b, PAGE_2000);
    }
    #[divan::bench]
    fn rows_2000_typed_serde(b: Bencher<'_, '_>) {
        bare::<Row>(b, PAGE_2000);
    }
    #[divan::bench]
    fn rows_2000_value_directus_proto(b: Bencher<'_, '_>) {
        proto::<Value>(b, PAGE_2000);
    }
    #[divan::bench]
    fn rows_2000_value_serde(b: Bencher<'_, '_>) {
        bare::<Value>(b, PAGE_2000);
    }

    /// Borrowed decoding (`RawPage::parse_borrowed`) next to the owned typed parse above and to
    /// bare serde_json into the same borrowing type: the page keeps its body, the strings are
    /// not copied.
    fn borrowed_proto(bencher: Bencher<'_, '_>, body: &[u8]) {
        bencher
            .with_inputs(|| directus_proto::borrowed::raw_page(answer(body)).expect("raw page"))
            .bench_local_refs(|raw| {
                black_box(
                    raw.parse_borrowed::<BorrowedRow<'_>>()
                        .expect("page")
                        .items()
                        .len(),
                )
            });
    }

    fn borrowed_bare(bencher: Bencher<'_, '_>, body: &[u8]) {
        bencher.with_inputs(|| answer(body)).bench_local_refs(|r| {
            black_box(
                serde_json::from_slice::<Envelope<Vec<BorrowedRow<'_>>>>(r.body())
                    .expect("json")
                    .data
                    .len(),
            )
        });
    }

    #[divan::bench]
    fn rows_100_borrowed_directus_proto(b: Bencher<'_, '_>) {
        borrowed_proto(b, PAGE_100);
    }
    #[divan::bench]
    fn rows_100_borrowed_serde(b: Bencher<'_, '_>) {
        borrowed_bare(b, PAGE_100);
    }
    #[divan::bench]
    fn rows_2000_borrowed_directus_proto(b: Bencher<'_, '_>) {
        borrowed_proto(b, PAGE_2000);
    }
    #[divan::bench]
    fn rows_2000_borrowed_serde(b: Bencher<'_, '_>) {
        borrowed_bare(b, PAGE_2000);
    }

    /// The recorded answers hold what the benchmark seeded.
    #[divan::bench(sample_count = 1, sample_size = 1)]
    fn recorded_data_is_whole() {
        let small: Page<Row> = response::page(answer(PAGE_100)).expect("page");
        let large: Page<Row> = response::page(answer(PAGE_2000)).expect("page");
        assert_eq!((small.items().len(), large.items().len()), (100, 2000));
    }
}
