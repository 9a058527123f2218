//! A web service in front of Directus with axum: log in (form or JSON), log out, a page listing
//! the caller's items (as the caller: Directus' permissions apply), an admin-only route, and
//! `/realtime`, a WebSocket that relays the caller's subscriptions (Directus needs
//! `WEBSOCKETS_ENABLED=true`).
//! Browsers keep their tokens in HttpOnly cookies, rotated through `Set-Cookie`; API clients
//! send `Authorization: Bearer <token>`.
//!
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD (the service client's
//! login, used to read role names) and APP_ADDR (default 127.0.0.1:3000).
//!
//! ```text
//! cargo run -p directus-async --example axum_app --features axum,realtime
//! curl -i -c jar -d 'email=drs-reader@example.com&password=drs-reader-password-1' localhost:3000/login
//! curl -b jar localhost:3000/items/drs_products
//! curl -b jar localhost:3000/admin        # 403 for the reader
//! curl -b jar -X POST localhost:3000/logout
//! ```
//!
//! In the browser's console after logging in on http://127.0.0.1:3000/:
//!
//! ```text
//! ws = new WebSocket("ws://127.0.0.1:3000/realtime");
//! ws.onmessage = (m) => console.log(m.data);
//! ws.onopen = () => ws.send(JSON.stringify({type: "subscribe", uid: "p", collection: "drs_products"}));
//! ```

use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use directus_async::Directus;
use directus_async::axum::{Admin, Caller, DirectusWeb, WebError, realtime, session};
use directus_proto::web::CookieSettings;
use directus_proto::web::relay::RelayConfig;
use serde_json::{Value, json};

mod common;
use common::env;

const LOGIN_PAGE: &str = r#"<!doctype html>
<form method="post" action="/login">
  <input name="email" placeholder="email"> <input name="password" type="password">
  <input type="hidden" name="next" value="/items/drs_products">
  <button>Log in</button>
</form>"#;

/// The caller's view of a collection: what its policies let it read.
async fn items(caller: Caller, Path(collection): Path<String>) -> Result<Json<Value>, WebError> {
    let page = caller.collection(&collection).limit(20).read().await?;
    Ok(Json(json!({ "data": page.items() })))
}

async fn me(caller: Caller) -> Result<Json<Value>, WebError> {
    Ok(Json(caller.me().await?))
}

/// Admins only: 403 for everyone else.
async fn admin(Admin(admin): Admin) -> Result<Json<Value>, WebError> {
    let users = admin
        .collection("directus_users")
        .fields(["email"])
        .read()
        .await?;
    Ok(Json(json!({ "users": users.items() })))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, email, password) = env();
    let addr = std::env::var("APP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    // One pool for the service client and every caller.
    let pool =
        directus_async::reqwest_client_builder(&directus_async::Config::default()).build()?;
    let service = Directus::builder(url.clone())
        .client(pool.clone())
        .login(&email, &password)
        .await?;
    let web = DirectusWeb::builder(url)
        .client(pool)
        // Plain HTTP on localhost: no `Secure` cookies. Keep it on behind HTTPS.
        .cookies(CookieSettings::default().secure(false))
        .service(service)
        // The relay carries subscriptions to these collections only.
        .realtime(RelayConfig::default().collections(["drs_products"]))
        .build()?;
    let app = Router::new()
        .route("/", get(|| async { Html(LOGIN_PAGE) }))
        .route("/me", get(me))
        .route("/items/{collection}", get(items))
        .route("/admin", get(admin))
        .route("/realtime", get(realtime))
        .merge(web.auth_routes())
        .layer(axum::middleware::from_fn_with_state(web, session));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
