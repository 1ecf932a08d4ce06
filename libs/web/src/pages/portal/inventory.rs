//! Parts in the portal: the catalogue with stock and low-stock marks, a part's page with its
//! levels per branch, receiving, adjusting, returning and transferring stock, the reorder
//! point, and the ledger that explains every level.

use maud::html;
use pitlane_domain::{
    FieldErrors, ids::PartId, permissions::Permission, quantity::format_quantity,
};
use pitlane_inventory::{parts, stock};
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Returned, Staff,
    forms::{Field, csrf_input, error_summary, error_summary_in, select, select_in, status_for},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/inventory", get(catalogue))
        .at("/portal/inventory/parts", post(create_part))
        .at(
            "/portal/inventory/parts/:id",
            get(part_page).post(update_part),
        )
        .at(
            "/portal/inventory/parts/:id/movements",
            post(record_movement),
        )
        .at(
            "/portal/inventory/parts/:id/transfers",
            post(transfer_stock),
        )
        .at(
            "/portal/inventory/parts/:id/reorder",
            post(set_reorder_point),
        )
}

const LABELS: &[(&str, &str)] = &[
    ("sku", "Part number"),
    ("name", "Name"),
    ("brand", "Brand"),
    ("fitment_notes", "Fits"),
    ("cost", "Cost"),
    ("price", "Price"),
    ("tax_class", "Tax"),
    ("barcode", "Barcode"),
    ("supplier_id", "Supplier"),
    ("kind", "Movement"),
    ("quantity", "Quantity"),
    ("reason", "Reason"),
    ("branch_id", "Branch"),
    ("to_branch_id", "To branch"),
    ("from_branch_id", "From branch"),
    ("reorder_at", "Reorder at"),
    ("bin_location", "Bin"),
    ("csrf", "Form"),
];

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
}

fn part_input(p: &Pairs) -> parts::PartInput {
    parts::PartInput {
        sku: p.get("sku").to_owned(),
        name: p.get("name").to_owned(),
        brand: p.optional("brand"),
        fitment_notes: p.optional("fitment_notes"),
        cost: p.get("cost").to_owned(),
        price: p.optional("price"),
        tax_class: p.optional("tax_class"),
        barcode: p.optional("barcode"),
        supplier_id: p.id("supplier_id"),
        active: p.get("active") != "no",
    }
}

fn part_fields(p: &Pairs, errors: &FieldErrors) -> maud::Markup {
    let tax = [
        ("standard".to_owned(), "Standard".to_owned()),
        ("exempt".to_owned(), "Exempt".to_owned()),
    ];
    html! {
        (Field::new("sku", "Part number", p.get("sku")).required().render(errors))
        (Field::new("name", "Name", p.get("name")).required().render(errors))
        (Field::new("brand", "Brand", p.get("brand")).render(errors))
        (Field::new("fitment_notes", "Fits", p.get("fitment_notes")).hint("Makes, models, years").render(errors))
        (Field::new("cost", "Cost", p.get("cost")).hint("What it costs the workshop, such as 18.40").required().render(errors))
        (Field::new("price", "Price", p.get("price")).hint("Empty: the workshop's markup on the cost").render(errors))
        (select("tax_class", "Tax", &tax, p.get("tax_class"), errors))
        (Field::new("barcode", "Barcode", p.get("barcode")).render(errors))
    }
}

/// The catalogue, with what is available at the reader's branches.
#[handler]
async fn catalogue(staff: Staff, state: Data<&AppState>, Query(q): Query<ListQuery>) -> PageResult {
    catalogue_page(
        &staff,
        &state,
        q.q.as_deref(),
        &Pairs::default(),
        &FieldErrors::new(),
    )
    .await
}

async fn catalogue_page(
    staff: &Staff,
    state: &AppState,
    search: Option<&str>,
    typed: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let inv = &state.inventory;
    let page_of = parts::list(inv, actor, search, None, 200).await?;
    let levels = stock::levels(inv, actor, None, false)
        .await
        .unwrap_or_default();
    let low = levels.iter().filter(|l| l.is_low()).count();
    let workshop = ctx.tenant().cloned();
    let can_adjust = actor.can(Permission::InventoryAdjust);
    let body = page(
        ctx,
        "Parts",
        Some("inventory"),
        html! {
            h1 { "Parts" }
            p class="actions" {
                a class="button secondary" href=(ctx.link("/portal/inventory/purchase-orders")) { "Purchase orders and suppliers" }
                a class="button secondary" href=(ctx.link("/portal/inventory/counts")) { "Stock counts" }
            }
            @if low > 0 { div class="notice" role="status" { (low) " parts at or below their reorder point." } }
            form class="toolbar" method="get" action=(ctx.link("/portal/inventory")) role="search" {
                div class="field" {
                    label for="q" { "Find a part" }
                    input id="q" name="q" type="search" value=(search.unwrap_or("")) placeholder="Number, name, brand or barcode";
                }
                button class="button secondary" type="submit" { "Search" }
            }
            (table_region("Parts", html! {
                table {
                    thead { tr { th scope="col" { "Part" } th scope="col" { "Brand" } th scope="col" { "Price" } th scope="col" { "Available" } } }
                    tbody {
                        @for p in &page_of.items {
                            @let here: Vec<_> = levels.iter().filter(|l| l.part.id == p.id).collect();
                            @let available: i64 = here.iter().map(|l| l.available_milli()).sum();
                            tr {
                                td { a href=(ctx.link(&format!("/portal/inventory/parts/{}", p.id))) { (p.sku) " · " (p.name) } }
                                td { (p.brand.as_deref().unwrap_or("")) }
                                td { @if let Some(price) = workshop.as_ref().and_then(|w| ctx.money(parts::selling_price(w, p))) { (price) } }
                                td { (format_quantity(available)) @if here.iter().any(|l| l.is_low()) { " " span class="badge" { "low" } } }
                            }
                        }
                    }
                }
            }))
            @if page_of.items.is_empty() { p class="muted" { "No parts found." } }
            @if can_adjust {
                section class="card" aria-labelledby="new-part" {
                    h2 id="new-part" { "Add a part" }
                    (error_summary(errors, LABELS))
                    form class="stack" method="post" action=(ctx.link("/portal/inventory/parts")) novalidate {
                        (csrf_input(ctx))
                        (part_fields(typed, errors))
                        div { button class="button" type="submit" { "Add part" } }
                    }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn create_part(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let part = parts::create(inv, &staff.actor, &part_input(&p)).await?;
            Ok(part_path(PartId(part.id)))
        },
        |p, errors| async move { catalogue_page(staff, state, None, &p, &errors).await },
    )
    .await
}

#[handler]
async fn part_page(staff: Staff, state: Data<&AppState>, Path(id): Path<PartId>) -> PageResult {
    part_view(&staff, &state, id, Returned::default()).await
}

/// Where a part's page is.
fn part_path(id: PartId) -> String {
    format!("/portal/inventory/parts/{id}")
}

/// The part's page; `r` is the form that came back, if one did.
async fn part_view(staff: &Staff, state: &AppState, id: PartId, r: Returned) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let inv = &state.inventory;
    let part = parts::get(inv, actor, id).await?;
    let (levels, movements) = stock::part_stock(inv, actor, id).await?;
    let branches: Vec<(String, String)> =
        pitlane_tenancy::branches::overview(&state.store, actor, 500)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|b| (b.id.to_string(), b.name))
            .collect();
    let branch_name = |id: Uuid| {
        branches
            .iter()
            .find(|(b, _)| *b == id.to_string())
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let amount = |minor: i64| ctx.money(minor).map_or(minor.to_string(), |m| m.plain());
    let errors_for = |f: &str| r.errors_of(f);
    let typed_in = |f: &str| r.typed(f).cloned().unwrap_or_default();
    let edit = if let Some(typed) = r.typed("edit") {
        typed.clone()
    } else {
        Pairs(vec![
            ("sku".into(), part.sku.clone()),
            ("name".into(), part.name.clone()),
            ("brand".into(), part.brand.clone().unwrap_or_default()),
            (
                "fitment_notes".into(),
                part.fitment_notes.clone().unwrap_or_default(),
            ),
            ("cost".into(), amount(part.cost_minor)),
            (
                "price".into(),
                part.price_minor.map(amount).unwrap_or_default(),
            ),
            ("tax_class".into(), part.tax_class.clone()),
            ("barcode".into(), part.barcode.clone().unwrap_or_default()),
        ])
    };
    let can_adjust = actor.can(Permission::InventoryAdjust);
    let kinds = [
        ("receive".to_owned(), "Receive".to_owned()),
        (
            "adjust".to_owned(),
            "Adjust (counted, damaged, found…)".to_owned(),
        ),
        (
            "return_to_supplier".to_owned(),
            "Return to supplier".to_owned(),
        ),
    ];
    let movement = typed_in("move");
    let transfer = typed_in("transfer");
    let reorder = typed_in("reorder");
    let body = page(
        ctx,
        &part.name,
        Some("inventory"),
        html! {
            p { a href=(ctx.link("/portal/inventory")) { "← Parts" } }
            h1 { (part.sku) " · " (part.name) }
            // The details form is the page's own; the others have scopes (no id twice).
            (error_summary_in(&r.errors, LABELS, Some(r.form).filter(|f| ["move", "transfer", "reorder"].contains(f))))
            section class="card" aria-labelledby="stock-heading" {
                h2 id="stock-heading" { "Stock" }
                (table_region("Stock", html! {
                    table {
                        thead { tr { th scope="col" { "Branch" } th scope="col" { "On hand" } th scope="col" { "Held for orders" } th scope="col" { "Available" } th scope="col" { "Reorder at" } th scope="col" { "Bin" } } }
                        tbody {
                            @for l in &levels {
                                tr {
                                    td { (branch_name(l.branch_id)) }
                                    td { (format_quantity(l.on_hand_milli)) }
                                    td { (format_quantity(l.reserved_milli)) }
                                    td { (format_quantity(l.on_hand_milli - l.reserved_milli))
                                        @if l.reorder_at_milli.is_some_and(|at| l.on_hand_milli - l.reserved_milli <= at) { " " span class="badge" { "low" } } }
                                    td { (l.reorder_at_milli.map(format_quantity).unwrap_or_else(|| "—".into())) }
                                    td { (l.bin_location.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }))
                @if levels.is_empty() { p class="muted" { "Not stocked anywhere yet." } }
            }
            @if can_adjust {
                section class="card" aria-labelledby="move-heading" {
                    h2 id="move-heading" { "Receive, adjust or return" }
                    form class="stack" method="post" action=(ctx.link(&format!("/portal/inventory/parts/{id}/movements"))) novalidate {
                        (csrf_input(ctx))
                        (select_in(Some("move"), "branch_id", "Branch", &branches, movement.get("branch_id"), errors_for("move")))
                        (select_in(Some("move"), "kind", "Movement", &kinds, movement.get("kind"), errors_for("move")))
                        (Field::new("quantity", "Quantity", movement.get("quantity")).within("move").hint("An adjustment may be negative: -2").render(errors_for("move")))
                        (Field::new("reason", "Reason", movement.get("reason")).within("move").hint("Needed for an adjustment").render(errors_for("move")))
                        div { button class="button" type="submit" { "Record" } }
                    }
                }
                @if branches.len() > 1 {
                    section class="card" aria-labelledby="transfer-heading" {
                        h2 id="transfer-heading" { "Transfer to another branch" }
                        form class="stack" method="post" action=(ctx.link(&format!("/portal/inventory/parts/{id}/transfers"))) novalidate {
                            (csrf_input(ctx))
                            (select_in(Some("transfer"), "from_branch_id", "From", &branches, transfer.get("from_branch_id"), errors_for("transfer")))
                            (select_in(Some("transfer"), "to_branch_id", "To", &branches, transfer.get("to_branch_id"), errors_for("transfer")))
                            (Field::new("quantity", "Quantity", transfer.get("quantity")).within("transfer").render(errors_for("transfer")))
                            div { button class="button secondary" type="submit" { "Transfer" } }
                        }
                    }
                }
                section class="card" aria-labelledby="reorder-heading" {
                    h2 id="reorder-heading" { "Reorder point" }
                    form class="stack" method="post" action=(ctx.link(&format!("/portal/inventory/parts/{id}/reorder"))) novalidate {
                        (csrf_input(ctx))
                        (select_in(Some("reorder"), "branch_id", "Branch", &branches, reorder.get("branch_id"), errors_for("reorder")))
                        (Field::new("reorder_at", "Tell staff when available falls to", reorder.get("reorder_at")).within("reorder").render(errors_for("reorder")))
                        (Field::new("bin_location", "Bin", reorder.get("bin_location")).within("reorder").render(errors_for("reorder")))
                        div { button class="button secondary" type="submit" { "Save" } }
                    }
                }
                section class="card" aria-labelledby="edit-heading" {
                    h2 id="edit-heading" { "Details" }
                    form class="stack" method="post" action=(ctx.link(&format!("/portal/inventory/parts/{id}"))) novalidate {
                        (csrf_input(ctx))
                        (part_fields(&edit, errors_for("edit")))
                        div { button class="button" type="submit" { "Save" } }
                    }
                }
            }
            section class="card" aria-labelledby="ledger-heading" {
                h2 id="ledger-heading" { "Movements" }
                (table_region("Movements", html! {
                    table {
                        thead { tr { th scope="col" { "When" } th scope="col" { "Branch" } th scope="col" { "What" } th scope="col" { "Quantity" } th scope="col" { "Why" } th scope="col" { "By" } } }
                        tbody {
                            @for m in &movements {
                                tr {
                                    td { (m.created_at.format("%Y-%m-%d %H:%M")) }
                                    td { (branch_name(m.branch_id)) }
                                    td { (m.kind.replace('_', " ")) }
                                    td { (format_quantity(m.quantity_milli)) }
                                    td {
                                        (m.reason.as_deref().unwrap_or(""))
                                        @if let Some(o) = m.repair_order_id { a href=(ctx.link(&format!("/portal/repair-orders/{o}"))) { "repair order" } }
                                    }
                                    td { (m.by_name.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }))
            }
        },
    );
    Ok((status_for(&r.errors), body).into_response())
}

#[handler]
async fn update_part(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<PartId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            // The part is the address: another workshop's is not found, whatever the form says.
            parts::get(inv, actor, id).await?;
            parts::update(inv, actor, id, &part_input(&p)).await?;
            Ok(part_path(id))
        },
        |p, errors| part_view(staff, state, id, Returned::new("edit", p, errors)),
    )
    .await
}

#[handler]
async fn record_movement(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<PartId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            parts::get(inv, actor, id).await?;
            let branch_id = p
                .id("branch_id")
                .ok_or_else(|| FieldErrors::single("branch_id", "choose a branch"))?;
            stock::record(
                inv,
                actor,
                &stock::MovementInput {
                    part_id: id,
                    branch_id,
                    kind: p.get("kind").to_owned(),
                    quantity: p.get("quantity").to_owned(),
                    reason: p.optional("reason"),
                },
            )
            .await?;
            Ok(part_path(id))
        },
        |p, errors| part_view(staff, state, id, Returned::new("move", p, errors)),
    )
    .await
}

#[handler]
async fn transfer_stock(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<PartId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            parts::get(inv, actor, id).await?;
            let from = p
                .id("from_branch_id")
                .ok_or_else(|| FieldErrors::single("from_branch_id", "choose a branch"))?;
            let to = p
                .id("to_branch_id")
                .ok_or_else(|| FieldErrors::single("to_branch_id", "choose a branch"))?;
            stock::transfer(inv, actor, id, from, to, p.get("quantity")).await?;
            Ok(part_path(id))
        },
        |p, errors| part_view(staff, state, id, Returned::new("transfer", p, errors)),
    )
    .await
}

#[handler]
async fn set_reorder_point(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<PartId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            parts::get(inv, actor, id).await?;
            let branch_id = p
                .id("branch_id")
                .ok_or_else(|| FieldErrors::single("branch_id", "choose a branch"))?;
            stock::set_reorder(
                inv,
                actor,
                id,
                branch_id,
                p.optional("reorder_at").as_deref(),
                p.optional("bin_location").as_deref(),
            )
            .await?;
            Ok(part_path(id))
        },
        |p, errors| part_view(staff, state, id, Returned::new("reorder", p, errors)),
    )
    .await
}
