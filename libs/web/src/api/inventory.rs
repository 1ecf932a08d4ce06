//! Parts and stock: the catalogue, levels per branch with reorder points, the movement ledger
//! (receive, adjust, return, transfer), suppliers, purchase orders and stock counts.

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_domain::{quantity::format_quantity, stock::PurchaseOrderStatus};
use pitlane_inventory::{
    counts, parts,
    purchasing::{self, Delivery, LineInput, PurchaseOrderInput},
    stock::{self, MovementInput},
    suppliers::{self, SupplierInput},
};
use pitlane_store::entity::{part, stock_level, stock_movement, supplier};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit};
use crate::{problem::Problem, state::AppState};

#[derive(Object)]
pub struct Part {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    pub fitment_notes: Option<String>,
    /// What it costs the workshop; only for callers with `inventory.adjust` or `reports.view`.
    pub cost_minor: Option<i64>,
    /// Its own price; unset when priced by the workshop's markup.
    pub price_minor: Option<i64>,
    /// What it sells for now (its price, or the markup applied to its cost).
    pub selling_price_minor: i64,
    /// `standard` or `exempt`.
    pub tax_class: String,
    pub barcode: Option<String>,
    pub supplier_id: Option<Uuid>,
    pub active: bool,
}

fn part_api(p: part::Model, selling: i64, sees_cost: bool) -> Part {
    Part {
        id: p.id,
        sku: p.sku,
        name: p.name,
        brand: p.brand,
        fitment_notes: p.fitment_notes,
        cost_minor: sees_cost.then_some(p.cost_minor),
        price_minor: p.price_minor,
        selling_price_minor: selling,
        tax_class: p.tax_class,
        barcode: p.barcode,
        supplier_id: p.supplier_id,
        active: p.active,
    }
}

/// Costs are for those who buy parts or read the figures, not for everyone who looks one up.
fn sees_cost(auth: &crate::session::Auth) -> bool {
    use pitlane_domain::permissions::Permission;
    auth.actor.can(Permission::InventoryAdjust) || auth.actor.can(Permission::ReportsView)
}

async fn selling(
    state: &AppState,
    tenant: pitlane_domain::ids::TenantId,
) -> Result<pitlane_store::entity::tenant::Model, Problem> {
    state
        .store
        .tenant_by_id(tenant)
        .await
        .map_err(pitlane_domain::ServiceError::from)?
        .ok_or_else(|| pitlane_domain::ServiceError::NotFound.into())
}

#[derive(Object)]
pub struct PartPage {
    pub items: Vec<Part>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

#[derive(Object)]
#[oai(example)]
pub struct PartWrite {
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    pub fitment_notes: Option<String>,
    /// As typed in the workshop's currency (`18.40`).
    pub cost: String,
    /// Empty: priced by the workshop's markup or price matrix.
    pub price: Option<String>,
    /// `standard` (default) or `exempt`.
    pub tax_class: Option<String>,
    pub barcode: Option<String>,
    pub supplier_id: Option<Uuid>,
    /// Default true; a part no longer sold stays for the orders that used it.
    pub active: Option<bool>,
}

impl Example for PartWrite {
    fn example() -> Self {
        Self {
            sku: "BP-1042".into(),
            name: "Front brake pad set".into(),
            brand: Some("Brembo".into()),
            fitment_notes: Some("VW Golf VII 2013–2020".into()),
            cost: "38.50".into(),
            price: None,
            tax_class: None,
            barcode: Some("8020584012345".into()),
            supplier_id: None,
            active: None,
        }
    }
}

fn part_input(w: PartWrite) -> parts::PartInput {
    parts::PartInput {
        sku: w.sku,
        name: w.name,
        brand: w.brand,
        fitment_notes: w.fitment_notes,
        cost: w.cost,
        price: w.price,
        tax_class: w.tax_class,
        barcode: w.barcode,
        supplier_id: w.supplier_id,
        active: w.active.unwrap_or(true),
    }
}

#[derive(Object)]
pub struct StockLevel {
    pub id: Uuid,
    pub part_id: Uuid,
    pub part_sku: String,
    pub part_name: String,
    pub branch_id: Uuid,
    pub on_hand: String,
    /// Held by approved repair-order lines.
    pub reserved: String,
    pub available: String,
    pub reorder_at: Option<String>,
    pub low: bool,
    pub bin_location: Option<String>,
}

fn level_api(v: stock::LevelView) -> StockLevel {
    StockLevel {
        id: v.level.id,
        part_id: v.part.id,
        part_sku: v.part.sku.clone(),
        part_name: v.part.name.clone(),
        branch_id: v.level.branch_id,
        on_hand: format_quantity(v.level.on_hand_milli),
        reserved: format_quantity(v.level.reserved_milli),
        available: format_quantity(v.available_milli()),
        reorder_at: v.level.reorder_at_milli.map(format_quantity),
        low: v.is_low(),
        bin_location: v.level.bin_location.clone(),
    }
}

fn plain_level(l: stock_level::Model) -> StockLevel {
    StockLevel {
        id: l.id,
        part_id: l.part_id,
        part_sku: String::new(),
        part_name: String::new(),
        branch_id: l.branch_id,
        on_hand: format_quantity(l.on_hand_milli),
        reserved: format_quantity(l.reserved_milli),
        available: format_quantity(l.on_hand_milli - l.reserved_milli),
        reorder_at: l.reorder_at_milli.map(format_quantity),
        low: l
            .reorder_at_milli
            .is_some_and(|at| l.on_hand_milli - l.reserved_milli <= at),
        bin_location: l.bin_location,
    }
}

#[derive(Object)]
pub struct StockLevelList {
    pub items: Vec<StockLevel>,
}

#[derive(Object)]
#[oai(example)]
pub struct ReorderWrite {
    /// Notify staff when what is available falls to this; empty turns it off.
    pub reorder_at: Option<String>,
    pub bin_location: Option<String>,
}

impl Example for ReorderWrite {
    fn example() -> Self {
        Self {
            reorder_at: Some("2".into()),
            bin_location: Some("A3-12".into()),
        }
    }
}

#[derive(Object)]
pub struct StockMovement {
    pub id: Uuid,
    pub part_id: Uuid,
    pub branch_id: Uuid,
    /// `receive`, `consume`, `adjust`, `transfer_out`, `transfer_in` or `return_to_supplier`.
    pub kind: String,
    /// Signed: what it did to the level.
    pub quantity: String,
    pub reason: Option<String>,
    pub repair_order_id: Option<Uuid>,
    pub purchase_order_id: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    pub stock_count_id: Option<Uuid>,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

fn movement_api(m: stock_movement::Model) -> StockMovement {
    StockMovement {
        id: m.id,
        part_id: m.part_id,
        branch_id: m.branch_id,
        kind: m.kind,
        quantity: format_quantity(m.quantity_milli),
        reason: m.reason,
        repair_order_id: m.repair_order_id,
        purchase_order_id: m.purchase_order_id,
        transfer_id: m.transfer_id,
        stock_count_id: m.stock_count_id,
        by: m.by_name,
        at: m.created_at,
    }
}

#[derive(Object)]
pub struct StockMovementList {
    pub items: Vec<StockMovement>,
}

#[derive(Object)]
#[oai(example)]
pub struct MovementWrite {
    pub part_id: Uuid,
    pub branch_id: Uuid,
    /// `receive`, `adjust` (signed, with a reason) or `return_to_supplier`.
    pub kind: String,
    /// `2`, `1.5`; an adjustment may be negative.
    pub quantity: String,
    pub reason: Option<String>,
}

impl Example for MovementWrite {
    fn example() -> Self {
        Self {
            part_id: Uuid::nil(),
            branch_id: Uuid::nil(),
            kind: "adjust".into(),
            quantity: "-1".into(),
            reason: Some("damaged in the store".into()),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct TransferWrite {
    pub part_id: Uuid,
    pub from_branch_id: Uuid,
    pub to_branch_id: Uuid,
    pub quantity: String,
}

impl Example for TransferWrite {
    fn example() -> Self {
        Self {
            part_id: Uuid::nil(),
            from_branch_id: Uuid::nil(),
            to_branch_id: Uuid::nil(),
            quantity: "2".into(),
        }
    }
}

#[derive(Object)]
pub struct Transfer {
    /// Shared by the two movements.
    pub transfer_id: Uuid,
}

#[derive(Object)]
pub struct Supplier {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub account_number: Option<String>,
    pub notes: Option<String>,
}

fn supplier_api(s: supplier::Model) -> Supplier {
    Supplier {
        id: s.id,
        name: s.name,
        email: s.email,
        phone: s.phone,
        account_number: s.account_number,
        notes: s.notes,
    }
}

#[derive(Object)]
pub struct SupplierList {
    pub items: Vec<Supplier>,
}

#[derive(Object)]
#[oai(example)]
pub struct SupplierWrite {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub account_number: Option<String>,
    pub notes: Option<String>,
}

impl Example for SupplierWrite {
    fn example() -> Self {
        Self {
            name: "Motor Factors Ltd".into(),
            email: Some("orders@motorfactors.example".into()),
            phone: None,
            account_number: Some("PL-2291".into()),
            notes: None,
        }
    }
}

fn supplier_input(w: SupplierWrite) -> SupplierInput {
    SupplierInput {
        name: w.name,
        email: w.email,
        phone: w.phone,
        account_number: w.account_number,
        notes: w.notes,
    }
}

#[derive(Object)]
pub struct PurchaseOrderLine {
    pub id: Uuid,
    pub part_id: Uuid,
    pub quantity: String,
    pub received: String,
    pub unit_cost_minor: i64,
}

#[derive(Object)]
pub struct PurchaseOrder {
    pub id: Uuid,
    /// `PO-1001`.
    pub number: String,
    pub branch_id: Uuid,
    pub supplier_id: Uuid,
    /// `draft`, `ordered`, `partly_received`, `received` or `cancelled`.
    pub status: String,
    pub notes: Option<String>,
    pub ordered_at: Option<DateTime<Utc>>,
    pub expected_on: Option<NaiveDate>,
    pub lines: Vec<PurchaseOrderLine>,
}

fn po_api(v: purchasing::PurchaseOrderView) -> PurchaseOrder {
    PurchaseOrder {
        id: v.order.id,
        number: purchasing::display_number(v.order.number),
        branch_id: v.order.branch_id,
        supplier_id: v.order.supplier_id,
        status: v.order.status,
        notes: v.order.notes,
        ordered_at: v.order.ordered_at,
        expected_on: v.order.expected_on,
        lines: v
            .lines
            .into_iter()
            .map(|l| PurchaseOrderLine {
                id: l.id,
                part_id: l.part_id,
                quantity: format_quantity(l.quantity_milli),
                received: format_quantity(l.received_milli),
                unit_cost_minor: l.unit_cost_minor,
            })
            .collect(),
    }
}

#[derive(Object)]
pub struct PurchaseOrderSummary {
    pub id: Uuid,
    pub number: String,
    pub branch_id: Uuid,
    pub supplier_id: Uuid,
    pub status: String,
    pub expected_on: Option<NaiveDate>,
}

#[derive(Object)]
pub struct PurchaseOrderList {
    pub items: Vec<PurchaseOrderSummary>,
}

#[derive(Object)]
pub struct PurchaseLineWrite {
    pub part_id: Uuid,
    pub quantity: String,
    /// Empty: the part's cost.
    pub unit_cost: Option<String>,
}

#[derive(Object)]
#[oai(example)]
pub struct PurchaseOrderWrite {
    pub branch_id: Uuid,
    pub supplier_id: Uuid,
    pub notes: Option<String>,
    pub expected_on: Option<NaiveDate>,
    pub lines: Vec<PurchaseLineWrite>,
}

impl Example for PurchaseOrderWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            supplier_id: Uuid::nil(),
            notes: None,
            expected_on: None,
            lines: vec![PurchaseLineWrite {
                part_id: Uuid::nil(),
                quantity: "4".into(),
                unit_cost: None,
            }],
        }
    }
}

#[derive(Object)]
pub struct DeliveryLineWrite {
    pub line_id: Uuid,
    pub quantity: String,
}

#[derive(Object)]
#[oai(example)]
pub struct DeliveryWrite {
    pub lines: Vec<DeliveryLineWrite>,
}

impl Example for DeliveryWrite {
    fn example() -> Self {
        Self {
            lines: vec![DeliveryLineWrite {
                line_id: Uuid::nil(),
                quantity: "2".into(),
            }],
        }
    }
}

#[derive(Object)]
pub struct CountLine {
    pub part_id: Uuid,
    pub part_sku: String,
    pub part_name: String,
    /// The level when the count began.
    pub expected: String,
    pub counted: Option<String>,
    /// Counted − expected.
    pub variance: Option<String>,
    /// The variance at cost.
    pub variance_value_minor: Option<i64>,
}

#[derive(Object)]
pub struct StockCount {
    pub id: Uuid,
    pub branch_id: Uuid,
    /// `open` or `completed`.
    pub status: String,
    pub started_by: Option<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The variance report.
    pub lines: Vec<CountLine>,
}

fn count_api(v: counts::CountView) -> StockCount {
    StockCount {
        id: v.count.id,
        branch_id: v.count.branch_id,
        status: v.count.status,
        started_by: v.count.started_by,
        started_at: v.count.started_at,
        completed_at: v.count.completed_at,
        lines: v
            .lines
            .iter()
            .map(|l| CountLine {
                part_id: l.part.id,
                part_sku: l.part.sku.clone(),
                part_name: l.part.name.clone(),
                expected: format_quantity(l.line.expected_milli),
                counted: l.line.counted_milli.map(format_quantity),
                variance: l.variance_milli().map(format_quantity),
                variance_value_minor: l.variance_value(),
            })
            .collect(),
    }
}

#[derive(Object)]
pub struct StockCountSummary {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub status: String,
    pub started_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct StockCountList {
    pub items: Vec<StockCountSummary>,
}

#[derive(Object)]
#[oai(example)]
pub struct CountStart {
    pub branch_id: Uuid,
}

impl Example for CountStart {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct CountedWrite {
    pub part_id: Uuid,
    /// What is on the shelf (`0` allowed).
    pub counted: String,
}

impl Example for CountedWrite {
    fn example() -> Self {
        Self {
            part_id: Uuid::nil(),
            counted: "3".into(),
        }
    }
}

#[derive(ApiResponse)]
pub enum PartCreated {
    #[oai(status = 201)]
    Created(Json<Part>),
}

#[derive(ApiResponse)]
pub enum MovementCreated {
    #[oai(status = 201)]
    Created(Json<StockMovement>),
}

#[derive(ApiResponse)]
pub enum TransferCreated {
    #[oai(status = 201)]
    Created(Json<Transfer>),
}

#[derive(ApiResponse)]
pub enum SupplierCreated {
    #[oai(status = 201)]
    Created(Json<Supplier>),
}

#[derive(ApiResponse)]
pub enum PurchaseOrderCreated {
    #[oai(status = 201)]
    Created(Json<PurchaseOrder>),
}

#[derive(ApiResponse)]
pub enum CountCreated {
    #[oai(status = 201)]
    Created(Json<StockCount>),
}

pub struct InventoryApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Inventory")]
impl InventoryApi {
    /// The parts catalogue
    ///
    /// Needs `inventory.read`. `search` matches a fragment of SKU, name, brand or barcode.
    #[oai(path = "/parts", method = "get", operation_id = "list_parts")]
    async fn parts(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        search: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
        /// 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<PartPage>, Problem> {
        let page = parts::list(
            &state.inventory,
            &auth.actor,
            search.0.as_deref(),
            cursor.0,
            page_limit(limit.0),
        )
        .await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        Ok(Json(PartPage {
            items: page
                .items
                .into_iter()
                .map(|p| {
                    let price = parts::selling_price(&workshop, &p);
                    part_api(p, price, sees_cost(&auth))
                })
                .collect(),
            next_cursor: page.next,
        }))
    }

    /// Add a part to the catalogue
    ///
    /// Needs `inventory.adjust`. SKUs are unique per workshop.
    #[oai(path = "/parts", method = "post", operation_id = "create_part")]
    async fn create_part(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<PartWrite>,
    ) -> Result<PartCreated, Problem> {
        let row = parts::create(&state.inventory, &auth.actor, &part_input(body.0)).await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        let price = parts::selling_price(&workshop, &row);
        Ok(PartCreated::Created(Json(part_api(
            row,
            price,
            sees_cost(&auth),
        ))))
    }

    /// A part
    ///
    /// Needs `inventory.read`.
    #[oai(path = "/parts/:part_id", method = "get", operation_id = "get_part")]
    async fn part(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        part_id: Path<Uuid>,
    ) -> Result<Json<Part>, Problem> {
        let row = parts::get(&state.inventory, &auth.actor, part_id.0).await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        let price = parts::selling_price(&workshop, &row);
        Ok(Json(part_api(row, price, sees_cost(&auth))))
    }

    /// Change a part
    ///
    /// Needs `inventory.adjust`.
    #[oai(path = "/parts/:part_id", method = "put", operation_id = "update_part")]
    async fn update_part(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        part_id: Path<Uuid>,
        body: Json<PartWrite>,
    ) -> Result<Json<Part>, Problem> {
        let row = parts::update(
            &state.inventory,
            &auth.actor,
            part_id.0,
            &part_input(body.0),
        )
        .await?;
        let workshop = selling(&state, auth.actor.tenant_id).await?;
        let price = parts::selling_price(&workshop, &row);
        Ok(Json(part_api(row, price, sees_cost(&auth))))
    }

    /// A part's stock
    ///
    /// Needs `inventory.read`. Its level at each branch the caller sees.
    #[oai(
        path = "/parts/:part_id/stock",
        method = "get",
        operation_id = "get_part_stock"
    )]
    async fn part_stock(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        part_id: Path<Uuid>,
    ) -> Result<Json<StockLevelList>, Problem> {
        let (levels, _) = stock::part_stock(&state.inventory, &auth.actor, part_id.0).await?;
        Ok(Json(StockLevelList {
            items: levels.into_iter().map(plain_level).collect(),
        }))
    }

    /// Stock levels
    ///
    /// Needs `inventory.read`. At one branch, or every branch the caller sees; `low=true`
    /// lists only parts at or below their reorder point.
    #[oai(
        path = "/stock-levels",
        method = "get",
        operation_id = "list_stock_levels"
    )]
    async fn levels(
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
            items: rows.into_iter().map(level_api).collect(),
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
    async fn update_level(
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
        Ok(Json(plain_level(row)))
    }

    /// The stock ledger
    ///
    /// Needs `inventory.read`. The latest movements, of a part and/or branch when named.
    #[oai(
        path = "/stock-movements",
        method = "get",
        operation_id = "list_stock_movements"
    )]
    async fn movements(
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
            items: rows.into_iter().map(movement_api).collect(),
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
    ) -> Result<MovementCreated, Problem> {
        let w = body.0;
        let row = stock::record(
            &state.inventory,
            &auth.actor,
            &MovementInput {
                part_id: w.part_id,
                branch_id: w.branch_id,
                kind: w.kind,
                quantity: w.quantity,
                reason: w.reason,
            },
        )
        .await?;
        Ok(MovementCreated::Created(Json(movement_api(row))))
    }

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
    ) -> Result<TransferCreated, Problem> {
        let w = body.0;
        let id = stock::transfer(
            &state.inventory,
            &auth.actor,
            w.part_id,
            w.from_branch_id,
            w.to_branch_id,
            &w.quantity,
        )
        .await?;
        Ok(TransferCreated::Created(Json(Transfer { transfer_id: id })))
    }

    /// Suppliers
    ///
    /// Needs `inventory.read`.
    #[oai(path = "/suppliers", method = "get", operation_id = "list_suppliers")]
    async fn suppliers(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<SupplierList>, Problem> {
        let rows = suppliers::list(&state.inventory, &auth.actor).await?;
        Ok(Json(SupplierList {
            items: rows.into_iter().map(supplier_api).collect(),
        }))
    }

    /// Add a supplier
    ///
    /// Needs `inventory.adjust`.
    #[oai(path = "/suppliers", method = "post", operation_id = "create_supplier")]
    async fn create_supplier(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<SupplierWrite>,
    ) -> Result<SupplierCreated, Problem> {
        let row = suppliers::create(&state.inventory, &auth.actor, &supplier_input(body.0)).await?;
        Ok(SupplierCreated::Created(Json(supplier_api(row))))
    }

    /// A supplier
    ///
    /// Needs `inventory.read`.
    #[oai(
        path = "/suppliers/:supplier_id",
        method = "get",
        operation_id = "get_supplier"
    )]
    async fn supplier(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        supplier_id: Path<Uuid>,
    ) -> Result<Json<Supplier>, Problem> {
        let row = suppliers::get(&state.inventory, &auth.actor, supplier_id.0).await?;
        Ok(Json(supplier_api(row)))
    }

    /// Change a supplier
    ///
    /// Needs `inventory.adjust`.
    #[oai(
        path = "/suppliers/:supplier_id",
        method = "put",
        operation_id = "update_supplier"
    )]
    async fn update_supplier(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        supplier_id: Path<Uuid>,
        body: Json<SupplierWrite>,
    ) -> Result<Json<Supplier>, Problem> {
        let row = suppliers::update(
            &state.inventory,
            &auth.actor,
            supplier_id.0,
            &supplier_input(body.0),
        )
        .await?;
        Ok(Json(supplier_api(row)))
    }

    /// Purchase orders
    ///
    /// Needs `inventory.read`. Newest first; one status with `status`.
    #[oai(
        path = "/purchase-orders",
        method = "get",
        operation_id = "list_purchase_orders"
    )]
    async fn purchase_orders(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        status: Query<Option<String>>,
    ) -> Result<Json<PurchaseOrderList>, Problem> {
        let status = match status.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(PurchaseOrderStatus::parse(raw).ok_or_else(|| {
                pitlane_domain::FieldErrors::single("status", "not a purchase-order status")
            })?),
        };
        let rows = purchasing::list(&state.inventory, &auth.actor, status).await?;
        Ok(Json(PurchaseOrderList {
            items: rows
                .into_iter()
                .map(|o| PurchaseOrderSummary {
                    id: o.id,
                    number: purchasing::display_number(o.number),
                    branch_id: o.branch_id,
                    supplier_id: o.supplier_id,
                    status: o.status,
                    expected_on: o.expected_on,
                })
                .collect(),
        }))
    }

    /// Draft a purchase order
    ///
    /// Needs `inventory.adjust`.
    #[oai(
        path = "/purchase-orders",
        method = "post",
        operation_id = "create_purchase_order"
    )]
    async fn create_purchase_order(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<PurchaseOrderWrite>,
    ) -> Result<PurchaseOrderCreated, Problem> {
        let w = body.0;
        let v = purchasing::create(
            &state.inventory,
            &auth.actor,
            &PurchaseOrderInput {
                branch_id: w.branch_id,
                supplier_id: w.supplier_id,
                notes: w.notes,
                expected_on: w.expected_on,
                lines: w
                    .lines
                    .into_iter()
                    .map(|l| LineInput {
                        part_id: l.part_id,
                        quantity: l.quantity,
                        unit_cost: l.unit_cost,
                    })
                    .collect(),
            },
        )
        .await?;
        Ok(PurchaseOrderCreated::Created(Json(po_api(v))))
    }

    /// A purchase order
    ///
    /// Needs `inventory.read`.
    #[oai(
        path = "/purchase-orders/:purchase_order_id",
        method = "get",
        operation_id = "get_purchase_order"
    )]
    async fn purchase_order(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        purchase_order_id: Path<Uuid>,
    ) -> Result<Json<PurchaseOrder>, Problem> {
        let v = purchasing::get(&state.inventory, &auth.actor, purchase_order_id.0).await?;
        Ok(Json(po_api(v)))
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
        Ok(Json(po_api(v)))
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
        Ok(Json(po_api(v)))
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
        let delivery = Delivery {
            lines: body
                .0
                .lines
                .into_iter()
                .map(|l| (l.line_id, l.quantity))
                .collect(),
        };
        let v = purchasing::receive(
            &state.inventory,
            &auth.actor,
            purchase_order_id.0,
            &delivery,
        )
        .await?;
        Ok(Json(po_api(v)))
    }

    /// Stock counts
    ///
    /// Needs `inventory.read`. Newest first.
    #[oai(
        path = "/stock-counts",
        method = "get",
        operation_id = "list_stock_counts"
    )]
    async fn counts(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<StockCountList>, Problem> {
        let rows = counts::list(&state.inventory, &auth.actor).await?;
        Ok(Json(StockCountList {
            items: rows
                .into_iter()
                .map(|c| StockCountSummary {
                    id: c.id,
                    branch_id: c.branch_id,
                    status: c.status,
                    started_at: c.started_at,
                })
                .collect(),
        }))
    }

    /// Start a stock count
    ///
    /// Needs `inventory.adjust`. Notes every level at the branch as it is now.
    #[oai(
        path = "/stock-counts",
        method = "post",
        operation_id = "start_stock_count"
    )]
    async fn start_count(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CountStart>,
    ) -> Result<CountCreated, Problem> {
        let v = counts::start(&state.inventory, &auth.actor, body.0.branch_id).await?;
        Ok(CountCreated::Created(Json(count_api(v))))
    }

    /// A stock count with its variance report
    ///
    /// Needs `inventory.read`.
    #[oai(
        path = "/stock-counts/:count_id",
        method = "get",
        operation_id = "get_stock_count"
    )]
    async fn count(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        count_id: Path<Uuid>,
    ) -> Result<Json<StockCount>, Problem> {
        let v = counts::get(&state.inventory, &auth.actor, count_id.0).await?;
        Ok(Json(count_api(v)))
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
            body.0.part_id,
            &body.0.counted,
        )
        .await?;
        Ok(Json(count_api(v)))
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
        Ok(Json(count_api(v)))
    }
}
