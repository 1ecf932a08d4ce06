//! `/suppliers`: the workshop's suppliers.

pub(crate) mod json;

use pitlane_inventory::suppliers;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Supplier, SupplierWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct SuppliersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl SuppliersApi {
    /// Suppliers
    ///
    /// Needs `inventory.read`. By name.
    #[oai(path = "/suppliers", method = "get", operation_id = "list_suppliers")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Supplier>>, Problem> {
        let rows = suppliers::list(&state.inventory, &auth.actor).await?;
        let items = rows.into_iter().map(Supplier::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Add a supplier
    ///
    /// Needs `inventory.adjust`.
    #[oai(path = "/suppliers", method = "post", operation_id = "create_supplier")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<SupplierWrite>,
    ) -> Result<Created<Supplier>, Problem> {
        let row = suppliers::create(&state.inventory, &auth.actor, &body.0.into()).await?;
        Ok(Created::new(row))
    }

    /// A supplier
    ///
    /// Needs `inventory.read`.
    #[oai(
        path = "/suppliers/:supplier_id",
        method = "get",
        operation_id = "get_supplier"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        supplier_id: Path<Uuid>,
    ) -> Result<Json<Supplier>, Problem> {
        let row = suppliers::get(&state.inventory, &auth.actor, supplier_id.0).await?;
        Ok(Json(row.into()))
    }

    /// Change a supplier
    ///
    /// Needs `inventory.adjust`.
    #[oai(
        path = "/suppliers/:supplier_id",
        method = "put",
        operation_id = "update_supplier"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        supplier_id: Path<Uuid>,
        body: Json<SupplierWrite>,
    ) -> Result<Json<Supplier>, Problem> {
        let row =
            suppliers::update(&state.inventory, &auth.actor, supplier_id.0, &body.0.into()).await?;
        Ok(Json(row.into()))
    }
}
