//! `/vehicles`: the vehicles the workshop knows, with VIN, mileage and owners.

pub(crate) mod json;

use pitlane_frontdesk::vehicles::{self, VehicleQuery};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{MileageWrite, OwnerWrite, Vehicle, VehicleHistory, VehicleWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct VehiclesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl VehiclesApi {
    /// List vehicles
    ///
    /// Needs `customers.read`. In creation order; `customer_id` limits to one owner.
    #[oai(path = "/vehicles", method = "get", operation_id = "list_vehicles")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// Only this customer's vehicles.
        customer_id: Query<Option<Uuid>>,
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Vehicle>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = vehicles::list(
            &state.frontdesk,
            &auth.actor,
            VehicleQuery {
                customer_id: customer_id.0.map(Into::into),
                cursor: page.cursor_id()?,
                limit: page.limit,
            },
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Add a vehicle
    ///
    /// Needs `customers.write`.
    #[oai(path = "/vehicles", method = "post", operation_id = "create_vehicle")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<VehicleWrite>,
    ) -> Result<Created<Vehicle>, Problem> {
        let row = vehicles::create(&state.frontdesk, &auth.actor, body.0.into()).await?;
        Ok(Created::new(row))
    }

    /// Get a vehicle with its history
    ///
    /// Needs `customers.read`. Owners over time, mileage readings, appointments.
    #[oai(
        path = "/vehicles/:vehicle_id",
        method = "get",
        operation_id = "get_vehicle"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
    ) -> Result<Json<VehicleHistory>, Problem> {
        let h = vehicles::history(&state.frontdesk, &auth.actor, vehicle_id.0.into()).await?;
        Ok(Json(h.into()))
    }

    /// Change a vehicle
    ///
    /// Needs `customers.write`. Mileage and owner change through their own operations.
    #[oai(
        path = "/vehicles/:vehicle_id",
        method = "put",
        operation_id = "update_vehicle"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
        body: Json<VehicleWrite>,
    ) -> Result<Json<Vehicle>, Problem> {
        let row = vehicles::update(
            &state.frontdesk,
            &auth.actor,
            vehicle_id.0.into(),
            body.0.into(),
        )
        .await?;
        Ok(Json(row.into()))
    }

    /// Record a mileage reading
    ///
    /// Needs `customers.write`. A reading below the last needs `correction_reason` (422 otherwise).
    #[oai(
        path = "/vehicles/:vehicle_id/mileage",
        method = "post",
        operation_id = "record_mileage"
    )]
    async fn mileage(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
        body: Json<MileageWrite>,
    ) -> Result<Json<Vehicle>, Problem> {
        let row = vehicles::record_mileage(
            &state.frontdesk,
            &auth.actor,
            vehicle_id.0.into(),
            body.0.mileage,
            body.0.correction_reason.as_deref(),
        )
        .await?;
        Ok(Json(row.into()))
    }

    /// Change a vehicle's owner
    ///
    /// Needs `customers.write`. The previous ownership is closed and kept in the history.
    #[oai(
        path = "/vehicles/:vehicle_id/owner",
        method = "put",
        operation_id = "transfer_vehicle"
    )]
    async fn transfer(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
        body: Json<OwnerWrite>,
    ) -> Result<Json<Vehicle>, Problem> {
        let row = vehicles::transfer(
            &state.frontdesk,
            &auth.actor,
            vehicle_id.0.into(),
            body.0.customer_id.map(Into::into),
        )
        .await?;
        Ok(Json(row.into()))
    }
}
