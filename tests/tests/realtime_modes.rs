//! The server's two other auth modes, each on its own instance that `scripts/test.sh` starts:
//! `rt-public` (`WEBSOCKETS_REST_AUTH=public`) and `rt-strict` (`WEBSOCKETS_REST_AUTH=strict`),
//! for both clients. (The default, `handshake`, is what `realtime_blocking.rs` and
//! `realtime_async.rs` run on.)

use std::time::Duration;

use directus_tests::fixtures::{self, NOTES};
use directus_tests::{Server, unique};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(15);

/// An instance with its fixtures in place.
fn instance(name: &str) -> Server {
    let server = Server::named(name);
    fixtures::ensure(&server.url, &server.admin_email, &server.admin_password)
        .unwrap_or_else(|e| panic!("fixtures on {}: {e}", server.url));
    server
}

fn created_id(event: &Value) -> Option<String> {
    event.as_array()?.first()?["id"].as_str().map(str::to_owned)
}

mod blocking {
    use super::*;
    use directus_blocking::realtime::{AuthMode, Event, RealtimeConfig, Subscribe};
    use directus_blocking::{Directus, ErrorCode, F, Query};

    /// Strict: the token goes in the connect URL; subscriptions and events work as usual.
    #[test]
    fn strict_server_streams_events() {
        let s = instance("RT_STRICT");
        let d = Directus::login(&s.url, &s.admin_email, &s.admin_password).unwrap();
        let rt = d
            .realtime_with(RealtimeConfig::default().auth(AuthMode::Strict))
            .unwrap();
        let run = unique("rt-strict");
        let mut sub = rt.subscribe(
            Subscribe::new(NOTES).query(Query::new().filter(F::eq("run", run.as_str()))),
        );
        assert!(matches!(sub.recv_timeout(WAIT), Some(Ok(Event::Init(rows))) if rows.is_empty()));
        let row = d
            .collection(NOTES)
            .create(&json!({"title": "strict", "run": run}))
            .unwrap()
            .unwrap();
        match sub.recv_timeout(WAIT) {
            Some(Ok(Event::Create(rows))) => {
                assert_eq!(
                    created_id(&json!(rows)),
                    row["id"].as_str().map(str::to_owned)
                )
            }
            other => panic!("{other:?}"),
        }
    }

    /// Public: nobody needs to authenticate; an anonymous connection gets what the public
    /// policy allows (here nothing: a typed, final `FORBIDDEN`), and a user's connection
    /// still authenticates and reads what the user may.
    #[test]
    fn public_server_serves_anonymous_and_authenticated_sockets() {
        let s = instance("RT_PUBLIC");
        let anonymous = Directus::builder(&s.url).anonymous().unwrap();
        let rt = anonymous
            .realtime_with(RealtimeConfig::default().auth(AuthMode::Public))
            .unwrap();
        let mut sub = rt.subscribe(Subscribe::new(NOTES));
        match sub.recv_timeout(WAIT) {
            Some(Err(e)) => assert_eq!(e.api().unwrap().code(), &ErrorCode::Forbidden, "{e}"),
            other => panic!("{other:?}"),
        }
        let admin = Directus::login(&s.url, &s.admin_email, &s.admin_password).unwrap();
        let rt = admin
            .realtime_with(RealtimeConfig::default().auth(AuthMode::Public))
            .unwrap();
        let run = unique("rt-public");
        let mut sub = rt.subscribe(
            Subscribe::new(NOTES).query(Query::new().filter(F::eq("run", run.as_str()))),
        );
        assert!(matches!(sub.recv_timeout(WAIT), Some(Ok(Event::Init(rows))) if rows.is_empty()));
    }
}

mod nonblocking {
    use super::*;
    use directus_async::realtime::{AuthMode, Event, RealtimeConfig, Subscribe};
    use directus_async::{Directus, ErrorCode, F, Query};
    use futures_util::StreamExt;

    async fn server(name: &'static str) -> Server {
        tokio::task::spawn_blocking(move || instance(name))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn strict_server_streams_events() {
        let s = server("RT_STRICT").await;
        let d = Directus::login(&s.url, &s.admin_email, &s.admin_password)
            .await
            .unwrap();
        let rt = d
            .realtime_with(RealtimeConfig::default().auth(AuthMode::Strict))
            .unwrap();
        let run = unique("rt-strict");
        let mut sub = rt.subscribe(
            Subscribe::new(NOTES).query(Query::new().filter(F::eq("run", run.as_str()))),
        );
        let first = tokio::time::timeout(WAIT, sub.next()).await.unwrap();
        assert!(matches!(first, Some(Ok(Event::Init(rows))) if rows.is_empty()));
        let row = d
            .collection(NOTES)
            .create(&json!({"title": "strict", "run": run}))
            .await
            .unwrap()
            .unwrap();
        match tokio::time::timeout(WAIT, sub.next()).await.unwrap() {
            Some(Ok(Event::Create(rows))) => {
                assert_eq!(
                    created_id(&json!(rows)),
                    row["id"].as_str().map(str::to_owned)
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn public_server_serves_anonymous_and_authenticated_sockets() {
        let s = server("RT_PUBLIC").await;
        let anonymous = Directus::builder(&s.url).anonymous().unwrap();
        let rt = anonymous
            .realtime_with(RealtimeConfig::default().auth(AuthMode::Public))
            .unwrap();
        let mut sub = rt.subscribe(Subscribe::new(NOTES));
        match tokio::time::timeout(WAIT, sub.next()).await.unwrap() {
            Some(Err(e)) => assert_eq!(e.api().unwrap().code(), &ErrorCode::Forbidden, "{e}"),
            other => panic!("{other:?}"),
        }
        let admin = Directus::login(&s.url, &s.admin_email, &s.admin_password)
            .await
            .unwrap();
        let rt = admin
            .realtime_with(RealtimeConfig::default().auth(AuthMode::Public))
            .unwrap();
        let run = unique("rt-public");
        let mut sub = rt.subscribe(
            Subscribe::new(NOTES).query(Query::new().filter(F::eq("run", run.as_str()))),
        );
        let first = tokio::time::timeout(WAIT, sub.next()).await.unwrap();
        assert!(matches!(first, Some(Ok(Event::Init(rows))) if rows.is_empty()));
    }
}
