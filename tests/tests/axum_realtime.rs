//! The realtime relay route (`directus_async::axum::realtime`) served on loopback in front of
//! the WebSocket-enabled server instance (`directus_tests::realtime`), with tokio-tungstenite
//! as the browser: events of the caller's subscriptions arrive (cookies, a refresh cookie
//! alone, a bearer token), the allow-list and Directus' permissions refuse with error messages,
//! an unauthenticated upgrade is `401`, and hostile frames close the socket.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use directus_async::Directus;
use directus_async::axum::{DirectusWeb, realtime, session};
use directus_proto::realtime::{Backoff, RealtimeConfig};
use directus_proto::web::CookieSettings;
use directus_proto::web::relay::RelayConfig;
use directus_tests::fixtures::{
    NOTES, PRODUCTS, READER_EMAIL, READER_PASSWORD, SECRETS, STATIC_TOKEN,
};
use directus_tests::realtime::{self, authority};
use directus_tests::tcp_proxy::TcpProxy;
use directus_tests::unique;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

const WAIT: Duration = Duration::from_secs(15);
const ACCESS: &str = "directus_access_token";
const REFRESH: &str = "directus_refresh_token";

type Browser = WebSocketStream<TcpStream>;

/// The realtime instance with its fixtures, and its URL.
async fn directus_url() -> String {
    tokio::task::spawn_blocking(realtime::fixtures)
        .await
        .unwrap();
    realtime::server().url
}

/// The app: login routes and the relay at `/realtime`, on an ephemeral loopback port. Its
/// service client is the static-token admin: were the relay to use it, the reader's refusals
/// below would not happen.
async fn serve(url: &str, relay: RelayConfig) -> String {
    let web = DirectusWeb::builder(url)
        .cookies(CookieSettings::default().secure(false))
        .service(Directus::with_token(url, STATIC_TOKEN).unwrap())
        .realtime(relay)
        .build()
        .unwrap();
    let app = Router::new()
        .route("/realtime", get(realtime))
        .merge(web.auth_routes())
        .layer(axum::middleware::from_fn_with_state(web, session));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("127.0.0.1:{}", addr.port())
}

/// Logs in through the app's `/login` and answers the `Cookie` header the browser then sends.
async fn login(app: &str, email: &str, password: &str) -> (String, String) {
    let response = reqwest::Client::new()
        .post(format!("http://{app}/login"))
        .header("content-type", "application/json")
        .body(json!({"email": email, "password": password}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cookie = |name: &str| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    (cookie(ACCESS), cookie(REFRESH))
}

/// Opens the browser's socket with one header (or none).
async fn connect(
    app: &str,
    header: Option<(&str, &str)>,
) -> Result<(Browser, http::Response<Option<Vec<u8>>>), tungstenite::Error> {
    let mut request = format!("ws://{app}/realtime")
        .into_client_request()
        .unwrap();
    if let Some((name, value)) = header {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let tcp = TcpStream::connect(app).await.unwrap();
    tokio_tungstenite::client_async(request, tcp).await
}

async fn send(ws: &mut Browser, message: Value) {
    ws.send(Message::text(message.to_string())).await.unwrap();
}

/// The next JSON message for which `wanted` holds (others, such as deletes of other tests'
/// rows, are skipped). No message may mention Directus' address or a token.
async fn until(ws: &mut Browser, secrets: &[&str], wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no wanted message within {WAIT:?}"));
        match message {
            Some(Ok(Message::Text(text))) => {
                for secret in secrets {
                    assert!(!text.contains(secret), "{text} tells {secret}");
                }
                let value: Value = serde_json::from_str(&text).unwrap();
                if wanted(&value) {
                    return value;
                }
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

fn with_uid(uid: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["uid"] == uid
}

/// The close frame the app sends next.
async fn close_code(ws: &mut Browser) -> CloseCode {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code,
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("a close frame expected, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cookie_browser_gets_its_events() {
    let url = directus_url().await;
    let s = realtime::server();
    let admin = Directus::login(&url, &s.admin_email, &s.admin_password)
        .await
        .unwrap();
    let app = serve(
        &url,
        RelayConfig::default().collections([PRODUCTS, SECRETS]),
    )
    .await;
    let (mut ws, secrets) = reader_socket(&app, &url).await;
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();

    let run = unique("relay");
    send(
        &mut ws,
        json!({"type": "subscribe", "uid": "p", "collection": PRODUCTS,
               "query": {"fields": ["id", "name", "run"], "filter": {"run": {"_eq": run}}}}),
    )
    .await;
    let init = until(&mut ws, &secrets, with_uid("p")).await;
    assert_eq!(
        init,
        json!({"type": "subscription", "event": "init", "data": [], "uid": "p"})
    );
    let created: Value = admin
        .collection(PRODUCTS)
        .create(&json!({"name": "relayed", "run": run}))
        .await
        .unwrap()
        .unwrap();
    let event = until(&mut ws, &secrets, |v| {
        v["uid"] == "p" && v["event"] == "create"
    })
    .await;
    assert_eq!(
        event["data"],
        json!([{"id": created["id"], "name": "relayed", "run": run}])
    );
    send(&mut ws, json!({"type": "unsubscribe", "uid": "p"})).await;
    let ended = until(&mut ws, &secrets, with_uid("p")).await;
    assert_eq!(
        ended,
        json!({"type": "subscription", "event": "unsubscribe", "uid": "p"})
    );
}

/// A reader's socket, opened with its cookies; what no message may tell (Directus' address,
/// the tokens).
async fn reader_socket(app: &str, url: &str) -> (Browser, Vec<String>) {
    let (access, refresh) = login(app, READER_EMAIL, READER_PASSWORD).await;
    let cookies = format!("{ACCESS}={access}; {REFRESH}={refresh}");
    let (ws, _) = connect(app, Some(("cookie", &cookies))).await.unwrap();
    (ws, vec![authority(url), access, refresh])
}

// The test servers' tokens live 10 s, and so do these sockets: each test is short.
#[tokio::test(flavor = "multi_thread")]
async fn a_cookie_browser_gets_clear_refusals() {
    let url = directus_url().await;
    let app = serve(
        &url,
        RelayConfig::default().collections([PRODUCTS, SECRETS]),
    )
    .await;
    let (mut ws, secrets) = reader_socket(&app, &url).await;
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();

    // Outside the allow-list: refused by the app, Directus is not asked.
    send(
        &mut ws,
        json!({"type": "subscribe", "uid": "n", "collection": NOTES}),
    )
    .await;
    let refused = until(&mut ws, &secrets, with_uid("n")).await;
    assert_eq!(refused["status"], "error");
    assert_eq!(refused["error"]["code"], "FORBIDDEN");

    // Allowed here, but the reader may not read it: Directus' refusal, then the end.
    send(
        &mut ws,
        json!({"type": "subscribe", "uid": "s", "collection": SECRETS}),
    )
    .await;
    let refused = until(&mut ws, &secrets, with_uid("s")).await;
    assert_eq!(refused["type"], "subscribe", "{refused}");
    assert_eq!(refused["status"], "error", "{refused}");
    assert_eq!(refused["error"]["code"], "FORBIDDEN", "{refused}");
    let ended = until(&mut ws, &secrets, with_uid("s")).await;
    assert_eq!(
        ended,
        json!({"type": "subscription", "event": "unsubscribe", "uid": "s"})
    );

    // Messages for Directus other than subscriptions are not relayed.
    send(
        &mut ws,
        json!({"type": "items", "action": "read", "collection": SECRETS, "uid": "x"}),
    )
    .await;
    let refused = until(&mut ws, &secrets, |v| v["type"] == "error").await;
    assert_eq!(refused["error"]["code"], "INVALID_PAYLOAD");

    send(&mut ws, json!({"type": "unsubscribe", "uid": "p"})).await;
    let unknown = until(&mut ws, &secrets, with_uid("p")).await;
    assert_eq!(unknown["type"], "unsubscribe", "{unknown}");
    assert_eq!(unknown["status"], "error", "{unknown}");
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(
        until(&mut ws, &secrets, |_| true).await,
        json!({"type": "pong"})
    );
    ws.close(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_cookie_alone_is_refreshed_on_the_upgrade() {
    let url = directus_url().await;
    let app = serve(&url, RelayConfig::default()).await;
    let (_, refresh) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    let (mut ws, response) = connect(&app, Some(("cookie", &format!("{REFRESH}={refresh}"))))
        .await
        .unwrap();
    let set: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with(&format!("{ACCESS}="))),
        "{set:?}"
    );
    assert!(
        set.iter()
            .any(|c| c.starts_with(&format!("{REFRESH}=")) && !c.contains(&refresh)),
        "{set:?}"
    );
    send(
        &mut ws,
        json!({"type": "subscribe", "uid": "p", "collection": PRODUCTS,
               "query": {"fields": ["id"], "filter": {"run": {"_eq": unique("relay-r")}}}}),
    )
    .await;
    let init = until(&mut ws, &[&refresh], with_uid("p")).await;
    assert_eq!(init["event"], "init", "{init}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bearer_caller_sees_its_own_writes() {
    let url = directus_url().await;
    let app = serve(&url, RelayConfig::default()).await;
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let (mut ws, _) = connect(&app, Some(("authorization", &bearer)))
        .await
        .unwrap();
    let run = unique("relay-b");
    send(
        &mut ws,
        json!({"type": "subscribe", "uid": "mine", "collection": NOTES, "event": "create",
               "query": {"fields": ["id", "title"], "filter": {"run": {"_eq": run}}}}),
    )
    .await;
    let secrets = [authority(&url), STATIC_TOKEN.to_owned()];
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let init = until(&mut ws, &secrets, with_uid("mine")).await;
    assert_eq!(init["event"], "init", "{init}");
    // The same user writes through REST.
    let me = Directus::with_token(&url, STATIC_TOKEN).unwrap();
    let note: Value = me
        .collection(NOTES)
        .create(&json!({"title": "from the bearer", "run": run}))
        .await
        .unwrap()
        .unwrap();
    let event = until(&mut ws, &secrets, |v| v["event"] == "create").await;
    assert_eq!(
        event["data"],
        json!([{"id": note["id"], "title": "from the bearer"}])
    );
    // System collections are not relayed without an allow-list naming them.
    send(
        &mut ws,
        json!({"type": "subscribe", "uid": "u", "collection": "directus_users"}),
    )
    .await;
    let refused = until(&mut ws, &secrets, with_uid("u")).await;
    assert_eq!(refused["error"]["code"], "FORBIDDEN");
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthenticated_or_plain_requests_are_refused() {
    let url = directus_url().await;
    let app = serve(&url, RelayConfig::default()).await;
    match connect(&app, None).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("401 expected, got {:?}", other.map(|(_, r)| r.status())),
    }
    match connect(&app, Some(("cookie", &format!("{ACCESS}=not-a-token")))).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("401 expected, got {:?}", other.map(|(_, r)| r.status())),
    }
    // Over the app's limit of relayed sockets: 503, until one closes.
    let app = serve(&url, RelayConfig::default().max_connections(1)).await;
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let (mut first, _) = connect(&app, Some(("authorization", &bearer)))
        .await
        .unwrap();
    match connect(&app, Some(("authorization", &bearer))).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("503 expected, got {:?}", other.map(|(_, r)| r.status())),
    }
    first.close(None).await.unwrap();
    // The slot is free once the app has closed its side (bounded wait).
    let mut again = None;
    for _ in 0..100 {
        if let Ok((ws, _)) = connect(&app, Some(("authorization", &bearer))).await {
            again = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "the slot was never freed");
    // Not an upgrade: 426, even with credentials.
    let response = reqwest::Client::new()
        .get(format!("http://{app}/realtime"))
        .bearer_auth(STATIC_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 426);
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_and_binary_frames_close_the_socket() {
    let url = directus_url().await;
    let app = serve(&url, RelayConfig::default().frame_limit(1024)).await;
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let (mut ws, _) = connect(&app, Some(("authorization", &bearer)))
        .await
        .unwrap();
    let big = json!({"type": "subscribe", "uid": "big", "collection": NOTES,
                     "query": {"search": "x".repeat(4096)}});
    send(&mut ws, big).await;
    assert_eq!(close_code(&mut ws).await, CloseCode::Size);

    let (mut ws, _) = connect(&app, Some(("authorization", &bearer)))
        .await
        .unwrap();
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(close_code(&mut ws).await, CloseCode::Unsupported);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_that_does_not_answer_pings_is_closed() {
    let url = directus_url().await;
    let beat = Duration::from_millis(300);
    let app = serve(&url, RelayConfig::default().heartbeat(beat)).await;
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let (mut ws, _) = connect(&app, Some(("authorization", &bearer)))
        .await
        .unwrap();
    // Not reading: the client library answers no ping.
    tokio::time::sleep(beat * 4).await;
    let mut pinged = false;
    let code = loop {
        match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
            Some(Ok(Message::Ping(_))) => pinged = true,
            Some(Ok(Message::Close(Some(frame)))) => break frame.code,
            other => panic!("a ping, then a close expected, got {other:?}"),
        }
    };
    assert!(pinged);
    assert_eq!(code, CloseCode::Away);
}

#[tokio::test(flavor = "multi_thread")]
async fn when_directus_goes_away_the_browser_is_told_and_closed() {
    let url = directus_url().await;
    let proxy = TcpProxy::start(&authority(&url));
    let upstream = RealtimeConfig::default().backoff(
        Backoff::default()
            .initial(Duration::from_millis(10))
            .max_attempts(Some(1)),
    );
    let app = serve(&proxy.url(), RelayConfig::default().upstream(upstream)).await;
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let (mut ws, _) = connect(&app, Some(("authorization", &bearer)))
        .await
        .unwrap();
    send(
        &mut ws,
        json!({"type": "subscribe", "uid": "n", "collection": NOTES, "event": "delete"}),
    )
    .await;
    assert_eq!(until(&mut ws, &[], with_uid("n")).await["event"], "init");
    // The network to Directus is cut, and it stays away: one reconnect attempt, refused.
    drop(proxy);
    let error = until(&mut ws, &[], |v| v["uid"] == "n" && v["event"] != "delete").await;
    assert_eq!(error["status"], "error", "{error}");
    assert_eq!(error["error"]["code"], "BAD_GATEWAY", "{error}");
    let ended = until(&mut ws, &[], |v| v["uid"] == "n" && v["event"] != "delete").await;
    assert_eq!(ended["event"], "unsubscribe", "{ended}");
    assert_eq!(close_code(&mut ws).await, CloseCode::Error);
}

/// The test servers' access tokens live 10 s (`ACCESS_TOKEN_TTL`): a cookie browser's socket
/// ends with 4401 shortly before its token does, and the next socket refreshes its cookies.
#[tokio::test(flavor = "multi_thread")]
async fn a_cookie_session_ends_with_4401_and_the_next_socket_refreshes() {
    let url = directus_url().await;
    let app = serve(&url, RelayConfig::default()).await;
    let (access, refresh) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    let cookies = format!("{ACCESS}={access}; {REFRESH}={refresh}");
    let (mut ws, _) = connect(&app, Some(("cookie", &cookies))).await.unwrap();
    let subscribe = json!({"type": "subscribe", "uid": "p", "collection": PRODUCTS,
                           "query": {"fields": ["id"], "filter": {"run": {"_eq": unique("relay-s")}}}});
    send(&mut ws, subscribe.clone()).await;
    assert_eq!(until(&mut ws, &[], with_uid("p")).await["event"], "init");
    assert_eq!(close_code(&mut ws).await, CloseCode::from(4401));

    // The same cookies again: the access token is (about to be) expired; the upgrade refreshes
    // and its 101 sets the new cookies.
    let (mut ws, response) = connect(&app, Some(("cookie", &cookies))).await.unwrap();
    let set: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with(&format!("{ACCESS}="))
            && !c.starts_with(&format!("{ACCESS}={access}"))),
        "{set:?}"
    );
    send(&mut ws, subscribe).await;
    assert_eq!(until(&mut ws, &[], with_uid("p")).await["event"], "init");
}
