//! The `Session` exchanges against any sequence of answers: every exchange ends within a bounded
//! number of steps, no wait is longer than 30 s, anonymous and logged-out calls carry no token,
//! a static token is never refreshed; and token lifetimes in any JSON form, with clocks as far
//! ahead as `Instant` goes, never overflow.

use directus_proto::Bytes;
use std::time::{Duration, Instant};

use directus_proto::session::MAX_RETRY_AFTER;
use directus_proto::{
    BaseUrl, CacheConfig, Credentials, Error, Exchange, Items, Operation, Session, Step, auth,
    response,
};
use http::{Request, Response, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").unwrap()
}

/// A login or refresh answer with this `expires` (any JSON).
fn tokens_with(expires: Value) -> Response<Bytes> {
    let body = json!({"data": {"access_token": "A", "refresh_token": "R", "expires": expires}});
    Response::builder()
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

fn lifetime(expires: Value) -> Option<Duration> {
    auth::tokens(tokens_with(expires)).unwrap().expires
}

#[test]
fn expires_is_read_from_any_json_number() {
    let ms = Some(Duration::from_secs(900));
    assert_eq!(lifetime(json!(900000)), ms);
    assert_eq!(lifetime(json!(900000.0)), ms);
    assert_eq!(lifetime(json!(9e5)), ms);
    assert_eq!(lifetime(json!("900000")), ms);
    assert_eq!(lifetime(json!(" 900000.0 ")), ms);
    assert_eq!(lifetime(json!(1.5)), Some(Duration::from_micros(1500)));
    assert_eq!(lifetime(json!(0)), Some(Duration::ZERO));
    assert_eq!(
        lifetime(json!(u64::MAX)),
        Some(Duration::from_millis(u64::MAX))
    );
    assert_eq!(lifetime(json!(1e300)), Some(Duration::MAX));
    assert_eq!(lifetime(json!("inf")), Some(Duration::MAX));
    // Not lifetimes: the token is refreshed when the server says it expired.
    for odd in [
        json!(-1),
        json!(-0.5),
        json!(i64::MIN),
        json!("NaN"),
        json!("soon"),
        json!(null),
        json!(true),
        json!([1]),
        json!({"ms": 1}),
    ] {
        assert_eq!(lifetime(odd.clone()), None, "{odd}");
    }
    let none = Bytes::from_static(br#"{"data":{"access_token":"A"}}"#);
    assert_eq!(auth::tokens(Response::new(none)).unwrap().expires, None);
}

/// The latest `Instant` this platform holds (within a second).
fn far_future() -> Instant {
    let mut t = Instant::now();
    let mut step = Duration::from_secs(u64::MAX);
    while step >= Duration::from_secs(1) {
        if let Some(later) = t.checked_add(step) {
            t = later;
        } else {
            step /= 2;
        }
    }
    t
}

/// Drives an exchange with `answer` for every request; panics on more than `max` steps.
fn run<E: Exchange>(
    mut exchange: E,
    now: Instant,
    max: usize,
    mut answer: impl FnMut(&Request<directus_proto::Body>) -> Response<Bytes>,
) -> Result<E::Output, Error> {
    let mut response = None;
    for _ in 0..max {
        match exchange.step(response.take(), now)? {
            Step::Send(request) => response = Some(answer(&request)),
            Step::Done(value) => return Ok(value),
            Step::Refresh(_) | Step::Wait(_) => {}
        }
    }
    panic!("the exchange did not end in {max} steps");
}

#[test]
fn huge_lifetimes_and_far_clocks_do_not_overflow() {
    let far = far_future();
    for expires in [json!(u64::MAX), json!(1e300), json!(900000), json!(1)] {
        for now in [Instant::now(), far] {
            let session = Session::new(base(), Some(Credentials::password("a@b.c", "pw"))).unwrap();
            let refresh = session.refresh(session.generation()).unwrap();
            run(refresh, now, 4, |_| tokens_with(expires.clone())).unwrap();
            // A call at the same instant and at the latest one: the token is sent (or
            // refreshed first, when its lifetime is too short), nothing panics.
            for at in [now, far] {
                let ping = Operation::get(&base(), "/server/ping", response::text).unwrap();
                let pong = run(session.call(ping), at, 8, |request| {
                    if request.uri().path() == "/auth/login" {
                        tokens_with(expires.clone())
                    } else {
                        assert_eq!(request.headers()["authorization"], "Bearer A");
                        Response::new(Bytes::from_static(b"pong"))
                    }
                });
                assert_eq!(pong.unwrap(), "pong", "expires {expires} at {at:?}");
            }
        }
    }
}

// ---- property tests -------------------------------------------------------------------------

/// An answer a server (or anything between) might give.
#[derive(Clone, Debug)]
enum Answer {
    TokenExpired,
    RateLimited(Option<String>),
    Tokens(Value),
    Data,
    Status(u16, Vec<u8>),
}

impl Answer {
    fn to_response(&self) -> Response<Bytes> {
        let json = |status: u16, body: Value| {
            Response::builder()
                .status(status)
                .header("content-type", "application/json; charset=utf-8")
                .body(Bytes::from(body.to_string()))
                .unwrap()
        };
        match self {
            Answer::TokenExpired => json(
                401,
                json!({"errors": [{"message": "Token expired.", "extensions": {"code": "TOKEN_EXPIRED"}}]}),
            ),
            Answer::RateLimited(after) => {
                let mut response = json(
                    429,
                    json!({"errors": [{"message": "Too many", "extensions": {"code": "REQUESTS_EXCEEDED"}}]}),
                );
                if let Some(value) = after
                    .as_deref()
                    .and_then(|v| http::HeaderValue::from_str(v).ok())
                {
                    response.headers_mut().insert("retry-after", value);
                }
                response
            }
            Answer::Tokens(expires) => tokens_with(expires.clone()),
            Answer::Data => json(200, json!({"data": [{"id": 1}]})),
            Answer::Status(status, body) => {
                let mut response = Response::new(Bytes::from(body.clone()));
                *response.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
                response
            }
        }
    }
}

fn answer() -> impl Strategy<Value = Answer> {
    let expires = prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(null)),
        Just(json!("900000")),
        Just(json!("x")),
        Just(json!(1)),
    ];
    prop_oneof![
        3 => Just(Answer::TokenExpired),
        2 => prop_oneof![
            Just(None),
            any::<u64>().prop_map(|n| Some(n.to_string())),
            (0u64..40).prop_map(|n| Some(n.to_string())),
            "[ -~]{0,12}".prop_map(Some),
        ]
        .prop_map(Answer::RateLimited),
        3 => expires.prop_map(Answer::Tokens),
        3 => Just(Answer::Data),
        2 => (
            prop_oneof![Just(200u16), Just(204), Just(400), Just(401), Just(403), Just(500), Just(502), Just(503), 100u16..600],
            proptest::collection::vec(any::<u8>(), 0..24),
        )
            .prop_map(|(status, body)| Answer::Status(status, body)),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    StaticToken,
    Password,
    RefreshToken,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Read,
    Write,
    AnonymousRead,
    Refresh,
    Logout,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::Anonymous),
        Just(Who::StaticToken),
        Just(Who::Password),
        Just(Who::RefreshToken),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => Just(Action::Read),
        2 => Just(Action::Write),
        1 => Just(Action::AnonymousRead),
        1 => Just(Action::Refresh),
        1 => Just(Action::Logout),
    ]
}

/// The steps one exchange may take at most: a call refreshes ahead once, repeats once after
/// `TOKEN_EXPIRED`, waits once after a `429`, and sends at most three times.
const MAX_CALL_STEPS: usize = 8;
/// A refresh sends the refresh token, then logs in when it is refused.
const MAX_REFRESH_STEPS: usize = 3;

struct World<'s> {
    session: &'s Session,
    static_token: bool,
    anonymous: bool,
    logged_out: bool,
    answers: Vec<Answer>,
    next: usize,
    now: Instant,
}

impl World<'_> {
    fn answer(&mut self) -> Response<Bytes> {
        let answer = if self.answers.is_empty() {
            Answer::Data
        } else {
            self.answers[self.next % self.answers.len()].clone()
        };
        self.next += 1;
        answer.to_response()
    }

    /// A request a refresh, login or logout sends: never a bearer token.
    fn check_auth_request(request: &Request<directus_proto::Body>) {
        assert!(request.headers().get("authorization").is_none());
    }

    fn refresh(&mut self, seen: directus_proto::Generation) -> Result<(), Error> {
        assert!(!self.static_token, "a static token is never refreshed");
        assert!(!self.anonymous, "an anonymous session is never refreshed");
        let session = self.session;
        let Some(mut refresh) = session.refresh(seen) else {
            return Ok(());
        };
        let mut response = None;
        for _ in 0..MAX_REFRESH_STEPS + 1 {
            match refresh.step(response.take(), self.now)? {
                Step::Send(request) => {
                    Self::check_auth_request(&request);
                    response = Some(self.answer());
                }
                Step::Done(()) => {
                    self.logged_out = false;
                    return Ok(());
                }
                other => panic!("a refresh only sends: {other:?}"),
            }
        }
        panic!("the refresh did not end in {MAX_REFRESH_STEPS} sends");
    }

    fn call<T: std::fmt::Debug>(&mut self, op: Operation<T>) {
        let anonymous_op = !op.is_authenticated();
        let session = self.session;
        let mut call = session.call(op);
        let mut response = None;
        let mut waited = Duration::ZERO;
        for _ in 0..MAX_CALL_STEPS {
            let step = match call.step(response.take(), self.now) {
                Ok(step) => step,
                Err(_) => return,
            };
            match step {
                Step::Send(request) => {
                    let token = request.headers().get("authorization");
                    if anonymous_op || self.anonymous || self.logged_out {
                        assert!(
                            token.is_none(),
                            "a token on an anonymous or logged-out call"
                        );
                    }
                    response = Some(self.answer());
                }
                Step::Refresh(seen) => {
                    if self.refresh(seen).is_err() {
                        return;
                    }
                }
                Step::Wait(delay) => {
                    assert!(delay <= MAX_RETRY_AFTER, "waits {delay:?}");
                    waited += delay;
                    assert!(waited <= MAX_RETRY_AFTER, "waits {waited:?} in all");
                }
                Step::Done(_) => return,
            }
        }
        panic!("the call did not end in {MAX_CALL_STEPS} steps");
    }

    fn logout(&mut self) {
        let session = self.session;
        let mut logout = session.logout();
        let mut response = None;
        for _ in 0..3 {
            match logout.step(response.take(), self.now) {
                Ok(Step::Send(request)) => {
                    Self::check_auth_request(&request);
                    response = Some(self.answer());
                }
                Ok(Step::Done(())) | Err(_) => {
                    self.logged_out = true;
                    return;
                }
                Ok(other) => panic!("a logout only sends: {other:?}"),
            }
        }
        panic!("the logout did not end");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn exchanges_end_wait_little_and_never_leak_a_token(
        who in who(),
        cache in any::<bool>(),
        actions in proptest::collection::vec(action(), 1..12),
        answers in proptest::collection::vec(answer(), 0..16),
        ticks in proptest::collection::vec(0u64..2_000_000, 1..12),
        far in any::<bool>(),
    ) {
        let credentials = match who {
            Who::Anonymous => None,
            Who::StaticToken => Some(Credentials::static_token("S")),
            Who::Password => Some(Credentials::password("a@b.c", "pw")),
            Who::RefreshToken => Some(Credentials::refresh_token("R0")),
        };
        let session = Session::new(base(), credentials).unwrap();
        if cache {
            session.enable_cache(CacheConfig::default());
        }
        let start = if far { far_future() - Duration::from_secs(10_000_000) } else { Instant::now() };
        let mut world = World {
            session: &session,
            static_token: matches!(who, Who::StaticToken),
            anonymous: matches!(who, Who::Anonymous),
            logged_out: false,
            answers,
            next: 0,
            now: start,
        };
        let items = Items::<Value>::new("products");
        for (i, action) in actions.into_iter().enumerate() {
            let tick = Duration::from_millis(ticks[i % ticks.len()]);
            world.now = world.now.checked_add(tick).unwrap_or(world.now);
            match action {
                Action::Read => world.call(items.read(&base()).unwrap()),
                Action::Write => world.call(items.update(&base(), 1, &json!({"a": 1})).unwrap()),
                Action::AnonymousRead => world.call(
                    Operation::get(&base(), "/server/ping", response::text).unwrap().anonymous(),
                ),
                Action::Refresh => {
                    if world.static_token || world.anonymous {
                        let generation = world.session.generation();
                        let mut refresh = world.session.refresh(generation).unwrap();
                        prop_assert!(refresh.step(None, world.now).is_err());
                    } else {
                        let _ = world.refresh(world.session.generation());
                    }
                }
                Action::Logout => world.logout(),
            }
        }
    }
}
