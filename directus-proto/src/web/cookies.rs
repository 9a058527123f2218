//! Cookie names and attributes, and the `Set-Cookie` values that carry tokens to a browser.

use std::time::Duration;

use http::HeaderValue;

use crate::auth::{Secret, Tokens};
use crate::error::Error;

/// The `SameSite` attribute of the token cookies.
///
/// ```
/// use directus_proto::web::{CookieSettings, SameSite};
/// assert_eq!(CookieSettings::default().same_site, SameSite::Lax);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameSite {
    /// Sent on same-site requests only.
    Strict,
    /// Also sent on top-level navigations from other sites (the default).
    #[default]
    Lax,
    /// Sent on every request (browsers require `Secure` with it).
    None,
}

/// The names and attributes of the token cookies. Cookies are always `HttpOnly`; `Secure` is
/// on by default (turn it off for plain-HTTP development only).
///
/// ```
/// use directus_proto::web::{CookieSettings, SameSite};
/// let settings = CookieSettings::default()
///     .names("app_access", "app_refresh")
///     .same_site(SameSite::Strict)
///     .secure(false);
/// assert_eq!(settings.access_cookie, "app_access");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieSettings {
    /// The access-token cookie (default `directus_access_token`).
    pub access_cookie: String,
    /// The refresh-token cookie (default `directus_refresh_token`).
    pub refresh_cookie: String,
    /// Directus' own session cookie to accept as an access token (`SESSION_COOKIE_NAME`,
    /// `directus_session_token` on a default server), when the app shares its domain.
    pub session_cookie: Option<String>,
    /// The `Path` attribute (default `/`).
    pub path: String,
    /// `Secure` (default on).
    pub secure: bool,
    /// `SameSite` (default `Lax`).
    pub same_site: SameSite,
    /// How long the browser keeps the refresh cookie (default 7 days, Directus'
    /// `REFRESH_TOKEN_TTL` default).
    pub refresh_max_age: Duration,
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings {
            access_cookie: "directus_access_token".into(),
            refresh_cookie: "directus_refresh_token".into(),
            session_cookie: None,
            path: "/".into(),
            secure: true,
            same_site: SameSite::Lax,
            refresh_max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl CookieSettings {
    /// The names of the access and refresh cookies.
    ///
    /// ```
    /// # use directus_proto::web::CookieSettings;
    /// let s = CookieSettings::default().names("a", "r");
    /// assert_eq!(s.refresh_cookie, "r");
    /// ```
    pub fn names(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.access_cookie = access.into();
        self.refresh_cookie = refresh.into();
        self
    }

    /// Also accepts Directus' session cookie of this name as an access token.
    ///
    /// ```
    /// # use directus_proto::web::CookieSettings;
    /// let s = CookieSettings::default().session_cookie("directus_session_token");
    /// assert!(s.session_cookie.is_some());
    /// ```
    pub fn session_cookie(mut self, name: impl Into<String>) -> Self {
        self.session_cookie = Some(name.into());
        self
    }

    /// The `Path` attribute.
    ///
    /// ```
    /// # use directus_proto::web::CookieSettings;
    /// let s = CookieSettings::default().path("/app");
    /// assert_eq!(s.path, "/app");
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The `Secure` attribute.
    ///
    /// ```
    /// # use directus_proto::web::CookieSettings;
    /// assert!(!CookieSettings::default().secure(false).secure);
    /// ```
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `SameSite` attribute.
    ///
    /// ```
    /// # use directus_proto::web::{CookieSettings, SameSite};
    /// let s = CookieSettings::default().same_site(SameSite::Strict);
    /// assert_eq!(s.same_site, SameSite::Strict);
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// How long the browser keeps the refresh cookie.
    ///
    /// ```
    /// # use directus_proto::web::CookieSettings;
    /// # use std::time::Duration;
    /// let s = CookieSettings::default().refresh_max_age(Duration::from_secs(3600));
    /// assert_eq!(s.refresh_max_age.as_secs(), 3600);
    /// ```
    pub fn refresh_max_age(mut self, max_age: Duration) -> Self {
        self.refresh_max_age = max_age;
        self
    }

    fn cookie(&self, name: &str, value: &str, max_age: u64) -> Result<HeaderValue, Error> {
        let same_site = match self.same_site {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        };
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{name}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}",
            self.path
        );
        let mut header = HeaderValue::from_str(&cookie)
            .ok()
            .filter(|_| !value.bytes().any(|b| b == b';' || b == b','))
            .ok_or_else(|| Error::InvalidInput("a cookie that cannot be a header".into()))?;
        header.set_sensitive(true);
        Ok(header)
    }

    /// The `Set-Cookie` values that hand `tokens` to the browser: the access cookie for as long
    /// as the access token lives, and the refresh cookie (when there is a refresh token) for
    /// [`refresh_max_age`](Self::refresh_max_age). Marked sensitive.
    ///
    /// ```
    /// use directus_proto::{auth::Tokens, web::CookieSettings};
    /// use std::time::Duration;
    ///
    /// let tokens = Tokens::new("a1", Some("r1".into()), Some(Duration::from_secs(900)));
    /// let cookies = CookieSettings::default().set_cookies(&tokens).unwrap();
    /// assert_eq!(cookies[0], "directus_access_token=a1; Path=/; Max-Age=900; HttpOnly; SameSite=Lax; Secure");
    /// assert!(cookies[1].to_str().unwrap().starts_with("directus_refresh_token=r1; Path=/; Max-Age=604800"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when a token holds characters a cookie cannot carry.
    pub fn set_cookies(&self, tokens: &Tokens) -> Result<Vec<HeaderValue>, Error> {
        let access_age = tokens
            .expires
            .unwrap_or(self.refresh_max_age)
            .as_secs()
            .max(1);
        let mut out = vec![self.cookie(
            &self.access_cookie,
            tokens.access_token.expose(),
            access_age,
        )?];
        if let Some(refresh) = tokens.refresh_token.as_ref().map(Secret::expose) {
            out.push(self.cookie(
                &self.refresh_cookie,
                refresh,
                self.refresh_max_age.as_secs(),
            )?);
        }
        Ok(out)
    }

    /// The `Set-Cookie` values that remove both token cookies (after a logout, or when the
    /// refresh cookie is dead).
    ///
    /// ```
    /// use directus_proto::web::CookieSettings;
    /// let cookies = CookieSettings::default().clear_cookies();
    /// assert!(cookies[0].to_str().unwrap().starts_with("directus_access_token=; Path=/; Max-Age=0"));
    /// ```
    pub fn clear_cookies(&self) -> Vec<HeaderValue> {
        [&self.access_cookie, &self.refresh_cookie]
            .into_iter()
            .filter_map(|name| self.cookie(name, "", 0).ok())
            .collect()
    }
}
