//! `/stock-movements`: the stock ledger, and recording a receipt, adjustment or return.

pub(crate) mod json;

use pitlane_inventory::stock;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};
use uuid::Uuid;

use self::json::{MovementWrite, StockMovement};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StockMovementsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl StockMovementsApi {
    /// The stock ledger
    ///
    /// Needs `inventory.read`. Newest first (by id), of a part and/or branch when named.
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<StockMovement>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = stock::movements(
            &state.inventory,
            &auth.actor,
            part_id.0.map(Into::into),
            branch_id.0,
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
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
