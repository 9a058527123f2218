//! Hooks around a call's requests: order, attempts, what they see and may set.

use directus_proto::Bytes;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use directus_proto::hooks::{Answered, Hook, Outgoing, on_request};
use directus_proto::{
    BaseUrl, Credentials, Exchange, Items, RetryPolicy, Session, Step, TransportError,
    TransportErrorKind,
};
use http::Response;
use serde_json::{Value, json};

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").unwrap()
}

fn ok() -> Response<Bytes> {
    Response::new(Bytes::from_static(br#"{"data":[]}"#))
}

type Log = Arc<Mutex<Vec<String>>>;

/// Logs what it sees, and adds its name to `x-order`.
struct Named {
    name: &'static str,
    log: Log,
    secrets: bool,
}

impl Hook for Named {
    fn before(&self, request: &mut Outgoing<'_>) {
        let order = request
            .header("x-order")
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| self.name.to_owned(), |v| format!("{v},{}", self.name));
        request.insert_header("x-order", &order).unwrap();
        let auth = request.header("authorization").is_some();
        let body = request.body().is_some();
        self.log.lock().unwrap().push(format!(
            "{} before #{} auth={auth} body={body}",
            self.name,
            request.attempt()
        ));
    }

    fn after(&self, answer: &Answered<'_>) {
        self.log.lock().unwrap().push(format!(
            "{} after #{} {:?} {:?} body={}",
            self.name,
            answer.attempt(),
            answer.status().map(|s| s.as_u16()),
            answer.error(),
            answer.body().is_some()
        ));
    }

    fn sees_secrets(&self) -> bool {
        self.secrets
    }
}

fn session_with(log: &Log) -> Session {
    let session = Session::new(base(), Some(Credentials::static_token("s3cret"))).unwrap();
    for (name, secrets) in [("a", false), ("b", true)] {
        session.add_hook(Named {
            name,
            log: log.clone(),
            secrets,
        });
    }
    session
}

#[test]
fn before_in_registration_order_after_in_reverse_and_per_attempt() {
    let log = Log::default();
    let session = session_with(&log);
    let op = Items::<Value>::new("posts")
        .retry(RetryPolicy::none().attempts(2))
        .create(&base(), &json!({"title": "x"}))
        .unwrap()
        .idempotent();
    let t0 = Instant::now();
    let mut call = session.call(op);
    let Step::Send(request) = call.step(None, t0).unwrap() else {
        panic!("expected a send")
    };
    assert_eq!(request.headers()["x-order"], "a,b");
    assert_eq!(request.headers()["authorization"], "Bearer s3cret");
    let failed = TransportError::new(TransportErrorKind::Io, "reset");
    assert!(matches!(
        call.failed(failed, t0 + Duration::from_millis(5)).unwrap(),
        Step::Send(_)
    ));
    assert!(matches!(
        call.step(Some(ok()), t0 + Duration::from_millis(9))
            .unwrap(),
        Step::Done(_)
    ));
    assert_eq!(
        *log.lock().unwrap(),
        [
            // only `b` sees secrets: the token and the body
            "a before #1 auth=false body=false",
            "b before #1 auth=true body=true",
            "b after #1 None Some(Io) body=false",
            "a after #1 None Some(Io) body=false",
            "a before #2 auth=false body=false",
            "b before #2 auth=true body=true",
            "b after #2 Some(200) None body=true",
            "a after #2 Some(200) None body=false",
        ]
    );
}

#[test]
fn a_hook_cannot_set_credentials_without_opting_in() {
    let session = Session::new(base(), Some(Credentials::static_token("s3cret"))).unwrap();
    let refused = Arc::new(Mutex::new(Vec::new()));
    let seen = refused.clone();
    session.add_hook(on_request(move |request| {
        seen.lock().unwrap().push(
            request
                .insert_header("authorization", "Bearer other")
                .is_err()
                && request.insert_header("cookie", "a=b").is_err()
                && request.insert_header("bad name", "x").is_err()
                && request.insert_header("x-ok", "bad\nvalue").is_err(),
        );
    }));
    let mut call = session.call(Items::<Value>::new("posts").read(&base()).unwrap());
    let Step::Send(request) = call.step(None, Instant::now()).unwrap() else {
        panic!("expected a send")
    };
    assert_eq!(*refused.lock().unwrap(), [true]);
    assert_eq!(request.headers()["authorization"], "Bearer s3cret");
    assert!(request.headers().get("cookie").is_none());
}

#[test]
fn elapsed_is_the_time_between_send_and_answer() {
    let elapsed = Arc::new(Mutex::new(None));
    let seen = elapsed.clone();
    let session = Session::new(base(), None).unwrap();
    session.add_hook(directus_proto::hooks::on_response(move |answer| {
        *seen.lock().unwrap() = Some((answer.elapsed(), answer.bytes_in()));
    }));
    let t0 = Instant::now();
    let mut call = session.call(Items::<Value>::new("posts").read(&base()).unwrap());
    call.step(None, t0).unwrap();
    call.step(Some(ok()), t0 + Duration::from_millis(40))
        .unwrap();
    assert_eq!(
        *elapsed.lock().unwrap(),
        Some((Duration::from_millis(40), ok().body().len()))
    );
}
