//! `/parts`: the parts catalogue and a part's stock at each branch.

pub(crate) mod json;

use pitlane_domain::{ids::TenantId, permissions::Permission};
use pitlane_inventory::{parts, stock};
use pitlane_store::entity::tenant;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Part, PartWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
    stock_levels::json::StockLevel,
};
use crate::{problem::Problem, session::Auth};
use pitlane_app::state::AppState;

/// Costs are for those who buy parts or read the figures, not for everyone who looks one up.
fn sees_cost(auth: &Auth) -> bool {
    auth.actor.can(Permission::InventoryAdjust) || auth.actor.can(Permission::ReportsView)
}

/// The workshop, whose markup or price matrix prices parts without a price of their own.
async fn selling(state: &AppState, tenant: TenantId) -> Result<tenant::Model, Problem> {
    state
        .store
        .tenant_by_id(tenant)
        .await
        .map_err(pitlane_domain::ServiceError::from)?
        .ok_or_else(|| pitlane_domain::ServiceError::NotFound.into())
}

pub struct PartsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl PartsApi {
    /// The parts catalogue
    ///
    /// Needs `inventory.read`. In creation order; `search` matches a fragment of SKU, name,
    /// brand or barcode.
    #[oai(path = "/parts", method = "get", operation_id = "list_parts")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        search: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Part>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let listed = parts::list(
            &state.inventory,
            &auth.actor,
            search.0.as_deref(),
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        let items = listed
            .items
            .into_iter()
            .map(|p| {
                let price = parts::selling_price(&workshop, &p);
                Part::new(p, price, sees_cost(&auth))
            })
            .collect::<Vec<Part>>();
        Ok(Json(Page::of(items, listed.next)))
    }

    /// Add a part to the catalogue
    ///
    /// Needs `inventory.adjust`. SKUs are unique per workshop.
    #[oai(path = "/parts", method = "post", operation_id = "create_part")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<PartWrite>,
    ) -> Result<Created<Part>, Problem> {
        let row = parts::create(&state.inventory, &auth.actor, &body.0.into()).await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        let price = parts::selling_price(&workshop, &row);
        Ok(Created::new(Part::new(row, price, sees_cost(&auth))))
    }

    /// A part
    ///
    /// Needs `inventory.read`.
    #[oai(path = "/parts/:part_id", method = "get", operation_id = "get_part")]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        part_id: Path<Uuid>,
    ) -> Result<Json<Part>, Problem> {
        let row = parts::get(&state.inventory, &auth.actor, part_id.0.into()).await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        let price = parts::selling_price(&workshop, &row);
        Ok(Json(Part::new(row, price, sees_cost(&auth))))
    }

    /// Change a part
    ///
    /// Needs `inventory.adjust`.
    #[oai(path = "/parts/:part_id", method = "put", operation_id = "update_part")]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        part_id: Path<Uuid>,
        body: Json<PartWrite>,
    ) -> Result<Json<Part>, Problem> {
        let row = parts::update(
            &state.inventory,
            &auth.actor,
            part_id.0.into(),
            &body.0.into(),
        )
        .await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        let price = parts::selling_price(&workshop, &row);
        Ok(Json(Part::new(row, price, sees_cost(&auth))))
    }

    /// A part's stock
    ///
    /// Needs `inventory.read`. Its level at each branch the caller sees, in the order the
    /// branches first stocked it.
    #[oai(
        path = "/parts/:part_id/stock",
        method = "get",
        operation_id = "get_part_stock"
    )]
    async fn stock(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        part_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<StockLevel>>, Problem> {
        let (levels, _) =
            stock::part_stock(&state.inventory, &auth.actor, part_id.0.into()).await?;
        let items = levels.into_iter().map(StockLevel::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |l| l.id)?))
    }
}
