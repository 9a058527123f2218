//! Hostile input at the clients' entry points, for both clients: it is refused with a typed
//! error before anything is sent, never turned into another request.

use directus_tests::stub::{Reply, Stub};
use serde_json::json;

/// A key or query that would make the URI longer than HTTP allows is refused: the write never
/// goes to another URI (such as the server's root).
#[test]
fn writes_whose_uri_cannot_be_expressed_are_refused() {
    let server = Stub::start(|_| Reply::new(204));
    let key = "k".repeat(70_000);
    let blocking = directus_blocking::Directus::with_token(server.url(), "t").unwrap();
    let err = blocking
        .collection("a")
        .update(key.as_str(), &json!({"x": 1}))
        .unwrap_err();
    assert!(
        matches!(err, directus_proto::Error::InvalidInput(_)),
        "{err}"
    );
    let err = blocking.collection("a").delete(key.as_str()).unwrap_err();
    assert!(
        matches!(err, directus_proto::Error::InvalidInput(_)),
        "{err}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let nonblocking = directus_async::Directus::with_token(server.url(), "t").unwrap();
    let err = runtime
        .block_on(
            nonblocking
                .collection("a")
                .update(key.as_str(), &json!({"x": 1})),
        )
        .unwrap_err();
    assert!(
        matches!(err, directus_proto::Error::InvalidInput(_)),
        "{err}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

/// A body nested a million levels deep is refused, not a stack overflow (on a 2 MiB thread).
#[test]
fn bodies_nested_a_million_levels_deep_are_refused() {
    let server = Stub::start(|_| Reply::new(204));
    let url = server.url().to_owned();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let mut deep = serde_json::Value::Null;
            for _ in 0..1_000_000 {
                deep = serde_json::Value::Array(vec![deep]);
            }
            let mut item = serde_json::Map::new();
            item.insert("nested".into(), deep);
            let item = serde_json::Value::Object(item);
            let blocking = directus_blocking::Directus::with_token(&url, "t").unwrap();
            let err = blocking.collection("a").create(&item).unwrap_err();
            assert!(
                matches!(err, directus_proto::Error::InvalidInput(_)),
                "{err}"
            );
            // the caller's value: taken apart without recursion
            let serde_json::Value::Object(mut item) = item else {
                unreachable!()
            };
            let mut deep = item.remove("nested").unwrap_or_default();
            while let serde_json::Value::Array(mut inner) = deep {
                deep = inner.pop().unwrap_or(serde_json::Value::Null);
            }
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(server.requests().is_empty());
}

/// A token read from a file with its newline (or any control character) is refused at
/// construction, without showing it: running anonymously would look like a permissions
/// problem.
#[test]
fn tokens_that_cannot_be_sent_are_refused_at_construction() {
    for token in [
        "s3cr3t\n",
        "s3cr3t\r\n",
        "s3\0cr3t",
        "s3\u{7f}cr3t",
        " s3cr3t",
        "",
        "s3 cr3t",
    ] {
        let err = directus_blocking::Directus::with_token("http://127.0.0.1:9", token).unwrap_err();
        assert!(
            matches!(err, directus_proto::Error::InvalidInput(_)),
            "{token:?}: {err}"
        );
        let err = directus_async::Directus::with_token("http://127.0.0.1:9", token).unwrap_err();
        assert!(
            matches!(err, directus_proto::Error::InvalidInput(_)),
            "{token:?}: {err}"
        );
        assert!(!err.to_string().contains("s3"), "{err}");
    }
}
