//! `Builder::tokens` and `Directus::tokens` of both drivers against a real server: a client
//! built from kept tokens works, refreshes with its refresh token, and hands back the rotated
//! ones (the old refresh token is then dead on the server).

use std::time::Duration;

use directus_tests::Server;
use directus_tests::fixtures::{READER_EMAIL, READER_PASSWORD};
use directus_tests::proxy::raw_refresh;

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

#[test]
fn blocking_client_goes_on_from_kept_tokens() {
    let server = server();
    let first =
        directus_blocking::Directus::login(&server.url, READER_EMAIL, READER_PASSWORD).unwrap();
    let kept = first.tokens().expect("a logged-in client has tokens");
    assert!(kept.expires.is_some_and(|e| e <= Duration::from_secs(10)));
    let old_refresh = kept.refresh_token.clone().unwrap();

    let client = directus_blocking::Directus::builder(&server.url)
        .tokens(kept)
        .unwrap();
    assert_eq!(
        client.me().unwrap()["id"],
        server.fixtures().reader_user.as_str()
    );
    client.refresh().unwrap();
    let rotated = client.tokens().unwrap();
    assert_ne!(rotated.refresh_token.as_ref(), Some(&old_refresh));
    assert_eq!(raw_refresh(&server.url, old_refresh.expose()), 401);
    assert_eq!(
        client.me().unwrap()["id"],
        server.fixtures().reader_user.as_str()
    );
    client.logout().unwrap();
    assert!(client.tokens().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn async_client_goes_on_from_kept_tokens() {
    let server = server();
    let first = directus_async::Directus::login(&server.url, READER_EMAIL, READER_PASSWORD)
        .await
        .unwrap();
    let kept = first.tokens().expect("a logged-in client has tokens");
    let old_refresh = kept.refresh_token.clone().unwrap();

    let client = directus_async::Directus::builder(&server.url)
        .tokens(kept)
        .unwrap();
    assert_eq!(
        client.me().await.unwrap()["id"],
        server.fixtures().reader_user.as_str()
    );
    client.refresh().await.unwrap();
    let rotated = client.tokens().unwrap();
    assert_ne!(rotated.refresh_token.as_ref(), Some(&old_refresh));
    let (url, old) = (server.url.clone(), old_refresh.expose().to_owned());
    let status = tokio::task::spawn_blocking(move || raw_refresh(&url, &old))
        .await
        .unwrap();
    assert_eq!(status, 401);
    assert_eq!(
        client.me().await.unwrap()["id"],
        server.fixtures().reader_user.as_str()
    );
    client.logout().await.unwrap();
    assert!(client.tokens().is_none());
}
