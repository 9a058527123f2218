//! Per-call overrides: a handle's `.retry()` and `.timeout()` reach every operation it builds,
//! and the per-call timeout bounds the whole call.

use directus_proto::Bytes;
use std::time::{Duration, Instant};

use directus_proto::{
    BaseUrl, Config, Error, Exchange, Items, RetryPolicy, Session, Step, TransportError,
    TransportErrorKind,
};
use http::Response;
use serde_json::{Value, json};

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").unwrap()
}

fn status(code: u16, retry_after: Option<&str>) -> Response<Bytes> {
    let mut builder = Response::builder().status(code);
    if let Some(value) = retry_after {
        builder = builder.header("retry-after", value);
    }
    builder.body(Bytes::from_static(b"{}")).unwrap()
}

fn is_timeout(err: &Error) -> bool {
    matches!(err, Error::Transport(t) if t.kind() == TransportErrorKind::Timeout)
}

#[test]
fn every_operation_of_a_handle_carries_its_overrides() {
    let policy = RetryPolicy::new().attempts(3).on_server_errors(true);
    let items = Items::<Value>::new("posts")
        .retry(policy.clone())
        .timeout(Duration::from_secs(4));
    let b = base();
    let ops = [
        items.read(&b).unwrap().retry_policy().cloned(),
        items.read_one(&b, 1).unwrap().retry_policy().cloned(),
        items
            .pages()
            .next_read(&b)
            .unwrap()
            .unwrap()
            .retry_policy()
            .cloned(),
        items.delete(&b, 1).unwrap().retry_policy().cloned(),
        items.read_stream(&b).unwrap().retry_policy().cloned(),
        items.read_raw(&b).unwrap().retry_policy().cloned(),
        items
            .update(&b, 1, &json!({"a": 2}))
            .unwrap()
            .retry_policy()
            .cloned(),
    ];
    assert!(ops.iter().all(|p| p.as_ref() == Some(&policy)));
    let create = items.create(&b, &json!({"a": 1})).unwrap();
    assert_eq!(create.timeout_duration(), Some(Duration::from_secs(4)));
    // a new query keeps the overrides
    let narrowed = items.clone().limit(1);
    assert_eq!(
        narrowed.read(&b).unwrap().timeout_duration(),
        Some(Duration::from_secs(4))
    );
    // and a plain handle has none
    assert!(
        Items::<Value>::new("posts")
            .read(&b)
            .unwrap()
            .retry_policy()
            .is_none()
    );
}

#[test]
fn the_per_call_timeout_bounds_waits_and_attempts() {
    let session = Session::new(base(), None).unwrap();
    let op = Items::<Value>::new("posts")
        .retry(RetryPolicy::new().attempts(10).on_server_errors(true))
        .timeout(Duration::from_secs(3))
        .read(&base())
        .unwrap();
    let t0 = Instant::now();
    let mut call = session.call(op);
    assert!(matches!(call.step(None, t0).unwrap(), Step::Send(_)));
    assert_eq!(call.deadline(), Some(t0 + Duration::from_secs(3)));
    // the first attempt gets the whole timeout (the configured one is longer)
    let config = Config::default().within(call.deadline(), t0).unwrap();
    assert_eq!(config.timeout_duration(), Duration::from_secs(3));
    // a 2 s Retry-After fits; the attempt after it gets what is left
    assert!(matches!(
        call.step(Some(status(503, Some("2"))), t0).unwrap(),
        Step::Wait(d) if d == Duration::from_secs(2)
    ));
    let t2 = t0 + Duration::from_secs(2);
    assert!(matches!(call.step(None, t2).unwrap(), Step::Send(_)));
    let config = Config::default().within(call.deadline(), t2).unwrap();
    assert_eq!(config.timeout_duration(), Duration::from_secs(1));
    // a second 2 s wait would cross it: a typed timeout naming the last answer
    let err = call.step(Some(status(503, Some("2"))), t2).unwrap_err();
    assert!(is_timeout(&err), "{err}");
    assert!(err.to_string().contains("503"), "{err}");
}

#[test]
fn an_attempt_cut_by_the_deadline_ends_the_call_with_a_timeout() {
    let session = Session::new(base(), None).unwrap();
    let op = Items::<Value>::new("posts")
        .timeout(Duration::from_secs(1))
        .read(&base())
        .unwrap();
    let t0 = Instant::now();
    let mut call = session.call(op);
    assert!(matches!(call.step(None, t0).unwrap(), Step::Send(_)));
    // the transport gave up when the deadline came: no retry is left in it
    let t1 = t0 + Duration::from_secs(1);
    let err = call
        .failed(
            TransportError::new(TransportErrorKind::Timeout, "timed out"),
            t1,
        )
        .unwrap_err();
    assert!(is_timeout(&err), "{err}");
    assert!(Config::default().within(call.deadline(), t1).is_err());
}

#[test]
fn a_write_with_a_timeout_is_still_sent_once() {
    let session = Session::new(base(), None).unwrap();
    let op = Items::<Value>::new("posts")
        .retry(RetryPolicy::new().attempts(5).on_server_errors(true))
        .timeout(Duration::from_secs(30))
        .create(&base(), &json!({"a": 1}))
        .unwrap();
    let t0 = Instant::now();
    let mut call = session.call(op);
    assert!(matches!(call.step(None, t0).unwrap(), Step::Send(_)));
    let err = call.step(Some(status(502, None)), t0).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
}
