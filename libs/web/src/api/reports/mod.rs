//! `/reports`: every report over a range of days, for a branch or the whole chain, compared
//! with the previous period and the same period last year; and rebuilding the daily figures.

pub(crate) mod json;

use chrono::NaiveDate;
use pitlane_reports::ReportQuery;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{
    GrainName, HistoryBody, PresetName, PrintedReport, RebuiltFigures, ReportBody, ReportEntry,
    ReportName,
};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::{problem::Problem, tenant::TenantScope};
use pitlane_app::state::AppState;
use pitlane_domain::ids::{CustomerId, VehicleId};
use pitlane_reports::{
    history::{self, Subject, history_file_name},
    print::Letterhead,
};

pub struct ReportsApi;

fn preset_key(p: PresetName) -> &'static str {
    match p {
        PresetName::Today => "today",
        PresetName::Week => "week",
        PresetName::Month => "month",
        PresetName::Quarter => "quarter",
        PresetName::Year => "year",
        PresetName::Custom => "custom",
    }
}

/// The query of a report as the API takes it.
fn report_query(
    preset: Option<PresetName>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    branch_id: Option<Uuid>,
    grain: Option<GrainName>,
) -> ReportQuery {
    ReportQuery {
        preset: preset.map(|p| preset_key(p).to_owned()),
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        branch_id,
        grain: grain.map(|g| grain_key(g).to_owned()),
    }
}

async fn history_pdf(
    state: &AppState,
    actor: &pitlane_domain::Actor,
    scope: &TenantScope,
    subject: Subject,
) -> Result<PrintedReport, Problem> {
    let h = history::of(&state.reports, actor, subject).await?;
    let body = pitlane_reports::print::history(&h, Letterhead::of(&scope.tenant));
    Ok(PrintedReport::new(body, &history_file_name(subject)))
}

fn grain_key(g: GrainName) -> &'static str {
    match g {
        GrainName::Day => "day",
        GrainName::Week => "week",
        GrainName::Month => "month",
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Reports")]
impl ReportsApi {
    /// The reports there are
    ///
    /// Needs `reports.view`. In the order the portal lists them.
    #[oai(path = "/reports", method = "get", operation_id = "list_reports")]
    async fn list(
        &self,
        Caller(auth): Caller,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<ReportEntry>>, Problem> {
        let entries: Vec<ReportEntry> = pitlane_reports::catalogue(&auth.actor)?
            .iter()
            .map(|k| ReportEntry {
                id: k.key().to_owned(),
                title: k.title().to_owned(),
                summary: k.summary().to_owned(),
            })
            .collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(entries, &page, |e| e.id.clone())?))
    }

    /// One report
    ///
    /// Needs `reports.view`. Covers `preset` (this month when not given) up to today at the
    /// branch, or `from`–`to` with `preset=custom`; one branch (`branch_id`) or every branch
    /// the caller may see. Headlines carry the previous period's and last year's figures.
    /// Money is in minor units of `currency`, net of tax unless a label says otherwise;
    /// each figure is defined in the README's glossary.
    #[oai(path = "/reports/:report", method = "get", operation_id = "get_report")]
    #[allow(clippy::too_many_arguments)]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        report: Path<ReportName>,
        preset: Query<Option<PresetName>>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        branch_id: Query<Option<Uuid>>,
        grain: Query<Option<GrainName>>,
    ) -> Result<Json<ReportBody>, Problem> {
        let query = report_query(preset.0, from.0, to.0, branch_id.0, grain.0);
        let report =
            pitlane_reports::run(&state.reports, &auth.actor, report.0.kind(), &query).await?;
        Ok(Json(report.into()))
    }

    /// One report as a PDF
    ///
    /// Needs `reports.view`. The same report and query as `GET /reports/{report}`, as a
    /// tagged PDF (headings and tables a screen reader can follow; Unicode fonts embedded).
    #[oai(
        path = "/reports/:report/pdf",
        method = "get",
        operation_id = "get_report_pdf"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn pdf(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        scope: Data<&TenantScope>,
        report: Path<ReportName>,
        preset: Query<Option<PresetName>>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        branch_id: Query<Option<Uuid>>,
        grain: Query<Option<GrainName>>,
    ) -> Result<PrintedReport, Problem> {
        let query = report_query(preset.0, from.0, to.0, branch_id.0, grain.0);
        let kind = report.0.kind();
        let report = pitlane_reports::run(&state.reports, &auth.actor, kind, &query).await?;
        let body = pitlane_reports::print::report(&report, Letterhead::of(&scope.tenant));
        Ok(PrintedReport::new(
            body,
            &pitlane_reports::print::report_file_name(&report),
        ))
    }

    /// A vehicle's repair history
    ///
    /// Needs `customers.read` and `repair_orders.read`. Every repair order of the vehicle
    /// (each line with the customer's decision) and every issued invoice, newest first; the
    /// 500 most recent orders. Branch-limited callers see their branches' only.
    #[oai(
        path = "/vehicles/:vehicle_id/history",
        method = "get",
        operation_id = "get_vehicle_history"
    )]
    async fn vehicle_history(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
    ) -> Result<Json<HistoryBody>, Problem> {
        let subject = Subject::Vehicle(VehicleId(vehicle_id.0));
        let h = history::of(&state.reports, &auth.actor, subject).await?;
        Ok(Json(h.into()))
    }

    /// A vehicle's repair history as a PDF
    ///
    /// Needs `customers.read` and `repair_orders.read`. `GET /vehicles/{vehicle_id}/history`
    /// on paper.
    #[oai(
        path = "/vehicles/:vehicle_id/history/pdf",
        method = "get",
        operation_id = "get_vehicle_history_pdf"
    )]
    async fn vehicle_history_pdf(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        scope: Data<&TenantScope>,
        vehicle_id: Path<Uuid>,
    ) -> Result<PrintedReport, Problem> {
        let subject = Subject::Vehicle(VehicleId(vehicle_id.0));
        history_pdf(&state, &auth.actor, &scope, subject).await
    }

    /// A customer's repair history
    ///
    /// Needs `customers.read` and `repair_orders.read`. Every repair order of the customer
    /// (each line with their decision) and every issued invoice, newest first; the 500 most
    /// recent orders. Branch-limited callers see their branches' only.
    #[oai(
        path = "/customers/:customer_id/history",
        method = "get",
        operation_id = "get_customer_history"
    )]
    async fn customer_history(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<HistoryBody>, Problem> {
        let subject = Subject::Customer(CustomerId(customer_id.0));
        let h = history::of(&state.reports, &auth.actor, subject).await?;
        Ok(Json(h.into()))
    }

    /// A customer's repair history as a PDF
    ///
    /// Needs `customers.read` and `repair_orders.read`. `GET /customers/{customer_id}/history`
    /// on paper.
    #[oai(
        path = "/customers/:customer_id/history/pdf",
        method = "get",
        operation_id = "get_customer_history_pdf"
    )]
    async fn customer_history_pdf(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        scope: Data<&TenantScope>,
        customer_id: Path<Uuid>,
    ) -> Result<PrintedReport, Problem> {
        let subject = Subject::Customer(CustomerId(customer_id.0));
        history_pdf(&state, &auth.actor, &scope, subject).await
    }

    /// Rebuild the daily figures
    ///
    /// Needs `settings.manage`. Recomputes every daily figure the reports read from the
    /// invoices, credit notes, payments and refunds, the answered estimate lines and the
    /// inspections, in one transaction. They are kept with each document already, so this
    /// changes nothing unless something went wrong; it says whether it did.
    #[oai(
        path = "/reports/figures/rebuild",
        method = "post",
        operation_id = "rebuild_report_figures"
    )]
    async fn rebuild(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<RebuiltFigures>, Problem> {
        let done = pitlane_reports::figures::rebuild(&state.reports, &auth.actor).await?;
        Ok(Json(RebuiltFigures {
            rows: done.rows as u64,
            differed: done.differed,
        }))
    }
}
