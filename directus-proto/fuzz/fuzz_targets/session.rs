//! `Session` exchanges (`call`, `refresh`, `logout`) against arbitrary credentials, answers and
//! clock ticks: nothing panics, every exchange ends within a bounded number of steps, no wait
//! is longer than 30 s, anonymous and logged-out calls carry no `Authorization`, and a static
//! token or an anonymous session is never refreshed.

#![no_main]

use directus_proto::Bytes;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use directus_proto::session::MAX_RETRY_AFTER;
use directus_proto::{
    BaseUrl, Body, CacheConfig, Credentials, Error, Exchange, Generation, Items, Operation,
    Session, Step, response,
};
use http::{HeaderValue, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// An expiry as a server might write it.
#[derive(Arbitrary, Debug, Clone)]
enum Expires {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
    Null,
    Missing,
}

/// An answer a server (or anything between) might give.
#[derive(Arbitrary, Debug, Clone)]
enum Answer {
    TokenExpired,
    RateLimited(Option<String>),
    Tokens {
        access: Option<String>,
        refresh: Option<String>,
        expires: Expires,
    },
    Data,
    Status(u16, Option<String>, Vec<u8>),
}

fn json_response(status: u16, body: &Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

impl Answer {
    fn to_response(&self) -> Response<Bytes> {
        match self {
            Answer::TokenExpired => json_response(
                401,
                &json!({"errors": [{"message": "Token expired.", "extensions": {"code": "TOKEN_EXPIRED"}}]}),
            ),
            Answer::RateLimited(after) => {
                let mut response = json_response(
                    429,
                    &json!({"errors": [{"message": "Too many", "extensions": {"code": "REQUESTS_EXCEEDED"}}]}),
                );
                if let Some(value) = after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                    response.headers_mut().insert("retry-after", value);
                }
                response
            }
            Answer::Tokens {
                access,
                refresh,
                expires,
            } => {
                let mut data = serde_json::Map::new();
                if let Some(access) = access {
                    data.insert("access_token".into(), access.clone().into());
                }
                if let Some(refresh) = refresh {
                    data.insert("refresh_token".into(), refresh.clone().into());
                }
                let expires = match expires {
                    Expires::Unsigned(n) => Some(json!(n)),
                    Expires::Signed(n) => Some(json!(n)),
                    Expires::Float(f) => Some(json!(f)),
                    Expires::Text(s) => Some(json!(s)),
                    Expires::Null => Some(Value::Null),
                    Expires::Missing => None,
                };
                if let Some(expires) = expires {
                    data.insert("expires".into(), expires);
                }
                json_response(200, &json!({ "data": data }))
            }
            Answer::Data => json_response(200, &json!({"data": [{"id": 1}]})),
            Answer::Status(status, retry_after, body) => {
                let mut response = Response::new(Bytes::from(body.clone()));
                *response.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
                if let Some(value) = retry_after
                    .as_deref()
                    .and_then(|v| HeaderValue::from_str(v).ok())
                {
                    response.headers_mut().insert("retry-after", value);
                }
                response
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Who {
    Anonymous,
    StaticToken(String),
    Password(String, String, Option<String>),
    RefreshToken(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Action {
    Read,
    Write,
    AnonymousRead,
    Refresh,
    Logout,
    ClearCache,
}

#[derive(Arbitrary, Debug)]
struct Input {
    who: Who,
    cache: bool,
    far: bool,
    actions: Vec<(Action, u32)>,
    answers: Vec<Answer>,
}

/// A call refreshes ahead once, repeats once after `TOKEN_EXPIRED`, waits once after a `429`,
/// and sends at most three times.
const MAX_CALL_STEPS: usize = 8;
/// A refresh sends the refresh token, then logs in when it is refused.
const MAX_REFRESH_STEPS: usize = 3;
/// Actions per input (long inputs only repeat themselves).
const MAX_ACTIONS: usize = 32;

/// The latest `Instant` this platform holds (within a second).
fn far_future() -> Instant {
    static FAR: OnceLock<Instant> = OnceLock::new();
    *FAR.get_or_init(|| {
        let mut t = Instant::now();
        let mut step = Duration::from_secs(u64::MAX);
        while step >= Duration::from_secs(1) {
            match t.checked_add(step) {
                Some(later) => t = later,
                None => step /= 2,
            }
        }
        t
    })
}

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
        let response = match self.answers.get(self.next) {
            Some(answer) => answer.to_response(),
            None => Answer::Data.to_response(),
        };
        self.next += 1;
        response
    }

    /// A request a refresh, login or logout sends: never a bearer token.
    fn check_auth_request(request: &Request<Body>) {
        assert!(request.headers().get("authorization").is_none());
    }

    fn refresh(&mut self, seen: Generation) -> Result<(), Error> {
        assert!(!self.static_token, "a static token is never refreshed");
        assert!(!self.anonymous, "an anonymous session is never refreshed");
        let session = self.session;
        let Some(mut refresh) = session.refresh(seen) else {
            return Ok(());
        };
        let mut response = None;
        for _ in 0..=MAX_REFRESH_STEPS {
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
            let Ok(step) = call.step(response.take(), self.now) else {
                return;
            };
            match step {
                Step::Send(request) => {
                    if anonymous_op || self.anonymous || self.logged_out {
                        assert!(
                            request.headers().get("authorization").is_none(),
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

fuzz_target!(|input: Input| {
    let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
    let (static_token, anonymous) = (
        matches!(input.who, Who::StaticToken(_)),
        matches!(input.who, Who::Anonymous),
    );
    let credentials = match input.who {
        Who::Anonymous => None,
        Who::StaticToken(token) => Some(Credentials::static_token(token)),
        Who::Password(email, password, otp) => {
            let credentials = Credentials::password(email, password);
            Some(match otp {
                Some(otp) => credentials.with_otp(otp),
                None => credentials,
            })
        }
        Who::RefreshToken(token) => Some(Credentials::refresh_token(token)),
    };
    let Ok(session) = Session::new(base.clone(), credentials) else {
        return;
    };
    if input.cache {
        session.enable_cache(CacheConfig::default());
    }
    let start = if input.far {
        far_future() - Duration::from_secs(10_000_000)
    } else {
        Instant::now()
    };
    let mut world = World {
        session: &session,
        static_token,
        anonymous,
        logged_out: false,
        answers: input.answers,
        next: 0,
        now: start,
    };
    let items = Items::<Value>::new("products");
    for &(action, tick_ms) in input.actions.iter().take(MAX_ACTIONS) {
        let tick = Duration::from_millis(u64::from(tick_ms));
        world.now = world.now.checked_add(tick).unwrap_or(world.now);
        match action {
            Action::Read => world.call(items.read(&base).unwrap()),
            Action::Write => world.call(items.update(&base, 1, &json!({"a": 1})).unwrap()),
            Action::AnonymousRead => world.call(
                Operation::get(&base, "/server/ping", response::text)
                    .unwrap()
                    .anonymous(),
            ),
            Action::Refresh => {
                if world.static_token || world.anonymous {
                    let generation = world.session.generation();
                    let mut refresh = world.session.refresh(generation).expect("an exchange");
                    assert!(refresh.step(None, world.now).is_err());
                } else {
                    let _ = world.refresh(world.session.generation());
                }
            }
            Action::Logout => world.logout(),
            Action::ClearCache => world.session.clear_cache(),
        }
        let _ = format!("{:?}", world.session);
    }
});
