//! `/stock-levels`: stock per branch, low stock, reorder points and bins.

pub(crate) mod json;

use pitlane_inventory::stock;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{ReorderWrite, StockLevel, StockLevelList};
use super::{ApiTags, Caller};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StockLevelsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl StockLevelsApi {
    /// Stock levels
    ///
    /// Needs `inventory.read`. At one branch, or every branch the caller sees; `low=true`
    /// lists only parts at or below their reorder point.
    #[oai(
        path = "/stock-levels",
        method = "get",
        operation_id = "list_stock_levels"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
        low: Query<Option<bool>>,
    ) -> Result<Json<StockLevelList>, Problem> {
        let rows = stock::levels(
            &state.inventory,
            &auth.actor,
            branch_id.0,
            low.0.unwrap_or(false),
        )
        .await?;
        Ok(Json(StockLevelList {
            items: rows.into_iter().map(StockLevel::from).collect(),
        }))
    }

    /// Set a reorder point and bin
    ///
    /// Needs `inventory.adjust`.
    #[oai(
        path = "/stock-levels/:level_id",
        method = "put",
        operation_id = "update_stock_level"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        level_id: Path<Uuid>,
        body: Json<ReorderWrite>,
    ) -> Result<Json<StockLevel>, Problem> {
        let row = stock::set_reorder_of_level(
            &state.inventory,
            &auth.actor,
            level_id.0,
            body.0.reorder_at.as_deref(),
            body.0.bin_location.as_deref(),
        )
        .await?;
        Ok(Json(row.into()))
    }
}
