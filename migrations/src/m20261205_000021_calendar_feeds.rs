//! Calendar feeds (issue 22): a private iCalendar subscription address per mechanic, bay or
//! branch, which phone and desktop calendars poll. The address carries a random secret; only
//! its SHA-256 is kept, so the address is shown once, and revoking the row ends it. A feed
//! reads as the member who made it, checked on every fetch: a member who left, lost the
//! permission or signed out everywhere takes their feeds with them.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
create table calendar_feeds (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    -- Whose appointments it shows.
    kind text not null check (kind in ('mechanic', 'bay', 'branch')),
    mechanic_id uuid null,
    bay_id uuid null,
    branch_id uuid null,
    -- What the calendar app calls it: \"Pitlane · Bay 2 (Lift)\".
    name text not null,
    secret_hash text not null,
    created_by uuid not null,
    created_at timestamptz not null,
    revoked_at timestamptz null,
    -- When a calendar last fetched it, to the hour: is anyone still subscribed?
    last_fetched_at timestamptz null,
    primary key (tenant_id, id),
    foreign key (tenant_id, mechanic_id) references memberships (tenant_id, id),
    foreign key (tenant_id, bay_id) references bays (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, created_by) references memberships (tenant_id, id),
    check ((kind = 'mechanic') = (mechanic_id is not null)),
    check ((kind = 'bay') = (bay_id is not null)),
    check ((kind = 'branch') = (branch_id is not null))
);
create unique index calendar_feeds_secret on calendar_feeds (tenant_id, secret_hash);
create index calendar_feeds_created on calendar_feeds (tenant_id, created_by);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_ddl(manager, TABLES, &tenant_rls("calendar_feeds")).await
    }
}
