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
///
/// While Redis is unreachable, sessions this process has seen are served from a local copy
/// and writes are kept locally, so people who are signed in keep working; the copy is
/// written back when Redis answers again. Sign-outs made meanwhile are replayed then too.
pub struct BusSessions {
    pub kv: Arc<dyn KeyValue>,
    fallback: std::sync::Mutex<Fallback>,
}

#[derive(Default)]
struct Fallback {
    /// Recently loaded or written sessions: entries and when they expire.
    copies: std::collections::HashMap<String, (BTreeMap<String, Value>, std::time::Instant)>,
    /// Writes and removals that did not reach the store.
    unsaved: std::collections::HashMap<String, Option<BTreeMap<String, Value>>>,
}

/// Enough for a busy instance's active sessions; older copies are dropped first.
const FALLBACK_CAPACITY: usize = 50_000;

impl BusSessions {
    pub fn new(kv: Arc<dyn KeyValue>) -> Self {
        Self {
            kv,
            fallback: std::sync::Mutex::default(),
        }
    }

    fn fallback(&self) -> std::sync::MutexGuard<'_, Fallback> {
        self.fallback
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn remember(&self, id: &str, entries: &BTreeMap<String, Value>, ttl: Duration) {
        let mut fallback = self.fallback();
        if fallback.copies.len() >= FALLBACK_CAPACITY {
            let now = std::time::Instant::now();
            fallback.copies.retain(|_, (_, until)| *until > now);
            if fallback.copies.len() >= FALLBACK_CAPACITY {
                fallback.copies.clear();
            }
        }
        fallback.copies.insert(
            id.to_owned(),
            (entries.clone(), std::time::Instant::now() + ttl),
        );
    }

    /// Writes back what could not be stored while the store was down.
    async fn flush_unsaved(&self) {
        let unsaved: Vec<_> = {
            let mut fallback = self.fallback();
            if fallback.unsaved.is_empty() {
                return;
            }
            fallback.unsaved.drain().collect()
        };
        for (id, entries) in unsaved {
            let written = match &entries {
                Some(entries) => match serde_json::to_vec(entries) {
                    Ok(raw) => {
                        self.kv
                            .set(&session_key(&id), &raw, Some(SESSION_LIFETIME))
                            .await
                    }
                    Err(_) => Ok(()),
                },
                None => self.kv.delete(&session_key(&id)).await,
            };
            if written.is_err() {
                self.fallback().unsaved.entry(id).or_insert(entries);
            }
        }
    }
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
        match self.kv.get(&session_key(session_id)).await {
            Ok(raw) => {
                self.flush_unsaved().await;
                if let Some(pending) = self.fallback().unsaved.get(session_id) {
                    return Ok(pending.clone());
                }
                // An unreadable entry (from an older version, say) is as good as no session.
                let entries: Option<BTreeMap<String, Value>> =
                    raw.and_then(|raw| serde_json::from_slice(&raw).ok());
                if let Some(entries) = &entries {
                    self.remember(session_id, entries, SESSION_LIFETIME);
                }
                Ok(entries)
            }
            Err(err) => {
                let fallback = self.fallback();
                if let Some(pending) = fallback.unsaved.get(session_id) {
                    return Ok(pending.clone());
                }
                match fallback.copies.get(session_id) {
                    Some((entries, until)) if *until > std::time::Instant::now() => {
                        tracing::warn!(error = %err, "session store unreachable; using this instance's copy");
                        Ok(Some(entries.clone()))
                    }
                    _ => Err(storage_error(err)),
                }
            }
        }
    }

    async fn update_session<'a>(
        &'a self,
        session_id: &'a str,
        entries: &'a BTreeMap<String, Value>,
        expires: Option<Duration>,
    ) -> poem::Result<()> {
        let raw = serde_json::to_vec(entries).map_err(storage_error)?;
        let ttl = expires.unwrap_or(SESSION_LIFETIME);
        self.remember(session_id, entries, ttl);
        if let Err(err) = self.kv.set(&session_key(session_id), &raw, Some(ttl)).await {
            tracing::warn!(error = %err, "session store unreachable; keeping the session here until it returns");
            self.fallback()
                .unsaved
                .insert(session_id.to_owned(), Some(entries.clone()));
        }
        Ok(())
    }

    async fn remove_session<'a>(&'a self, session_id: &'a str) -> poem::Result<()> {
        self.fallback().copies.remove(session_id);
        if let Err(err) = self.kv.delete(&session_key(session_id)).await {
            tracing::warn!(error = %err, "session store unreachable; the sign-out is replayed when it returns");
            self.fallback().unsaved.insert(session_id.to_owned(), None);
        }
        Ok(())
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
