//! What every example needs: the server to talk to, from the environment.

/// `DIRECTUS_URL`, `DIRECTUS_ADMIN_EMAIL` and `DIRECTUS_ADMIN_PASSWORD`; when one is missing,
/// says how to get a server and exits with status 2.
pub(crate) fn env() -> (String, String, String) {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (
        var("DIRECTUS_URL"),
        var("DIRECTUS_ADMIN_EMAIL"),
        var("DIRECTUS_ADMIN_PASSWORD"),
    ) {
        (Some(url), Some(email), Some(password)) => (url, email, password),
        _ => {
            eprintln!(
                "set DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL and DIRECTUS_ADMIN_PASSWORD: `bash scripts/demo.sh` \
                 runs the tour against a throwaway server, or start one with \
                 `tests/server/directus-server start` and `eval \"$(tests/server/directus-server env)\"`"
            );
            std::process::exit(2)
        }
    }
}
