//! Authentication of the blocking client against a real server, counted through the proxy:
//! login errors, static tokens, refresh rotation, logout revocation, expiry (proactive and
//! `TOKEN_EXPIRED`), the refresh storm, `Directus::session`, `Debug` hygiene, two users on one
//! agent. The async twin is `auth_async.rs`.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use directus_blocking::{Credentials, Directus, Error, ErrorCode};
use directus_tests::Server;
use directus_tests::fixtures::{
    PRODUCTS, READER_EMAIL, READER_PASSWORD, SECRETS, STATIC_TOKEN, TOKEN_EMAIL,
};
use directus_tests::proxy::{Proxy, raw_refresh};

/// Past the server's ACCESS_TOKEN_TTL (10 s).
const PAST_TTL: Duration = Duration::from_secs(11);

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

fn admin(url: &str, server: &Server) -> Directus {
    Directus::login(url, &server.admin_email, &server.admin_password).expect("admin login")
}

fn refresh_token(client: &Directus) -> String {
    client
        .session_state()
        .refresh_token()
        .expect("a logged-in client has a refresh token")
        .expose()
        .to_owned()
}

#[test]
fn wrong_password_is_invalid_credentials() {
    let server = server();
    let err = Directus::login(&server.url, &server.admin_email, "not-the-password").unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.code(), &ErrorCode::InvalidCredentials, "{err:?}");
    assert_eq!(api.status().as_u16(), 401);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
}

#[test]
fn static_token_is_the_token_user() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = Directus::with_token(proxy.url(), STATIC_TOKEN).unwrap();
    let me = client.me().unwrap();
    assert_eq!(me["email"], TOKEN_EMAIL);
    assert_eq!(me["id"], server.fixtures().token_user.as_str());
    assert_eq!(proxy.count("POST", "/auth/login"), 0);
    assert_eq!(proxy.count("POST", "/auth/refresh"), 0);
    // A static token cannot be refreshed.
    assert!(matches!(client.refresh(), Err(Error::NotAuthenticated(_))));
}

#[test]
fn refresh_rotates_the_refresh_token() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server);
    let old = refresh_token(&client);
    client.refresh().unwrap();
    let new = refresh_token(&client);
    assert_ne!(old, new, "a refresh answers a new refresh token");
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    assert_eq!(
        raw_refresh(&server.url, &old),
        401,
        "the old refresh token is dead"
    );
    // The client still works with the new one.
    client.me().unwrap();
    client.logout().unwrap();
}

#[test]
fn logout_revokes_the_refresh_token() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server);
    client.me().unwrap();
    let token = refresh_token(&client);
    client.logout().unwrap();
    assert_eq!(proxy.count("POST", "/auth/logout"), 1);
    assert!(client.session_state().refresh_token().is_none());
    let status = raw_refresh(&server.url, &token);
    assert!(
        status == 401 || status == 403,
        "the revoked refresh token answered {status}"
    );
    let before = proxy.total();
    let err = client.me().unwrap_err();
    assert!(matches!(err, Error::NotAuthenticated(_)), "{err:?}");
    assert_eq!(proxy.total(), before, "a logged-out client sends nothing");
    // A new login starts again.
    client.refresh().unwrap();
    client.me().unwrap();
    client.logout().unwrap();
}

#[test]
fn expired_access_token_is_refreshed_once() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server);
    client.me().unwrap();
    std::thread::sleep(PAST_TTL);
    let me = client.me().unwrap();
    assert_eq!(me["email"], server.admin_email.as_str());
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    assert_eq!(
        proxy.count("POST", "/auth/login"),
        1,
        "the first login only"
    );
    assert_eq!(proxy.count("GET", "/users/me"), 2, "no refused request");
    client.logout().unwrap();
}

/// The proxy tells the client its tokens live 1 000 s: the proactive refresh is skipped, the
/// server answers `TOKEN_EXPIRED`, and the client refreshes once and repeats the request.
#[test]
fn token_expired_answer_refreshes_and_repeats() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    proxy.rewrite_expires(Some(1_000_000));
    let client = admin(proxy.url(), &server);
    client.me().unwrap();
    std::thread::sleep(PAST_TTL);
    let me = client.me().unwrap();
    assert_eq!(me["email"], server.admin_email.as_str());
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    assert_eq!(proxy.count("POST", "/auth/login"), 1);
    assert_eq!(
        proxy.count("GET", "/users/me"),
        3,
        "one answer, one TOKEN_EXPIRED, one repeat"
    );

    // A write refused with TOKEN_EXPIRED is repeated too (the server did nothing).
    std::thread::sleep(PAST_TTL);
    let run = directus_tests::unique("auth-b-expired-write");
    let created = client
        .collection(PRODUCTS)
        .create(&serde_json::json!({"name": "expired-write", "run": run}))
        .unwrap()
        .expect("the admin reads back what it created");
    assert_eq!(proxy.count("POST", "/auth/refresh"), 2);
    assert_eq!(proxy.count("POST", &format!("/items/{PRODUCTS}")), 2);
    let rows = client
        .collection(PRODUCTS)
        .filter_eq("run", run.as_str())
        .read()
        .unwrap();
    assert_eq!(rows.items().len(), 1, "written exactly once");
    client
        .collection(PRODUCTS)
        .delete(created["id"].as_i64().unwrap())
        .unwrap();
    client.logout().unwrap();
}

/// A session started from a refresh token kept from another login: its first call refreshes.
#[test]
fn refresh_token_credentials_resume_a_session() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let first = admin(proxy.url(), &server);
    let kept = refresh_token(&first);
    drop(first);
    let resumed = Directus::builder(proxy.url())
        .credentials(Some(Credentials::refresh_token(kept.as_str())))
        .unwrap();
    let me = resumed.me().unwrap();
    assert_eq!(me["email"], server.admin_email.as_str());
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);
    assert_eq!(proxy.count("POST", "/auth/login"), 1);
    assert_ne!(refresh_token(&resumed), kept);
    // The kept token was consumed by the refresh: a second resume fails cleanly.
    let stale = Directus::builder(proxy.url())
        .credentials(Some(Credentials::refresh_token(kept.as_str())))
        .unwrap();
    let err = stale.me().unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err:?}");
    resumed.logout().unwrap();
}

#[test]
fn refresh_storm_sends_one_refresh() {
    const THREADS: usize = 16;
    let server = server();
    let proxy = Proxy::start(&server.url);
    let client = admin(proxy.url(), &server);
    client.collection(PRODUCTS).limit(1).read().unwrap();
    std::thread::sleep(PAST_TTL);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let client = client.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                client
                    .collection(PRODUCTS)
                    .limit(1)
                    .read()
                    .map(|p| p.items().len())
            })
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .expect("no panic")
            .expect("every read succeeds");
    }
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1, "{:?}", proxy.log());
    assert_eq!(proxy.count("POST", "/auth/login"), 1);
    assert_eq!(
        proxy.count("GET", &format!("/items/{PRODUCTS}")),
        THREADS + 1
    );
    client.logout().unwrap();
}

#[test]
fn session_logs_out_after_success_error_and_panic() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let (email, password) = (server.admin_email.as_str(), server.admin_password.as_str());

    let n = Directus::session(proxy.url(), email, password, |d| {
        Ok(d.collection(PRODUCTS).limit(1).read()?.items().len())
    })
    .unwrap();
    assert!(n <= 1);
    assert_eq!(proxy.count("POST", "/auth/logout"), 1);

    let err = Directus::session(proxy.url(), email, password, |d| {
        d.collection("drs_no_such_collection").read()?;
        Ok(())
    })
    .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err:?}");
    assert_eq!(proxy.count("POST", "/auth/logout"), 2);

    let url = proxy.url().to_owned();
    let panicked = std::panic::catch_unwind(|| {
        let _: directus_blocking::Result<()> =
            Directus::session(url.as_str(), email, password, |d| {
                d.me()?;
                panic!("boom inside the session");
            });
    });
    assert!(panicked.is_err(), "the panic goes on");
    assert_eq!(proxy.count("POST", "/auth/logout"), 3);
    assert_eq!(proxy.count("POST", "/auth/login"), 3);
}

#[test]
fn debug_never_shows_secrets() {
    let server = server();
    let client = admin(&server.url, &server);
    client.me().unwrap();
    let refresh = refresh_token(&client);
    let credentials = Credentials::password(&server.admin_email, server.admin_password.as_str());
    let texts = [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", client.session_state()),
        format!("{credentials:?}"),
        format!("{:?}", Credentials::refresh_token(refresh.as_str())),
        format!("{:?}", Credentials::static_token(STATIC_TOKEN)),
        format!("{:?}", client.session_state().refresh_token()),
    ];
    for text in &texts {
        assert!(!text.contains(&server.admin_password), "password in {text}");
        assert!(!text.contains(&refresh), "refresh token in {text}");
        assert!(!text.contains(STATIC_TOKEN), "static token in {text}");
    }
    assert!(texts[0].contains(&server.admin_email) || texts[0].contains("Session"));
    client.logout().unwrap();
}

#[test]
fn two_users_on_one_agent() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let shared = ureq::Agent::new_with_defaults();
    let reader = Directus::builder(proxy.url())
        .agent(shared.clone())
        .login(READER_EMAIL, READER_PASSWORD)
        .unwrap();
    let admin = Directus::builder(proxy.url())
        .agent(shared)
        .login(&server.admin_email, &server.admin_password)
        .unwrap();
    let err = reader.collection(SECRETS).read().unwrap_err();
    assert_eq!(
        err.api().map(|a| a.code()),
        Some(&ErrorCode::Forbidden),
        "{err:?}"
    );
    let secrets = admin.collection(SECRETS).read().unwrap();
    assert!(!secrets.items().is_empty());
    reader.collection(PRODUCTS).limit(1).read().unwrap();
    // The reader may not read its own user row's fields, but `/users/me` still names it.
    assert_eq!(
        reader.me().unwrap()["id"],
        server.fixtures().reader_user.as_str()
    );
    assert_eq!(admin.me().unwrap()["email"], server.admin_email.as_str());
    // And again, interleaved, after the admin's read: still different identities.
    assert!(reader.collection(SECRETS).read().is_err());
    reader.logout().unwrap();
    admin.logout().unwrap();
}
