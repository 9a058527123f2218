//! A tour of the blocking client against a real Directus server with the test fixtures
//! (`bash scripts/demo.sh` starts one and runs this): login, create, filter, sort, aggregate,
//! count, paginate, update, delete, a singleton; it cleans up after itself.
//!
//! Reads `DIRECTUS_URL`, `DIRECTUS_ADMIN_EMAIL` and `DIRECTUS_ADMIN_PASSWORD`.

use std::process::ExitCode;

use directus_blocking::{Agg, AggFunc, AggregateRow, Directus, F, Order};
use serde_json::{Value, json};

mod common;
use common::env;

fn names(items: &[Value]) -> String {
    items
        .iter()
        .map(|p| format!("{} ({})", p["name"].as_str().unwrap_or("?"), p["price"]))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() -> ExitCode {
    let (url, email, password) = env();
    match tour(&url, &email, &password) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("the tour failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn tour(url: &str, email: &str, password: &str) -> directus_blocking::Result<()> {
    // `session` logs in, runs the closure and logs out, also on error.
    Directus::session(url, email, password, |d| {
        let me = d.me()?;
        println!("== logged in as {} ({})", me["email"], url);
        println!("   server says: {}", d.ping()?);

        // A run id tags our rows so the tour never touches anyone else's.
        let run = format!("tour-{}", std::process::id());
        let supplier = d
            .collection("drs_suppliers")
            .create(&json!({"name": "Tour Orchards", "country": "NZ"}))?
            .expect("the admin reads back what it creates");
        let supplier_id = supplier["id"].as_i64().unwrap_or_default();
        println!("\n== created supplier #{supplier_id}: {}", supplier["name"]);

        let rows: Vec<Value> = [
            ("apple", "fruit", "1.20", 50, true),
            ("pear", "fruit", "1.80", 0, true),
            ("kiwi", "fruit", "0.60", 120, true),
            ("carrot", "vegetable", "0.40", 300, true),
            ("leek", "vegetable", "2.10", 15, false),
            ("walnut", "nut", "7.90", 40, true),
            ("cashew", "nut", "9.50", 0, false),
        ]
        .iter()
        .map(|(name, category, price, stock, active)| {
            json!({"name": name, "category": category, "price": price, "stock": stock,
                   "active": active, "tags": [category], "run": run, "supplier": supplier_id})
        })
        .collect();
        let products = d.collection("drs_products");
        let created = products.create_many(&rows)?.unwrap_or_default();
        println!("== created {} products: {}", created.len(), names(&created));
        let ours = products.clone().filter(F::eq("run", run.as_str()));

        let fruit_or_nut = ours
            .clone()
            .filter(F::eq("category", "fruit") | F::eq("category", "nut"))
            .filter(!F::eq("stock", 0))
            .sort("price", Order::Desc)
            .read()?;
        println!(
            "\n== fruit OR nut, AND NOT out of stock, by price descending:\n   {}",
            names(fruit_or_nut.items())
        );

        let cheap_active = ours
            .clone()
            .filter(F::lt("price", 2) & F::eq("active", true))
            .sort("name", Order::Asc)
            .fields(["name", "price", "supplier.name"])
            .read()?;
        println!("== active AND price < 2, by name:");
        for p in cheap_active.items() {
            println!(
                "   {:<8} {:>6}  from {}",
                p["name"].as_str().unwrap_or("?"),
                p["price"],
                p["supplier"]["name"]
            );
        }

        let groups = d
            .collection_as::<AggregateRow>("drs_products")
            .filter(F::eq("run", run.as_str()))
            .aggregate(Agg::count("*"))
            .aggregate(Agg::sum("stock"))
            .aggregate(Agg::avg("price"))
            .group_by(["category"])
            .sort("category", Order::Asc)
            .read()?;
        println!("\n== per category (count, total stock, average price):");
        for row in groups.items() {
            println!(
                "   {:<10} {:>2} items, {:>4} in stock, avg {:.2}",
                row.group("category").and_then(Value::as_str).unwrap_or("-"),
                row.get_i64(AggFunc::Count, "*").unwrap_or_default(),
                row.get_i64(AggFunc::Sum, "stock").unwrap_or_default(),
                row.get_f64(AggFunc::Avg, "price").unwrap_or_default(),
            );
        }

        let counted = ours
            .clone()
            .filter(F::eq("active", true))
            .limit(2)
            .include_count()
            .read()?;
        println!(
            "\n== first 2 active products of {} matching (of {} in the collection): {}",
            counted.meta().filter_count.unwrap_or(0),
            counted.meta().total_count.unwrap_or(0),
            names(counted.items())
        );

        println!("== every product, 3 per request, with iter():");
        for (i, item) in ours
            .clone()
            .sort("id", Order::Asc)
            .limit(3)
            .iter()
            .enumerate()
        {
            let item = item?;
            println!("   {:>2}. {}", i + 1, item["name"].as_str().unwrap_or("?"));
        }

        let pear = ours.clone().filter(F::eq("name", "pear")).read()?;
        let pear_id = pear.item().map(|p| p["id"].clone()).unwrap_or(Value::Null);
        let restocked = products
            .update(
                pear_id.as_i64().unwrap_or_default(),
                &json!({"stock": 75, "price": "1.65"}),
            )?
            .unwrap_or_default();
        println!(
            "\n== restocked the pear: stock {}, price {}",
            restocked["stock"], restocked["price"]
        );

        let changed = products.clone().update_by_query(
            F::eq("run", run.as_str()) & F::eq("active", false),
            &json!({"active": true}),
        )?;
        println!(
            "== reactivated {} inactive products",
            changed.map_or(0, |c| c.len())
        );

        let kiwi = ours.clone().filter(F::eq("name", "kiwi")).read()?;
        if let Some(id) = kiwi.item().and_then(|k| k["id"].as_i64()) {
            products.delete(id)?;
            println!("== deleted the kiwi (#{id})");
        }
        let left = ours.clone().include_count().limit(0).read()?;
        println!(
            "   {} products left in this run",
            left.meta().filter_count.unwrap_or(0)
        );

        let settings = d.singleton("drs_settings").read()?;
        println!(
            "\n== the singleton: site {} / motto {}",
            settings["site_name"], settings["motto"]
        );

        // Clean up: our products, then the supplier.
        products.delete_by_query(F::eq("run", run.as_str()))?;
        d.collection("drs_suppliers").delete(supplier_id)?;
        println!("\n== cleaned up; logging out");
        Ok(())
    })
}
