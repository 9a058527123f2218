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
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let data: serde_json::Value = directus.graphql(
    ///     "query($n: Int) { products(limit: $n) { id name } }",
    ///     &serde_json::json!({"n": 5}),
    /// ).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn graphql<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: &(impl Serialize + ?Sized),
    ) -> crate::Result<T> {
        self.run(graphql::query(self.base_url(), query, variables)?)
            .await
    }

    /// Runs a GraphQL query or mutation on `/graphql/system`.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let me: serde_json::Value = directus.graphql_system("{ users_me { email } }", &()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn graphql_system<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: &(impl Serialize + ?Sized),
    ) -> crate::Result<T> {
        self.run(graphql::system(self.base_url(), query, variables)?)
            .await
    }

    /// The GraphQL schema (SDL) of `/graphql` or `/graphql/system`, as text.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// use directus_proto::graphql::Endpoint;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// std::fs::write("schema.graphql", directus.graphql_sdl(Endpoint::Items).await?).ok();
    /// # Ok(())
    /// # }
    /// ```
    pub async fn graphql_sdl(&self, endpoint: Endpoint) -> crate::Result<String> {
        self.run(graphql::sdl(self.base_url(), endpoint)?).await
    }

    /// The project's OpenAPI specification (`/server/specs/oas`), as JSON.
    ///
    /// ```no_run
    /// # use directus_async::Directus;
    /// # async fn demo(directus: Directus) -> directus_async::Result<()> {
    /// let spec = directus.openapi().await?;
    /// println!("{}", spec["openapi"]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn openapi(&self) -> crate::Result<serde_json::Value> {
        self.run(system::openapi(self.base_url())?).await
    }
}
