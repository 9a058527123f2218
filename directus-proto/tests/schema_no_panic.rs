//! No answer makes the schema parsers panic, and whatever parses summarizes (and, with the
//! `codegen` feature, generates models) without panicking.

use directus_proto::BaseUrl;
use directus_proto::Bytes;
use directus_proto::schema::{self, Diff, DiffOptions, Refusal, Snapshot, SnapshotScope};
use http::{Response, StatusCode};
use proptest::prelude::*;

fn answer(status: u16, body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
}

/// Text assembled from the pieces of snapshots and diffs.
fn jsonish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just(","),
        Just(":"),
        Just("\"data\""),
        Just("\"version\""),
        Just("\"directus\""),
        Just("\"collections\""),
        Just("\"fields\""),
        Just("\"relations\""),
        Just("\"collection\""),
        Just("\"field\""),
        Just("\"type\""),
        Just("\"alias\""),
        Just("\"schema\""),
        Just("\"meta\""),
        Just("\"special\""),
        Just("\"is_nullable\""),
        Just("\"related_collection\""),
        Just("\"one_field\""),
        Just("\"hash\""),
        Just("\"diff\""),
        Just("\"kind\""),
        Just("\"N\""),
        Just("\"path\""),
        Just("null"),
        Just("1"),
        Just("-1"),
        Just("1e999"),
        Just("\"x\""),
        Just("\"12.4.0\""),
        Just("true"),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn schema_parsers_never_panic(status in 100u16..600, text in jsonish(), bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let base = BaseUrl::parse("http://localhost:8055").unwrap();
        let empty = Snapshot::from_json(r#"{"version":1,"directus":"12.4.0"}"#).unwrap();
        for body in [text.clone().into_bytes(), format!("{{\"data\":{text}}}").into_bytes(), bytes.clone()] {
            if let Ok(snapshot) = schema::snapshot(&base, &SnapshotScope::all())?.parse(answer(status, body.clone())) {
                let _ = snapshot.major_version();
                #[cfg(feature = "codegen")]
                let _ = schema::codegen::generate(&snapshot, &schema::codegen::Options::new());
            }
            match schema::diff(&base, &empty, DiffOptions::new())?.parse(answer(status, body.clone())) {
                Ok(Some(diff)) => {
                    let _ = diff.summary().to_string();
                }
                Ok(None) => {}
                Err(err) => {
                    let _ = Refusal::of(&err);
                }
            }
            let _ = schema::collections(&base)?.parse(answer(status, body.clone()));
            let _ = schema::relations(&base)?.parse(answer(status, body.clone()));
        }
        if let Ok(diff) = Diff::from_json(&text) {
            let _ = diff.summary().to_string();
        }
        if let Ok(snapshot) = Snapshot::from_json(&text) {
            prop_assert_eq!(snapshot.json(), text.as_str());
        }
    }
}
