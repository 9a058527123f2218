//! The redirect policy (`directus_proto::redirect`) for both clients, with two loopback
//! listeners: the "server" that redirects, and another origin that records what reaches it.
//! Nothing with a body or credentials may reach the other origin; reads reach it without the
//! token; a same-origin `307` keeps the method, the body and the token.

use directus_proto::Credentials;
use directus_tests::stub::{Reply, Stub};

const USER: &str = r#"{"data":{"id":"u1"}}"#;

/// The other origin: answers every read with a user, records everything.
fn elsewhere() -> Stub {
    Stub::start(|_| Reply::new(200).body(USER))
}

/// A server that redirects every request to `to` + its path, with `status`.
fn redirecting(status: u16, to: &str) -> Stub {
    let to = to.to_owned();
    Stub::start(move |req| Reply::redirect(status, &format!("{to}{}", req.target)))
}

fn status(err: &directus_proto::Error) -> Option<u16> {
    err.status().map(|s| s.as_u16())
}

mod blocking {
    use super::*;
    use directus_blocking::Directus;
    use serde_json::json;

    #[test]
    fn login_and_refresh_never_follow_to_another_origin() {
        let other = elsewhere();
        for code in [301, 302, 303, 307, 308] {
            let server = redirecting(code, other.url());
            let err = Directus::login(server.url(), "a@example.com", "pw-secret").unwrap_err();
            assert_eq!(status(&err), Some(code), "{err}");
            let client = Directus::builder(server.url())
                .credentials(Some(Credentials::refresh_token("refresh-secret")))
                .unwrap();
            let err = client.refresh().unwrap_err();
            assert_eq!(status(&err), Some(code), "{err}");
        }
        assert!(other.requests().is_empty(), "{:?}", other.requests());
    }

    #[test]
    fn writes_never_follow_to_another_origin() {
        let other = elsewhere();
        let server = redirecting(307, other.url());
        let client = Directus::with_token(server.url(), "static-secret").unwrap();
        let err = client.collection("a").create(&json!({"x": 1})).unwrap_err();
        assert_eq!(status(&err), Some(307));
        let err = client.collection("a").delete(1).unwrap_err();
        assert_eq!(status(&err), Some(307));
        assert!(other.requests().is_empty());
    }

    #[test]
    fn reads_follow_to_another_origin_without_the_token() {
        let other = elsewhere();
        let server = redirecting(302, other.url());
        let client = Directus::with_token(server.url(), "static-secret").unwrap();
        assert_eq!(client.me().unwrap()["id"], "u1");
        let seen = other.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].target, "/users/me");
        assert_eq!(seen[0].header("authorization"), None);
        assert_eq!(
            server.requests()[0].header("authorization"),
            Some("Bearer static-secret")
        );
    }

    #[test]
    fn same_origin_307_keeps_method_body_and_token() {
        let server = Stub::start(|req| match req.target.as_str() {
            "/items/a" => Reply::redirect(307, "/v2/items/a"),
            _ => Reply::new(200).body(r#"{"data":{"id":5}}"#),
        });
        let client = Directus::with_token(server.url(), "static-secret").unwrap();
        let created = client.collection("a").create(&json!({"x": 1})).unwrap();
        assert_eq!(created.unwrap()["id"], 5);
        let seen = server.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            (seen[1].method.as_str(), seen[1].target.as_str()),
            ("POST", "/v2/items/a")
        );
        assert_eq!(seen[1].body, seen[0].body);
        assert_eq!(
            seen[1].header("authorization"),
            Some("Bearer static-secret")
        );
    }
}

mod nonblocking {
    use super::*;
    use directus_async::Directus;
    use serde_json::json;

    #[tokio::test]
    async fn login_and_refresh_never_follow_to_another_origin() {
        let other = elsewhere();
        for code in [301, 302, 303, 307, 308] {
            let server = redirecting(code, other.url());
            let err = Directus::login(server.url(), "a@example.com", "pw-secret")
                .await
                .unwrap_err();
            assert_eq!(status(&err), Some(code), "{err}");
            let client = Directus::builder(server.url())
                .credentials(Some(Credentials::refresh_token("refresh-secret")))
                .unwrap();
            let err = client.refresh().await.unwrap_err();
            assert_eq!(status(&err), Some(code), "{err}");
        }
        assert!(other.requests().is_empty(), "{:?}", other.requests());
    }

    #[tokio::test]
    async fn writes_never_follow_to_another_origin() {
        let other = elsewhere();
        let server = redirecting(308, other.url());
        let client = Directus::with_token(server.url(), "static-secret").unwrap();
        let err = client
            .collection("a")
            .create(&json!({"x": 1}))
            .await
            .unwrap_err();
        assert_eq!(status(&err), Some(308));
        assert!(other.requests().is_empty());
    }

    #[tokio::test]
    async fn reads_follow_to_another_origin_without_the_token() {
        let other = elsewhere();
        let server = redirecting(301, other.url());
        let client = Directus::with_token(server.url(), "static-secret").unwrap();
        assert_eq!(client.me().await.unwrap()["id"], "u1");
        let seen = other.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].header("authorization"), None);
    }

    #[tokio::test]
    async fn same_origin_307_keeps_method_body_and_token() {
        let server = Stub::start(|req| match req.target.as_str() {
            "/items/a" => Reply::redirect(307, "/v2/items/a"),
            _ => Reply::new(200).body(r#"{"data":{"id":5}}"#),
        });
        let client = Directus::with_token(server.url(), "static-secret").unwrap();
        let created = client
            .collection("a")
            .create(&json!({"x": 1}))
            .await
            .unwrap();
        assert_eq!(created.unwrap()["id"], 5);
        let seen = server.requests();
        assert_eq!(
            (seen[1].method.as_str(), seen[1].target.as_str()),
            ("POST", "/v2/items/a")
        );
        assert_eq!(seen[1].body, seen[0].body);
        assert_eq!(
            seen[1].header("authorization"),
            Some("Bearer static-secret")
        );
    }

    /// A `reqwest::Client` passed in with reqwest's default policy (follows redirects by
    /// itself) must not hand back an answer from elsewhere as the server's.
    #[tokio::test]
    async fn a_passed_in_client_that_follows_redirects_is_refused() {
        let other = elsewhere();
        let server = redirecting(302, other.url());
        let client = Directus::builder(server.url())
            .client(reqwest::Client::new())
            .token("static-secret")
            .unwrap();
        let err = client.me().await.unwrap_err();
        assert!(err.to_string().contains("followed a redirect"), "{err}");
    }
}
