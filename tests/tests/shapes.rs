//! Database-dependent shapes (decimal, big integer, date-times, JSON, CSV) in typed models, and
//! writes whose answer does not decode (reported as applied), for both clients. Run once on
//! SQLite and once on PostgreSQL by `scripts/test.sh`.

use directus_tests::scenarios::{self, AsyncDriver};
use directus_tests::shapes;

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            use super::*;
            $(#[test] fn $name() { shapes::$name(&scenarios::admin::<directus_blocking::Directus>()); })*
        }
        mod async_client {
            use super::*;
            $(#[test] fn $name() { shapes::$name(&scenarios::admin::<AsyncDriver>()); })*
        }
    };
}

both!(
    typed_shapes_round_trip,
    exact_decimal_round_trip,
    readme_product_model,
    unreadable_write_answer_is_applied,
    refused_write_is_not_applied,
);
