//! Files, assets and the system endpoints against a real Directus server, for both clients.
//!
//! Each scenario is written once, in [`scenario!`], and expands into a `blocking` test (the ureq
//! client) and an `async_client` test (the reqwest client on a tokio runtime). Inside a scenario
//! `a!(expr)` is `expr` for the blocking client and `expr.await` for the async one, and `Client`
//! names the client type, so the two cannot drift apart.

// The settings scenario holds a std mutex across awaits on purpose: each async test runs on its
// own runtime under `block_on`, and the mutex only makes the two test threads take turns.
#![allow(clippy::await_holding_lock)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use directus_proto::assets::{AssetTransform, Fit, Format};
use directus_proto::files::{FileMeta, Progress, StreamedFile, UploadFile};
use directus_proto::models::{
    Activity, Comment, File, Folder, Notification, Permission, Policy, Preset, Revision, Role,
    Share, Translation, User, Version,
};
use directus_proto::schema::Collection as SchemaCollection;
use directus_proto::system::{self, TranslationsByKey};
use directus_proto::{Error, ErrorCode, F, Key, Query};
use directus_tests::fixtures::{
    INBOX, PRODUCTS, READER_EMAIL, READER_PASSWORD, READER_POLICY, READER_ROLE, SECRETS, SUPPLIERS,
};
use directus_tests::{Server, unique};
use serde::Deserialize;
use serde_json::json;

/// Expands one scenario body into a blocking test and an async test.
///
/// `scenario!(fn name(directus, server) { ... })`: `directus` is an admin client of the kind
/// under test, `server` the [`Server`]. In the body, `a!(call)` awaits on the async side only.
macro_rules! scenario {
    ($(#[$meta:meta])* fn $name:ident($d:ident, $server:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn blocking() {
                #[allow(unused_macros)]
                macro_rules! a {
                    ($e:expr) => {
                        $e
                    };
                }
                #[allow(unused_imports)]
                use directus_blocking::Directus as Client;
                let $server = Server::from_env();
                $server.fixtures();
                let $d = Client::login(&$server.url, &$server.admin_email, &$server.admin_password)
                    .expect("admin login (blocking)");
                $body
            }

            #[test]
            fn async_client() {
                #[allow(unused_macros)]
                macro_rules! a {
                    ($e:expr) => {
                        $e.await
                    };
                }
                #[allow(unused_imports)]
                use directus_async::Directus as Client;
                let $server = Server::from_env();
                $server.fixtures();
                runtime().block_on(async {
                    let $d =
                        Client::login(&$server.url, &$server.admin_email, &$server.admin_password)
                            .await
                            .expect("admin login (async)");
                    $body
                })
            }
        }
    };
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).expect("fixture file")
}

/// A path in the temp folder no other test uses (the file is not created).
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{}-{name}", unique("drs-files")))
}

/// The key of an uploaded file, as the `&str` the asset calls take.
fn id_of(file: &File) -> String {
    match file.id.as_ref().expect("the file has a key") {
        Key::Str(s) => s.clone(),
        Key::Int(n) => n.to_string(),
    }
}

fn folder_key(file: &File) -> Option<String> {
    file.folder
        .as_ref()
        .and_then(|f| f.key())
        .map(ToString::to_string)
}

/// Width and height from a PNG's IHDR (big-endian u32 at bytes 16..20 and 20..24).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() >= 24, "not a PNG: {} bytes", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG signature");
    let be = |r: std::ops::Range<usize>| u32::from_be_bytes(bytes[r].try_into().unwrap());
    (be(16..20), be(20..24))
}

/// Collects the progress reports of a `Files` handle.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<Progress>>>);

impl Reports {
    fn callback(&self) -> impl Fn(Progress) + Send + Sync + 'static {
        let log = Arc::clone(&self.0);
        move |p| log.lock().unwrap().push(p)
    }

    fn take(&self) -> Vec<Progress> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Asserts the reports grow to `expected` bytes with that total known throughout.
fn assert_progress(reports: &[Progress], expected: u64) {
    assert!(!reports.is_empty(), "no progress was reported");
    let last = reports.last().unwrap();
    assert_eq!(last.done, expected, "last report: {last:?}");
    assert_eq!(last.total, Some(expected), "last report: {last:?}");
    assert!(reports.iter().all(|p| p.total == Some(expected)));
    assert!(reports.windows(2).all(|w| w[0].done < w[1].done));
}

/// Settings are one row for the whole server: the two clients' settings scenarios take turns.
static SETTINGS_LOCK: Mutex<()> = Mutex::new(());

// ---------------------------------------------------------------------------------------------
// Files

scenario! {
    /// In-memory uploads of each fixture: the type the server stored (detected from the bytes,
    /// or from the name for text) and the size; a given media type wins over detection.
    fn upload_types_from_bytes(directus, server) {
        let files = directus.files();
        let mut ids = Vec::new();
        for (name, expected) in [
            ("red-64x32.png", "image/png"),
            ("red-64x32.jpg", "image/jpeg"),
            ("tiny.pdf", "application/pdf"),
            ("note.txt", "text/plain"),
        ] {
            let bytes = fixture(name);
            let title = unique("upload");
            let file = a!(files.upload(&UploadFile::new(name, bytes.clone()).title(title.as_str())))
                .unwrap()
                .expect("the upload answers the file");
            assert_eq!(file.r#type.as_deref(), Some(expected), "{name}");
            assert_eq!(file.filesize, Some(bytes.len() as i64), "{name}");
            assert_eq!(file.title.as_deref(), Some(title.as_str()), "{name}");
            assert_eq!(file.filename_download.as_deref(), Some(name));
            if expected == "image/png" || expected == "image/jpeg" {
                assert_eq!((file.width, file.height), (Some(64), Some(32)), "{name}");
            }
            ids.push(id_of(&file));
        }

        // Detection from the bytes, not the name: PNG bytes under a .bin name.
        let file = a!(files.upload(&UploadFile::new("pixels.bin", fixture("red-64x32.png"))))
            .unwrap()
            .unwrap();
        assert_eq!(file.r#type.as_deref(), Some("image/png"));
        ids.push(id_of(&file));

        // A given media type wins over detection.
        let file = a!(files.upload(
            &UploadFile::new("red.png", fixture("red-64x32.png")).media_type("application/octet-stream")
        ))
        .unwrap()
        .unwrap();
        assert_eq!(file.r#type.as_deref(), Some("application/octet-stream"));
        ids.push(id_of(&file));

        let file = a!(files.upload(&UploadFile::new("note.txt", fixture("note.txt")).media_type("text/markdown")))
            .unwrap()
            .unwrap();
        assert_eq!(file.r#type.as_deref(), Some("text/markdown"));
        ids.push(id_of(&file));

        for id in ids {
            a!(files.delete(id.as_str())).unwrap();
        }
    }
}

scenario! {
    /// Streamed uploads from a path and from a reader: same types and sizes as in memory.
    fn upload_types_streamed(directus, server) {
        let files = directus.files();
        let mut ids = Vec::new();
        for (name, expected) in [
            ("red-64x32.png", "image/png"),
            ("red-64x32.jpg", "image/jpeg"),
            ("tiny.pdf", "application/pdf"),
            ("note.txt", "text/plain"),
        ] {
            let bytes = fixture(name);
            let file = a!(files.upload_path(fixture_path(name), StreamedFile::new(name).title("from path")))
                .unwrap()
                .expect("the upload answers the file");
            assert_eq!(file.r#type.as_deref(), Some(expected), "upload_path {name}");
            assert_eq!(file.filesize, Some(bytes.len() as i64), "upload_path {name}");
            assert_eq!(file.title.as_deref(), Some("from path"));
            ids.push(id_of(&file));

            let length = bytes.len() as u64;
            let file = a!(files.upload_reader(
                std::io::Cursor::new(bytes.clone()),
                StreamedFile::new(name).length(length)
            ))
            .unwrap()
            .expect("the upload answers the file");
            assert_eq!(file.r#type.as_deref(), Some(expected), "upload_reader {name}");
            assert_eq!(file.filesize, Some(bytes.len() as i64), "upload_reader {name}");
            ids.push(id_of(&file));
        }

        // A reader of unknown length (no Content-Length: chunked).
        let bytes = fixture("tiny.pdf");
        let file = a!(files.upload_reader(std::io::Cursor::new(bytes.clone()), StreamedFile::new("doc.pdf")))
            .unwrap()
            .unwrap();
        assert_eq!(file.r#type.as_deref(), Some("application/pdf"));
        assert_eq!(file.filesize, Some(bytes.len() as i64));
        ids.push(id_of(&file));

        // A given media type wins over detection, streamed too.
        let file = a!(files.upload_path(
            fixture_path("red-64x32.jpg"),
            StreamedFile::new("red.jpg").media_type("application/octet-stream")
        ))
        .unwrap()
        .unwrap();
        assert_eq!(file.r#type.as_deref(), Some("application/octet-stream"));
        ids.push(id_of(&file));

        for id in ids {
            a!(files.delete(id.as_str())).unwrap();
        }
    }
}

scenario! {
    /// Uploaded, then downloaded into a Vec and into a file: byte for byte the same.
    fn round_trip_bytes(directus, server) {
        let files = directus.files();
        for name in ["red-64x32.png", "red-64x32.jpg", "tiny.pdf", "note.txt"] {
            let bytes = fixture(name);
            let file = a!(files.upload(&UploadFile::new(name, bytes.clone()))).unwrap().unwrap();
            let id = id_of(&file);

            let mut downloaded = Vec::new();
            let head = a!(files.download(&id, &AssetTransform::new(), &mut downloaded)).unwrap();
            assert_eq!(downloaded, bytes, "{name}: download");
            assert_eq!(head.content_length, Some(bytes.len() as u64), "{name}");
            assert!(!head.partial);

            let path = temp_path(name);
            a!(files.download_to_file(&id, &AssetTransform::new(), &path)).unwrap();
            let on_disk = std::fs::read(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            assert_eq!(on_disk, bytes, "{name}: download_to_file");

            a!(files.delete(id.as_str())).unwrap();
        }
    }
}

scenario! {
    /// A transform (width=16) of the 64x32 PNG: the downloaded PNG is 16x8; the original stays.
    fn transform_resizes(directus, server) {
        let files = directus.files();
        let file = a!(files.upload(&UploadFile::new("red.png", fixture("red-64x32.png"))))
            .unwrap()
            .unwrap();
        let id = id_of(&file);

        let mut original = Vec::new();
        a!(files.download(&id, &AssetTransform::new(), &mut original)).unwrap();
        assert_eq!(png_size(&original), (64, 32));

        let mut small = Vec::new();
        let head = a!(files.download(&id, &AssetTransform::new().width(16), &mut small)).unwrap();
        assert_eq!(png_size(&small), (16, 8));
        assert_eq!(head.content_type.as_deref(), Some("image/png"));

        // width and height with fit=cover crop to exactly that box.
        let mut boxed = Vec::new();
        a!(files.download(
            &id,
            &AssetTransform::new().width(10).height(10).fit(Fit::Cover).format(Format::Png),
            &mut boxed
        ))
        .unwrap();
        assert_eq!(png_size(&boxed), (10, 10));

        a!(files.delete(id.as_str())).unwrap();
    }
}

scenario! {
    /// `upload_into` a folder by name lands there; an unknown name is an InvalidInput naming
    /// it, and nothing is uploaded.
    fn upload_into_folder(directus, server) {
        let name = unique("folder");
        let created = a!(directus.collection("directus_folders").create(&json!({"name": name})))
            .unwrap()
            .expect("the folder");
        let folder_id = created["id"].as_str().expect("folder key").to_owned();

        let folder: Folder = a!(directus.files().folder(&name)).unwrap();
        assert_eq!(folder.id, Some(Key::Str(folder_id.clone())));
        assert_eq!(folder.name.as_deref(), Some(name.as_str()));

        let file = a!(directus.files().upload_into(&name, &UploadFile::new("a.txt", b"in a folder".to_vec())))
            .unwrap()
            .unwrap();
        assert_eq!(folder_key(&file).as_deref(), Some(folder_id.as_str()));
        let read = a!(directus.files().read(id_of(&file), &Query::new())).unwrap();
        assert_eq!(folder_key(&read).as_deref(), Some(folder_id.as_str()));

        let missing = unique("no-such-folder");
        let title = unique("never-uploaded");
        let err = a!(directus.files().upload_into(
            &missing,
            &UploadFile::new("b.txt", b"nowhere".to_vec()).title(title.as_str())
        ))
        .unwrap_err();
        match &err {
            Error::InvalidInput(message) => {
                assert_eq!(message, &format!("folder {missing:?} does not exist"));
            }
            other => panic!("expected InvalidInput, got {other:?}"),
        }
        let found = a!(directus.files().list(&Query::new().filter(F::eq("title", title.as_str()))))
            .unwrap();
        assert!(found.items().is_empty(), "nothing is uploaded: {:?}", found.items());

        a!(directus.files().delete(id_of(&file))).unwrap();
        a!(directus.collection("directus_folders").delete(folder_id.as_str())).unwrap();
    }
}

scenario! {
    /// `upload_many` of two files with their own titles: each keeps its own.
    fn upload_many_titles(directus, server) {
        let (t1, t2) = (unique("first"), unique("second"));
        let uploaded = a!(directus.files().upload_many(&[
            UploadFile::new("one.txt", b"one".to_vec()).title(t1.as_str()),
            UploadFile::new("two.png", fixture("red-64x32.png")).title(t2.as_str()),
        ]))
        .unwrap()
        .expect("the files");
        assert_eq!(uploaded.len(), 2);
        let by_title = |t: &str| uploaded.iter().find(|f| f.title.as_deref() == Some(t)).cloned();
        let one = by_title(&t1).expect("first title");
        let two = by_title(&t2).expect("second title");
        assert_eq!(one.filename_download.as_deref(), Some("one.txt"));
        assert_eq!(one.r#type.as_deref(), Some("text/plain"));
        assert_eq!(one.filesize, Some(3));
        assert_eq!(two.filename_download.as_deref(), Some("two.png"));
        assert_eq!(two.r#type.as_deref(), Some("image/png"));
        assert_ne!(one.id, two.id);
        for f in [&one, &two] {
            let read = a!(directus.files().read(id_of(f), &Query::new())).unwrap();
            assert_eq!(read.title, f.title);
            a!(directus.files().delete(id_of(f))).unwrap();
        }
    }
}

scenario! {
    /// `replace` (in memory) and `replace_path` (streamed): same key, new bytes on download.
    fn replace_content(directus, server) {
        let files = directus.files();
        let file = a!(files.upload(&UploadFile::new("v1.txt", b"version one".to_vec())))
            .unwrap()
            .unwrap();
        let id = id_of(&file);

        let replaced = a!(files.replace(id.as_str(), &UploadFile::new("v2.txt", b"version two!".to_vec())))
            .unwrap()
            .expect("the replaced file");
        assert_eq!(id_of(&replaced), id);
        assert_eq!(replaced.filesize, Some(12));
        let mut bytes = Vec::new();
        a!(files.download(&id, &AssetTransform::new(), &mut bytes)).unwrap();
        assert_eq!(bytes, b"version two!");

        let png = fixture("red-64x32.png");
        let replaced = a!(files.replace_path(id.as_str(), fixture_path("red-64x32.png"), StreamedFile::new("v3.png")))
            .unwrap()
            .expect("the replaced file");
        assert_eq!(id_of(&replaced), id);
        assert_eq!(replaced.r#type.as_deref(), Some("image/png"));
        assert_eq!(replaced.filesize, Some(png.len() as i64));
        let mut bytes = Vec::new();
        a!(files.download(&id, &AssetTransform::new(), &mut bytes)).unwrap();
        assert_eq!(bytes, png);

        a!(files.delete(id.as_str())).unwrap();
    }
}

scenario! {
    /// Metadata read, update, list and delete.
    fn metadata_update_delete(directus, server) {
        let files = directus.files();
        let file = a!(files.upload(&UploadFile::new("meta.txt", b"meta".to_vec()).title("before")))
            .unwrap()
            .unwrap();
        let id = id_of(&file);

        let read = a!(files.read(id.as_str(), &Query::new())).unwrap();
        assert_eq!(read.id, file.id);
        assert_eq!(read.title.as_deref(), Some("before"));
        assert_eq!(read.filename_download.as_deref(), Some("meta.txt"));
        assert_eq!(read.filesize, Some(4));
        assert_eq!(read.storage.as_deref(), Some("local"));

        let title = unique("after");
        let updated = a!(files.update(
            id.as_str(),
            &FileMeta::new().title(title.as_str()).description("described")
        ))
        .unwrap()
        .expect("the updated file");
        assert_eq!(updated.title.as_deref(), Some(title.as_str()));
        assert_eq!(updated.description.as_deref(), Some("described"));

        let read = a!(files.read(id.as_str(), &Query::new().fields(["id", "title", "description"]))).unwrap();
        assert_eq!(read.title.as_deref(), Some(title.as_str()));
        assert_eq!(read.description.as_deref(), Some("described"));
        assert_eq!(read.filesize, None, "only the asked fields");

        let listed = a!(files.list(&Query::new().filter(F::eq("title", title.as_str())))).unwrap();
        assert_eq!(listed.items().len(), 1);
        assert_eq!(listed.items()[0].id, file.id);

        a!(files.delete(id.as_str())).unwrap();
        let err = a!(files.read(id.as_str(), &Query::new())).unwrap_err();
        let api = err.api().unwrap_or_else(|| panic!("an API error, got {err:?}"));
        assert_eq!(api.code(), &ErrorCode::Forbidden, "{err}");
        let mut bytes = Vec::new();
        let err = a!(files.download(&id, &AssetTransform::new(), &mut bytes)).unwrap_err();
        assert_eq!(err.api().map(|e| e.code().clone()), Some(ErrorCode::Forbidden), "{err}");
        assert!(bytes.is_empty());
    }
}

scenario! {
    /// Progress of a streamed upload and of a download: the last report is the whole count,
    /// with the total known.
    fn progress_reports(directus, server) {
        // 300 KB: several chunks on both sides.
        let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let path = temp_path("progress.bin");
        std::fs::write(&path, &content).unwrap();

        let reports = Reports::default();
        let files = directus.files().on_progress(reports.callback());
        let file = a!(files.upload_path(&path, StreamedFile::new("progress.bin")))
            .unwrap()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(file.filesize, Some(content.len() as i64));
        let up = reports.take();
        // The upload counts the whole multipart body: the content plus its part headers.
        let sent = up.last().expect("upload progress").done;
        assert!(sent > content.len() as u64 && sent < content.len() as u64 + 1024, "{sent}");
        assert_progress(&up, sent);
        assert!(up.len() > 1, "several reports: {}", up.len());

        let id = id_of(&file);
        let mut bytes = Vec::new();
        a!(files.download(&id, &AssetTransform::new(), &mut bytes)).unwrap();
        assert_eq!(bytes, content);
        let down = reports.take();
        assert_progress(&down, content.len() as u64);

        let path = temp_path("progress-copy.bin");
        a!(files.download_to_file(&id, &AssetTransform::new(), &path)).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), content);
        std::fs::remove_file(&path).unwrap();
        assert_progress(&reports.take(), content.len() as u64);

        a!(directus.files().delete(id.as_str())).unwrap();
    }
}

scenario! {
    /// `files().url(..)` is exactly the percent-encoded URL.
    fn asset_urls(directus, server) {
        let files = directus.files();
        let base = &server.url;
        assert_eq!(files.url("f1", &AssetTransform::new()).unwrap(), format!("{base}/assets/f1"));
        assert_eq!(
            files.url("f1", &AssetTransform::new().width(16)).unwrap(),
            format!("{base}/assets/f1?width=16")
        );
        assert_eq!(
            files
                .url(
                    "a b/c",
                    &AssetTransform::new()
                        .width(64)
                        .height(32)
                        .fit(Fit::Cover)
                        .format(Format::Webp)
                        .quality(80)
                        .without_enlargement(true)
                        .download(true)
                )
                .unwrap(),
            format!(
                "{base}/assets/a%20b%2Fc?width=64&height=32&fit=cover&format=webp&quality=80&withoutEnlargement=true&download=true"
            )
        );
        assert_eq!(
            files
                .url("f1", &AssetTransform::new().transforms(json!([["blur", 4], ["rotate", 90]])))
                .unwrap(),
            format!("{base}/assets/f1?transforms=%5B%5B%22blur%22%2C4%5D%2C%5B%22rotate%22%2C90%5D%5D")
        );
        assert_eq!(
            files.url("f1", &AssetTransform::preset("thumb & small")).unwrap(),
            format!("{base}/assets/f1?key=thumb%20%26%20small")
        );
        assert!(matches!(
            files.url("f1", &AssetTransform::new().width(0)),
            Err(Error::InvalidInput(_))
        ));

        // The URL with a width serves the resized image (admin token in the header).
        let file = a!(files.upload(&UploadFile::new("u.png", fixture("red-64x32.png")))).unwrap().unwrap();
        let id = id_of(&file);
        assert_eq!(
            files.url(&id, &AssetTransform::new().width(16)).unwrap(),
            format!("{base}/assets/{id}?width=16")
        );
        a!(files.delete(id.as_str())).unwrap();
    }
}

scenario! {
    /// `/files/import` from a loopback URL: the server refuses to fetch it (503
    /// SERVICE_UNAVAILABLE), typed.
    fn import_from_loopback_is_refused(directus, server) {
        let file = a!(directus.files().upload(&UploadFile::new("src.png", fixture("red-64x32.png"))))
            .unwrap()
            .unwrap();
        let id = id_of(&file);
        let title = unique("imported");
        let err = a!(directus.files().import(
            &format!("{}/assets/{id}", server.url),
            &FileMeta::new().title(title.as_str())
        ))
        .unwrap_err();
        let api = err.api().unwrap_or_else(|| panic!("an API error, got {err:?}"));
        assert_eq!(api.status().as_u16(), 503, "{err}");
        assert_eq!(api.code(), &ErrorCode::ServiceUnavailable, "{err}");
        let found = a!(directus.files().list(&Query::new().filter(F::eq("title", title.as_str()))))
            .unwrap();
        assert!(found.items().is_empty());
        a!(directus.files().delete(id.as_str())).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// System collections and endpoints

/// A project's own type for the current user: the system fields plus what the project reads.
#[derive(Debug, Deserialize)]
struct Me {
    #[serde(flatten)]
    base: User,
    theme_light: Option<String>,
    tfa_secret: Option<String>,
}

scenario! {
    /// The current user as `User` and as a project's extended type; users and roles by model.
    fn users_roles_policies(directus, server) {
        let fixtures = server.fixtures();
        let me: User = a!(directus.me_as()).unwrap();
        assert_eq!(me.email.as_deref(), Some(server.admin_email.as_str()));
        assert_eq!(me.role.as_ref().and_then(|r| r.key()).map(ToString::to_string), Some(fixtures.admin_role.clone()));
        assert_eq!(me.status.as_deref(), Some("active"));
        assert_eq!(me.password.as_ref().map(directus_proto::Secret::expose), Some("**********"), "the password is masked");

        let mine: Me = a!(directus.me_as()).unwrap();
        assert_eq!(mine.base.email.as_deref(), Some(server.admin_email.as_str()));
        assert_eq!(mine.base.id, me.id);
        assert_eq!(mine.theme_light, None);
        assert_eq!(mine.tfa_secret, None);
        assert!(!mine.base.extra.contains_key("email"));

        let users = a!(directus
            .collection_of::<User>()
            .filter(F::eq("email", READER_EMAIL))
            .read())
        .unwrap();
        assert_eq!(users.items().len(), 1);
        let reader = &users.items()[0];
        assert_eq!(reader.id.as_ref().map(ToString::to_string), Some(fixtures.reader_user.clone()));
        assert_eq!(reader.role.as_ref().and_then(|r| r.key()).map(ToString::to_string), Some(fixtures.reader_role.clone()));

        // A nested role read as the typed model.
        let users = a!(directus
            .collection_of::<User>()
            .filter(F::eq("email", READER_EMAIL))
            .fields(["id", "role.id", "role.name"])
            .read())
        .unwrap();
        let role = users.items()[0].role.as_ref().and_then(|r| r.item()).expect("expanded role");
        assert_eq!(role.name.as_deref(), Some(READER_ROLE));

        let role: Role = a!(directus.collection_of::<Role>().read_one(fixtures.reader_role.as_str())).unwrap();
        assert_eq!(role.name.as_deref(), Some(READER_ROLE));

        let policy: Policy = a!(directus.collection_of::<Policy>().read_one(fixtures.reader_policy.as_str())).unwrap();
        assert_eq!(policy.name.as_deref(), Some(READER_POLICY));
        assert_eq!(policy.admin_access, Some(false));

        let permissions = a!(directus
            .collection_of::<Permission>()
            .filter(F::eq("policy", fixtures.reader_policy.as_str()))
            .read())
        .unwrap();
        let mut granted: Vec<(String, String)> = permissions
            .items()
            .iter()
            .map(|p| (p.collection.clone().unwrap(), p.action.clone().unwrap()))
            .collect();
        granted.sort();
        let expected: Vec<(String, String)> = [
            (INBOX, "create"),
            (PRODUCTS, "read"),
            (SUPPLIERS, "read"),
        ]
        .iter()
        .map(|(c, a)| (c.to_string(), a.to_string()))
        .collect();
        assert_eq!(granted, expected);
        for p in permissions.items() {
            assert_eq!(p.policy.as_ref().and_then(|r| r.key()).map(ToString::to_string), Some(fixtures.reader_policy.clone()));
        }
    }
}

scenario! {
    /// What the reader may do: read on products, nothing on secrets.
    fn reader_permissions(directus, server) {
        let reader = a!(Client::login(&server.url, READER_EMAIL, READER_PASSWORD)).unwrap();
        let perms = a!(reader.my_permissions()).unwrap();
        let read = &perms[PRODUCTS]["read"];
        assert!(read.allowed());
        assert_eq!(read.access, "full");
        assert_eq!(read.fields.as_deref(), Some(&["*".to_string()][..]));
        assert!(read.allows_field("name"));
        for action in ["create", "update", "delete", "share"] {
            assert_eq!(perms[PRODUCTS][action].access, "none", "{action}");
            assert!(!perms[PRODUCTS][action].allowed());
        }
        assert_eq!(perms[INBOX]["create"].access, "full");
        assert_eq!(perms[INBOX]["read"].access, "none");
        // No access at all: the collection is not even listed.
        assert!(!perms.contains_key(SECRETS), "{:?}", perms.get(SECRETS));
        let mut collections: Vec<&str> = perms.keys().map(String::as_str).collect();
        collections.sort_unstable();
        assert_eq!(collections, [INBOX, PRODUCTS, SUPPLIERS]);

        // The reader may not read directus_users: /users/me answers only its key.
        let me: User = a!(reader.me_as()).unwrap();
        assert_eq!(me.id.as_ref().map(ToString::to_string), Some(server.fixtures().reader_user.clone()));
        assert_eq!(me.email, None);
        // The admin sees everything.
        let admin = a!(directus.my_permissions()).unwrap();
        assert_eq!(admin[SECRETS]["read"].access, "full");
    }
}

scenario! {
    /// Folders and files through `collection_of`.
    fn folders_and_files_by_model(directus, server) {
        let name = unique("models-folder");
        let folder = a!(directus.collection_of::<Folder>().create(&Folder { name: Some(name.clone()), ..Default::default() }))
            .unwrap()
            .expect("the folder");
        let folder_id = folder.id.clone().expect("folder key");
        assert_eq!(folder.name.as_deref(), Some(name.as_str()));

        let file = a!(directus.files().upload(&UploadFile::new("m.txt", b"model".to_vec()).folder(folder_id.clone())))
            .unwrap()
            .unwrap();
        let listed = a!(directus
            .collection_of::<File>()
            .filter(F::eq("folder", folder_id.to_string()))
            .read())
        .unwrap();
        assert_eq!(listed.items().len(), 1);
        assert_eq!(listed.items()[0].id, file.id);
        assert_eq!(listed.items()[0].filesize, Some(5));

        let folders = a!(directus.collection_of::<Folder>().filter(F::eq("name", name.as_str())).read()).unwrap();
        assert_eq!(folders.items().len(), 1);
        assert_eq!(folders.items()[0].id, Some(folder_id.clone()));

        a!(directus.files().delete(id_of(&file))).unwrap();
        a!(directus.collection_of::<Folder>().delete(folder_id)).unwrap();
    }
}

scenario! {
    /// Activity, revisions and comments of a product.
    fn activity_revisions_comments(directus, server) {
        let run = unique("activity");
        let created = a!(directus.collection(PRODUCTS).create(&json!({"name": "Logged", "run": run, "stock": 1})))
            .unwrap()
            .expect("the product");
        let id = created["id"].as_i64().expect("integer key");
        a!(directus.collection(PRODUCTS).update(id, &json!({"stock": 2}))).unwrap();

        let activity = a!(directus
            .collection_of::<Activity>()
            .filter(F::eq("collection", PRODUCTS) & F::eq("item", id.to_string()))
            .sort("id", directus_proto::Order::Asc)
            .read())
        .unwrap();
        let actions: Vec<&str> = activity.items().iter().map(|a| a.action.as_deref().unwrap()).collect();
        assert_eq!(actions, ["create", "update"]);
        assert_eq!(activity.items()[0].item.as_deref(), Some(id.to_string().as_str()));

        let revisions = a!(directus
            .collection_of::<Revision>()
            .filter(F::eq("collection", PRODUCTS) & F::eq("item", id.to_string()))
            .sort("id", directus_proto::Order::Asc)
            .read())
        .unwrap();
        assert_eq!(revisions.items().len(), 2);
        assert_eq!(revisions.items()[0].data.as_ref().unwrap()["run"], json!(run));
        assert_eq!(revisions.items()[1].delta.as_ref().unwrap()["stock"], json!(2));

        let text = unique("comment");
        let comment = a!(directus.run(system::comment(directus.base_url(), PRODUCTS, id, &text).unwrap()))
            .unwrap()
            .expect("the comment");
        assert_eq!(comment.comment.as_deref(), Some(text.as_str()));
        let comments = a!(directus
            .collection_of::<Comment>()
            .filter(F::eq("collection", PRODUCTS) & F::eq("item", id.to_string()))
            .read())
        .unwrap();
        assert_eq!(comments.items().len(), 1);
        assert_eq!(comments.items()[0].comment.as_deref(), Some(text.as_str()));
        assert_eq!(comments.items()[0].item.as_deref(), Some(id.to_string().as_str()));

        a!(directus.collection_of::<Comment>().delete(comment.id.clone().unwrap())).unwrap();
        a!(directus.collection(PRODUCTS).delete(id)).unwrap();
    }
}

scenario! {
    /// Presets, notifications, shares and versions: created, then read back by model.
    fn presets_notifications_shares_versions(directus, server) {
        let fixtures = server.fixtures();
        let me: User = a!(directus.me_as()).unwrap();
        let run = unique("shares");
        let product = a!(directus.collection(PRODUCTS).create(&json!({"name": "Shared", "run": run})))
            .unwrap()
            .unwrap();
        let item = product["id"].as_i64().unwrap().to_string();

        let bookmark = unique("bookmark");
        let preset = a!(directus.collection_of::<Preset>().create(&json!({
            "bookmark": bookmark, "collection": PRODUCTS, "user": me.id, "layout": "tabular",
            "layout_query": {"tabular": {"limit": 25}}
        })))
        .unwrap()
        .unwrap();
        let presets = a!(directus.collection_of::<Preset>().filter(F::eq("bookmark", bookmark.as_str())).read()).unwrap();
        assert_eq!(presets.items().len(), 1);
        assert_eq!(presets.items()[0].collection.as_deref(), Some(PRODUCTS));
        assert_eq!(presets.items()[0].layout.as_deref(), Some("tabular"));
        assert_eq!(presets.items()[0].layout_query, Some(json!({"tabular": {"limit": 25}})));

        let subject = unique("subject");
        let notification = a!(directus.collection_of::<Notification>().create(&json!({
            "recipient": fixtures.reader_user, "sender": me.id, "subject": subject, "message": "hello",
            "collection": PRODUCTS, "item": item
        })))
        .unwrap()
        .unwrap();
        let notifications = a!(directus.collection_of::<Notification>().filter(F::eq("subject", subject.as_str())).read()).unwrap();
        assert_eq!(notifications.items().len(), 1);
        let n = &notifications.items()[0];
        assert_eq!(n.status.as_deref(), Some("inbox"));
        assert_eq!(n.recipient.as_ref().and_then(|r| r.key()).map(ToString::to_string), Some(fixtures.reader_user.clone()));
        assert_eq!(n.sender.as_ref().and_then(|r| r.key()), me.id.as_ref());
        assert_eq!(n.item.as_deref(), Some(item.as_str()));

        let share_name = unique("share");
        let share = a!(directus.collection_of::<Share>().create(&json!({
            "name": share_name, "collection": PRODUCTS, "item": item, "max_uses": 3
        })))
        .unwrap()
        .unwrap();
        let shares = a!(directus.collection_of::<Share>().filter(F::eq("name", share_name.as_str())).read()).unwrap();
        assert_eq!(shares.items().len(), 1);
        assert_eq!(shares.items()[0].max_uses, Some(3));
        assert_eq!(shares.items()[0].times_used, Some(0));
        assert_eq!(shares.items()[0].item.as_deref(), Some(item.as_str()));

        // Versions: listed by model (creating one needs versioning enabled on the collection,
        // which the shared fixture schema does not turn on).
        let versions = a!(directus.collection_of::<Version>().filter(F::eq("collection", PRODUCTS) & F::eq("item", item.as_str())).read()).unwrap();
        assert!(versions.items().is_empty());

        a!(directus.collection_of::<Share>().delete(share.id.clone().unwrap())).unwrap();
        a!(directus.collection_of::<Notification>().delete(notification.id.clone().unwrap())).unwrap();
        a!(directus.collection_of::<Preset>().delete(preset.id.clone().unwrap())).unwrap();
        a!(directus.collection(PRODUCTS).delete(item.parse::<i64>().unwrap())).unwrap();
    }
}

scenario! {
    /// Translations created in bulk from the grouped form, then grouped by key again.
    fn translations(directus, server) {
        let key = unique("greeting");
        let mut grouped = TranslationsByKey::new();
        let langs = grouped.entry(key.clone()).or_default();
        langs.insert("en-US".into(), "Hello".into());
        langs.insert("de-DE".into(), "Hallo".into());
        let created = a!(directus.create_translations(&grouped)).unwrap().expect("the rows");
        assert_eq!(created.len(), 2);

        let all = a!(directus.translations_by_key()).unwrap();
        assert_eq!(all.get(&key), grouped.get(&key));

        let rows = a!(directus.collection_of::<Translation>().filter(F::eq("key", key.as_str())).sort("language", directus_proto::Order::Asc).read()).unwrap();
        let values: Vec<(&str, &str)> = rows
            .items()
            .iter()
            .map(|t| (t.language.as_deref().unwrap(), t.value.as_deref().unwrap()))
            .collect();
        assert_eq!(values, [("de-DE", "Hallo"), ("en-US", "Hello")]);

        for row in rows.items() {
            a!(directus.collection_of::<Translation>().delete(row.id.clone().unwrap())).unwrap();
        }
        let all = a!(directus.translations_by_key()).unwrap();
        assert!(!all.contains_key(&key));
    }
}

scenario! {
    /// Settings read, update and restore (one row for the server: the clients take turns).
    fn settings_round_trip(directus, server) {
        let _turn = SETTINGS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let before = a!(directus.settings()).unwrap();
        assert!(before.id.is_some());
        let descriptor = unique("descriptor");
        let updated = a!(directus.update_settings(&json!({"project_descriptor": descriptor})))
            .unwrap()
            .expect("the settings");
        assert_eq!(updated.project_descriptor.as_deref(), Some(descriptor.as_str()));
        assert_eq!(updated.project_name, before.project_name);
        let read = a!(directus.settings()).unwrap();
        assert_eq!(read.project_descriptor.as_deref(), Some(descriptor.as_str()));

        let restored = a!(directus.update_settings(&json!({"project_descriptor": before.project_descriptor})))
            .unwrap()
            .expect("the settings");
        assert_eq!(restored.project_descriptor, before.project_descriptor);
        assert_eq!(a!(directus.settings()).unwrap(), before);
    }
}

scenario! {
    /// Server info and health.
    fn server_info_and_health(directus, server) {
        let info = a!(directus.server_info()).unwrap();
        let version = info.version.expect("admins see the version");
        assert!(version.split('.').count() >= 3 && version.split('.').all(|p| !p.is_empty()), "{version}");
        assert!(info.project.is_some());

        let health = a!(directus.health()).unwrap();
        assert_eq!(health.status.as_deref(), Some("ok"));
    }
}

scenario! {
    /// The schema: collections, a collection's fields, relations.
    fn schema(directus, server) {
        let collections: Vec<SchemaCollection> = a!(directus.schema_collections()).unwrap();
        let names: Vec<&str> = collections.iter().filter_map(|c| c.collection.as_deref()).collect();
        for name in [PRODUCTS, SUPPLIERS, SECRETS, "directus_users", "directus_files"] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }

        let fields = a!(directus.schema_fields(PRODUCTS)).unwrap();
        let mut names: Vec<&str> = fields.iter().filter_map(|f| f.field.as_deref()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["active", "attrs", "category", "id", "name", "price", "released_at", "run", "stock", "supplier", "tags"]
        );
        let price = fields.iter().find(|f| f.field.as_deref() == Some("price")).unwrap();
        // Created as `decimal`; the SQLite test server reports it back as `float`.
        assert!(matches!(price.r#type.as_deref(), Some("decimal" | "float")), "{price:?}");
        let stock = fields.iter().find(|f| f.field.as_deref() == Some("stock")).unwrap();
        assert_eq!(stock.r#type.as_deref(), Some("integer"));
        let run = fields.iter().find(|f| f.field.as_deref() == Some("run")).unwrap();
        assert_eq!(run.r#type.as_deref(), Some("string"));
        assert!(fields.iter().all(|f| f.collection.as_deref() == Some(PRODUCTS)));

        let relations = a!(directus.schema_relations()).unwrap();
        let supplier = relations
            .iter()
            .find(|r| r.collection.as_deref() == Some(PRODUCTS) && r.field.as_deref() == Some("supplier"))
            .expect("the supplier relation");
        assert_eq!(supplier.related_collection.as_deref(), Some(SUPPLIERS));
    }
}

scenario! {
    /// A custom boundary with characters a `Content-Type` must quote (`a b,c:d`): Directus reads
    /// the quoted parameter, and the title before the file applies.
    fn quoted_custom_boundary(directus, server) {
        let boundary = directus_proto::multipart::Boundary::new("a b,c:d").unwrap();
        let upload = UploadFile::new("quoted.txt", b"quoted".to_vec()).title("Quoted");
        let op = directus_proto::files::upload(directus.base_url(), &upload, boundary).unwrap();
        let file = a!(directus.run(op)).unwrap().unwrap();
        assert_eq!(file.title.as_deref(), Some("Quoted"));
        let id = id_of(&file);
        let mut bytes = Vec::new();
        a!(directus.files().download(&id, &AssetTransform::new(), &mut bytes)).unwrap();
        assert_eq!(bytes, b"quoted");
        a!(directus.files().delete(id.as_str())).unwrap();
    }
}
