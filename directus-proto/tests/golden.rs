//! Golden tests: the exact requests proto builds (method, URI, headers, body) for every request
//! kind, and the auth state machine driven by a fake clock and scripted answers.

use directus_proto::Bytes;
use std::time::{Duration, Instant};

use directus_proto::{
    Agg, BaseUrl, CacheConfig, Credentials, Error, ErrorCode, Exchange, F, Items, MetaCount,
    Operation, Order, Query, RetryPolicy, Session, Step, auth, response,
};
use http::{Request, Response};
use serde_json::{Value, json};

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").unwrap()
}

fn items() -> Items<Value> {
    Items::new("products")
}

/// Method, full URI, content type and body as text.
fn show<T>(op: &Operation<T>) -> (String, String, Option<String>, String) {
    let r = op.request();
    (
        r.method().to_string(),
        r.uri().to_string(),
        r.headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned()),
        String::from_utf8(r.body().to_vec()).unwrap(),
    )
}

fn golden<T>(op: &Operation<T>, method: &str, uri: &str, body: &str) {
    let (m, u, ct, b) = show(op);
    assert_eq!((m.as_str(), u.as_str(), b.as_str()), (method, uri, body));
    assert_eq!(ct.is_some(), !body.is_empty(), "content type iff body");
    assert_eq!(op.request().headers()["accept"], "application/json");
    assert!(op.request().headers().get("authorization").is_none());
}

const B: &str = "http://127.0.0.1:8055";

#[test]
fn every_item_request() {
    let q = items().with_query(Query::new().fields(["id", "name"]));
    golden(
        &items().read(&base()).unwrap(),
        "GET",
        &format!("{B}/items/products"),
        "",
    );
    golden(
        &q.read_one(&base(), 7).unwrap(),
        "GET",
        &format!("{B}/items/products/7?fields=id%2Cname"),
        "",
    );
    golden(
        &q.create(&base(), &json!({"name": "kiwi"})).unwrap(),
        "POST",
        &format!("{B}/items/products?fields=id%2Cname"),
        r#"{"name":"kiwi"}"#,
    );
    golden(
        &items()
            .create_many(&base(), &[json!({"a": 1}), json!({"a": 2})])
            .unwrap(),
        "POST",
        &format!("{B}/items/products"),
        r#"[{"a":1},{"a":2}]"#,
    );
    golden(
        &items().update(&base(), "7a", &json!({"a": 1})).unwrap(),
        "PATCH",
        &format!("{B}/items/products/7a"),
        r#"{"a":1}"#,
    );
    golden(
        &items()
            .update_many(&base(), [1, 2], &json!({"a": 1}))
            .unwrap(),
        "PATCH",
        &format!("{B}/items/products"),
        r#"{"data":{"a":1},"keys":[1,2]}"#,
    );
    golden(
        &items()
            .update_by_query(&base(), F::gt("price", 3), &json!({"a": 1}))
            .unwrap(),
        "PATCH",
        &format!("{B}/items/products"),
        r#"{"data":{"a":1},"query":{"filter":{"price":{"_gt":3}},"limit":-1}}"#,
    );
    golden(
        &items().delete(&base(), 9).unwrap(),
        "DELETE",
        &format!("{B}/items/products/9"),
        "",
    );
    golden(
        &items().delete_many(&base(), ["u1", "u2"]).unwrap(),
        "DELETE",
        &format!("{B}/items/products"),
        r#"{"keys":["u1","u2"]}"#,
    );
    golden(
        &items().delete_by_query(&base(), F::null("name")).unwrap(),
        "DELETE",
        &format!("{B}/items/products"),
        r#"{"query":{"filter":{"name":{"_null":true}},"limit":-1}}"#,
    );
    let settings = Items::<Value>::new("settings_page");
    golden(
        &settings.read_singleton(&base()).unwrap(),
        "GET",
        &format!("{B}/items/settings_page"),
        "",
    );
    golden(
        &settings
            .update_singleton(&base(), &json!({"title": "x"}))
            .unwrap(),
        "PATCH",
        &format!("{B}/items/settings_page"),
        r#"{"title":"x"}"#,
    );
}

#[test]
fn every_read_parameter_in_wire_order() {
    let q = Query::new()
        .fields(["*", "supplier.name"])
        .filter(F::eq("category", "fruit"))
        .search("app")
        .sort("price", Order::Desc)
        .sort("name", Order::Asc)
        .limit(10)
        .offset(20)
        .page(3)
        .meta(MetaCount::Total)
        .aggregate(Agg::sum("price"))
        .group_by(["category"])
        .deep(json!({"supplier": {"_limit": 1}}))
        .alias("n", "name")
        .version("draft");
    assert_eq!(
        q.to_query_string().unwrap(),
        "fields=%2A%2Csupplier.name\
         &filter=%7B%22category%22%3A%7B%22_eq%22%3A%22fruit%22%7D%7D\
         &search=app&sort=-price%2Cname&limit=10&offset=20&page=3&meta=total_count\
         &aggregate=%7B%22sum%22%3A%5B%22price%22%5D%7D&groupBy=category\
         &deep=%7B%22supplier%22%3A%7B%22_limit%22%3A1%7D%7D\
         &alias=%7B%22n%22%3A%22name%22%7D&version=draft"
    );
}

#[test]
fn long_reads_become_search_with_the_same_query() {
    let names: Vec<String> = (0..1500).map(|i| format!("n{i}")).collect();
    let q = Query::new().filter(F::in_("name", names)).limit(5);
    let op = items().with_query(q.clone()).read(&base()).unwrap();
    let (m, u, ct, body) = show(&op);
    assert_eq!(
        (m.as_str(), u.as_str()),
        ("SEARCH", "http://127.0.0.1:8055/items/products")
    );
    assert_eq!(ct.as_deref(), Some("application/json"));
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        q.to_json().unwrap()
    );
    // Short enough: a plain GET.
    let short = items()
        .with_query(Query::new().limit(5))
        .read(&base())
        .unwrap();
    assert_eq!(short.request().method(), "GET");
}

#[test]
fn system_collections_and_hostile_names_route_safely() {
    for (name, route) in [
        ("directus_users", "/users"),
        ("directus_files", "/files"),
        ("directus_roles", "/roles"),
        ("directus_settings", "/settings"),
        ("a/b", "/items/a%2Fb"),
        ("x?y=1", "/items/x%3Fy%3D1"),
        ("#", "/items/%23"),
        ("100%", "/items/100%25"),
    ] {
        let op = Items::<Value>::new(name).read(&base()).unwrap();
        assert_eq!(op.request().uri().path(), route, "{name}");
        assert_eq!(op.request().uri().query(), None, "{name}");
    }
    for key in ["a/../b", "x?y=1", "#", "%", "a b"] {
        let op = items().read_one(&base(), key).unwrap();
        let path = op.request().uri().path().to_owned();
        assert!(path.starts_with("/items/products/"), "{key}: {path}");
        assert_eq!(path.matches('/').count(), 3, "{key}: {path}");
        assert_eq!(op.request().uri().query(), None, "{key}");
    }
    for key in [".", ".."] {
        assert!(matches!(
            items().delete(&base(), key),
            Err(Error::InvalidInput(_))
        ));
    }
    assert!(Items::<Value>::new("directus_nope").read(&base()).is_err());
    assert!(matches!(
        items().delete_many(&base(), Vec::<i64>::new()),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn auth_requests() {
    let pw = "pw".into();
    golden(
        &auth::login(&base(), "a@example.com", &pw, Some(&"123456".into())).unwrap(),
        "POST",
        &format!("{B}/auth/login"),
        r#"{"email":"a@example.com","mode":"json","otp":"123456","password":"pw"}"#,
    );
    golden(
        &auth::refresh(&base(), &"r1".into()).unwrap(),
        "POST",
        &format!("{B}/auth/refresh"),
        r#"{"mode":"json","refresh_token":"r1"}"#,
    );
    golden(
        &auth::logout(&base(), &"r1".into()).unwrap(),
        "POST",
        &format!("{B}/auth/logout"),
        r#"{"mode":"json","refresh_token":"r1"}"#,
    );
    golden(
        &auth::password_request(&base(), "a@example.com", None).unwrap(),
        "POST",
        &format!("{B}/auth/password/request"),
        r#"{"email":"a@example.com"}"#,
    );
    golden(
        &auth::password_reset(&base(), &"t".into(), &"new".into()).unwrap(),
        "POST",
        &format!("{B}/auth/password/reset"),
        r#"{"password":"new","token":"t"}"#,
    );
}

// ---- the session state machine, with a fake clock and scripted answers ----

fn json_response(status: u16, body: Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

fn tokens(access: &str, refresh: &str, ttl_ms: u64) -> Response<Bytes> {
    json_response(
        200,
        json!({"data": {"access_token": access, "refresh_token": refresh, "expires": ttl_ms}}),
    )
}

fn expect_send<T: std::fmt::Debug>(step: Step<T>) -> Request<directus_proto::Body> {
    match step {
        Step::Send(request) => request,
        other => panic!("expected Send, got {other:?}"),
    }
}

/// Runs an exchange with a script of answers keyed by path; returns the paths sent.
fn drive<E: Exchange>(
    session: &Session,
    mut exchange: E,
    now: Instant,
    answers: &mut Vec<(&str, Response<Bytes>)>,
) -> (Result<E::Output, Error>, Vec<String>) {
    let mut sent = Vec::new();
    let mut answer = None;
    loop {
        match exchange.step(answer.take(), now) {
            Err(e) => return (Err(e), sent),
            Ok(Step::Done(v)) => return (Ok(v), sent),
            Ok(Step::Wait(delay)) => sent.push(format!("WAIT {}s", delay.as_secs())),
            Ok(Step::Refresh(seen)) => {
                if let Some(refresh) = session.refresh(seen) {
                    let (r, more) = drive(session, refresh, now, answers);
                    sent.extend(more);
                    if let Err(e) = r {
                        return (Err(e), sent);
                    }
                }
            }
            Ok(Step::Send(request)) => {
                let path = request.uri().path().to_owned();
                let auth = request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                sent.push(format!("{} {path} {auth}", request.method()));
                let i = answers
                    .iter()
                    .position(|(p, _)| *p == path)
                    .unwrap_or_else(|| panic!("no scripted answer for {path}"));
                answer = Some(answers.remove(i).1);
            }
        }
    }
}

fn me(session: &Session) -> Operation<Value> {
    Operation::get(session.base(), "/users/me", response::data).unwrap()
}

#[test]
fn password_session_logs_in_lazily_then_refreshes_before_expiry() {
    let t0 = Instant::now();
    let session = Session::new(base(), Some(Credentials::password("a@example.com", "pw"))).unwrap();
    let mut script = vec![
        ("/auth/login", tokens("A1", "R1", 100_000)),
        ("/users/me", json_response(200, json!({"data": {"id": 1}}))),
    ];
    let (r, sent) = drive(&session, session.call(me(&session)), t0, &mut script);
    assert_eq!(r.unwrap()["id"], 1);
    assert_eq!(sent, ["POST /auth/login ", "GET /users/me Bearer A1"]);

    // 95 s later: within the 10 s margin of the 100 s lifetime, so refresh first.
    let mut script = vec![
        ("/auth/refresh", tokens("A2", "R2", 100_000)),
        ("/users/me", json_response(200, json!({"data": {"id": 1}}))),
    ];
    let (r, sent) = drive(
        &session,
        session.call(me(&session)),
        t0 + Duration::from_secs(95),
        &mut script,
    );
    r.unwrap();
    assert_eq!(sent, ["POST /auth/refresh ", "GET /users/me Bearer A2"]);
    assert_eq!(session.refresh_token().unwrap().expose(), "R2");
}

#[test]
fn token_expired_refreshes_once_and_repeats() {
    let t0 = Instant::now();
    let session = Session::new(base(), Some(Credentials::refresh_token("R0"))).unwrap();
    let expired = json_response(
        401,
        json!({"errors": [{"message": "Token expired.", "extensions": {"code": "TOKEN_EXPIRED"}}]}),
    );
    let mut script = vec![
        ("/auth/refresh", tokens("A1", "R1", 900_000)),
        ("/users/me", expired),
        ("/auth/refresh", tokens("A2", "R2", 900_000)),
        ("/users/me", json_response(200, json!({"data": {"id": 1}}))),
    ];
    let (r, sent) = drive(&session, session.call(me(&session)), t0, &mut script);
    r.unwrap();
    assert_eq!(
        sent,
        [
            "POST /auth/refresh ",
            "GET /users/me Bearer A1",
            "POST /auth/refresh ",
            "GET /users/me Bearer A2"
        ]
    );

    // A second TOKEN_EXPIRED in the same call is returned, not looped on.
    let expired = || {
        json_response(
            401,
            json!({"errors": [{"message": "Token expired.", "extensions": {"code": "TOKEN_EXPIRED"}}]}),
        )
    };
    let mut script = vec![
        ("/users/me", expired()),
        ("/auth/refresh", tokens("A3", "R3", 900_000)),
        ("/users/me", expired()),
    ];
    let (r, sent) = drive(&session, session.call(me(&session)), t0, &mut script);
    assert_eq!(
        r.unwrap_err().api().unwrap().code(),
        &ErrorCode::TokenExpired
    );
    assert_eq!(sent.len(), 3);
}

#[test]
fn single_flight_a_stale_generation_does_not_refresh_again() {
    let t0 = Instant::now();
    let session = Session::new(base(), Some(Credentials::refresh_token("R0"))).unwrap();
    let seen = session.generation();
    let mut script = vec![("/auth/refresh", tokens("A1", "R1", 900_000))];
    let (r, sent) = drive(&session, session.refresh(seen).unwrap(), t0, &mut script);
    r.unwrap();
    assert_eq!(sent.len(), 1);
    // Every other caller that saw the old generation finds the work done.
    assert!(session.refresh(seen).is_none());
    assert!(session.refresh(session.generation()).is_some());
}

#[test]
fn refused_refresh_token_falls_back_to_login_with_a_password() {
    let t0 = Instant::now();
    let session = Session::new(base(), Some(Credentials::password("a@example.com", "pw"))).unwrap();
    let mut script = vec![("/auth/login", tokens("A1", "R1", 900_000))];
    drive(
        &session,
        session.refresh(session.generation()).unwrap(),
        t0,
        &mut script,
    )
    .0
    .unwrap();
    let refused = json_response(
        401,
        json!({"errors": [{"message": "Invalid user credentials.", "extensions": {"code": "INVALID_CREDENTIALS"}}]}),
    );
    let mut script = vec![
        ("/auth/refresh", refused),
        ("/auth/login", tokens("A2", "R2", 900_000)),
    ];
    let (r, sent) = drive(
        &session,
        session.refresh(session.generation()).unwrap(),
        t0,
        &mut script,
    );
    r.unwrap();
    assert_eq!(sent, ["POST /auth/refresh ", "POST /auth/login "]);

    // Without a password the refusal is the answer, and the dead token is forgotten.
    let session = Session::new(base(), Some(Credentials::refresh_token("R0"))).unwrap();
    let refused = json_response(
        401,
        json!({"errors": [{"message": "no", "extensions": {"code": "INVALID_CREDENTIALS"}}]}),
    );
    let mut script = vec![("/auth/refresh", refused)];
    let (r, _) = drive(
        &session,
        session.refresh(session.generation()).unwrap(),
        t0,
        &mut script,
    );
    assert_eq!(
        r.unwrap_err().api().unwrap().code(),
        &ErrorCode::InvalidCredentials
    );
    assert!(session.refresh_token().is_none());
}

#[test]
fn logout_revokes_the_refresh_token_and_forgets_everything() {
    let t0 = Instant::now();
    let session = Session::new(base(), Some(Credentials::password("a@example.com", "pw"))).unwrap();
    let mut script = vec![("/auth/login", tokens("A1", "R1", 900_000))];
    drive(
        &session,
        session.refresh(session.generation()).unwrap(),
        t0,
        &mut script,
    )
    .0
    .unwrap();
    let mut logout = session.logout();
    let request = expect_send(logout.step(None, t0).unwrap());
    assert_eq!(request.uri().path(), "/auth/logout");
    assert_eq!(request.body(), br#"{"mode":"json","refresh_token":"R1"}"#);
    let done = logout.step(
        Some(Response::builder().status(204).body(Bytes::new()).unwrap()),
        t0,
    );
    assert!(matches!(done, Ok(Step::Done(()))));
    assert!(session.refresh_token().is_none());
    assert!(matches!(
        session.call(me(&session)).step(None, t0),
        Err(Error::NotAuthenticated(_))
    ));
}

#[test]
fn static_tokens_are_sent_as_is_and_never_refreshed() {
    let session = Session::new(base(), Some(Credentials::static_token("S"))).unwrap();
    let request = expect_send(
        session
            .call(me(&session))
            .step(None, Instant::now())
            .unwrap(),
    );
    assert_eq!(request.headers()["authorization"], "Bearer S");
    assert!(request.headers()["authorization"].is_sensitive());
    let anonymous = Session::new(base(), None).unwrap();
    let request = expect_send(
        anonymous
            .call(me(&anonymous))
            .step(None, Instant::now())
            .unwrap(),
    );
    assert!(request.headers().get("authorization").is_none());
}

#[test]
fn reads_are_retried_after_transport_errors_writes_never() {
    use directus_proto::{TransportError, TransportErrorKind};
    let session = Session::new(base(), None).unwrap();
    let err = || TransportError::new(TransportErrorKind::Io, "reset");
    let now = Instant::now();
    let mut read = session.call(items().read(&base()).unwrap());
    expect_send(read.step(None, now).unwrap());
    expect_send(read.failed(err(), now).unwrap());
    assert!(read.failed(err(), now).is_err(), "once");
    let mut write = session.call(items().create(&base(), &json!({"a": 1})).unwrap());
    expect_send(write.step(None, now).unwrap());
    assert!(write.failed(err(), now).is_err());
    // whatever the policy says
    session.set_retry_policy(RetryPolicy::new().attempts(10).on_server_errors(true));
    let mut write = session.call(items().create(&base(), &json!({"a": 1})).unwrap());
    expect_send(write.step(None, now).unwrap());
    assert!(write.failed(err(), now).is_err());
    let mut write = session.call(items().create(&base(), &json!({"a": 1})).unwrap());
    expect_send(write.step(None, now).unwrap());
    let answer = write.step(Some(json_response(503, json!({"errors": []}))), now);
    assert_eq!(answer.unwrap_err().status().map(|s| s.as_u16()), Some(503));
}

fn status(code: u16, retry_after: Option<&str>) -> Response<Bytes> {
    let mut builder = Response::builder().status(code);
    if let Some(value) = retry_after {
        builder = builder.header("retry-after", value);
    }
    builder.body(Bytes::from_static(b"{}")).unwrap()
}

#[test]
fn a_policy_retries_server_errors_with_growing_jittered_delays() {
    let session = Session::new(base(), None).unwrap();
    session.seed_jitter(99);
    let policy = RetryPolicy::new()
        .attempts(4)
        .on_server_errors(true)
        .backoff(Duration::from_millis(100), Duration::from_millis(250));
    session.set_retry_policy(policy.clone());
    let t0 = Instant::now();
    let mut call = session.call(items().read(&base()).unwrap());
    expect_send(call.step(None, t0).unwrap());
    let mut waits = Vec::new();
    for (i, code) in [502, 503, 504].into_iter().enumerate() {
        match call.step(Some(status(code, None)), t0).unwrap() {
            Step::Wait(delay) => {
                let ceiling = Duration::from_millis(100 << i).min(Duration::from_millis(250));
                assert!(delay <= ceiling, "retry {i}: {delay:?}");
                waits.push(delay);
                // after the wait, the request goes again
                expect_send(call.step(None, t0).unwrap());
            }
            // a zero draw: sent again at once
            Step::Send(_) => waits.push(Duration::ZERO),
            other => panic!("expected a wait, got {other:?}"),
        }
    }
    assert_eq!(waits.len(), 3);
    // attempt 4 fails too: the policy is spent, the answer is the error
    let err = call.step(Some(status(503, None)), t0).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    // Retry-After on a 503 is honoured (not the backoff)
    let mut call = session.call(items().read(&base()).unwrap());
    expect_send(call.step(None, t0).unwrap());
    assert!(matches!(
        call.step(Some(status(503, Some("2"))), t0).unwrap(),
        Step::Wait(d) if d == Duration::from_secs(2)
    ));
}

#[test]
fn a_deadline_shorter_than_the_retries_ends_the_call_with_a_timeout() {
    let session = Session::new(base(), None).unwrap();
    session.set_retry_policy(
        RetryPolicy::new()
            .attempts(10)
            .on_server_errors(true)
            .deadline(Duration::from_secs(3)),
    );
    let t0 = Instant::now();
    let mut call = session.call(items().read(&base()).unwrap());
    expect_send(call.step(None, t0).unwrap());
    assert!(matches!(
        call.step(Some(status(503, Some("2"))), t0).unwrap(),
        Step::Wait(_)
    ));
    expect_send(call.step(None, t0 + Duration::from_secs(2)).unwrap());
    let err = call
        .step(Some(status(503, Some("2"))), t0 + Duration::from_secs(2))
        .unwrap_err();
    match err {
        Error::Transport(t) => {
            assert_eq!(t.kind(), directus_proto::TransportErrorKind::Timeout);
            assert!(t.to_string().contains("503"), "{t}");
        }
        other => panic!("expected a timeout, got {other}"),
    }
}

#[test]
fn an_idempotent_write_follows_the_policy() {
    let session = Session::new(base(), None).unwrap();
    let op = items()
        .update(&base(), 1, &json!({"a": 1}))
        .unwrap()
        .idempotent()
        .retry(RetryPolicy::new().attempts(2).on_server_errors(true));
    let mut call = session.call(op);
    let now = Instant::now();
    expect_send(call.step(None, now).unwrap());
    expect_send(call.step(Some(status(502, None)), now).unwrap());
    assert!(call.step(Some(status(502, None)), now).is_err());
}

#[test]
fn cache_serves_reads_and_writes_invalidate() {
    let t0 = Instant::now();
    let session = Session::new(base(), None).unwrap();
    session.enable_cache(CacheConfig::default());
    let read = || session.call(items().read(&base()).unwrap());
    let mut call = read();
    expect_send(call.step(None, t0).unwrap());
    let page = call
        .step(Some(json_response(200, json!({"data": [{"id": 1}]}))), t0)
        .unwrap();
    assert!(matches!(page, Step::Done(_)));
    // Served from the cache: no Send.
    match read().step(None, t0).unwrap() {
        Step::Done(page) => assert_eq!(page.items()[0]["id"], 1),
        other => panic!("expected a cached answer, got {other:?}"),
    }
    // A write to the collection drops it.
    let mut write = session.call(items().update(&base(), 1, &json!({"a": 1})).unwrap());
    expect_send(write.step(None, t0).unwrap());
    write
        .step(
            Some(Response::builder().status(204).body(Bytes::new()).unwrap()),
            t0,
        )
        .unwrap();
    assert!(matches!(read().step(None, t0).unwrap(), Step::Send(_)));
}

#[test]
fn writes_by_query_keep_the_handles_filters() {
    let narrowed = items().with_query(Query::new().filter(F::eq("run", "r1")));
    golden(
        &narrowed
            .update_by_query(&base(), F::eq("category", "food"), &json!({"a": 1}))
            .unwrap(),
        "PATCH",
        &format!("{B}/items/products"),
        r#"{"data":{"a":1},"query":{"filter":{"_and":[{"run":{"_eq":"r1"}},{"category":{"_eq":"food"}}]},"limit":-1}}"#,
    );
    golden(
        &narrowed
            .delete_by_query(&base(), F::eq("category", "food"))
            .unwrap(),
        "DELETE",
        &format!("{B}/items/products"),
        r#"{"query":{"filter":{"_and":[{"run":{"_eq":"r1"}},{"category":{"_eq":"food"}}]},"limit":-1}}"#,
    );
}

#[test]
fn pagination_starts_at_the_page() {
    let paged = items().with_query(Query::new().limit(2).page(3));
    let pager = paged.pages();
    let op = pager.next_read(&base()).unwrap().unwrap();
    assert_eq!(op.request().uri().query(), Some("limit=2&offset=4"));
}

#[test]
fn empty_in_lists_fold_instead_of_reaching_the_server() {
    use directus_proto::FilterError;
    // `nin []` matches every row: it disappears.
    let q = Query::new().filter(F::nin("id", Vec::<i64>::new()) & F::eq("a", 1));
    assert_eq!(q.filter_value().unwrap().unwrap(), json!({"a": {"_eq": 1}}));
    // `in []` matches nothing: absorbed by an OR, a typed error alone.
    let q = Query::new().filter(F::in_("id", Vec::<i64>::new()) | F::eq("a", 1));
    assert_eq!(q.filter_value().unwrap().unwrap(), json!({"a": {"_eq": 1}}));
    let q = Query::new().filter(F::in_("id", Vec::<i64>::new()));
    assert!(matches!(
        q.filter_value(),
        Err(Error::Filter(FilterError::MatchesNothing))
    ));
    // Negated, they swap.
    let q = Query::new().filter(!F::nin("id", Vec::<i64>::new()));
    assert!(q.filter_value().is_err());
}

fn too_many(retry_after: Option<&str>) -> Response<Bytes> {
    let mut response = json_response(
        429,
        json!({"errors": [{"message": "Too many requests, retry after 2s.", "extensions": {"code": "REQUESTS_EXCEEDED", "limit": 50, "reset": 2}}]}),
    );
    if let Some(value) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", value.parse().unwrap());
    }
    response
}

#[test]
fn a_rate_limited_read_waits_as_asked_and_is_sent_once_more() {
    let t0 = Instant::now();
    let session = Session::new(base(), Some(Credentials::static_token("S"))).unwrap();
    let mut script = vec![
        ("/users/me", too_many(Some("2"))),
        ("/users/me", json_response(200, json!({"data": {"id": 1}}))),
    ];
    let (r, sent) = drive(&session, session.call(me(&session)), t0, &mut script);
    assert_eq!(r.unwrap()["id"], 1);
    assert_eq!(
        sent,
        [
            "GET /users/me Bearer S",
            "WAIT 2s",
            "GET /users/me Bearer S"
        ]
    );

    // Only once per call: a second 429 is the answer.
    let mut script = vec![("/users/me", too_many(None)), ("/users/me", too_many(None))];
    let (r, sent) = drive(&session, session.call(me(&session)), t0, &mut script);
    assert_eq!(
        r.unwrap_err().api().unwrap().code(),
        &ErrorCode::RequestsExceeded
    );
    assert_eq!(sent[1], "WAIT 1s");

    // A wait longer than MAX_RETRY_AFTER is not waited out.
    let mut script = vec![("/users/me", too_many(Some("3600")))];
    let (r, sent) = drive(&session, session.call(me(&session)), t0, &mut script);
    assert_eq!(r.unwrap_err().status().unwrap(), 429);
    assert_eq!(sent.len(), 1);
}

#[test]
fn a_rate_limited_write_is_not_sent_again() {
    let session = Session::new(base(), Some(Credentials::static_token("S"))).unwrap();
    let op = items().create(&base(), &json!({"a": 1})).unwrap();
    let mut script = vec![("/items/products", too_many(Some("1")))];
    let (r, sent) = drive(&session, session.call(op), Instant::now(), &mut script);
    assert_eq!(r.unwrap_err().status().unwrap(), 429);
    assert_eq!(sent.len(), 1);
}

fn redirect_to(status: u16, location: &str) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("location", location)
        .body(Bytes::new())
        .unwrap()
}

#[test]
fn a_read_follows_a_redirect_to_another_origin_without_the_token() {
    let t0 = Instant::now();
    let session = Session::new(base(), Some(Credentials::static_token("T"))).unwrap();
    let mut call = session.call(me(&session));
    let first = expect_send(call.step(None, t0).unwrap());
    assert_eq!(first.headers()["authorization"], "Bearer T");
    let hop = expect_send(
        call.step(Some(redirect_to(302, "http://127.0.0.2:9/users/me")), t0)
            .unwrap(),
    );
    assert_eq!(hop.uri(), "http://127.0.0.2:9/users/me");
    assert!(hop.headers().get("authorization").is_none());
    let back = expect_send(
        call.step(
            Some(redirect_to(302, "http://127.0.0.1:8055/users/me?x=1")),
            t0,
        )
        .unwrap(),
    );
    assert_eq!(
        back.headers()["authorization"],
        "Bearer T",
        "the server's own origin again"
    );
    let done = call
        .step(Some(json_response(200, json!({"data": {"id": 7}}))), t0)
        .unwrap();
    assert!(matches!(done, Step::Done(v) if v["id"] == 7));
}

#[test]
fn credentials_and_bodies_never_follow_a_redirect_to_another_origin() {
    let t0 = Instant::now();
    // login (the password in the body)
    let session = Session::new(base(), Some(Credentials::password("a@example.com", "pw"))).unwrap();
    let mut login = session.refresh(session.generation()).unwrap();
    expect_send(login.step(None, t0).unwrap());
    let err = login
        .step(Some(redirect_to(307, "http://127.0.0.2:9/collect")), t0)
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(307));
    // a write with the token
    let session = Session::new(base(), Some(Credentials::static_token("T"))).unwrap();
    let write = Items::<Value>::new("a")
        .create(&base(), &json!({"x": 1}))
        .unwrap();
    let mut call = session.call(write);
    expect_send(call.step(None, t0).unwrap());
    let err = call
        .step(Some(redirect_to(308, "http://127.0.0.2:9/items/a")), t0)
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(308));
}

#[test]
fn redirects_are_bounded() {
    let t0 = Instant::now();
    let session = Session::new(base(), None).unwrap();
    let mut call = session.call(me(&session));
    let mut sent = 1;
    expect_send(call.step(None, t0).unwrap());
    let outcome = loop {
        match call.step(Some(redirect_to(302, "/users/me")), t0) {
            Ok(Step::Send(_)) => sent += 1,
            other => break other,
        }
    };
    assert_eq!(
        sent,
        1 + usize::from(directus_proto::redirect::MAX_REDIRECTS)
    );
    assert_eq!(outcome.unwrap_err().status().map(|s| s.as_u16()), Some(302));
}
