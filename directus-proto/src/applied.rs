//! [`Applied`]: a write the server applied whose answer could not be read into the caller's type.
//!
//! # What an `Err` of a write means
//!
//! Every write (create, update, delete, singletons, system collections, file uploads and
//! metadata, ...) ends in one of three ways when it fails:
//!
//! | error | applied on the server? | what to do |
//! |---|---|---|
//! | [`Error::Applied`] | **yes**: the server answered 2xx | do not send it again; the rows are in [`Applied::data`] |
//! | [`Error::Api`] with a 4xx status | no: Directus refused before writing | fix the input or permissions |
//! | [`Error::Transport`], or [`Error::Api`] with a 5xx status | **unknown**: the request may have been applied | read back before sending again |
//! | anything else ([`Error::InvalidInput`], [`Error::Filter`], [`Error::NotAuthenticated`]) | no: nothing was sent or the server did not accept the credentials | fix the input or the login |
//!
//! A write is never sent twice by this library (only reads are retried after a transport
//! failure), so "unknown" can only come from the one attempt.
//!
//! [`Error::write_outcome`] sorts any error into these cases.

use std::fmt;

use http::StatusCode;
use serde_json::Value;

use crate::Error;

/// A write the server applied (it answered 2xx) whose answer did not decode into the requested
/// type: typically a typed model whose field the database sends in another shape (PostgreSQL
/// sends `decimal` and `bigInteger` as strings). Sending the write again would apply it twice;
/// the written rows are here as JSON instead.
///
/// `Debug` and `Display` never show the answer itself (it may hold anything the collection
/// holds); read it with [`Applied::data`] or [`Applied::answer`].
///
/// ```
/// use directus_proto::{Bytes, Error, WriteOutcome, response};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Product { id: i64, price: f64 }
///
/// let base = directus_proto::BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = directus_proto::Items::<Product>::new("products")
///     .create(&base, &serde_json::json!({"price": "1.25"}))
///     .unwrap();
/// // PostgreSQL answers decimals as strings: `f64` cannot take it.
/// let answer = http::Response::new(Bytes::from_static(br#"{"data":{"id":7,"price":"1.25"}}"#));
/// let err = op.parse(answer).unwrap_err();
/// assert_eq!(err.write_outcome(), WriteOutcome::Applied);
/// let Error::Applied(applied) = err else { unreachable!() };
/// assert_eq!(applied.status(), 200);
/// assert_eq!(applied.data().unwrap()["id"], 7);
/// ```
pub struct Applied {
    status: StatusCode,
    answer: Option<Value>,
    source: serde_json::Error,
}

impl Applied {
    pub(crate) fn new(status: StatusCode, body: &[u8], source: serde_json::Error) -> Self {
        Applied {
            status,
            answer: serde_json::from_slice(body).ok(),
            source,
        }
    }

    /// The HTTP status of the answer (a success).
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{Error, Items, BaseUrl};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<u8>::new("a").update(&base, 1, &serde_json::json!({})).unwrap();
    /// let err = op.parse(http::Response::new(Bytes::from_static(br#"{"data":{"id":1}}"#))).unwrap_err();
    /// let Error::Applied(applied) = err else { unreachable!() };
    /// assert_eq!(applied.status(), 200);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The whole answer when it is JSON (`{"data": ...}`), `None` when it is not.
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{Error, Items, BaseUrl};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<u8>::new("a").create(&base, &serde_json::json!({})).unwrap();
    /// let err = op.parse(http::Response::new(Bytes::from_static(b"<html>proxy</html>"))).unwrap_err();
    /// let Error::Applied(applied) = err else { unreachable!() };
    /// assert!(applied.answer().is_none());
    /// ```
    pub fn answer(&self) -> Option<&Value> {
        self.answer.as_ref()
    }

    /// The `data` member of the answer: the written item (or list of items) as JSON.
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{Error, Items, BaseUrl};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<u8>::new("a").create_many(&base, &[serde_json::json!({})]).unwrap();
    /// let err = op.parse(http::Response::new(Bytes::from_static(br#"{"data":[{"id":1},{"id":2}]}"#))).unwrap_err();
    /// let Error::Applied(applied) = err else { unreachable!() };
    /// assert_eq!(applied.data().unwrap().as_array().unwrap().len(), 2);
    /// ```
    pub fn data(&self) -> Option<&Value> {
        self.answer.as_ref()?.get("data")
    }

    /// The answer, owned.
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{Error, Items, BaseUrl};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<u8>::new("a").create(&base, &serde_json::json!({})).unwrap();
    /// let err = op.parse(http::Response::new(Bytes::from_static(br#"{"data":{"id":"x"}}"#))).unwrap_err();
    /// let Error::Applied(applied) = err else { unreachable!() };
    /// assert_eq!(applied.into_answer().unwrap()["data"]["id"], "x");
    /// ```
    pub fn into_answer(self) -> Option<Value> {
        self.answer
    }

    /// What serde_json reported when decoding into the requested type.
    ///
    /// ```
    /// use directus_proto::Bytes;
    /// # use directus_proto::{Error, Items, BaseUrl};
    /// # let base = BaseUrl::parse("http://localhost").unwrap();
    /// let op = Items::<u8>::new("a").create(&base, &serde_json::json!({})).unwrap();
    /// let err = op.parse(http::Response::new(Bytes::from_static(br#"{"data":"x"}"#))).unwrap_err();
    /// let Error::Applied(applied) = err else { unreachable!() };
    /// assert!(applied.decode_error().to_string().contains("u8"));
    /// ```
    pub fn decode_error(&self) -> &serde_json::Error {
        &self.source
    }
}

impl fmt::Debug for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Applied")
            .field("status", &self.status)
            .field("answer_is_json", &self.answer.is_some())
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server applied the write (HTTP {}) but its answer does not decode into the \
             requested type: {}; do not send it again, the written data is in the error",
            self.status, self.source
        )
    }
}

impl std::error::Error for Applied {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Whether a failed write was applied on the server: see the [module docs](self).
///
/// ```
/// use directus_proto::{Error, WriteOutcome};
/// assert_eq!(Error::InvalidInput("x".into()).write_outcome(), WriteOutcome::NotApplied);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The server did not apply it (it refused, or nothing was sent).
    NotApplied,
    /// The server applied it; its answer was unreadable ([`Error::Applied`]).
    Applied,
    /// It may or may not have been applied: the connection failed after sending, or the server
    /// (or a proxy in front of it) answered a 5xx.
    Unknown,
}

impl Error {
    /// Whether a write that failed with this error was applied on the server (for a read the
    /// answer is meaningless). See the [`applied`](crate::applied) module.
    ///
    /// ```
    /// use directus_proto::{ApiError, Error, WriteOutcome};
    /// let refused = Error::Api(ApiError::from_body(http::StatusCode::FORBIDDEN, b""));
    /// assert_eq!(refused.write_outcome(), WriteOutcome::NotApplied);
    /// let gateway = Error::Api(ApiError::from_body(http::StatusCode::BAD_GATEWAY, b""));
    /// assert_eq!(gateway.write_outcome(), WriteOutcome::Unknown);
    /// ```
    pub fn write_outcome(&self) -> WriteOutcome {
        match self {
            Error::Applied(_) => WriteOutcome::Applied,
            Error::Transport(_) => WriteOutcome::Unknown,
            Error::Api(api) if api.status().is_server_error() => WriteOutcome::Unknown,
            // A success answer of the auth handshake (login, refresh) that did not decode: its
            // tokens are not kept in the error, but the server did act on it.
            Error::Decode { status, .. } if status.is_success() => WriteOutcome::Applied,
            _ => WriteOutcome::NotApplied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BaseUrl, F, FileMeta, Items, Secret, auth, files, system};
    use bytes::Bytes;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        no_such_field: String,
    }

    fn answer(status: u16, body: &str) -> http::Response<Bytes> {
        http::Response::builder()
            .status(status)
            .body(Bytes::copy_from_slice(body.as_bytes()))
            .unwrap()
    }

    fn assert_applied<T: fmt::Debug>(result: Result<T, Error>, data: &Value) {
        match result {
            Err(Error::Applied(applied)) => {
                assert_eq!(applied.status(), 200);
                assert_eq!(applied.data(), Some(data));
            }
            other => panic!("expected Applied, got {other:?}"),
        }
    }

    #[test]
    fn every_write_reports_an_unreadable_answer_as_applied() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let items = Items::<Strict>::new("a");
        let one = r#"{"data":{"id":1}}"#;
        let many = r#"{"data":[{"id":1}]}"#;
        let (v1, vm) = (json!({"id": 1}), json!([{"id": 1}]));
        let patch = json!({"x": 1});
        assert_applied(
            items.create(&base, &patch).unwrap().parse(answer(200, one)),
            &v1,
        );
        assert_applied(
            items
                .create_many(&base, &[&patch])
                .unwrap()
                .parse(answer(200, many)),
            &vm,
        );
        assert_applied(
            items
                .update(&base, 1, &patch)
                .unwrap()
                .parse(answer(200, one)),
            &v1,
        );
        assert_applied(
            items
                .update_many(&base, [1], &patch)
                .unwrap()
                .parse(answer(200, many)),
            &vm,
        );
        assert_applied(
            items
                .update_by_query(&base, F::eq("a", 1), &patch)
                .unwrap()
                .parse(answer(200, many)),
            &vm,
        );
        assert_applied(
            items
                .update_singleton(&base, &patch)
                .unwrap()
                .parse(answer(200, one)),
            &v1,
        );
        assert_applied(
            system::update_me::<Strict, _>(&base, &patch)
                .unwrap()
                .parse(answer(200, one)),
            &v1,
        );
        let bad_file = r#"{"data":[7]}"#;
        assert_applied(
            files::update(&base, "f", &FileMeta::new().title("t"))
                .unwrap()
                .parse(answer(200, bad_file)),
            &json!([7]),
        );
    }

    #[test]
    fn reads_and_the_auth_handshake_stay_decode_errors() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let read = Items::<Strict>::new("a").read_one(&base, 1).unwrap();
        let err = read.parse(answer(200, r#"{"data":{"id":1}}"#)).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        // A login answer holds tokens: never kept raw in an error.
        let login = auth::login(&base, "a@b.c", &Secret::new("pw"), None).unwrap();
        let err = login
            .parse(answer(
                200,
                r#"{"data":{"access_token":"tok-123","refresh_token":5}}"#,
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(!format!("{err:?}{err}").contains("tok-123"));
    }

    #[test]
    fn refused_writes_and_empty_answers_are_not_applied_errors() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let op = Items::<Strict>::new("a").create(&base, &json!({})).unwrap();
        assert!(op.parse(answer(204, "")).unwrap().is_none());
        let err = op
            .parse(answer(
                400,
                r#"{"errors":[{"message":"no","extensions":{"code":"INVALID_PAYLOAD"}}]}"#,
            ))
            .unwrap_err();
        assert_eq!(err.write_outcome(), WriteOutcome::NotApplied);
    }

    #[test]
    fn debug_and_display_never_show_the_answer() {
        let base = BaseUrl::parse("http://localhost").unwrap();
        let op = Items::<Strict>::new("a").create(&base, &json!({})).unwrap();
        let err = op
            .parse(answer(200, r#"{"data":{"secret":"hunter2"}}"#))
            .unwrap_err();
        let shown = format!("{err:?} {err}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("applied"), "{shown}");
    }
}
