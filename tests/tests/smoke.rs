//! Smoke test of the harness itself, with plain ureq: the server is up, the admin can log in,
//! and the fixture collection takes a row. Fails (never skips) when there is no server.

use std::time::Duration;

use directus_tests::{Server, fixtures, unique};
use serde_json::{Value, json};

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    )
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .expect("reading the response body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn admin_logs_in_reads_server_info_and_round_trips_a_product() {
    let server = Server::from_env();
    server.fixtures();
    let agent = agent();

    let ping = agent
        .get(format!("{}/server/ping", server.url))
        .call()
        .expect("GET /server/ping")
        .body_mut()
        .read_to_string()
        .expect("ping body");
    assert_eq!(ping, "pong");

    let (status, login) = read(
        agent
            .post(format!("{}/auth/login", server.url))
            .send_json(json!({"email": server.admin_email, "password": server.admin_password}))
            .expect("POST /auth/login"),
    );
    assert_eq!(status, 200, "login answered {login}");
    let token = login["data"]["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    assert!(login["data"]["expires"].as_u64().is_some(), "{login}");
    let bearer = format!("Bearer {token}");

    let (status, info) = read(
        agent
            .get(format!("{}/server/info", server.url))
            .header("Authorization", &bearer)
            .call()
            .expect("GET /server/info"),
    );
    assert_eq!(status, 200, "server/info answered {info}");
    assert!(info["data"].is_object(), "{info}");

    let run = unique("smoke");
    let (status, created) = read(
        agent
            .post(format!("{}/items/{}", server.url, fixtures::PRODUCTS))
            .header("Authorization", &bearer)
            .send_json(json!({
                "name": "Smoke test widget",
                "category": "smoke",
                "price": "12.50",
                "stock": 3,
                "active": true,
                "tags": ["a", "b"],
                "attrs": {"colour": "red"},
                "run": run,
            }))
            .expect("POST /items/drs_products"),
    );
    assert_eq!(status, 200, "create answered {created}");
    let id = created["data"]["id"].as_i64().expect("integer id");

    let (status, row) = read(
        agent
            .get(format!("{}/items/{}/{id}", server.url, fixtures::PRODUCTS))
            .header("Authorization", &bearer)
            .call()
            .expect("GET /items/drs_products/{id}"),
    );
    assert_eq!(status, 200, "read answered {row}");
    assert_eq!(row["data"]["run"], json!(run));
    assert_eq!(row["data"]["name"], json!("Smoke test widget"));
    assert_eq!(row["data"]["active"], json!(true));
    assert_eq!(row["data"]["tags"], json!(["a", "b"]));
    assert_eq!(row["data"]["attrs"], json!({"colour": "red"}));
}
