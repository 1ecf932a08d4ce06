//! Roadside help (issue 20): a driver asks a branch for help where they are, the nearest
//! on-duty mechanic takes it, drives out while the driver watches, and fixes the car there or
//! has it towed in.
//!
//! Positions are integer millionths of a degree (`*_micro`): exact on both databases. The
//! mechanic's live position is not stored row by row: the latest is kept in the bus (Redis, or
//! memory when embedded) and a sampled trail (`roadside_trail`) is written while they drive.
//! Positions older than 30 days are coarsened to about a kilometre by the maintenance round.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
-- Whether a branch drives out, where from, how far and for what price; how long a request
-- waits for the nearest mechanics before it is offered wider and then to the dispatcher; and
-- the targets (SLA) the dispatch board holds requests to.
create table roadside_settings (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    enabled boolean not null default false,
    lat_micro bigint null,
    lon_micro bigint null,
    radius_m integer not null default 25000 check (radius_m > 0),
    call_out_minor bigint not null default 0 check (call_out_minor >= 0),
    per_km_minor bigint not null default 0 check (per_km_minor >= 0),
    included_km integer not null default 0 check (included_km >= 0),
    speed_kmh integer not null default 50 check (speed_kmh > 0),
    near_m integer not null default 15000 check (near_m > 0),
    wide_m integer not null default 40000 check (wide_m > 0),
    widen_after_s integer not null default 180 check (widen_after_s > 0),
    dispatcher_after_s integer not null default 480 check (dispatcher_after_s > 0),
    accept_target_s integer not null default 600 check (accept_target_s > 0),
    arrive_target_s integer not null default 3600 check (arrive_target_s > 0),
    -- The mechanic's share of a call-out fee, in basis points.
    call_out_commission_bp integer not null default 0 check (call_out_commission_bp >= 0),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, branch_id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);

-- Mechanics who drive out, and whether they are on duty now.
alter table mechanic_profiles add column takes_roadside boolean not null default false;
alter table mechanic_profiles add column on_duty_since timestamptz null;

create table roadside_requests (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    number bigint not null,
    branch_id uuid not null,
    customer_id uuid not null,
    vehicle_id uuid null,
    plate text null,
    trouble text not null check (trouble in
        ('flat_tyre', 'battery', 'fuel', 'lockout', 'will_not_start', 'accident_tow', 'other')),
    note text null,
    -- A typed address or landmark, when the driver gave no position (or as well as one).
    address text null,
    lat_micro bigint null,
    lon_micro bigint null,
    status text not null default 'requested' check (status in
        ('requested', 'accepted', 'en_route', 'on_site', 'working', 'done', 'towed_in',
         'cancelled')),
    -- Who it is offered to while nobody has taken it (see pitlane_domain::roadside::Ring).
    ring text not null default 'near' check (ring in ('near', 'wide', 'dispatcher')),
    mechanic_id uuid null,
    distance_m integer null,
    quote_minor bigint not null check (quote_minor >= 0),
    currency text not null,
    eta_minutes integer null,
    arrival_lat_micro bigint null,
    arrival_lon_micro bigint null,
    cancel_reason text null,
    cancelled_by text null,
    outcome_note text null,
    invoice_id uuid null,
    repair_order_id uuid null,
    positions_coarsened boolean not null default false,
    -- Read marks of the request's chat: up to when the driver, and the mechanic or a
    -- dispatcher, have read the other side's messages.
    driver_read_at timestamptz null,
    crew_read_at timestamptz null,
    -- The mechanic's share of the call-out, fixed when the job ends (see the branch's
    -- call_out_commission_bp); it counts in their earnings.
    commission_minor bigint null check (commission_minor >= 0),
    created_at timestamptz not null default now(),
    accepted_at timestamptz null,
    en_route_at timestamptz null,
    arrived_at timestamptz null,
    finished_at timestamptz null,
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, number),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id),
    foreign key (tenant_id, vehicle_id) references vehicles (tenant_id, id),
    foreign key (tenant_id, mechanic_id) references memberships (tenant_id, id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id)
);
create index roadside_requests_board on roadside_requests (tenant_id, status, branch_id, created_at);
create index roadside_requests_customer on roadside_requests (tenant_id, customer_id, id);
create index roadside_requests_mechanic on roadside_requests (tenant_id, mechanic_id, status);
-- A mechanic is on one request at a time, however two acceptances or assignments race.
create unique index roadside_requests_one_open_per_mechanic on roadside_requests (tenant_id, mechanic_id)
    where status in ('accepted', 'en_route', 'on_site', 'working');

-- Everything that happened to a request, in order: the timeline both sides read.
create table roadside_events (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    request_id uuid not null,
    kind text not null,
    detail text null,
    actor_name text null,
    lat_micro bigint null,
    lon_micro bigint null,
    at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, request_id) references roadside_requests (tenant_id, id)
);
create index roadside_events_request on roadside_events (tenant_id, request_id, id);

-- The mechanic's way out, sampled (not every position sent): for the record and disputes.
create table roadside_trail (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    request_id uuid not null,
    membership_id uuid not null,
    lat_micro bigint not null,
    lon_micro bigint not null,
    at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, request_id) references roadside_requests (tenant_id, id),
    foreign key (tenant_id, membership_id) references memberships (tenant_id, id)
);
create index roadside_trail_request on roadside_trail (tenant_id, request_id, id);

-- What the mechanic did and used at the roadside, priced as an order's lines are; billed
-- with the call-out when the job is done, its parts taken out of the branch's stock.
create table roadside_work (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    request_id uuid not null,
    kind text not null check (kind in ('labour', 'labour_flat', 'part', 'fee', 'discount')),
    description text not null,
    quantity_milli bigint not null check (quantity_milli > 0),
    unit_price_minor bigint not null check (unit_price_minor >= 0),
    unit_cost_minor bigint not null default 0,
    taxable boolean not null default true,
    part_id uuid null,
    added_by text null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, request_id) references roadside_requests (tenant_id, id),
    foreign key (tenant_id, part_id) references parts (tenant_id, id)
);
create index roadside_work_request on roadside_work (tenant_id, request_id, id);

-- The request's chat is part of the customer's conversation: its messages name the request.
alter table conversation_messages add column roadside_request_id uuid null;
-- A photo sent in the chat: where it is stored (a key the application made) and its type.
alter table conversation_messages add column photo_key text null;
alter table conversation_messages add column photo_type text null;
create index conversation_messages_roadside on conversation_messages (tenant_id, roadside_request_id, id);

-- A guest's one-time code now confirms a booking or a roadside request.
alter table booking_codes add column purpose text not null default 'booking'
    check (purpose in ('booking', 'roadside'));
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let walls = [
            "roadside_settings",
            "roadside_requests",
            "roadside_events",
            "roadside_trail",
            "roadside_work",
        ]
        .map(tenant_rls)
        .join("\n");
        // SQLite cannot add a two-column foreign key to a table that exists.
        let postgres_only = format!(
            "{walls}\nalter table conversation_messages add constraint conversation_messages_roadside_fk \
             foreign key (tenant_id, roadside_request_id) references roadside_requests (tenant_id, id);"
        );
        run_ddl(manager, TABLES, &postgres_only).await
    }
}
