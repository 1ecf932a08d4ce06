//! The customer's invoice on the workshop's branded site (`/invoice?token=`): the invoice as
//! issued, its payments, the PDF, and paying the balance by card through Stripe Checkout. The
//! return page says "payment received, confirming…" and follows the invoice live until the
//! verified webhook has made it paid; the redirect itself never marks anything paid.

use maud::{Markup, html};
use pitlane_billing::{
    checkout,
    invoices::{self, InvoiceView},
};
use pitlane_domain::{
    FieldErrors, ServiceError, invoicing::InvoiceStatus, quantity::format_quantity,
};
use poem::{
    IntoResponse, Request, Route, get, handler, post,
    web::{Data, Query, Redirect},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{csrf_input, error_summary, query_link, status_for},
    page, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/invoice", get(show))
        .at("/invoice/pay", post(pay))
        .at("/invoice/paid", get(paid))
        .at("/invoice/pdf", get(pdf))
        .at("/invoice/events", get(invoice_events))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn invoice_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    token: &str,
    confirming: bool,
    errors: FieldErrors,
) -> PageResult {
    let v = invoices::for_customer(&state.billing, scope.ctx(), token).await?;
    let can_pay_by_card = checkout::card_payments(&v.workshop, &state.billing).is_ok();
    let title = format!("Invoice {}", v.title());
    let body = page(
        ctx,
        &title,
        None,
        invoice_body(ctx, &v, token, confirming, can_pay_by_card, &errors),
    );
    Ok((status_for(&errors), body).into_response())
}

fn invoice_body(
    ctx: &PageCtx,
    v: &InvoiceView,
    token: &str,
    confirming: bool,
    can_pay_by_card: bool,
    errors: &FieldErrors,
) -> Markup {
    let inv = &v.invoice;
    let status = v.status();
    let money_of = |minor: i64| v.amount(minor);
    let due = v.balance_due();
    // The customer came back from Stripe but the payment failed or lapsed: say so, and offer
    // the button again, rather than "confirming…" for ever.
    let card_failed = v
        .last_checkout
        .as_ref()
        .is_some_and(|c| matches!(c.status.as_str(), "failed" | "expired"));
    let stream = query_link("/invoice/events", &[("token", token.to_owned())]);
    let here = query_link(
        if confirming {
            "/invoice/paid"
        } else {
            "/invoice"
        },
        &[("token", token.to_owned())],
    );
    html! {
        h1 { "Invoice " (v.title()) }
        (error_summary(errors, &[("invoice", "Payment"), ("csrf", "Form")]))
        div id="invoice-live" data-live="invoice" data-events-src=(ctx.link(&stream)) data-refresh=(ctx.link(&here)) {
            @if status == InvoiceStatus::Paid {
                div class="notice success" role="status" data-paid { "Paid. Thank you!" }
            } @else if confirming && card_failed {
                div class="notice error" role="alert" data-card-failed { "The card payment did not go through, and nothing was charged. You can try again below." }
            } @else if confirming {
                div class="notice" role="status" data-confirming data-poll="2000" { "Payment received, confirming… This page updates by itself in a few seconds." }
            } @else if status == InvoiceStatus::Void {
                div class="notice" role="status" { "This invoice was withdrawn: there is nothing to pay." }
            }
            section class="card" {
                dl class="facts" {
                    dt { "From" } dd { (v.workshop.name) " · " (v.branch.name) }
                    dt { "For" } dd { (inv.customer_name) }
                    @if !inv.vehicle_label.is_empty() { dt { "Vehicle" } dd { (inv.vehicle_label) } }
                    @if let Some(at) = inv.issued_at { dt { "Issued" } dd { (at.format("%-d %B %Y")) } }
                    @if let Some(at) = inv.due_at { dt { "Due" } dd { (at.format("%-d %B %Y")) } }
                }
                (table_region("Invoice lines", html! {
                    table {
                        thead { tr { th scope="col" { "Item" } th scope="col" { "Qty" } th scope="col" { "Amount" } } }
                        tbody {
                            @for line in &v.lines {
                                tr { td { (line.description) } td { (format_quantity(line.quantity_milli)) } td { (money_of(line.amount_minor)) } }
                            }
                        }
                    }
                }))
                dl class="facts" {
                    @for g in &v.totals.groups {
                        dt { "Tax " (pitlane_domain::quantity::format_percent(g.rate_bp)) } dd { (money_of(g.tax)) }
                    }
                    dt { "Total" } dd { strong { (v.total()) } }
                    @if inv.credited_minor > 0 { dt { "Credited" } dd { "−" (money_of(inv.credited_minor)) } }
                    @if inv.paid_minor > 0 { dt { "Paid" } dd { "−" (money_of(inv.paid_minor)) } }
                    @if inv.refunded_minor > 0 { dt { "Refunded" } dd { (money_of(inv.refunded_minor)) } }
                    dt { "Still to pay" } dd { strong data-balance { (money_of(due.minor.max(0))) } }
                }
                div class="actions" {
                    a class="button secondary" href=(ctx.link(&query_link("/invoice/pdf", &[("token", token.to_owned())]))) { "Download PDF" }
                }
            }
            @if matches!(status, InvoiceStatus::Issued | InvoiceStatus::PartlyPaid) && due.minor > 0 && (!confirming || card_failed) {
                section class="card" aria-labelledby="pay-heading" {
                    h2 id="pay-heading" { "Pay " (due) }
                    @if can_pay_by_card {
                        form method="post" action=(ctx.link("/invoice/pay")) {
                            (csrf_input(ctx))
                            input type="hidden" name="token" value=(token);
                            button class="button" type="submit" data-pay { "Pay by card" }
                        }
                        p class="hint" { "You pay on Stripe's secure page and come back here." }
                    } @else {
                        p { "Please pay at the counter or by bank transfer quoting " strong { (v.title()) } "." }
                    }
                }
            }
        }
    }
}

#[handler]
async fn show(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    invoice_page(&ctx, &state, &scope, &q.token, false, FieldErrors::new()).await
}

/// Back from Stripe: "payment received, confirming…" until the webhook has made it paid.
#[handler]
async fn paid(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    invoice_page(&ctx, &state, &scope, &q.token, true, FieldErrors::new()).await
}

/// Sends the customer to Stripe Checkout for the balance.
#[handler]
async fn pay(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let token = form.get("token");
    let site = site_of(&state.config, &scope);
    // Stripe's page is another site: not a path of the workshop's, so no `submit`.
    match checkout::start(&state.billing, scope.ctx(), token, &site).await {
        Ok(url) => Ok(Redirect::see_other(url).into_response()),
        Err(ServiceError::Invalid(e) | ServiceError::Conflict(e)) => {
            invoice_page(&ctx, &state, &scope, token, false, e).await
        }
        Err(err) => Err(err.into()),
    }
}

#[handler]
async fn pdf(
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let v = invoices::for_customer(&state.billing, scope.ctx(), &q.token).await?;
    Ok(crate::api::pdf_response(&v).into_response())
}

/// The invoice's live updates for the customer holding its link: only this invoice's.
#[handler]
async fn invoice_events(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let v = invoices::for_customer(&state.billing, scope.ctx(), &q.token)
        .await
        .map_err(|_| ServiceError::NotFound)?;
    Ok(crate::events::link_stream(
        &state,
        req,
        scope.tenant.id,
        v.invoice.id,
        pitlane_domain::live::Topic::Invoice,
    )
    .await)
}
