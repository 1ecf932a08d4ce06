//! Invoicing and payments: tax rates, invoices with their lines, credit notes, payments with
//! receipts, refunds, Stripe Checkout sessions, each tenant's Stripe connection and plan, and
//! the platform's inbox of Stripe webhook events.
//!
//! Money is integer minor units (`*_minor`), quantities thousandths, rates basis points. An
//! issued invoice's lines are never updated: corrections are credit notes.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
-- Whether the tenant's prices already contain tax, and its invoice defaults.
alter table tenants add column prices_include_tax boolean not null default false;
alter table tenants add column invoice_due_days integer not null default 14;
alter table tenants add column invoice_footer text null;
-- Stripe Connect: the tenant's own account, and what Stripe last said it may do.
alter table tenants add column stripe_account_id text null;
alter table tenants add column stripe_charges_enabled boolean not null default false;
alter table tenants add column stripe_details_submitted boolean not null default false;
-- The platform's subscription for the tenant's plan (Stripe Billing).
alter table tenants add column stripe_customer_id text null;
alter table tenants add column stripe_subscription_id text null;
alter table tenants add column billing_status text not null default 'trialing'
    check (billing_status in ('trialing', 'active', 'past_due', 'canceled'));
alter table tenants add column past_due_since timestamptz null;
alter table tenants add column trial_warned_at timestamptz null;
create unique index tenants_stripe_account on tenants (stripe_account_id)
    where stripe_account_id is not null;
create unique index tenants_stripe_customer on tenants (stripe_customer_id)
    where stripe_customer_id is not null;

-- The rates a branch charges, beside the branch's standard rate (`branches.tax_rate_bp`).
create table tax_rates (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    branch_id uuid not null,
    name text not null,
    rate_bp integer not null check (rate_bp >= 0 and rate_bp <= 10000),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, branch_id, name),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);

create table invoices (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    -- `INV-2026-000123`, given when issued: drafts have none, so numbers have no gaps.
    number text null,
    branch_id uuid not null,
    customer_id uuid not null,
    vehicle_id uuid null,
    repair_order_id uuid null,
    status text not null default 'draft'
        check (status in ('draft', 'issued', 'partly_paid', 'paid', 'void')),
    currency text not null,
    prices_include_tax boolean not null,
    -- Who is billed, as they were when the invoice was made.
    customer_name text not null,
    customer_email text null,
    customer_phone text null,
    vehicle_label text not null default '',
    notes text null,
    net_minor bigint not null default 0,
    tax_minor bigint not null default 0,
    total_minor bigint not null default 0,
    credited_minor bigint not null default 0,
    paid_minor bigint not null default 0,
    refunded_minor bigint not null default 0,
    issued_at timestamptz null,
    due_at timestamptz null,
    voided_at timestamptz null,
    void_reason text null,
    created_by text null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, number),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, customer_id) references customers (tenant_id, id),
    foreign key (tenant_id, vehicle_id) references vehicles (tenant_id, id),
    foreign key (tenant_id, repair_order_id) references repair_orders (tenant_id, id)
);
create index invoices_list on invoices (tenant_id, created_at, id);
create index invoices_customer on invoices (tenant_id, customer_id);
-- One live invoice per repair order, however two advisors race.
create unique index invoices_repair_order on invoices (tenant_id, repair_order_id)
    where repair_order_id is not null and status <> 'void';

create table invoice_lines (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    invoice_id uuid not null,
    position integer not null,
    kind text not null check (kind in ('labour', 'part', 'fee', 'discount', 'other')),
    description text not null,
    quantity_milli bigint not null check (quantity_milli > 0),
    -- Negative for a discount.
    unit_price_minor bigint not null,
    tax_rate_bp integer not null check (tax_rate_bp >= 0),
    tax_name text not null,
    amount_minor bigint not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id) on delete cascade
);
create index invoice_lines_invoice on invoice_lines (tenant_id, invoice_id, position);

create table credit_notes (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    invoice_id uuid not null,
    number text not null,
    reason text not null,
    net_minor bigint not null,
    tax_minor bigint not null,
    total_minor bigint not null check (total_minor > 0),
    created_by text null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, number),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id)
);
create index credit_notes_invoice on credit_notes (tenant_id, invoice_id);

create table credit_note_lines (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    credit_note_id uuid not null,
    position integer not null,
    description text not null,
    quantity_milli bigint not null check (quantity_milli > 0),
    unit_price_minor bigint not null,
    tax_rate_bp integer not null,
    tax_name text not null,
    amount_minor bigint not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, credit_note_id) references credit_notes (tenant_id, id) on delete cascade
);

create table payments (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    invoice_id uuid not null,
    -- The receipt's number, `RCT-2026-000045`.
    number text not null,
    method text not null
        check (method in ('cash', 'card_terminal', 'bank_transfer', 'card_online', 'rounding')),
    amount_minor bigint not null check (amount_minor > 0),
    refunded_minor bigint not null default 0,
    reference text null,
    received_at timestamptz not null,
    recorded_by text null,
    stripe_payment_intent text null,
    stripe_checkout_session text null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, number),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id),
    check (refunded_minor >= 0 and refunded_minor <= amount_minor)
);
create index payments_invoice on payments (tenant_id, invoice_id);
-- A card payment is recorded once, whichever webhook (or retry) gets there first.
create unique index payments_payment_intent on payments (tenant_id, stripe_payment_intent)
    where stripe_payment_intent is not null;

create table refunds (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    invoice_id uuid not null,
    payment_id uuid not null,
    amount_minor bigint not null check (amount_minor > 0),
    reason text not null,
    status text not null check (status in ('pending', 'succeeded', 'failed')),
    stripe_refund_id text null,
    credit_note_id uuid null,
    created_by text null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id),
    foreign key (tenant_id, credit_note_id) references credit_notes (tenant_id, id)
);
create index refunds_invoice on refunds (tenant_id, invoice_id);
create unique index refunds_stripe on refunds (tenant_id, stripe_refund_id)
    where stripe_refund_id is not null;

-- Card payments started on the branded page, as Stripe Checkout sessions on the tenant's account.
create table checkout_sessions (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    invoice_id uuid not null,
    stripe_session_id text not null,
    amount_minor bigint not null,
    status text not null default 'open' check (status in ('open', 'complete', 'expired', 'failed')),
    url text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, stripe_session_id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id)
);
create index checkout_sessions_invoice on checkout_sessions (tenant_id, invoice_id);

-- The platform's inbox of verified Stripe events: stored once by id when they arrive, then
-- worked through in the background (with retries) by whichever instance claims them.
create table stripe_events (
    id text primary key,
    type text not null,
    account text null,
    livemode boolean not null,
    payload text not null,
    received_at timestamptz not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    locked_until timestamptz null,
    processed_at timestamptz null,
    outcome text null
);
create index stripe_events_due on stripe_events (processed_at, next_attempt_at);
";

const TENANT_TABLES: &[&str] = &[
    "tax_rates",
    "invoices",
    "invoice_lines",
    "credit_notes",
    "credit_note_lines",
    "payments",
    "refunds",
    "checkout_sessions",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut postgres = String::new();
        for table in TENANT_TABLES {
            postgres.push_str(&tenant_rls(table));
            postgres.push('\n');
        }
        run_ddl(manager, TABLES, &postgres).await
    }
}
