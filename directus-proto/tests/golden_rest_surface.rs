//! Golden tests of the rest of the REST surface: the exact request (method, URI, content type,
//! body) of every route of `utils`, `graphql`, `versions`, `flows`, `shares`, `access`, `users`,
//! the zip downloads and `update_batch`.

use directus_proto::graphql::{self, Endpoint};
use directus_proto::utils::{self, ImportBatch, ImportOptions};
use directus_proto::{
    BaseUrl, ExportFormat, FileMeta, Items, Key, Operation, Query, access, assets, flows, shares,
    system, users, versions,
};
use serde_json::{Value, json};

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:8055").unwrap()
}

/// Method, URI, body; a JSON content type exactly when there is a body; no credentials.
fn golden<T>(op: &Operation<T>, method: &str, uri: &str, body: &str) {
    let r = op.request();
    assert_eq!(
        (
            r.method().as_str(),
            r.uri().to_string().as_str(),
            String::from_utf8(r.body().to_vec()).unwrap().as_str()
        ),
        (method, uri, body)
    );
    match r.headers().get("content-type") {
        Some(ct) => assert_eq!(ct, "application/json"),
        None => assert!(body.is_empty(), "a body without a content type"),
    }
    assert!(r.headers().get("authorization").is_none());
}

const U: &str = "http://127.0.0.1:8055";

#[test]
fn items_and_utils() {
    let rows = [json!({"id": 1, "n": 2})];
    golden(
        &Items::<Value>::new("p")
            .update_batch(&base(), &rows)
            .unwrap(),
        "PATCH",
        &format!("{U}/items/p"),
        r#"[{"id":1,"n":2}]"#,
    );
    golden(
        &utils::random_string(&base(), 8).unwrap(),
        "GET",
        &format!("{U}/utils/random/string?length=8"),
        "",
    );
    golden(
        &utils::sort(&base(), "p", 3, 1).unwrap(),
        "POST",
        &format!("{U}/utils/sort/p"),
        r#"{"item":3,"to":1}"#,
    );
    golden(
        &utils::revert(&base(), 9).unwrap(),
        "POST",
        &format!("{U}/utils/revert/9"),
        "{}",
    );
    golden(
        &utils::clear_cache(&base(), true).unwrap(),
        "POST",
        &format!("{U}/utils/cache/clear?system=true"),
        "",
    );
    golden(
        &utils::import_batch(
            &base(),
            &[ImportBatch::new("p", vec![json!({"id": 1})])],
            ImportOptions::merge().dry_run(true),
        )
        .unwrap(),
        "POST",
        &format!("{U}/utils/import?mode=merge&dryRun=true"),
        r#"[{"collection":"p","items":[{"id":1}]}]"#,
    );
    golden(
        &utils::export_to_file(
            &base(),
            "p",
            &Query::new().limit(2),
            ExportFormat::Yaml,
            &FileMeta::new().title("t"),
        )
        .unwrap(),
        "POST",
        &format!("{U}/utils/export/p"),
        r#"{"file":{"title":"t"},"format":"yaml","query":{"limit":2}}"#,
    );
    let import = utils::import(
        &base(),
        "p",
        &directus_proto::UploadFile::new("a.csv", "x\n1\n"),
        directus_proto::multipart::Boundary::random(5),
    )
    .unwrap();
    assert_eq!(
        import.request().uri().to_string(),
        format!("{U}/utils/import/p")
    );
    assert!(
        import.request().headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
}

#[test]
fn graphql_and_specs() {
    golden(
        &graphql::query::<Value>(&base(), "{ a { id } }", &json!({"x": 1})).unwrap(),
        "POST",
        &format!("{U}/graphql"),
        r#"{"query":"{ a { id } }","variables":{"x":1}}"#,
    );
    golden(
        &graphql::system::<Value>(&base(), "{ users_me { id } }", &()).unwrap(),
        "POST",
        &format!("{U}/graphql/system"),
        r#"{"query":"{ users_me { id } }"}"#,
    );
    golden(
        &graphql::sdl(&base(), Endpoint::Items).unwrap(),
        "GET",
        &format!("{U}/server/specs/graphql/items"),
        "",
    );
    golden(
        &system::openapi(&base()).unwrap(),
        "GET",
        &format!("{U}/server/specs/oas"),
        "",
    );
}

#[test]
fn versions_flows_shares() {
    golden(
        &versions::create(&base(), "n", "k1", "draft", "Draft").unwrap(),
        "POST",
        &format!("{U}/versions"),
        r#"{"collection":"n","item":"k1","key":"draft","name":"Draft"}"#,
    );
    golden(
        &versions::compare(&base(), "v").unwrap(),
        "GET",
        &format!("{U}/versions/v/compare"),
        "",
    );
    golden(
        &system::save_version(&base(), "v", &json!({"t": 1})).unwrap(),
        "POST",
        &format!("{U}/versions/v/save"),
        r#"{"t":1}"#,
    );
    golden(
        &system::promote_version(&base(), "v", "h", None).unwrap(),
        "POST",
        &format!("{U}/versions/v/promote"),
        r#"{"mainHash":"h"}"#,
    );
    golden(
        &Items::<Value>::new("n")
            .version("draft")
            .version_raw()
            .backlink(false)
            .read_one(&base(), "k")
            .unwrap(),
        "GET",
        &format!("{U}/items/n/k?version=draft&versionRaw=true&backlink=false"),
        "",
    );
    golden(
        &flows::trigger::<Value>(&base(), "f", Some(&json!({"a": 1}))).unwrap(),
        "POST",
        &format!("{U}/flows/trigger/f"),
        r#"{"a":1}"#,
    );
    golden(
        &flows::trigger::<Value>(&base(), "f", None).unwrap(),
        "GET",
        &format!("{U}/flows/trigger/f"),
        "",
    );
    golden(
        &shares::create(&base(), "n", "k", "r", "press", Some(&"pw".into())).unwrap(),
        "POST",
        &format!("{U}/shares"),
        r#"{"collection":"n","item":"k","name":"press","password":"pw","role":"r"}"#,
    );
    let login = shares::login(&base(), "s", Some(&"pw".into())).unwrap();
    golden(
        &login,
        "POST",
        &format!("{U}/shares/auth"),
        r#"{"mode":"json","password":"pw","share":"s"}"#,
    );
    assert!(!login.is_authenticated());
    golden(
        &shares::invite(&base(), "s", &["a@b.c"]).unwrap(),
        "POST",
        &format!("{U}/shares/invite"),
        r#"{"emails":["a@b.c"],"share":"s"}"#,
    );
    golden(
        &system::share_info(&base(), "s").unwrap(),
        "GET",
        &format!("{U}/shares/info/s"),
        "",
    );
}

#[test]
fn access_users_zips() {
    golden(
        &access::item_permissions(&base(), "p", Some(Key::Int(3))).unwrap(),
        "GET",
        &format!("{U}/permissions/me/p/3"),
        "",
    );
    golden(
        &access::my_globals(&base()).unwrap(),
        "GET",
        &format!("{U}/policies/me/globals"),
        "",
    );
    golden(
        &system::my_roles(&base()).unwrap(),
        "GET",
        &format!("{U}/roles/me"),
        "",
    );
    golden(
        &access::auth_providers(&base()).unwrap(),
        "GET",
        &format!("{U}/auth"),
        "",
    );
    golden(
        &users::invite(&base(), "a@b.c", "r", Some("https://app/accept")).unwrap(),
        "POST",
        &format!("{U}/users/invite"),
        r#"{"email":"a@b.c","invite_url":"https://app/accept","role":"r"}"#,
    );
    golden(
        &users::accept_invite(&base(), &"t".into(), &"pw".into()).unwrap(),
        "POST",
        &format!("{U}/users/invite/accept"),
        r#"{"password":"pw","token":"t"}"#,
    );
    golden(
        &users::register(&base(), "a@b.c", &"pw".into(), None).unwrap(),
        "POST",
        &format!("{U}/users/register"),
        r#"{"email":"a@b.c","password":"pw"}"#,
    );
    golden(
        &users::verify_email(&base(), &"t.o.k".into()).unwrap(),
        "GET",
        &format!("{U}/users/register/verify-email?token=t.o.k"),
        "",
    );
    golden(
        &users::tfa_generate(&base(), Some(&"pw".into())).unwrap(),
        "POST",
        &format!("{U}/users/me/tfa/generate"),
        r#"{"password":"pw"}"#,
    );
    golden(
        &users::tfa_enable(&base(), &"S".into(), "123456").unwrap(),
        "POST",
        &format!("{U}/users/me/tfa/enable"),
        r#"{"otp":"123456","secret":"S"}"#,
    );
    golden(
        &users::tfa_disable(&base(), "123456").unwrap(),
        "POST",
        &format!("{U}/users/me/tfa/disable"),
        r#"{"otp":"123456"}"#,
    );
    golden(
        &users::tfa_disable_for(&base(), "u").unwrap(),
        "POST",
        &format!("{U}/users/u/tfa/disable"),
        "{}",
    );
    let zip = assets::zip_files(&base(), &["f1", "f2"]).unwrap();
    assert_eq!(zip.request().headers()["accept"], "*/*");
    assert_eq!(zip.request().uri().to_string(), format!("{U}/assets/files"));
    assert_eq!(zip.request().body(), br#"{"ids":["f1","f2"]}"#);
    let folder = assets::zip_folder(&base(), "d").unwrap();
    assert_eq!(
        (
            folder.request().method().as_str(),
            folder.request().uri().to_string()
        ),
        ("POST", format!("{U}/assets/folder/d"))
    );
}
