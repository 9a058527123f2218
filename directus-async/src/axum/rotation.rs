//! Single-flight refresh of a browser's refresh cookie, with its result kept for a grace period.

use std::sync::Arc;
use std::time::Instant;

use directus_proto::auth::{self, Tokens};
use directus_proto::web::TokenDigest;
use directus_proto::{Error, Secret};

use super::error::WebError;
use super::lock;
use super::state::{DirectusWeb, LANES, Unauthenticated};

impl DirectusWeb {
    /// Single-flight rotation of `refresh`, with its result kept for the grace period.
    pub(super) async fn rotate(&self, refresh: Secret) -> Result<Tokens, WebError> {
        let digest = TokenDigest::of(&refresh);
        if let Some(tokens) = self.rotated(&digest) {
            return Ok(tokens);
        }
        let lane = Arc::clone(&self.shared.lanes[digest.stripe(LANES)]);
        let guard = lane.lock_owned().await;
        if let Some(tokens) = self.rotated(&digest) {
            return Ok(tokens);
        }
        // In its own task, holding the lane: a request dropped mid-refresh cannot lose the
        // rotated token, and the next request with the same cookie finds it.
        let web = self.clone();
        let task = tokio::spawn(async move {
            let _guard = guard;
            let client = web.builder_for_caller().anonymous()?;
            let tokens = client
                .run(auth::refresh(client.base_url(), &refresh)?)
                .await?;
            lock(&web.shared.rotations).insert_digest(
                digest,
                (tokens.clone(), Instant::now()),
                Instant::now(),
            );
            Ok::<_, Error>(tokens)
        });
        match task.await {
            Ok(Ok(tokens)) => Ok(tokens),
            Ok(Err(Error::Api(api))) if api.status().is_client_error() => {
                // The refresh cookie is dead (expired, revoked, or rotated elsewhere).
                Err(match &self.shared.unauthenticated {
                    Unauthenticated::Status => WebError::from(Error::Api(api)),
                    Unauthenticated::Redirect(path) => WebError::redirect(path),
                }
                .with_cookies(self.shared.cookies.clear_cookies()))
            }
            Ok(Err(other)) => Err(other.into()),
            Err(_) => Err(WebError::internal()),
        }
    }

    /// The kept rotation of this refresh token, its access lifetime counted down.
    pub(super) fn rotated(&self, digest: &TokenDigest) -> Option<Tokens> {
        let now = Instant::now();
        let rotations = lock(&self.shared.rotations);
        let (tokens, at) = rotations.get_digest(digest, now)?;
        let mut tokens = tokens.clone();
        tokens.expires = tokens
            .expires
            .map(|e| e.saturating_sub(now.saturating_duration_since(*at)));
        Some(tokens)
    }
}
