//! `/templates`: the wording of the messages the workshop sends.

pub(crate) mod json;

use pitlane_domain::{
    ServiceError,
    messages::{Channel, MessageKind},
};
use pitlane_notify::templates;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};

use self::json::{Preview, Template, TemplateInput};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

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
    /// Needs `settings.manage`. Every message kind on every channel, custom or built-in, by
    /// kind and then channel; the cursor is a template's id.
    #[oai(path = "/templates", method = "get", operation_id = "list_templates")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Template>>, Problem> {
        let all = templates::list(&state.store, &auth.actor).await?;
        let items = all.into_iter().map(Template::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |t| t.id.clone())?))
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
        Ok(Json(composed.into()))
    }
}
