//! `/stock-counts`: counting a branch's stock and adjusting it to what was found.

pub(crate) mod json;

use pitlane_inventory::counts;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{CountStart, CountedWrite, StockCount, StockCountSummary};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StockCountsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl StockCountsApi {
    /// Stock counts
    ///
    /// Needs `inventory.read`. Newest first (by id).
    #[oai(
        path = "/stock-counts",
        method = "get",
        operation_id = "list_stock_counts"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<StockCountSummary>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found =
            counts::page(&state.inventory, &auth.actor, page.cursor_id()?, page.limit).await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Start a stock count
    ///
    /// Needs `inventory.adjust`. Notes every level at the branch as it is now.
    #[oai(
        path = "/stock-counts",
        method = "post",
        operation_id = "start_stock_count"
    )]
    async fn start(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CountStart>,
    ) -> Result<Created<StockCount>, Problem> {
        let v = counts::start(&state.inventory, &auth.actor, body.0.branch_id).await?;
        Ok(Created::new(v))
    }

    /// A stock count with its variance report
    ///
    /// Needs `inventory.read`.
    #[oai(
        path = "/stock-counts/:count_id",
        method = "get",
        operation_id = "get_stock_count"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        count_id: Path<Uuid>,
    ) -> Result<Json<StockCount>, Problem> {
        let v = counts::get(&state.inventory, &auth.actor, count_id.0).await?;
        Ok(Json(v.into()))
    }

    /// Record what was counted of a part
    ///
    /// Needs `inventory.adjust`; the count must be open.
    #[oai(
        path = "/stock-counts/:count_id/counted",
        method = "post",
        operation_id = "record_stock_count"
    )]
    async fn counted(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        count_id: Path<Uuid>,
        body: Json<CountedWrite>,
    ) -> Result<Json<StockCount>, Problem> {
        let v = counts::record(
            &state.inventory,
            &auth.actor,
            count_id.0,
            body.0.part_id.into(),
            &body.0.counted,
        )
        .await?;
        Ok(Json(v.into()))
    }

    /// Complete a stock count
    ///
    /// Needs `inventory.adjust`. Each counted part is adjusted to what was found.
    #[oai(
        path = "/stock-counts/:count_id/complete",
        method = "post",
        operation_id = "complete_stock_count"
    )]
    async fn complete(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        count_id: Path<Uuid>,
    ) -> Result<Json<StockCount>, Problem> {
        let v = counts::complete(&state.inventory, &auth.actor, count_id.0).await?;
        Ok(Json(v.into()))
    }
}
