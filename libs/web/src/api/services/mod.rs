//! `/services`: the service catalogue and the free slots of a service.

pub(crate) mod json;

use chrono::NaiveDate;
use pitlane_frontdesk::{
    appointments::{self, SlotRequest},
    catalogue,
};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{FreeSlot, FreeSlotList, Service, ServiceWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct ServicesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl ServicesApi {
    /// List the service catalogue
    ///
    /// Needs `tenant.read`. By name.
    #[oai(path = "/services", method = "get", operation_id = "list_services")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Service>>, Problem> {
        let rows = catalogue::list_for(&state.frontdesk, &auth.actor).await?;
        let items = rows.into_iter().map(Service::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Add a service
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/services", method = "post", operation_id = "create_service")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<ServiceWrite>,
    ) -> Result<Created<Service>, Problem> {
        let row = catalogue::create(&state.frontdesk, &auth.actor, body.0.into()).await?;
        Ok(Created::new(row))
    }

    /// Get a service
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/services/:service_id",
        method = "get",
        operation_id = "get_service"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        service_id: Path<Uuid>,
    ) -> Result<Json<Service>, Problem> {
        let row = catalogue::get(&state.frontdesk, &auth.actor, service_id.0).await?;
        Ok(Json(row.into()))
    }

    /// Change a service
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/services/:service_id",
        method = "put",
        operation_id = "update_service"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        service_id: Path<Uuid>,
        body: Json<ServiceWrite>,
    ) -> Result<Json<Service>, Problem> {
        let row =
            catalogue::update(&state.frontdesk, &auth.actor, service_id.0, body.0.into()).await?;
        Ok(Json(row.into()))
    }

    /// Find free slots for a service
    ///
    /// Needs `customers.read`. Times on a 15-minute grid where a bay of the service's kind and
    /// a mechanic with its skill are both free for the whole duration, inside the branch's
    /// hours and outside its closures. `branch_id` defaults to the first branch, `from` (a
    /// local date) to today, `days` to 7 (at most 31). Example:
    /// `GET /api/v1/services/{id}/free-slots?branch_id=…&from=2026-11-23&days=5`.
    #[oai(
        path = "/services/:service_id/free-slots",
        method = "get",
        operation_id = "find_free_slots"
    )]
    async fn free_slots(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        service_id: Path<Uuid>,
        branch_id: Query<Option<Uuid>>,
        from: Query<Option<NaiveDate>>,
        days: Query<Option<u32>>,
    ) -> Result<Json<FreeSlotList>, Problem> {
        let found = appointments::free_slots(
            &state.frontdesk,
            &auth.actor,
            SlotRequest {
                service_id: service_id.0,
                branch_id: branch_id.0,
                from: from.0,
                days: days.0,
            },
        )
        .await?;
        Ok(Json(FreeSlotList {
            branch_id: found.branch_id,
            service_id: service_id.0,
            items: found.slots.into_iter().map(FreeSlot::from).collect(),
        }))
    }
}
