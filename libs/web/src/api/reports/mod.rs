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

use self::json::{GrainName, PresetName, RebuiltFigures, ReportBody, ReportEntry, ReportName};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

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
        let query = ReportQuery {
            preset: preset.0.map(|p| preset_key(p).to_owned()),
            from: from.0.map(|d| d.to_string()),
            to: to.0.map(|d| d.to_string()),
            branch_id: branch_id.0,
            grain: grain.0.map(|g| grain_key(g).to_owned()),
        };
        let report =
            pitlane_reports::run(&state.reports, &auth.actor, report.0.kind(), &query).await?;
        Ok(Json(report.into()))
    }

    /// Rebuild the daily figures
    ///
    /// Needs `settings.manage`. Recomputes every daily figure the reports read from the
    /// invoices, credit notes, payments and refunds, in one transaction. They are kept with
    /// each document already, so this changes nothing unless something went wrong; it says
    /// whether it did.
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
