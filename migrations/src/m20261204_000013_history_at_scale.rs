//! Repair histories, comebacks and the reports at scale (issue 19):
//! - a repair order may be recorded as a comeback of an earlier order of the same vehicle
//!   (the fault returned after the work), which the technician report counts against the
//!   mechanics who worked the earlier order;
//! - a vehicle's invoices are read by vehicle for its repair history;
//! - what the dashboard and the floor's reports look up among a large chain's years of
//!   history (measured by `tests/examples/reports_bench.rs`): open orders by status, unpaid
//!   invoices, running clocks, unread conversations, inspections by day; on PostgreSQL the
//!   answered estimate lines are covered by their index, so a year of them is read without
//!   touching the table.

use sea_orm_migration::prelude::*;

use crate::run_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
alter table repair_orders add column comeback_of uuid null;
create index repair_orders_comeback on repair_orders (tenant_id, comeback_of);
create index invoices_vehicle on invoices (tenant_id, vehicle_id);
create index repair_orders_status on repair_orders (tenant_id, status, branch_id);
create index invoices_status on invoices (tenant_id, status, due_at);
create index time_entries_running on time_entries (tenant_id, mechanic_id) where ended_at is null;
create index conversations_unread on conversations (tenant_id, unread_for_staff);
create index inspections_created on inspections (tenant_id, created_at);
";

const POSTGRES: &str = "
alter table repair_orders add constraint repair_orders_comeback_of
    foreign key (tenant_id, comeback_of) references repair_orders (tenant_id, id);
drop index repair_order_lines_decided;
create index repair_order_lines_decided on repair_order_lines (tenant_id, decided_at)
    include (decision, repair_order_id, kind, quantity_milli, unit_price_minor);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_ddl(manager, TABLES, POSTGRES).await
    }
}
