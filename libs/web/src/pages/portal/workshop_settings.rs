//! Settings → Workshop: how work is priced and paid (labour rate, cost and tax per branch,
//! parts markup, shop supplies, negative stock, the pay period), canned jobs, and the
//! inspection checklists.

use maud::html;
use pitlane_domain::{
    FieldErrors,
    ids::PartId,
    money::Money,
    quantity::{format_percent, format_quantity},
    text::CurrencyCode,
};
use pitlane_workshop::{canned, inspections, settings};
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path},
};
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Returned, Staff,
    forms::{Field, checkbox_group, csrf_input, error_summary, select, status_for, textarea},
    page, submit,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/settings/workshop", get(show).post(save))
        .at("/portal/settings/workshop/branches/:id", post(save_rates))
        .at("/portal/settings/workshop/canned-jobs", post(add_canned))
        .at("/portal/settings/workshop/checklists", post(add_checklist))
}

const LABELS: &[(&str, &str)] = &[
    ("parts_markup_percent", "Parts markup"),
    ("shop_supplies_percent", "Shop supplies"),
    ("shop_supplies_cap", "Shop supplies cap"),
    ("pay_period", "Pay period"),
    ("labour_rate", "Labour rate"),
    ("labour_cost", "Labour cost"),
    ("tax_percent", "Tax"),
    ("name", "Name"),
    ("checklist_name", "Checklist name"),
    ("skill", "Skill"),
    ("lines", "Lines"),
    ("lines[0].description", "Labour"),
    ("lines[0].quantity", "Hours"),
    ("lines[1].quantity", "Part quantity"),
    ("items", "Points"),
    ("csrf", "Form"),
];

fn percent_value(bp: i32) -> String {
    format_percent(bp).trim_end_matches('%').to_owned()
}

#[handler]
async fn show(staff: Staff, state: Data<&AppState>) -> PageResult {
    settings_page(&staff, &state, Returned::default()).await
}

/// The settings page; `r` is the form that came back, if one did.
async fn settings_page(staff: &Staff, state: &AppState, r: Returned) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let ws = &state.workshop;
    // Costs and pay are for those who set them.
    actor.require(pitlane_domain::permissions::Permission::SettingsManage)?;
    let s = settings::get(ws, actor).await?;
    let canned_jobs = canned::list(ws, actor).await.unwrap_or_default();
    let templates = inspections::templates(ws, actor).await.unwrap_or_default();
    let parts = pitlane_inventory::parts::list(&state.inventory, actor, None, None, 200)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let currency = CurrencyCode::parse(&s.currency).ok();
    let amount = |minor: i64| {
        currency
            .as_ref()
            .map_or(minor.to_string(), |c| Money::new(minor, c.clone()).plain())
    };
    let none = FieldErrors::new();
    let errors_for = |f: &str| r.errors_of(f);
    let pricing = if let Some(typed) = r.typed("pricing") {
        typed.clone()
    } else {
        Pairs(vec![
            (
                "parts_markup_percent".into(),
                percent_value(s.parts_markup_bp),
            ),
            (
                "shop_supplies_percent".into(),
                percent_value(s.shop_supplies_bp),
            ),
            (
                "shop_supplies_cap".into(),
                if s.shop_supplies_cap_minor > 0 {
                    amount(s.shop_supplies_cap_minor)
                } else {
                    String::new()
                },
            ),
            (
                "allow_negative_stock".into(),
                if s.allow_negative_stock {
                    "yes".into()
                } else {
                    String::new()
                },
            ),
            ("pay_period".into(), s.pay_period.clone()),
        ])
    };
    let periods = [
        ("weekly".to_owned(), "Weekly".to_owned()),
        ("fortnightly".to_owned(), "Fortnightly".to_owned()),
        ("monthly".to_owned(), "Monthly".to_owned()),
    ];
    let mut part_options = vec![(String::new(), "No part".to_owned())];
    part_options.extend(
        parts
            .iter()
            .map(|p| (p.id.to_string(), format!("{} · {}", p.sku, p.name))),
    );
    let canned_typed = r.typed("canned").cloned().unwrap_or_default();
    let template_typed = r.typed("template").cloned().unwrap_or_default();
    let body = page(
        ctx,
        "Workshop settings",
        Some("settings"),
        html! {
            p { a href=(ctx.link("/portal/settings")) { "← Settings" } }
            h1 { "Workshop settings" }
            (error_summary(&r.errors, LABELS))
            section class="card" aria-labelledby="pricing-heading" {
                h2 id="pricing-heading" { "Pricing and pay" }
                form class="stack" method="post" action=(ctx.link("/portal/settings/workshop")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("parts_markup_percent", "Parts markup (%)", pricing.get("parts_markup_percent")).hint("Over cost, for parts without a price of their own").render(errors_for("pricing")))
                    (Field::new("shop_supplies_percent", "Shop supplies (% of labour)", pricing.get("shop_supplies_percent")).hint("0 turns them off").render(errors_for("pricing")))
                    (Field::new("shop_supplies_cap", "Shop supplies cap", pricing.get("shop_supplies_cap")).hint("Empty: no cap").render(errors_for("pricing")))
                    (checkbox_group("allow_negative_stock", "Stock", &[("yes".to_owned(), "Allow stock to go below zero (parts used before they are booked in)".to_owned())], &pricing.all("allow_negative_stock"), errors_for("pricing")))
                    (select("pay_period", "Mechanics' pay period", &periods, pricing.get("pay_period"), errors_for("pricing")))
                    div { button class="button" type="submit" { "Save" } }
                }
            }
            @for b in &s.branches {
                @let mine = r.value("rates", "branch_id") == b.id.to_string();
                @let rates = if mine { r.pairs.clone() } else { Pairs(vec![
                    ("labour_rate".into(), amount(b.labour_rate_minor)),
                    ("labour_cost".into(), amount(b.labour_cost_minor)),
                    ("tax_percent".into(), percent_value(b.tax_rate_bp)),
                ]) };
                @let e = if mine { &r.errors } else { &none };
                section class="card" aria-labelledby=(format!("rates-{}", b.id)) {
                    h2 id=(format!("rates-{}", b.id)) { (b.name) ": labour and tax" }
                    form class="stack" method="post" action=(ctx.link(&format!("/portal/settings/workshop/branches/{}", b.id))) novalidate {
                        (csrf_input(ctx))
                        input type="hidden" name="branch_id" value=(b.id);
                        (Field::new("labour_rate", "Labour rate per hour", rates.get("labour_rate")).render(e))
                        (Field::new("labour_cost", "What an hour costs you", rates.get("labour_cost")).hint("For gross profit").render(e))
                        (Field::new("tax_percent", "Tax (%)", rates.get("tax_percent")).render(e))
                        div { button class="button secondary" type="submit" { "Save " (b.name) } }
                    }
                }
            }
            section class="card" aria-labelledby="canned-heading" {
                h2 id="canned-heading" { "Canned jobs" }
                ul {
                    @for c in &canned_jobs {
                        li { strong { (c.job.name) } ": "
                            @for (i, l) in c.lines.iter().enumerate() { @if i > 0 { ", " } (l.description) " (" (format_quantity(l.quantity_milli)) ")" } }
                    }
                }
                h3 { "Add a canned job" }
                form class="stack" method="post" action=(ctx.link("/portal/settings/workshop/canned-jobs")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("name", "Name", canned_typed.get("name")).hint("Such as: Front brake pads").render(errors_for("canned")))
                    (Field::new("skill", "Skill it needs", canned_typed.get("skill")).render(errors_for("canned")))
                    (Field::new("labour", "Labour", canned_typed.get("labour")).render(errors_for("canned")))
                    (Field::new("hours", "Hours", canned_typed.get("hours")).render(errors_for("canned")))
                    (select("part_id", "Part", &part_options, canned_typed.get("part_id"), errors_for("canned")))
                    (Field::new("part_quantity", "Part quantity", canned_typed.get("part_quantity")).render(errors_for("canned")))
                    div { button class="button secondary" type="submit" { "Add canned job" } }
                }
            }
            section class="card" aria-labelledby="templates-heading" {
                h2 id="templates-heading" { "Inspection checklists" }
                p class="muted" { "Without one of your own, inspections use the built-in multi-point check (" (inspections::BUILT_IN.len()) " points)." }
                ul { @for t in &templates { li { strong { (t.template.name) } " · " (t.items.len()) " points" } } }
                form class="stack" method="post" action=(ctx.link("/portal/settings/workshop/checklists")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("checklist_name", "Name", template_typed.get("checklist_name")).render(errors_for("template")))
                    (textarea("items", "Points, one a line: Section: point", template_typed.get("items"), errors_for("template")))
                    div { button class="button secondary" type="submit" { "Add checklist" } }
                }
            }
        },
    );
    Ok((status_for(&r.errors), body).into_response())
}

#[handler]
async fn save(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            settings::update(
                ws,
                &staff.actor,
                &settings::SettingsInput {
                    parts_markup_percent: p.get("parts_markup_percent").to_owned(),
                    price_matrix: Vec::new(),
                    shop_supplies_percent: p.get("shop_supplies_percent").to_owned(),
                    shop_supplies_cap: p.optional("shop_supplies_cap"),
                    allow_negative_stock: p.get("allow_negative_stock") == "yes",
                    pay_period: p.get("pay_period").to_owned(),
                },
            )
            .await?;
            Ok("/portal/settings/workshop".to_owned())
        },
        |p, errors| settings_page(staff, state, Returned::new("pricing", p, errors)),
    )
    .await
}

#[handler]
async fn save_rates(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            settings::set_branch_rates(
                ws,
                &staff.actor,
                id,
                &settings::BranchRatesInput {
                    labour_rate: p.get("labour_rate").to_owned(),
                    labour_cost: p.get("labour_cost").to_owned(),
                    tax_percent: p.get("tax_percent").to_owned(),
                },
            )
            .await?;
            Ok("/portal/settings/workshop".to_owned())
        },
        |p, errors| settings_page(staff, state, Returned::new("rates", p, errors)),
    )
    .await
}

#[handler]
async fn add_canned(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let mut lines = Vec::new();
            if let Some(labour) = p.optional("labour") {
                lines.push(canned::CannedLineInput {
                    kind: "labour".into(),
                    description: labour,
                    quantity: p.optional("hours"),
                    ..Default::default()
                });
            }
            if let Some(part) = p.id("part_id") {
                lines.push(canned::CannedLineInput {
                    kind: "part".into(),
                    description: "Part".into(),
                    quantity: p.optional("part_quantity"),
                    part_id: Some(PartId(part)),
                    ..Default::default()
                });
            }
            canned::save(
                ws,
                &staff.actor,
                None,
                &canned::CannedJobInput {
                    name: p.get("name").to_owned(),
                    description: None,
                    skill: p.optional("skill"),
                    lines,
                },
            )
            .await?;
            Ok("/portal/settings/workshop#canned-heading".to_owned())
        },
        |p, errors| {
            let errors = errors.renamed("lines[0].quantity", "hours");
            settings_page(staff, state, Returned::new("canned", p, errors))
        },
    )
    .await
}

#[handler]
async fn add_checklist(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let points: Vec<(String, String)> = p
                .get("items")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| match l.split_once(':') {
                    Some((section, label)) => (section.trim().to_owned(), label.trim().to_owned()),
                    None => ("General".to_owned(), l.to_owned()),
                })
                .collect();
            inspections::save_template(ws, &staff.actor, None, p.get("checklist_name"), &points)
                .await
                .map_err(|e| e.renamed("name", "checklist_name"))?;
            Ok("/portal/settings/workshop#templates-heading".to_owned())
        },
        |p, errors| settings_page(staff, state, Returned::new("template", p, errors)),
    )
    .await
}
