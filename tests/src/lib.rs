//! Test support for the integration tests: the server handle and the fixture schema.
