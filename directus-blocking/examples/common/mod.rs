//! What every example needs: the server to talk to, from the environment.

/// `DIRECTUS_URL`, `DIRECTUS_ADMIN_EMAIL` and `DIRECTUS_ADMIN_PASSWORD`, or `None` after saying
/// what is missing.
pub(crate) fn env() -> Option<(String, String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (
        var("DIRECTUS_URL"),
        var("DIRECTUS_ADMIN_EMAIL"),
        var("DIRECTUS_ADMIN_PASSWORD"),
    ) {
        (Some(url), Some(email), Some(password)) => Some((url, email, password)),
        _ => {
            eprintln!(
                "set DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL and DIRECTUS_ADMIN_PASSWORD (see scripts/demo.sh)"
            );
            None
        }
    }
}
