//! No answer makes a parser panic: random statuses and bodies (bytes, and JSON-ish text built
//! from the envelope's own pieces) always give a value or a typed error.

use directus_proto::Bytes;
use directus_proto::{AggregateRow, ApiError, Page, auth, response};
use http::{Response, StatusCode};
use proptest::prelude::*;
use serde_json::Value;

fn answer(status: u16, body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
}

/// Text assembled from the tokens an envelope is made of, so the parsers get past the first byte.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just(","),
        Just(":"),
        Just("\"data\""),
        Just("\"meta\""),
        Just("\"errors\""),
        Just("\"extensions\""),
        Just("\"code\""),
        Just("\"message\""),
        Just("\"total_count\""),
        Just("\"access_token\""),
        Just("\"expires\""),
        Just("null"),
        Just("1"),
        Just("-1"),
        Just("1e999"),
        Just("\"x\""),
        Just("\"\\u0000\""),
        Just("true"),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat().into_bytes())
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..200), jsonish()]
}

proptest! {
    #[test]
    fn parsers_never_panic(status in 100u16..600, body in body()) {
        let _ = response::data::<Value>(answer(status, body.clone()));
        let _ = response::page::<Value>(answer(status, body.clone()));
        let _ = response::page::<AggregateRow>(answer(status, body.clone()));
        let _ = response::written::<Vec<Value>>(answer(status, body.clone()));
        let _ = response::empty(answer(status, body.clone()));
        let _ = response::text(answer(status, body.clone()));
        let _ = auth::tokens(answer(status, body.clone()));
        if let Ok(code) = StatusCode::from_u16(status) {
            let err = ApiError::from_body(code, &body);
            prop_assert!(!err.errors().is_empty());
            let _ = err.to_string();
        }
    }

    #[test]
    fn error_answers_are_always_api_errors(status in 400u16..600, body in body()) {
        let result: Result<Page<Value>, _> = response::page(answer(status, body));
        prop_assert!(result.unwrap_err().api().is_some());
    }
}
