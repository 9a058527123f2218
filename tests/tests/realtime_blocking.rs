//! Realtime over the blocking client, against the WebSocket-enabled server instance
//! (`directus_tests::realtime`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use directus_blocking::realtime::{Event, ItemsCall, Subscribe, Subscription};
use directus_blocking::{Directus, ErrorCode, F, Item, Key, Query};
use directus_tests::fixtures::{NOTES, READER_EMAIL, READER_PASSWORD, SECRETS};
use directus_tests::realtime::{self, HEARTBEAT_SECS, authority};
use directus_tests::tcp_proxy::TcpProxy;
use directus_tests::unique;
use serde::Deserialize;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize, serde::Serialize, PartialEq)]
struct Note {
    id: String,
    title: String,
}

impl Item for Note {
    const COLLECTION: &'static str = NOTES;
}

fn admin_at(url: &str) -> Directus {
    let s = realtime::server();
    realtime::fixtures();
    Directus::login(url, &s.admin_email, &s.admin_password).unwrap()
}

fn admin() -> Directus {
    admin_at(&realtime::server().url)
}

thread_local! {
    /// The keys this test (thread) created.
    static OWN: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// Whether an event is another test's delete: the server sends every delete of a collection
/// to every subscription on it, whatever the filter (a deleted row cannot be filtered).
fn foreign<T>(event: &Event<T>) -> bool {
    match event {
        Event::Delete(keys) => OWN.with(|own| {
            let own = own.borrow();
            !keys.iter().any(|k| own.contains(&k.to_string()))
        }),
        _ => false,
    }
}

/// The next event of this test, failing the test after [`WAIT`].
fn next<T: serde::de::DeserializeOwned>(sub: &mut Subscription<T>) -> Event<T> {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match sub.recv_timeout(left) {
            Some(event) => {
                // A non-final error (the server judged one event while it was busy
                // re-authenticating the socket, seen rarely under load) does not end the
                // subscription; a lost event still fails the test below.
                let event = match event {
                    Ok(event) => event,
                    Err(e) => {
                        eprintln!("non-final subscription error: {e}");
                        continue;
                    }
                };
                if !foreign(&event) {
                    return event;
                }
            }
            None => panic!("no event within {WAIT:?} (ended: {})", sub.is_ended()),
        }
    }
}

/// Asserts that no event of this test arrives for `time`.
fn quiet<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    sub: &mut Subscription<T>,
    time: Duration,
) {
    let deadline = Instant::now() + time;
    while let Some(event) = sub.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        let event = event.unwrap();
        assert!(foreign(&event), "unexpected {event:?}");
    }
}

fn create_note(d: &Directus, run: &str, title: &str) -> String {
    let row: Value = d
        .collection(NOTES)
        .create(&json!({"title": title, "run": run}))
        .unwrap()
        .unwrap();
    let id = row["id"].as_str().unwrap().to_owned();
    OWN.with(|own| own.borrow_mut().insert(id.clone()));
    id
}

fn rows_of(event: Event<Note>) -> Vec<Note> {
    match event {
        Event::Create(rows) | Event::Update(rows) | Event::Init(rows) => rows,
        other => panic!("rows expected, got {other:?}"),
    }
}

#[test]
fn rest_writes_arrive_as_typed_events_with_the_right_keys_and_the_filter_limits_them() {
    let d = admin();
    let run = unique("rt-events");
    let rt = d.realtime().unwrap();
    // Subscribed before the socket is open: queued, sent after auth.
    let mut sub = rt.subscribe(
        d.collection_of::<Note>()
            .filter(F::eq("run", run.as_str()))
            .fields(["id", "title"]),
    );
    assert_eq!(next(&mut sub), Event::Init(vec![]));
    // A row outside the filter sends nothing; the next event is ours.
    let other = create_note(&d, &unique("rt-other"), "elsewhere");
    let id = create_note(&d, &run, "first");
    let created = rows_of(next(&mut sub));
    assert_eq!(
        created,
        vec![Note {
            id: id.clone(),
            title: "first".into()
        }]
    );
    d.collection(NOTES)
        .update(id.as_str(), &json!({"title": "second"}))
        .unwrap();
    let updated = rows_of(next(&mut sub));
    assert_eq!(
        updated,
        vec![Note {
            id: id.clone(),
            title: "second".into()
        }]
    );
    d.collection(NOTES).delete(id.as_str()).unwrap();
    assert_eq!(next(&mut sub), Event::Delete(vec![Key::from(id.as_str())]));
    // Deletes are not filtered by the server (a deleted row cannot be matched any more):
    // every subscription on the collection receives the keys.
    d.collection(NOTES).delete(other.as_str()).unwrap();
    assert_eq!(
        next(&mut sub),
        Event::Delete(vec![Key::from(other.as_str())])
    );
    quiet(&mut sub, Duration::from_millis(500));
    assert_eq!(rt.status().reconnects, 0);
}

#[test]
fn init_carries_the_current_rows_of_the_filtered_query() {
    let d = admin();
    let run = unique("rt-init");
    for title in ["a", "b", "c"] {
        create_note(&d, &run, title);
    }
    create_note(&d, &unique("rt-init-other"), "x");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(
        Subscribe::new(NOTES).query(
            Query::new()
                .fields(["title"])
                .filter(F::eq("run", run.as_str()))
                .sort("title", directus_blocking::Order::Desc),
        ),
    );
    match next(&mut sub) {
        Event::Init(rows) => assert_eq!(
            rows,
            vec![
                json!({"title": "c"}),
                json!({"title": "b"}),
                json!({"title": "a"})
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_reader_subscribed_to_a_forbidden_collection_gets_a_final_typed_error() {
    realtime::fixtures();
    let d = Directus::login(&realtime::server().url, READER_EMAIL, READER_PASSWORD).unwrap();
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(Subscribe::new(SECRETS));
    match sub.recv_timeout(WAIT) {
        Some(Err(e)) => assert_eq!(e.api().unwrap().code(), &ErrorCode::Forbidden, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(sub.next().is_none());
    assert!(sub.is_ended());
}

#[test]
fn items_over_the_socket() {
    let d = admin();
    let run = unique("rt-items");
    let rt = d.realtime().unwrap();
    let created = rt
        .items(ItemsCall::create(
            NOTES,
            json!({"title": "socket", "run": run}),
        ))
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let read = rt
        .items(
            ItemsCall::read(NOTES).query(
                Query::new()
                    .fields(["title"])
                    .filter(F::eq("run", run.as_str())),
            ),
        )
        .unwrap();
    assert_eq!(read, json!([{"title": "socket"}]));
    let updated = rt
        .items(ItemsCall::update(
            NOTES,
            id.as_str(),
            json!({"title": "socket 2"}),
        ))
        .unwrap();
    assert_eq!(updated["title"], "socket 2");
    rt.items(ItemsCall::delete(NOTES, [id.as_str()])).unwrap();
    let gone = rt
        .items(ItemsCall::read(NOTES).query(Query::new().filter(F::eq("run", run.as_str()))))
        .unwrap();
    assert_eq!(gone, json!([]));
    let forbidden = rt.items(ItemsCall::read("directus_users")).unwrap_err();
    assert!(forbidden.api().is_some(), "{forbidden}");
}

#[test]
fn an_idle_connection_stays_open_across_heartbeats() {
    let d = admin();
    let run = unique("rt-idle");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub), Event::Init(vec![]));
    // Several heartbeat periods: the server pings, the thread answers while nobody reads.
    std::thread::sleep(Duration::from_secs(2 * HEARTBEAT_SECS + 5));
    let id = create_note(&d, &run, "after idle");
    assert_eq!(rows_of(next(&mut sub))[0].id, id);
    let status = rt.status();
    assert!(status.open);
    assert_eq!(status.reconnects, 0, "{status:?}");
}

#[test]
fn token_expiry_on_an_open_socket_keeps_subscriptions_without_reconnecting() {
    // ACCESS_TOKEN_TTL is 10 s on the test servers: 25 s spans two renewals.
    let d = admin();
    let run = unique("rt-expiry");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub), Event::Init(vec![]));
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(25) {
        std::thread::sleep(Duration::from_secs(4));
        n += 1;
        let id = create_note(&d, &run, &format!("n{n}"));
        assert_eq!(rows_of(next(&mut sub))[0].id, id, "event {n}");
    }
    let status = rt.status();
    assert_eq!(status.reconnects, 0, "{status:?}");
    assert!(status.open);
    // Renewed on the same socket (half-life of a 10 s token), through the client's refresh.
    assert!(status.renewals >= 2, "{status:?}");
}

#[test]
fn a_cut_connection_reconnects_resubscribes_and_delivers_later_events() {
    let s = realtime::server();
    let proxy = TcpProxy::start(&authority(&s.url));
    let direct = admin();
    let d = admin_at(&proxy.url());
    let run = unique("rt-cut");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub), Event::Init(vec![]));
    let before = create_note(&direct, &run, "before");
    assert_eq!(rows_of(next(&mut sub))[0].id, before);
    proxy.cut();
    assert_eq!(next(&mut sub), Event::Reconnected);
    // The fresh init holds what exists now.
    assert_eq!(rows_of(next(&mut sub)).len(), 1);
    let after = create_note(&direct, &run, "after");
    assert_eq!(rows_of(next(&mut sub))[0].id, after);
    let status = rt.status();
    assert_eq!(status.reconnects, 1, "{status:?}");
    assert!(proxy.accepted() >= 2);
}

#[test]
fn a_hundred_subscriptions_on_one_connection_and_a_burst_of_a_thousand_events_in_order() {
    let d = admin();
    let rt = d.realtime().unwrap();
    // 100 subscriptions to the same rows (each event costs the server one query per
    // subscription, so one shared filter keeps the test light), with different fields.
    let run = unique("rt-many");
    let mut subs: Vec<Subscription<Value>> = (0..100)
        .map(|i| {
            let fields = if i % 2 == 0 {
                vec!["id", "title"]
            } else {
                vec!["title"]
            };
            rt.subscribe(
                Subscribe::new(NOTES).query(
                    Query::new()
                        .fields(fields)
                        .filter(F::eq("run", run.as_str())),
                ),
            )
        })
        .collect();
    for sub in &mut subs {
        assert_eq!(next(sub), Event::Init(vec![]));
    }
    assert_eq!(rt.status().subscriptions, 100);
    create_note(&d, &run, "for all");
    for (i, sub) in subs.iter_mut().enumerate() {
        match next(sub) {
            Event::Create(rows) => {
                assert_eq!(rows[0]["title"], "for all");
                assert_eq!(rows[0].get("id").is_some(), i % 2 == 0);
            }
            other => panic!("{other:?}: {:?}", rt.status()),
        }
    }
    drop(subs);
    // The burst: 1,000 rows in 10 batches, all on one subscription, in creation order.
    let run = unique("rt-burst");
    let mut burst = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut burst), Event::Init(vec![]));
    for batch in 0..10 {
        let rows: Vec<Value> = (0..100)
            .map(|i| json!({"title": format!("{:04}", batch * 100 + i), "run": run}))
            .collect();
        d.collection(NOTES).create_many(&rows).unwrap();
    }
    let mut titles = Vec::new();
    while titles.len() < 1000 {
        match next(&mut burst) {
            Event::Create(rows) => titles.extend(rows.into_iter().map(|n| n.title)),
            other => panic!("{other:?} after {} events: {:?}", titles.len(), rt.status()),
        }
    }
    let expected: Vec<String> = (0..1000).map(|i| format!("{i:04}")).collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "every event arrived exactly once");
    assert_eq!(titles, expected, "in order");
    assert_eq!(rt.status().subscriptions, 1);
}

/// Strict mode's client side (the token in the connect URL, no `auth` frame; renewals by
/// `auth` messages) works against any server: Directus checks `?access_token=` in every mode.
#[test]
fn strict_mode_sends_the_token_in_the_url() {
    use directus_blocking::realtime::{AuthMode, RealtimeConfig};
    let d = admin();
    let run = unique("rt-strict");
    let rt = d
        .realtime_with(RealtimeConfig::default().auth(AuthMode::Strict))
        .unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub), Event::Init(vec![]));
    let id = create_note(&d, &run, "strict");
    assert_eq!(rows_of(next(&mut sub))[0].id, id);
}
