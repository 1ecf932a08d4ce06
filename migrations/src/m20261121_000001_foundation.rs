//! Tenants, branches, custom domains, users and memberships.

use sea_orm_migration::prelude::*;

use crate::{CURRENT_TENANT, run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
create table tenants (
    id uuid primary key,
    slug text not null unique,
    name text not null,
    status text not null default 'active' check (status in ('active', 'suspended')),
    plan text not null default 'trial',
    brand_primary text not null default '#1f6feb',
    brand_accent text not null default '#d9480f',
    brand_logo_url text,
    default_theme text not null default 'system' check (default_theme in ('system', 'light', 'dark')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table branches (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    address_line1 text,
    address_line2 text,
    city text,
    postal_code text,
    region text,
    country text,
    phone text,
    time_zone text not null,
    business_hours jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, name)
);

create table tenant_domains (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    host text not null unique,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id)
);

create table users (
    id uuid primary key,
    email text not null unique,
    name text not null,
    password_hash text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table memberships (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    user_id uuid not null references users (id),
    role text not null,
    status text not null default 'active' check (status in ('active', 'deactivated')),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, user_id)
);
create index memberships_user on memberships (user_id);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let walls = format!(
            "{branches}
             {domains}
             {memberships}
             -- Tenants are public by slug (host resolution reads them before any tenant context),
             -- but a tenant's row can only be written inside its own context.
             alter table tenants enable row level security;
             alter table tenants force row level security;
             create policy tenants_public_read on tenants for select using (true);
             create policy tenants_insert_own on tenants for insert with check (id = {CURRENT_TENANT});
             create policy tenants_update_own on tenants for update
                 using (id = {CURRENT_TENANT}) with check (id = {CURRENT_TENANT});

             -- The one platform path into tenant_domains: resolving a custom host to its tenant.
             -- It runs as the owner (security definer); a second select policy lets only the
             -- owner read, so the application role still sees nothing without tenant context.
             do $$ begin
                 execute format(
                     'create policy resolve_host on tenant_domains for select using (current_user = %L)',
                     current_user);
             end $$;
             create function pitlane_tenant_for_host(p_host text) returns uuid
                 language sql stable security definer set search_path = public
                 as $$ select tenant_id from tenant_domains where host = lower(p_host) $$;
             revoke all on function pitlane_tenant_for_host(text) from public;",
            branches = tenant_rls("branches"),
            domains = tenant_rls("tenant_domains"),
            memberships = tenant_rls("memberships"),
        );
        run_ddl(manager, TABLES, &walls).await
    }
}
