//! `/declined-services`: work customers declined, and marking it followed up.

pub(crate) mod json;

use pitlane_workshop::approval;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::DeclinedService;
use super::{
    ApiTags, Caller,
    shapes::{NoContent, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct DeclinedServicesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl DeclinedServicesApi {
    /// Declined services
    ///
    /// Needs `repair_orders.read`. Work customers declined and nobody has offered again yet;
    /// one vehicle's with `vehicle_id`. The most recently declined first.
    #[oai(
        path = "/declined-services",
        method = "get",
        operation_id = "list_declined_services"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Query<Option<Uuid>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<DeclinedService>>, Problem> {
        let rows =
            approval::declined_services(&state.workshop, &auth.actor, vehicle_id.0.map(Into::into))
                .await?;
        let items = rows.into_iter().map(DeclinedService::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Mark a declined service followed up
    ///
    /// Needs `repair_orders.write`.
    #[oai(
        path = "/declined-services/:line_id/followed-up",
        method = "post",
        operation_id = "follow_up_declined_service"
    )]
    async fn followed_up(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        line_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        approval::mark_followed_up(&state.workshop, &auth.actor, line_id.0).await?;
        Ok(NoContent::Done)
    }
}
