//! GraphQL through the session ([`directus_proto::graphql`]) and the server's specifications
//! (GraphQL SDL, OpenAPI).

use directus_proto::graphql::{self, Endpoint};
use directus_proto::system;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Directus;

impl Directus {
    /// Runs a GraphQL query or mutation on `/graphql` and reads `data` as `T`; GraphQL errors
    /// (answered with status 200) are an [`Error::Api`](crate::Error::Api) like any other.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let data: serde_json::Value = directus.graphql(
    ///     "query($n: Int) { products(limit: $n) { id name } }",
    ///     &serde_json::json!({"n": 5}),
    /// )?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn graphql<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: &(impl Serialize + ?Sized),
    ) -> crate::Result<T> {
        self.run(graphql::query(self.base_url(), query, variables)?)
    }

    /// Runs a GraphQL query or mutation on `/graphql/system`.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let me: serde_json::Value = directus.graphql_system("{ users_me { email } }", &())?;
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn graphql_system<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: &(impl Serialize + ?Sized),
    ) -> crate::Result<T> {
        self.run(graphql::system(self.base_url(), query, variables)?)
    }

    /// The GraphQL schema (SDL) of `/graphql` or `/graphql/system`, as text.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// use directus_proto::graphql::Endpoint;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// std::fs::write("schema.graphql", directus.graphql_sdl(Endpoint::Items)?).ok();
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn graphql_sdl(&self, endpoint: Endpoint) -> crate::Result<String> {
        self.run(graphql::sdl(self.base_url(), endpoint)?)
    }

    /// The project's OpenAPI specification (`/server/specs/oas`), as JSON.
    ///
    /// ```no_run
    /// # use directus_blocking::Directus;
    /// # let directus = Directus::with_token("http://127.0.0.1:8055", "t")?;
    /// let spec = directus.openapi()?;
    /// println!("{}", spec["openapi"]);
    /// # Ok::<(), directus_blocking::Error>(())
    /// ```
    pub fn openapi(&self) -> crate::Result<serde_json::Value> {
        self.run(system::openapi(self.base_url())?)
    }
}
