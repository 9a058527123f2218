//! [`Hook`]: code of the caller's run before each request a call sends and after its answer
//! (the JavaScript SDK's `onRequest` / `onResponse`), the same for both drivers.
//!
//! A hook can add headers to the request (a request id, a `traceparent` for distributed
//! tracing) and observe each answer: its status (or the transport error), how long the attempt
//! took and how many bytes went each way. Hooks run for every attempt of a call (a retry, a
//! redirect and the repeat after a refresh each run them again), never for an answer served
//! from the cache, and not for the token refresh and logout requests.
//!
//! **Order**: [`Hook::before`] runs in registration order, [`Hook::after`] in reverse
//! registration order, like layers around the request: the first hook registered is the
//! outermost.
//!
//! **Secrets**: a hook does not see the `Authorization` and `Cookie` headers, the request
//! body or the answer body, and cannot set `Authorization` or `Cookie`, unless it says so with
//! [`Hook::sees_secrets`]. URIs carry no credentials (the token goes in a header) but may
//! carry keys and filter values.
//!
//! ```
//! use directus_proto::hooks::{Answered, Hook, Outgoing};
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! /// Adds `x-request-id: <n>` to every request and prints each answer's status.
//! struct RequestId(AtomicU64);
//!
//! impl Hook for RequestId {
//!     fn before(&self, request: &mut Outgoing<'_>) {
//!         let id = self.0.fetch_add(1, Ordering::Relaxed);
//!         request.insert_header("x-request-id", &id.to_string()).unwrap();
//!     }
//!     fn after(&self, answer: &Answered<'_>) {
//!         println!("{} {} -> {:?} in {:?}", answer.method(), answer.path(), answer.status(), answer.elapsed());
//!     }
//! }
//! # let _ = RequestId(AtomicU64::new(1));
//! ```
//!
//! Closures do for one side: [`on_request`] and [`on_response`].

use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

use http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};

use crate::error::TransportErrorKind;
use crate::{Body, Error};

/// Code run around each request of a call; see the [module docs](self). Both methods do
/// nothing by default.
///
/// ```
/// use directus_proto::hooks::{Hook, Outgoing};
///
/// struct Tenant;
/// impl Hook for Tenant {
///     fn before(&self, request: &mut Outgoing<'_>) {
///         let _ = request.insert_header("x-tenant", "acme");
///     }
/// }
/// ```
pub trait Hook: Send + Sync {
    /// Runs just before a request is sent: may add headers.
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Noop;
    /// impl Hook for Noop {
    ///     fn before(&self, request: &mut Outgoing<'_>) {
    ///         assert!(request.header("authorization").is_none());
    ///     }
    /// }
    /// ```
    fn before(&self, request: &mut Outgoing<'_>) {
        let _ = request;
    }

    /// Runs when the answer's head and body arrived, or the transport failed.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct Errors;
    /// impl Hook for Errors {
    ///     fn after(&self, answer: &Answered<'_>) {
    ///         if answer.status().is_none_or(|s| s.is_server_error()) {
    ///             eprintln!("{} {} failed", answer.method(), answer.path());
    ///         }
    ///     }
    /// }
    /// ```
    fn after(&self, answer: &Answered<'_>) {
        let _ = answer;
    }

    /// Whether this hook may see (and set) the `Authorization` and `Cookie` headers and the
    /// bodies. Default: no. Say yes only for a hook you trust with the session's tokens and
    /// the passwords a login sends.
    ///
    /// ```
    /// # use directus_proto::hooks::Hook;
    /// struct Audit;
    /// impl Hook for Audit {
    ///     fn sees_secrets(&self) -> bool { true }
    /// }
    /// assert!(Audit.sees_secrets());
    /// ```
    fn sees_secrets(&self) -> bool {
        false
    }
}

/// The hooks of a session, in registration order (cheap to clone: each call takes a copy).
#[derive(Clone, Default)]
pub(crate) struct Hooks(Arc<[Arc<dyn Hook>]>);

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").field("len", &self.0.len()).finish()
    }
}

impl Hooks {
    /// These hooks and `hook` after them.
    pub(crate) fn with(&self, hook: Arc<dyn Hook>) -> Hooks {
        let mut all: Vec<Arc<dyn Hook>> = self.0.iter().cloned().collect();
        all.push(hook);
        Hooks(Arc::from(all))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs the `before` of every hook, in registration order.
    pub(crate) fn before(&self, request: &mut Request<Body>, attempt: u32) {
        for hook in self.0.iter() {
            hook.before(&mut Outgoing::new(request, attempt, hook.sees_secrets()));
        }
    }

    /// Runs the `after` of every hook, in reverse registration order.
    pub(crate) fn after(&self, mut answered: Answered<'_>) {
        for hook in self.0.iter().rev() {
            answered.secrets = hook.sees_secrets();
            hook.after(&answered);
        }
    }
}

fn is_secret_header(name: &HeaderName) -> bool {
    name == AUTHORIZATION || name == COOKIE || name == SET_COOKIE
}

/// A request about to be sent, as a [`Hook`] sees it.
pub struct Outgoing<'a> {
    request: &'a mut Request<Body>,
    attempt: u32,
    secrets: bool,
}

impl std::fmt::Debug for Outgoing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("method", self.request.method())
            .field("path", &self.request.uri().path())
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl<'a> Outgoing<'a> {
    pub(crate) fn new(request: &'a mut Request<Body>, attempt: u32, secrets: bool) -> Self {
        Outgoing {
            request,
            attempt,
            secrets,
        }
    }

    /// The method.
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Reads;
    /// impl Hook for Reads {
    ///     fn before(&self, request: &mut Outgoing<'_>) {
    ///         if request.method() == "GET" { /* ... */ }
    ///     }
    /// }
    /// ```
    pub fn method(&self) -> &Method {
        self.request.method()
    }

    /// The URI (no credentials; may hold keys and filter values).
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Log;
    /// impl Hook for Log {
    ///     fn before(&self, request: &mut Outgoing<'_>) { println!("{}", request.uri()); }
    /// }
    /// ```
    pub fn uri(&self) -> &Uri {
        self.request.uri()
    }

    /// Which request of the call this is, from 1 (a retry, a redirect or the repeat after a
    /// refresh count up).
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Retries;
    /// impl Hook for Retries {
    ///     fn before(&self, request: &mut Outgoing<'_>) {
    ///         if request.attempt() > 1 { println!("again: {}", request.uri()); }
    ///     }
    /// }
    /// ```
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// A header's value; `None` for `Authorization` and `Cookie` unless the hook
    /// [sees secrets](Hook::sees_secrets).
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Accept;
    /// impl Hook for Accept {
    ///     fn before(&self, request: &mut Outgoing<'_>) {
    ///         assert_eq!(request.header("accept").unwrap(), "application/json");
    ///     }
    /// }
    /// ```
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        if !self.secrets && is_secret_header(&name) {
            return None;
        }
        self.request.headers().get(name)
    }

    /// Sets a header (replacing one of the same name). Fails with
    /// [`Error::InvalidInput`] for a name or value HTTP cannot carry, and for `Authorization`
    /// or `Cookie` unless the hook [sees secrets](Hook::sees_secrets).
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Trace;
    /// impl Hook for Trace {
    ///     fn before(&self, request: &mut Outgoing<'_>) {
    ///         request
    ///             .insert_header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    ///             .unwrap();
    ///         assert!(request.insert_header("authorization", "Bearer x").is_err());
    ///     }
    /// }
    /// ```
    pub fn insert_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::invalid("a hook set a header name HTTP cannot carry"))?;
        if !self.secrets && is_secret_header(&name) {
            return Err(Error::invalid(
                "a hook that does not see secrets cannot set Authorization or Cookie",
            ));
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::invalid("a hook set a header value HTTP cannot carry"))?;
        self.request.headers_mut().insert(name, value);
        Ok(())
    }

    /// The request body, for a hook that [sees secrets](Hook::sees_secrets) (`None` for the
    /// others).
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Size;
    /// impl Hook for Size {
    ///     fn before(&self, request: &mut Outgoing<'_>) { assert!(request.body().is_none()); }
    /// }
    /// ```
    pub fn body(&self) -> Option<&[u8]> {
        self.secrets.then(|| self.request.body().as_ref())
    }

    /// The size of the request body in bytes (a streamed upload's is not known: 0).
    ///
    /// ```
    /// # use directus_proto::hooks::{Hook, Outgoing};
    /// struct Size;
    /// impl Hook for Size {
    ///     fn before(&self, request: &mut Outgoing<'_>) { let _ = request.body_len(); }
    /// }
    /// ```
    pub fn body_len(&self) -> usize {
        self.request.body().len()
    }
}

/// An answer (or a transport failure) as a [`Hook`] sees it.
pub struct Answered<'a> {
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) attempt: u32,
    pub(crate) outcome: Outcome<'a>,
    pub(crate) elapsed: Duration,
    pub(crate) bytes_out: usize,
    pub(crate) secrets: bool,
}

/// What came back.
pub(crate) enum Outcome<'a> {
    Answer(&'a http::Response<Bytes>),
    Failed(TransportErrorKind),
}

impl std::fmt::Debug for Answered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answered")
            .field("method", self.method)
            .field("path", &self.uri.path())
            .field("attempt", &self.attempt)
            .field("status", &self.status())
            .field("error", &self.error())
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}

impl Answered<'_> {
    /// The request's method.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct M;
    /// impl Hook for M { fn after(&self, a: &Answered<'_>) { let _ = a.method(); } }
    /// ```
    pub fn method(&self) -> &Method {
        self.method
    }

    /// The request's URI.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct U;
    /// impl Hook for U { fn after(&self, a: &Answered<'_>) { let _ = a.uri(); } }
    /// ```
    pub fn uri(&self) -> &Uri {
        self.uri
    }

    /// The request's path, without the query.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct P;
    /// impl Hook for P { fn after(&self, a: &Answered<'_>) { assert!(a.path().starts_with('/')); } }
    /// ```
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// Which request of the call this was, from 1.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct A;
    /// impl Hook for A { fn after(&self, a: &Answered<'_>) { assert!(a.attempt() >= 1); } }
    /// ```
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The answer's status; `None` when the transport failed.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct S;
    /// impl Hook for S { fn after(&self, a: &Answered<'_>) { let _ = a.status(); } }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self.outcome {
            Outcome::Answer(response) => Some(response.status()),
            Outcome::Failed(_) => None,
        }
    }

    /// What failed in transport, when no answer came.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct E;
    /// impl Hook for E { fn after(&self, a: &Answered<'_>) { let _ = a.error(); } }
    /// ```
    pub fn error(&self) -> Option<TransportErrorKind> {
        match self.outcome {
            Outcome::Answer(_) => None,
            Outcome::Failed(kind) => Some(kind),
        }
    }

    /// From handing the request to the transport to the answer (or failure), as the driver's
    /// clock saw it.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct T;
    /// impl Hook for T { fn after(&self, a: &Answered<'_>) { let _ = a.elapsed().as_millis(); } }
    /// ```
    pub fn elapsed(&self) -> std::time::Duration {
        self.elapsed
    }

    /// The answer's headers, without `Set-Cookie` unless the hook
    /// [sees secrets](Hook::sees_secrets); empty when the transport failed.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct H;
    /// impl Hook for H { fn after(&self, a: &Answered<'_>) { let _ = a.headers().get("content-type"); } }
    /// ```
    pub fn headers(&self) -> HeaderMap {
        let mut headers = match self.outcome {
            Outcome::Answer(response) => response.headers().clone(),
            Outcome::Failed(_) => HeaderMap::new(),
        };
        if !self.secrets {
            headers.remove(SET_COOKIE);
        }
        headers
    }

    /// The answer's body, for a hook that [sees secrets](Hook::sees_secrets).
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct B;
    /// impl Hook for B { fn after(&self, a: &Answered<'_>) { assert!(a.body().is_none()); } }
    /// ```
    pub fn body(&self) -> Option<&[u8]> {
        match self.outcome {
            Outcome::Answer(response) if self.secrets => Some(response.body()),
            _ => None,
        }
    }

    /// The size of the answer's body in bytes (0 when the transport failed, or for a streamed
    /// download whose body the caller reads later).
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct N;
    /// impl Hook for N { fn after(&self, a: &Answered<'_>) { let _ = a.bytes_in() + a.bytes_out(); } }
    /// ```
    pub fn bytes_in(&self) -> usize {
        match self.outcome {
            Outcome::Answer(response) => response.body().len(),
            Outcome::Failed(_) => 0,
        }
    }

    /// The size of the request's body in bytes.
    ///
    /// ```
    /// # use directus_proto::hooks::{Answered, Hook};
    /// struct N;
    /// impl Hook for N { fn after(&self, a: &Answered<'_>) { let _ = a.bytes_out(); } }
    /// ```
    pub fn bytes_out(&self) -> usize {
        self.bytes_out
    }
}

/// A hook from a closure run before each request.
///
/// ```
/// use directus_proto::hooks::on_request;
/// let hook = on_request(|request| {
///     let _ = request.insert_header("x-request-id", "42");
/// });
/// # let _ = hook;
/// ```
pub fn on_request<F>(f: F) -> impl Hook
where
    F: Fn(&mut Outgoing<'_>) + Send + Sync,
{
    struct OnRequest<F>(F);
    impl<F: Fn(&mut Outgoing<'_>) + Send + Sync> Hook for OnRequest<F> {
        fn before(&self, request: &mut Outgoing<'_>) {
            (self.0)(request);
        }
    }
    OnRequest(f)
}

/// A hook from a closure run after each answer (or transport failure).
///
/// ```
/// use directus_proto::hooks::on_response;
/// let hook = on_response(|answer| println!("{:?} in {:?}", answer.status(), answer.elapsed()));
/// # let _ = hook;
/// ```
pub fn on_response<F>(f: F) -> impl Hook
where
    F: Fn(&Answered<'_>) + Send + Sync,
{
    struct OnResponse<F>(F);
    impl<F: Fn(&Answered<'_>) + Send + Sync> Hook for OnResponse<F> {
        fn after(&self, answer: &Answered<'_>) {
            (self.0)(answer);
        }
    }
    OnResponse(f)
}
