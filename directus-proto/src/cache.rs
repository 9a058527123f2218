//! The opt-in response cache of a [`Session`](crate::Session): complete JSON answers to plain
//! reads, bounded in bytes, entries and age, dropped per collection when the session writes to
//! it.
//!
//! What is cached, and under which key, is decided here:
//! - only `GET` and `SEARCH` requests that ask for JSON (`Accept: application/json`, as every
//!   read this crate builds does): downloads (`Accept: */*`, streamed or ranged) never are;
//! - only `200 OK` answers with a JSON content type: a `206 Partial Content`, an error or
//!   an empty streamed answer never are;
//! - the key is the method, the full URI, every header of the request but `Authorization` (the
//!   cache belongs to one session, so to one identity) and the body (a `SEARCH` carries its
//!   query there);
//! - the least recently used answers go first when a bound is reached, and an answer larger
//!   than an eighth of the byte budget is not kept at all.
//!
//! It is sans-IO like the rest: the session hands it answers and the time.

use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use http::{HeaderValue, Method, Request, Response, StatusCode, header};

/// The part of the byte budget one answer may take at most: `1 / LARGEST_SHARE`.
const LARGEST_SHARE: usize = 8;

/// What an entry costs beyond its key and body (its bookkeeping), counted against the budget.
const ENTRY_OVERHEAD: usize = 128;

/// Bounds of the response cache.
///
/// ```
/// use directus_proto::CacheConfig;
/// use std::time::Duration;
///
/// let config = CacheConfig::default()
///     .max_entries(500)
///     .max_bytes(16 << 20)
///     .max_age(Duration::from_secs(30));
/// assert_eq!(config.entries(), 500);
/// assert_eq!(config.bytes(), 16 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    max_entries: usize,
    max_bytes: usize,
    max_age: Duration,
}

impl Default for CacheConfig {
    /// 256 entries, 64 MiB, 60 seconds.
    fn default() -> Self {
        CacheConfig {
            max_entries: 256,
            max_bytes: 64 << 20,
            max_age: Duration::from_secs(60),
        }
    }
}

impl CacheConfig {
    /// At most this many answers (the least recently used go first). At least 1.
    ///
    /// ```
    /// # use directus_proto::CacheConfig;
    /// assert_eq!(CacheConfig::default().max_entries(0).entries(), 1);
    /// ```
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n.max(1);
        self
    }

    /// At most this many bytes of answers (bodies, keys and bookkeeping; the least recently
    /// used go first). An answer larger than an eighth of it is not cached.
    ///
    /// ```
    /// # use directus_proto::CacheConfig;
    /// assert_eq!(CacheConfig::default().max_bytes(1 << 20).bytes(), 1 << 20);
    /// assert_eq!(CacheConfig::default().bytes(), 64 << 20);
    /// ```
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// Answers older than this are not served.
    ///
    /// ```
    /// # use directus_proto::CacheConfig;
    /// # use std::time::Duration;
    /// assert_eq!(CacheConfig::default().max_age(Duration::from_secs(5)).age(), Duration::from_secs(5));
    /// ```
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// The entry bound.
    ///
    /// ```
    /// # use directus_proto::CacheConfig;
    /// assert_eq!(CacheConfig::default().entries(), 256);
    /// ```
    pub fn entries(&self) -> usize {
        self.max_entries
    }

    /// The byte budget.
    ///
    /// ```
    /// # use directus_proto::CacheConfig;
    /// assert_eq!(CacheConfig::default().bytes(), 64 * 1024 * 1024);
    /// ```
    pub fn bytes(&self) -> usize {
        self.max_bytes
    }

    /// The age bound.
    ///
    /// ```
    /// # use directus_proto::CacheConfig;
    /// # use std::time::Duration;
    /// assert_eq!(CacheConfig::default().age(), Duration::from_secs(60));
    /// ```
    pub fn age(&self) -> Duration {
        self.max_age
    }
}

struct Entry {
    collection: String,
    stored_at: Instant,
    content_type: HeaderValue,
    body: Bytes,
    /// What the entry counts against the byte budget.
    size: usize,
    /// Its place in the use order (larger: used more recently).
    used: u64,
}

pub(crate) struct Cache {
    config: CacheConfig,
    entries: HashMap<String, Entry>,
    /// Keys by last use, least recent first.
    order: BTreeMap<u64, String>,
    bytes: usize,
    clock: u64,
}

/// Whether a content type is JSON (`application/json`, `application/*+json`, any parameters).
fn is_json(value: &HeaderValue) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl Cache {
    pub(crate) fn new(config: CacheConfig) -> Self {
        Cache {
            config,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            bytes: 0,
            clock: 0,
        }
    }

    /// Whether the answer to `request` may be cached at all: a plain read asking for JSON.
    pub(crate) fn is_cacheable(request: &Request<crate::Body>) -> bool {
        let read = request.method() == Method::GET || request.method().as_str() == "SEARCH";
        let wants_json = request
            .headers()
            .get_all(header::ACCEPT)
            .iter()
            .any(is_json);
        read && wants_json && !request.headers().contains_key(header::RANGE)
    }

    /// The key of a request: method, URI, every header but `Authorization` (sorted) and the
    /// body.
    pub(crate) fn key(request: &Request<crate::Body>) -> String {
        let mut headers: Vec<(&str, &[u8])> = request
            .headers()
            .iter()
            .filter(|(name, _)| *name != header::AUTHORIZATION)
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
            .collect();
        headers.sort_unstable();
        let mut key = format!("{} {}\n", request.method(), request.uri());
        for (name, value) in headers {
            // Header values hold no line breaks, so the lines cannot run into each other.
            key.push_str(name);
            key.push_str(": ");
            key.push_str(&String::from_utf8_lossy(value));
            key.push('\n');
        }
        key.push('\n');
        key.push_str(&String::from_utf8_lossy(request.body()));
        key
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    pub(crate) fn get(&mut self, key: &str, now: Instant) -> Option<Response<Bytes>> {
        let fresh = self
            .entries
            .get(key)
            .map(|e| now.saturating_duration_since(e.stored_at) <= self.config.max_age)?;
        if !fresh {
            self.remove(key);
            return None;
        }
        let used = self.tick();
        let entry = self.entries.get_mut(key)?;
        if let Some(k) = self.order.remove(&entry.used) {
            self.order.insert(used, k);
        }
        entry.used = used;
        let mut response = Response::new(entry.body.clone());
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, entry.content_type.clone());
        Some(response)
    }

    /// Keeps `response` under `key` when it is a complete JSON answer (`200`, JSON content
    /// type) small enough for the budget.
    pub(crate) fn put(
        &mut self,
        key: String,
        collection: &str,
        response: &Response<Bytes>,
        now: Instant,
    ) {
        self.remove(&key);
        if response.status() != StatusCode::OK {
            return;
        }
        let Some(content_type) = response
            .headers()
            .get(header::CONTENT_TYPE)
            .filter(|v| is_json(v))
        else {
            return;
        };
        let size = key
            .len()
            .saturating_add(response.body().len())
            .saturating_add(collection.len())
            .saturating_add(ENTRY_OVERHEAD);
        if size > self.config.max_bytes / LARGEST_SHARE {
            return;
        }
        while self.entries.len() >= self.config.max_entries
            || self.bytes.saturating_add(size) > self.config.max_bytes
        {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(gone) = self.entries.remove(&oldest) {
                self.bytes -= gone.size;
            }
        }
        let used = self.tick();
        self.order.insert(used, key.clone());
        self.bytes += size;
        self.entries.insert(
            key,
            Entry {
                collection: collection.to_owned(),
                stored_at: now,
                content_type: content_type.clone(),
                // A copy of its own: the answer's bytes may share a larger buffer of the
                // HTTP stack, which the budget would not count.
                body: Bytes::copy_from_slice(response.body()),
                size,
                used,
            },
        );
    }

    pub(crate) fn remove(&mut self, key: &str) {
        if let Some(gone) = self.entries.remove(key) {
            self.order.remove(&gone.used);
            self.bytes -= gone.size;
        }
    }

    pub(crate) fn invalidate(&mut self, collection: &str) {
        let gone: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| e.collection == collection)
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            self.remove(&key);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Request<crate::Body> {
        Request::get(uri)
            .header(header::ACCEPT, "application/json")
            .body(crate::Body::empty())
            .unwrap()
    }

    fn json(body: &[u8]) -> Response<Bytes> {
        let mut response = Response::new(Bytes::copy_from_slice(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }

    #[test]
    fn bounded_by_entries_and_age_and_invalidated_per_collection() {
        let t0 = Instant::now();
        let mut cache = Cache::new(
            CacheConfig::default()
                .max_entries(2)
                .max_age(Duration::from_secs(10)),
        );
        let ok = json(b"{}");
        let (a, b, c) = (
            Cache::key(&req("http://h/items/a")),
            Cache::key(&req("http://h/items/b")),
            Cache::key(&req("http://h/items/a?x=1")),
        );
        cache.put(a.clone(), "a", &ok, t0);
        cache.put(b.clone(), "b", &ok, t0);
        cache.put(c.clone(), "a", &ok, t0);
        assert!(cache.get(&a, t0).is_none(), "the oldest entry is evicted");
        assert!(cache.get(&b, t0).is_some());
        assert!(
            cache.get(&c, t0 + Duration::from_secs(11)).is_none(),
            "too old"
        );
        cache.put(c.clone(), "a", &ok, t0);
        cache.invalidate("a");
        assert!(cache.get(&c, t0).is_none());
        assert_eq!(cache.len(), 1);
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn the_least_recently_used_goes_first() {
        let t0 = Instant::now();
        let mut cache = Cache::new(CacheConfig::default().max_entries(2));
        let (a, b, c) = ("a".to_owned(), "b".to_owned(), "c".to_owned());
        cache.put(a.clone(), "x", &json(b"1"), t0);
        cache.put(b.clone(), "x", &json(b"2"), t0);
        assert!(cache.get(&a, t0).is_some(), "a is now the most recent");
        cache.put(c.clone(), "x", &json(b"3"), t0);
        assert!(cache.get(&b, t0).is_none(), "b was the least recently used");
        assert_eq!(cache.get(&a, t0).unwrap().body().as_ref(), b"1");
        assert_eq!(cache.get(&c, t0).unwrap().body().as_ref(), b"3");
    }

    #[test]
    fn bounded_in_bytes() {
        let t0 = Instant::now();
        let budget = 8 * 1024;
        let mut cache = Cache::new(CacheConfig::default().max_bytes(budget));
        // An answer over an eighth of the budget is not kept.
        cache.put("big".into(), "x", &json(&vec![b' '; budget / 8]), t0);
        assert_eq!(cache.len(), 0);
        // Many answers under it: the total never exceeds the budget, the newest stay.
        let body = vec![b'1'; budget / 8 - ENTRY_OVERHEAD - 16];
        for i in 0..100 {
            cache.put(format!("k{i}"), "x", &json(&body), t0);
            assert!(cache.bytes() <= budget, "{} > {budget}", cache.bytes());
        }
        assert!(cache.len() >= 7, "the budget is used: {}", cache.len());
        assert!(cache.get("k99", t0).is_some());
        assert!(cache.get("k0", t0).is_none());
        // Replacing and removing keep the count exact.
        cache.put("k99".into(), "x", &json(b"{}"), t0);
        cache.invalidate("x");
        assert_eq!((cache.len(), cache.bytes()), (0, 0));
        // A budget of zero caches nothing.
        let mut none = Cache::new(CacheConfig::default().max_bytes(0));
        none.put("k".into(), "x", &json(b"{}"), t0);
        assert_eq!(none.len(), 0);
    }

    #[test]
    fn only_complete_json_answers_are_kept() {
        let t0 = Instant::now();
        let mut cache = Cache::new(CacheConfig::default());
        let mut partial = json(b"{\"a\":1}");
        *partial.status_mut() = StatusCode::PARTIAL_CONTENT;
        let mut created = json(b"{}");
        *created.status_mut() = StatusCode::CREATED;
        let mut text = Response::new(Bytes::from_static(b"0123456789"));
        text.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let untyped = Response::new(Bytes::from_static(b"{}"));
        for (i, response) in [partial, created, text, untyped].iter().enumerate() {
            cache.put(format!("k{i}"), "x", response, t0);
        }
        assert_eq!(cache.len(), 0);
        let mut problem = Response::new(Bytes::from_static(b"{}"));
        problem.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        cache.put("p".into(), "x", &problem, t0);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn only_plain_reads_asking_for_json_are_cacheable() {
        assert!(Cache::is_cacheable(&req("http://h/items/a")));
        let download = Request::get("http://h/assets/f")
            .header(header::ACCEPT, "*/*")
            .body(crate::Body::empty())
            .unwrap();
        assert!(!Cache::is_cacheable(&download));
        let mut ranged = req("http://h/items/a");
        ranged
            .headers_mut()
            .insert(header::RANGE, HeaderValue::from_static("bytes=0-9"));
        assert!(!Cache::is_cacheable(&ranged));
        for method in [Method::HEAD, Method::POST, Method::PATCH, Method::DELETE] {
            let mut r = req("http://h/items/a");
            *r.method_mut() = method;
            assert!(!Cache::is_cacheable(&r));
        }
        let mut search = req("http://h/items/a");
        *search.method_mut() = Method::from_bytes(b"SEARCH").unwrap();
        assert!(Cache::is_cacheable(&search));
    }

    #[test]
    fn the_key_holds_everything_that_changes_the_answer_but_the_token() {
        let base = req("http://h/items/a");
        let with = |name: &'static str, value: &'static str| {
            let mut r = req("http://h/items/a");
            r.headers_mut()
                .insert(name, HeaderValue::from_static(value));
            Cache::key(&r)
        };
        let key = Cache::key(&base);
        assert_eq!(with("authorization", "Bearer x"), key);
        assert_ne!(with("range", "bytes=0-9"), key);
        assert_ne!(with("accept", "*/*"), key);
        assert_ne!(with("accept-language", "de"), key);
        assert_ne!(Cache::key(&req("http://h/items/a?x=1")), key);
        let mut search = req("http://h/items/a");
        *search.body_mut() = b"{\"query\":{}}".to_vec().into();
        assert_ne!(Cache::key(&search), key);
    }
}
