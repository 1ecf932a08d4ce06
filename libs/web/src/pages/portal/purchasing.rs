//! The parts room's paperwork in the portal: suppliers, purchase orders (drafted, ordered,
//! received in one or several deliveries) and stock counts with their variance report.

use maud::html;
use pitlane_domain::{
    FieldErrors, ids::PartId, quantity::format_quantity, stock::PurchaseOrderStatus,
};
use pitlane_inventory::{counts, parts, purchasing, suppliers};
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path},
};
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Staff,
    forms::{Field, csrf_input, error_summary, select, status_for},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at(
            "/portal/inventory/purchase-orders",
            get(orders).post(create_order),
        )
        .at("/portal/inventory/purchase-orders/:id", get(order_page))
        .at(
            "/portal/inventory/purchase-orders/:id/order",
            post(mark_ordered),
        )
        .at(
            "/portal/inventory/purchase-orders/:id/cancel",
            post(cancel_order),
        )
        .at(
            "/portal/inventory/purchase-orders/:id/deliveries",
            post(receive),
        )
        .at("/portal/inventory/suppliers", post(create_supplier))
        .at(
            "/portal/inventory/counts",
            get(counts_list).post(start_count),
        )
        .at("/portal/inventory/counts/:id", get(count_page))
        .at("/portal/inventory/counts/:id/counted", post(save_counted))
        .at(
            "/portal/inventory/counts/:id/complete",
            post(complete_count),
        )
}

const LABELS: &[(&str, &str)] = &[
    ("branch_id", "Branch"),
    ("supplier_id", "Supplier"),
    ("name", "Supplier name"),
    ("email", "Supplier e-mail"),
    ("lines", "Parts"),
    ("notes", "Notes"),
    ("status", "Status"),
    ("counted", "Counted"),
    ("csrf", "Form"),
];

/// Rows of a new purchase order's form.
const FORM_LINES: usize = 5;

async fn lookups(
    state: &AppState,
    actor: &pitlane_domain::Actor,
) -> (
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<(String, String)>,
) {
    let branches = pitlane_tenancy::branches::overview(&state.store, actor, 500)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|b| (b.id.to_string(), b.name))
        .collect();
    let suppliers = suppliers::list(&state.inventory, actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.id.to_string(), s.name))
        .collect();
    let mut part_options = vec![(String::new(), "—".to_owned())];
    part_options.extend(
        parts::list(&state.inventory, actor, None, None, 200)
            .await
            .map(|p| p.items)
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.id.to_string(), format!("{} · {}", p.sku, p.name))),
    );
    (branches, suppliers, part_options)
}

#[handler]
async fn orders(staff: Staff, state: Data<&AppState>) -> PageResult {
    orders_page(&staff, &state, "", &Pairs::default(), &FieldErrors::new()).await
}

async fn orders_page(
    staff: &Staff,
    state: &AppState,
    form: &str,
    typed: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let list = purchasing::list(&state.inventory, actor, None).await?;
    let (branches, supplier_options, part_options) = lookups(state, actor).await;
    let supplier_name = |id: Uuid| {
        supplier_options
            .iter()
            .find(|(s, _)| *s == id.to_string())
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let none = FieldErrors::new();
    let errors_for = |f: &str| if form == f { errors } else { &none };
    let typed_in = |f: &str| {
        if form == f {
            typed.clone()
        } else {
            Pairs::default()
        }
    };
    let order = typed_in("order");
    let supplier = typed_in("supplier");
    let can_adjust = actor.can(pitlane_domain::permissions::Permission::InventoryAdjust);
    let body = page(
        ctx,
        "Purchase orders",
        Some("inventory"),
        html! {
            p { a href=(ctx.link("/portal/inventory")) { "← Parts" } }
            h1 { "Purchase orders" }
            (error_summary(errors, LABELS))
            (table_region("Purchase orders", html! {
                table {
                    thead { tr { th scope="col" { "Order" } th scope="col" { "Supplier" } th scope="col" { "Status" } th scope="col" { "Expected" } } }
                    tbody {
                        @for o in &list {
                            tr {
                                td { a href=(ctx.link(&format!("/portal/inventory/purchase-orders/{}", o.id))) { (purchasing::display_number(o.number)) } }
                                td { (supplier_name(o.supplier_id)) }
                                td { (PurchaseOrderStatus::parse(&o.status).map_or("", |s| s.label())) }
                                td { (o.expected_on.map(|d| d.to_string()).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }))
            @if list.is_empty() { p class="muted" { "No purchase orders yet." } }
            @if can_adjust && !supplier_options.is_empty() {
                section class="card" aria-labelledby="new-po" {
                    h2 id="new-po" { "New purchase order" }
                    form class="stack" method="post" action=(ctx.link("/portal/inventory/purchase-orders")) novalidate {
                        (csrf_input(ctx))
                        (select("branch_id", "Deliver to", &branches, order.get("branch_id"), errors_for("order")))
                        (select("supplier_id", "Supplier", &supplier_options, order.get("supplier_id"), errors_for("order")))
                        @for i in 0..FORM_LINES {
                            fieldset class="answer" {
                                legend { "Part " (i + 1) }
                                div class="field" {
                                    label for=(format!("part-{i}")) { "Part" }
                                    select id=(format!("part-{i}")) name=(format!("part_{i}")) {
                                        @for (v, l) in &part_options { option value=(v) selected[order.get(&format!("part_{i}")) == v] { (l) } }
                                    }
                                }
                                div class="field" {
                                    label for=(format!("qty-{i}")) { "Quantity" }
                                    input id=(format!("qty-{i}")) name=(format!("qty_{i}")) value=(order.get(&format!("qty_{i}"))) inputmode="decimal";
                                    @if let Some(e) = errors_for("order").message_for(&format!("lines[{i}].quantity")) { span class="error" { (e) } }
                                }
                            }
                        }
                        (Field::new("notes", "Notes", order.get("notes")).render(errors_for("order")))
                        div { button class="button" type="submit" { "Save draft" } }
                    }
                }
            }
            @if can_adjust {
                section class="card" aria-labelledby="new-supplier" {
                    h2 id="new-supplier" { "Add a supplier" }
                    form class="stack" method="post" action=(ctx.link("/portal/inventory/suppliers")) novalidate {
                        (csrf_input(ctx))
                        (Field::new("name", "Name", supplier.get("name")).required().render(errors_for("supplier")))
                        (Field::new("email", "E-mail", supplier.get("email")).kind("email").render(errors_for("supplier")))
                        (Field::new("phone", "Phone", supplier.get("phone")).render(errors_for("supplier")))
                        div { button class="button secondary" type="submit" { "Add supplier" } }
                    }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn create_order(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let lines = (0..FORM_LINES)
                .filter_map(|i| {
                    p.id(&format!("part_{i}"))
                        .map(|part_id| purchasing::LineInput {
                            part_id: PartId(part_id),
                            quantity: p.get(&format!("qty_{i}")).to_owned(),
                            unit_cost: None,
                        })
                })
                .collect();
            let order = purchasing::create(
                inv,
                &staff.actor,
                &purchasing::PurchaseOrderInput {
                    branch_id: p.id("branch_id").unwrap_or_default(),
                    supplier_id: p.id("supplier_id").unwrap_or_default(),
                    notes: p.optional("notes"),
                    expected_on: None,
                    lines,
                },
            )
            .await?;
            Ok(format!(
                "/portal/inventory/purchase-orders/{}",
                order.order.id
            ))
        },
        |p, errors| async move { orders_page(staff, state, "order", &p, &errors).await },
    )
    .await
}

#[handler]
async fn create_supplier(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            suppliers::create(
                inv,
                &staff.actor,
                &suppliers::SupplierInput {
                    name: p.get("name").to_owned(),
                    email: p.optional("email"),
                    phone: p.optional("phone"),
                    ..Default::default()
                },
            )
            .await?;
            Ok("/portal/inventory/purchase-orders".to_owned())
        },
        |p, errors| async move { orders_page(staff, state, "supplier", &p, &errors).await },
    )
    .await
}

#[handler]
async fn order_page(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    order_view(&staff, &state, id, &Pairs::default(), &FieldErrors::new()).await
}

async fn order_view(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    typed: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let v = purchasing::get(&state.inventory, actor, id).await?;
    let (_, _, part_options) = lookups(state, actor).await;
    let part_name = |id: Uuid| {
        part_options
            .iter()
            .find(|(p, _)| *p == id.to_string())
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let status = PurchaseOrderStatus::parse(&v.order.status).unwrap_or(PurchaseOrderStatus::Draft);
    let base = format!("/portal/inventory/purchase-orders/{id}");
    let can_adjust = actor.can(pitlane_domain::permissions::Permission::InventoryAdjust);
    let body = page(
        ctx,
        &purchasing::display_number(v.order.number),
        Some("inventory"),
        html! {
            p { a href=(ctx.link("/portal/inventory/purchase-orders")) { "← Purchase orders" } }
            h1 { (purchasing::display_number(v.order.number)) }
            (error_summary(errors, LABELS))
            p { "Status: " strong data-status=(v.order.status) { (status.label()) } }
            @if status.accepts_deliveries() && can_adjust {
                form class="stack" method="post" action=(ctx.link(&format!("{base}/deliveries"))) novalidate {
                    (csrf_input(ctx))
                    (delivery_table(ctx, &v, &part_name, Some(typed)))
                    div { button class="button" type="submit" { "Book in the delivery" } }
                }
            } @else {
                (delivery_table(ctx, &v, &part_name, None))
            }
            @if can_adjust {
                div class="actions" {
                    @if status == PurchaseOrderStatus::Draft {
                        form method="post" action=(ctx.link(&format!("{base}/order"))) {
                            (csrf_input(ctx))
                            button class="button" type="submit" { "Mark ordered" }
                        }
                    }
                    @if status.can_cancel() {
                        form method="post" action=(ctx.link(&format!("{base}/cancel"))) {
                            (csrf_input(ctx))
                            button class="button danger" type="submit" { "Cancel the order" }
                        }
                    }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

fn delivery_table(
    ctx: &PageCtx,
    v: &purchasing::PurchaseOrderView,
    part_name: &dyn Fn(Uuid) -> String,
    arriving: Option<&Pairs>,
) -> maud::Markup {
    html! {
        (table_region("Order lines", html! {
            table {
                thead { tr {
                    th scope="col" { "Part" } th scope="col" { "Ordered" } th scope="col" { "Received" } th scope="col" { "Cost each" }
                    @if arriving.is_some() { th scope="col" { "Arrived now" } }
                } }
                tbody {
                    @for l in &v.lines {
                        tr {
                            td { (part_name(l.part_id)) }
                            td { (format_quantity(l.quantity_milli)) }
                            td { (format_quantity(l.received_milli)) }
                            td { @if let Some(cost) = ctx.money(l.unit_cost_minor) { (cost) } }
                            @if let Some(typed) = arriving {
                                td {
                                    label class="visually-hidden" for=(format!("arrived-{}", l.id)) { "Arrived now: " (part_name(l.part_id)) }
                                    input id=(format!("arrived-{}", l.id)) name=(format!("q_{}", l.id)) value=(typed.get(&format!("q_{}", l.id))) inputmode="decimal" size="6";
                                }
                            }
                        }
                    }
                }
            }
        }))
    }
}

#[handler]
async fn mark_ordered(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            purchasing::mark_ordered(inv, &staff.actor, id).await?;
            Ok(format!("/portal/inventory/purchase-orders/{id}"))
        },
        |p, errors| async move { order_view(staff, state, id, &p, &errors).await },
    )
    .await
}

#[handler]
async fn cancel_order(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            purchasing::cancel(inv, &staff.actor, id).await?;
            Ok(format!("/portal/inventory/purchase-orders/{id}"))
        },
        |p, errors| async move { order_view(staff, state, id, &p, &errors).await },
    )
    .await
}

#[handler]
async fn receive(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let lines =
                p.0.iter()
                    .filter_map(|(k, v)| {
                        let line = Uuid::try_parse(k.strip_prefix("q_")?).ok()?;
                        Some((line, v.clone()))
                    })
                    .collect();
            purchasing::receive(inv, &staff.actor, id, &purchasing::Delivery { lines }).await?;
            Ok(format!("/portal/inventory/purchase-orders/{id}"))
        },
        |p, errors| async move { order_view(staff, state, id, &p, &errors).await },
    )
    .await
}

#[handler]
async fn counts_list(staff: Staff, state: Data<&AppState>) -> PageResult {
    counts_page(&staff, &state, &FieldErrors::new()).await
}

async fn counts_page(staff: &Staff, state: &AppState, errors: &FieldErrors) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let list = counts::list(&state.inventory, actor).await?;
    let (branches, _, _) = lookups(state, actor).await;
    let branch_name = |id: Uuid| {
        branches
            .iter()
            .find(|(b, _)| *b == id.to_string())
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let body = page(
        ctx,
        "Stock counts",
        Some("inventory"),
        html! {
            p { a href=(ctx.link("/portal/inventory")) { "← Parts" } }
            h1 { "Stock counts" }
            (error_summary(errors, LABELS))
            ul {
                @for c in &list {
                    li { a href=(ctx.link(&format!("/portal/inventory/counts/{}", c.id))) { (branch_name(c.branch_id)) ", " (c.started_at.format("%Y-%m-%d")) } " · " (c.status) }
                }
            }
            @if actor.can(pitlane_domain::permissions::Permission::InventoryAdjust) {
                form class="toolbar" method="post" action=(ctx.link("/portal/inventory/counts")) {
                    (csrf_input(ctx))
                    (select("branch_id", "Branch", &branches, "", errors))
                    button class="button" type="submit" { "Start a count" }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn start_count(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let branch = p
                .id("branch_id")
                .ok_or_else(|| FieldErrors::single("branch_id", "choose a branch"))?;
            let count = counts::start(inv, &staff.actor, branch).await?;
            Ok(format!("/portal/inventory/counts/{}", count.count.id))
        },
        |_, errors| async move { counts_page(staff, state, &errors).await },
    )
    .await
}

#[handler]
async fn count_page(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    count_view(&staff, &state, id, &Pairs::default(), &FieldErrors::new()).await
}

async fn count_view(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    typed: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let ctx = &staff.ctx;
    let v = counts::get(&state.inventory, &staff.actor, id).await?;
    let open = v.count.status == "open";
    let base = format!("/portal/inventory/counts/{id}");
    let total: i64 = v.lines.iter().filter_map(|l| l.variance_value()).sum();
    let body = page(
        ctx,
        "Stock count",
        Some("inventory"),
        html! {
            p { a href=(ctx.link("/portal/inventory/counts")) { "← Stock counts" } }
            h1 { "Stock count" }
            (error_summary(errors, LABELS))
            p id="count-status" { "Started " (v.count.started_at.format("%Y-%m-%d %H:%M")) @if let Some(by) = &v.count.started_by { " by " (by) } " · " strong { (v.count.status) } }
            form class="stack" method="post" action=(ctx.link(&format!("{base}/counted"))) novalidate {
                (csrf_input(ctx))
                (table_region("Counted parts", html! {
                    table {
                        thead { tr { th scope="col" { "Part" } th scope="col" { "Expected" } th scope="col" { "Counted" } th scope="col" { "Variance" } th scope="col" { "Value" } } }
                        tbody {
                            @for l in &v.lines {
                                tr {
                                    td { (l.part.sku) " · " (l.part.name) }
                                    td { (format_quantity(l.line.expected_milli)) }
                                    td {
                                        @if open {
                                            label class="visually-hidden" for=(format!("counted-{}", l.part.id)) { "Counted: " (l.part.name) }
                                            input id=(format!("counted-{}", l.part.id)) name=(format!("c_{}", l.part.id)) inputmode="decimal" size="6"
                                                value=(if typed.0.is_empty() { l.line.counted_milli.map(format_quantity).unwrap_or_default() } else { typed.get(&format!("c_{}", l.part.id)).to_owned() });
                                        } @else {
                                            (l.line.counted_milli.map(format_quantity).unwrap_or_else(|| "—".into()))
                                        }
                                    }
                                    td { (l.variance_milli().map(format_quantity).unwrap_or_default()) }
                                    td { @if let Some(value) = l.variance_value().and_then(|x| ctx.money(x)) { (value) } }
                                }
                            }
                        }
                    }
                }))
                p { "Variance at cost: " strong { @if let Some(total) = ctx.money(total) { (total) } } }
                @if open { div { button class="button secondary" type="submit" { "Save what was counted" } } }
            }
            @if open {
                form method="post" action=(ctx.link(&format!("{base}/complete"))) {
                    (csrf_input(ctx))
                    button class="button" type="submit" { "Complete: adjust stock to the count" }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn save_counted(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            for (key, value) in &p.0 {
                let Some(part) = key.strip_prefix("c_").and_then(|k| Uuid::try_parse(k).ok())
                else {
                    continue;
                };
                if value.trim().is_empty() {
                    continue;
                }
                counts::record(inv, actor, id, PartId(part), value).await?;
            }
            // An address that is not a count is not found, even with nothing typed.
            counts::get(inv, actor, id).await?;
            Ok(format!("/portal/inventory/counts/{id}"))
        },
        |p, errors| async move { count_view(staff, state, id, &p, &errors).await },
    )
    .await
}

#[handler]
async fn complete_count(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let inv = &state.inventory;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            counts::complete(inv, &staff.actor, id).await?;
            Ok(format!("/portal/inventory/counts/{id}"))
        },
        |p, errors| async move { count_view(staff, state, id, &p, &errors).await },
    )
    .await
}
