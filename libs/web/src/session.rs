//! Server-side sessions (poem's session middleware over our key-value bus: Redis in the SaaS
//! shape, memory when embedded), who is signed in, and CSRF tokens for forms.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use pitlane_bus::KeyValue;
use pitlane_domain::{
    Actor,
    ids::{MembershipId, TenantId, UserId},
    permissions::Role,
};
use poem::{
    Endpoint, Middleware, Request,
    session::{Session, SessionStorage},
    web::cookie::{Cookie, SameSite},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::tenant::TenantScope;

pub const SESSION_COOKIE: &str = "pitlane_session";
pub const CSRF_COOKIE: &str = "pitlane_csrf";
/// Sessions end this long after sign-in, whatever happens in between.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// Session storage on the shared key-value bus.
pub struct BusSessions {
    pub kv: Arc<dyn KeyValue>,
}

fn session_key(id: &str) -> String {
    format!("session:{id}")
}

fn storage_error(err: impl std::fmt::Display) -> poem::Error {
    tracing::error!(error = %err, "session storage");
    poem::Error::from_status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
}

impl SessionStorage for BusSessions {
    async fn load_session<'a>(
        &'a self,
        session_id: &'a str,
    ) -> poem::Result<Option<BTreeMap<String, Value>>> {
        let Some(raw) = self
            .kv
            .get(&session_key(session_id))
            .await
            .map_err(storage_error)?
        else {
            return Ok(None);
        };
        // An unreadable entry (from an older version, say) is as good as no session.
        Ok(serde_json::from_slice(&raw).ok())
    }

    async fn update_session<'a>(
        &'a self,
        session_id: &'a str,
        entries: &'a BTreeMap<String, Value>,
        expires: Option<Duration>,
    ) -> poem::Result<()> {
        let raw = serde_json::to_vec(entries).map_err(storage_error)?;
        self.kv
            .set(
                &session_key(session_id),
                &raw,
                Some(expires.unwrap_or(SESSION_LIFETIME)),
            )
            .await
            .map_err(storage_error)
    }

    async fn remove_session<'a>(&'a self, session_id: &'a str) -> poem::Result<()> {
        self.kv
            .delete(&session_key(session_id))
            .await
            .map_err(storage_error)
    }
}

/// What a session remembers about who signed in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub membership_id: MembershipId,
    pub role: String,
    pub name: String,
    pub email: String,
}

pub const AUTH_KEY: &str = "auth";

/// The signed-in member of the current tenant, for handlers.
#[derive(Debug, Clone)]
pub struct Auth {
    pub actor: Actor,
    pub name: String,
    pub email: String,
}

/// Puts `Auth` in the request when its session belongs to the tenant being visited:
/// a session from one tenant is no key to another.
pub struct LoadAuth;

impl<E: Endpoint> Middleware<E> for LoadAuth {
    type Output = LoadAuthEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        LoadAuthEndpoint { inner: ep }
    }
}

pub struct LoadAuthEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for LoadAuthEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let auth = match (
            req.extensions().get::<Session>(),
            req.extensions().get::<TenantScope>(),
        ) {
            (Some(session), Some(scope)) => session
                .get::<SessionAuth>(AUTH_KEY)
                .filter(|a| a.tenant_id == scope.tenant_id())
                .and_then(|a| {
                    Some(Auth {
                        actor: Actor {
                            user_id: a.user_id,
                            membership_id: a.membership_id,
                            tenant_id: a.tenant_id,
                            role: Role::parse(&a.role).ok()?,
                        },
                        name: a.name,
                        email: a.email,
                    })
                }),
            _ => None,
        };
        if let Some(auth) = auth {
            req.extensions_mut().insert(auth);
        }
        self.inner.call(req).await
    }
}

/// The CSRF token to put in this visitor's forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Signed double-submit CSRF protection: every visitor has a random cookie, and a form's token
/// is the HMAC of that cookie under the secret key. Another site can neither read the cookie
/// nor compute the token, so it cannot forge a form post.
#[derive(Clone)]
pub struct Csrf {
    pub key: Arc<Vec<u8>>,
    pub secure: bool,
}

impl Csrf {
    fn token_for(&self, cookie: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(cookie.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether a submitted token matches this request's cookie (in constant time).
    pub fn verify(req: &Request, submitted: &str) -> bool {
        let Some(csrf) = req.extensions().get::<Csrf>() else {
            return false;
        };
        let Some(cookie) = req.cookie().get(CSRF_COOKIE) else {
            return false;
        };
        let expected = csrf.token_for(cookie.value_str());
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), submitted.as_bytes()).into()
    }
}

impl<E: Endpoint> Middleware<E> for Csrf {
    type Output = CsrfEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CsrfEndpoint {
            inner: ep,
            csrf: self.clone(),
        }
    }
}

pub struct CsrfEndpoint<E> {
    inner: E,
    csrf: Csrf,
}

impl<E: Endpoint> Endpoint for CsrfEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let existing = req
            .cookie()
            .get(CSRF_COOKIE)
            .map(|c| c.value_str().to_owned());
        let value = match existing.filter(|v| v.len() >= 32) {
            Some(v) => v,
            None => {
                let random: [u8; 32] = rand::random();
                let value = URL_SAFE_NO_PAD.encode(random);
                let mut cookie = Cookie::new_with_str(CSRF_COOKIE, &value);
                cookie.set_http_only(true);
                cookie.set_same_site(SameSite::Lax);
                cookie.set_secure(self.csrf.secure);
                cookie.set_path("/");
                req.cookie().add(cookie);
                value
            }
        };
        req.extensions_mut()
            .insert(CsrfToken(self.csrf.token_for(&value)));
        req.extensions_mut().insert(self.csrf.clone());
        self.inner.call(req).await
    }
}
