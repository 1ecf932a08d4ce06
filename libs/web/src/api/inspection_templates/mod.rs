//! `/inspection-templates`: the workshop's inspection templates.

pub(crate) mod json;

use pitlane_workshop::inspections;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{InspectionTemplate, InspectionTemplateWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct InspectionTemplatesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl InspectionTemplatesApi {
    /// Inspection templates
    ///
    /// Needs `repair_orders.read`. By name.
    #[oai(
        path = "/inspection-templates",
        method = "get",
        operation_id = "list_inspection_templates"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<InspectionTemplate>>, Problem> {
        let rows = inspections::templates(&state.workshop, &auth.actor).await?;
        let items = rows.into_iter().map(InspectionTemplate::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Create an inspection template
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/inspection-templates",
        method = "post",
        operation_id = "create_inspection_template"
    )]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<InspectionTemplateWrite>,
    ) -> Result<Created<InspectionTemplate>, Problem> {
        let v = inspections::save_template(
            &state.workshop,
            &auth.actor,
            None,
            &body.0.name,
            &body.0.points(),
        )
        .await?;
        Ok(Created::new(v))
    }

    /// Replace an inspection template
    ///
    /// Needs `settings.manage`. Inspections already started keep their points.
    #[oai(
        path = "/inspection-templates/:template_id",
        method = "put",
        operation_id = "update_inspection_template"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        template_id: Path<Uuid>,
        body: Json<InspectionTemplateWrite>,
    ) -> Result<Json<InspectionTemplate>, Problem> {
        let v = inspections::save_template(
            &state.workshop,
            &auth.actor,
            Some(template_id.0),
            &body.0.name,
            &body.0.points(),
        )
        .await?;
        Ok(Json(v.into()))
    }
}
