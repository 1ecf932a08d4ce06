//! `/portal/reports`: every report, one page each, over a range of days for a branch or the
//! whole chain, with headlines compared with earlier periods, charts drawn from the tables,
//! CSV downloads and a printable layout. The reports themselves are `pitlane_reports`.

use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors,
    quantity::format_quantity,
    reports::{Preset, safe_cell},
    text::CurrencyCode,
};
use pitlane_reports::{
    Report, ReportKind, ReportQuery,
    print::Letterhead,
    report::{ChartKind, Headline, Table, Unit, Value},
    text::{self, change, shown},
};
use poem::{
    IntoResponse, Response, Route, get, handler,
    http::{StatusCode, header},
    web::{Data, Path, Query},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageError, PageResult, Staff,
    chart::{ChartData, bars, over_time},
    forms::{error_summary, query_link, select, status_for},
    page, table_region,
};
use crate::tenant::TenantScope;
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/reports", get(index))
        .at("/portal/reports/:kind", get(show))
        .at("/portal/reports/:kind/export", get(export))
        .at("/portal/reports/:kind/pdf", get(pdf))
}

/// The report's choices as the form (and its links) carry them.
#[derive(Deserialize, Default, Clone)]
struct Filters {
    preset: Option<String>,
    from: Option<String>,
    to: Option<String>,
    branch_id: Option<String>,
    grain: Option<String>,
    /// The table a CSV download is of.
    table: Option<String>,
}

impl Filters {
    fn query(&self) -> Result<ReportQuery, FieldErrors> {
        let branch_id = match self.branch_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(
                uuid::Uuid::try_parse(raw)
                    .map_err(|_| FieldErrors::single("branch_id", "no such branch"))?,
            ),
        };
        Ok(ReportQuery {
            preset: self.preset.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            branch_id,
            grain: self.grain.clone(),
        })
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("preset", self.preset.clone().unwrap_or_default()),
            ("from", self.from.clone().unwrap_or_default()),
            ("to", self.to.clone().unwrap_or_default()),
            ("branch_id", self.branch_id.clone().unwrap_or_default()),
            ("grain", self.grain.clone().unwrap_or_default()),
        ]
    }
}

fn kind_of(raw: &str) -> Result<ReportKind, PageError> {
    ReportKind::parse(raw).ok_or(PageError::from(pitlane_domain::ServiceError::NotFound))
}

#[handler]
async fn index(staff: Staff) -> PageResult {
    let kinds = pitlane_reports::catalogue(&staff.actor)?;
    let ctx = &staff.ctx;
    let body = html! {
        h1 { "Reports" }
        p class="muted" { "Every report covers a range of days for one branch or the whole chain, compared with the period before and the same period last year. Each downloads as CSV and prints." }
        ul class="report-list" {
            @for kind in kinds {
                li class="card" {
                    h2 { a href=(ctx.link(&format!("/portal/reports/{}", kind.key()))) { (kind.title()) } }
                    p { (kind.summary()) }
                }
            }
        }
    };
    Ok(page(ctx, "Reports", Some("reports"), body).into_response())
}

fn headline_card(h: &Headline, report: &Report, currency: &CurrencyCode) -> Markup {
    let value = |n: Option<i64>| shown(h.unit, &Value::maybe(n), currency);
    let compared = h.previous.is_some() || h.last_year.is_some();
    html! {
        div class="headline" data-headline=(h.key) {
            div class="headline-label" { (h.label) }
            div class="figure" { (value(h.current)) }
            @if compared {
                div class="compare" {
                    span title=(format!("{} to {}", report.previous.from, report.previous.to)) {
                        "Before: " (value(h.previous))
                        @if let Some(c) = change(h.current, h.previous) { " (" (c) ")" }
                    }
                    br;
                    span title=(format!("{} to {}", report.last_year.from, report.last_year.to)) {
                        "Last year: " (value(h.last_year))
                        @if let Some(c) = change(h.current, h.last_year) { " (" (c) ")" }
                    }
                }
            }
        }
    }
}

/// A report table as an HTML table: the first column heads each row, figures align right,
/// the totals in the footer. Repair histories show theirs the same way.
pub(crate) fn table_markup(t: &Table, currency: &CurrencyCode) -> Markup {
    let numeric = |u: Unit| !matches!(u, Unit::Text | Unit::Date);
    html! {
        table id=(format!("t-{}", t.key)) {
            thead { tr { @for c in &t.columns { th scope="col" class=[numeric(c.unit).then_some("num")] { (c.label) } } } }
            tbody {
                @if t.rows.is_empty() {
                    tr { td colspan=(t.columns.len()) class="muted" { "Nothing in this period." } }
                }
                @for row in &t.rows {
                    tr {
                        @for (i, (c, v)) in t.columns.iter().zip(row).enumerate() {
                            @if i == 0 { th scope="row" { (shown(c.unit, v, currency)) } }
                            @else { td class=[numeric(c.unit).then_some("num")] { (shown(c.unit, v, currency)) } }
                        }
                    }
                }
            }
            @if let Some(totals) = &t.totals {
                @if !t.rows.is_empty() {
                    tfoot { tr {
                        @for (i, (c, v)) in t.columns.iter().zip(totals).enumerate() {
                            @if i == 0 { th scope="row" { (shown(c.unit, v, currency)) } }
                            @else { td class=[numeric(c.unit).then_some("num")] { (shown(c.unit, v, currency)) } }
                        }
                    } }
                }
            }
        }
    }
}

fn charts_of(t: &Table, currency: &CurrencyCode) -> Markup {
    html! {
        @for (n, chart) in t.charts.iter().enumerate() {
            @for &series in &chart.series {
                @if let Some(column) = t.columns.get(series) {
                    @let labels: Vec<String> = t.rows.iter().map(|r| shown(t.columns[0].unit, &r[0], currency)).collect();
                    @let values: Vec<Option<i64>> = t.rows.iter().map(|r| r.get(series).and_then(Value::number)).collect();
                    @let id = format!("chart-{}-{n}-{series}", t.key);
                    @let description = format!("{} for each row of the table “{}” below, which holds the exact figures.", column.label, t.title);
                    @let data = ChartData { id: &id, title: &chart.title, description: &description, labels, values };
                    @let unit = column.unit;
                    @let format = |v: i64| shown(unit, &Value::Number(v), currency);
                    @if !t.rows.is_empty() {
                        @if t.columns[0].unit == Unit::Date {
                            (over_time(&data, chart.kind == ChartKind::Line, format))
                        } @else {
                            (bars(&data, format))
                        }
                    }
                }
            }
        }
    }
}

fn filters_form(
    ctx: &PageCtx,
    kind: ReportKind,
    filters: &Filters,
    branches: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    let presets: Vec<(String, String)> = Preset::ALL
        .iter()
        .map(|p| (p.key().to_owned(), p.label().to_owned()))
        .collect();
    let mut branch_options = vec![(String::new(), "All branches".to_owned())];
    branch_options.extend(branches.iter().cloned());
    let grains = vec![
        (String::new(), "Fit to the range".to_owned()),
        ("day".to_owned(), "By day".to_owned()),
        ("week".to_owned(), "By week".to_owned()),
        ("month".to_owned(), "By month".to_owned()),
    ];
    html! {
        (error_summary(errors, &[("preset", "Range"), ("from", "From"), ("to", "To"), ("branch_id", "Branch"), ("grain", "Group by")]))
        form class="report-filters" method="get" action=(ctx.link(&format!("/portal/reports/{}", kind.key()))) novalidate {
            (select("preset", "Range", &presets, filters.preset.as_deref().unwrap_or("month"), errors))
            div class="field" {
                label for="f-from" { "From (custom range)" }
                input id="f-from" name="from" type="date" value=(filters.from.as_deref().unwrap_or(""))
                    aria-invalid=[errors.message_for("from").map(|_| "true")]
                    aria-describedby=[errors.message_for("from").map(|_| "f-from-error")];
                @if let Some(e) = errors.message_for("from") { span class="error" id="f-from-error" { (e) } }
            }
            div class="field" {
                label for="f-to" { "To (custom range)" }
                input id="f-to" name="to" type="date" value=(filters.to.as_deref().unwrap_or(""))
                    aria-invalid=[errors.message_for("to").map(|_| "true")]
                    aria-describedby=[errors.message_for("to").map(|_| "f-to-error")];
                @if let Some(e) = errors.message_for("to") { span class="error" id="f-to-error" { (e) } }
            }
            (select("branch_id", "Branch", &branch_options, filters.branch_id.as_deref().unwrap_or(""), errors))
            @if kind == ReportKind::Trend {
                (select("grain", "Group by", &grains, filters.grain.as_deref().unwrap_or(""), errors))
            }
            div { button class="button" type="submit" { "Show" } }
        }
    }
}

async fn branch_options(
    state: &AppState,
    staff: &Staff,
) -> Result<Vec<(String, String)>, PageError> {
    let branches = pitlane_tenancy::branches::overview(&state.store, &staff.actor, 200).await?;
    Ok(branches
        .into_iter()
        .map(|b| (b.id.to_string(), b.name))
        .collect())
}

#[handler]
async fn show(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(kind): Path<String>,
    Query(filters): Query<Filters>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    let ctx = &staff.ctx;
    let branches = branch_options(state, &staff).await?;
    let result = match filters.query() {
        Ok(query) => pitlane_reports::run(&state.reports, &staff.actor, kind, &query).await,
        Err(errors) => Err(errors.into()),
    };
    let (report, errors) = match result {
        Ok(report) => (Some(report), FieldErrors::new()),
        Err(pitlane_domain::ServiceError::Invalid(errors)) => (None, errors),
        Err(other) => return Err(other.into()),
    };
    let currency = text::currency(report.as_ref().map_or("EUR", |r| r.currency.as_str()));
    let export_link = |table: &str| {
        let mut pairs = filters.pairs();
        pairs.push(("table", table.to_owned()));
        ctx.link(&query_link(&format!("/portal/reports/{}/export", kind.key()), &pairs))
    };
    // The declined work's follow-up: a campaign ready to send to those customers.
    let can_campaign = kind == ReportKind::Estimates
        && staff
            .actor
            .can(pitlane_domain::permissions::Permission::SettingsManage);
    let pdf_link = ctx.link(&query_link(
        &format!("/portal/reports/{}/pdf", kind.key()),
        &filters.pairs(),
    ));
    let body = html! {
        p class="no-print" {
            @if staff.actor.can(pitlane_domain::permissions::Permission::ReportsView) {
                a href=(ctx.link("/portal/reports")) { "All reports" }
            } @else {
                a href=(ctx.link("/portal/my-jobs")) { "My jobs" }
            }
        }
        h1 { (kind.title()) }
        p class="muted" { (kind.summary()) }
        (filters_form(ctx, kind, &filters, &branches, &errors))
        @if let Some(report) = &report {
            p class="report-period" {
                strong { (report.branch.as_ref().map_or("All branches", |b| b.1.as_str())) }
                " · " (text::period(report))
            }
            p class="no-print" {
                a href=(export_link("headlines")) download { "Download the headlines (CSV)" }
                " · "
                a href=(pdf_link) { "Download as PDF" }
                " · or print this page from your browser: the menus are left off the paper."
            }
            @if !report.headlines.is_empty() {
                section aria-labelledby="headlines-heading" {
                    h2 id="headlines-heading" class="visually-hidden" { "Headlines" }
                    div class="headlines" {
                        @for h in &report.headlines { (headline_card(h, report, &currency)) }
                    }
                }
            }
            @for t in &report.tables {
                section class="card report-section" aria-labelledby=(format!("h-{}", t.key)) {
                    h2 id=(format!("h-{}", t.key)) { (t.title) }
                    p class="muted" { (t.description) }
                    (charts_of(t, &currency))
                    (table_region(&t.title, table_markup(t, &currency)))
                    @if t.key == "declined" && !t.rows.is_empty() && can_campaign {
                        p class="no-print" { a class="button" href=(ctx.link("/portal/campaigns?segment=declined")) { "Send these customers a campaign" } }
                    }
                    p class="no-print" { a href=(export_link(t.key)) download { "Download “" (t.title) "” (CSV)" } }
                }
            }
        }
    };
    Ok((
        status_for(&errors),
        page(ctx, kind.title(), Some("reports"), body),
    )
        .into_response())
}

/// A CSV cell: money and hours as plain decimals, percentages as percent with two places,
/// text defused against spreadsheet formulas.
fn csv_cell(unit: Unit, value: &Value, currency: &CurrencyCode) -> String {
    match (unit, value) {
        (_, Value::Empty) => String::new(),
        (_, Value::Text(t)) => safe_cell(t),
        (Unit::Money, Value::Number(n)) => pitlane_domain::money::plain_amount(*n, currency),
        (Unit::Hours, Value::Number(n)) => format_quantity(*n),
        (Unit::Percent | Unit::Ratio | Unit::Stars, Value::Number(n)) => {
            let sign = if *n < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", n.unsigned_abs() / 100, n.unsigned_abs() % 100)
        }
        (_, Value::Number(n)) => n.to_string(),
    }
}

fn csv_header(label: &str, unit: Unit, currency: &CurrencyCode) -> String {
    match unit {
        Unit::Money => format!("{label} ({currency})"),
        Unit::Hours => format!("{label} (hours)"),
        Unit::Percent => format!("{label} (%)"),
        Unit::Ratio => format!("{label} (times)"),
        Unit::Stars => format!("{label} (stars of 5)"),
        _ => label.to_owned(),
    }
}

fn write_csv(report: &Report, table: &str) -> Result<Vec<u8>, PageError> {
    let currency = CurrencyCode::parse(&report.currency)
        .map_err(|e| pitlane_domain::ServiceError::internal(e.to_string()))?;
    let fail = |e: csv::Error| PageError::from(pitlane_domain::ServiceError::internal(e.to_string()));
    let mut out = csv::Writer::from_writer(Vec::new());
    if table == "headlines" {
        let period = |p: &pitlane_domain::reports::Period| format!("{} to {}", p.from, p.to);
        out.write_record([
            "Figure".to_owned(),
            "Unit".to_owned(),
            format!("This period ({})", period(&report.period)),
            format!("Previous period ({})", period(&report.previous)),
            format!("Last year ({})", period(&report.last_year)),
        ])
        .map_err(fail)?;
        for h in &report.headlines {
            let cell = |n: Option<i64>| csv_cell(h.unit, &Value::maybe(n), &currency);
            let unit = match h.unit {
                Unit::Money => currency.as_str().to_owned(),
                Unit::Hours => "hours".to_owned(),
                Unit::Percent => "%".to_owned(),
                Unit::Ratio => "times".to_owned(),
                Unit::Stars => "stars of 5".to_owned(),
                _ => String::new(),
            };
            out.write_record([
                safe_cell(h.label),
                unit,
                cell(h.current),
                cell(h.previous),
                cell(h.last_year),
            ])
            .map_err(fail)?;
        }
    } else {
        let t = report
            .tables
            .iter()
            .find(|t| t.key == table)
            .ok_or(PageError::from(pitlane_domain::ServiceError::NotFound))?;
        out.write_record(t.columns.iter().map(|c| csv_header(c.label, c.unit, &currency)))
            .map_err(fail)?;
        for row in t.rows.iter().chain(t.totals.iter()) {
            out.write_record(
                t.columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| csv_cell(c.unit, v, &currency)),
            )
            .map_err(fail)?;
        }
    }
    out.into_inner()
        .map_err(|e| PageError::from(pitlane_domain::ServiceError::internal(e.to_string())))
}

/// The report a download asks for (its kind from the path, the range from the query).
async fn run(
    state: &AppState,
    staff: &Staff,
    kind: &str,
    filters: &Filters,
) -> Result<pitlane_reports::Report, PageError> {
    let kind = kind_of(kind)?;
    let query = filters.query().map_err(pitlane_domain::ServiceError::from)?;
    Ok(pitlane_reports::run(&state.reports, &staff.actor, kind, &query).await?)
}

#[handler]
async fn export(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(kind): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let report = run(state, &staff, &kind, &filters).await?;
    let table = filters.table.as_deref().unwrap_or("headlines");
    let body = write_csv(&report, table)?;
    let name = format!(
        "{}-{}-{}-to-{}.csv",
        report.kind.key(),
        table.replace('_', "-"),
        report.period.from,
        report.period.to
    );
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(body))
}

/// The report as a tagged PDF on the workshop's letterhead.
#[handler]
async fn pdf(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(kind): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let report = run(state, &staff, &kind, &filters).await?;
    let body = pitlane_reports::print::report(&report, Letterhead::of(&scope.tenant));
    Ok(pdf_file(
        body,
        &pitlane_reports::print::report_file_name(&report),
    ))
}

/// A PDF to open in the browser's viewer (and save under `name`).
pub(crate) fn pdf_file(body: Vec<u8>, name: &str) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}\""),
        )
        .body(body)
}
