//! `/purchase-orders`: purchase orders and their deliveries.

pub(crate) mod json;

use pitlane_domain::stock::PurchaseOrderStatus;
use pitlane_inventory::purchasing;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{DeliveryWrite, PurchaseOrder, PurchaseOrderSummary, PurchaseOrderWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct PurchaseOrdersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl PurchaseOrdersApi {
    /// Purchase orders
    ///
    /// Needs `inventory.read`. Newest first (by id); one status with `status`.
    #[oai(
        path = "/purchase-orders",
        method = "get",
        operation_id = "list_purchase_orders"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        status: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<PurchaseOrderSummary>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let status = match status.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(PurchaseOrderStatus::parse(raw).ok_or_else(|| {
                pitlane_domain::FieldErrors::single("status", "not a purchase-order status")
            })?),
        };
        let found = purchasing::page(
            &state.inventory,
            &auth.actor,
            status,
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Draft a purchase order
    ///
    /// Needs `inventory.adjust`.
    #[oai(
        path = "/purchase-orders",
        method = "post",
        operation_id = "create_purchase_order"
    )]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<PurchaseOrderWrite>,
    ) -> Result<Created<PurchaseOrder>, Problem> {
        let v = purchasing::create(&state.inventory, &auth.actor, &body.0.into()).await?;
        Ok(Created::new(v))
    }

    /// A purchase order
    ///
    /// Needs `inventory.read`.
    #[oai(
        path = "/purchase-orders/:purchase_order_id",
        method = "get",
        operation_id = "get_purchase_order"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        purchase_order_id: Path<Uuid>,
    ) -> Result<Json<PurchaseOrder>, Problem> {
        let v = purchasing::get(&state.inventory, &auth.actor, purchase_order_id.0).await?;
        Ok(Json(v.into()))
    }

    /// Mark a purchase order ordered
    ///
    /// Needs `inventory.adjust`; it must be a draft.
    #[oai(
        path = "/purchase-orders/:purchase_order_id/order",
        method = "post",
        operation_id = "order_purchase_order"
    )]
    async fn order(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        purchase_order_id: Path<Uuid>,
    ) -> Result<Json<PurchaseOrder>, Problem> {
        let v =
            purchasing::mark_ordered(&state.inventory, &auth.actor, purchase_order_id.0).await?;
        Ok(Json(v.into()))
    }

    /// Cancel a purchase order
    ///
    /// Needs `inventory.adjust`; nothing may have arrived on it.
    #[oai(
        path = "/purchase-orders/:purchase_order_id/cancel",
        method = "post",
        operation_id = "cancel_purchase_order"
    )]
    async fn cancel(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        purchase_order_id: Path<Uuid>,
    ) -> Result<Json<PurchaseOrder>, Problem> {
        let v = purchasing::cancel(&state.inventory, &auth.actor, purchase_order_id.0).await?;
        Ok(Json(v.into()))
    }

    /// Book in a delivery
    ///
    /// Needs `inventory.adjust`. Each line's quantity is received into stock at the order's
    /// cost; the order becomes partly received or received.
    #[oai(
        path = "/purchase-orders/:purchase_order_id/deliveries",
        method = "post",
        operation_id = "receive_purchase_order"
    )]
    async fn receive(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        purchase_order_id: Path<Uuid>,
        body: Json<DeliveryWrite>,
    ) -> Result<Json<PurchaseOrder>, Problem> {
        let v = purchasing::receive(
            &state.inventory,
            &auth.actor,
            purchase_order_id.0,
            &body.0.into(),
        )
        .await?;
        Ok(Json(v.into()))
    }
}
