//! Realtime faults, for both drivers: a server restart (the realtime instance is stopped and
//! started again: in its own test binary, so no other test sees it), and hostile frames from a
//! scripted WebSocket server.

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use directus_blocking::realtime::{Backoff, Event, RealtimeConfig, Subscribe};
use directus_tests::fixtures::NOTES;
use directus_tests::{realtime, unique};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tungstenite::Message;

const WAIT: Duration = Duration::from_secs(60);

/// Events of a run's notes until `want` arrives (skipping other tests' deletes).
fn blocking_until(
    sub: &mut directus_blocking::realtime::Subscription<Value>,
    want: fn(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = sub.recv_timeout(left).expect("an event in time").unwrap();
        if !matches!(event, Event::Delete(_)) {
            assert!(want(&event), "unexpected {event:?}");
            return event;
        }
    }
}

async fn async_until(
    sub: &mut directus_async::realtime::Subscription<Value>,
    want: fn(&Event) -> bool,
) -> Event {
    loop {
        let event = tokio::time::timeout(WAIT, sub.next())
            .await
            .expect("an event in time")
            .expect("the subscription is live")
            .unwrap();
        if !matches!(event, Event::Delete(_)) {
            assert!(want(&event), "unexpected {event:?}");
            return event;
        }
    }
}

#[test]
fn both_clients_come_back_after_a_server_restart_with_their_subscriptions() {
    let s = realtime::server();
    realtime::fixtures();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let run = unique("rt-restart");
    let filter = || {
        Subscribe::new(NOTES).query(
            directus_blocking::Query::new()
                .fields(["title"])
                .filter(directus_blocking::F::eq("run", run.as_str())),
        )
    };
    let fast = RealtimeConfig::default().backoff(Backoff::default().max(Duration::from_secs(2)));

    let blocking =
        directus_blocking::Directus::login(&s.url, &s.admin_email, &s.admin_password).unwrap();
    let rt_b = blocking.realtime_with(fast.clone()).unwrap();
    let mut sub_b = rt_b.subscribe(filter());
    let asynchronous = runtime
        .block_on(directus_async::Directus::login(
            &s.url,
            &s.admin_email,
            &s.admin_password,
        ))
        .unwrap();
    let _guard = runtime.enter();
    let rt_a = asynchronous.realtime_with(fast).unwrap();
    let mut sub_a = rt_a.subscribe(filter());
    assert_eq!(
        blocking_until(&mut sub_b, |e| matches!(e, Event::Init(_))),
        Event::Init(vec![])
    );
    assert_eq!(
        runtime.block_on(async_until(&mut sub_a, |e| matches!(e, Event::Init(_)))),
        Event::Init(vec![])
    );
    let _: Option<Value> = blocking
        .collection(NOTES)
        .create(&json!({"title": "before", "run": run}))
        .unwrap();
    blocking_until(&mut sub_b, |e| matches!(e, Event::Create(_)));
    runtime.block_on(async_until(&mut sub_a, |e| matches!(e, Event::Create(_))));

    realtime::restart_server();

    // Both notice, reconnect, re-subscribe: Reconnected, then a fresh init with the row.
    assert_eq!(
        blocking_until(&mut sub_b, |e| matches!(e, Event::Reconnected)),
        Event::Reconnected
    );
    assert_eq!(
        blocking_until(&mut sub_b, |e| matches!(e, Event::Init(_))),
        Event::Init(vec![json!({"title": "before"})])
    );
    runtime.block_on(async {
        assert_eq!(
            async_until(&mut sub_a, |e| matches!(e, Event::Reconnected)).await,
            Event::Reconnected
        );
        assert_eq!(
            async_until(&mut sub_a, |e| matches!(e, Event::Init(_))).await,
            Event::Init(vec![json!({"title": "before"})])
        );
    });
    // Events written after the restart arrive.
    let _: Option<Value> = blocking
        .collection(NOTES)
        .create(&json!({"title": "after", "run": run}))
        .unwrap();
    assert_eq!(
        blocking_until(&mut sub_b, |e| matches!(e, Event::Create(_))),
        Event::Create(vec![json!({"title": "after"})])
    );
    assert_eq!(
        runtime.block_on(async_until(&mut sub_a, |e| matches!(e, Event::Create(_)))),
        Event::Create(vec![json!({"title": "after"})])
    );
    assert!(rt_b.status().reconnects >= 1);
    assert!(rt_a.status().reconnects >= 1);
}

/// A scripted server: on the first connection it answers auth and the subscription, then
/// sends hostile frames, one event, and a 10 MB frame (over the client's 1 MB limit, so the
/// client drops the connection); on the second it answers again with one row in the init.
fn hostile_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for round in 0..2 {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let Ok(mut ws) = tungstenite::accept(stream) else {
                return;
            };
            let mut read_json = || -> Option<Value> {
                match ws.read() {
                    Ok(Message::Text(t)) => serde_json::from_str(t.as_str()).ok(),
                    _ => None,
                }
            };
            let auth = read_json().unwrap_or_default();
            assert_eq!(auth["type"], "auth");
            assert_eq!(auth["access_token"], "tok");
            let _ = ws.send(Message::text(r#"{"type":"auth","status":"ok"}"#));
            let mut read_json = || -> Option<Value> {
                match ws.read() {
                    Ok(Message::Text(t)) => serde_json::from_str(t.as_str()).ok(),
                    _ => None,
                }
            };
            let sub = read_json().unwrap_or_default();
            let uid = sub["uid"].clone();
            if round == 0 {
                let frames = [
                    json!({"type": "subscription", "event": "init", "data": [], "uid": uid}).to_string(),
                    "not json at all".to_owned(),
                    "[".repeat(10_000),
                    json!({"type": "mystery", "uid": uid}).to_string(),
                    json!({"type": "subscription", "event": "create", "data": [{"id": 5}], "uid": uid}).to_string(),
                ];
                let _ = ws.send(Message::binary(vec![0xde, 0xad, 0xbe, 0xef]));
                for frame in frames {
                    let _ = ws.send(Message::text(frame));
                }
                let big = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(10 << 20));
                let _ = ws.send(Message::text(big));
                // Wait for the client to drop the connection.
                while ws.read().is_ok() {}
            } else {
                let _ = ws.send(Message::text(
                    json!({"type": "subscription", "event": "init", "data": [{"id": 1}], "uid": uid}).to_string(),
                ));
                while ws.read().is_ok() {}
            }
        }
    });
    url
}

fn hostile_config() -> RealtimeConfig {
    RealtimeConfig::default()
        .frame_limit(1 << 20)
        .backoff(Backoff::default().initial(Duration::from_millis(50)))
}

const HOSTILE_EVENTS: fn() -> Vec<Event> = || {
    vec![
        Event::Init(vec![]),
        Event::Create(vec![json!({"id": 5})]),
        Event::Reconnected,
        Event::Init(vec![json!({"id": 1})]),
    ]
};

#[test]
fn blocking_client_survives_hostile_frames() {
    let url = hostile_server();
    let d = directus_blocking::Directus::with_token(&url, "tok").unwrap();
    let rt = d.realtime_with(hostile_config()).unwrap();
    let mut sub = rt.subscribe(Subscribe::new("posts"));
    let events: Vec<Event> = (0..4)
        .map(|_| sub.recv_timeout(WAIT).expect("an event").unwrap())
        .collect();
    assert_eq!(events, HOSTILE_EVENTS());
    let status = rt.status();
    assert!(status.ignored_frames >= 4, "{status:?}");
    assert!(status.last_error.is_some_and(|e| !e.contains("tok")));
}

#[tokio::test]
async fn async_client_survives_hostile_frames() {
    let url = hostile_server();
    let d = directus_async::Directus::with_token(&url, "tok").unwrap();
    let rt = d.realtime_with(hostile_config()).unwrap();
    let mut sub = rt.subscribe(Subscribe::new("posts"));
    let mut events = Vec::new();
    for _ in 0..4 {
        events.push(
            tokio::time::timeout(WAIT, sub.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(events, HOSTILE_EVENTS());
    let status = rt.status();
    assert!(status.ignored_frames >= 4, "{status:?}");
}

/// A scripted server that answers auth and the subscription with an init and three creates
/// at once, then waits for the client to go.
fn flooding_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let Ok(mut ws) = tungstenite::accept(stream) else {
            return;
        };
        let _auth = ws.read();
        let _ = ws.send(Message::text(r#"{"type":"auth","status":"ok"}"#));
        let uid = match ws.read() {
            Ok(Message::Text(t)) => {
                serde_json::from_str::<Value>(t.as_str()).unwrap_or_default()["uid"].clone()
            }
            _ => return,
        };
        let _ = ws.send(Message::text(
            json!({"type": "subscription", "event": "init", "data": [], "uid": uid}).to_string(),
        ));
        for id in 1..=3 {
            let _ = ws.send(Message::text(
                json!({"type": "subscription", "event": "create", "data": [{"id": id}], "uid": uid}).to_string(),
            ));
        }
        while ws.read().is_ok() {}
    });
    url
}

/// Waits (bounded) until the connection dropped the subscription.
fn until_unsubscribed(status: impl Fn() -> directus_blocking::realtime::Status) {
    let deadline = Instant::now() + WAIT;
    while status().subscriptions > 0 {
        assert!(Instant::now() < deadline, "the subscription was not ended");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn blocking_a_consumer_that_falls_a_buffer_behind_gets_an_error_not_unbounded_memory() {
    let d = directus_blocking::Directus::with_token(flooding_server(), "tok").unwrap();
    let rt = d
        .realtime_with(RealtimeConfig::default().buffer(1))
        .unwrap();
    let mut sub = rt.subscribe(Subscribe::new("posts"));
    until_unsubscribed(|| rt.status());
    assert_eq!(sub.next().unwrap().unwrap(), Event::Init(vec![]));
    let err = sub.next().unwrap().unwrap_err();
    assert!(err.to_string().contains("fell behind"), "{err}");
    assert!(sub.next().is_none());
}

#[tokio::test]
async fn async_a_consumer_that_falls_a_buffer_behind_gets_an_error_not_unbounded_memory() {
    let d = directus_async::Directus::with_token(flooding_server(), "tok").unwrap();
    let rt = d
        .realtime_with(RealtimeConfig::default().buffer(1))
        .unwrap();
    let mut sub = rt.subscribe(Subscribe::new("posts"));
    let deadline = Instant::now() + WAIT;
    while rt.status().subscriptions > 0 {
        assert!(Instant::now() < deadline, "the subscription was not ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sub.next().await.unwrap().unwrap(), Event::Init(vec![]));
    let err = sub.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("fell behind"), "{err}");
    assert!(sub.next().await.is_none());
}

/// A loopback URL where nothing listens.
fn nothing_listens() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn blocking_an_item_call_that_cannot_be_sent_times_out_and_is_dropped() {
    let d = directus_blocking::Directus::builder(nothing_listens())
        .config(directus_blocking::Config::default().timeout(Duration::from_millis(300)))
        .token("tok")
        .unwrap();
    let rt = d.realtime().unwrap();
    let err = rt
        .items(directus_blocking::realtime::ItemsCall::create(
            "posts",
            json!({}),
        ))
        .unwrap_err();
    assert!(
        matches!(&err, directus_blocking::Error::Transport(t) if t.kind() == directus_blocking::TransportErrorKind::Timeout),
        "{err}"
    );
    let status = rt.status();
    assert!(!status.open && status.attempts >= 1, "{status:?}");
}

#[tokio::test]
async fn async_an_item_call_that_cannot_be_sent_times_out_and_is_dropped() {
    let d = directus_async::Directus::builder(nothing_listens())
        .config(directus_async::Config::default().timeout(Duration::from_millis(300)))
        .token("tok")
        .unwrap();
    let rt = d.realtime().unwrap();
    let err = rt
        .items(directus_async::realtime::ItemsCall::create(
            "posts",
            json!({}),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, directus_async::Error::Transport(t) if t.kind() == directus_async::TransportErrorKind::Timeout),
        "{err}"
    );
}
