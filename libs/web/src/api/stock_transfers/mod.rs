//! `/stock-transfers`: moving stock from one branch to another.

pub(crate) mod json;

use pitlane_inventory::stock;
use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};

use self::json::{Transfer, TransferWrite};
use super::{ApiTags, Caller, shapes::Created};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StockTransfersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl StockTransfersApi {
    /// Transfer stock between branches
    ///
    /// Needs `inventory.adjust`. Two movements (out and in) sharing a transfer id.
    #[oai(
        path = "/stock-transfers",
        method = "post",
        operation_id = "transfer_stock"
    )]
    async fn transfer(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<TransferWrite>,
    ) -> Result<Created<Transfer>, Problem> {
        let w = body.0;
        let id = stock::transfer(
            &state.inventory,
            &auth.actor,
            w.part_id.into(),
            w.from_branch_id,
            w.to_branch_id,
            &w.quantity,
        )
        .await?;
        Ok(Created::new(Transfer { transfer_id: id }))
    }
}
