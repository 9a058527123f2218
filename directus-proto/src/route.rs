//! Route templates: a request's path with what may be personal data left out, for logs and
//! traces (`/items/posts/42` → `/items/posts/{key}`, `/users/5b9…` → `/users/{key}`).
//!
//! The collection names, the system routes and fixed words (`me`, `invite`, `import`...) are
//! kept; item keys, user ids, file ids and share ids become `{key}`. The query string is never
//! part of a template (filters hold values).
//!
//! ```
//! use directus_proto::route::template;
//!
//! assert_eq!(template("/items/posts/42"), "/items/posts/{key}");
//! assert_eq!(template("/items/posts"), "/items/posts");
//! assert_eq!(template("/users/me"), "/users/me");
//! assert_eq!(template("/users/0b5a7d3c-18c1-4bb3-9c0e-4a6b2f1d9e11"), "/users/{key}");
//! assert_eq!(template("/assets/0b5a7d3c-18c1-4bb3-9c0e-4a6b2f1d9e11"), "/assets/{key}");
//! assert_eq!(template("/server/ping"), "/server/ping");
//! ```

/// System routes whose second segment is a key (unless it is one of [`WORDS`]).
const KEYED: &[&str] = &[
    "activity",
    "assets",
    "comments",
    "dashboards",
    "extensions",
    "files",
    "flows",
    "folders",
    "notifications",
    "operations",
    "panels",
    "permissions",
    "policies",
    "presets",
    "revisions",
    "roles",
    "shares",
    "translations",
    "users",
    "versions",
];

/// Fixed words in a key's place on the routes of [`KEYED`].
const WORDS: &[&str] = &[
    "me",
    "invite",
    "register",
    "import",
    "export",
    "trigger",
    "info",
    "auth",
    "promote",
    "compare",
    "save",
    "role",
    "tfa",
    "track",
    "accept",
    "verify-email",
];

/// The longest path read; a longer one's tail is cut (a template stays small).
const MAX_SEGMENTS: usize = 16;

/// `path` (without a query string; one is cut off) with keys replaced by `{key}`; see the
/// [module docs](self).
///
/// ```
/// # use directus_proto::route::template;
/// assert_eq!(template("/items/posts/42?fields=*"), "/items/posts/{key}");
/// assert_eq!(template("/flows/trigger/9f1c2d"), "/flows/trigger/{key}");
/// ```
pub fn template(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .take(MAX_SEGMENTS)
        .collect();
    let mut out = String::with_capacity(path.len().min(256));
    for (i, segment) in segments.iter().enumerate() {
        out.push('/');
        if is_key(&segments, i) {
            out.push_str("{key}");
        } else {
            out.push_str(segment);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether segment `i` of a path holds a key.
fn is_key(segments: &[&str], i: usize) -> bool {
    let segment = segments[i];
    match segments.first().copied() {
        // /items/{collection}/{key}
        Some("items") => i == 2,
        // /flows/trigger/{key}
        Some("flows") if segments.get(1) == Some(&"trigger") => i == 2,
        Some(root) if KEYED.contains(&root) => i == 1 && !WORDS.contains(&segment),
        // Elsewhere, only what looks like an id: digits, or a UUID.
        _ => i > 0 && looks_like_id(segment),
    }
}

fn looks_like_id(segment: &str) -> bool {
    let digits = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
    let uuid = segment.len() == 36
        && segment.bytes().enumerate().all(|(i, b)| {
            matches!(i, 8 | 13 | 18 | 23) == (b == b'-') && (b == b'-' || b.is_ascii_hexdigit())
        });
    digits || uuid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_names_stay() {
        for (path, expected) in [
            ("/", "/"),
            ("", "/"),
            ("/items/a%20b/k%2Fey", "/items/a%20b/{key}"),
            ("/users", "/users"),
            ("/users/invite/accept", "/users/invite/accept"),
            ("/users/me/tfa/enable", "/users/me/tfa/enable"),
            ("/files/import", "/files/import"),
            ("/shares/auth", "/shares/auth"),
            ("/shares/abc", "/shares/{key}"),
            ("/fields/posts/title", "/fields/posts/title"),
            ("/collections/posts", "/collections/posts"),
            ("/utils/hash/generate", "/utils/hash/generate"),
            ("/custom/123/x", "/custom/{key}/x"),
        ] {
            assert_eq!(template(path), expected, "{path}");
        }
        let long = "/a".repeat(10_000);
        assert_eq!(template(&long).matches('/').count(), MAX_SEGMENTS);
    }
}
