//! `/stock-movements`: the stock ledger, and recording a receipt, adjustment or return.

pub(crate) mod json;

use pitlane_inventory::stock;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};
use uuid::Uuid;

use self::json::{MovementWrite, StockMovement, StockMovementList};
use super::{ApiTags, Caller, page_limit, shapes::Created};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StockMovementsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl StockMovementsApi {
    /// The stock ledger
    ///
    /// Needs `inventory.read`. The latest movements, of a part and/or branch when named.
    #[oai(
        path = "/stock-movements",
        method = "get",
        operation_id = "list_stock_movements"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        part_id: Query<Option<Uuid>>,
        branch_id: Query<Option<Uuid>>,
        /// 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<StockMovementList>, Problem> {
        let rows = stock::movements(
            &state.inventory,
            &auth.actor,
            part_id.0,
            branch_id.0,
            page_limit(limit.0),
        )
        .await?;
        Ok(Json(StockMovementList {
            items: rows.into_iter().map(StockMovement::from).collect(),
        }))
    }

    /// Record a stock movement
    ///
    /// Needs `inventory.adjust`. Receive, adjust (signed, with a reason) or return to the
    /// supplier. Stock never goes below zero unless the workshop allows it (409 saying how many
    /// are there); parts held for approved work are not returned.
    #[oai(
        path = "/stock-movements",
        method = "post",
        operation_id = "record_stock_movement"
    )]
    async fn record(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<MovementWrite>,
    ) -> Result<Created<StockMovement>, Problem> {
        let row = stock::record(&state.inventory, &auth.actor, &body.0.into()).await?;
        Ok(Created::new(row))
    }
}
