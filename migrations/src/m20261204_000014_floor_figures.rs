//! The floor's reports from the daily figures (issue 19, speed): estimate answers by advisor
//! and inspections with their findings by inspector are kept per branch and local day in
//! `daily_figures`, in the same transaction as the answer or the inspection, as the money
//! figures are. A year of a large chain holds some 400,000 answered lines; summing them from
//! the lines took up to a second.
//!
//! `tenants.figures_version` says which definition of the figures a workshop's rows were
//! built under: the maintenance round rebuilds a workshop whose rows are older than the
//! code's (`pitlane_domain::reports::FIGURES_VERSION`), so an upgraded deployment gets the new
//! figures from its existing documents without anyone asking.

use sea_orm_migration::prelude::*;

use crate::run_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
alter table daily_figures add column answered_lines bigint not null default 0;
alter table daily_figures add column approved_lines bigint not null default 0;
alter table daily_figures add column answered_value_minor bigint not null default 0;
alter table daily_figures add column approved_value_minor bigint not null default 0;
alter table daily_figures add column inspections bigint not null default 0;
alter table daily_figures add column inspections_completed bigint not null default 0;
alter table daily_figures add column findings_green bigint not null default 0;
alter table daily_figures add column findings_yellow bigint not null default 0;
alter table daily_figures add column findings_red bigint not null default 0;
alter table daily_figures add column findings_unrated bigint not null default 0;
alter table tenants add column figures_version integer not null default 0;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_ddl(manager, TABLES, "").await
    }
}
