//! `redirect::target` with an arbitrary base, request, status and `Location`: nothing panics;
//! a hop is always `http` or `https`; a request with a body or another method than `GET` or
//! `HEAD` never goes to another origin (and follows only `307`/`308`); `Authorization` is kept
//! only on the base's origin.

#![no_main]

use arbitrary::Arbitrary;
use directus_proto::{BaseUrl, Body, redirect};
use http::{Method, Request, Response, Uri};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Base {
    Local,
    Https,
    WithPath,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Verb {
    Get,
    Head,
    Post,
    Patch,
    Delete,
    Search,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum At {
    /// The request goes to this path on the base.
    OnBase(String),
    /// The request goes elsewhere (after an earlier hop).
    Anywhere(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    base: Base,
    verb: Verb,
    at: At,
    body: Vec<u8>,
    authorization: bool,
    status: u16,
    locations: Vec<Vec<u8>>,
}

/// The origin (scheme, host, port) of a URI, lowercased, with the default port filled in.
fn origin(uri: &Uri) -> Option<(String, String, u16)> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let port = match (uri.port_u16(), scheme.as_str()) {
        (Some(port), _) => port,
        (None, "http") => 80,
        (None, "https") => 443,
        _ => return None,
    };
    Some((scheme, host, port))
}

fuzz_target!(|input: Input| {
    let base = match &input.base {
        Base::Local => "http://127.0.0.1:8055",
        Base::Https => "https://cms.example",
        Base::WithPath => "https://cms.example:8443/api/",
        Base::Any(text) => text.as_str(),
    };
    let Ok(base) = BaseUrl::parse(base) else {
        return;
    };
    let method = match &input.verb {
        Verb::Get => Method::GET,
        Verb::Head => Method::HEAD,
        Verb::Post => Method::POST,
        Verb::Patch => Method::PATCH,
        Verb::Delete => Method::DELETE,
        Verb::Search => Method::from_bytes(b"SEARCH").unwrap(),
        Verb::Other(name) => match Method::from_bytes(name.as_bytes()) {
            Ok(method) => method,
            Err(_) => return,
        },
    };
    let uri = match &input.at {
        At::OnBase(path) => base.join(path),
        At::Anywhere(uri) => uri.clone(),
    };
    let mut request = Request::builder().method(method.clone()).uri(uri.as_str());
    if input.authorization {
        request = request.header("authorization", "Bearer t");
    }
    let Ok(request) = request.body(Body::from(input.body.clone())) else {
        return;
    };
    let base_origin = origin(&base.as_str().parse::<Uri>().expect("a base URL is a URI"))
        .expect("a base URL has an origin");
    let plain_read = (method == Method::GET || method == Method::HEAD) && input.body.is_empty();

    for location in input.locations.iter().take(4) {
        let mut response = Response::new(directus_proto::Bytes::new());
        let Ok(status) = http::StatusCode::from_u16(input.status) else {
            return;
        };
        *response.status_mut() = status;
        if let Ok(value) = http::HeaderValue::from_bytes(location) {
            response.headers_mut().insert(http::header::LOCATION, value);
        }
        let Some(hop) = redirect::target(&base, &request, &response) else {
            continue;
        };
        assert!(status.is_redirection(), "a hop on {status}");
        let hop_origin = origin(&hop.uri);
        assert!(
            matches!(hop.uri.scheme_str(), Some("http" | "https")),
            "a hop to {}",
            hop.uri
        );
        let same_origin = hop_origin.as_ref() == Some(&base_origin);
        if hop.keep_authorization {
            assert!(same_origin, "Authorization kept on the way to {}", hop.uri);
        }
        if !plain_read {
            assert!(
                same_origin,
                "{method} with a body of {} bytes to {}",
                input.body.len(),
                hop.uri
            );
            assert!(
                status.as_u16() == 307 || status.as_u16() == 308,
                "{method} follows {status}"
            );
        }
    }
});
