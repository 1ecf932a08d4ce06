//! The rest of the notification platform: SMS consent and inbound replies, tenants' own
//! message templates, staff notifications, and the platform paths the workers need for
//! recording deliveries in batches and purging old ones.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
-- One sending number per tenant: inbound SMS find their tenant by the number they were sent to.
create unique index tenants_sms_sender on tenants (sms_sender) where sms_sender is not null;

-- What the SMS provider reported after accepting a message (delivered, undelivered, failed).
alter table outbox add column delivery_status text null;

-- Per number and tenant: whether SMS may be sent (consent given, and not opted out since).
create table sms_consent (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    phone text not null,
    consented_at timestamptz null,
    consent_source text null,
    opted_out_at timestamptz null,
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, phone)
);

-- SMS customers sent to a tenant's number, kept for the messaging features.
create table sms_inbound (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    from_phone text not null,
    to_phone text not null,
    body text not null,
    keyword text null,
    provider_ref text not null,
    received_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, provider_ref)
);
create index sms_inbound_by_phone on sms_inbound (tenant_id, from_phone, received_at);

-- A tenant's own wording of a message kind on one channel; the built-in one applies without.
create table message_templates (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    kind text not null,
    channel text not null check (channel in ('email', 'sms')),
    subject text null,
    body text not null,
    updated_by uuid null references users (id),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, kind, channel)
);

-- In-app notifications for staff (the bell).
create table notifications (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    user_id uuid not null references users (id),
    title text not null,
    body text not null,
    link text null,
    read_at timestamptz null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id)
);
create index notifications_by_user on notifications (tenant_id, user_id, created_at);
";

const PLATFORM_PATH: &str = "
-- Records how many sends ended in one statement (the workers' group commit): each row only
-- if this consumer still holds the message. Returns the messages recorded. Arrays cannot
-- carry NULLs from the driver, so '' means no error / no reference and the epoch means
-- keep not_before.
create function pitlane_outbox_finish_many(p_tenants uuid[], p_ids uuid[], p_consumer text,
        p_statuses text[], p_errors text[], p_refs text[], p_not_before timestamptz[])
returns table (tenant_id uuid, id uuid)
language sql volatile security definer set search_path = public as $$
    update outbox o
       set status = k.status, last_error = nullif(k.error, ''),
           provider_ref = coalesce(nullif(k.ref, ''), o.provider_ref),
           sent_at = case when k.status = 'sent' then now() else o.sent_at end,
           not_before = case when k.not_before = 'epoch' then o.not_before else k.not_before end,
           locked_by = null, locked_at = null, updated_at = now()
      from unnest(p_tenants, p_ids, p_statuses, p_errors, p_refs, p_not_before)
           as k (tenant_id, id, status, error, ref, not_before)
     where o.tenant_id = k.tenant_id and o.id = k.id
       and o.status = 'sending' and o.locked_by = p_consumer
    returning o.tenant_id, o.id
$$;

-- Deletes finished messages older than the retention period, a batch at a time.
create function pitlane_outbox_purge(p_older_than_seconds double precision, p_limit integer)
returns integer
language sql volatile security definer set search_path = public as $$
    with old as (
        select tenant_id, id from outbox
         where status in ('sent', 'suppressed', 'cancelled')
           and updated_at < now() - make_interval(secs => p_older_than_seconds)
         limit p_limit
    ), gone as (
        delete from outbox o using old where o.tenant_id = old.tenant_id and o.id = old.id
        returning 1)
    select count(*)::integer from gone
$$;

revoke all on function pitlane_outbox_finish_many(uuid[], uuid[], text, text[], text[], text[], timestamptz[]) from public;
revoke all on function pitlane_outbox_purge(double precision, integer) from public;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let walls = [
            "sms_consent",
            "sms_inbound",
            "message_templates",
            "notifications",
        ]
        .map(tenant_rls)
        .join("\n");
        run_ddl(manager, TABLES, &format!("{walls}\n{PLATFORM_PATH}")).await
    }
}
