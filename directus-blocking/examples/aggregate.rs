//! Aggregates with group_by, read into lenient AggregateRow values.
//! Reads DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD.

use directus_blocking::{Agg, AggFunc, AggregateRow, Directus};

mod common;
use common::env;

fn main() -> directus_blocking::Result<()> {
    let Some((url, email, password)) = env() else {
        return Ok(());
    };
    Directus::session(url, &email, &password, |d| {
        let rows = d
            .collection_as::<AggregateRow>("drs_products")
            .aggregate(Agg::count("*"))
            .aggregate(Agg::max("price"))
            .group_by(["category"])
            .read()?;
        println!("{:<12} {:>6} {:>8}", "category", "count", "max");
        for row in rows.items() {
            println!(
                "{:<12} {:>6} {:>8}",
                row.group("category")
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                row.get_i64(AggFunc::Count, "*").unwrap_or_default(),
                row.get_f64(AggFunc::Max, "price")
                    .map(|p| format!("{p:.2}"))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        Ok(())
    })
}
