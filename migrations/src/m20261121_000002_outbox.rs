//! The outbox: messages written in the same transaction as the change that causes them, and
//! each tenant's sender settings.
//!
//! The relay and the shared workers serve every tenant, so they need a way across tenants into
//! this one table. That way is a short list of `security definer` functions (claim, take,
//! finish, requeue, statistics), each doing one thing; the application role can call them but
//! still sees no other tenant's outbox rows through plain queries.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
alter table tenants add column email_sender_name text null;
alter table tenants add column email_reply_to text null;
alter table tenants add column sms_sender text null;

create table outbox (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    kind text not null,
    channel text not null check (channel in ('email', 'sms')),
    recipient text not null,
    data jsonb not null,
    idempotency_key text not null,
    bulk boolean not null default false,
    status text not null default 'pending'
        check (status in ('pending', 'queued', 'sending', 'sent', 'dead', 'suppressed', 'cancelled')),
    attempts integer not null default 0,
    not_before timestamptz not null,
    locked_by text null,
    locked_at timestamptz null,
    last_error text null,
    provider_ref text null,
    sent_at timestamptz null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, idempotency_key)
);
create index outbox_due on outbox (not_before) where status = 'pending';
create index outbox_in_flight on outbox (locked_at) where status in ('queued', 'sending');
create index outbox_bulk_pace on outbox (tenant_id, not_before) where status = 'pending' and bulk;
create index outbox_by_status on outbox (tenant_id, status, updated_at) where status <> 'sent';
create index outbox_sent on outbox (sent_at) where status = 'sent';
";

const PLATFORM_PATH: &str = "
-- The owner (inside the functions below) may read and write every tenant's outbox rows;
-- the application role still needs app.tenant_id for plain queries.
do $$ begin
    execute format(
        'create policy shared_workers on outbox for all using (current_user = %L) with check (current_user = %L)',
        current_user, current_user);
end $$;

-- Moves due messages to 'queued' for the relay, which commits and then puts them on the
-- queue (a worker must never read an entry before its row says queued), fairly: at most p_per_tenant per tenant per
-- call, and never more than p_max_in_flight queued or sending in all, so a campaign waits
-- its turn instead of filling the stream ahead of other tenants' reminders.
create function pitlane_outbox_claim(p_limit integer, p_per_tenant integer, p_max_in_flight integer)
returns table (tenant_id uuid, id uuid)
language sql volatile security definer set search_path = public as $$
    with in_flight as (
        select count(*) as n from (
            select 1 from outbox where status in ('queued', 'sending') limit p_max_in_flight
        ) f
    ), due as (
        select d.tenant_id, d.id,
               row_number() over (partition by d.tenant_id order by d.not_before, d.id) as turn
          from (select o.tenant_id, o.id, o.not_before from outbox o
                 where o.status = 'pending' and o.not_before <= now()
                 order by o.not_before limit p_limit * 10
                 for update skip locked) d
    ), chosen as (
        select due.tenant_id, due.id from due
         where due.turn <= p_per_tenant
         order by due.turn, due.id
         limit greatest(0, least(p_limit, p_max_in_flight - (select n from in_flight)))
    )
    update outbox o set status = 'queued', locked_by = null, locked_at = now(), updated_at = now()
      from chosen c
     where o.tenant_id = c.tenant_id and o.id = c.id
    returning o.tenant_id, o.id
$$;

-- Gives claimed messages back when the queue could not take them (Redis is down).
create function pitlane_outbox_release(p_tenants uuid[], p_ids uuid[])
returns integer
language sql volatile security definer set search_path = public as $$
    with back as (
        update outbox o set status = 'pending', locked_at = null, updated_at = now()
          from unnest(p_tenants, p_ids) as k (tenant_id, id)
         where o.tenant_id = k.tenant_id and o.id = k.id and o.status = 'queued'
        returning 1)
    select count(*)::integer from back
$$;

-- A worker takes messages it read from the stream. Only a queued message, or one whose
-- sender has been silent longer than the lease, can be taken: a message already sent, or
-- being sent by a live worker, is not returned (the worker just acknowledges it).
create function pitlane_outbox_take(p_tenants uuid[], p_ids uuid[], p_consumer text, p_lease_seconds double precision)
returns setof outbox
language sql volatile security definer set search_path = public as $$
    update outbox o
       set status = 'sending', attempts = o.attempts + 1, locked_by = p_consumer,
           locked_at = now(), updated_at = now()
      from unnest(p_tenants, p_ids) as k (tenant_id, id)
     where o.tenant_id = k.tenant_id and o.id = k.id
       and (o.status = 'queued'
            or (o.status = 'sending' and o.locked_at < now() - make_interval(secs => p_lease_seconds)))
    returning o.*
$$;

-- Records how a send ended, if this consumer still holds the message.
create function pitlane_outbox_finish(p_tenant uuid, p_id uuid, p_consumer text, p_status text,
                                      p_error text, p_provider_ref text, p_not_before timestamptz)
returns boolean
language sql volatile security definer set search_path = public as $$
    with done as (
        update outbox
           set status = p_status, last_error = p_error,
               provider_ref = coalesce(p_provider_ref, provider_ref),
               sent_at = case when p_status = 'sent' then now() else sent_at end,
               not_before = coalesce(p_not_before, not_before),
               locked_by = null, locked_at = null, updated_at = now()
         where tenant_id = p_tenant and id = p_id and status = 'sending' and locked_by = p_consumer
        returning 1)
    select exists (select 1 from done)
$$;

-- Puts back messages whose queue entry was lost (Redis restarted empty) or whose worker died.
create function pitlane_outbox_requeue_stale(p_queued_seconds double precision, p_sending_seconds double precision)
returns integer
language sql volatile security definer set search_path = public as $$
    with back as (
        update outbox set status = 'pending', locked_by = null, locked_at = null, updated_at = now()
         where (status = 'queued' and locked_at < now() - make_interval(secs => p_queued_seconds))
            or (status = 'sending' and locked_at < now() - make_interval(secs => p_sending_seconds))
        returning 1)
    select count(*)::integer from back
$$;

-- The operator's view: per tenant and state, how many messages and the oldest change.
create function pitlane_outbox_stats()
returns table (tenant_id uuid, status text, due boolean, messages bigint, oldest timestamptz)
language sql stable security definer set search_path = public as $$
    select o.tenant_id, o.status, (o.status = 'pending' and o.not_before <= now()) as due,
           count(*), min(o.updated_at)
      from outbox o where o.status <> 'sent'
     group by 1, 2, 3
    union all
    select o.tenant_id, 'sent', false, count(*), min(o.sent_at)
      from outbox o where o.status = 'sent' and o.sent_at > now() - interval '5 minutes'
     group by 1
$$;

-- Dead letters of every tenant, newest first, for the operator.
create function pitlane_outbox_dead(p_limit integer)
returns setof outbox
language sql stable security definer set search_path = public as $$
    select * from outbox where status = 'dead' order by updated_at desc limit p_limit
$$;

revoke all on function pitlane_outbox_claim(integer, integer, integer) from public;
revoke all on function pitlane_outbox_release(uuid[], uuid[]) from public;
revoke all on function pitlane_outbox_take(uuid[], uuid[], text, double precision) from public;
revoke all on function pitlane_outbox_finish(uuid, uuid, text, text, text, text, timestamptz) from public;
revoke all on function pitlane_outbox_requeue_stale(double precision, double precision) from public;
revoke all on function pitlane_outbox_stats() from public;
revoke all on function pitlane_outbox_dead(integer) from public;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let walls = format!("{}\n{PLATFORM_PATH}", tenant_rls("outbox"));
        run_ddl(manager, TABLES, &walls).await
    }
}
