//! `web::relay::Relay` with any sequence of browser messages, subscription events and ends, and
//! timers: nothing panics; every subscription handed out is allowed by the config and within
//! its limit; every message for the browser is a JSON object; a subscription's key is never
//! reused; events of ended subscriptions go nowhere.

#![no_main]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use directus_proto::realtime::Event;
use directus_proto::web::relay::{Decision, Relay, RelayConfig, SubKey};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

#[derive(Arbitrary, Debug)]
enum Step {
    /// Any text from the browser.
    Text(String),
    /// A subscribe message with arbitrary parts.
    Subscribe {
        uid: String,
        collection: u8,
        filter: String,
        fields: Vec<String>,
        limit: Option<u32>,
    },
    Unsubscribe(String),
    Binary,
    /// An event for the n-th key handed out.
    Event(u8),
    /// The n-th key's subscription ended.
    Ended(u8),
    /// Time passes (ms).
    Wait(u16),
}

const COLLECTIONS: [&str; 3] = ["posts", "secrets", "directus_users"];

fn check(text: &str) {
    let value: Value = serde_json::from_str(text).expect("JSON for the browser");
    assert!(value.is_object(), "{text}");
}

fuzz_target!(|steps: Vec<Step>| {
    let mut now = Instant::now();
    let config = RelayConfig::default()
        .collections(["posts", "directus_users"])
        .max_subscriptions(3)
        .frame_limit(4096)
        .heartbeat(Duration::from_secs(1));
    let mut relay = Relay::new(config, Some(Duration::from_secs(30)), now);
    let mut keys: Vec<SubKey> = Vec::new();
    let mut seen: BTreeSet<SubKey> = BTreeSet::new();
    let mut ended: BTreeSet<SubKey> = BTreeSet::new();
    for step in steps.into_iter().take(256) {
        let decision = match step {
            Step::Text(text) => Some(relay.received_text(&text, now)),
            Step::Subscribe { uid, collection, filter, fields, limit } => {
                let filter: Value = serde_json::from_str(&filter).unwrap_or(Value::Null);
                let mut query = json!({"fields": fields, "filter": filter});
                if let Some(limit) = limit {
                    query["limit"] = json!(limit);
                }
                let text = json!({"type": "subscribe", "uid": uid,
                    "collection": COLLECTIONS[usize::from(collection) % COLLECTIONS.len()],
                    "query": query});
                Some(relay.received_text(&text.to_string(), now))
            }
            Step::Unsubscribe(uid) => {
                let text = json!({"type": "unsubscribe", "uid": uid}).to_string();
                Some(relay.received_text(&text, now))
            }
            Step::Binary => {
                relay.received_binary(now);
                None
            }
            Step::Event(n) => {
                if let Some(&key) = keys.get(usize::from(n) % keys.len().max(1)) {
                    let out = relay.event(key, Ok(Event::Create(vec![json!({"id": 1})])));
                    if ended.contains(&key) {
                        assert!(out.is_none());
                    }
                    if let Some(text) = out {
                        check(&text);
                    }
                }
                None
            }
            Step::Ended(n) => {
                if let Some(&key) = keys.get(usize::from(n) % keys.len().max(1)) {
                    if let Some(text) = relay.ended(key) {
                        check(&text);
                    }
                    ended.insert(key);
                }
                None
            }
            Step::Wait(ms) => {
                now += Duration::from_millis(u64::from(ms));
                let _ = relay.timer(now);
                assert!(relay.deadline() > now || relay.timer(now).is_some());
                None
            }
        };
        match decision {
            Some(Decision::Subscribe { key, subscribe }) => {
                assert!(relay.config().allows(subscribe.collection()));
                assert!(seen.insert(key), "a key was reused");
                keys.push(key);
            }
            Some(Decision::Unsubscribe { key, reply }) => {
                check(&reply);
                ended.insert(key);
            }
            Some(Decision::Reply(text)) => check(&text),
            Some(Decision::Close(close)) => assert!(close.reason.len() <= 123),
            None => {}
        }
        assert!(relay.subscriptions() <= relay.config().subscription_limit());
    }
});
