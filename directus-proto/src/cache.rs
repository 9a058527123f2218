//! The opt-in response cache of a [`Session`](crate::Session): answers to reads, bounded in
//! entries and age, dropped per collection when the session writes to it.
//!
//! It is sans-IO like the rest: the session hands it answers and the time.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response, StatusCode, header};

/// Bounds of the response cache.
///
/// ```
/// use directus_proto::CacheConfig;
/// use std::time::Duration;
///
/// let config = CacheConfig::default().max_entries(500).max_age(Duration::from_secs(30));
/// assert_eq!(config.entries(), 500);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    max_entries: usize,
    max_age: Duration,
}

impl Default for CacheConfig {
    /// 256 entries, 60 seconds.
    fn default() -> Self {
        CacheConfig {
            max_entries: 256,
            max_age: Duration::from_secs(60),
        }
    }
}

impl CacheConfig {
    /// At most this many answers (the oldest go first). At least 1.
    ///
    /// ```
    /// # use directus_proto::CacheConfig;
    /// assert_eq!(CacheConfig::default().max_entries(0).entries(), 1);
    /// ```
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n.max(1);
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
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Vec<u8>,
}

pub(crate) struct Cache {
    config: CacheConfig,
    entries: HashMap<String, Entry>,
    order: VecDeque<String>,
}

impl Cache {
    pub(crate) fn new(config: CacheConfig) -> Self {
        Cache {
            config,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The key of a request: method, URI and body (a `SEARCH` carries its query in the body).
    pub(crate) fn key(request: &Request<crate::Body>) -> String {
        format!(
            "{} {} {}",
            request.method(),
            request.uri(),
            String::from_utf8_lossy(request.body())
        )
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&mut self, key: &str, now: Instant) -> Option<Response<Vec<u8>>> {
        let fresh = self
            .entries
            .get(key)
            .map(|e| now.saturating_duration_since(e.stored_at) <= self.config.max_age)?;
        if !fresh {
            self.remove(key);
            return None;
        }
        let entry = self.entries.get(key)?;
        let mut response = Response::new(entry.body.clone());
        *response.status_mut() = entry.status;
        if let Some(content_type) = &entry.content_type {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type.clone());
        }
        Some(response)
    }

    pub(crate) fn put(
        &mut self,
        key: String,
        collection: &str,
        response: &Response<Vec<u8>>,
        now: Instant,
    ) {
        self.remove(&key);
        while self.entries.len() >= self.config.max_entries {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        self.order.push_back(key.clone());
        self.entries.insert(
            key,
            Entry {
                collection: collection.to_owned(),
                stored_at: now,
                status: response.status(),
                content_type: response.headers().get(header::CONTENT_TYPE).cloned(),
                body: response.body().clone(),
            },
        );
    }

    pub(crate) fn remove(&mut self, key: &str) {
        if self.entries.remove(key).is_some() {
            self.order.retain(|k| k != key);
        }
    }

    pub(crate) fn invalidate(&mut self, collection: &str) {
        self.entries.retain(|_, e| e.collection != collection);
        let entries = &self.entries;
        self.order.retain(|k| entries.contains_key(k));
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Request<crate::Body> {
        Request::get(uri).body(crate::Body::empty()).unwrap()
    }

    #[test]
    fn bounded_by_entries_and_age_and_invalidated_per_collection() {
        let t0 = Instant::now();
        let mut cache = Cache::new(
            CacheConfig::default()
                .max_entries(2)
                .max_age(Duration::from_secs(10)),
        );
        let ok = Response::new(b"{}".to_vec());
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
    }
}
