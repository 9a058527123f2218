//! Every response parser against an arbitrary status, headers and body: none panics, and a
//! status outside `2xx` always gives an error (an API error, with that status).

#![no_main]

use directus_proto::Bytes;
use arbitrary::Arbitrary;
use directus_proto::{
    AggregateRow, ApiError, BaseUrl, Error, Operation, assets, auth, files, response, schema,
    system,
};
use http::{HeaderName, HeaderValue, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[derive(Arbitrary, Debug)]
enum Name {
    ContentType,
    ContentLength,
    ContentDisposition,
    ETag,
    RetryAfter,
    Other(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    headers: Vec<(Name, Vec<u8>)>,
    body: Vec<u8>,
}

impl Input {
    fn response(&self) -> Response<Bytes> {
        let mut response = Response::new(Bytes::from(self.body.clone()));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        for (name, value) in &self.headers {
            let name = match name {
                Name::ContentType => http::header::CONTENT_TYPE,
                Name::ContentLength => http::header::CONTENT_LENGTH,
                Name::ContentDisposition => http::header::CONTENT_DISPOSITION,
                Name::ETag => http::header::ETAG,
                Name::RetryAfter => http::header::RETRY_AFTER,
                Name::Other(name) => match HeaderName::from_bytes(name.as_bytes()) {
                    Ok(name) => name,
                    Err(_) => continue,
                },
            };
            if let Ok(value) = HeaderValue::from_bytes(value) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// A parse result: an error status must be an API error with that status.
fn check<T>(status: StatusCode, result: Result<T, Error>) {
    if !status.is_success() {
        let error = result.err().expect("an error status parsed as a success");
        let api = error.api().expect("an error status gives an API error");
        assert_eq!(api.status(), status);
        assert!(!api.errors().is_empty());
        let _ = error.to_string();
        let _ = format!("{error:?}");
    }
}

fn op<T>(status: StatusCode, op: Result<Operation<T>, Error>, response: Response<Bytes>) {
    check(status, op.expect("builds").parse(response));
}

fuzz_target!(|input: Input| {
    let r = || input.response();
    let status = r().status();
    let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();

    check(status, response::data::<Value>(r()));
    check(status, response::page::<Value>(r()));
    check(status, response::page::<AggregateRow>(r()));
    check(status, response::written::<Vec<Value>>(r()));
    check(status, response::empty(r()));
    check(status, response::text(r()));
    check(status, response::success(r()));
    check(status, auth::tokens(r()));
    check(status, files::one_or_many(r()));
    if let Ok(page) = response::page::<Value>(r()) {
        let _ = page.items_as::<String>();
        let _ = page.item_as::<Vec<Value>>();
    }

    let error = ApiError::from_body(status, &input.body);
    assert_eq!(error.status(), status);
    assert!(!error.errors().is_empty());
    let _ = (
        error.code(),
        error.message(),
        error.omitted(),
        error.excerpt(),
    );
    let _ = error.to_string();

    let head = assets::asset_head(&r());
    assert_eq!(head.is_some(), status.is_success());
    if !status.is_success() {
        assert!(assets::asset_error(r()).api().is_some());
    } else {
        let _ = assets::asset_error(r());
    }

    op(status, system::ping(&base), r());
    op(status, system::health(&base), r());
    op(status, system::info(&base), r());
    op(status, system::openapi(&base), r());
    op(status, system::my_permissions(&base), r());
    op(status, system::my_roles(&base), r());
    op(status, system::me::<Value>(&base, &Default::default()), r());
    op(
        status,
        system::settings::<Value>(&base, &Default::default()),
        r(),
    );
    op(status, system::share_info(&base, "s1"), r());
    op(status, system::compare_version(&base, "v1"), r());
    op(status, schema::collections(&base), r());
    op(status, schema::collection(&base, "c"), r());
    op(status, schema::fields(&base, "c"), r());
    op(status, schema::relations(&base), r());
    op(
        status,
        schema::snapshot(&base, &schema::SnapshotScope::all()),
        r(),
    );
    op(status, auth::providers(&base), r());
});
