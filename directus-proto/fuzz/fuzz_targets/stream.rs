//! The streamed-read decoder on arbitrary bodies cut at arbitrary places: nothing panics, every
//! run ends (an error or the end), two different cuts of the same body give the same items and
//! the same outcome, and a body that serde_json reads as a `{"data":[...]}` envelope gives its
//! items.

#![no_main]

use arbitrary::Arbitrary;
use directus_proto::stream::{ItemDecoder, Next};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[derive(Arbitrary, Debug)]
struct Input {
    body: Vec<u8>,
    /// Chunk sizes, used in turn (0 counts as 1).
    cuts: Vec<u8>,
    /// Wrap the body in `{"data":[` ... `]}`.
    wrap: bool,
}

fn decode(body: &[u8], cuts: &[u8]) -> (Vec<Value>, bool) {
    let mut decoder = ItemDecoder::<Value>::new(http::StatusCode::OK).max_item_bytes(1 << 16);
    let (mut at, mut turn, mut items) = (0usize, 0usize, Vec::new());
    loop {
        match decoder.next() {
            Ok(Next::Item(item)) => items.push(item),
            Ok(Next::NeedMore) if at < body.len() => {
                let size = cuts
                    .get(turn % cuts.len().max(1))
                    .map_or(body.len(), |&c| usize::from(c).max(1));
                turn += 1;
                let end = at.saturating_add(size).min(body.len());
                decoder.feed(&body[at..end]);
                at = end;
            }
            Ok(Next::NeedMore) => decoder.end(),
            Ok(Next::End) => return (items, true),
            Err(_) => {
                assert!(matches!(decoder.next(), Ok(Next::End)));
                return (items, false);
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let body = if input.wrap {
        [b"{\"data\":[".as_slice(), &input.body, b"]}"].concat()
    } else {
        input.body
    };
    let (items, ok) = decode(&body, &input.cuts);
    let (whole, whole_ok) = decode(&body, &[]);
    assert_eq!((&items, ok), (&whole, whole_ok), "the cut changed the outcome");
    // An envelope with one key, `data` (so no duplicate keys that serde_json would merge):
    // its items are serde_json's.
    let once = body.windows(6).filter(|w| *w == b"\"data\"").count() == 1;
    if let Ok(envelope) = serde_json::from_slice::<Value>(&body) {
        let only_data = envelope.as_object().is_some_and(|o| o.len() == 1);
        if let Some(data) = envelope.get("data").and_then(Value::as_array) {
            if only_data && once && body.len() < 1 << 16 {
                assert!(ok, "serde_json reads it, the decoder does not");
                assert_eq!(&items, data);
            }
        }
    }
});
