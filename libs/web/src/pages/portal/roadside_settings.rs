//! Settings → Roadside help: per branch, whether it drives out, where it is, how far, what a
//! call-out costs, how long a request waits before it is offered wider and then to the
//! dispatcher, the board's targets and the mechanic's share; and which mechanics drive out.

use maud::html;
use pitlane_domain::{
    FieldErrors,
    money::{parse_amount, plain_amount},
    roadside::GeoPoint,
    text::CurrencyCode,
};
use pitlane_roadside::{
    dispatch,
    settings::{self, RoadsideSettings},
};
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Returned, Staff,
    forms::{Field, csrf_input, error_summary, select, status_for},
    page, submit,
};
use crate::tenant::TenantScope;
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/settings/roadside", get(show).post(save))
        .at("/portal/settings/roadside/mechanics/:id", post(set_mechanic))
}

const LABELS: &[(&str, &str)] = &[
    ("branch_id", "Branch"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("radius_m", "Service area"),
    ("call_out_minor", "Call-out fee"),
    ("per_km_minor", "Price per km"),
    ("included_km", "Kilometres included"),
    ("speed_kmh", "Average speed"),
    ("near_m", "First ring"),
    ("wide_m", "Wider ring"),
    ("widen_after_s", "Offer wider after"),
    ("dispatcher_after_s", "Ask the dispatcher after"),
    ("accept_target_s", "Target to accept"),
    ("arrive_target_s", "Target to arrive"),
    ("call_out_commission_bp", "Mechanic's share"),
    ("takes_roadside", "Drives out"),
    ("csrf", "Form"),
];

#[derive(Deserialize, Default)]
pub struct BranchQuery {
    #[serde(default)]
    branch_id: Option<Uuid>,
}

fn currency_of(scope: &TenantScope) -> Result<CurrencyCode, FieldErrors> {
    CurrencyCode::parse(&scope.tenant.currency)
        .map_err(|e| FieldErrors::single("call_out_minor", e.to_string()))
}

/// The form's values, in the units people type: km, minutes, percent, money.
fn typed(s: &RoadsideSettings, currency: &CurrencyCode) -> Vec<(&'static str, String)> {
    let centre = s.centre();
    vec![
        ("latitude", centre.map(|p| format!("{:.6}", p.lat())).unwrap_or_default()),
        ("longitude", centre.map(|p| format!("{:.6}", p.lon())).unwrap_or_default()),
        ("radius_km", (s.radius_m / 1000).to_string()),
        ("call_out", plain_amount(s.call_out_minor, currency)),
        ("per_km", plain_amount(s.per_km_minor, currency)),
        ("included_km", s.included_km.to_string()),
        ("speed_kmh", s.speed_kmh.to_string()),
        ("near_km", (s.near_m / 1000).to_string()),
        ("wide_km", (s.wide_m / 1000).to_string()),
        ("widen_after_min", (s.widen_after_s / 60).to_string()),
        ("dispatcher_after_min", (s.dispatcher_after_s / 60).to_string()),
        ("accept_target_min", (s.accept_target_s / 60).to_string()),
        ("arrive_target_min", (s.arrive_target_s / 60).to_string()),
        ("commission_percent", (f64::from(s.call_out_commission_bp) / 100.0).to_string()),
    ]
}

fn read(p: &Pairs, branch_id: Uuid, currency: &CurrencyCode) -> Result<RoadsideSettings, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut whole = |name: &str, field: &str, times: i32| -> i32 {
        match p.get(name).trim().parse::<i32>() {
            Ok(v) if v.checked_mul(times).is_some() => v * times,
            _ => {
                errors.add(field, "a whole number");
                0
            }
        }
    };
    let radius_m = whole("radius_km", "radius_m", 1000);
    let included_km = whole("included_km", "included_km", 1);
    let speed_kmh = whole("speed_kmh", "speed_kmh", 1);
    let near_m = whole("near_km", "near_m", 1000);
    let wide_m = whole("wide_km", "wide_m", 1000);
    let widen_after_s = whole("widen_after_min", "widen_after_s", 60);
    let dispatcher_after_s = whole("dispatcher_after_min", "dispatcher_after_s", 60);
    let accept_target_s = whole("accept_target_min", "accept_target_s", 60);
    let arrive_target_s = whole("arrive_target_min", "arrive_target_s", 60);
    let mut amount = |name: &str, field: &str| -> i64 {
        parse_amount(p.get(name), currency).unwrap_or_else(|e| {
            errors.add(field, e);
            0
        })
    };
    let call_out_minor = amount("call_out", "call_out_minor");
    let per_km_minor = amount("per_km", "per_km_minor");
    let commission = match p.get("commission_percent").trim().replace(',', ".").parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => (v * 100.0).round() as i32,
        _ => {
            errors.add("call_out_commission_bp", "a percentage from 0 to 100");
            0
        }
    };
    let number = |name: &str| p.get(name).trim().replace(',', ".").parse::<f64>().ok();
    let (lat_micro, lon_micro) = match (number("latitude"), number("longitude")) {
        (Some(lat), Some(lon)) => match GeoPoint::new(lat, lon) {
            Ok(at) => {
                let (a, b) = at.to_micro();
                (Some(a), Some(b))
            }
            Err(e) => {
                errors.add("latitude", e);
                (None, None)
            }
        },
        _ if p.get("latitude").trim().is_empty() && p.get("longitude").trim().is_empty() => {
            (None, None)
        }
        _ => {
            errors.add("latitude", "give the branch's latitude and longitude in degrees, like 52.3702 and 4.8952");
            (None, None)
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(RoadsideSettings {
        branch_id,
        enabled: p.get("enabled") == "yes",
        lat_micro,
        lon_micro,
        radius_m,
        call_out_minor,
        per_km_minor,
        included_km,
        speed_kmh,
        near_m,
        wide_m,
        widen_after_s,
        dispatcher_after_s,
        accept_target_s,
        arrive_target_s,
        call_out_commission_bp: commission,
    })
}

async fn settings_page(
    staff: &Staff,
    state: &AppState,
    scope: &TenantScope,
    branch_id: Option<Uuid>,
    back: Returned,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let branches = pitlane_tenancy::branches::public_list(&state.store, &scope.ctx()).await?;
    // A branch named but not found (another workshop's) is a 404, not the first branch.
    let chosen = match branch_id {
        Some(id) => branches.iter().find(|b| b.id == id),
        None => branches.first(),
    };
    let Some(branch) = chosen else {
        return Err(pitlane_domain::ServiceError::NotFound.into());
    };
    let current = settings::get(&state.roadside, actor, branch.id).await?;
    let currency = currency_of(scope).map_err(pitlane_domain::ServiceError::from)?;
    let stored = typed(&current, &currency);
    let value = |name: &str| -> String {
        match back.typed("settings") {
            Some(p) => p.get(name).to_owned(),
            None => stored
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        }
    };
    let enabled = match back.typed("settings") {
        Some(p) => p.get("enabled") == "yes",
        None => current.enabled,
    };
    let errors = back.errors_of("settings");
    let mechanics = pitlane_frontdesk::resources::mechanics(&state.frontdesk, actor).await?;
    let driving = dispatch::drivers(&state.roadside, actor).await?;
    let body = page(
        ctx,
        "Roadside help",
        Some("settings"),
        html! {
            h1 { "Roadside help" }
            p { a href=(ctx.link("/portal/settings")) { "← Settings" } }
            (error_summary(errors, LABELS))
            @if branches.len() > 1 {
                form class="stack" method="get" action=(ctx.link("/portal/settings/roadside")) {
                    (select("branch_id", "Branch", &branches.iter().map(|b| (b.id.to_string(), b.name.clone())).collect::<Vec<_>>(), &branch.id.to_string(), &FieldErrors::new()))
                    div { button class="button secondary" type="submit" { "Show" } }
                }
            }
            form class="stack card" method="post" action=(ctx.link("/portal/settings/roadside")) novalidate {
                (csrf_input(ctx))
                input type="hidden" name="branch_id" value=(branch.id);
                h2 { (branch.name) }
                label class="check" {
                    input type="checkbox" name="enabled" value="yes" checked[enabled];
                    " This branch takes roadside requests on the workshop's site"
                }
                div class="grid-3" {
                    (Field::new("latitude", "Latitude of the branch", &value("latitude")).hint("Degrees, like 52.3702").render(errors))
                    (Field::new("longitude", "Longitude of the branch", &value("longitude")).hint("Degrees, like 4.8952").render(errors))
                    (Field::new("radius_km", "Drives out up to (km)", &value("radius_km")).kind("number").render(errors))
                }
                div class="grid-3" {
                    (Field::new("call_out", "Call-out fee", &value("call_out")).hint(currency.as_str()).render(errors))
                    (Field::new("included_km", "Kilometres included", &value("included_km")).kind("number").render(errors))
                    (Field::new("per_km", "Then per km", &value("per_km")).hint(currency.as_str()).render(errors))
                }
                div class="grid-3" {
                    (Field::new("near_km", "First offered within (km)", &value("near_km")).kind("number").render(errors))
                    (Field::new("widen_after_min", "Offer wider after (min)", &value("widen_after_min")).kind("number").render(errors))
                    (Field::new("wide_km", "Wider ring (km)", &value("wide_km")).kind("number").render(errors))
                }
                div class="grid-3" {
                    (Field::new("dispatcher_after_min", "Ask the dispatcher after (min)", &value("dispatcher_after_min")).kind("number").render(errors))
                    (Field::new("accept_target_min", "Target to accept (min)", &value("accept_target_min")).kind("number").render(errors))
                    (Field::new("arrive_target_min", "Target to arrive (min)", &value("arrive_target_min")).kind("number").render(errors))
                }
                div class="grid-3" {
                    (Field::new("speed_kmh", "Average speed for estimates (km/h)", &value("speed_kmh")).kind("number").render(errors))
                    (Field::new("commission_percent", "Mechanic's share of the call-out fee (%)", &value("commission_percent")).render(errors))
                }
                div { button class="button" type="submit" { "Save" } }
            }
            section class="card" aria-labelledby="drivers-heading" {
                h2 id="drivers-heading" { "Mechanics who drive out" }
                (error_summary(back.errors_of("mechanics"), LABELS))
                @if mechanics.is_empty() { p { "No mechanics yet." } }
                ul {
                    @for m in &mechanics {
                        @let takes = driving.contains(&m.membership_id);
                        li {
                            form class="inline" method="post" action=(ctx.link(&format!("/portal/settings/roadside/mechanics/{}", m.membership_id))) {
                                (csrf_input(ctx))
                                input type="hidden" name="takes_roadside" value=(if takes { "no" } else { "yes" });
                                (m.name) @if takes { " · drives out " } @else { " · does not drive out " }
                                button class="button secondary" type="submit" {
                                    @if takes { "Stop" } @else { "Let drive out" }
                                    span class="visually-hidden" { ": " (m.name) }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn show(
    staff: Staff,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<BranchQuery>,
) -> PageResult {
    settings_page(&staff, &state, &scope, q.branch_id, Returned::default()).await
}

#[handler]
async fn save(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let branch_id = Uuid::try_parse(form.get("branch_id")).ok();
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let branch = branch_id.ok_or(pitlane_domain::ServiceError::NotFound)?;
            // Another workshop's branch is not found before anything typed is read.
            settings::get(&state.roadside, &staff.actor, branch).await?;
            let wanted = read(&p, branch, &currency_of(scope)?)?;
            settings::update(&state.roadside, &staff.actor, wanted).await?;
            Ok(format!("/portal/settings/roadside?branch_id={branch}"))
        },
        |p, errors| async move {
            settings_page(staff, state, scope, branch_id, Returned::new("settings", p, errors))
                .await
        },
    )
    .await
}

#[handler]
async fn set_mechanic(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            dispatch::set_takes_roadside(
                &state.roadside,
                &staff.actor,
                id,
                p.get("takes_roadside") == "yes",
            )
            .await?;
            Ok("/portal/settings/roadside".to_owned())
        },
        |p, errors| async move {
            settings_page(staff, state, scope, None, Returned::new("mechanics", p, errors)).await
        },
    )
    .await
}
