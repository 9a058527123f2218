//! Multipart bodies read back by an RFC 2046 reader (written here, as a server reads them): a
//! reader finds exactly the parts written, whatever their content, for bodies in memory and
//! streamed ones; content that holds another boundary (a predicted one) adds no part.

use directus_proto::multipart::{Boundary, Form};
use proptest::prelude::*;

/// One part as a reader sees it: its header block and its content.
#[derive(Debug, PartialEq)]
struct Part {
    headers: String,
    content: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Splits a `multipart/form-data` body the way a server does: the body starts with
/// `--boundary`; every part's content ends at the next `\r\n--boundary`; `--boundary--` closes.
/// `None` when the body is not well formed.
fn read_parts(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let open = format!("--{boundary}").into_bytes();
    let next = format!("\r\n--{boundary}").into_bytes();
    if !body.starts_with(&open) {
        return None;
    }
    let mut at = open.len();
    let mut parts = Vec::new();
    loop {
        match body.get(at..at + 2)? {
            b"--" => return (body.get(at + 2..)? == b"\r\n").then_some(parts),
            b"\r\n" => at += 2,
            _ => return None,
        }
        let end_of_headers = find(body, b"\r\n\r\n", at)?;
        let headers = String::from_utf8(body[at..end_of_headers].to_vec()).ok()?;
        let start = end_of_headers + 4;
        let end = find(body, &next, start)?;
        parts.push(Part {
            headers,
            content: body[start..end].to_vec(),
        });
        at = end + next.len();
    }
}

fn name_of(part: &Part) -> Option<&str> {
    let rest = part.headers.split("; name=\"").nth(1)?;
    rest.split('"').next()
}

/// Bytes made of the pieces that matter to a reader, and anything else.
fn content() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"--".to_vec()),
        Just(b"--b".to_vec()),
        Just(b"\r\n--b--\r\n".to_vec()),
        Just(b"directus-rs-".to_vec()),
        Just(b"content-disposition: form-data; name=\"title\"\r\n\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn boundary() -> impl Strategy<Value = Boundary> {
    prop_oneof![
        any::<u128>().prop_map(Boundary::random),
        Just(Boundary::new("b").unwrap()),
        Just(Boundary::new("a b,c").unwrap()),
    ]
}

#[derive(Clone, Debug)]
enum Written {
    Text(String, String),
    File(String, Vec<u8>),
}

fn written() -> impl Strategy<Value = Written> {
    prop_oneof![
        ("[a-z_]{1,8}", content()).prop_map(|(name, value)| Written::Text(
            name,
            String::from_utf8_lossy(&value).into_owned()
        )),
        ("[a-z]{1,8}\\.txt", content()).prop_map(|(file, content)| Written::File(file, content)),
    ]
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    find(haystack, needle.as_bytes(), 0).is_some()
}

/// The boundary as the `Content-Type` gives it, unquoted.
fn boundary_of(form: &Form) -> String {
    let content_type = form.content_type().to_str().unwrap().to_owned();
    let value = content_type.split("boundary=").nth(1).unwrap();
    value.trim_matches('"').to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// In memory: every part the form takes is read back as written; a part whose content
    /// holds the delimiter is refused, never sent.
    #[test]
    fn a_reader_finds_exactly_the_parts_written(boundary in boundary(), parts in proptest::collection::vec(written(), 0..6)) {
        let mut form = Form::new(boundary.clone());
        prop_assert_eq!(boundary_of(&form), boundary.as_str());
        let delimiter = format!("--{}", boundary.as_str());
        let mut expected = Vec::new();
        for part in parts {
            match &part {
                Written::Text(name, value) => {
                    let taken = form.text(name, value).is_ok();
                    prop_assert_eq!(taken, !contains(value.as_bytes(), &delimiter));
                    if taken {
                        expected.push((name.clone(), value.as_bytes().to_vec()));
                    }
                }
                Written::File(file_name, content) => {
                    let taken = form.file("file", file_name, "text/plain", content).is_ok();
                    prop_assert_eq!(taken, !contains(content, &delimiter));
                    if taken {
                        expected.push(("file".to_owned(), content.clone()));
                    }
                }
            }
        }
        let body = form.finish();
        let read = read_parts(&body, boundary.as_str()).expect("a well-formed body");
        let read: Vec<(String, Vec<u8>)> = read
            .into_iter()
            .map(|p| (name_of(&p).unwrap_or("").to_owned(), p.content))
            .collect();
        prop_assert_eq!(read, expected);
    }

    /// Streamed: the content is not checked, and with a random boundary it needs no check: the
    /// reader finds the fields and the file, whatever the file holds (another request's
    /// boundary included).
    #[test]
    fn a_streamed_file_adds_no_parts(bits in any::<u128>(), predicted in any::<u128>(), fields in proptest::collection::vec("[ -~]{0,12}", 0..3), content in content()) {
        prop_assume!(bits != predicted);
        // The attack: the file holds a whole part delimited by a boundary the attacker
        // expected (say, the one of an earlier request).
        let forged = Boundary::random(predicted);
        let mut file = content.clone();
        file.extend_from_slice(
            format!(
                "\r\n--{0}\r\ncontent-disposition: form-data; name=\"title\"\r\n\r\nInjected\r\n--{0}--\r\n",
                forged.as_str()
            )
            .as_bytes(),
        );
        file.extend_from_slice(&content);
        let boundary = Boundary::random(bits);
        let mut form = Form::new(boundary.clone());
        for field in &fields {
            form.text("title", field).unwrap();
        }
        let streaming = form
            .finish_streaming("file", "a.bin", "application/octet-stream", Some(file.len() as u64))
            .unwrap();
        let body = streaming.assemble(&file);
        prop_assert_eq!(streaming.content_length(), Some(body.len() as u64));
        let read = read_parts(&body, boundary.as_str()).expect("a well-formed body");
        prop_assert_eq!(read.len(), fields.len() + 1);
        for (part, field) in read.iter().zip(&fields) {
            prop_assert_eq!(&part.content, field.as_bytes());
        }
        prop_assert_eq!(&read[fields.len()].content, &file);
    }
}

/// The old injection, with the boundary known: the content adds parts. This is what an
/// unpredictable boundary prevents (and why it must never be derived from the file).
#[test]
fn a_known_boundary_would_let_the_content_add_parts() {
    let boundary = Boundary::random(42);
    let file = format!(
        "x\r\n--{0}\r\ncontent-disposition: form-data; name=\"title\"\r\n\r\nInjected\r\n--{0}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"evil.html\"\r\n\r\n<script>",
        boundary.as_str()
    );
    let streaming = Form::new(boundary.clone())
        .finish_streaming("file", "a.bin", "application/octet-stream", None)
        .unwrap();
    let read = read_parts(&streaming.assemble(file.as_bytes()), boundary.as_str()).unwrap();
    assert_eq!(read.len(), 3, "the reader is not fooled by accident");
}
