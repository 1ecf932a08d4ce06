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

use self::json::{ReorderWrite, StockLevel};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StockLevelsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl StockLevelsApi {
    /// Stock levels
    ///
    /// Needs `inventory.read`. At one branch, or every branch the caller sees; `low=true`
    /// lists only parts at or below their reorder point. In the order the levels were first
    /// stocked (by id).
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<StockLevel>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = stock::levels_page(
            &state.inventory,
            &auth.actor,
            branch_id.0,
            low.0.unwrap_or(false),
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
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
