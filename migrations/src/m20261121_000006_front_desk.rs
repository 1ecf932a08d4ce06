//! The front desk: customers and their consent, vehicles with owners and mileage, the service
//! catalogue, bays, mechanics' hours and absences, branch closures, appointments (with the
//! exclusion constraints that make double booking impossible on PostgreSQL), guest booking
//! codes, and customer conversations.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
alter table tenants add column booking_auto_confirm boolean not null default false;
alter table tenants add column booking_cutoff_hours integer not null default 24;
-- Minutes before the appointment, space-separated.
alter table tenants add column reminder_offsets text not null default '1440 120';

create table customers (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    email text null,
    phone text null,
    company text null,
    address text null,
    -- Lowercase, comma-separated.
    tags text not null default '',
    email_consent_at timestamptz null,
    email_consent_source text null,
    sms_consent_at timestamptz null,
    sms_consent_source text null,
    marketing_consent_at timestamptz null,
    marketing_consent_source text null,
    marketing_unsubscribed_at timestamptz null,
    -- The customer's own login, once they signed in on the workshop's site.
    user_id uuid null references users (id),
    merged_into uuid null,
    erased_at timestamptz null,
    -- Lowercased name, e-mail, phone digits, plates and VINs of their vehicles: what search reads.
    search text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id)
);
create index customers_email on customers (tenant_id, email);
create index customers_phone on customers (tenant_id, phone);
create index customers_name on customers (tenant_id, name, id);
create index customers_user on customers (tenant_id, user_id);

create table customer_notes (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    customer_id uuid not null,
    body text not null,
    author_name text null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id) on delete cascade
);
create index customer_notes_customer on customer_notes (tenant_id, customer_id);

create table vehicles (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    customer_id uuid null,
    vin text null,
    plate text null,
    plate_region text null,
    make text null,
    model text null,
    year integer null,
    engine text null,
    colour text null,
    mileage_unit text not null default 'km' check (mileage_unit in ('km', 'mi')),
    last_mileage bigint null,
    next_service_on date null,
    next_service_mileage bigint null,
    maintenance_notified_at timestamptz null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, vin),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id)
);
create index vehicles_customer on vehicles (tenant_id, customer_id);
create index vehicles_plate on vehicles (tenant_id, plate);

create table vehicle_owners (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    vehicle_id uuid not null,
    customer_id uuid null,
    owner_name text not null,
    from_at timestamptz not null,
    until_at timestamptz null,
    primary key (tenant_id, id),
    foreign key (tenant_id, vehicle_id) references vehicles (tenant_id, id) on delete cascade,
    foreign key (tenant_id, customer_id) references customers (tenant_id, id)
);
create index vehicle_owners_vehicle on vehicle_owners (tenant_id, vehicle_id);
create index vehicle_owners_customer on vehicle_owners (tenant_id, customer_id);

create table mileage_readings (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    vehicle_id uuid not null,
    reading bigint not null,
    source text not null,
    correction_reason text null,
    recorded_at timestamptz not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, vehicle_id) references vehicles (tenant_id, id) on delete cascade
);
create index mileage_readings_vehicle on mileage_readings (tenant_id, vehicle_id, recorded_at);

create table services (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    description text null,
    duration_minutes integer not null check (duration_minutes between 5 and 1440),
    price_from_minor bigint null,
    price_to_minor bigint null,
    bay_kind text null,
    skill text null,
    bookable_online boolean not null default false,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, name)
);

create table bays (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    name text not null,
    kind text not null,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, branch_id, name),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);

-- A mechanic's skills and weekly hours (null: the branch's hours).
create table mechanic_profiles (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    membership_id uuid not null,
    skills text not null default '',
    working_hours jsonb null,
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, membership_id),
    foreign key (tenant_id, membership_id) references memberships (tenant_id, id)
);

create table staff_absences (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    membership_id uuid not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null check (ends_at > starts_at),
    reason text null,
    primary key (tenant_id, id),
    foreign key (tenant_id, membership_id) references memberships (tenant_id, id)
);
create index staff_absences_member on staff_absences (tenant_id, membership_id, starts_at);

-- Holidays and closures, whole local days in the branch's time zone.
create table branch_closures (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    starts_on date not null,
    ends_on date not null check (ends_on >= starts_on),
    reason text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index branch_closures_branch on branch_closures (tenant_id, branch_id, ends_on);

create table appointments (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    customer_id uuid not null,
    vehicle_id uuid null,
    service_id uuid not null,
    bay_id uuid not null,
    mechanic_id uuid not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null check (ends_at > starts_at),
    status text not null check (status in ('requested', 'confirmed', 'checked_in', 'converted', 'no_show', 'cancelled')),
    source text not null check (source in ('staff', 'online')),
    notes text null,
    -- Bumped on every change the customer's calendar must hear of (iCalendar SEQUENCE).
    sequence integer not null default 0,
    arrival_mileage bigint null,
    key_location text null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id),
    foreign key (tenant_id, vehicle_id) references vehicles (tenant_id, id),
    foreign key (tenant_id, service_id) references services (tenant_id, id),
    foreign key (tenant_id, bay_id) references bays (tenant_id, id),
    foreign key (tenant_id, mechanic_id) references memberships (tenant_id, id)
);
create index appointments_branch_time on appointments (tenant_id, branch_id, starts_at);
create index appointments_customer on appointments (tenant_id, customer_id, starts_at);
create index appointments_vehicle on appointments (tenant_id, vehicle_id);

create table appointment_events (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    appointment_id uuid not null,
    status text not null,
    detail text null,
    by_name text null,
    at timestamptz not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, appointment_id) references appointments (tenant_id, id) on delete cascade
);
create index appointment_events_appointment on appointment_events (tenant_id, appointment_id, at);

-- A guest's booking waiting for the one-time code sent to them.
create table booking_codes (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    destination text not null,
    code_hash text not null,
    request jsonb not null,
    attempts integer not null default 0,
    expires_at timestamptz not null,
    used_at timestamptz null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id)
);

create table conversations (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    customer_id uuid not null,
    assigned_to uuid null,
    unread_for_staff integer not null default 0,
    last_message_at timestamptz not null,
    last_message_preview text not null default '',
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, customer_id),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id) on delete cascade,
    foreign key (tenant_id, assigned_to) references memberships (tenant_id, id)
);
create index conversations_recent on conversations (tenant_id, last_message_at);

create table conversation_messages (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    conversation_id uuid not null,
    direction text not null check (direction in ('in', 'out')),
    channel text not null check (channel in ('web', 'sms')),
    body text not null,
    author_name text null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, conversation_id) references conversations (tenant_id, id) on delete cascade
);
create index conversation_messages_conversation on conversation_messages (tenant_id, conversation_id, id);
";

const TENANT_TABLES: [&str; 15] = [
    "customers",
    "customer_notes",
    "vehicles",
    "vehicle_owners",
    "mileage_readings",
    "services",
    "bays",
    "mechanic_profiles",
    "staff_absences",
    "branch_closures",
    "appointments",
    "appointment_events",
    "booking_codes",
    "conversations",
    "conversation_messages",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut postgres = String::from(
            "create extension if not exists btree_gist;
             create extension if not exists btree_gin;
             create extension if not exists pg_trgm;
             -- Search by any fragment of name, e-mail, phone, plate or VIN, within one tenant.
             create index customers_search on customers using gin (tenant_id, search gin_trgm_ops);
             -- No two appointments that hold time may share a bay or a mechanic at any moment,
             -- however the requests race: the application checks first, this holds regardless.
             alter table appointments add constraint appointments_no_double_bay
                 exclude using gist (tenant_id with =, bay_id with =, tstzrange(starts_at, ends_at) with &&)
                 where (status in ('requested', 'confirmed', 'checked_in', 'converted'));
             alter table appointments add constraint appointments_no_double_mechanic
                 exclude using gist (tenant_id with =, mechanic_id with =, tstzrange(starts_at, ends_at) with &&)
                 where (status in ('requested', 'confirmed', 'checked_in', 'converted'));
            ",
        );
        for table in TENANT_TABLES {
            postgres.push_str(&tenant_rls(table));
            postgres.push('\n');
        }
        run_ddl(manager, TABLES, &postgres).await
    }
}
