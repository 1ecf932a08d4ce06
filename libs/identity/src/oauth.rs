//! Sign-in through an identity provider: OAuth2 authorization code with PKCE (S256) and a
//! state parameter, by the `oauth2` crate. Providers come from the environment (Google,
//! Microsoft, and one generic provider given its URLs).
//!
//! One callback serves the whole deployment (`{public URL}/oauth/callback`), so a provider
//! needs one registered redirect URI however many workshops there are. The state names a
//! short-lived record in the key-value store (tenant, PKCE verifier, where to go after); it is
//! taken once. After the callback, a one-time hand-off token carries the sign-in to the
//! workshop's own site, which starts the session there.
//!
//! A provider's account is linked to a Pitlane user only when the provider asserts that the
//! e-mail address is verified (`email_verified` true: no provider is taken at its word
//! without it) and a user with that address exists; after that, the provider's subject id
//! finds the user even if the address changes.
//!
//! The state is bound to the browser that started: a random value goes into a cookie on the
//! workshop's site and its digest into the state, and the hand-off back on that site takes
//! the sign-in only with the cookie. Someone who sends a victim their own callback address
//! (to sign the victim in as themselves) fails there. A person with two-factor sign-in
//! enters their code after the provider too, unless the workshop trusts the provider's own
//! second factor.

use std::time::Duration;

use chrono::Utc;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl, basic::BasicClient,
};
use pitlane_domain::{Actor, ServiceError, ids::TenantId};
use pitlane_store::{
    TenantCtx,
    entity::{user, user_identity},
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    Identity,
    access::{active_membership, actor_of},
    audit::{self, By, Event},
};

/// An identity provider this deployment offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// In URLs: `google`, `microsoft` or `sso`.
    pub key: String,
    /// On the sign-in button.
    pub label: String,
    pub client_id: String,
    pub client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    pub userinfo_url: String,
    pub scopes: Vec<String>,
    /// Directories (Microsoft Entra tenant ids) whose accounts may sign in; empty for
    /// providers without directories. Checked against the ID token's `tid`.
    pub directories: Vec<String>,
}

/// The ID token next to the access token, when the provider sends one (OpenID Connect).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for IdTokenField {}

/// `BasicClient` whose token response keeps the ID token.
type OidcClient<HasTokenUrl> = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::StandardTokenResponse<IdTokenField, oauth2::basic::BasicTokenType>,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    HasTokenUrl,
>;

/// The claims Pitlane reads from an ID token. The token came straight from the provider's
/// token endpoint over TLS, in exchange for our code and secret, which OpenID Connect
/// accepts in place of checking its signature (Core 1.0, 3.1.3.7).
#[derive(Debug, Default, Deserialize)]
struct IdClaims {
    /// Microsoft: the directory the account belongs to.
    #[serde(default)]
    tid: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    /// Microsoft: the address's domain is verified by the directory that owns it.
    #[serde(default)]
    xms_edov: Option<serde_json::Value>,
}

fn claims_of(id_token: Option<&str>) -> IdClaims {
    id_token
        .and_then(|t| t.split('.').nth(1))
        .and_then(|payload| {
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn is_true(value: Option<&serde_json::Value>) -> bool {
    match value {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    }
}

/// What waits between sending someone to the provider and their return.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    tenant: TenantId,
    provider: String,
    verifier: String,
    /// The workshop's site (absolute), where the sign-in is handed off.
    site: String,
    next: String,
    /// SHA-256 of the browser's binding cookie (see [`BROWSER_COOKIE`]).
    #[serde(default)]
    browser: Option<String>,
}

/// The cookie that binds a provider sign-in to the browser that started it.
pub const BROWSER_COOKIE: &str = "pitlane_sso";

/// A new binding value for the cookie, and its digest for the state.
pub fn browser_binding() -> (String, String) {
    let value = {
        let bytes: [u8; 32] = rand::random();
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
    };
    let digest = binding_digest(&value);
    (value, digest)
}

fn binding_digest(value: &str) -> String {
    use sha2::{Digest, Sha256};
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        Sha256::digest(value.as_bytes()),
    )
}

/// A finished sign-in on its way to the workshop's site.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Handoff {
    pub tenant: TenantId,
    pub membership: Uuid,
    pub name: String,
    pub email: String,
    pub next: String,
    /// The password was checked but the person's authenticator code is still due.
    #[serde(default)]
    pub needs_second_factor: bool,
    /// `platform` for the main site's sign-in (audited when taken); the provider's key for a
    /// provider sign-in (audited when it finished).
    #[serde(default)]
    pub via: String,
    /// The digest of the browser cookie that must come with the hand-off (provider sign-ins).
    #[serde(default)]
    pub browser: Option<String>,
}

/// Why a provider sign-in did not end in a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthRefusal {
    #[error("this sign-in link expired or was already used; start again from the sign-in page")]
    UnknownState,
    #[error("the identity provider refused the sign-in ({0})")]
    Provider(String),
    #[error(
        "the identity provider did not confirm this e-mail address, so it cannot be linked to a Pitlane login"
    )]
    UnverifiedEmail,
    #[error("no Pitlane login has the address {0}; ask the workshop for an invitation")]
    NoAccount(String),
    #[error("{0} is not a member of this workshop")]
    NotMember(String),
}

const PENDING_TTL: Duration = Duration::from_secs(10 * 60);
const HANDOFF_TTL: Duration = Duration::from_secs(60);

fn callback_url(public_url: &str) -> String {
    format!("{}/oauth/callback", public_url.trim_end_matches('/'))
}

fn bad_config(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(format!("identity provider configuration: {err}"))
}

/// Where to send the person to sign in with `provider`.
pub async fn start(
    identity: &Identity,
    provider: &Provider,
    public_url: &str,
    tenant: TenantId,
    site: &str,
    next: &str,
    browser_digest: &str,
) -> Result<String, ServiceError> {
    let client = BasicClient::new(ClientId::new(provider.client_id.clone()))
        .set_client_secret(ClientSecret::new(provider.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(provider.authorize_url.clone()).map_err(bad_config)?)
        .set_redirect_uri(RedirectUrl::new(callback_url(public_url)).map_err(bad_config)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for scope in &provider.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state) = request.url();
    let pending = Pending {
        tenant,
        provider: provider.key.clone(),
        verifier: verifier.secret().clone(),
        site: site.to_owned(),
        next: next.to_owned(),
        browser: Some(browser_digest.to_owned()),
    };
    let raw = serde_json::to_vec(&pending).map_err(ServiceError::internal)?;
    identity
        .kv
        .set(
            &format!("oauth:state:{}", state.secret()),
            &raw,
            Some(PENDING_TTL),
        )
        .await
        .map_err(|e| ServiceError::internal(format!("storing the sign-in state: {e}")))?;
    Ok(url.to_string())
}

/// Takes a key's value once: of two requests with the same token, only one gets it.
async fn take(identity: &Identity, key: &str) -> Result<Option<Vec<u8>>, ServiceError> {
    identity
        .kv
        .take(key)
        .await
        .map_err(|e| ServiceError::internal(format!("reading the sign-in state: {e}")))
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    name: Option<String>,
}

impl UserInfo {
    /// Providers send `true` or `"true"`. Without the claim the address is not taken as
    /// verified, from any provider: an unverified address must never find someone's login.
    fn verified(&self) -> bool {
        match &self.email_verified {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        }
    }
}

/// Finishes a provider sign-in: exchanges the code (with the PKCE verifier), reads who it is,
/// finds their membership, and returns where to hand the sign-in off to.
pub async fn finish(
    identity: &Identity,
    providers: &[Provider],
    public_url: &str,
    state: &str,
    code: &str,
) -> Result<Result<(String, String), OAuthRefusal>, ServiceError> {
    let Some(raw) = take(identity, &format!("oauth:state:{state}")).await? else {
        return Ok(Err(OAuthRefusal::UnknownState));
    };
    let pending: Pending = serde_json::from_slice(&raw).map_err(ServiceError::internal)?;
    let Some(provider) = providers.iter().find(|p| p.key == pending.provider) else {
        return Ok(Err(OAuthRefusal::UnknownState));
    };
    let client: OidcClient<oauth2::EndpointSet> =
        oauth2::Client::new(ClientId::new(provider.client_id.clone()))
            .set_client_secret(ClientSecret::new(provider.client_secret.clone()))
            .set_token_uri(TokenUrl::new(provider.token_url.clone()).map_err(bad_config)?)
            .set_redirect_uri(RedirectUrl::new(callback_url(public_url)).map_err(bad_config)?);
    let http = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(ServiceError::internal)?;
    let token = match client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&http)
        .await
    {
        Ok(token) => token,
        Err(err) => {
            tracing::info!(error = %err, provider = %provider.key, "code exchange refused");
            return refuse(
                identity,
                &pending,
                "unknown",
                OAuthRefusal::Provider(describe(&err)),
            )
            .await;
        }
    };
    let info: UserInfo = match http
        .get(&provider.userinfo_url)
        .bearer_auth(token.access_token().secret())
        .send()
        .await
        .and_then(|r| r.error_for_status())
    {
        Ok(response) => match response.json().await {
            Ok(info) => info,
            Err(err) => {
                return refuse(
                    identity,
                    &pending,
                    "unknown",
                    OAuthRefusal::Provider(err.to_string()),
                )
                .await;
            }
        },
        Err(err) => {
            return refuse(
                identity,
                &pending,
                "unknown",
                OAuthRefusal::Provider(err.to_string()),
            )
            .await;
        }
    };
    let claims = claims_of(token.extra_fields().id_token.as_deref());
    if !provider.directories.is_empty()
        && !claims.tid.as_ref().is_some_and(|tid| {
            provider
                .directories
                .iter()
                .any(|d| d.eq_ignore_ascii_case(tid))
        })
    {
        return refuse(
            identity,
            &pending,
            info.email.as_deref().unwrap_or("unknown"),
            OAuthRefusal::Provider(
                "this account's directory is not one this Pitlane deployment accepts".into(),
            ),
        )
        .await;
    }
    let verified = info.verified()
        || is_true(claims.email_verified.as_ref())
        || (!provider.directories.is_empty() && is_true(claims.xms_edov.as_ref()));
    let claimed = info.email.clone().unwrap_or_default().trim().to_lowercase();
    let tx = identity.store.tx(&TenantCtx::new(pending.tenant)).await?;
    let linked = tx
        .people()
        .first(
            user_identity::Entity::find()
                .filter(user_identity::Column::Provider.eq(&provider.key))
                .filter(user_identity::Column::Subject.eq(&info.sub)),
        )
        .await?;
    let person = match linked {
        Some(link) => {
            tx.people()
                .first(user::Entity::find_by_id(link.user_id))
                .await?
        }
        None => {
            if claimed.is_empty() || !verified {
                tx.commit().await?;
                return refuse(identity, &pending, &claimed, OAuthRefusal::UnverifiedEmail).await;
            }
            let found = crate::access::person_by_email(&tx.people(), &claimed).await?;
            if let Some(person) = &found {
                tx.people()
                    .insert(user_identity::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        user_id: Set(person.id),
                        provider: Set(provider.key.clone()),
                        subject: Set(info.sub.clone()),
                        email: Set(claimed.clone()),
                        created_at: Set(Utc::now()),
                    })
                    .await?;
            }
            found
        }
    };
    let Some(person) = person else {
        tx.commit().await?;
        return refuse(
            identity,
            &pending,
            &claimed,
            OAuthRefusal::NoAccount(claimed.clone()),
        )
        .await;
    };
    let Some(member) = active_membership(&tx, person.id).await? else {
        tx.commit().await?;
        return refuse(
            identity,
            &pending,
            &person.email,
            OAuthRefusal::NotMember(person.email.clone()),
        )
        .await;
    };
    let actor: Actor = actor_of(&tx, &member).await?;
    let workshop = tx
        .get::<pitlane_store::entity::tenant::Entity>(pending.tenant.0)
        .await?;
    let needs_second_factor = person.totp_enabled_at.is_some() && !workshop.sso_trusts_mfa;
    if !needs_second_factor {
        audit::record(
            &tx,
            By::Member(&actor),
            Event::new("sign_in.succeeded").detail(serde_json::json!({ "via": provider.key })),
        )
        .await?;
    }
    tx.commit().await?;
    let handoff = Handoff {
        tenant: pending.tenant,
        membership: member.id,
        name: info
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(person.name),
        email: person.email,
        next: pending.next.clone(),
        needs_second_factor,
        via: provider.key.clone(),
        browser: pending.browser.clone(),
    };
    let token = issue_handoff(identity, &handoff, HANDOFF_TTL).await?;
    Ok(Ok((pending.site, token)))
}

/// Stores a hand-off for `ttl`; returns its one-time token.
pub async fn issue_handoff(
    identity: &Identity,
    handoff: &Handoff,
    ttl: Duration,
) -> Result<String, ServiceError> {
    let token = {
        let bytes: [u8; 32] = rand::random();
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
    };
    let raw = serde_json::to_vec(handoff).map_err(ServiceError::internal)?;
    identity
        .kv
        .set(&format!("oauth:handoff:{token}"), &raw, Some(ttl))
        .await
        .map_err(|e| ServiceError::internal(format!("storing the hand-off: {e}")))?;
    Ok(token)
}

fn describe<E: std::error::Error>(err: &E) -> String {
    let text = err.to_string();
    if text.contains("invalid_grant") {
        "the code was not accepted: already used, expired, or not issued for this sign-in".into()
    } else {
        text
    }
}

async fn refuse(
    identity: &Identity,
    pending: &Pending,
    claimed: &str,
    refusal: OAuthRefusal,
) -> Result<Result<(String, String), OAuthRefusal>, ServiceError> {
    let tx = identity.store.tx(&TenantCtx::new(pending.tenant)).await?;
    audit::record(
        &tx,
        By::Visitor(if claimed.is_empty() {
            "unknown".into()
        } else {
            claimed.to_owned()
        }),
        Event::new("sign_in.failed")
            .detail(serde_json::json!({ "via": pending.provider, "reason": refusal.to_string() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Err(refusal))
}

/// Takes a hand-off on the workshop's site: the sign-in it carries, once, for this tenant
/// only, only while its membership is still active, and, for a provider sign-in, only in the
/// browser that started it (`browser_cookie`, the value of [`BROWSER_COOKIE`]).
pub async fn take_handoff(
    identity: &Identity,
    tenant: TenantId,
    token: &str,
    browser_cookie: Option<&str>,
) -> Result<Option<(Actor, Handoff)>, ServiceError> {
    let Some(raw) = take(identity, &format!("oauth:handoff:{token}")).await? else {
        return Ok(None);
    };
    let handoff: Handoff = serde_json::from_slice(&raw).map_err(ServiceError::internal)?;
    if handoff.tenant != tenant {
        return Ok(None);
    }
    if let Some(expected) = &handoff.browser {
        let presented = browser_cookie.map(binding_digest);
        let same = presented.is_some_and(|p| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                p.as_bytes(),
                expected.as_bytes(),
            ))
        });
        if !same {
            tracing::warn!(%tenant, "a provider sign-in arrived in another browser; refused");
            return Ok(None);
        }
    }
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let actor =
        crate::access::actor_for(&tx, pitlane_domain::ids::MembershipId(handoff.membership))
            .await?;
    if let (Some(actor), "platform", false) =
        (&actor, handoff.via.as_str(), handoff.needs_second_factor)
    {
        audit::record(
            &tx,
            By::Member(actor),
            Event::new("sign_in.succeeded")
                .detail(serde_json::json!({ "via": "platform sign-in" })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(actor.map(|a| (a, handoff)))
}
