use pitlane_domain::{
    ServiceError,
    messages::{Channel, MessageKind},
};
use pitlane_notify::templates::{self, MessageTemplate};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json, types::Example};

use super::{ApiTags, Caller};
use crate::{problem::Problem, state::AppState};

/// The wording of one message kind on one channel.
#[derive(Object)]
pub struct Template {
    /// `{kind}.{channel}`, e.g. `booking_confirmation.sms`: what the template's paths take.
    pub id: String,
    /// `booking_confirmation`, `appointment_reminder`, `test_message`…
    pub kind: String,
    /// `email` or `sms`.
    pub channel: String,
    /// E-mail only.
    pub subject: Option<String>,
    /// Text with `{{ variable }}` holes.
    pub body: String,
    /// False while the built-in wording applies.
    pub custom: bool,
    /// The variables this kind offers (plus `workshop_name` and `workshop_phone`).
    pub variables: Vec<String>,
}

impl From<MessageTemplate> for Template {
    fn from(t: MessageTemplate) -> Self {
        Self {
            id: format!("{}.{}", t.kind.as_str(), t.channel.as_str()),
            kind: t.kind.as_str().to_owned(),
            channel: t.channel.as_str().to_owned(),
            subject: t.subject,
            body: t.body,
            custom: t.custom,
            variables: pitlane_domain::messages::COMMON_VARIABLES
                .iter()
                .chain(t.kind.variables())
                .map(|v| (*v).to_owned())
                .collect(),
        }
    }
}

/// A template as written; an unknown `{{ variable }}` is refused (422) with the known ones.
#[derive(Object)]
#[oai(example)]
pub struct TemplateInput {
    /// Required for e-mail; must be absent or empty for SMS.
    pub subject: Option<String>,
    pub body: String,
}

impl Example for TemplateInput {
    fn example() -> Self {
        Self {
            subject: Some("See you {{ when }}".into()),
            body: "Hello {{ customer_name }}, your {{ service }} is booked for {{ when }} at {{ branch }}.\n\n{{ workshop_name }}".into(),
        }
    }
}

/// What a template produces with the kind's sample data.
#[derive(Object)]
pub struct Preview {
    pub subject: Option<String>,
    pub text: String,
    /// The branded HTML part (e-mail only).
    pub html: Option<String>,
}

/// A template id (`{kind}.{channel}`) as its kind and channel; unknown ones name nothing.
fn key(id: &str) -> Result<(MessageKind, Channel), ServiceError> {
    id.split_once('.')
        .and_then(|(kind, channel)| Some((MessageKind::parse(kind)?, Channel::parse(channel)?)))
        .ok_or(ServiceError::NotFound)
}

pub struct TemplatesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Messages")]
impl TemplatesApi {
    /// List message templates
    ///
    /// Needs `settings.manage`. Every message kind on every channel, custom or built-in.
    #[oai(path = "/templates", method = "get", operation_id = "list_templates")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Vec<Template>>, Problem> {
        let all = templates::list(&state.store, &auth.actor).await?;
        Ok(Json(all.into_iter().map(Template::from).collect()))
    }

    /// Get a message template
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/templates/:template_id",
        method = "get",
        operation_id = "get_template"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        template_id: Path<String>,
    ) -> Result<Json<Template>, Problem> {
        let (kind, channel) = key(&template_id.0)?;
        Ok(Json(
            templates::get(&state.store, &auth.actor, kind, channel)
                .await?
                .into(),
        ))
    }

    /// Save a message template
    ///
    /// Needs `settings.manage`. Checked before it is saved: an unknown variable, an
    /// unclosed `{{`, an empty body or a subject on an SMS is a 422 naming the field.
    #[oai(
        path = "/templates/:template_id",
        method = "put",
        operation_id = "save_template"
    )]
    async fn save(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        template_id: Path<String>,
        body: Json<TemplateInput>,
    ) -> Result<Json<Template>, Problem> {
        let (kind, channel) = key(&template_id.0)?;
        let saved = templates::save(
            &state.store,
            &auth.actor,
            kind,
            channel,
            body.0.subject.as_deref(),
            &body.0.body,
        )
        .await?;
        Ok(Json(saved.into()))
    }

    /// Reset a message template
    ///
    /// Needs `settings.manage`. Goes back to the built-in wording.
    #[oai(
        path = "/templates/:template_id",
        method = "delete",
        operation_id = "reset_template"
    )]
    async fn reset(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        template_id: Path<String>,
    ) -> Result<Json<Template>, Problem> {
        let (kind, channel) = key(&template_id.0)?;
        Ok(Json(
            templates::reset(&state.store, &auth.actor, kind, channel)
                .await?
                .into(),
        ))
    }

    /// Preview a message template
    ///
    /// Needs `settings.manage`. Renders the template as given (saved or not) with the kind's
    /// sample data in the workshop's brand; refused like a save when it does not check.
    #[oai(
        path = "/templates/:template_id/preview",
        method = "post",
        operation_id = "preview_template"
    )]
    async fn preview(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        template_id: Path<String>,
        body: Json<TemplateInput>,
    ) -> Result<Json<Preview>, Problem> {
        let (kind, channel) = key(&template_id.0)?;
        let composed = templates::preview(
            &state.store,
            &auth.actor,
            kind,
            channel,
            body.0.subject.as_deref(),
            &body.0.body,
        )
        .await?;
        Ok(Json(Preview {
            subject: composed.subject,
            text: composed.text,
            html: composed.html,
        }))
    }
}
