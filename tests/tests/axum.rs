//! The axum integration (`directus_async::axum`) served on loopback in front of a real Directus
//! (through the counting proxy, or a connection-counting relay), with reqwest as the browser:
//! unauthenticated answers, bearer and cookie callers, Directus' 403 passed through, guards,
//! rotation of expired cookies (alone and racing), 200 concurrent requests of 4 users, hostile
//! headers, logout, and transport failures as 502/504.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use directus_async::axum::{Admin, Caller, DirectusWeb, WebError, require, session};
use directus_async::{Config, Directus};
use directus_proto::web::{CookieSettings, Requirement};
use directus_tests::fixtures::{
    PRODUCTS, READER_EMAIL, READER_PASSWORD, READER_ROLE, SECRETS, STATIC_TOKEN, TOKEN_EMAIL,
};
use directus_tests::proxy::{Proxy, raw_refresh};
use directus_tests::{Server, unique};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACCESS: &str = "directus_access_token";
const REFRESH: &str = "directus_refresh_token";

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

async fn me(caller: Caller) -> Result<Json<Value>, WebError> {
    let me = caller.me().await?;
    Ok(Json(json!({"id": me["id"], "email": me["email"]})))
}

async fn items(caller: Caller, Path(collection): Path<String>) -> Result<Json<Value>, WebError> {
    let page = caller.collection(&collection).limit(5).read().await?;
    Ok(Json(json!(page.items())))
}

async fn admin(Admin(admin): Admin) -> Result<&'static str, WebError> {
    admin.ping().await?;
    Ok("admin")
}

/// The test app, served on an ephemeral loopback port until the test's runtime ends.
async fn serve(web: DirectusWeb) -> String {
    let readers = Router::new()
        .route("/readers", get(|| async { "readers" }))
        .layer(axum::middleware::from_fn_with_state(
            Requirement::role(READER_ROLE),
            require,
        ));
    let app = Router::new()
        .route("/me", get(me))
        .route("/items/{collection}", get(items))
        .route("/admin", get(admin))
        .route("/public", get(|| async { "public" }))
        .merge(readers)
        .merge(web.auth_routes())
        .layer(axum::middleware::from_fn_with_state(web, session));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A web state for `directus_url`, plain-HTTP cookies, with the static-token admin as service
/// client.
fn web(directus_url: &str) -> directus_async::axum::WebBuilder {
    let pool = directus_async::reqwest_client_builder(&directus_async::Config::default())
        .build()
        .unwrap();
    let service = Directus::builder(directus_url)
        .client(pool.clone())
        .token(STATIC_TOKEN)
        .unwrap();
    DirectusWeb::builder(directus_url)
        .client(pool)
        .cookies(CookieSettings::default().secure(false))
        .service(service)
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Set-Cookie` values of a response, by name.
fn set_cookies(response: &reqwest::Response) -> HashMap<String, String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn cookie_header(access: &str, refresh: &str) -> String {
    format!("{ACCESS}={access}; {REFRESH}={refresh}")
}

/// Logs in through the app's `/login` (JSON) and answers (access, refresh).
async fn login(app: &str, email: &str, password: &str) -> (String, String) {
    let response = browser()
        .post(format!("{app}/login"))
        .header("content-type", "application/json")
        .body(json!({"email": email, "password": password}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cookies = set_cookies(&response);
    (cookies[ACCESS].clone(), cookies[REFRESH].clone())
}

async fn get_with(app: &str, path: &str, header: (&str, &str)) -> reqwest::Response {
    browser()
        .get(format!("{app}{path}"))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

async fn error_code(response: reqwest::Response) -> String {
    let body = json_of(response).await;
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn refresh_status(url: &str, token: &str) -> u16 {
    let (url, token) = (url.to_owned(), token.to_owned());
    tokio::task::spawn_blocking(move || raw_refresh(&url, &token))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credentials_is_401_or_a_redirect_and_nothing_is_forwarded() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let app = serve(web(proxy.url()).build().unwrap()).await;
    let response = browser().get(format!("{app}/me")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "INVALID_CREDENTIALS");
    // Routes without a Caller are not touched by the middleware.
    let public = browser().get(format!("{app}/public")).send().await.unwrap();
    assert_eq!(public.text().await.unwrap(), "public");

    let app = serve(web(proxy.url()).redirect_to("/login").build().unwrap()).await;
    let response = browser().get(format!("{app}/me")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");
    assert_eq!(proxy.total(), 0, "{:?}", proxy.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_tokens_and_cookies_work() {
    let server = server();
    let app = serve(web(&server.url).build().unwrap()).await;
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let response = get_with(&app, "/me", ("authorization", &bearer)).await;
    assert_eq!(response.status(), 200);
    assert!(
        set_cookies(&response).is_empty(),
        "bearer callers get no cookies"
    );
    assert_eq!(json_of(response).await["email"], TOKEN_EMAIL);

    let (access, refresh) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    let response = get_with(&app, "/me", ("cookie", &cookie_header(&access, &refresh))).await;
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty(), "nothing rotated");
    // The reader's policy does not let it read its own email: its id is its view.
    let reader_id = server.fixtures().reader_user.as_str();
    assert_eq!(json_of(response).await["id"], reader_id);

    // A form login with a local `next` is redirected there; a foreign one is not followed.
    let form = [
        ("email", READER_EMAIL),
        ("password", READER_PASSWORD),
        ("next", "/me"),
    ];
    let response = browser()
        .post(format!("{app}/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/me");
    assert!(set_cookies(&response).contains_key(REFRESH));
    let evil = [
        ("email", READER_EMAIL),
        ("password", READER_PASSWORD),
        ("next", "//evil.example"),
    ];
    let response = browser()
        .post(format!("{app}/login"))
        .form(&evil)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    // Wrong password: Directus' 401 passes through, no cookie is set.
    let response = browser()
        .post(format!("{app}/login"))
        .header("content-type", "application/json")
        .body(json!({"email": READER_EMAIL, "password": "wrong"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(error_code(response).await, "INVALID_CREDENTIALS");
}

#[tokio::test(flavor = "multi_thread")]
async fn directus_403_passes_through_and_guards_check_roles_and_admin_access() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let app = serve(web(proxy.url()).build().unwrap()).await;
    let (access, refresh) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    let reader = cookie_header(&access, &refresh);
    let admin_bearer = format!("Bearer {STATIC_TOKEN}");

    let allowed = get_with(&app, &format!("/items/{PRODUCTS}"), ("cookie", &reader)).await;
    assert_eq!(allowed.status(), 200);
    let refused = get_with(&app, &format!("/items/{SECRETS}"), ("cookie", &reader)).await;
    assert_eq!(refused.status(), 403);
    let body = json_of(refused).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(SECRETS)
    );

    assert_eq!(
        get_with(&app, "/admin", ("cookie", &reader)).await.status(),
        403
    );
    let admin = get_with(&app, "/admin", ("authorization", &admin_bearer)).await;
    assert_eq!(admin.status(), 200);
    assert_eq!(admin.text().await.unwrap(), "admin");

    // The reader may not read role names; the service client names its role for the guard.
    assert_eq!(
        get_with(&app, "/readers", ("cookie", &reader))
            .await
            .status(),
        200
    );
    let admin_as_reader = get_with(&app, "/readers", ("authorization", &admin_bearer)).await;
    assert_eq!(admin_as_reader.status(), 403);

    // Roles and policies are read once per token.
    proxy.reset();
    for _ in 0..3 {
        assert_eq!(
            get_with(&app, "/admin", ("authorization", &admin_bearer))
                .await
                .status(),
            200
        );
        assert_eq!(
            get_with(&app, "/admin", ("cookie", &reader)).await.status(),
            403
        );
    }
    assert_eq!(
        proxy.count("GET", "/policies/me/globals"),
        0,
        "{:?}",
        proxy.log()
    );
    assert_eq!(proxy.count("GET", "/roles/me"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_access_cookie_is_refreshed_and_the_rotated_cookies_are_set() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let app = serve(web(proxy.url()).build().unwrap()).await;
    let (_, refresh) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    // An unreadable access token counts as expired (the plan of an expired JWT is unit-tested
    // in directus-proto; this server's tokens live 10 s).
    let response = get_with(
        &app,
        "/me",
        ("cookie", &cookie_header("garbage.token.here", &refresh)),
    )
    .await;
    assert_eq!(response.status(), 200);
    let cookies = set_cookies(&response);
    let (new_access, new_refresh) = (cookies[ACCESS].clone(), cookies[REFRESH].clone());
    assert_ne!(new_refresh, refresh);
    assert_eq!(
        json_of(response).await["id"],
        server.fixtures().reader_user.as_str()
    );
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);

    // The server no longer takes the old refresh token; the new cookies work.
    assert_eq!(refresh_status(&server.url, &refresh).await, 401);
    let again = get_with(
        &app,
        "/me",
        ("cookie", &cookie_header(&new_access, &new_refresh)),
    )
    .await;
    assert_eq!(again.status(), 200);
    assert!(set_cookies(&again).is_empty());

    // A JWT whose `exp` has passed (header `{"alg":"HS256"}`, payload `{"iat":0,"exp":1}`) is
    // refreshed before anything is sent with it.
    let expired = "eyJhbGciOiJIUzI1NiJ9.eyJpYXQiOjAsImV4cCI6MX0.c2ln";
    let response = get_with(
        &app,
        "/me",
        ("cookie", &cookie_header(expired, &new_refresh)),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_ne!(set_cookies(&response)[REFRESH], new_refresh);
    assert_eq!(proxy.count("POST", "/auth/refresh"), 2);
    assert_eq!(
        proxy.count("GET", "/users/me"),
        3,
        "the expired token was never sent"
    );

    // A dead refresh cookie (and no access cookie): 401 passed through, cookies cleared.
    let dead = get_with(&app, "/me", ("cookie", &format!("{REFRESH}={refresh}x"))).await;
    assert_eq!(dead.status(), 401);
    assert_eq!(
        set_cookies(&dead).get(REFRESH).map(String::as_str),
        Some("")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_with_the_same_expired_cookies_share_one_rotation() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let app = serve(web(proxy.url()).build().unwrap()).await;
    let (_, refresh) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    let stale = cookie_header("expired.access.token", &refresh);
    // Hold the refresh back so that every request finds it in flight.
    proxy.delay("POST", "/auth/refresh", Duration::from_millis(300));
    let answers: Vec<(u16, HashMap<String, String>)> = stream::iter(0..8)
        .map(|_| {
            let (app, stale) = (app.clone(), stale.clone());
            async move {
                let response = get_with(&app, "/me", ("cookie", &stale)).await;
                (response.status().as_u16(), set_cookies(&response))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1, "single flight");
    let rotated = answers[0].1[REFRESH].clone();
    assert_ne!(rotated, refresh);
    for (status, cookies) in &answers {
        assert_eq!(*status, 200);
        assert_eq!(
            cookies[REFRESH], rotated,
            "every request sets the same new cookie"
        );
    }
    // A late request with the old cookies (within the grace period) gets the same rotation.
    let late = get_with(&app, "/me", ("cookie", &stale)).await;
    assert_eq!(late.status(), 200);
    assert_eq!(set_cookies(&late)[REFRESH], rotated);
    assert_eq!(proxy.count("POST", "/auth/refresh"), 1);

    // Without a grace period, the second request with the old cookies gets a clear 401.
    proxy.delay("POST", "/auth/refresh", Duration::ZERO);
    let strict = serve(
        web(proxy.url())
            .rotation_grace(Duration::ZERO)
            .build()
            .unwrap(),
    )
    .await;
    let (_, refresh) = login(&strict, READER_EMAIL, READER_PASSWORD).await;
    let stale = cookie_header("expired.access.token", &refresh);
    assert_eq!(
        get_with(&strict, "/me", ("cookie", &stale)).await.status(),
        200
    );
    let second = get_with(&strict, "/me", ("cookie", &stale)).await;
    assert_eq!(second.status(), 401);
    assert_eq!(
        set_cookies(&second).get(ACCESS).map(String::as_str),
        Some("")
    );
}

/// A loopback TCP relay that counts the connections made through it.
async fn counting_relay(upstream: &str) -> (String, Arc<AtomicUsize>) {
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_requests_of_four_users_each_see_their_own_view_on_one_pool() {
    let server = server();
    // A fourth user, with the reader's role.
    let admin = Directus::login(&server.url, &server.admin_email, &server.admin_password)
        .await
        .unwrap();
    let fourth_email = format!("{}@example.com", unique("drs-axum"));
    let fourth: Value = admin
        .collection("directus_users")
        .create(&json!({
            "email": fourth_email,
            "password": "drs-axum-password-1",
            "role": server.fixtures().reader_role,
        }))
        .await
        .unwrap()
        .expect("the admin reads what it creates");

    let (relay, connections) = counting_relay(&server.url).await;
    let app = serve(web(&relay).build().unwrap()).await;
    let admin_cookies = {
        let (a, r) = login(&app, &server.admin_email, &server.admin_password).await;
        cookie_header(&a, &r)
    };
    let reader_cookies = {
        let (a, r) = login(&app, READER_EMAIL, READER_PASSWORD).await;
        cookie_header(&a, &r)
    };
    let fourth_cookies = {
        let (a, r) = login(&app, &fourth_email, "drs-axum-password-1").await;
        cookie_header(&a, &r)
    };
    // Each user's view of `/me` is its own id (the readers may not read their email).
    let fixtures = server.fixtures();
    let admin_id = admin.me().await.unwrap()["id"].as_str().unwrap().to_owned();
    let fourth_id = fourth["id"].as_str().unwrap().to_owned();
    // Each user is a browser: cookie users keep what `Set-Cookie` hands them (access tokens
    // live 10 s on the test server, so a slow run rotates them midway).
    let users: Vec<(&str, std::sync::Mutex<String>, String)> = vec![
        ("cookie", admin_cookies.into(), admin_id),
        (
            "authorization",
            format!("Bearer {STATIC_TOKEN}").into(),
            fixtures.token_user.clone(),
        ),
        (
            "cookie",
            reader_cookies.into(),
            fixtures.reader_user.clone(),
        ),
        ("cookie", fourth_cookies.into(), fourth_id.clone()),
    ];
    let users = Arc::new(users);
    let before = connections.load(Ordering::SeqCst);
    let mismatches: Vec<String> = stream::iter(0..200usize)
        .map(|i| {
            let (app, users) = (app.clone(), Arc::clone(&users));
            async move {
                let (name, jar, id) = &users[i % 4];
                let value = jar.lock().unwrap().clone();
                let response = get_with(&app, "/me", (name, &value)).await;
                let fresh = set_cookies(&response);
                if let (Some(a), Some(r)) = (fresh.get(ACCESS), fresh.get(REFRESH)) {
                    *jar.lock().unwrap() = cookie_header(a, r);
                }
                let status = response.status();
                let body: Value =
                    serde_json::from_slice(&response.bytes().await.unwrap_or_default())
                        .unwrap_or_default();
                (status != 200 || body["id"] != id.as_str())
                    .then(|| format!("request {i} as {id}: {status} {body}"))
            }
        })
        .buffer_unordered(16)
        .filter_map(|m| async move { m })
        .collect()
        .await;
    assert!(
        mismatches.is_empty(),
        "{} wrong, first: {:?}",
        mismatches.len(),
        mismatches.first()
    );
    let used = connections.load(Ordering::SeqCst) - before;
    assert!(
        (1..200).contains(&used),
        "200 upstream requests on one pool reuse connections; {used} were opened"
    );

    admin
        .collection("directus_users")
        .delete(fourth_id.as_str())
        .await
        .unwrap();
}

/// Sends raw bytes to the app and answers the status line.
async fn raw_status(app: &str, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(app.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = vec![0; 64];
    let n = stream.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_headers_are_refused_and_never_forwarded() {
    let server = server();
    let proxy = Proxy::start(&server.url);
    let app = serve(web(proxy.url()).build().unwrap()).await;
    let big = "a".repeat(64 * 1024);
    let cases: Vec<(&str, String)> = vec![
        ("authorization", "Basic dXNlcjpwYXNz".into()),
        ("authorization", "Bearer".into()),
        ("authorization", "Bearer two words".into()),
        ("authorization", format!("Bearer {big}")),
        ("authorization", "Bearer abc%0D%0AX-Injected:%201".into()),
        ("cookie", format!("{ACCESS}={big}")),
        ("cookie", format!("unrelated={big}")),
        ("cookie", format!("{ACCESS}=a%0d%0ab; {REFRESH}=r")),
        ("cookie", format!("{REFRESH}=\"quoted;\"")),
    ];
    for (name, value) in &cases {
        let response = get_with(&app, "/me", (name, value)).await;
        let status = response.status().as_u16();
        assert!(
            status == 400 || status == 401,
            "{name}: {}...: {status}",
            &value[..value.len().min(40)]
        );
    }
    // CR/LF inside a header never reaches a handler: hyper refuses the request.
    for raw in [
        &b"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n def\r\n\r\n"[..],
        b"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ab\rc\r\n\r\n",
        b"GET /me HTTP/1.1\r\nHost: x\r\nCookie: directus_access_token=a\nb\r\n\r\n",
    ] {
        let status = raw_status(&app, raw).await;
        assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    }
    assert_eq!(proxy.total(), 0, "{:?}", proxy.log());
    // The app is still up.
    let bearer = format!("Bearer {STATIC_TOKEN}");
    assert_eq!(
        get_with(&app, "/me", ("authorization", &bearer))
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_the_refresh_token_and_clears_the_cookies() {
    let server = server();
    let app = serve(web(&server.url).build().unwrap()).await;
    let (access, refresh) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    let response = browser()
        .post(format!("{app}/logout"))
        .header("cookie", cookie_header(&access, &refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cookies = set_cookies(&response);
    assert_eq!(cookies[ACCESS], "");
    assert_eq!(cookies[REFRESH], "");
    assert_eq!(refresh_status(&server.url, &refresh).await, 401);

    // A logout with cookies from before a rotation revokes the rotated session, and the kept
    // rotation no longer hands it out.
    let (_, before) = login(&app, READER_EMAIL, READER_PASSWORD).await;
    let stale = cookie_header("stale.access.token", &before);
    let rotated = get_with(&app, "/me", ("cookie", &stale)).await;
    assert_eq!(rotated.status(), 200);
    let after = set_cookies(&rotated)[REFRESH].clone();
    let response = browser()
        .post(format!("{app}/logout"))
        .header("cookie", &stale)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(refresh_status(&server.url, &after).await, 401);
    assert_eq!(
        get_with(&app, "/me", ("cookie", &stale)).await.status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transport_failures_are_502_and_504_without_details() {
    let server = server();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let app = serve(web(&format!("http://{closed}")).build().unwrap()).await;
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let response = get_with(&app, "/me", ("authorization", &bearer)).await;
    assert_eq!(response.status(), 502);
    let body = response.text().await.unwrap();
    assert!(!body.contains(&closed.port().to_string()), "{body}");
    assert!(body.contains("BAD_GATEWAY"));

    let proxy = Proxy::start(&server.url);
    proxy.delay("GET", "/users/me", Duration::from_secs(3));
    let slow = web(proxy.url()).config(Config::default().timeout(Duration::from_millis(500)));
    let app = serve(slow.build().unwrap()).await;
    let response = get_with(&app, "/me", ("authorization", &bearer)).await;
    assert_eq!(response.status(), 504);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("GATEWAY_TIMEOUT") && !body.contains(STATIC_TOKEN),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn directus_session_cookie_is_accepted_when_configured() {
    let server = server();
    let login = browser()
        .post(format!("{}/auth/login", server.url))
        .header("content-type", "application/json")
        .body(
            json!({"email": READER_EMAIL, "password": READER_PASSWORD, "mode": "session"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = set_cookies(&login)["directus_session_token"].clone();
    let cookie = format!("directus_session_token={token}");
    let cookies = CookieSettings::default()
        .secure(false)
        .session_cookie("directus_session_token");
    let app = serve(web(&server.url).cookies(cookies).build().unwrap()).await;
    let response = get_with(&app, "/me", ("cookie", &cookie)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        json_of(response).await["id"],
        server.fixtures().reader_user.as_str()
    );
    // Not configured: the session cookie is not a credential.
    let app = serve(web(&server.url).build().unwrap()).await;
    assert_eq!(
        get_with(&app, "/me", ("cookie", &cookie)).await.status(),
        401
    );
}
