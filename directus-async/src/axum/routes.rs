//! The login and logout routes ([`DirectusWeb::auth_routes`]).

use std::fmt;

use ::axum::extract::{FromRequest, Request, State};
use ::axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use ::axum::http::{HeaderMap, StatusCode};
use ::axum::response::{IntoResponse, Response};
use directus_proto::auth;
use directus_proto::web::{self, RequestCredentials, TokenDigest};
use serde::Deserialize;

use super::error::WebError;
use super::lock;
use super::state::DirectusWeb;

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    otp: Option<String>,
    /// Where a form login goes next (local paths only).
    #[serde(default)]
    next: Option<String>,
}

impl fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginForm")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A path on this site: `/x`, never `//host` or `/\host` (no open redirect).
fn local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.bytes().any(|b| b.is_ascii_control())
}

pub(super) async fn login(
    State(web): State<DirectusWeb>,
    request: Request,
) -> Result<Response, WebError> {
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bad = |_| {
        WebError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PAYLOAD",
            "Expected email and password.",
        )
    };
    let form = if is_json {
        ::axum::Json::<LoginForm>::from_request(request, &())
            .await
            .map_err(|e| bad(e.status()))?
            .0
    } else {
        ::axum::Form::<LoginForm>::from_request(request, &())
            .await
            .map_err(|e| bad(e.status()))?
            .0
    };
    let builder = web.builder_for_caller();
    let client = match &form.otp {
        Some(otp) => builder.login_otp(&form.email, &form.password, otp).await?,
        None => builder.login(&form.email, &form.password).await?,
    };
    let tokens = client.tokens().ok_or_else(WebError::internal)?;
    let cookies = web.shared.cookies.set_cookies(&tokens)?;
    let mut response = match form.next.as_deref().filter(|p| !is_json && local_path(p)) {
        Some(next) => WebError::redirect(next).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    for cookie in cookies {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

pub(super) async fn logout(State(web): State<DirectusWeb>, headers: HeaderMap) -> Response {
    let refresh = match web::request_credentials(&headers, &web.shared.cookies) {
        Ok(Some(RequestCredentials::Cookies {
            refresh: Some(refresh),
            ..
        })) => Some(refresh),
        _ => None,
    };
    let refresh = refresh.map(|old| {
        // Cookies from before a rotation kept for the grace period: revoke the rotated
        // session, and forget the rotation so it cannot hand that session out again.
        let current = web
            .rotated(&TokenDigest::of(&old))
            .and_then(|t| t.refresh_token)
            .unwrap_or_else(|| old.clone());
        let mut rotations = lock(&web.shared.rotations);
        rotations.remove(&old);
        rotations.retain(|(tokens, _)| tokens.refresh_token.as_ref() != Some(&current));
        current
    });
    let revoked = match refresh {
        Some(refresh) => match web.builder_for_caller().anonymous() {
            Ok(client) => match auth::logout(client.base_url(), &refresh) {
                Ok(op) => client.run(op).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        },
        None => Ok(()),
    };
    let clear = web.shared.cookies.clear_cookies();
    match revoked {
        Ok(()) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            for cookie in clear {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            response
        }
        Err(err) => WebError::from(err).with_cookies(clear).into_response(),
    }
}
