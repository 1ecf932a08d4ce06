//! Invoices in the portal: the list (what is owed first), an invoice's page (lines while
//! draft, issue, payments with receipts, refunds, credit notes, void, PDF and pay link), and
//! Settings → Payments (Stripe Connect, prices with or without tax) and Settings → Plan.

use maud::{Markup, html};
use pitlane_billing::{
    checkout::card_payments,
    connect::{self, ConnectStatus},
    invoices::{self, InvoiceView, LineInput, ListFilter},
    payments::{self, CreditInput, PaymentInput, RefundInput},
    subscriptions::{self, Standing},
};
use pitlane_domain::{
    FieldErrors, ServiceError,
    ids::{InvoiceId, RepairOrderId},
    invoicing::{InvoiceStatus, PaymentMethod},
    permissions::Permission,
    plans,
    quantity::{format_percent, format_quantity},
};
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::links::site_of;
use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Returned, Staff,
    forms::{Field, csrf_input, error_summary, error_summary_in, select, select_in, status_for},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/invoices", get(list))
        .at("/portal/invoices/:id", get(show))
        .at("/portal/invoices/:id/pdf", get(pdf))
        .at("/portal/invoices/:id/lines", post(add_line))
        .at("/portal/invoices/:id/lines/:line/remove", post(remove_line))
        .at("/portal/invoices/:id/issue", post(issue))
        .at("/portal/invoices/:id/void", post(void))
        .at("/portal/invoices/:id/payments", post(record_payment))
        .at("/portal/invoices/:id/payments/:payment", get(receipt))
        .at(
            "/portal/invoices/:id/payments/:payment/refund",
            post(refund),
        )
        .at("/portal/invoices/:id/credit-notes", post(credit))
        .at("/portal/repair-orders/:id/invoice", post(from_order))
        .at("/portal/settings/payments", get(payment_settings))
        .at(
            "/portal/settings/payments/invoices",
            post(save_invoice_settings),
        )
        .at("/portal/settings/payments/tax-rates", post(add_tax_rate))
        .at("/portal/settings/payments/connect", post(connect_stripe))
        .at("/portal/settings/payments/return", get(stripe_return))
        .at("/portal/settings/payments/refresh", get(stripe_refresh))
        .at(
            "/portal/settings/plan",
            get(payment_settings).post(choose_plan),
        )
        .at("/portal/settings/plan/portal", post(plan_portal))
}

const LABELS: &[(&str, &str)] = &[
    ("kind", "Kind"),
    ("description", "Description"),
    ("quantity", "Quantity"),
    ("unit_price", "Price"),
    ("tax_rate_id", "Tax rate"),
    ("lines", "Lines"),
    ("status", "Invoice"),
    ("reason", "Reason"),
    ("method", "Method"),
    ("amount", "Amount"),
    ("reference", "Reference"),
    ("tax_rate_bp", "Tax rate"),
    ("repair_order_id", "Repair order"),
    ("stripe", "Stripe"),
    ("plan", "Plan"),
    ("csrf", "Form"),
];

/// The workshop's own address, for pay links and Stripe's way back.
fn site(ctx: &PageCtx, state: &AppState) -> String {
    match &ctx.scope {
        Some(scope) => site_of(&state.config, scope),
        None => String::new(),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
}

/// The invoice list: unpaid first by default, or one state.
#[handler]
async fn list(staff: Staff, state: Data<&AppState>, Query(q): Query<ListQuery>) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let status = q.status.as_deref().and_then(InvoiceStatus::parse);
    let filter = ListFilter {
        status,
        unpaid: q.status.as_deref() == Some("unpaid"),
        customer_id: None,
    };
    let rows = invoices::list(&state.billing, actor, &filter, None).await?;
    let tabs = [
        ("", "All"),
        ("unpaid", "Unpaid"),
        ("draft", "Drafts"),
        ("paid", "Paid"),
        ("void", "Void"),
    ];
    let current = q.status.clone().unwrap_or_default();
    let body = html! {
        h1 { "Invoices" }
        nav class="toolbar" aria-label="Filter invoices" {
            @for (key, label) in tabs {
                @let href = if key.is_empty() { ctx.link("/portal/invoices") } else { ctx.link(&format!("/portal/invoices?status={key}")) };
                a class=(if current == key { "button" } else { "button secondary" }) href=(href) aria-current=[(current == key).then_some("page")] { (label) }
            }
        }
        @if rows.is_empty() {
            p class="muted" { "No invoices here yet. Invoice a repair order from its page." }
        } @else {
            (table_region("Invoices", html! {
                table {
                    thead { tr { th scope="col" { "Number" } th scope="col" { "Customer" } th scope="col" { "Status" } th scope="col" { "Total" } th scope="col" { "Balance due" } th scope="col" { "Due" } } }
                    tbody {
                        @for row in &rows {
                            tr {
                                td { a href=(ctx.link(&format!("/portal/invoices/{}", row.id))) { (row.number.clone().unwrap_or_else(|| "Draft".into())) } }
                                td { (row.customer_name) }
                                td { span class="badge" data-status=(row.status) { (InvoiceStatus::parse(&row.status).map_or("", |s| s.label())) } }
                                td { (invoices::total_of(row)) }
                                td { (invoices::balance_due_of(row)) }
                                td { (row.due_at.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }))
        }
    };
    Ok(page(ctx, "Invoices", Some("invoices"), body).into_response())
}

#[handler]
async fn show(staff: Staff, state: Data<&AppState>, Path(id): Path<InvoiceId>) -> PageResult {
    invoice_page(&staff, &state, id, Returned::default()).await
}

/// The invoice's page; `r` is the form that came back, if one did.
async fn invoice_page(staff: &Staff, state: &AppState, id: InvoiceId, r: Returned) -> PageResult {
    let ctx = &staff.ctx;
    let v = invoices::get(&state.billing, &staff.actor, id).await?;
    let link = invoices::customer_link(&state.billing, &site(ctx, state), id);
    let cards = card_payments(&v.workshop, &state.billing).err();
    let title = v.title();
    let body = page(
        ctx,
        &title,
        Some("invoices"),
        invoice_body(ctx, &v, &r, &link, cards),
    );
    Ok((status_for(&r.errors), body).into_response())
}

fn invoice_body(
    ctx: &PageCtx,
    v: &InvoiceView,
    r: &Returned,
    pay_link: &str,
    cards_off: Option<&str>,
) -> Markup {
    let actor = ctx.auth.as_ref().map(|a| &a.actor);
    let can = |p: Permission| actor.is_some_and(|a| a.can(p));
    let can_write = can(Permission::InvoicesWrite);
    let can_refund = can(Permission::InvoicesRefund);
    let status = v.status();
    let inv = &v.invoice;
    let base = format!("/portal/invoices/{}", inv.id);
    let errors_for = |form: &str| r.errors_of(form);
    let typed = |form: &str, name: &str| r.value(form, name).to_owned();
    let money_of = |minor: i64| v.amount(minor);
    let kinds: Vec<(String, String)> = [
        ("labour", "Labour"),
        ("part", "Part"),
        ("fee", "Fee"),
        ("discount", "Discount"),
        ("other", "Other"),
    ]
    .into_iter()
    .map(|(k, l)| (k.to_owned(), l.to_owned()))
    .collect();
    let methods: Vec<(String, String)> = PaymentMethod::RECORDED
        .iter()
        .map(|m| (m.key().to_owned(), m.label().to_owned()))
        .collect();
    let rates: Vec<(String, String)> = v
        .totals
        .groups
        .iter()
        .map(|g| (g.rate_bp.to_string(), format_percent(g.rate_bp)))
        .collect();
    let money = v.money();
    let amount_due = v.amount(money.balance_due().max(0)).plain();
    // The line form is the page's own; the others have scopes, so no field id is used twice.
    let refund_scope = |payment: Uuid| format!("refund-{payment}");
    let summary_scope = match r.form {
        "refund" => Some(refund_scope(r.pairs.id("payment_id").unwrap_or_default())),
        "payment" | "credit" | "void" => Some(r.form.to_owned()),
        _ => None,
    };
    html! {
        p { a href=(ctx.link("/portal/invoices")) { "← Invoices" } }
        h1 { (v.title()) " · " (inv.customer_name) }
        (error_summary_in(&r.errors, LABELS, summary_scope.as_deref()))
        div id="invoice-live" data-live="workshop" data-refresh=(ctx.link(&base)) {
            section class="card" {
                dl class="facts" {
                    dt { "Status" } dd { strong data-status=(status.key()) { (status.label()) } }
                    dt { "Customer" } dd { a href=(ctx.link(&format!("/portal/customers/{}", inv.customer_id))) { (inv.customer_name) } }
                    @if !inv.vehicle_label.is_empty() { dt { "Vehicle" } dd { (inv.vehicle_label) } }
                    @if let Some(ro) = inv.repair_order_id { dt { "Repair order" } dd { a href=(ctx.link(&format!("/portal/repair-orders/{ro}"))) { "Open the repair order" } } }
                    dt { "Branch" } dd { (v.branch.name) }
                    @if let Some(at) = inv.issued_at { dt { "Issued" } dd { (at.format("%Y-%m-%d")) } }
                    @if let Some(at) = inv.due_at { dt { "Due" } dd { (at.format("%Y-%m-%d")) } }
                    @if let Some(reason) = &inv.void_reason { dt { "Void because" } dd { (reason) } }
                    dt { "Prices" } dd { @if inv.prices_include_tax { "include tax" } @else { "exclude tax" } }
                }
                div class="actions" {
                    a class="button secondary" href=(ctx.link(&format!("{base}/pdf"))) { "PDF" }
                    @if status.is_issued() {
                        a class="button secondary" href=(pay_link) data-pay-link { "Customer's page" }
                    }
                }
                @if status.is_issued() && money.balance_due() > 0 {
                    @if let Some(why) = cards_off {
                        p class="notice" role="note" data-cards-off { "Customers cannot pay this by card: " (why) "." }
                    } @else {
                        p class="muted" { "The customer can pay the balance by card from their page." }
                    }
                }
            }
            section class="card" aria-labelledby="lines-heading" {
                h2 id="lines-heading" { "Lines" }
                (table_region("Lines", html! {
                    table {
                        thead { tr { th scope="col" { "Description" } th scope="col" { "Qty" } th scope="col" { "Unit price" } th scope="col" { "Tax" } th scope="col" { "Amount" } @if status.is_editable() && can_write { th scope="col" { span class="visually-hidden" { "Remove" } } } } }
                        tbody {
                            @for line in &v.lines {
                                tr {
                                    td { (line.description) }
                                    td { (format_quantity(line.quantity_milli)) }
                                    td { (money_of(line.unit_price_minor)) }
                                    td { (line.tax_name) }
                                    td { (money_of(line.amount_minor)) }
                                    @if status.is_editable() && can_write {
                                        td {
                                            form method="post" action=(ctx.link(&format!("{base}/lines/{}/remove", line.id))) {
                                                (csrf_input(ctx))
                                                button class="link-button" type="submit" { "Remove" span class="visually-hidden" { " " (line.description) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
                dl class="facts" data-totals {
                    dt { "Net" } dd { (money_of(v.totals.net)) }
                    @for g in &v.totals.groups {
                        dt { "Tax " (format_percent(g.rate_bp)) " on " (money_of(g.net)) } dd { (money_of(g.tax)) }
                    }
                    dt { "Total" } dd { strong data-total { (v.total()) } }
                    @if money.credited > 0 { dt { "Credited" } dd { "−" (money_of(money.credited)) } }
                    @if money.paid > 0 { dt { "Paid" } dd { "−" (money_of(money.paid)) } }
                    @if money.refunded > 0 { dt { "Refunded" } dd { (money_of(money.refunded)) } }
                    dt { "Balance due" } dd { strong data-balance { (v.balance_due()) } }
                }
            }
            @if status.is_editable() && can_write {
                section class="card" aria-labelledby="add-heading" {
                    h2 id="add-heading" { "Add a line" }
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/lines"))) novalidate {
                        (csrf_input(ctx))
                        (select("kind", "Kind", &kinds, &typed("line", "kind"), errors_for("line")))
                        (Field::new("description", "Description", &typed("line", "description")).render(errors_for("line")))
                        (Field::new("quantity", "Quantity", &typed("line", "quantity")).hint("Hours or units; empty means 1").render(errors_for("line")))
                        (Field::new("unit_price", "Price", &typed("line", "unit_price")).hint(if inv.prices_include_tax { "Tax included; a discount's amount as a positive number" } else { "Before tax; a discount's amount as a positive number" }).render(errors_for("line")))
                        label { input type="checkbox" name="no_tax" value="yes" checked[typed("line", "no_tax") == "yes"]; " No tax on this line" }
                        div { button class="button" type="submit" { "Add line" } }
                    }
                    form method="post" action=(ctx.link(&format!("{base}/issue"))) {
                        (csrf_input(ctx))
                        button class="button" type="submit" data-issue { "Issue the invoice" }
                        span class="hint" { " It gets its number and goes to the customer with a pay link; it cannot be changed after." }
                    }
                }
            }
            @if can_write && matches!(status, InvoiceStatus::Draft | InvoiceStatus::Issued | InvoiceStatus::PartlyPaid) && money.balance_due() > 0 {
                section class="card" aria-labelledby="pay-heading" {
                    h2 id="pay-heading" { @if status.is_editable() { "Take a deposit" } @else { "Record a payment" } }
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/payments"))) novalidate {
                        (csrf_input(ctx))
                        (select_in(Some("payment"), "method", "Method", &methods, &typed("payment", "method"), errors_for("payment")))
                        (Field::new("amount", "Amount", &(if r.is("payment") { typed("payment", "amount") } else { amount_due.clone() })).within("payment").render(errors_for("payment")))
                        (Field::new("reference", "Reference (slip or transfer)", &typed("payment", "reference")).within("payment").render(errors_for("payment")))
                        div { button class="button" type="submit" { "Record payment" } }
                    }
                }
            }
            @if !v.payments.is_empty() {
                section class="card" aria-labelledby="payments-heading" {
                    h2 id="payments-heading" { "Payments" }
                    (table_region("Payments", html! {
                        table {
                            thead { tr { th scope="col" { "Receipt" } th scope="col" { "Method" } th scope="col" { "Amount" } th scope="col" { "Refunded" } th scope="col" { "Received" } } }
                            tbody {
                                @for p in &v.payments {
                                    tr data-payment=(p.number) {
                                        td { a href=(ctx.link(&format!("{base}/payments/{}", p.id))) { (p.number) } }
                                        td { (PaymentMethod::parse(&p.method).map_or("", |m| m.label())) }
                                        td { (money_of(p.amount_minor)) }
                                        td { (money_of(p.refunded_minor)) }
                                        td { (p.received_at.format("%Y-%m-%d %H:%M")) @if let Some(by) = &p.recorded_by { " · " (by) } }
                                    }
                                }
                            }
                        }
                    }))
                    @if can_refund {
                        @for p in v.payments.iter().filter(|p| p.amount_minor > p.refunded_minor && p.method != "rounding") {
                            @let scope = refund_scope(p.id);
                            // Only the refund that came back shows what was typed and its errors.
                            @let back = r.value("refund", "payment_id") == p.id.to_string();
                            @let refund_errors = if back { errors_for("refund") } else { errors_for("") };
                            details open[back] {
                                summary { "Refund from " (p.number) }
                                form class="stack" method="post" action=(ctx.link(&format!("{base}/payments/{}/refund", p.id))) novalidate {
                                    (csrf_input(ctx))
                                    input type="hidden" name="payment_id" value=(p.id);
                                    (Field::new("amount", "Amount", if back { r.value("refund", "amount") } else { "" }).within(&scope).hint(&format!("At most {}", money_of(p.amount_minor - p.refunded_minor))).render(refund_errors))
                                    (Field::new("reason", "Reason", if back { r.value("refund", "reason") } else { "" }).within(&scope).render(refund_errors))
                                    label { input type="checkbox" name="credit_note" value="yes" checked; " Also issue a credit note, so the invoice stays settled" }
                                    div { button class="button danger" type="submit" { @if p.method == "card_online" { "Refund to the card" } @else { "Record the refund" } } }
                                }
                            }
                        }
                    }
                }
            }
            @if !v.refunds.is_empty() {
                section class="card" aria-labelledby="refunds-heading" {
                    h2 id="refunds-heading" { "Refunds" }
                    ul {
                        @for rf in &v.refunds {
                            li data-refund { (money_of(rf.amount_minor)) " · " (rf.reason) " · " (rf.status) @if let Some(by) = &rf.created_by { " · " (by) } }
                        }
                    }
                }
            }
            @if !v.credit_notes.is_empty() || (can_write && status.is_issued()) {
                section class="card" aria-labelledby="credit-heading" {
                    h2 id="credit-heading" { "Credit notes" }
                    ul {
                        @for c in &v.credit_notes {
                            li data-credit-note=(c.number) { (c.number) ": " (money_of(c.total_minor)) " · " (c.reason) }
                        }
                    }
                    @if can_write && status.is_issued() && inv.total_minor > inv.credited_minor {
                        form class="stack" method="post" action=(ctx.link(&format!("{base}/credit-notes"))) novalidate {
                            (csrf_input(ctx))
                            (Field::new("reason", "What it corrects", &typed("credit", "reason")).within("credit").render(errors_for("credit")))
                            (Field::new("amount", "Amount", &typed("credit", "amount")).within("credit").hint("Tax included: what the customer is credited").render(errors_for("credit")))
                            @if rates.len() > 1 {
                                (select_in(Some("credit"), "tax_rate_bp", "Tax rate", &rates, &typed("credit", "tax_rate_bp"), errors_for("credit")))
                            }
                            div { button class="button secondary" type="submit" { "Issue credit note" } }
                        }
                    }
                }
            }
            @if can_write && status != InvoiceStatus::Void && money.paid == 0 && money.credited == 0 {
                section class="card" aria-labelledby="void-heading" {
                    h2 id="void-heading" { "Void" }
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/void"))) novalidate {
                        (csrf_input(ctx))
                        (Field::new("reason", "Why", &typed("void", "reason")).within("void").render(errors_for("void")))
                        div { button class="button danger" type="submit" { "Void the invoice" } }
                    }
                }
            }
        }
    }
}

/// Where an invoice's page is.
fn invoice_path(id: InvoiceId) -> String {
    format!("/portal/invoices/{id}")
}

/// Invoices a repair order (or opens its live invoice).
#[handler]
async fn from_order(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(order): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            let actor = &staff.actor;
            match invoices::draft_from_order(billing, actor, order).await {
                Ok(v) => Ok(invoice_path(InvoiceId(v.invoice.id))),
                Err(ServiceError::Conflict(e)) if e.message_for("repair_order_id").is_some() => {
                    let existing = invoices::list(billing, actor, &ListFilter::default(), None)
                        .await?
                        .into_iter()
                        .find(|i| i.repair_order_id == Some(order.0) && i.status != "void");
                    match existing {
                        Some(i) => Ok(invoice_path(InvoiceId(i.id))),
                        None => Err(ServiceError::Conflict(e)),
                    }
                }
                Err(err) => Err(err),
            }
        },
        // No form of this page to show again: the reasons, on the error page.
        |_, errors| async move {
            let message = errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            Err(ServiceError::Conflict(FieldErrors::single("repair_order_id", message)).into())
        },
    )
    .await
}

#[handler]
async fn add_line(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<InvoiceId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            invoices::add_line(
                billing,
                &staff.actor,
                id,
                &LineInput {
                    kind: p.get("kind").to_owned(),
                    description: p.get("description").to_owned(),
                    quantity: p.get("quantity").to_owned(),
                    unit_price: p.get("unit_price").to_owned(),
                    tax_rate_id: p.id("tax_rate_id"),
                    taxable: p.get("no_tax") != "yes",
                },
            )
            .await?;
            Ok(invoice_path(id))
        },
        |p, errors| invoice_page(staff, state, id, Returned::new("line", p, errors)),
    )
    .await
}

#[handler]
async fn remove_line(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, line)): Path<(InvoiceId, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            invoices::remove_line(billing, &staff.actor, id, line).await?;
            Ok(invoice_path(id))
        },
        |p, errors| invoice_page(staff, state, id, Returned::new("line", p, errors)),
    )
    .await
}

#[handler]
async fn issue(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<InvoiceId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site(&staff.ctx, state);
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            invoices::issue(billing, &staff.actor, id, &site).await?;
            Ok(invoice_path(id))
        },
        |p, errors| invoice_page(staff, state, id, Returned::new("line", p, errors)),
    )
    .await
}

#[handler]
async fn void(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<InvoiceId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            invoices::void(billing, &staff.actor, id, p.get("reason")).await?;
            Ok(invoice_path(id))
        },
        |p, errors| invoice_page(staff, state, id, Returned::new("void", p, errors)),
    )
    .await
}

#[handler]
async fn record_payment(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<InvoiceId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site(&staff.ctx, state);
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            payments::record_payment(
                billing,
                &staff.actor,
                id,
                &PaymentInput {
                    method: p.get("method").to_owned(),
                    amount: p.get("amount").to_owned(),
                    reference: p.optional("reference"),
                    received_at: None,
                },
                &site,
            )
            .await?;
            Ok(invoice_path(id))
        },
        |p, errors| invoice_page(staff, state, id, Returned::new("payment", p, errors)),
    )
    .await
}

#[handler]
async fn refund(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, payment)): Path<(InvoiceId, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site(&staff.ctx, state);
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            let (_, view) = payments::receipt(billing, actor, payment).await?;
            if view.invoice.id != id.0 {
                return Err(ServiceError::NotFound);
            }
            payments::refund(
                billing,
                actor,
                payment,
                &RefundInput {
                    amount: p.get("amount").to_owned(),
                    reason: p.get("reason").to_owned(),
                    credit_note: p.get("credit_note") == "yes",
                },
                &site,
            )
            .await?;
            Ok(invoice_path(id))
        },
        |p, errors| invoice_page(staff, state, id, Returned::new("refund", p, errors)),
    )
    .await
}

#[handler]
async fn credit(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<InvoiceId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let billing = &state.billing;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            payments::credit(
                billing,
                &staff.actor,
                id,
                &CreditInput {
                    reason: p.get("reason").to_owned(),
                    description: String::new(),
                    amount: p.get("amount").to_owned(),
                    tax_rate_bp: p.get("tax_rate_bp").parse().ok(),
                },
            )
            .await?;
            Ok(invoice_path(id))
        },
        |p, errors| invoice_page(staff, state, id, Returned::new("credit", p, errors)),
    )
    .await
}

/// A payment's receipt, to print or hand over at the counter.
#[handler]
async fn receipt(
    staff: Staff,
    state: Data<&AppState>,
    Path((id, payment)): Path<(InvoiceId, Uuid)>,
) -> PageResult {
    let ctx = &staff.ctx;
    let (paid, v) = payments::receipt(&state.billing, &staff.actor, payment).await?;
    if v.invoice.id != id.0 {
        return Err(ServiceError::NotFound.into());
    }
    let money_of = |minor: i64| v.amount(minor);
    let title = format!("Receipt {}", paid.number);
    let body = html! {
        p class="no-print" { a href=(ctx.link(&invoice_path(id))) { "← " (v.title()) } }
        section class="card receipt" data-receipt=(paid.number) {
            h1 { (title) }
            dl class="facts" {
                dt { "From" } dd { (v.workshop.name) " · " (v.branch.name) }
                dt { "Received from" } dd { (v.invoice.customer_name) }
                dt { "For" } dd { (v.title()) }
                dt { "Amount" } dd { strong { (money_of(paid.amount_minor)) } }
                dt { "Method" } dd { (PaymentMethod::parse(&paid.method).map_or("", |m| m.label())) @if let Some(r) = &paid.reference { " (" (r) ")" } }
                dt { "Received" } dd { (paid.received_at.format("%Y-%m-%d %H:%M UTC")) }
                @if paid.refunded_minor > 0 { dt { "Refunded since" } dd { (money_of(paid.refunded_minor)) } }
                dt { "Invoice balance now" } dd { (money_of(v.balance_due().minor.max(0))) }
                @if let Some(by) = &paid.recorded_by { dt { "Recorded by" } dd { (by) } }
            }
        }
    };
    Ok(page(ctx, &title, Some("invoices"), body).into_response())
}

#[handler]
async fn pdf(staff: Staff, state: Data<&AppState>, Path(id): Path<InvoiceId>) -> PageResult {
    let v = invoices::get(&state.billing, &staff.actor, id).await?;
    Ok(crate::api::pdf_response(&v).into_response())
}

// ---- Settings → Payments and Settings → Plan ----

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    done: Option<String>,
}

/// Settings → Payments: the Stripe connection and its state, and whether prices include tax.
#[handler]
async fn payment_settings(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<SettingsQuery>,
) -> PageResult {
    settings_page(&staff, &state, q.done.as_deref(), FieldErrors::new()).await
}

async fn settings_page(
    staff: &Staff,
    state: &AppState,
    done: Option<&str>,
    errors: FieldErrors,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let workshop = connect::workshop(&state.billing, actor).await?;
    let can_manage = actor.can(Permission::BillingManage);
    let status = ConnectStatus::of(&workshop);
    let cards_off = card_payments(&workshop, &state.billing).err();
    let standing = Standing::of(&workshop, chrono::Utc::now());
    let plan = plans::plan(&workshop.plan);
    let can_settle = actor.can(Permission::SettingsManage);
    let rates = pitlane_billing::tax_rates::list(&state.billing, actor)
        .await
        .unwrap_or_default();
    let branches = pitlane_tenancy::branches::list(&state.store, actor, None, 200)
        .await
        .map(|page| page.items)
        .unwrap_or_default();
    let branch_options: Vec<(String, String)> = branches
        .iter()
        .map(|b| (b.id.to_string(), b.name.clone()))
        .collect();
    let branch_name = |id: Uuid| {
        branches
            .iter()
            .find(|b| b.id == id)
            .map_or(String::new(), |b| b.name.clone())
    };
    let body = html! {
        h1 { "Payments and plan" }
        (error_summary(&errors, LABELS))
        @match done {
            Some("returned") => div class="notice success" role="status" { "Welcome back from Stripe. The account's state is below." },
            Some("saved") => div class="notice success" role="status" { "Saved." },
            _ => {}
        }
        section class="card" aria-labelledby="stripe-heading" {
            h2 id="stripe-heading" { "Card payments (Stripe)" }
            p { "Customers pay invoices by card on your branded page, straight into your own Stripe account." }
            dl class="facts" {
                dt { "Stripe" } dd { strong data-connect-status=(status.key()) { (status.label()) } }
                dt { "Platform fee" } dd { (format_percent(plan.application_fee_bp as i32)) " of each card payment (" (plan.name) " plan)" }
            }
            @if let Some(why) = cards_off { p class="notice" role="note" { "Card payments are off: " (why) "." } }
            @if can_manage && state.billing.gateway.is_some() && status != ConnectStatus::Active {
                form method="post" action=(ctx.link("/portal/settings/payments/connect")) {
                    (csrf_input(ctx))
                    button class="button" type="submit" data-connect { @if status == ConnectStatus::NotConnected { "Connect Stripe" } @else { "Continue Stripe setup" } }
                }
            }
        }
        section class="card" aria-labelledby="invoice-settings-heading" {
            h2 id="invoice-settings-heading" { "Invoices" }
            @if can_settle {
                form class="stack" method="post" action=(ctx.link("/portal/settings/payments/invoices")) novalidate {
                    (csrf_input(ctx))
                    label { input type="checkbox" name="prices_include_tax" value="yes" checked[workshop.prices_include_tax]; " Prices include tax (invoices show the tax contained in them)" }
                    (Field::new("due_days", "Days to pay", &workshop.invoice_due_days.to_string()).hint("From the day an invoice is issued").render(&errors))
                    (crate::pages::kit::forms::textarea("footer", "Footer on every invoice (bank details, registration number)", workshop.invoice_footer.as_deref().unwrap_or_default(), &errors))
                    div { button class="button" type="submit" { "Save invoice settings" } }
                }
            }
        }
        section class="card" aria-labelledby="rates-heading" {
            h2 id="rates-heading" { "Tax rates" }
            p class="muted" { "Each branch charges its standard rate (Settings → Workshop); add reduced or zero rates here to choose them on invoice lines." }
            @if rates.is_empty() { p class="muted" { "No extra rates yet." } }
            ul {
                @for r in &rates { li data-tax-rate { (branch_name(r.branch_id)) ": " (r.name) " " (format_percent(r.rate_bp)) } }
            }
            @if can_settle {
                form class="stack" method="post" action=(ctx.link("/portal/settings/payments/tax-rates")) novalidate {
                    (csrf_input(ctx))
                    (select("branch_id", "Branch", &branch_options, "", &errors))
                    (Field::new("name", "Name", "").hint("Such as Reduced").render(&errors))
                    (Field::new("rate", "Rate (%)", "").render(&errors))
                    div { button class="button secondary" type="submit" { "Add tax rate" } }
                }
            }
        }
        section class="card" aria-labelledby="plan-heading" {
            h2 id="plan-heading" { "Plan" }
            @if let Some(banner) = standing.banner().filter(|_| state.billing.gateway.is_some()) { p class="notice" role="status" data-plan-banner { (banner) } }
            dl class="facts" {
                dt { "Plan" } dd { strong data-plan=(plan.key) { (plan.name) } }
                dt { "Branches" } dd { (plan.max_branches.map_or("as many as you have".to_owned(), |n| format!("up to {n}"))) }
                dt { "Staff" } dd { (plan.max_staff.map_or("as many as you have".to_owned(), |n| format!("up to {n}"))) }
            }
            @if can_manage && state.billing.gateway.is_some() {
                div class="actions" {
                    @for p in plans::PLANS {
                        form method="post" action=(ctx.link("/portal/settings/plan")) {
                            (csrf_input(ctx))
                            input type="hidden" name="plan" value=(p.key);
                            button class="button secondary" type="submit" { "Choose " (p.name) " (" (p.monthly_per_branch()) " per branch a month)" }
                        }
                    }
                    @if workshop.stripe_customer_id.is_some() {
                        form method="post" action=(ctx.link("/portal/settings/plan/portal")) {
                            (csrf_input(ctx))
                            button class="button secondary" type="submit" { "Card and invoices (Stripe)" }
                        }
                    }
                }
            }
        }
    };
    Ok((
        status_for(&errors),
        page(ctx, "Payments and plan", Some("settings"), body),
    )
        .into_response())
}

/// Saves whether prices include tax, the days to pay and the invoice footer.
#[handler]
async fn save_invoice_settings(
    staff: Staff,
    Data(state): Data<&AppState>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            pitlane_billing::tax_rates::save_settings(
                &state.billing,
                &staff.actor,
                &pitlane_billing::tax_rates::InvoiceSettings {
                    prices_include_tax: p.get("prices_include_tax") == "yes",
                    due_days: p.get("due_days").to_owned(),
                    footer: p.optional("footer"),
                },
            )
            .await?;
            Ok(SETTINGS_SAVED.to_owned())
        },
        |_, errors| settings_page(staff, state, None, errors),
    )
    .await
}

/// Adds a tax rate to a branch.
#[handler]
async fn add_tax_rate(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let branch = p
                .id("branch_id")
                .ok_or_else(|| FieldErrors::single("branch_id", "choose a branch"))?;
            pitlane_billing::tax_rates::add(
                &state.billing,
                &staff.actor,
                branch,
                p.get("name"),
                p.get("rate"),
            )
            .await?;
            Ok(SETTINGS_SAVED.to_owned())
        },
        |_, errors| settings_page(staff, state, None, errors),
    )
    .await
}

/// Where a saved settings form goes: back to the page, with a notice.
const SETTINGS_SAVED: &str = "/portal/settings/payments?done=saved";

/// Sends the owner to Stripe's onboarding (creating the account the first time).
#[handler]
async fn connect_stripe(staff: Staff, Data(state): Data<&AppState>) -> PageResult {
    let site = site(&staff.ctx, state);
    let outcome = connect::onboarding_link(&state.billing, &staff.actor, &site).await;
    to_stripe(&staff, state, outcome).await
}

/// Back from Stripe's onboarding: asks Stripe how the account stands.
#[handler]
async fn stripe_return(staff: Staff, state: Data<&AppState>) -> PageResult {
    connect::refresh_status(&state.billing, &staff.actor).await?;
    Ok(
        Redirect::see_other(staff.ctx.link("/portal/settings/payments?done=returned"))
            .into_response(),
    )
}

/// Stripe's onboarding link went stale: a new one.
#[handler]
async fn stripe_refresh(staff: Staff, Data(state): Data<&AppState>) -> PageResult {
    let url =
        connect::onboarding_link(&state.billing, &staff.actor, &site(&staff.ctx, state)).await?;
    Ok(Redirect::see_other(url).into_response())
}

#[handler]
async fn choose_plan(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let site = site(&staff.ctx, state);
    let outcome =
        subscriptions::choose_plan(&state.billing, &staff.actor, form.get("plan"), &site).await;
    to_stripe(&staff, state, outcome).await
}

#[handler]
async fn plan_portal(staff: Staff, Data(state): Data<&AppState>) -> PageResult {
    let site = site(&staff.ctx, state);
    let outcome = subscriptions::portal_link(&state.billing, &staff.actor, &site).await;
    to_stripe(&staff, state, outcome).await
}

/// The answer to a form whose next page is at Stripe (not inside the workshop, so not
/// [`submit`]): there on success; a refusal comes back to the settings page with its errors.
async fn to_stripe(
    staff: &Staff,
    state: &AppState,
    outcome: Result<String, ServiceError>,
) -> PageResult {
    match outcome {
        Ok(url) => Ok(Redirect::see_other(url).into_response()),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            settings_page(staff, state, None, errors).await
        }
        Err(err) => Err(err.into()),
    }
}
