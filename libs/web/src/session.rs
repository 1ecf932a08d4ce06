//! Server-side sessions (poem's session middleware over our key-value bus: Redis in the SaaS
//! shape, memory when embedded), who is signed in, and CSRF tokens for forms.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use pitlane_bus::KeyValue;
use pitlane_domain::{
    Actor,
    ids::{MembershipId, TenantId, UserId},
};
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response,
    session::{Session, SessionStorage},
    web::cookie::{Cookie, SameSite},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::tenant::TenantScope;
use pitlane_app::state::AppState;

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

/// What a session remembers about who signed in. The role is a copy, to notice a change (and
/// issue a new session id); permissions are re-read from the database on every request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub membership_id: MembershipId,
    pub role: String,
    pub name: String,
    pub email: String,
    /// Unix milliseconds of the sign-in.
    #[serde(default)]
    pub signed_in_at_ms: i64,
    /// Unix seconds of the last request, to the minute.
    #[serde(default)]
    pub last_seen_at: i64,
}

impl SessionAuth {
    pub fn new(actor: &Actor, name: String, email: String) -> Self {
        let now = chrono::Utc::now();
        Self {
            tenant_id: actor.tenant_id,
            user_id: actor.user_id,
            membership_id: actor.membership_id,
            role: actor.role.key(),
            name,
            email,
            signed_in_at_ms: now.timestamp_millis(),
            last_seen_at: now.timestamp(),
        }
    }
}

pub const AUTH_KEY: &str = "auth";
/// A session nobody used for this long is over.
pub const SESSION_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// Starts a signed-in session: a fresh session id, so an id planted before sign-in cannot be
/// ridden (no fixation).
pub fn start_session(session: &Session, actor: &Actor, name: String, email: String) {
    session.renew();
    session.set(AUTH_KEY, SessionAuth::new(actor, name, email));
}

/// The signed-in member of the current tenant (or an API key acting for one), for handlers.
#[derive(Debug, Clone)]
pub struct Auth {
    pub actor: Actor,
    pub name: String,
    pub email: String,
    /// The workshop requires two-factor sign-in of this owner or admin, who has not set it up:
    /// only the set-up page (and signing out) is open to them until they do.
    pub must_enroll_two_factor: bool,
    /// Unread notifications, read with the session (`None` for API keys).
    pub unread: Option<u64>,
}

/// Puts `Auth` in the request when its session belongs to the tenant being visited (a
/// session from one tenant is no key to another) and is still good: not idle too long, not
/// past its lifetime, not ended by "sign out everywhere" or a password reset, and its
/// membership still active. The role and permissions are read fresh, so a change applies on
/// the next request; a changed role also gets a new session id. Under `/api/v1`, a
/// `Bearer` API key is accepted instead.
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

fn bearer(req: &Request) -> Option<String> {
    req.headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
}

async fn session_auth(
    state: &AppState,
    session: &Session,
    scope: &TenantScope,
) -> poem::Result<Option<Auth>> {
    let Some(mut stored) = session
        .get::<SessionAuth>(AUTH_KEY)
        .filter(|a| a.tenant_id == scope.tenant_id())
    else {
        return Ok(None);
    };
    let now = chrono::Utc::now().timestamp();
    let expired = now - stored.signed_in_at_ms / 1000 > SESSION_LIFETIME.as_secs() as i64
        || now - stored.last_seen_at > SESSION_IDLE.as_secs() as i64;
    if expired {
        session.purge();
        return Ok(None);
    }
    let current = pitlane_identity::access::session_actor(
        &state.store,
        scope.tenant_id(),
        stored.membership_id,
        stored.signed_in_at_ms,
    )
    .await
    .map_err(|err| {
        tracing::error!(error = %err, "checking a session");
        poem::Error::from_status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
    })?;
    let Some(pitlane_identity::access::SessionState {
        actor,
        two_factor,
        unread,
    }) = current
    else {
        session.purge();
        return Ok(None);
    };
    let must_enroll_two_factor = scope.tenant.require_two_factor
        && (actor.is_owner() || actor.role.is(pitlane_domain::permissions::Role::Admin))
        && !two_factor;
    let role = actor.role.key();
    if role != stored.role {
        session.renew();
        stored.role = role;
        stored.last_seen_at = now;
        session.set(AUTH_KEY, stored.clone());
    } else if now - stored.last_seen_at >= 60 {
        stored.last_seen_at = now;
        session.set(AUTH_KEY, stored.clone());
    }
    Ok(Some(Auth {
        actor,
        name: stored.name,
        email: stored.email,
        must_enroll_two_factor,
        unread: Some(unread),
    }))
}

/// Paths an owner or admin who must still set up two-factor sign-in may use.
fn open_before_enrolment(path: &str) -> bool {
    path.contains("/portal/account/two-factor")
        || path.ends_with("/signout")
        || path.ends_with("/theme")
}

impl<E: Endpoint> Endpoint for LoadAuthEndpoint<E> {
    type Output = Response;

    /// A page or list that is only read (GET) checks its session in the transaction it then
    /// reads in: one transaction per page (`pitlane_store::parked`).
    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        if matches!(
            *req.method(),
            poem::http::Method::GET | poem::http::Method::HEAD
        ) {
            pitlane_store::parked::scope(self.serve(req)).await
        } else {
            self.serve(req).await
        }
    }
}

impl<E: Endpoint> LoadAuthEndpoint<E> {
    async fn serve(&self, mut req: Request) -> poem::Result<Response> {
        let state = req.data::<AppState>().cloned();
        let scope = req.extensions().get::<TenantScope>().cloned();
        let session = req.extensions().get::<Session>().cloned();
        let is_api = req.uri().path().contains("/api/v1/");
        let auth = match (state, scope) {
            (Some(state), Some(scope)) => match bearer(&req).filter(|_| is_api) {
                Some(key) => pitlane_identity::api_keys::authenticate(
                    &state.identity,
                    scope.tenant_id(),
                    &key,
                )
                .await
                .map_err(|err| {
                    tracing::error!(error = %err, "checking an API key");
                    poem::Error::from_status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
                })?
                .map(|actor| Auth {
                    actor,
                    name: "API key".into(),
                    email: String::new(),
                    must_enroll_two_factor: false,
                    unread: None,
                }),
                None => match &session {
                    Some(session) => session_auth(&state, session, &scope).await?,
                    None => None,
                },
            },
            _ => None,
        };
        if let Some(auth) = auth {
            if auth.must_enroll_two_factor && !open_before_enrolment(req.uri().path()) {
                return Ok(if is_api {
                    crate::problem::Problem::new(
                        poem::http::StatusCode::FORBIDDEN,
                        "two-factor-required",
                        "This workshop requires two-factor sign-in for owners and admins",
                        Some("Set it up under Account → Two-factor sign-in in the portal.".into()),
                    )
                    .into_response()
                } else {
                    let target = req
                        .extensions()
                        .get::<TenantScope>()
                        .map(|s| s.link("/portal/account/two-factor"))
                        .unwrap_or_default();
                    poem::web::Redirect::see_other(target).into_response()
                });
            }
            req.extensions_mut().insert(auth);
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// The CSRF token to put in this visitor's forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Signed double-submit CSRF protection, with server randomness only.
///
/// Every visitor gets a cookie `{nonce}.{seal}`: a random nonce the server drew, and a MAC of
/// it under the key derived for CSRF cookies. A cookie whose seal does not verify was not
/// issued here (a visitor or a sibling host planted it) and is replaced by a fresh one. A
/// form's token is the MAC of the same nonce under a second, separate key. Another site can
/// neither read the cookie nor compute the token; and since only nonces the server drew are
/// ever MACed, no answer hands back a MAC of anything a visitor chose.
#[derive(Clone)]
pub struct Csrf {
    cookie_keys: Arc<Vec<pitlane_identity::keys::Key>>,
    token_keys: Arc<Vec<pitlane_identity::keys::Key>>,
    pub secure: bool,
}

fn mac(key: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(nonce);
    mac.finalize().into_bytes().to_vec()
}

fn matches_any(keys: &[pitlane_identity::keys::Key], nonce: &[u8], given: &[u8]) -> bool {
    keys.iter().any(|key| {
        let expected = mac(key, nonce);
        subtle::ConstantTimeEq::ct_eq(expected.as_slice(), given).into()
    })
}

impl Csrf {
    pub fn new(keys: &pitlane_identity::keys::Keyring, secure: bool) -> Self {
        use pitlane_identity::keys::KeyUse;
        Self {
            cookie_keys: Arc::new(keys.verifying_keys(KeyUse::CsrfCookie)),
            token_keys: Arc::new(keys.verifying_keys(KeyUse::CsrfToken)),
            secure,
        }
    }

    /// A new cookie value: a fresh nonce and its seal.
    fn issue_cookie(&self) -> (String, Vec<u8>) {
        let nonce: [u8; 32] = rand::random();
        let seal = mac(&self.cookie_keys[0], &nonce);
        let value = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(seal)
        );
        (value, nonce.to_vec())
    }

    /// The nonce of a cookie this server issued; `None` for anything else.
    fn nonce_of(&self, cookie: &str) -> Option<Vec<u8>> {
        let (nonce, seal) = cookie.split_once('.')?;
        let nonce = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        let seal = URL_SAFE_NO_PAD.decode(seal).ok()?;
        (nonce.len() == 32 && matches_any(&self.cookie_keys, &nonce, &seal)).then_some(nonce)
    }

    fn token_for(&self, nonce: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(mac(&self.token_keys[0], nonce))
    }

    /// Whether a submitted token belongs to this request's (genuine) cookie, in constant time.
    pub fn verify(req: &Request, submitted: &str) -> bool {
        let Some(csrf) = req.extensions().get::<Csrf>() else {
            return false;
        };
        let Some(nonce) = req
            .cookie()
            .get(CSRF_COOKIE)
            .and_then(|cookie| csrf.nonce_of(cookie.value_str()))
        else {
            return false;
        };
        let Ok(given) = URL_SAFE_NO_PAD.decode(submitted.trim()) else {
            return false;
        };
        matches_any(&csrf.token_keys, &nonce, &given)
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
        let genuine = req
            .cookie()
            .get(CSRF_COOKIE)
            .and_then(|c| self.csrf.nonce_of(c.value_str()));
        let nonce = match genuine {
            Some(nonce) => nonce,
            None => {
                let (value, nonce) = self.csrf.issue_cookie();
                let mut cookie = Cookie::new_with_str(CSRF_COOKIE, &value);
                cookie.set_http_only(true);
                cookie.set_same_site(SameSite::Lax);
                cookie.set_secure(self.csrf.secure);
                cookie.set_path("/");
                req.cookie().add(cookie);
                nonce
            }
        };
        req.extensions_mut()
            .insert(CsrfToken(self.csrf.token_for(&nonce)));
        req.extensions_mut().insert(self.csrf.clone());
        self.inner.call(req).await
    }
}
