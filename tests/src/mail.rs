//! The mails the test server sends: `tests/server/capture-mail` keeps each one as a file in
//! `DIRECTUS_MAIL_DIR` (exported by `tests/server/directus-server env`), where tests find the
//! tokens of invitations and registrations.

use std::path::PathBuf;
use std::time::Duration;

/// The folder of captured mails, from `DIRECTUS_MAIL_DIR`.
pub fn dir() -> Option<PathBuf> {
    std::env::var_os("DIRECTUS_MAIL_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// Waits (a bounded number of times) for a mail to `to` and answers its body, quoted-printable
/// decoded enough to read links (soft line breaks removed, `=3D` as `=`).
///
/// # Panics
///
/// Without `DIRECTUS_MAIL_DIR`, or when no mail to `to` arrives.
pub fn wait_for(to: &str) -> String {
    let dir = dir().expect(
        "DIRECTUS_MAIL_DIR is not set: start the server with tests/server/directus-server, \
         which captures its mails",
    );
    let header = format!("To: {to}");
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "eml")
                    && let Ok(text) = std::fs::read_to_string(&path)
                    && text.lines().any(|line| line.trim_end() == header)
                {
                    return text
                        .replace("=\r\n", "")
                        .replace("=\n", "")
                        .replace("=3D", "=");
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no mail to {to} in {}", dir.display());
}

/// The value of the first `token=` in a mail (a JWT).
///
/// # Panics
///
/// When the mail has no token.
pub fn token(mail: &str) -> String {
    let start = mail.find("token=").expect("a token in the mail") + "token=".len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect()
}
