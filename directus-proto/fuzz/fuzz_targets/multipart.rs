//! Multipart forms from arbitrary fields, files, media types and content, with a random or a
//! chosen boundary, read back by an RFC 2046 reader (the one of `tests/multipart_props.rs`):
//! nothing panics; a part is refused exactly when its content holds the delimiter; the reader
//! finds exactly the parts taken, with their content; a streamed file adds no part.

#![no_main]

use arbitrary::Arbitrary;
use directus_proto::multipart::{Boundary, Form};
use libfuzzer_sys::fuzz_target;

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

/// A name the reader above can read back verbatim.
fn plain(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Arbitrary, Debug)]
enum Written {
    Text(String, String),
    File {
        name: String,
        file_name: String,
        media_type: String,
        content: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
enum Chosen {
    Random(u128),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Streamed {
    name: String,
    file_name: String,
    media_type: String,
    content: Vec<u8>,
    declared_len: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    boundary: Chosen,
    parts: Vec<Written>,
    streamed: Option<Streamed>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle, 0).is_some()
}

fuzz_target!(|input: Input| {
    let boundary = match input.boundary {
        Chosen::Random(bits) => Boundary::random(bits),
        Chosen::Text(text) => match Boundary::new(text) {
            Ok(boundary) => boundary,
            Err(_) => return,
        },
    };
    let mut form = Form::new(boundary.clone());
    let content_type = form.content_type();
    let content_type = content_type.to_str().expect("a visible content type");
    let parameter = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a boundary parameter");
    let unquoted = parameter
        .strip_prefix('"')
        .and_then(|p| p.strip_suffix('"'))
        .unwrap_or(parameter);
    assert_eq!(unquoted, boundary.as_str());
    let delimiter = format!("--{}", boundary.as_str()).into_bytes();

    let mut expected: Vec<(String, Vec<u8>)> = Vec::new();
    for part in &input.parts {
        match part {
            Written::Text(name, value) => {
                let taken = form.text(name, value).is_ok();
                assert_eq!(taken, !contains(value.as_bytes(), &delimiter));
                if taken {
                    expected.push((name.clone(), value.as_bytes().to_vec()));
                }
            }
            Written::File {
                name,
                file_name,
                media_type,
                content,
            } => {
                if form.file(name, file_name, media_type, content).is_ok() {
                    assert!(
                        !contains(content, &delimiter),
                        "a part holding the delimiter"
                    );
                    expected.push((name.clone(), content.clone()));
                }
            }
        }
    }

    let body = match input.streamed {
        None => form.finish(),
        Some(s) => {
            let declared = s.declared_len.then_some(s.content.len() as u64);
            match form.finish_streaming(&s.name, &s.file_name, &s.media_type, declared) {
                Ok(streaming) => {
                    let body = streaming.assemble(&s.content);
                    if s.declared_len {
                        assert_eq!(streaming.content_length(), Some(body.len() as u64));
                    }
                    // A streamed file is not checked: only an attacker who knows the boundary
                    // (here: the fuzzer, which chose the random bits) can add parts through it.
                    let mut next = b"\r\n".to_vec();
                    next.extend_from_slice(&delimiter);
                    if contains(&s.content, &next) {
                        return;
                    }
                    expected.push((s.name.clone(), s.content.clone()));
                    body
                }
                Err(_) => return,
            }
        }
    };
    let read = read_parts(&body, boundary.as_str()).expect("a well-formed body");
    assert_eq!(
        read.len(),
        expected.len(),
        "the parts written, and no other"
    );
    for (part, (name, content)) in read.iter().zip(&expected) {
        assert_eq!(&part.content, content);
        if plain(name) {
            assert_eq!(name_of(part), Some(name.as_str()));
        }
    }
});
