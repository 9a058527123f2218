//! A small cache keyed by tokens, bounded in entries and age, that never holds a token itself.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::auth::Secret;

/// The SHA-256 digest of a token: the key of a [`TokenCache`], so no cache, map or log holds the
/// token itself. `Debug` shows the first 4 bytes only.
///
/// ```
/// use directus_proto::{Secret, web::TokenDigest};
/// let a = TokenDigest::of(&Secret::new("r1"));
/// assert_eq!(a, TokenDigest::of(&Secret::new("r1")));
/// assert_ne!(a, TokenDigest::of(&Secret::new("r2")));
/// assert!(!format!("{a:?}").contains("r1"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest of `token`.
    ///
    /// ```
    /// # use directus_proto::{Secret, web::TokenDigest};
    /// let _ = TokenDigest::of(&Secret::new("t"));
    /// ```
    pub fn of(token: &Secret) -> Self {
        TokenDigest(Sha256::digest(token.expose().as_bytes()).into())
    }

    /// One of `n` stripes (for a lock per stripe): equal tokens always share one.
    ///
    /// ```
    /// # use directus_proto::{Secret, web::TokenDigest};
    /// assert!(TokenDigest::of(&Secret::new("t")).stripe(16) < 16);
    /// ```
    pub fn stripe(&self, n: usize) -> usize {
        let head = u64::from_le_bytes([
            self.0[0], self.0[1], self.0[2], self.0[3], self.0[4], self.0[5], self.0[6], self.0[7],
        ]);
        usize::try_from(head % n.max(1) as u64).unwrap_or(0)
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TokenDigest({:02x}{:02x}{:02x}{:02x}..)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// Values kept per token for a short while: at most `capacity` entries, each for at most `ttl`.
/// When full, expired entries go first, then the oldest. Time comes in as an argument.
///
/// ```
/// use directus_proto::{Secret, web::TokenCache};
/// use std::time::{Duration, Instant};
///
/// let mut cache = TokenCache::new(2, Duration::from_secs(10));
/// let now = Instant::now();
/// cache.insert(&Secret::new("t1"), "alice", now);
/// assert_eq!(cache.get(&Secret::new("t1"), now), Some(&"alice"));
/// assert_eq!(cache.get(&Secret::new("t1"), now + Duration::from_secs(11)), None);
/// ```
pub struct TokenCache<V> {
    entries: HashMap<TokenDigest, (Instant, V)>,
    capacity: usize,
    ttl: Duration,
}

impl<V> std::fmt::Debug for TokenCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("len", &self.entries.len())
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl<V> TokenCache<V> {
    /// A cache of at most `capacity` entries (at least 1), each kept `ttl`.
    ///
    /// ```
    /// # use directus_proto::web::TokenCache;
    /// # use std::time::Duration;
    /// let cache: TokenCache<u8> = TokenCache::new(100, Duration::from_secs(30));
    /// assert!(cache.is_empty());
    /// ```
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        TokenCache {
            entries: HashMap::new(),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// The value kept for `token`, unless it is older than the TTL at `now`.
    ///
    /// ```
    /// # use directus_proto::{Secret, web::TokenCache};
    /// # use std::time::{Duration, Instant};
    /// let cache: TokenCache<u8> = TokenCache::new(1, Duration::from_secs(1));
    /// assert_eq!(cache.get(&Secret::new("t"), Instant::now()), None);
    /// ```
    pub fn get(&self, token: &Secret, now: Instant) -> Option<&V> {
        self.get_digest(&TokenDigest::of(token), now)
    }

    /// [`get`](Self::get) by digest.
    ///
    /// ```
    /// # use directus_proto::{Secret, web::{TokenCache, TokenDigest}};
    /// # use std::time::{Duration, Instant};
    /// let cache: TokenCache<u8> = TokenCache::new(1, Duration::from_secs(1));
    /// assert_eq!(cache.get_digest(&TokenDigest::of(&Secret::new("t")), Instant::now()), None);
    /// ```
    pub fn get_digest(&self, digest: &TokenDigest, now: Instant) -> Option<&V> {
        self.entries
            .get(digest)
            .filter(|(at, _)| now.saturating_duration_since(*at) < self.ttl)
            .map(|(_, v)| v)
    }

    /// Keeps `value` for `token` from `now`.
    ///
    /// ```
    /// # use directus_proto::{Secret, web::TokenCache};
    /// # use std::time::{Duration, Instant};
    /// let mut cache = TokenCache::new(1, Duration::from_secs(5));
    /// let now = Instant::now();
    /// cache.insert(&Secret::new("a"), 1, now);
    /// cache.insert(&Secret::new("b"), 2, now);
    /// assert_eq!(cache.len(), 1);
    /// assert_eq!(cache.get(&Secret::new("b"), now), Some(&2));
    /// ```
    pub fn insert(&mut self, token: &Secret, value: V, now: Instant) {
        self.insert_digest(TokenDigest::of(token), value, now);
    }

    /// [`insert`](Self::insert) by digest.
    ///
    /// ```
    /// # use directus_proto::{Secret, web::{TokenCache, TokenDigest}};
    /// # use std::time::{Duration, Instant};
    /// let mut cache = TokenCache::new(1, Duration::from_secs(5));
    /// cache.insert_digest(TokenDigest::of(&Secret::new("a")), 1, Instant::now());
    /// ```
    pub fn insert_digest(&mut self, digest: TokenDigest, value: V, now: Instant) {
        if !self.entries.contains_key(&digest) && self.entries.len() >= self.capacity {
            let ttl = self.ttl;
            self.entries
                .retain(|_, (at, _)| now.saturating_duration_since(*at) < ttl);
            if self.entries.len() >= self.capacity
                && let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (at, _))| *at)
                    .map(|(k, _)| *k)
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(digest, (now, value));
    }

    /// Forgets the value kept for `token`.
    ///
    /// ```
    /// # use directus_proto::{Secret, web::TokenCache};
    /// # use std::time::{Duration, Instant};
    /// let mut cache = TokenCache::new(1, Duration::from_secs(5));
    /// cache.insert(&Secret::new("a"), 1, Instant::now());
    /// cache.remove(&Secret::new("a"));
    /// assert!(cache.is_empty());
    /// ```
    pub fn remove(&mut self, token: &Secret) {
        self.entries.remove(&TokenDigest::of(token));
    }

    /// Keeps only the entries whose value passes `keep` (e.g. drops every rotation that led to
    /// a refresh token just revoked).
    ///
    /// ```
    /// # use directus_proto::{Secret, web::TokenCache};
    /// # use std::time::{Duration, Instant};
    /// let mut cache = TokenCache::new(4, Duration::from_secs(5));
    /// cache.insert(&Secret::new("a"), 1, Instant::now());
    /// cache.insert(&Secret::new("b"), 2, Instant::now());
    /// cache.retain(|v| *v != 1);
    /// assert_eq!(cache.len(), 1);
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.entries.retain(|_, (_, v)| keep(v));
    }

    /// How many entries it holds (expired ones included until they are pushed out).
    ///
    /// ```
    /// # use directus_proto::web::TokenCache;
    /// # use std::time::Duration;
    /// assert_eq!(TokenCache::<u8>::new(1, Duration::ZERO).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    ///
    /// ```
    /// # use directus_proto::web::TokenCache;
    /// # use std::time::Duration;
    /// assert!(TokenCache::<u8>::new(1, Duration::ZERO).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_evicts_expired_then_oldest() {
        let t0 = Instant::now();
        let mut cache = TokenCache::new(3, Duration::from_secs(10));
        for i in 0..100u64 {
            let token = Secret::new(format!("t{i}"));
            cache.insert(&token, i, t0 + Duration::from_millis(i));
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.get(&Secret::new("t99"), t0), Some(&99));
        assert_eq!(cache.get(&Secret::new("t96"), t0), None);
        // Expired ones go before live ones.
        let later = t0 + Duration::from_secs(20);
        cache.insert(&Secret::new("x"), 1, later);
        cache.insert(&Secret::new("y"), 2, later);
        cache.insert(&Secret::new("z"), 3, later);
        assert_eq!(cache.get(&Secret::new("x"), later), Some(&1));
        assert_eq!(cache.len(), 3);
    }
}
