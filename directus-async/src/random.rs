//! Random bits for proto, which draws none of its own: `std`'s randomly keyed hasher (SipHash
//! with keys the OS gives each thread), a counter and the clock. Nobody can predict them; they
//! seed retry and reconnect jitter and make multipart boundaries.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use directus_proto::multipart::Boundary;

/// 128 fresh random bits.
pub(crate) fn bits() -> u128 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since.as_nanos());
    }
    let high = hasher.finish();
    hasher.write_u8(1);
    let low = hasher.finish();
    (u128::from(high) << 64) | u128::from(low)
}

/// A fresh multipart boundary for every upload, from bits nobody can predict, so a streamed
/// file cannot hold it (see [`Boundary`]).
pub(crate) fn boundary() -> Boundary {
    Boundary::random(bits())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_fresh_for_every_upload() {
        let seen: std::collections::HashSet<String> =
            (0..1000).map(|_| boundary().as_str().to_owned()).collect();
        assert_eq!(seen.len(), 1000);
        for b in &seen {
            assert!(Boundary::new(b.as_str()).is_ok());
            assert_eq!(b.len(), "directus-rs-".len() + 32);
        }
    }
}
