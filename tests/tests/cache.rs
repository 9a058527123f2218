//! The opt-in response cache, for both drivers, counted through the proxy: hits send nothing,
//! writes through the client invalidate, sessions never share entries, `forget_cached`,
//! `clear_cache` and logout drop entries; downloads (ranged, whole, streamed) are never served
//! from it.

use directus_proto::Key;
use directus_proto::assets::{self, AssetTransform};
use directus_proto::files::UploadFile;
use directus_proto::models::File;
use directus_tests::fixtures::{PRODUCTS, READER_EMAIL, READER_PASSWORD};
use directus_tests::proxy::Proxy;
use directus_tests::{Server, unique};
use serde_json::json;

const ITEMS: &str = "/items/drs_products";

/// A 100-byte JSON file: an asset whose answers carry a JSON content type, the case a cache
/// keyed on the content type alone would get wrong.
fn json_asset() -> (Vec<u8>, UploadFile) {
    let mut bytes = br#"{"pad":""#.to_vec();
    bytes.resize(98, b'x');
    bytes.extend_from_slice(br#""}"#);
    assert_eq!(bytes.len(), 100);
    let file = UploadFile::new("cache-asset.json", bytes.clone()).media_type("application/json");
    (bytes, file)
}

fn key_of(file: &File) -> String {
    match file.id.as_ref().expect("the file has a key") {
        Key::Str(s) => s.clone(),
        Key::Int(n) => n.to_string(),
    }
}

fn server() -> Server {
    let server = Server::from_env();
    server.fixtures();
    server
}

mod blocking {
    use super::*;
    use directus_blocking::{CacheConfig, Directus};

    fn login(proxy: &Proxy, email: &str, password: &str) -> Directus {
        let client = Directus::login(proxy.url(), email, password).unwrap();
        client.enable_cache(CacheConfig::default());
        client
    }

    #[test]
    fn hits_invalidation_forget_clear_logout() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let client = login(&proxy, &server.admin_email, &server.admin_password);
        let run = unique("cache-b");
        let products = client.collection(PRODUCTS).filter_eq("run", run.as_str());

        assert!(products.read().unwrap().items().is_empty());
        assert_eq!(proxy.count("GET", ITEMS), 1);
        assert!(
            products.read().unwrap().items().is_empty(),
            "served from the cache"
        );
        assert_eq!(proxy.count("GET", ITEMS), 1, "a hit sends nothing");
        assert_eq!(client.session_state().cached_len(), 1);

        // A write through the client drops the collection's entries.
        let created = client
            .collection(PRODUCTS)
            .create(&json!({"name": "cached", "run": run}))
            .unwrap()
            .unwrap();
        assert_eq!(client.session_state().cached_len(), 0);
        assert_eq!(
            products.read().unwrap().items().len(),
            1,
            "fresh after the write"
        );
        assert_eq!(proxy.count("GET", ITEMS), 2);

        // forget_cached drops this query's answer.
        products.read().unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 2);
        products.forget_cached();
        products.read().unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 3);

        // clear_cache drops everything.
        client.session_state().clear_cache();
        assert_eq!(client.session_state().cached_len(), 0);
        products.read().unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 4);

        // Another query is another entry.
        products.clone().limit(1).read().unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 5);
        assert_eq!(client.session_state().cached_len(), 2);

        let id = created["id"].as_i64().unwrap();
        client.collection(PRODUCTS).delete(id).unwrap();
        assert_eq!(
            products.read().unwrap().items().len(),
            0,
            "the delete invalidated"
        );

        // Logout drops the entries.
        assert!(client.session_state().cached_len() > 0);
        client.logout().unwrap();
        assert_eq!(client.session_state().cached_len(), 0);
    }

    #[test]
    fn two_users_never_share_entries() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let admin = login(&proxy, &server.admin_email, &server.admin_password);
        let reader = login(&proxy, READER_EMAIL, READER_PASSWORD);
        let run = unique("cache-b-users");
        admin
            .collection(PRODUCTS)
            .create(&json!({"name": "for-both", "run": run}))
            .unwrap();
        let admin_view = admin.collection(PRODUCTS).filter_eq("run", run.as_str());
        let reader_view = reader.collection(PRODUCTS).filter_eq("run", run.as_str());
        assert_eq!(admin_view.read().unwrap().items().len(), 1);
        assert_eq!(proxy.count("GET", ITEMS), 1);
        // The same query by the other user goes to the server: its own session, its own cache.
        assert_eq!(reader_view.read().unwrap().items().len(), 1);
        assert_eq!(proxy.count("GET", ITEMS), 2);
        // Each now hits its own entry.
        admin_view.read().unwrap();
        reader_view.read().unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 2);
        // A secret the reader may not read is not served to it from the admin's cache.
        admin.collection("drs_secrets").read().unwrap();
        assert!(reader.collection("drs_secrets").read().is_err());
        admin
            .collection(PRODUCTS)
            .delete_by_query(directus_blocking::F::eq("run", run.as_str()))
            .unwrap();
        admin.logout().unwrap();
        reader.logout().unwrap();
    }

    /// A ranged read, then a whole read and two streamed downloads of the same asset with the
    /// cache on: each is sent and answers its own bytes.
    #[test]
    fn downloads_are_never_served_from_the_cache() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let client = login(&proxy, &server.admin_email, &server.admin_password);
        let (bytes, upload) = json_asset();
        let id = key_of(&client.files().upload(&upload).unwrap().unwrap());
        let path = format!("/assets/{id}");
        let whole = AssetTransform::new();

        let range =
            assets::download_range(client.base_url(), id.as_str(), &whole, Some((0, Some(9))));
        assert_eq!(client.run(range.unwrap()).unwrap(), &bytes[..10]);
        let all = client.run(assets::download(client.base_url(), id.as_str(), &whole).unwrap());
        assert_eq!(all.unwrap(), bytes, "the whole file after a ranged read");
        assert_eq!(proxy.count("GET", &path), 2);

        let (mut first, mut second) = (Vec::new(), Vec::new());
        client.files().download(&id, &whole, &mut first).unwrap();
        client.files().download(&id, &whole, &mut second).unwrap();
        assert_eq!(
            (first.as_slice(), second.as_slice()),
            (bytes.as_slice(), bytes.as_slice())
        );
        assert_eq!(proxy.count("GET", &path), 4);
        assert_eq!(client.session_state().cached_len(), 0);
        client.files().delete(id.as_str()).unwrap();
    }
}

mod not_blocking {
    use super::*;
    use directus_async::{CacheConfig, Directus};

    async fn login(proxy: &Proxy, email: &str, password: &str) -> Directus {
        let client = Directus::login(proxy.url(), email, password).await.unwrap();
        client.enable_cache(CacheConfig::default());
        client
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn hits_invalidation_forget_clear_logout() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let client = login(&proxy, &server.admin_email, &server.admin_password).await;
        let run = unique("cache-a");
        let products = client.collection(PRODUCTS).filter_eq("run", run.as_str());

        assert!(products.read().await.unwrap().items().is_empty());
        assert!(products.read().await.unwrap().items().is_empty());
        assert_eq!(proxy.count("GET", ITEMS), 1, "a hit sends nothing");

        let created = client
            .collection(PRODUCTS)
            .create(&json!({"name": "cached", "run": run}))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(products.read().await.unwrap().items().len(), 1);
        assert_eq!(proxy.count("GET", ITEMS), 2);

        products.read().await.unwrap();
        products.forget_cached();
        products.read().await.unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 3);

        client.session_state().clear_cache();
        products.read().await.unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 4);

        let id = created["id"].as_i64().unwrap();
        client.collection(PRODUCTS).delete(id).await.unwrap();
        assert_eq!(products.read().await.unwrap().items().len(), 0);
        assert_eq!(proxy.count("GET", ITEMS), 5);

        assert!(client.session_state().cached_len() > 0);
        client.logout().await.unwrap();
        assert_eq!(client.session_state().cached_len(), 0);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn two_users_never_share_entries() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let admin = login(&proxy, &server.admin_email, &server.admin_password).await;
        let reader = login(&proxy, READER_EMAIL, READER_PASSWORD).await;
        let run = unique("cache-a-users");
        let admin_view = admin.collection(PRODUCTS).filter_eq("run", run.as_str());
        let reader_view = reader.collection(PRODUCTS).filter_eq("run", run.as_str());
        admin_view.read().await.unwrap();
        reader_view.read().await.unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 2);
        admin_view.read().await.unwrap();
        reader_view.read().await.unwrap();
        assert_eq!(proxy.count("GET", ITEMS), 2);
        admin.collection("drs_secrets").read().await.unwrap();
        assert!(reader.collection("drs_secrets").read().await.is_err());
        admin.logout().await.unwrap();
        reader.logout().await.unwrap();
    }

    /// A ranged read, then a whole read and two streamed downloads of the same asset with the
    /// cache on: each is sent and answers its own bytes.
    #[tokio::test(flavor = "multi_thread")]
    async fn downloads_are_never_served_from_the_cache() {
        let server = server();
        let proxy = Proxy::start(&server.url);
        let client = login(&proxy, &server.admin_email, &server.admin_password).await;
        let (bytes, upload) = json_asset();
        let id = key_of(&client.files().upload(&upload).await.unwrap().unwrap());
        let path = format!("/assets/{id}");
        let whole = AssetTransform::new();

        let range =
            assets::download_range(client.base_url(), id.as_str(), &whole, Some((0, Some(9))));
        assert_eq!(client.run(range.unwrap()).await.unwrap(), &bytes[..10]);
        let all = client.run(assets::download(client.base_url(), id.as_str(), &whole).unwrap());
        assert_eq!(
            all.await.unwrap(),
            bytes,
            "the whole file after a ranged read"
        );
        assert_eq!(proxy.count("GET", &path), 2);

        let (mut first, mut second) = (Vec::new(), Vec::new());
        client
            .files()
            .download(&id, &whole, &mut first)
            .await
            .unwrap();
        client
            .files()
            .download(&id, &whole, &mut second)
            .await
            .unwrap();
        assert_eq!(
            (first.as_slice(), second.as_slice()),
            (bytes.as_slice(), bytes.as_slice())
        );
        assert_eq!(proxy.count("GET", &path), 4);
        assert_eq!(client.session_state().cached_len(), 0);
        client.files().delete(id.as_str()).await.unwrap();
    }
}
