//! The workshop floor and the parts room: repair orders with their lines, timeline and the
//! customer's approval, canned jobs, digital inspections with photos, the mechanics' jobs with
//! the board, applications and time clock, and the parts catalogue with stock kept as a ledger
//! of movements, reservations, suppliers, purchase orders and stock counts.
//!
//! Quantities and hours are integer thousandths (`*_milli`), rates and percentages integer
//! basis points (`*_bp`), money integer minor units (`*_minor`): exact on both backends, and
//! summable in SQL.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
-- What parts sell for when they have no price of their own: one markup, or a matrix of
-- markups by cost (JSON list of {\"up_to_minor\": n|null, \"markup_bp\": n}).
alter table tenants add column parts_markup_bp integer not null default 4000;
alter table tenants add column price_matrix jsonb null;
-- Shop supplies: a share of labour, capped; 0 turns them off.
alter table tenants add column shop_supplies_bp integer not null default 0;
alter table tenants add column shop_supplies_cap_minor bigint not null default 0;
alter table tenants add column allow_negative_stock boolean not null default false;
alter table tenants add column pay_period text not null default 'weekly'
    check (pay_period in ('weekly', 'fortnightly', 'monthly'));
alter table branches add column labour_rate_minor bigint not null default 12000;
-- What an hour of labour costs the branch, for gross profit.
alter table branches add column labour_cost_minor bigint not null default 4000;
alter table branches add column tax_rate_bp integer not null default 0;
alter table mechanic_profiles add column pay_scheme text not null default 'hourly'
    check (pay_scheme in ('hourly', 'flat_rate', 'commission'));
alter table mechanic_profiles add column pay_rate_minor bigint not null default 0;
alter table mechanic_profiles add column commission_bp integer not null default 0;

-- Gap-free numbers per tenant (repair orders, purchase orders): the row is locked by the
-- increment until the transaction ends, so a rolled-back number is handed out again.
create table tenant_counters (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    value bigint not null,
    primary key (tenant_id, id),
    unique (tenant_id, name)
);

create table suppliers (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    email text null,
    phone text null,
    account_number text null,
    notes text null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, name)
);

create table parts (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    sku text not null,
    name text not null,
    brand text null,
    fitment_notes text null,
    cost_minor bigint not null check (cost_minor >= 0),
    -- Null: priced by the tenant's markup or matrix.
    price_minor bigint null check (price_minor >= 0),
    tax_class text not null default 'standard' check (tax_class in ('standard', 'exempt')),
    barcode text null,
    supplier_id uuid null,
    active boolean not null default true,
    search text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, sku),
    foreign key (tenant_id, supplier_id) references suppliers (tenant_id, id)
);
create index parts_barcode on parts (tenant_id, barcode);
create index parts_name on parts (tenant_id, name, id);

-- The level of a part at a branch: always the sum of its movements (the ledger below);
-- `reserved_milli` is what approved repair-order lines hold.
create table stock_levels (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    part_id uuid not null,
    branch_id uuid not null,
    on_hand_milli bigint not null default 0,
    reserved_milli bigint not null default 0 check (reserved_milli >= 0),
    reorder_at_milli bigint null,
    bin_location text null,
    low_notified_at timestamptz null,
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, part_id, branch_id),
    foreign key (tenant_id, part_id) references parts (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index stock_levels_branch on stock_levels (tenant_id, branch_id);

create table purchase_orders (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    number bigint not null,
    branch_id uuid not null,
    supplier_id uuid not null,
    status text not null default 'draft'
        check (status in ('draft', 'ordered', 'partly_received', 'received', 'cancelled')),
    notes text null,
    ordered_at timestamptz null,
    expected_on date null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, number),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, supplier_id) references suppliers (tenant_id, id)
);

create table purchase_order_lines (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    purchase_order_id uuid not null,
    part_id uuid not null,
    quantity_milli bigint not null check (quantity_milli > 0),
    received_milli bigint not null default 0 check (received_milli >= 0),
    unit_cost_minor bigint not null check (unit_cost_minor >= 0),
    primary key (tenant_id, id),
    unique (tenant_id, purchase_order_id, part_id),
    foreign key (tenant_id, purchase_order_id) references purchase_orders (tenant_id, id) on delete cascade,
    foreign key (tenant_id, part_id) references parts (tenant_id, id)
);

create table stock_counts (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    status text not null default 'open' check (status in ('open', 'completed')),
    started_by text null,
    started_at timestamptz not null,
    completed_at timestamptz null,
    primary key (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);

-- One open count per branch.
create unique index stock_counts_one_open on stock_counts (tenant_id, branch_id) where status = 'open';

create table stock_count_lines (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    stock_count_id uuid not null,
    part_id uuid not null,
    -- The level when the count began; the variance is counted − expected.
    expected_milli bigint not null,
    counted_milli bigint null,
    primary key (tenant_id, id),
    unique (tenant_id, stock_count_id, part_id),
    foreign key (tenant_id, stock_count_id) references stock_counts (tenant_id, id) on delete cascade,
    foreign key (tenant_id, part_id) references parts (tenant_id, id)
);

create table repair_orders (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    number bigint not null,
    branch_id uuid not null,
    customer_id uuid not null,
    vehicle_id uuid not null,
    appointment_id uuid null,
    status text not null default 'estimate' check (status in ('estimate', 'sent_for_approval',
        'approved', 'in_progress', 'waiting_for_parts', 'quality_check', 'ready_for_pickup',
        'invoiced', 'closed', 'cancelled')),
    mileage_in bigint null,
    mileage_out bigint null,
    concern text null,
    advisor_id uuid null,
    promised_at timestamptz null,
    -- The customer's last answer to the estimate: how, when, by whom.
    approval_method text null check (approval_method in ('online', 'phone', 'in_person')),
    approved_at timestamptz null,
    approved_by text null,
    -- Bumped whenever the estimate is sent, so an older approval link stops working.
    approval_version integer not null default 0,
    -- The customer wants a message at every status change, not only when it is ready.
    follow_updates boolean not null default false,
    -- What the board shows, kept with the order so the board is one query: the customer's
    -- name and the vehicle as they were at opening, and the estimate's total (not declined).
    customer_name text not null default '',
    vehicle_label text not null default '',
    total_minor bigint not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    closed_at timestamptz null,
    primary key (tenant_id, id),
    unique (tenant_id, number),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id),
    foreign key (tenant_id, vehicle_id) references vehicles (tenant_id, id),
    foreign key (tenant_id, appointment_id) references appointments (tenant_id, id),
    foreign key (tenant_id, advisor_id) references memberships (tenant_id, id)
);
create index repair_orders_board on repair_orders (tenant_id, updated_at, id);
-- One repair order per appointment, however two advisors race.
create unique index repair_orders_appointment on repair_orders (tenant_id, appointment_id)
    where appointment_id is not null;
create index repair_orders_customer on repair_orders (tenant_id, customer_id);
create index repair_orders_vehicle on repair_orders (tenant_id, vehicle_id);

-- A unit of work for one mechanic: assigned by an advisor, or claimed from the board.
create table jobs (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    repair_order_id uuid not null,
    branch_id uuid not null,
    title text not null,
    skill text null,
    mechanic_id uuid null,
    status text not null default 'open'
        check (status in ('open', 'assigned', 'in_progress', 'paused', 'finished')),
    on_board boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    finished_at timestamptz null,
    primary key (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id) on delete cascade,
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, mechanic_id) references memberships (tenant_id, id)
);
create index jobs_order on jobs (tenant_id, repair_order_id);
create index jobs_mechanic on jobs (tenant_id, mechanic_id, status);
create index jobs_board on jobs (tenant_id, branch_id, on_board, status);

create table repair_order_lines (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    repair_order_id uuid not null,
    position integer not null,
    kind text not null check (kind in ('labour', 'labour_flat', 'part', 'fee', 'discount')),
    description text not null,
    -- Hours for labour, units for parts, 1 for fees and discounts.
    quantity_milli bigint not null check (quantity_milli > 0),
    -- The hourly rate, the flat price, the unit price, the fee or the discount.
    unit_price_minor bigint not null check (unit_price_minor >= 0),
    unit_cost_minor bigint not null default 0 check (unit_cost_minor >= 0),
    taxable boolean not null default true,
    part_id uuid null,
    job_id uuid null,
    decision text not null default 'pending' check (decision in ('pending', 'approved', 'declined')),
    decided_at timestamptz null,
    -- Where the line came from: typed, a canned job, an inspection finding.
    source text not null default 'manual' check (source in ('manual', 'canned', 'inspection')),
    -- Declined work the advisor has followed up with the customer.
    followed_up_at timestamptz null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id) on delete cascade,
    foreign key (tenant_id, part_id) references parts (tenant_id, id),
    foreign key (tenant_id, job_id) references jobs (tenant_id, id)
);
create index repair_order_lines_order on repair_order_lines (tenant_id, repair_order_id, position);
create index repair_order_lines_declined on repair_order_lines (tenant_id, decision);

-- The order's timeline: every change, who made it, and whether the customer sees it.
create table repair_order_events (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    repair_order_id uuid not null,
    kind text not null,
    status text null,
    detail text null,
    by_name text null,
    visible_to_customer boolean not null default false,
    created_at timestamptz not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id) on delete cascade
);
create index repair_order_events_order on repair_order_events (tenant_id, repair_order_id, created_at);

-- Parts an approved line holds at its branch until the order is finished.
create table stock_reservations (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    line_id uuid not null,
    part_id uuid not null,
    branch_id uuid not null,
    quantity_milli bigint not null check (quantity_milli > 0),
    status text not null default 'held' check (status in ('held', 'consumed', 'released')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, line_id),
    foreign key (tenant_id, line_id) references repair_order_lines (tenant_id, id) on delete cascade,
    foreign key (tenant_id, part_id) references parts (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);

-- The ledger: a part's level at a branch is the sum of `quantity_milli` (signed).
create table stock_movements (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    part_id uuid not null,
    branch_id uuid not null,
    kind text not null check (kind in ('receive', 'consume', 'adjust', 'transfer_out',
        'transfer_in', 'return_to_supplier')),
    quantity_milli bigint not null,
    reason text null,
    unit_cost_minor bigint null,
    repair_order_id uuid null,
    purchase_order_id uuid null,
    -- The two movements of one transfer share it.
    transfer_id uuid null,
    stock_count_id uuid null,
    by_name text null,
    created_at timestamptz not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, part_id) references parts (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id),
    foreign key (tenant_id, purchase_order_id) references purchase_orders (tenant_id, id),
    foreign key (tenant_id, stock_count_id) references stock_counts (tenant_id, id)
);
create index stock_movements_part on stock_movements (tenant_id, part_id, branch_id, created_at);

create table canned_jobs (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    description text null,
    skill text null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, name)
);

create table canned_job_lines (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    canned_job_id uuid not null,
    position integer not null,
    kind text not null check (kind in ('labour', 'labour_flat', 'part', 'fee', 'discount')),
    description text not null,
    quantity_milli bigint not null check (quantity_milli > 0),
    -- Null: the branch's labour rate, or the part's price, when added.
    unit_price_minor bigint null check (unit_price_minor >= 0),
    part_id uuid null,
    taxable boolean not null default true,
    primary key (tenant_id, id),
    foreign key (tenant_id, canned_job_id) references canned_jobs (tenant_id, id) on delete cascade,
    foreign key (tenant_id, part_id) references parts (tenant_id, id)
);
create index canned_job_lines_job on canned_job_lines (tenant_id, canned_job_id, position);

create table inspection_templates (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, name)
);

create table inspection_template_items (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    template_id uuid not null,
    position integer not null,
    section text not null,
    label text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, template_id) references inspection_templates (tenant_id, id) on delete cascade
);
create index inspection_template_items_template on inspection_template_items (tenant_id, template_id, position);

create table inspections (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    repair_order_id uuid not null,
    name text not null,
    status text not null default 'open' check (status in ('open', 'completed')),
    inspector_name text null,
    created_at timestamptz not null default now(),
    completed_at timestamptz null,
    primary key (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id) on delete cascade
);
create index inspections_order on inspections (tenant_id, repair_order_id);

create table inspection_items (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    inspection_id uuid not null,
    position integer not null,
    section text not null,
    label text not null,
    rating text null check (rating in ('green', 'yellow', 'red')),
    note text null,
    -- The estimate line this finding became.
    line_id uuid null,
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, inspection_id) references inspections (tenant_id, id) on delete cascade,
    foreign key (tenant_id, line_id) references repair_order_lines (tenant_id, id)
);
create index inspection_items_inspection on inspection_items (tenant_id, inspection_id, position);

create table inspection_photos (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    item_id uuid not null,
    -- Where the storage keeps the bytes; never a path the request chose.
    storage_key text not null,
    content_type text not null,
    bytes bigint not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, item_id) references inspection_items (tenant_id, id) on delete cascade
);
create index inspection_photos_item on inspection_photos (tenant_id, item_id);

create table job_applications (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    job_id uuid not null,
    mechanic_id uuid not null,
    note text null,
    status text not null default 'pending'
        check (status in ('pending', 'accepted', 'declined', 'withdrawn')),
    created_at timestamptz not null default now(),
    decided_at timestamptz null,
    primary key (tenant_id, id),
    unique (tenant_id, job_id, mechanic_id),
    foreign key (tenant_id, job_id) references jobs (tenant_id, id) on delete cascade,
    foreign key (tenant_id, mechanic_id) references memberships (tenant_id, id)
);

create table time_entries (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    job_id uuid not null,
    mechanic_id uuid not null,
    started_at timestamptz not null,
    ended_at timestamptz null,
    primary key (tenant_id, id),
    foreign key (tenant_id, job_id) references jobs (tenant_id, id) on delete cascade,
    foreign key (tenant_id, mechanic_id) references memberships (tenant_id, id)
);
create index time_entries_job on time_entries (tenant_id, job_id);
create index time_entries_mechanic on time_entries (tenant_id, mechanic_id, started_at);
-- One running clock per mechanic, however two taps race.
create unique index time_entries_one_running on time_entries (tenant_id, mechanic_id)
    where ended_at is null;
";

const TENANT_TABLES: &[&str] = &[
    "tenant_counters",
    "suppliers",
    "parts",
    "stock_levels",
    "purchase_orders",
    "purchase_order_lines",
    "stock_counts",
    "stock_count_lines",
    "repair_orders",
    "jobs",
    "repair_order_lines",
    "repair_order_events",
    "stock_reservations",
    "stock_movements",
    "canned_jobs",
    "canned_job_lines",
    "inspection_templates",
    "inspection_template_items",
    "inspections",
    "inspection_items",
    "inspection_photos",
    "job_applications",
    "time_entries",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut postgres = String::from(
            "-- Parts are found by any fragment of SKU, name, brand or barcode.
             create index parts_search on parts using gin (tenant_id, search gin_trgm_ops);
            ",
        );
        for table in TENANT_TABLES {
            postgres.push_str(&tenant_rls(table));
            postgres.push('\n');
        }
        run_ddl(manager, TABLES, &postgres).await
    }
}
