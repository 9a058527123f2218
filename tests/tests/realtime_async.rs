//! Realtime over the async client (feature `realtime`), against the WebSocket-enabled server
//! instance (`directus_tests::realtime`): the same checks as `realtime_blocking.rs`.

use std::cell::RefCell;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use directus_async::realtime::{Event, ItemsCall, Subscribe, Subscription};
use directus_async::{Directus, ErrorCode, F, Item, Key, Query};
use directus_tests::fixtures::{NOTES, READER_EMAIL, READER_PASSWORD, SECRETS};
use directus_tests::realtime::{self, HEARTBEAT_SECS, authority};
use directus_tests::tcp_proxy::TcpProxy;
use directus_tests::unique;
use futures_util::StreamExt;
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

thread_local! {
    /// The keys this test created (each test runs on its own current-thread runtime).
    static OWN: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// Whether an event is another test's delete (deletes reach every subscription).
fn foreign<T>(event: &Event<T>) -> bool {
    match event {
        Event::Delete(keys) => OWN.with(|own| {
            let own = own.borrow();
            !keys.iter().any(|k| own.contains(&k.to_string()))
        }),
        _ => false,
    }
}

async fn admin_at(url: &str) -> Directus {
    let s = realtime::server();
    tokio::task::spawn_blocking(realtime::fixtures)
        .await
        .unwrap();
    Directus::login(url, &s.admin_email, &s.admin_password)
        .await
        .unwrap()
}

async fn admin() -> Directus {
    admin_at(&realtime::server().url).await
}

async fn next<T: serde::de::DeserializeOwned>(sub: &mut Subscription<T>) -> Event<T> {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, sub.next()).await {
            Ok(Some(event)) => {
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
            Ok(None) => panic!("the subscription ended"),
            Err(_) => panic!("no event within {WAIT:?}"),
        }
    }
}

async fn quiet<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    sub: &mut Subscription<T>,
    time: Duration,
) {
    let deadline = Instant::now() + time;
    while let Ok(Some(event)) = tokio::time::timeout(
        deadline.saturating_duration_since(Instant::now()),
        sub.next(),
    )
    .await
    {
        let event = event.unwrap();
        assert!(foreign(&event), "unexpected {event:?}");
    }
}

async fn create_note(d: &Directus, run: &str, title: &str) -> String {
    let row: Value = d
        .collection(NOTES)
        .create(&json!({"title": title, "run": run}))
        .await
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

#[tokio::test]
async fn rest_writes_arrive_as_typed_events_with_the_right_keys_and_the_filter_limits_them() {
    let d = admin().await;
    let run = unique("rta-events");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(
        d.collection_of::<Note>()
            .filter(F::eq("run", run.as_str()))
            .fields(["id", "title"]),
    );
    assert_eq!(next(&mut sub).await, Event::Init(vec![]));
    let other = create_note(&d, &unique("rta-other"), "elsewhere").await;
    let id = create_note(&d, &run, "first").await;
    assert_eq!(
        rows_of(next(&mut sub).await),
        vec![Note {
            id: id.clone(),
            title: "first".into()
        }]
    );
    d.collection(NOTES)
        .update(id.as_str(), &json!({"title": "second"}))
        .await
        .unwrap();
    assert_eq!(
        rows_of(next(&mut sub).await),
        vec![Note {
            id: id.clone(),
            title: "second".into()
        }]
    );
    d.collection(NOTES).delete(id.as_str()).await.unwrap();
    assert_eq!(
        next(&mut sub).await,
        Event::Delete(vec![Key::from(id.as_str())])
    );
    d.collection(NOTES).delete(other.as_str()).await.unwrap();
    assert_eq!(
        next(&mut sub).await,
        Event::Delete(vec![Key::from(other.as_str())])
    );
    quiet(&mut sub, Duration::from_millis(500)).await;
    assert_eq!(rt.status().reconnects, 0);
}

#[tokio::test]
async fn init_carries_the_current_rows_of_the_filtered_query() {
    let d = admin().await;
    let run = unique("rta-init");
    for title in ["a", "b", "c"] {
        create_note(&d, &run, title).await;
    }
    create_note(&d, &unique("rta-init-other"), "x").await;
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(
        Subscribe::new(NOTES).query(
            Query::new()
                .fields(["title"])
                .filter(F::eq("run", run.as_str()))
                .sort("title", directus_async::Order::Asc),
        ),
    );
    match next(&mut sub).await {
        Event::Init(rows) => assert_eq!(
            rows,
            vec![
                json!({"title": "a"}),
                json!({"title": "b"}),
                json!({"title": "c"})
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reader_subscribed_to_a_forbidden_collection_gets_a_final_typed_error() {
    tokio::task::spawn_blocking(realtime::fixtures)
        .await
        .unwrap();
    let d = Directus::login(&realtime::server().url, READER_EMAIL, READER_PASSWORD)
        .await
        .unwrap();
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(Subscribe::new(SECRETS));
    match tokio::time::timeout(WAIT, sub.next()).await.unwrap() {
        Some(Err(e)) => assert_eq!(e.api().unwrap().code(), &ErrorCode::Forbidden, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(
        tokio::time::timeout(WAIT, sub.next())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn items_over_the_socket() {
    let d = admin().await;
    let run = unique("rta-items");
    let rt = d.realtime().unwrap();
    let created = rt
        .items(ItemsCall::create(
            NOTES,
            json!({"title": "socket", "run": run}),
        ))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let by_run = || {
        ItemsCall::read(NOTES).query(
            Query::new()
                .fields(["title"])
                .filter(F::eq("run", run.as_str())),
        )
    };
    assert_eq!(
        rt.items(by_run()).await.unwrap(),
        json!([{"title": "socket"}])
    );
    let updated = rt
        .items(ItemsCall::update(
            NOTES,
            id.as_str(),
            json!({"title": "socket 2"}),
        ))
        .await
        .unwrap();
    assert_eq!(updated["title"], "socket 2");
    rt.items(ItemsCall::delete(NOTES, [id.as_str()]))
        .await
        .unwrap();
    assert_eq!(rt.items(by_run()).await.unwrap(), json!([]));
    assert!(
        rt.items(ItemsCall::read("directus_users"))
            .await
            .unwrap_err()
            .api()
            .is_some()
    );
}

#[tokio::test]
async fn an_idle_connection_stays_open_across_heartbeats() {
    let d = admin().await;
    let run = unique("rta-idle");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub).await, Event::Init(vec![]));
    // Nobody polls the subscription: the connection task answers the pings.
    tokio::time::sleep(Duration::from_secs(2 * HEARTBEAT_SECS + 5)).await;
    let id = create_note(&d, &run, "after idle").await;
    assert_eq!(rows_of(next(&mut sub).await)[0].id, id);
    let status = rt.status();
    assert!(status.open);
    assert_eq!(status.reconnects, 0, "{status:?}");
}

/// Counts the token refreshes the client sends over HTTP.
struct CountingRefreshes {
    http: reqwest::Client,
    refreshes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl directus_async::HttpClient for CountingRefreshes {
    fn send(
        &self,
        request: http::Request<directus_async::Body>,
        config: &directus_async::Config,
    ) -> futures_util::future::BoxFuture<
        '_,
        directus_async::Result<http::Response<directus_async::Bytes>>,
    > {
        if request.uri().path() == "/auth/refresh" {
            self.refreshes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        self.http.send(request, config)
    }
}

#[tokio::test]
async fn token_expiry_on_an_open_socket_keeps_subscriptions_with_one_refresh_for_rest_and_socket() {
    // ACCESS_TOKEN_TTL is 10 s on the test servers: 25 s spans several renewals.
    let s = realtime::server();
    tokio::task::spawn_blocking(realtime::fixtures)
        .await
        .unwrap();
    let refreshes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let d = Directus::builder(&s.url)
        .client(CountingRefreshes {
            http: directus_async::reqwest_client_builder(&directus_async::Config::default())
                .build()
                .unwrap(),
            refreshes: std::sync::Arc::clone(&refreshes),
        })
        .login(&s.admin_email, &s.admin_password)
        .await
        .unwrap();
    let run = unique("rta-expiry");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub).await, Event::Init(vec![]));
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(25) {
        tokio::time::sleep(Duration::from_secs(4)).await;
        n += 1;
        // REST calls of the same client, with the socket's renewals in between.
        let id = create_note(&d, &run, &format!("n{n}")).await;
        assert_eq!(rows_of(next(&mut sub).await)[0].id, id, "event {n}");
    }
    let status = rt.status();
    assert_eq!(status.reconnects, 0, "{status:?}");
    assert!(status.open);
    // Every refresh served the socket's renewal and the REST calls alike: the REST calls
    // never refreshed on their own, and the socket never refreshed outside the session.
    assert!(status.renewals >= 2, "{status:?}");
    assert_eq!(
        refreshes.load(std::sync::atomic::Ordering::SeqCst),
        status.renewals,
        "{status:?}"
    );
}

#[tokio::test]
async fn a_cut_connection_reconnects_resubscribes_and_delivers_later_events() {
    let s = realtime::server();
    let proxy = TcpProxy::start(&authority(&s.url));
    let direct = admin().await;
    let d = admin_at(&proxy.url()).await;
    let run = unique("rta-cut");
    let rt = d.realtime().unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub).await, Event::Init(vec![]));
    let before = create_note(&direct, &run, "before").await;
    assert_eq!(rows_of(next(&mut sub).await)[0].id, before);
    proxy.cut();
    assert_eq!(next(&mut sub).await, Event::Reconnected);
    assert_eq!(rows_of(next(&mut sub).await).len(), 1);
    let after = create_note(&direct, &run, "after").await;
    assert_eq!(rows_of(next(&mut sub).await)[0].id, after);
    assert_eq!(rt.status().reconnects, 1);
}

#[tokio::test]
async fn a_hundred_subscriptions_on_one_connection_and_a_burst_of_a_thousand_events_in_order() {
    let d = admin().await;
    let rt = d.realtime().unwrap();
    let run = unique("rta-many");
    let mut subs: Vec<Subscription<Value>> = (0..100)
        .map(|_| {
            rt.subscribe(
                Subscribe::new(NOTES).query(
                    Query::new()
                        .fields(["title"])
                        .filter(F::eq("run", run.as_str())),
                ),
            )
        })
        .collect();
    for sub in &mut subs {
        assert_eq!(next(sub).await, Event::Init(vec![]));
    }
    create_note(&d, &run, "for all").await;
    for sub in &mut subs {
        assert_eq!(
            next(sub).await,
            Event::Create(vec![json!({"title": "for all"})])
        );
    }
    drop(subs);
    let run = unique("rta-burst");
    let mut burst = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut burst).await, Event::Init(vec![]));
    for batch in 0..10 {
        let rows: Vec<Value> = (0..100)
            .map(|i| json!({"title": format!("{:04}", batch * 100 + i), "run": run}))
            .collect();
        d.collection(NOTES).create_many(&rows).await.unwrap();
    }
    let mut titles = Vec::new();
    while titles.len() < 1000 {
        match next(&mut burst).await {
            Event::Create(rows) => titles.extend(rows.into_iter().map(|n| n.title)),
            other => panic!("{other:?} after {} events: {:?}", titles.len(), rt.status()),
        }
    }
    let expected: Vec<String> = (0..1000).map(|i| format!("{i:04}")).collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "every event arrived exactly once");
    assert_eq!(titles, expected, "in order");
}

/// Strict mode's client side (the token in the connect URL, no `auth` frame; renewals by
/// `auth` messages) works against any server: Directus checks `?access_token=` in every mode.
#[tokio::test]
async fn strict_mode_sends_the_token_in_the_url() {
    use directus_async::realtime::{AuthMode, RealtimeConfig};
    let d = admin().await;
    let run = unique("rta-strict");
    let rt = d
        .realtime_with(RealtimeConfig::default().auth(AuthMode::Strict))
        .unwrap();
    let mut sub = rt.subscribe(d.collection_of::<Note>().filter(F::eq("run", run.as_str())));
    assert_eq!(next(&mut sub).await, Event::Init(vec![]));
    let id = create_note(&d, &run, "strict").await;
    assert_eq!(rows_of(next(&mut sub).await)[0].id, id);
}
