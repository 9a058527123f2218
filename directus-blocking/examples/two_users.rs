//! Two users, one connection pool: each client has its own session (tokens, cache).
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD; the second user is the
//! test fixtures' reader (drs-reader@example.com).

use directus_blocking::{Directus, Error};

mod common;
use common::env;

fn main() -> directus_blocking::Result<()> {
    let (url, email, password) = env();
    let shared = ureq::Agent::new_with_defaults();
    let admin = Directus::builder(url.as_str())
        .agent(shared.clone())
        .login(&email, &password)?;
    let reader = Directus::builder(url.as_str())
        .agent(shared)
        .login("drs-reader@example.com", "drs-reader-password-1")?;
    let secrets = admin.collection("drs_secrets").read()?;
    println!("admin reads {} secret(s)", secrets.items().len());
    match reader.collection("drs_secrets").read() {
        Err(Error::Api(err)) => println!(
            "reader is refused: {} ({})",
            err.code().as_str(),
            err.status()
        ),
        other => println!("reader got {other:?}"),
    }
    println!(
        "reader reads {} product(s)",
        reader
            .collection("drs_products")
            .limit(3)
            .read()?
            .items()
            .len()
    );
    reader.logout()?;
    admin.logout()?;
    Ok(())
}
