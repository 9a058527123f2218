//! Flows (`/flows`) and their operations (`/operations`) as typed models, and the trigger of
//! webhook flows (`GET|POST /flows/trigger/{id}`).
//!
//! A webhook flow answers its trigger with what its options say (`return`: `$last` is the
//! last operation's result, `$all` every result by operation key; nothing by default), as
//! plain JSON, which [`trigger`] reads into any serde type.
//!
//! ```
//! use directus_proto::{BaseUrl, Items, flows::{self, Flow}};
//! let base = BaseUrl::parse("http://127.0.0.1:8055").unwrap();
//! let list = Items::<Flow>::of().read(&base).unwrap();
//! assert_eq!(list.request().uri().path(), "/flows");
//! let op = flows::trigger::<serde_json::Value>(&base, "6e1a6b9c-0000-4000-8000-000000000000", Some(&serde_json::json!({"n": 1}))).unwrap();
//! assert_eq!(op.request().method(), "POST");
//! ```

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::excerpt;
use crate::model::Item;
use crate::operation::Operation;
use crate::{BaseUrl, Error, Key, response, url};

/// A flow (`directus_flows`): a trigger and a chain of operations.
///
/// ```
/// use directus_proto::flows::Flow;
/// let f: Flow = serde_json::from_str(r#"{"id":"f","name":"Echo","trigger":"webhook","options":{"method":"POST"}}"#).unwrap();
/// assert_eq!(f.trigger.as_deref(), Some("webhook"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// Primary key (a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Key>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// `active` or `inactive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `event`, `webhook`, `operation`, `schedule` or `manual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// `all` (the caller's permissions), `activity` or null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountability: Option<String>,
    /// The trigger's options (a webhook's `method`, `async`, `return`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
    /// The first operation (key or object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Value>,
    /// Every operation (keys or objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<Value>>,
    /// The fields this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Item for Flow {
    const COLLECTION: &'static str = "directus_flows";
}

/// An operation of a flow (`directus_operations`).
///
/// ```
/// use directus_proto::flows::FlowOperation;
/// let o: FlowOperation = serde_json::from_str(r#"{"key":"echo","type":"transform","options":{"json":"{{$trigger.body}}"}}"#).unwrap();
/// assert_eq!(o.r#type.as_deref(), Some("transform"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowOperation {
    /// Primary key (a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Key>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key, unique in its flow (results are named by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `log`, `mail`, `item-create`, `request`, `exec`, `transform`, `condition`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Position on the app's grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_x: Option<i64>,
    /// Position on the app's grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_y: Option<i64>,
    /// The operation's options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
    /// The next operation on success (key or object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<Value>,
    /// The next operation on failure (key or object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<Value>,
    /// The flow (key or object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Value>,
    /// The fields this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Item for FlowOperation {
    const COLLECTION: &'static str = "directus_operations";
}

/// Triggers a webhook flow: `POST /flows/trigger/{id}` with `body`, or a `GET` without one.
/// The answer is the flow's return value as `T` (`()`-like `Value::Null` when it returns
/// nothing). Never sent twice (a flow may write).
///
/// ```
/// use directus_proto::{Bytes, BaseUrl, flows};
/// let base = BaseUrl::parse("http://localhost:8055").unwrap();
/// let op = flows::trigger::<serde_json::Value>(&base, "f1", None).unwrap();
/// assert_eq!((op.request().method().as_str(), op.request().uri().path()), ("GET", "/flows/trigger/f1"));
/// assert_eq!(op.parse(http::Response::new(Bytes::from_static(br#"{"echo":1}"#))).unwrap()["echo"], 1);
/// assert!(op.parse(http::Response::builder().status(204).body(Bytes::new()).unwrap()).unwrap().is_null());
/// ```
pub fn trigger<T: DeserializeOwned>(
    base: &BaseUrl,
    flow: impl Into<Key>,
    body: Option<&Value>,
) -> Result<Operation<T>, Error> {
    let path = format!(
        "/flows/trigger/{}",
        url::segment(&flow.into().to_string(), "flow key")?
    );
    match body {
        Some(body) => Operation::json(base, Method::POST, &path, body, raw::<T>),
        None => Operation::get(base, &path, raw::<T>),
    }
}

/// The body as `T`, an empty body as JSON `null`.
fn raw<T: DeserializeOwned>(response: http::Response<Bytes>) -> Result<T, Error> {
    let response = response::success(response)?;
    let body: &[u8] = if response.body().iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        response.body()
    };
    serde_json::from_slice(body).map_err(|source| Error::Decode {
        status: response.status(),
        excerpt: excerpt(response.body()),
        source,
    })
}
