//! GraphQL over the session: `POST /graphql` (the project's collections) and
//! `POST /graphql/system` (users, files, roles...).
//!
//! GraphQL answers `200` with an `errors` list when a query fails (a wrong field, a forbidden
//! collection...). [`query`] reads such an answer as the same [`Error::Api`] a REST call gives,
//! with the status the server sent and every GraphQL error as an
//! [`ApiErrorItem`](crate::ApiErrorItem) (`extensions.code` typed); partial data that comes
//! with errors is not returned. Requests are `POST`s: never cached, never sent twice, and a
//! refused token (`401 TOKEN_EXPIRED`) refreshes the session like any call.
//!
//! ```
//! use directus_proto::{Bytes, BaseUrl, graphql};
//! use serde_json::json;
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct Products { drs_products: Vec<serde_json::Value> }
//!
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let op = graphql::query::<Products>(
//!     &base,
//!     "query($n: Int) { drs_products(limit: $n) { id name } }",
//!     &json!({"n": 2}),
//! ).unwrap();
//! assert_eq!(op.request().uri().path(), "/graphql");
//! let answer = br#"{"data":{"drs_products":[{"id":1,"name":"Apple"}]}}"#;
//! assert_eq!(op.parse(http::Response::new(Bytes::copy_from_slice(answer))).unwrap().drs_products.len(), 1);
//!
//! let failed = br#"{"errors":[{"message":"Cannot query field \"nope\"","extensions":{"code":"GRAPHQL_VALIDATION"}}],"data":null}"#;
//! let err = op.parse(http::Response::new(Bytes::copy_from_slice(failed))).unwrap_err();
//! assert_eq!(err.api().unwrap().code().as_str(), "GRAPHQL_VALIDATION");
//! ```

use bytes::Bytes;
use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::excerpt;
use crate::operation::Operation;
use crate::{ApiError, BaseUrl, Error, response};

/// Which GraphQL endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/graphql`: the project's collections.
    Items,
    /// `/graphql/system`: the system collections and the server, auth and utility mutations.
    System,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Items => "/graphql",
            Endpoint::System => "/graphql/system",
        }
    }
}

/// A query or mutation on `/graphql` with its variables (any serializable value; `()` or
/// `serde_json::Value::Null` for none), answering `data` as `T`.
///
/// ```
/// use directus_proto::{BaseUrl, graphql};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = graphql::query::<serde_json::Value>(&base, "{ a { id } }", &()).unwrap();
/// assert_eq!(op.request().method(), "POST");
/// assert_eq!(op.request().body(), br#"{"query":"{ a { id } }"}"#);
/// ```
pub fn query<T: DeserializeOwned>(
    base: &BaseUrl,
    query: &str,
    variables: &(impl Serialize + ?Sized),
) -> Result<Operation<T>, Error> {
    request(base, Endpoint::Items, query, variables)
}

/// A query or mutation on `/graphql/system`.
///
/// ```
/// use directus_proto::{BaseUrl, graphql};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = graphql::system::<serde_json::Value>(&base, "{ users_me { email } }", &()).unwrap();
/// assert_eq!(op.request().uri().path(), "/graphql/system");
/// ```
pub fn system<T: DeserializeOwned>(
    base: &BaseUrl,
    query: &str,
    variables: &(impl Serialize + ?Sized),
) -> Result<Operation<T>, Error> {
    request(base, Endpoint::System, query, variables)
}

/// A GraphQL request on either endpoint.
///
/// ```
/// use directus_proto::{BaseUrl, graphql::{self, Endpoint}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = graphql::request::<serde_json::Value>(&base, Endpoint::Items, "query($id: ID!) { a_by_id(id: $id) { id } }", &serde_json::json!({"id": 1})).unwrap();
/// assert_eq!(op.request().body(), br#"{"query":"query($id: ID!) { a_by_id(id: $id) { id } }","variables":{"id":1}}"#);
/// assert!(graphql::request::<serde_json::Value>(&base, Endpoint::Items, " ", &()).is_err());
/// ```
pub fn request<T: DeserializeOwned>(
    base: &BaseUrl,
    endpoint: Endpoint,
    query: &str,
    variables: &(impl Serialize + ?Sized),
) -> Result<Operation<T>, Error> {
    if query.trim().is_empty() {
        return Err(Error::invalid("the GraphQL query is empty"));
    }
    let variables = serde_json::to_value(variables)
        .map_err(|e| Error::invalid(format!("the GraphQL variables do not serialize: {e}")))?;
    let body = match variables {
        Value::Null => json!({ "query": query }),
        Value::Object(_) => json!({ "query": query, "variables": variables }),
        _ => return Err(Error::invalid("GraphQL variables must be an object")),
    };
    Operation::json(base, Method::POST, endpoint.path(), &body, parse::<T>)
}

/// Reads a GraphQL answer: `errors` (whatever the status) become an [`Error::Api`], else
/// `data` is decoded as `T`.
///
/// ```
/// use directus_proto::{Bytes, graphql};
/// let ok = http::Response::new(Bytes::from_static(br#"{"data":{"n":1}}"#));
/// assert_eq!(graphql::parse::<serde_json::Value>(ok).unwrap()["n"], 1);
/// let empty_errors = http::Response::new(Bytes::from_static(br#"{"data":{"n":1},"errors":[]}"#));
/// assert!(graphql::parse::<serde_json::Value>(empty_errors).is_ok());
/// ```
pub fn parse<T: DeserializeOwned>(response: http::Response<Bytes>) -> Result<T, Error> {
    #[derive(serde::Deserialize)]
    struct Answer<T> {
        data: Option<T>,
        #[serde(default)]
        errors: Vec<serde::de::IgnoredAny>,
    }
    let response = response::success(response)?;
    let status = response.status();
    let body = response.body();
    // Errors first, read loosely: their data is often `null`, which `T` may not accept.
    if let Ok(head) = serde_json::from_slice::<Answer<serde::de::IgnoredAny>>(body)
        && !head.errors.is_empty()
    {
        return Err(ApiError::from_body(status, body).into());
    }
    let answer: Answer<T> = serde_json::from_slice(body).map_err(|source| Error::Decode {
        status,
        excerpt: excerpt(body),
        source,
    })?;
    answer.data.ok_or_else(|| {
        Error::invalid(format!(
            "the GraphQL answer has neither data nor errors: {}",
            excerpt(body)
        ))
    })
}

/// The GraphQL schema of an endpoint in SDL (`GET /server/specs/graphql/{items|system}`), as
/// text, for code generators. The server answers only with introspection on (its default).
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, graphql::{self, Endpoint}};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = graphql::sdl(&base, Endpoint::System).unwrap();
/// assert_eq!(op.request().uri().path(), "/server/specs/graphql/system");
/// assert!(op.parse(http::Response::new(Bytes::from_static(b"type Query { a: Int }"))).unwrap().starts_with("type Query"));
/// ```
pub fn sdl(base: &BaseUrl, endpoint: Endpoint) -> Result<Operation<String>, Error> {
    let scope = match endpoint {
        Endpoint::Items => "items",
        Endpoint::System => "system",
    };
    Operation::get(
        base,
        &format!("/server/specs/graphql/{scope}"),
        response::text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("http://localhost:8055").unwrap()
    }

    #[test]
    fn golden_request() {
        let op = query::<Value>(&base(), "{ x }", &json!({"a": [1]})).unwrap();
        assert_eq!(op.request().method(), "POST");
        assert_eq!(op.request().uri(), "http://localhost:8055/graphql");
        assert_eq!(op.request().headers()["content-type"], "application/json");
        assert_eq!(
            op.request().body(),
            br#"{"query":"{ x }","variables":{"a":[1]}}"#
        );
        assert!(op.is_authenticated());
        assert!(!op.is_read());
        assert_eq!(op.collection(), None);
        assert!(query::<Value>(&base(), "{ x }", &[1]).is_err());
    }

    #[test]
    fn errors_become_api_errors() {
        let body = br#"{"errors":[{"message":"You don't have permission to access this.","extensions":{"code":"FORBIDDEN"}},{"message":"b"}],"data":null}"#;
        let err = parse::<Value>(http::Response::new(Bytes::copy_from_slice(body))).unwrap_err();
        let api = err.api().unwrap();
        assert_eq!(api.errors().len(), 2);
        assert_eq!(api.code().as_str(), "FORBIDDEN");
        let bad_request = http::Response::builder()
            .status(400)
            .body(Bytes::from_static(br#"{"errors":[{"message":"Syntax Error","extensions":{"code":"GRAPHQL_VALIDATION"}}]}"#))
            .unwrap();
        assert_eq!(
            parse::<Value>(bad_request).unwrap_err().status().unwrap(),
            400
        );
        for garbage in [&b"<html>"[..], b"{}", b"{\"data\":null}", b"[]", b""] {
            assert!(parse::<Value>(http::Response::new(Bytes::copy_from_slice(garbage))).is_err());
        }
    }
}
