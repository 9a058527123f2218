//! Reading Directus's answers: the `{data, meta}` envelope into the caller's types, in one pass.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, Error, excerpt};

/// The `meta` of a list answer: the counts asked for with [`Query::meta`](crate::Query::meta).
///
/// ```
/// use directus_proto::Meta;
/// let meta: Meta = serde_json::from_str(r#"{"total_count": 10, "filter_count": "3"}"#).unwrap();
/// assert_eq!((meta.total_count, meta.filter_count), (Some(10), Some(3)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Meta {
    /// Rows in the collection, when asked for.
    #[serde(default, deserialize_with = "lenient_count")]
    pub total_count: Option<u64>,
    /// Rows matching the filter and search, when asked for.
    #[serde(default, deserialize_with = "lenient_count")]
    pub filter_count: Option<u64>,
}

fn lenient_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u64),
        Text(String),
    }
    match Option::<Count>::deserialize(d)? {
        None => Ok(None),
        Some(Count::Number(n)) => Ok(Some(n)),
        Some(Count::Text(s)) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A page of items with the answer's `meta`.
///
/// ```
/// use directus_proto::Page;
/// use serde_json::Value;
///
/// let page: Page<Value> = Page::new(vec![serde_json::json!({"id": 1})], Default::default());
/// assert_eq!(page.item().unwrap()["id"], 1);
/// assert_eq!(page.items().len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    items: Vec<T>,
    meta: Meta,
}

impl<T> Page<T> {
    /// A page from its parts.
    ///
    /// ```
    /// # use directus_proto::Page;
    /// let page = Page::new(vec![1, 2], Default::default());
    /// assert_eq!(page.into_items(), vec![1, 2]);
    /// ```
    pub fn new(items: Vec<T>, meta: Meta) -> Self {
        Page { items, meta }
    }

    /// The items.
    ///
    /// ```
    /// # use directus_proto::Page;
    /// assert_eq!(Page::new(vec![1, 2], Default::default()).items(), &[1, 2]);
    /// ```
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The first item, if any (for reads expected to match one row).
    ///
    /// ```
    /// # use directus_proto::Page;
    /// assert_eq!(Page::<u8>::new(vec![], Default::default()).item(), None);
    /// ```
    pub fn item(&self) -> Option<&T> {
        self.items.first()
    }

    /// The counts asked for.
    ///
    /// ```
    /// # use directus_proto::Page;
    /// assert_eq!(Page::new(vec![1], Default::default()).meta().total_count, None);
    /// ```
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The items, owned.
    ///
    /// ```
    /// # use directus_proto::Page;
    /// assert_eq!(Page::new(vec!["a"], Default::default()).into_items(), vec!["a"]);
    /// ```
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

impl Page<Value> {
    /// The items as another type (py-directus's `items_as`).
    ///
    /// ```
    /// # use directus_proto::Page;
    /// #[derive(serde::Deserialize)]
    /// struct Row { id: u32 }
    /// let page = Page::new(vec![serde_json::json!({"id": 4})], Default::default());
    /// assert_eq!(page.items_as::<Row>().unwrap()[0].id, 4);
    /// ```
    pub fn items_as<U: DeserializeOwned>(&self) -> Result<Vec<U>, serde_json::Error> {
        self.items.iter().map(U::deserialize).collect()
    }

    /// The first item as another type, if there is one (py-directus's `item_as`).
    ///
    /// ```
    /// # use directus_proto::Page;
    /// #[derive(serde::Deserialize)]
    /// struct Row { id: u32 }
    /// let page = Page::new(vec![serde_json::json!({"id": 4})], Default::default());
    /// assert_eq!(page.item_as::<Row>().unwrap().unwrap().id, 4);
    /// ```
    pub fn item_as<U: DeserializeOwned>(&self) -> Result<Option<U>, serde_json::Error> {
        self.items.first().map(U::deserialize).transpose()
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct PageEnvelope<T> {
    data: Vec<T>,
    #[serde(default)]
    meta: Option<Meta>,
}

/// The response itself when its status is a success, else the typed error it carries.
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::response::success;
/// let resp = http::Response::builder().status(403)
///     .body(Bytes::from_static(br#"{"errors":[{"message":"nope","extensions":{"code":"FORBIDDEN"}}]}"#))
///     .unwrap();
/// assert_eq!(success(resp).unwrap_err().status().unwrap(), 403);
/// ```
pub fn success(response: Response<Bytes>) -> Result<Response<Bytes>, Error> {
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(ApiError::from_body(response.status(), response.body()).into())
    }
}

fn decode<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|source| Error::Decode {
        status,
        excerpt: excerpt(body),
        source,
    })
}

/// `data` of a success answer, as `T`, decoded in one pass.
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::response::data;
/// let resp = http::Response::new(Bytes::from_static(br#"{"data":{"id":3}}"#));
/// let item: serde_json::Value = data(resp).unwrap();
/// assert_eq!(item["id"], 3);
/// ```
pub fn data<T: DeserializeOwned>(response: Response<Bytes>) -> Result<T, Error> {
    let response = success(response)?;
    decode::<DataEnvelope<T>>(response.status(), response.body()).map(|e| e.data)
}

/// A list answer with its `meta`.
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::response::page;
/// let resp = http::Response::new(Bytes::from_static(br#"{"data":[{"id":1},{"id":2}],"meta":{"filter_count":2}}"#));
/// let page = page::<serde_json::Value>(resp).unwrap();
/// assert_eq!(page.items().len(), 2);
/// assert_eq!(page.meta().filter_count, Some(2));
/// ```
pub fn page<T: DeserializeOwned>(response: Response<Bytes>) -> Result<Page<T>, Error> {
    let response = success(response)?;
    let envelope = decode::<PageEnvelope<T>>(response.status(), response.body())?;
    Ok(Page::new(envelope.data, envelope.meta.unwrap_or_default()))
}

/// The answer to a write: `Some(data)`, or `None` for a 204 (the user may not read the result).
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::response::written;
/// let resp = http::Response::builder().status(204).body(Bytes::new()).unwrap();
/// assert_eq!(written::<serde_json::Value>(resp).unwrap(), None);
/// ```
pub fn written<T: DeserializeOwned>(response: Response<Bytes>) -> Result<Option<T>, Error> {
    let response = success(response)?;
    if response.status() == StatusCode::NO_CONTENT || response.body().is_empty() {
        return Ok(None);
    }
    decode::<DataEnvelope<Option<T>>>(response.status(), response.body()).map(|e| e.data)
}

/// Success without a body of interest (deletes, logout).
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::response::empty;
/// let resp = http::Response::builder().status(204).body(Bytes::new()).unwrap();
/// empty(resp).unwrap();
/// ```
pub fn empty(response: Response<Bytes>) -> Result<(), Error> {
    success(response).map(drop)
}

/// The body as text (`/server/ping` answers `pong`, exports answer CSV or YAML).
///
/// ```
/// use directus_proto::Bytes;
/// use directus_proto::response::text;
/// assert_eq!(text(http::Response::new(Bytes::from_static(b"pong"))).unwrap(), "pong");
/// ```
pub fn text(response: Response<Bytes>) -> Result<String, Error> {
    let response = success(response)?;
    Ok(String::from_utf8_lossy(response.body()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> Response<Bytes> {
        Response::builder()
            .status(status)
            .body(Bytes::copy_from_slice(body.as_bytes()))
            .unwrap()
    }

    #[test]
    fn non_json_success_is_a_typed_error_with_excerpt() {
        let err = data::<Value>(resp(200, "<html>proxy</html>")).unwrap_err();
        match err {
            Error::Decode {
                status, excerpt, ..
            } => {
                assert_eq!(status, 200);
                assert_eq!(excerpt, "<html>proxy</html>");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shape_mismatch_is_a_decode_error() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Row {
            id: u32,
        }
        assert!(matches!(
            page::<Row>(resp(200, r#"{"data":{"id":1}}"#)),
            Err(Error::Decode { .. })
        ));
        assert!(matches!(
            data::<Row>(resp(200, r#"{"data":{"id":"x"}}"#)),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        for body in ["", "{", "[]", "{\"data\":null}", "\u{0}", "{\"data\":[1,"] {
            for status in [200, 204, 400, 500] {
                let _ = data::<Value>(resp(status, body));
                let _ = page::<Value>(resp(status, body));
                let _ = written::<Value>(resp(status, body));
            }
        }
    }
}
