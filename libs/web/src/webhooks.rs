//! Webhooks the SMS provider calls on the platform: inbound SMS and delivery reports.
//! Each request's `X-Twilio-Signature` is checked against the full public URL and form
//! before anything is read from it.

use std::collections::BTreeMap;

use pitlane_domain::ServiceError;
use pitlane_notify::{consent, service, sms};
use poem::{Body, IntoResponse, Request, Response, handler, http::StatusCode, web::Data};

use crate::problem::Problem;
use pitlane_app::state::AppState;

/// The form fields of a signed provider request, or the problem to answer with.
async fn signed_form(
    req: &Request,
    state: &AppState,
    body: Body,
) -> Result<BTreeMap<String, String>, Problem> {
    let Some(provider) = &state.config.notify.sms_provider else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "sms-not-configured",
            "This deployment has no SMS provider",
            None,
        ));
    };
    let bytes = body
        .into_bytes_limit(64 * 1024)
        .await
        .map_err(|_| bad_request("the body must be a form of at most 64 KiB"))?;
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let url = format!("{}{path}", state.config.notify.public_url);
    let signature = req
        .header("X-Twilio-Signature")
        .ok_or_else(|| forbidden("the X-Twilio-Signature header is missing"))?;
    if !sms::signature_is_valid(&provider.auth_token, &url, &form, signature) {
        tracing::warn!(%url, "SMS webhook with a bad signature");
        return Err(forbidden("the signature does not match this request"));
    }
    Ok(form)
}

fn bad_request(detail: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "The request could not be read",
        Some(detail.into()),
    )
}

fn forbidden(detail: &str) -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "bad-signature",
        "Not a request from the SMS provider",
        Some(detail.into()),
    )
}

fn field<'a>(form: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str, Problem> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad_request(&format!("the {name} field is missing")))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SMS to one of the tenants' numbers. Answers with TwiML: the reply to STOP, START and
/// HELP, or nothing.
#[handler]
pub async fn inbound_sms(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let form = match signed_form(req, &state, body).await {
        Ok(form) => form,
        Err(problem) => return problem.into_response(),
    };
    let parsed = (|| {
        Ok::<_, Problem>(consent::InboundSms {
            provider_ref: field(&form, "MessageSid")?.to_owned(),
            from: field(&form, "From")?.to_owned(),
            to: field(&form, "To")?.to_owned(),
            body: form.get("Body").cloned().unwrap_or_default(),
        })
    })();
    let sms = match parsed {
        Ok(sms) => sms,
        Err(problem) => return problem.into_response(),
    };
    let shared = state.config.notify.sms_from.as_deref();
    match consent::receive(&state.store, &state.live, shared, sms).await {
        Ok(received) => {
            if let Some(new) = &received.message {
                // A text from a known customer joins their conversation in the inbox.
                let threaded = pitlane_frontdesk::conversations::sms_received(
                    &state.frontdesk,
                    &pitlane_store::TenantCtx::new(new.tenant_id),
                    &new.from,
                    &new.body,
                )
                .await;
                if let Err(err) = threaded {
                    tracing::error!(error = %err, "could not thread an inbound SMS into its conversation");
                }
            }
            let inner = received
                .reply
                .map(|text| format!("<Message>{}</Message>", xml_escape(&text)))
                .unwrap_or_default();
            Response::builder()
                .content_type("text/xml; charset=utf-8")
                .body(format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{inner}</Response>"
                ))
        }
        Err(ServiceError::NotFound) => Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-number",
            "No workshop sends from this number",
            None,
        )
        .into_response(),
        Err(err) => Problem::from(err).into_response(),
    }
}

/// The provider's delivery report on an SMS we sent (`?ref=tenant:message`).
#[handler]
pub async fn sms_status(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let form = match signed_form(req, &state, body).await {
        Ok(form) => form,
        Err(problem) => return problem.into_response(),
    };
    let reference = req
        .uri()
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "ref")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    let status = match field(&form, "MessageStatus") {
        Ok(status) => status,
        Err(problem) => return problem.into_response(),
    };
    let error_code = form.get("ErrorCode").map(String::as_str);
    match service::record_delivery_report(&state.store, &state.live, &reference, status, error_code)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => Problem::from(err).into_response(),
    }
}

/// Stripe's webhook, for platform and Connect events alike. The signature is checked on the
/// raw body before anything is read from it; a verified event is stored once by its id and
/// answered at once, and the work is done in the background (`pitlane_billing::events`).
#[handler]
pub async fn stripe(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let bytes = match body.into_bytes_limit(1024 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return bad_request("the body must be a Stripe event of at most 1 MiB").into_response();
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return bad_request("the body is not UTF-8").into_response();
    };
    match pitlane_billing::events::receive(&state.billing, text, req.header("Stripe-Signature"))
        .await
    {
        Ok(new) => poem::web::Json(serde_json::json!({ "received": true, "duplicate": !new }))
            .into_response(),
        Err(refused) => {
            tracing::warn!(?refused, "Stripe webhook refused");
            let status = if refused == pitlane_billing::events::Refused::NotConfigured {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            Problem::new(
                status,
                "stripe-webhook-refused",
                "The Stripe event was not accepted",
                Some(refused.detail().into()),
            )
            .into_response()
        }
    }
}
