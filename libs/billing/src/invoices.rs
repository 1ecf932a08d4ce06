//! Invoices: drafted from a repair order or on their own, edited while draft, issued with a
//! gap-free number (`INV-2026-000123`), then never edited: corrected by credit notes, settled
//! by payments, or voided while nothing was paid.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{CustomerId, InvoiceId, RepairOrderId, VehicleId},
    invoicing::{InvoiceStatus, PricedLine, TaxMode},
    messages::MessageKind,
    money::{format_amount, parse_amount},
    permissions::Permission,
    quantity::{format_percent, parse_quantity},
    text::optional_text,
};
use pitlane_frontdesk::{customers::known_customer, resources::known_branch, vehicles};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{branch, customer, invoice, invoice_line, repair_order, tax_rate, tenant, vehicle},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    },
};
use serde_json::json;
use uuid::Uuid;

pub use crate::invoice::{
    InvoiceView, balance_due_of, customer_link, settlement, status_of, total_of,
};
use crate::{
    Billing,
    invoice::{
        currency_of, invoice_of_link, lines_of, next_document_number, publish, record,
        tell_customer, totals_of, view,
    },
};

/// Reads an invoice for staff.
pub async fn get(
    billing: &Billing,
    actor: &Actor,
    id: InvoiceId,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<invoice::Entity>(id.0).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

/// What the invoice list can be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<InvoiceStatus>,
    pub customer_id: Option<CustomerId>,
    /// Issued, partly paid or overdue: what is still owed.
    pub unpaid: bool,
}

/// Invoices newest first, 100 at a time (`before` is the last id of the previous page).
pub async fn list(
    billing: &Billing,
    actor: &Actor,
    filter: &ListFilter,
    before: Option<Uuid>,
) -> Result<Vec<invoice::Model>, ServiceError> {
    Ok(page(billing, actor, filter, before, 100).await?.items)
}

/// A page of invoices, newest first (by id): `after` is the last id of the page before.
pub async fn page(
    billing: &Billing,
    actor: &Actor,
    filter: &ListFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<invoice::Model>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<invoice::Entity>();
    if let Some(status) = filter.status {
        query = query.filter(invoice::Column::Status.eq(status.key()));
    }
    if filter.unpaid {
        query = query.filter(invoice::Column::Status.is_in(["issued", "partly_paid"]));
    }
    if let Some(customer) = filter.customer_id {
        query = query.filter(invoice::Column::CustomerId.eq(customer.0));
    }
    let page = tx.page_newest(query, after, limit.clamp(1, 200)).await?;
    tx.commit().await?;
    Ok(page)
}

/// The most one line may come to, and one invoice, in minor units: far beyond any repair, and
/// far from overflowing the sums.
const MAX_LINE_MINOR: i64 = 100_000_000_000;
const MAX_INVOICE_MINOR: i64 = 1_000_000_000_000;

/// A new invoice for a customer, not from a repair order.
#[derive(Debug, Clone, Default)]
pub struct DraftInput {
    pub branch_id: Uuid,
    pub customer_id: CustomerId,
    pub vehicle_id: Option<VehicleId>,
    pub notes: Option<String>,
}

async fn new_draft(
    tx: &TenantTx,
    actor: &Actor,
    branch_id: Uuid,
    customer: &customer::Model,
    vehicle: Option<&vehicle::Model>,
    order: Option<&repair_order::Model>,
    notes: Option<String>,
) -> Result<invoice::Model, ServiceError> {
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let now = Utc::now();
    let row = tx
        .insert(invoice::ActiveModel {
            id: Set(Uuid::now_v7()),
            number: Set(None),
            branch_id: Set(branch_id),
            customer_id: Set(customer.id),
            vehicle_id: Set(vehicle.map(|v| v.id)),
            repair_order_id: Set(order.map(|o| o.id)),
            advisor_id: Set(order.and_then(|o| o.advisor_id)),
            status: Set(InvoiceStatus::Draft.key().into()),
            currency: Set(workshop.currency.clone()),
            prices_include_tax: Set(workshop.prices_include_tax),
            customer_name: Set(customer.name.clone()),
            customer_email: Set(customer.email.clone()),
            customer_phone: Set(customer.phone.clone()),
            vehicle_label: Set(vehicle.map(vehicles::describe).unwrap_or_default()),
            notes: Set(notes),
            net_minor: Set(0),
            tax_minor: Set(0),
            total_minor: Set(0),
            credited_minor: Set(0),
            paid_minor: Set(0),
            refunded_minor: Set(0),
            issued_at: Set(None),
            due_at: Set(None),
            voided_at: Set(None),
            void_reason: Set(None),
            created_by: Set(tx.actor_name(actor).await?),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .await
        .map_err(|err| {
            if err.is_conflict_on("repair_order_id") {
                ServiceError::Conflict(FieldErrors::single(
                    "repair_order_id",
                    "this repair order already has an invoice; open it, or void it first",
                ))
            } else {
                err.into()
            }
        })?;
    Ok(row)
}

/// Starts a draft for a customer (and one of their vehicles).
pub async fn draft(
    billing: &Billing,
    actor: &Actor,
    input: &DraftInput,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesWrite)?;
    let mut errors = FieldErrors::new();
    let notes = errors
        .check("notes", optional_text(input.notes.as_deref(), 2000))
        .flatten();
    errors.into_result()?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, input.branch_id, "branch_id").await?;
    let customer = known_customer(&tx, input.customer_id, "customer_id").await?;
    let vehicle = match input.vehicle_id {
        Some(id) => Some(
            tx.first(
                tx.select::<vehicle::Entity>()
                    .filter(vehicle::Column::Id.eq(id.0)),
            )
            .await?
            .ok_or_else(|| FieldErrors::single("vehicle_id", "no such vehicle"))?,
        ),
        None => None,
    };
    let row = new_draft(
        &tx,
        actor,
        input.branch_id,
        &customer,
        vehicle.as_ref(),
        None,
        notes,
    )
    .await?;
    record(&tx, actor, "invoice.draft", &row, json!({})).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

/// A draft with the repair order's lines (all not declined), its shop supplies and tax.
pub async fn draft_from_order(
    billing: &Billing,
    actor: &Actor,
    order_id: RepairOrderId,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesWrite)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<repair_order::Entity>(order_id.0).await?;
    if matches!(
        order.status.as_str(),
        "cancelled" | "estimate" | "sent_for_approval"
    ) {
        return Err(FieldErrors::single(
            "repair_order_id",
            "only an approved repair order can be invoiced",
        )
        .into());
    }
    let customer = tx.get::<customer::Entity>(order.customer_id).await?;
    let vehicle = tx.get::<vehicle::Entity>(order.vehicle_id).await?;
    let row = new_draft(
        &tx,
        actor,
        order.branch_id,
        &customer,
        Some(&vehicle),
        Some(&order),
        None,
    )
    .await?;
    let lines = pitlane_workshop::lines::billable(&tx, &order).await?;
    insert_billable(&tx, &row, lines).await?;
    let row = refresh(&tx, row).await?;
    record(
        &tx,
        actor,
        "invoice.draft",
        &row,
        json!({ "repair_order_id": order.id }),
    )
    .await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

/// Writes lines as an invoice takes them over, taxed at the branch's standard rate where
/// taxable, after the lines the draft has.
async fn insert_billable(
    tx: &TenantTx,
    row: &invoice::Model,
    lines: Vec<pitlane_workshop::lines::BillableLine>,
) -> Result<(), ServiceError> {
    let standard = tx.get::<branch::Entity>(row.branch_id).await?.tax_rate_bp;
    let first = lines_of(tx, InvoiceId(row.id)).await?.len();
    for (position, line) in lines.into_iter().enumerate() {
        let rate = if line.taxable { standard } else { 0 };
        insert_line(
            tx,
            row.id,
            (first + position) as i32,
            LineFacts {
                kind: line.kind,
                description: line.description,
                quantity_milli: line.quantity_milli,
                unit_price: line.unit_price,
                tax_rate_bp: rate,
                tax_name: rate_name(rate, None),
                costing: Costing {
                    unit_cost: line.unit_cost,
                    billed_hours_milli: line.billed_hours_milli,
                    category: line.category,
                    technician_id: line.technician_id,
                },
            },
        )
        .await?;
    }
    Ok(())
}

/// A bill another capability makes and issues in one step (a roadside job fixed on the
/// spot): for a customer at a branch, with its lines.
#[derive(Debug, Clone)]
pub struct Bill {
    pub branch_id: uuid::Uuid,
    pub customer_id: CustomerId,
    pub vehicle_id: Option<VehicleId>,
    pub lines: Vec<pitlane_workshop::lines::BillableLine>,
    pub notes: Option<String>,
}

/// Drafts and issues a [`Bill`] in the caller's transaction: the caller checked who may, and
/// publishes `invoice.issued` with [`crate::invoice::publish`] after commit. The customer is
/// told with a pay link, as for any invoice issued.
pub async fn bill_in(
    billing: &Billing,
    tx: &TenantTx,
    actor: &Actor,
    bill: Bill,
    site: &str,
) -> Result<invoice::Model, ServiceError> {
    let customer = tx.get::<customer::Entity>(bill.customer_id.0).await?;
    let vehicle = match bill.vehicle_id {
        Some(id) => Some(tx.get::<vehicle::Entity>(id.0).await?),
        None => None,
    };
    let row = new_draft(
        tx,
        actor,
        bill.branch_id,
        &customer,
        vehicle.as_ref(),
        None,
        bill.notes,
    )
    .await?;
    insert_billable(tx, &row, bill.lines).await?;
    record(tx, actor, "invoice.draft", &row, json!({})).await?;
    issue_in(billing, tx, actor, row, site).await
}

/// How a rate is named on the invoice: the branch's own name for it, or its percentage.
fn rate_name(rate_bp: i32, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{name} {}", format_percent(rate_bp)),
        None if rate_bp == 0 => "No tax".into(),
        None => format!("Tax {}", format_percent(rate_bp)),
    }
}

struct LineFacts {
    kind: &'static str,
    description: String,
    quantity_milli: i64,
    unit_price: i64,
    tax_rate_bp: i32,
    tax_name: String,
    costing: Costing,
}

/// What the reports need to know about a line beyond its price (see `invoice_lines`).
#[derive(Default)]
struct Costing {
    unit_cost: i64,
    billed_hours_milli: i64,
    category: String,
    technician_id: Option<Uuid>,
}

async fn insert_line(
    tx: &TenantTx,
    invoice_id: Uuid,
    position: i32,
    facts: LineFacts,
) -> Result<invoice_line::Model, ServiceError> {
    let amount = PricedLine {
        quantity_milli: facts.quantity_milli,
        unit_price: facts.unit_price,
        tax_rate_bp: facts.tax_rate_bp,
    }
    .amount();
    Ok(tx
        .insert(invoice_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(invoice_id),
            position: Set(position),
            kind: Set(facts.kind.into()),
            description: Set(facts.description),
            quantity_milli: Set(facts.quantity_milli),
            unit_price_minor: Set(facts.unit_price),
            tax_rate_bp: Set(facts.tax_rate_bp),
            tax_name: Set(facts.tax_name),
            amount_minor: Set(amount),
            unit_cost_minor: Set(facts.costing.unit_cost),
            billed_hours_milli: Set(facts.costing.billed_hours_milli),
            category: Set(facts.costing.category),
            technician_id: Set(facts.costing.technician_id),
            ..Default::default()
        })
        .await?)
}

/// Recomputes a draft's stored totals from its lines.
async fn refresh(tx: &TenantTx, row: invoice::Model) -> Result<invoice::Model, ServiceError> {
    let lines = lines_of(tx, InvoiceId(row.id)).await?;
    let totals = totals_of(&lines, TaxMode::from_flag(row.prices_include_tax))?;
    let mut active = row.into_active_model();
    active.net_minor = Set(totals.net);
    active.tax_minor = Set(totals.tax);
    active.total_minor = Set(totals.total);
    active.updated_at = Set(Utc::now());
    Ok(tx.update(active).await?)
}

/// A line typed on a draft.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    /// `labour`, `part`, `fee`, `discount` or `other`.
    pub kind: String,
    pub description: String,
    /// Hours or units; empty means 1.
    pub quantity: String,
    /// The price of one, as typed (a discount's amount is typed positive).
    pub unit_price: String,
    /// One of the branch's extra rates; `None` is the branch's standard rate.
    pub tax_rate_id: Option<Uuid>,
    /// Off: the line carries no tax.
    pub taxable: bool,
}

async fn draft_row(tx: &TenantTx, id: InvoiceId) -> Result<invoice::Model, ServiceError> {
    let row = tx.get_for_update::<invoice::Entity>(id.0).await?;
    if !status_of(&row)?.is_editable() {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            "an issued invoice cannot be changed; issue a credit note instead",
        )));
    }
    Ok(row)
}

/// Adds a line to a draft.
pub async fn add_line(
    billing: &Billing,
    actor: &Actor,
    invoice_id: InvoiceId,
    input: &LineInput,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesWrite)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = draft_row(&tx, invoice_id).await?;
    let currency = currency_of(&row);
    let mut errors = FieldErrors::new();
    let kind = match input.kind.as_str() {
        "labour" => Some("labour"),
        "part" => Some("part"),
        "fee" => Some("fee"),
        "discount" => Some("discount"),
        "other" | "" => Some("other"),
        _ => {
            errors.add("kind", "choose labour, part, fee, discount or other");
            None
        }
    };
    let description = input.description.trim();
    if description.is_empty() {
        errors.add("description", "say what the line is for");
    } else if description.chars().count() > 500 {
        errors.add("description", "must be at most 500 characters");
    }
    let quantity = if input.quantity.trim().is_empty() {
        Some(1000)
    } else {
        errors.check("quantity", parse_quantity(&input.quantity))
    };
    let price = errors.check("unit_price", parse_amount(&input.unit_price, &currency));
    errors.into_result()?;
    let (kind, quantity, price) = (
        kind.unwrap_or("other"),
        quantity.unwrap_or(1000),
        price.unwrap_or(0),
    );
    let branch = tx.get::<branch::Entity>(row.branch_id).await?;
    let (rate, name) = if !input.taxable {
        (0, rate_name(0, None))
    } else if let Some(rate_id) = input.tax_rate_id {
        let rate = tx
            .first(
                tx.select::<tax_rate::Entity>()
                    .filter(tax_rate::Column::Id.eq(rate_id))
                    .filter(tax_rate::Column::BranchId.eq(row.branch_id)),
            )
            .await?
            .ok_or_else(|| FieldErrors::single("tax_rate_id", "no such tax rate at this branch"))?;
        (rate.rate_bp, rate_name(rate.rate_bp, Some(&rate.name)))
    } else {
        (branch.tax_rate_bp, rate_name(branch.tax_rate_bp, None))
    };
    let position = lines_of(&tx, InvoiceId(row.id)).await?.len() as i32;
    let unit_price = if kind == "discount" { -price } else { price };
    let amount = PricedLine {
        quantity_milli: quantity,
        unit_price,
        tax_rate_bp: 0,
    }
    .amount();
    if amount.abs() > MAX_LINE_MINOR
        || row.total_minor.saturating_add(amount.abs()) > MAX_INVOICE_MINOR
    {
        return Err(FieldErrors::single("unit_price", "is too large for one invoice").into());
    }
    insert_line(
        &tx,
        row.id,
        position,
        LineFacts {
            kind,
            description: description.to_owned(),
            quantity_milli: quantity,
            unit_price,
            tax_rate_bp: rate,
            tax_name: name,
            // A typed labour line bills its hours at the branch's labour cost.
            costing: if kind == "labour" {
                Costing {
                    unit_cost: branch.labour_cost_minor,
                    billed_hours_milli: quantity,
                    ..Costing::default()
                }
            } else {
                Costing::default()
            },
        },
    )
    .await?;
    // A discount larger than what it discounts is refused here, not at issue time.
    let row = refresh(&tx, row)
        .await
        .map_err(|e| e.renamed("lines", "unit_price"))?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

/// Removes a line from a draft.
pub async fn remove_line(
    billing: &Billing,
    actor: &Actor,
    invoice_id: InvoiceId,
    line_id: Uuid,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesWrite)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = draft_row(&tx, invoice_id).await?;
    let line = tx.get::<invoice_line::Entity>(line_id).await?;
    if line.invoice_id != row.id {
        return Err(ServiceError::NotFound);
    }
    tx.delete::<invoice_line::Entity>(line.id).await?;
    let row = refresh(&tx, row).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

/// Issues a draft: numbers it, fixes its due date, tells the customer with a pay link, and
/// marks its repair order invoiced. From here on it is never edited.
pub async fn issue(
    billing: &Billing,
    actor: &Actor,
    id: InvoiceId,
    site: &str,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesWrite)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = draft_row(&tx, id).await?;
    let row = issue_in(billing, &tx, actor, row, site).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    publish(billing, &result.invoice, "invoice.issued").await;
    Ok(result)
}

/// Issues a draft in the caller's transaction: numbered, due, figures counted, its repair
/// order marked invoiced, the customer told with a pay link and the PDF.
async fn issue_in(
    billing: &Billing,
    tx: &TenantTx,
    actor: &Actor,
    row: invoice::Model,
    site: &str,
) -> Result<invoice::Model, ServiceError> {
    let lines = lines_of(tx, InvoiceId(row.id)).await?;
    if lines.is_empty() {
        return Err(FieldErrors::single("lines", "add at least one line before issuing").into());
    }
    let row = refresh(tx, row).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let now = Utc::now();
    let number = next_document_number(tx, "INV", now).await?;
    let status = InvoiceStatus::Issued.after(&settlement(&row));
    let mut active = row.into_active_model();
    active.number = Set(Some(number.clone()));
    active.status = Set(status.key().into());
    active.issued_at = Set(Some(now));
    active.due_at = Set(Some(
        now + chrono::Duration::days(i64::from(workshop.invoice_due_days)),
    ));
    active.updated_at = Set(now);
    let row = tx.update(active).await?;
    crate::figures::invoice_issued(tx, &row).await?;
    if let Some(order_id) = row.repair_order_id {
        let by = tx.actor_name(actor).await?;
        pitlane_workshop::orders::mark_invoiced(
            &billing.workshop,
            tx,
            RepairOrderId(order_id),
            &number,
            by,
            site,
        )
        .await?;
    }
    record(
        tx,
        actor,
        "invoice.issue",
        &row,
        json!({ "total_minor": row.total_minor }),
    )
    .await?;
    let link = customer_link(billing, site, InvoiceId(row.id));
    let pdf = crate::pdf::render(&view(tx, row.clone()).await?);
    tell_customer(
        billing,
        tx,
        &row,
        MessageKind::InvoiceIssued,
        [
            ("number", number.clone()),
            ("total", format_amount(row.total_minor, &currency_of(&row))),
            (
                "due_date",
                row.due_at
                    .map(|d| d.format("%-d %B %Y").to_string())
                    .unwrap_or_default(),
            ),
            ("link", link),
        ],
        vec![pitlane_notify::Attachment {
            filename: format!("{number}.pdf"),
            content_type: "application/pdf".into(),
            content: pdf,
        }],
        format!("invoice:{}:issued", row.id),
    )
    .await?;
    Ok(row)
}

/// Voids an invoice nobody has paid: a draft, or an issued one with no money kept and no
/// credit note. Corrections to anything else are credit notes.
pub async fn void(
    billing: &Billing,
    actor: &Actor,
    id: InvoiceId,
    reason: &str,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesWrite)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(FieldErrors::single("reason", "say why the invoice is void").into());
    }
    if reason.chars().count() > 500 {
        return Err(FieldErrors::single("reason", "must be at most 500 characters").into());
    }
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get_for_update::<invoice::Entity>(id.0).await?;
    let status = status_of(&row)?;
    let money = settlement(&row);
    if status == InvoiceStatus::Void {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            "the invoice is already void",
        )));
    }
    if money.paid > 0 || money.credited > 0 {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            "money was received or credited against this invoice: issue a credit note (and refund) instead",
        )));
    }
    if status.is_issued() {
        crate::figures::invoice_voided(&tx, &row).await?;
    }
    let mut active = row.into_active_model();
    active.status = Set(InvoiceStatus::Void.key().into());
    active.voided_at = Set(Some(Utc::now()));
    active.void_reason = Set(Some(reason.to_owned()));
    active.updated_at = Set(Utc::now());
    let row = tx.update(active).await?;
    record(
        &tx,
        actor,
        "invoice.void",
        &row,
        json!({ "reason": reason }),
    )
    .await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    publish(billing, &result.invoice, "invoice.void").await;
    Ok(result)
}

/// The invoice a customer's link opens.
pub async fn for_customer(
    billing: &Billing,
    tenant: TenantCtx,
    token: &str,
) -> Result<InvoiceView, ServiceError> {
    let id = invoice_of_link(billing, token)?;
    let tx = billing.store().tx(&tenant).await?;
    let row = tx.get::<invoice::Entity>(id.0).await?;
    if status_of(&row)? == InvoiceStatus::Draft {
        return Err(ServiceError::NotFound);
    }
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

/// A signed-in customer's own invoices (issued ones, newest first), for their account page.
pub async fn of_signed_in_customer(
    billing: &Billing,
    actor: &Actor,
) -> Result<Vec<invoice::Model>, ServiceError> {
    let (me, _, _) = pitlane_frontdesk::booking::me(&billing.workshop.desk, actor).await?;
    let tx = billing.store().tx(&TenantCtx::new(actor.tenant_id)).await?;
    let rows = tx
        .all(
            tx.select::<invoice::Entity>()
                .filter(invoice::Column::CustomerId.eq(me.id))
                .filter(invoice::Column::Status.ne(InvoiceStatus::Draft.key()))
                .order_by_desc(invoice::Column::Id)
                .limit(50),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}
