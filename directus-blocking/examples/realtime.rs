//! Prints the live changes of a collection (blocking client).
//!
//! ```text
//! DIRECTUS_URL=http://127.0.0.1:8055 DIRECTUS_EMAIL=admin@example.com DIRECTUS_PASSWORD=secret \
//!     cargo run -p directus-blocking --example realtime -- posts
//! ```
//! (The server needs `WEBSOCKETS_ENABLED=true`.)

use directus_blocking::Directus;
use directus_blocking::realtime::Event;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let collection = std::env::args().nth(1).unwrap_or_else(|| "posts".into());
    let directus = Directus::login(
        var("DIRECTUS_URL")?,
        &var("DIRECTUS_EMAIL")?,
        &var("DIRECTUS_PASSWORD")?,
    )?;
    let realtime = directus.realtime()?;
    let live = realtime.subscribe(directus.collection(&collection));
    for event in live {
        match event? {
            Event::Init(rows) => println!("{collection}: {} rows", rows.len()),
            Event::Create(rows) => println!("created: {rows:?}"),
            Event::Update(rows) => println!("updated: {rows:?}"),
            Event::Delete(keys) => println!("deleted: {keys:?}"),
            Event::Reconnected => println!("(reconnected: a fresh list follows)"),
        }
    }
    Ok(())
}
