//! A fake OAuth2 identity provider on 127.0.0.1 that speaks the real protocol: the
//! authorization endpoint (code flow, PKCE S256 required, state passed back), the token
//! endpoint (client authentication, single-use codes, redirect URI and PKCE verifier checked)
//! and a userinfo endpoint for the bearer token. Its PKCE check is written here, apart from the
//! `oauth2` crate the server uses, so a mistake in either shows.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use poem::{
    EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Form, Json, Query},
};
use serde_json::json;
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "pitlane-test-client";
pub const CLIENT_SECRET: &str = "fake-idp-client-secret";

/// The person the provider says is signing in.
#[derive(Debug, Clone)]
pub struct IdpUser {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
}

struct Grant {
    challenge: String,
    redirect_uri: String,
    user: IdpUser,
    used: bool,
}

#[derive(Default)]
struct IdpState {
    /// Speak as Microsoft Entra does: no `email_verified` in userinfo, and an ID token with
    /// the account's directory (`tid`) and whether its domain is verified (`xms_edov`).
    microsoft_directory: Option<String>,
    user: Option<IdpUser>,
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, IdpUser>,
}

type Shared = Arc<Mutex<IdpState>>;

pub struct FakeIdp {
    port: u16,
    state: Shared,
}

fn random() -> String {
    let bytes: [u8; 24] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn oauth_error(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": code }))).into_response()
}

#[handler]
fn authorize(Query(q): Query<HashMap<String, String>>, state: Data<&Shared>) -> Response {
    let param = |k: &str| q.get(k).cloned().unwrap_or_default();
    if param("response_type") != "code" || param("client_id") != CLIENT_ID {
        return (StatusCode::BAD_REQUEST, "unsupported request").into_response();
    }
    if param("code_challenge_method") != "S256" || param("code_challenge").is_empty() {
        return (StatusCode::BAD_REQUEST, "PKCE (S256) is required").into_response();
    }
    let mut shared = state.lock().expect("idp state");
    let Some(user) = shared.user.clone() else {
        return (
            StatusCode::UNAUTHORIZED,
            "nobody is signed in at the provider",
        )
            .into_response();
    };
    let code = random();
    let redirect_uri = param("redirect_uri");
    shared.grants.insert(
        code.clone(),
        Grant {
            challenge: param("code_challenge"),
            redirect_uri: redirect_uri.clone(),
            user,
            used: false,
        },
    );
    let mut target = url::Url::parse(&redirect_uri).expect("redirect uri");
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &param("state"));
    Response::builder()
        .status(StatusCode::FOUND)
        .header("location", target.as_str())
        .finish()
}

#[handler]
fn token_endpoint(
    req: &Request,
    Form(form): Form<HashMap<String, String>>,
    state: Data<&Shared>,
) -> Response {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let (id, secret) = match basic.as_deref().and_then(|pair| pair.split_once(':')) {
        Some((id, secret)) => (
            url::form_urlencoded::parse(id.as_bytes())
                .map(|(k, _)| k.into_owned())
                .next()
                .unwrap_or_default(),
            url::form_urlencoded::parse(secret.as_bytes())
                .map(|(k, _)| k.into_owned())
                .next()
                .unwrap_or_default(),
        ),
        None => (field("client_id"), field("client_secret")),
    };
    if id != CLIENT_ID || secret != CLIENT_SECRET {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    if field("grant_type") != "authorization_code" {
        return oauth_error("unsupported_grant_type");
    }
    let mut shared = state.lock().expect("idp state");
    let Some(grant) = shared.grants.get_mut(&field("code")) else {
        return oauth_error("invalid_grant");
    };
    if grant.used {
        return oauth_error("invalid_grant");
    }
    grant.used = true;
    if grant.redirect_uri != field("redirect_uri") {
        return oauth_error("invalid_grant");
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if computed != grant.challenge {
        return oauth_error("invalid_grant");
    }
    let user = grant.user.clone();
    let access = random();
    shared.tokens.insert(access.clone(), user.clone());
    let mut answer = json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600 });
    if let Some(tid) = &shared.microsoft_directory {
        // An unsigned JWT is enough here: the server reads it straight from this endpoint.
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        answer["id_token"] = json!(format!(
            "{}.{}.",
            part(json!({"alg": "none", "typ": "JWT"})),
            part(
                json!({"sub": user.sub, "tid": tid, "email": user.email, "xms_edov": user.email_verified})
            )
        ));
    }
    Json(answer).into_response()
}

#[handler]
fn userinfo(req: &Request, state: Data<&Shared>) -> Response {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let shared = state.lock().expect("idp state");
    match shared.tokens.get(&token) {
        Some(user) if shared.microsoft_directory.is_some() => Json(json!({
            "sub": user.sub,
            "email": user.email,
            "name": user.name,
        }))
        .into_response(),
        Some(user) => Json(json!({
            "sub": user.sub,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
        }))
        .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

impl FakeIdp {
    pub async fn start() -> Self {
        let state: Shared = Arc::default();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the fake identity provider");
        let port = acceptor
            .local_addr()
            .into_iter()
            .find_map(|a| a.as_socket_addr().map(|s| s.port()))
            .expect("port");
        let app = Route::new()
            .at("/authorize", get(authorize))
            .at("/token", post(token_endpoint))
            .at("/:directory/oauth2/v2.0/authorize", get(authorize))
            .at("/:directory/oauth2/v2.0/token", post(token_endpoint))
            .at("/userinfo", get(userinfo))
            .data(state.clone());
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Self { port, state }
    }

    /// Who the provider will say signs in next.
    pub fn signs_in(&self, user: IdpUser) {
        self.state.lock().expect("idp state").user = Some(user);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Speaks as Microsoft Entra for accounts of `directory` from now on.
    pub fn as_microsoft(&self, directory: &str) {
        self.state.lock().expect("idp state").microsoft_directory = Some(directory.to_owned());
    }

    /// The server's variables for this provider as "Sign in with Microsoft", accepting
    /// accounts of `directories`.
    pub fn microsoft_vars(&self, directories: &str) -> Vec<(&'static str, String)> {
        vec![
            ("OAUTH_MICROSOFT_CLIENT_ID", CLIENT_ID.into()),
            ("OAUTH_MICROSOFT_CLIENT_SECRET", CLIENT_SECRET.into()),
            ("OAUTH_MICROSOFT_TENANT", directories.into()),
            ("OAUTH_MICROSOFT_LOGIN_URL", self.url("")),
            ("OAUTH_MICROSOFT_USERINFO_URL", self.url("/userinfo")),
        ]
    }

    /// The server's variables for this provider, as the generic provider "Test SSO".
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OAUTH_GENERIC_NAME", "Test SSO".into()),
            ("OAUTH_GENERIC_AUTHORIZE_URL", self.url("/authorize")),
            ("OAUTH_GENERIC_TOKEN_URL", self.url("/token")),
            ("OAUTH_GENERIC_USERINFO_URL", self.url("/userinfo")),
            ("OAUTH_GENERIC_CLIENT_ID", CLIENT_ID.into()),
            ("OAUTH_GENERIC_CLIENT_SECRET", CLIENT_SECRET.into()),
        ]
    }
}
