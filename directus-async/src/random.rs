//! Random bits for proto, which draws none of its own: `std`'s randomly keyed hasher (SipHash
//! with keys the OS gives each thread), a counter and the clock. Nobody can predict them; they
//! seed retry jitter and make multipart boundaries.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

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
