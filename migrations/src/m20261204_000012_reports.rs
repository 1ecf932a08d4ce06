//! Reports and the dashboard (issue 19):
//! - an invoice line keeps what the report needs to know about it when the invoice is made
//!   from a repair order: what it cost, the hours it bills, its work category and the
//!   mechanic whose job it was; the invoice keeps its service advisor;
//! - `daily_figures`: per branch and local day, the sums every money report reads, kept in the
//!   same transaction as the change they count (issuing or voiding an invoice, a credit note,
//!   a payment, a refund), so they can never drift; `pitlane_reports::figures::rebuild`
//!   recomputes them from the documents and a test holds the two equal;
//! - a weekly sales goal per branch, and a dashboard digest each member may ask for.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
alter table invoice_lines add column unit_cost_minor bigint not null default 0;
alter table invoice_lines add column billed_hours_milli bigint not null default 0;
alter table invoice_lines add column category text not null default '';
alter table invoice_lines add column technician_id uuid null;
alter table invoices add column advisor_id uuid null;
alter table branches add column weekly_sales_goal_minor bigint not null default 0;
-- The morning the digest goes out, in the branch's own time.
alter table branches add column digest_hour integer not null default 7
    check (digest_hour >= 0 and digest_hour <= 23);
alter table memberships add column digest text not null default 'off'
    check (digest in ('off', 'daily', 'weekly'));
alter table memberships add column digest_sent_on date null;

-- One row per branch, local day, and what it is broken down by: `dimension` is `all` (key
-- ''), `advisor`, `technician` (a membership id, '' for none), `category` (a work category),
-- `tax_rate` (the tax's name on the invoice) or `method` (how a payment was made). Every
-- figure is a sum; what each means is written once in `pitlane_domain::reports::Figures`.
create table daily_figures (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    day date not null,
    dimension text not null,
    key text not null,
    invoices bigint not null default 0,
    cars bigint not null default 0,
    labour_minor bigint not null default 0,
    parts_minor bigint not null default 0,
    fees_minor bigint not null default 0,
    other_minor bigint not null default 0,
    discounts_minor bigint not null default 0,
    net_minor bigint not null default 0,
    tax_minor bigint not null default 0,
    credit_notes bigint not null default 0,
    credited_net_minor bigint not null default 0,
    credited_tax_minor bigint not null default 0,
    parts_cost_minor bigint not null default 0,
    labour_cost_minor bigint not null default 0,
    billed_hours_milli bigint not null default 0,
    payments bigint not null default 0,
    payments_minor bigint not null default 0,
    refunds bigint not null default 0,
    refunds_minor bigint not null default 0,
    primary key (tenant_id, id),
    unique (tenant_id, branch_id, day, dimension, key),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index daily_figures_range on daily_figures (tenant_id, dimension, day, branch_id);

-- What the reports read by date: issued invoices, decided estimate lines, time clocked.
create index invoices_issued on invoices (tenant_id, issued_at);
create index repair_order_lines_decided on repair_order_lines (tenant_id, decided_at);
create index repair_orders_created on repair_orders (tenant_id, created_at);
create index appointments_starts on appointments (tenant_id, starts_at);
create index stock_movements_created on stock_movements (tenant_id, created_at);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = format!(
            "{}
             alter table invoice_lines add constraint invoice_lines_technician
                 foreign key (tenant_id, technician_id) references memberships (tenant_id, id);
             alter table invoices add constraint invoices_advisor
                 foreign key (tenant_id, advisor_id) references memberships (tenant_id, id);",
            tenant_rls("daily_figures")
        );
        run_ddl(manager, TABLES, &postgres).await
    }
}
