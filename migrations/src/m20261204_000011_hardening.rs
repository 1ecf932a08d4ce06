//! Hardening (issue 17):
//! - TOTP codes are single use (the last accepted time step is kept);
//! - a customer's first magic link names the address it was sent to, not a person made for
//!   it, so asking for a link creates no login that would then block that address's sign-up
//!   (`auth_links.user_id` may be empty, with `email` and `name` instead);
//! - a workshop may trust its identity provider's second factor (else two-factor people
//!   still enter their code after single sign-on);
//! - a custom domain serves only once the workshop proved it owns it by DNS: a TXT record
//!   `_pitlane-challenge.{host}` holding `pitlane-verify={verification_token}`; Pitlane checks
//!   it again every hour and unverifies a domain whose record has been gone for three days;
//! - texts to the deployment's shared SMS number find the workshops that texted that phone;
//! - the relay names itself on the messages it queues, so a dead relay's are put back;
//! - every security-definer function resolves names in `public` then `pg_temp` only.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, run_each};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
-- The 30-second step of the last authenticator code accepted: a code is good once.
alter table users add column totp_last_step bigint null;
-- A person with two-factor still enters a code after single sign-on, unless the workshop
-- trusts its identity provider's own second factor.
alter table tenants add column sso_trusts_mfa boolean not null default false;
-- Custom domains are verified by DNS before they serve or appear in links.
alter table tenant_domains add column verification_token text null;
alter table tenant_domains add column verified_at timestamptz null;
alter table tenant_domains add column checked_at timestamptz null;
alter table tenant_domains add column failing_since timestamptz null;
alter table tenant_domains add column check_error text null;
";

/// `pg_temp` last: a temporary object can never shadow ours inside a security definer.
/// Also the one platform path that asks whether a person is staff anywhere (a customer's
/// session may not give such a person a password without proof).
const SEARCH_PATH: &str = "
update tenant_domains set verification_token = md5(random()::text || id::text)
    where verification_token is null;
-- Only a verified domain finds its workshop.
create or replace function pitlane_tenant_for_host(p_host text) returns uuid
    language sql stable security definer
    as $$ select tenant_id from tenant_domains where host = lower(p_host) and verified_at is not null $$;
revoke all on function pitlane_tenant_for_host(text) from public;
-- Replies to the deployment's shared SMS number: the workshops (without a number of their
-- own) that texted this phone, the most recent first.
create function pitlane_tenants_texting(p_phone text) returns table (tenant_id uuid)
    language sql stable security definer
    as $$ select o.tenant_id from outbox o join tenants t on t.id = o.tenant_id
          where o.channel = 'sms' and o.recipient = p_phone and o.sent_at is not null
            and t.sms_sender is null
          group by o.tenant_id order by max(o.sent_at) desc $$;
revoke all on function pitlane_tenants_texting(text) from public;
-- The relay names itself on the messages it queues (locked_by), so messages of a relay that
-- died between committing them as queued and adding them to the stream are noticed (its
-- heartbeat is gone) and put back within seconds.
drop function pitlane_outbox_claim(integer, integer, integer);
create function pitlane_outbox_claim(p_limit integer, p_per_tenant integer, p_max_in_flight integer, p_relay text)
returns table (tenant_id uuid, id uuid)
language sql volatile security definer as $$
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
    update outbox o set status = 'queued', locked_by = p_relay, locked_at = now(), updated_at = now()
      from chosen c
     where o.tenant_id = c.tenant_id and o.id = c.id
    returning o.tenant_id, o.id
$$;
revoke all on function pitlane_outbox_claim(integer, integer, integer, text) from public;
create function pitlane_outbox_relays() returns setof text
    language sql stable security definer
    as $$ select distinct locked_by from outbox where status = 'queued' and locked_by is not null $$;
revoke all on function pitlane_outbox_relays() from public;
create function pitlane_outbox_requeue_relayed_by(p_relays text[]) returns integer
    language sql volatile security definer as $$
    with back as (
        update outbox set status = 'pending', locked_by = null, locked_at = null, updated_at = now()
         where status = 'queued' and locked_by = any(p_relays)
        returning 1)
    select count(*)::integer from back
$$;
revoke all on function pitlane_outbox_requeue_relayed_by(text[]) from public;
create function pitlane_has_staff_login(p_user uuid) returns boolean
    language sql stable security definer
    as $$ select exists (select 1 from memberships where user_id = p_user and role <> 'customer') $$;
revoke all on function pitlane_has_staff_login(uuid) from public;
do $$
declare f record;
begin
    for f in
        select p.oid::regprocedure as signature
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and p.prosecdef
    loop
        execute format('alter function %s set search_path = public, pg_temp', f.signature);
    end loop;
end $$;
";

/// A link for a person, or (a first magic link) for an address with no person yet.
const AUTH_LINKS_POSTGRES: &str = "
alter table auth_links alter column user_id drop not null;
alter table auth_links add column email text null;
alter table auth_links add column name text null;
alter table auth_links add constraint auth_links_for_someone
    check (user_id is not null or email is not null);
";

/// SQLite cannot drop a NOT NULL: the table is built again.
const AUTH_LINKS_SQLITE: &str = "
create table auth_links_new (
    id blob primary key,
    user_id blob null references users (id),
    email text null,
    name text null,
    purpose text not null check (purpose in ('verify_email', 'reset_password', 'magic_link')),
    expires_at text not null,
    used_at text null,
    created_at text not null,
    check (user_id is not null or email is not null)
);
insert into auth_links_new (id, user_id, purpose, expires_at, used_at, created_at)
    select id, user_id, purpose, expires_at, used_at, created_at from auth_links;
drop table auth_links;
alter table auth_links_new rename to auth_links;
create index auth_links_user on auth_links (user_id, purpose);
update tenant_domains set verification_token = lower(hex(randomblob(16)))
    where verification_token is null;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_ddl(manager, TABLES, SEARCH_PATH).await?;
        run_each(manager, AUTH_LINKS_POSTGRES, AUTH_LINKS_SQLITE).await
    }
}
