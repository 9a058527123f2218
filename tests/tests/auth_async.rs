//! Authentication of the async client against a real server, counted through the proxy: the
//! scenarios of `auth_blocking.rs`, plus the 64-task refresh storm, a future dropped
//! mid-refresh, and 200 concurrent reads.

use std::sync::Arc;
use std::time::Duration;

use directus_async::{Credentials, Directus, Error, ErrorCode, HttpClient};
use directus_tests::Server;
use directus_tests::fixtures::{
    PRODUCTS, READER_EMAIL, READER_PASSWORD, SECRETS, STATIC_TOKEN, TOKEN_EMAIL,
};
use directus_tests::proxy::{Proxy, raw_refresh};
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, stream};

/// Past the server's ACCESS_TOKEN_TTL (10 s).
const PAST_TTL: Duration = Duration::from_secs(11);

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

async fn admin(url: &str, server: &Server) -> Directus {
    Directus::login(url, &server.admin_email, &server.admin_password)
        .await
        .expect("admin login")
}

fn refresh_token(client: &Directus) -> String {
    client
        .session_state()
        .refresh_token()
        .expect("a logged-in client has a refresh token")
        .expose()
        .to_owned()
}

/// `raw_refresh` is blocking (plain ureq): off the runtime's threads.
async fn raw_refresh_status(url: &str, token: &str) -> u16 {
    let (url, token) = (url.to_owned(), token.to_owned());
    tokio::task::spawn_blocking(move || raw_refresh(&url, &token))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_is_invalid_credentials() {
    let server = server();
    let err = Directus::login(&server.url, &server.admin_email, "not-the-password")
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.code(), &ErrorCode::InvalidCredentials, "{err:?}");
    assert_eq!(api.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn static_token_is_the_token_user() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = Directus::with_token(proxy.url(), STATIC_TOKEN).unwrap();
    let me = client.me().await.unwrap();
    assert_eq!(me["email"], TOKEN_EMAIL);
    assert_eq!(me["id"], server.fixtures().token_user.as_str());
    assert_eq!(proxy.count("POST", "/auth/refresh"), 0);
    assert!(matches!(
        client.refresh().await,
        Err(Error::NotAuthenticated(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotates_the_refresh_token() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server).await;
    let old = refresh_token(&client);
    client.refresh().await.unwrap();
    let new = refresh_token(&client);
    assert_ne!(old, new);
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    assert_eq!(raw_refresh_status(&server.url, &old).await, 401);
    client.me().await.unwrap();
    client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_the_refresh_token() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server).await;
    client.me().await.unwrap();
    let token = refresh_token(&client);
    client.logout().await.unwrap();
    assert_eq!(proxy.count("POST", "/auth/logout"), 1);
    let status = raw_refresh_status(&server.url, &token).await;
    assert!(
        status == 401 || status == 403,
        "revoked token answered {status}"
    );
    let before = proxy.total();
    let err = client.me().await.unwrap_err();
    assert!(matches!(err, Error::NotAuthenticated(_)), "{err:?}");
    assert_eq!(proxy.total(), before);
    client.refresh().await.unwrap();
    client.me().await.unwrap();
    client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_access_token_is_refreshed_once() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server).await;
    client.me().await.unwrap();
    tokio::time::sleep(PAST_TTL).await;
    let me = client.me().await.unwrap();
    assert_eq!(me["email"], server.admin_email.as_str());
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    assert_eq!(proxy.count("POST", "/auth/login"), 1);
    assert_eq!(proxy.count("GET", "/users/me"), 2);
    client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn token_expired_answer_refreshes_and_repeats() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    proxy.rewrite_expires(Some(1_000_000));
    let client = admin(proxy.url(), &server).await;
    client.me().await.unwrap();
    tokio::time::sleep(PAST_TTL).await;
    client.me().await.unwrap();
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    assert_eq!(proxy.count("POST", "/auth/login"), 1);
    assert_eq!(proxy.count("GET", "/users/me"), 3);
    client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_token_credentials_resume_a_session() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let first = admin(proxy.url(), &server).await;
    let kept = refresh_token(&first);
    drop(first);
    let resumed = Directus::builder(proxy.url())
        .credentials(Some(Credentials::refresh_token(kept.as_str())))
        .unwrap();
    assert_eq!(
        resumed.me().await.unwrap()["email"],
        server.admin_email.as_str()
    );
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    resumed.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn refresh_storm_sends_one_refresh() {
    const TASKS: usize = 64;
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server).await;
    client.collection(PRODUCTS).limit(1).read().await.unwrap();
    tokio::time::sleep(PAST_TTL).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let client = client.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                client
                    .collection(PRODUCTS)
                    .limit(1)
                    .read()
                    .await
                    .map(|p| p.items().len())
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no panic").expect("every read succeeds");
    }
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1, "{:?}", proxy.log());
    assert_eq!(proxy.count("POST", "/auth/login"), 1);
    assert_eq!(proxy.count("GET", &format!("/items/{PRODUCTS}")), TASKS + 1);
    client.logout().await.unwrap();
}

/// A read on an expired client is dropped while its refresh is on the wire (the proxy holds the
/// refresh back); the refresh finishes in its own task, and the next call uses its tokens.
#[tokio::test(flavor = "multi_thread")]
async fn dropping_a_future_mid_refresh_leaves_the_client_usable() {
    let server = server();
    let proxy = Arc::new(Proxy::start(&server.url));
    let client = admin(proxy.url(), &server).await;
    client.me().await.unwrap();
    tokio::time::sleep(PAST_TTL).await;
    proxy.delay("POST", "/auth/refresh", Duration::from_millis(1500));
    {
        let products = client.collection(PRODUCTS).limit(1);
        let read = products.read();
        let waiter = {
            let proxy = Arc::clone(&proxy);
            tokio::task::spawn_blocking(move || {
                proxy.wait_for("POST", "/auth/refresh", 1, Duration::from_secs(30))
            })
        };
        tokio::select! {
            _ = read => panic!("the read cannot finish while the refresh is held back"),
            arrived = waiter => assert!(arrived.unwrap(), "the refresh request left"),
        }
        // `read` is dropped here, mid-refresh.
    }
    proxy.delay("POST", "/auth/refresh", Duration::ZERO);
    let page = client.collection(PRODUCTS).limit(1).read().await.unwrap();
    assert!(page.items().len() <= 1);
    client.me().await.unwrap();
    assert_eq!(
        proxy.count("POST", "/auth/refresh"),
        1,
        "the dropped refresh completed and its tokens were kept: {:?}",
        proxy.log()
    );
    assert_eq!(proxy.count("POST", "/auth/login"), 1, "no fallback login");
    // Same with a tiny timeout instead of select!.
    tokio::time::sleep(PAST_TTL).await;
    proxy.delay("POST", "/auth/refresh", Duration::from_millis(1500));
    let cut = tokio::time::timeout(Duration::from_millis(200), client.me()).await;
    assert!(cut.is_err(), "timed out mid-refresh");
    proxy.delay("POST", "/auth/refresh", Duration::ZERO);
    client.me().await.unwrap();
    assert_eq!(proxy.count("POST", "/auth/refresh"), 2, "{:?}", proxy.log());
    assert_eq!(proxy.count("POST", "/auth/login"), 1);
    client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn two_hundred_concurrent_reads() {
    let server = server();
    let client = admin(&server.url, &server).await;
    let results: Vec<_> = stream::iter(0..200)
        .map(|i| {
            let client = client.clone();
            async move {
                client
                    .collection(PRODUCTS)
                    .limit(1)
                    .offset(i % 5)
                    .read()
                    .await
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert_eq!(results.len(), 200);
    for result in results {
        result.expect("every read succeeds");
    }
    client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn session_logs_out_after_success_error_and_panic() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let (email, password) = (server.admin_email.as_str(), server.admin_password.as_str());

    let n = Directus::session(proxy.url(), email, password, async |d| {
        Ok(d.collection(PRODUCTS).limit(1).read().await?.items().len())
    })
    .await
    .unwrap();
    assert!(n <= 1);
    assert_eq!(proxy.count("POST", "/auth/logout"), 1);

    let err = Directus::session(proxy.url(), email, password, async |d| {
        d.collection("drs_no_such_collection").read().await?;
        Ok(())
    })
    .await
    .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err:?}");
    assert_eq!(proxy.count("POST", "/auth/logout"), 2);

    let url = proxy.url().to_owned();
    let (email_owned, password_owned) = (email.to_owned(), password.to_owned());
    let panicked = tokio::spawn(async move {
        let _: directus_async::Result<()> =
            Directus::session(url.as_str(), &email_owned, &password_owned, async |d| {
                d.me().await?;
                panic!("boom inside the session");
            })
            .await;
    })
    .await;
    assert!(panicked.unwrap_err().is_panic(), "the panic goes on");
    assert_eq!(proxy.count("POST", "/auth/logout"), 3);
    assert_eq!(proxy.count("POST", "/auth/login"), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_never_shows_secrets() {
    let server = server();
    let client = admin(&server.url, &server).await;
    client.me().await.unwrap();
    let refresh = refresh_token(&client);
    let texts = [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", client.session_state()),
        format!(
            "{:?}",
            Credentials::password(&server.admin_email, server.admin_password.as_str())
        ),
        format!("{:?}", Credentials::refresh_token(refresh.as_str())),
        format!("{:?}", Directus::builder(&server.url)),
    ];
    for text in &texts {
        assert!(!text.contains(&server.admin_password), "password in {text}");
        assert!(!text.contains(&refresh), "refresh token in {text}");
    }
    client.logout().await.unwrap();
}

/// One HTTP client shared by two sessions. The test crate has no `reqwest` dependency of its
/// own (so no `reqwest::Client` to pass here), so the shared client is a counting
/// [`HttpClient`] over one ureq agent; `builder().client(shared)` is what is tested.
#[derive(Clone)]
struct SharedPool {
    agent: ureq::Agent,
    sent: Arc<std::sync::atomic::AtomicUsize>,
}

impl HttpClient for SharedPool {
    fn send(
        &self,
        request: ureq::http::Request<directus_async::Body>,
        _config: &directus_async::Config,
    ) -> BoxFuture<'_, Result<ureq::http::Response<directus_async::Bytes>, Error>> {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let agent = self.agent.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let response = agent.run(request.map(Vec::from)).map_err(|e| {
                    Error::Transport(directus_async::TransportError::new(
                        directus_async::TransportErrorKind::Other,
                        e.to_string(),
                    ))
                })?;
                let (parts, mut body) = response.into_parts();
                let bytes = body.read_to_vec().map_err(|e| {
                    Error::Transport(directus_async::TransportError::new(
                        directus_async::TransportErrorKind::Io,
                        e.to_string(),
                    ))
                })?;
                Ok(ureq::http::Response::from_parts(parts, bytes.into()))
            })
            .await
            .expect("the blocking send does not panic")
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_users_on_one_http_client() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build();
    let shared = SharedPool {
        agent: ureq::Agent::new_with_config(config),
        sent: Arc::default(),
    };
    let sent = Arc::clone(&shared.sent);
    let reader = Directus::builder(proxy.url())
        .client(shared.clone())
        .login(READER_EMAIL, READER_PASSWORD)
        .await
        .unwrap();
    let admin = Directus::builder(proxy.url())
        .client(shared)
        .login(&server.admin_email, &server.admin_password)
        .await
        .unwrap();
    let err = reader.collection(SECRETS).read().await.unwrap_err();
    assert_eq!(
        err.api().map(|a| a.code()),
        Some(&ErrorCode::Forbidden),
        "{err:?}"
    );
    assert!(
        !admin
            .collection(SECRETS)
            .read()
            .await
            .unwrap()
            .items()
            .is_empty()
    );
    reader.collection(PRODUCTS).limit(1).read().await.unwrap();
    assert_eq!(
        reader.me().await.unwrap()["id"],
        server.fixtures().reader_user.as_str()
    );
    assert!(reader.collection(SECRETS).read().await.is_err());
    reader.logout().await.unwrap();
    admin.logout().await.unwrap();
    assert_eq!(
        sent.load(std::sync::atomic::Ordering::SeqCst),
        proxy.total(),
        "every request of both users went through the one shared client"
    );
}
