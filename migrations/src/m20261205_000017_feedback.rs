//! Customer feedback (issue 20): after a repair order is closed or a roadside job is done the
//! customer gets a signed link to rate the work and the mechanic, one to five stars each, with
//! a comment. One row is one request for a rating and, once answered, the rating: the link
//! names the row, which makes it single use. Staff reply to it; admins may hide abusive text.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
create table feedback (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    customer_id uuid not null,
    -- What is rated: a repair order or a roadside request (one request for a rating each).
    subject text not null check (subject in ('repair_order', 'roadside')),
    repair_order_id uuid null,
    roadside_request_id uuid null,
    -- The membership of the mechanic rated, when one did the work.
    mechanic_id uuid null,
    -- What the customer reads it as: \"RO-00012 · Volkswagen Golf\".
    label text not null,
    asked_at timestamptz not null,
    expires_at timestamptz not null,
    job_stars smallint null check (job_stars between 1 and 5),
    mechanic_stars smallint null check (mechanic_stars between 1 and 5),
    comment text null,
    answered_at timestamptz null,
    -- Hidden text is kept, as the record of what was written, but never shown again.
    hidden_at timestamptz null,
    hidden_by text null,
    hidden_reason text null,
    reply text null,
    replied_at timestamptz null,
    replied_by text null,
    primary key (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id),
    foreign key (tenant_id, roadside_request_id) references roadside_requests (tenant_id, id),
    foreign key (tenant_id, mechanic_id) references memberships (tenant_id, id),
    unique (tenant_id, repair_order_id),
    unique (tenant_id, roadside_request_id)
);
-- The inbox (newest answers first) and the report (asked in a period).
create index feedback_answered on feedback (tenant_id, answered_at, id);
create index feedback_asked on feedback (tenant_id, asked_at);
create index feedback_mechanic on feedback (tenant_id, mechanic_id, answered_at);
create index feedback_customer on feedback (tenant_id, customer_id);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_ddl(manager, TABLES, &tenant_rls("feedback")).await
    }
}
