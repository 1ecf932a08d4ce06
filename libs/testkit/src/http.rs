//! An HTTP client for black-box tests: a cookie jar, `{slug}.localhost` resolved to the
//! server, and the portal's sign-in done the way a browser does it (form + CSRF token).

use std::net::SocketAddr;

use reqwest::{Response, StatusCode};

use crate::world::TenantFixture;

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub origin: String,
}

/// The CSRF token of the first form in a page.
pub fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The platform path (`/t/{slug}/…`) of an absolute link to a workshop, whether it names
/// the workshop's own host (`http://{slug}.localhost:{port}/…`) or the platform's address:
/// tests follow links on the platform host, where their sessions live.
pub fn tenant_path(link: &str) -> String {
    let url = url::Url::parse(link).unwrap_or_else(|e| panic!("{link:?} is not a link: {e}"));
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    if url.path().starts_with("/t/") {
        return format!("{}{query}", url.path());
    }
    let host = url.host_str().unwrap_or_default();
    let slug = host
        .strip_suffix(".localhost")
        .unwrap_or_else(|| panic!("{link:?} is not on a workshop's host"));
    format!("/t/{slug}{}{query}", url.path())
}

impl Client {
    pub fn new(origin: &str, port: u16) -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], port));
        let mut builder = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none());
        // Tenant hosts used by the tests resolve to the server without DNS.
        for slug in ["alpha", "bravo", "demo", "custom"] {
            builder = builder.resolve(&format!("{slug}.localhost"), loopback);
        }
        builder = builder.resolve("shop.example.test", loopback);
        Self {
            http: builder.build().expect("build the HTTP client"),
            origin: origin.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// Calls the API with an optional JSON body; the status and the JSON answer (or, when the
    /// answer is not JSON, its text as a JSON string). The answer is checked against the
    /// OpenAPI document first (see [`crate::openapi`]).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let answer = crate::openapi::checked(method.as_str(), path, response).await;
        (answer.status, answer.body)
    }

    /// The id of the workshop's first branch, as the API at `api` (`/t/{slug}/api/v1`) lists it.
    pub async fn first_branch(&self, api: &str) -> String {
        let (status, branches) = self
            .call(reqwest::Method::GET, &format!("{api}/branches"), None)
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{branches}");
        branches["items"][0]["id"]
            .as_str()
            .expect("a branch")
            .to_owned()
    }

    /// A lift in `branch` and a one-hour brake check that needs one, bookable online; returns
    /// the service.
    pub async fn bookable_service(&self, api: &str, branch: &str) -> serde_json::Value {
        let (status, bay) = self
            .call(
                reqwest::Method::POST,
                &format!("{api}/bays"),
                Some(serde_json::json!({"branch_id": branch, "name": "Lift 1", "kind": "lift"})),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{bay}");
        let (status, service) = self
            .call(
                reqwest::Method::POST,
                &format!("{api}/services"),
                Some(
                    serde_json::json!({"name": "Brake check", "duration_minutes": 60,
                    "bay_kind": "lift", "price_from": "89.00", "bookable_online": true}),
                ),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{service}");
        service
    }

    /// Fetches a page and submits its form with these fields (plus its CSRF token).
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(form_page).await.text().await.expect("form page");
        let token = csrf_token(&page).unwrap_or_else(|| panic!("no CSRF token on {form_page}"));
        let mut form: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .expect("POST form")
    }

    /// Signs in to a tenant's portal as its owner; panics if that fails.
    pub async fn sign_in(&self, tenant: &TenantFixture) {
        self.sign_in_as(tenant, &tenant.owner_email, &tenant.owner_password)
            .await;
    }

    pub async fn sign_in_as(&self, tenant: &TenantFixture, email: &str, password: &str) {
        let base = format!("/t/{}", tenant.slug);
        let response = self
            .submit(
                &format!("{base}/signin"),
                &format!("{base}/signin"),
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-in as {email} should redirect"
        );
    }
}
