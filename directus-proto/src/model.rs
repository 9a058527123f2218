//! Typed models: a serde type tied to the collection it is stored in.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A serde type stored in a Directus collection (py-directus's pydantic models with `collection`
/// in their config). A typed collection handle knows its route from it and parses into it.
///
/// ```
/// use directus_proto::{Item, Items};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize)]
/// struct Product {
///     id: Option<i64>,
///     name: String,
///     price: f64,
/// }
///
/// impl Item for Product {
///     const COLLECTION: &'static str = "products";
/// }
///
/// let products = Items::<Product>::of();
/// assert_eq!(products.collection().unwrap().route(), "/items/products");
/// ```
pub trait Item: Serialize + DeserializeOwned {
    /// The collection's name (`directus_users` and the other system names map to their routes).
    const COLLECTION: &'static str;
}
