//! Identity and access: sign-up details on tenants, verified e-mail and "sign out everywhere"
//! on users, custom roles, branch-limited memberships, single-use links, invitations,
//! mechanic applications, API keys, and the append-only audit log.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, tenant_rls};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
alter table tenants add column country text null;
alter table tenants add column currency text not null default 'USD';
alter table tenants add column trial_ends_at timestamptz null;
alter table tenants add column require_sso boolean not null default false;
alter table tenants add column require_two_factor boolean not null default false;

alter table users add column email_verified_at timestamptz null;
-- Sessions that began before this instant are over (\"sign out everywhere\").
alter table users add column sessions_valid_after timestamptz null;
alter table users add column totp_secret text null;
alter table users add column totp_enabled_at timestamptz null;

-- A tenant's own roles, built from the permission catalogue (space-separated keys).
create table roles (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    description text null,
    permissions text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, name)
);

-- `role` is a built-in key or 'custom' with `custom_role_id`; `branch_limited` members see
-- only the branches listed in membership_branches.
alter table memberships add column custom_role_id uuid null;
alter table memberships add column branch_limited boolean not null default false;
alter table memberships add column updated_at timestamptz null;

create table membership_branches (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    membership_id uuid not null,
    branch_id uuid not null,
    primary key (tenant_id, id),
    unique (tenant_id, membership_id, branch_id),
    foreign key (tenant_id, membership_id) references memberships (tenant_id, id) on delete cascade,
    foreign key (tenant_id, branch_id) references branches (tenant_id, id) on delete cascade
);

-- Single-use links for a person (verify e-mail, reset password). The link carries the id
-- and a signature; this row makes it single use.
create table auth_links (
    id uuid primary key,
    user_id uuid not null references users (id),
    purpose text not null check (purpose in ('verify_email', 'reset_password', 'magic_link')),
    expires_at timestamptz not null,
    used_at timestamptz null,
    created_at timestamptz not null default now()
);
create index auth_links_user on auth_links (user_id, purpose);

-- Sign-in through an identity provider: (provider, subject) names one person there.
create table user_identities (
    id uuid primary key,
    user_id uuid not null references users (id),
    provider text not null,
    subject text not null,
    email text not null,
    created_at timestamptz not null default now(),
    unique (provider, subject)
);

-- One-time codes for when the authenticator is lost; stored hashed.
create table recovery_codes (
    id uuid primary key,
    user_id uuid not null references users (id),
    code_hash text not null,
    used_at timestamptz null
);
create index recovery_codes_user on recovery_codes (user_id);

create table invitations (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    email text not null,
    name text null,
    role text not null,
    custom_role_id uuid null,
    branch_ids text not null default '',
    invited_by uuid not null,
    expires_at timestamptz not null,
    accepted_at timestamptz null,
    revoked_at timestamptz null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, invited_by) references memberships (tenant_id, id)
);

create table mechanic_applications (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    email text not null,
    phone text null,
    experience_years integer not null,
    certifications text not null default '',
    branch_ids text not null default '',
    message text null,
    status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
    decided_by uuid null,
    decided_at timestamptz null,
    user_id uuid null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id)
);

create table api_keys (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    secret_hash text not null,
    permissions text not null,
    created_by uuid not null,
    expires_at timestamptz null,
    last_used_at timestamptz null,
    revoked_at timestamptz null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, created_by) references memberships (tenant_id, id)
);

create table audit_log (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    at timestamptz not null default now(),
    actor_user_id uuid null,
    actor text not null,
    action text not null,
    subject text null,
    detail text not null default '',
    ip text null,
    primary key (tenant_id, id)
);
create index audit_log_action on audit_log (tenant_id, action, id);
";

const APPEND_ONLY: &str = "the audit log is append-only";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let walls = format!(
            "{roles}
             {membership_branches}
             {invitations}
             {api_keys}
             {applications}
             {audit_log}
             alter table memberships add constraint memberships_custom_role
                 foreign key (tenant_id, custom_role_id) references roles (tenant_id, id);
             -- The platform's sign-in lists a person's workshops before any tenant is chosen:
             -- one audited security-definer path, readable only by the owner role.
             do $$ begin
                 execute format(
                     'create policy workshops_of_user on memberships for select using (current_user = %L)',
                     current_user);
             end $$;
             create function pitlane_workshops_of(p_user uuid) returns setof uuid
                 language sql stable security definer set search_path = public
                 as $$ select tenant_id from memberships where user_id = p_user and status = 'active' $$;
             revoke all on function pitlane_workshops_of(uuid) from public;
             -- No role, not even the owner, edits or deletes an audit entry.
             create function pitlane_audit_append_only() returns trigger language plpgsql as $$
             begin raise exception '{APPEND_ONLY}'; end $$;
             create trigger audit_log_append_only before update or delete on audit_log
                 for each row execute function pitlane_audit_append_only();
             create trigger audit_log_no_truncate before truncate on audit_log
                 for each statement execute function pitlane_audit_append_only();",
            roles = tenant_rls("roles"),
            membership_branches = tenant_rls("membership_branches"),
            invitations = tenant_rls("invitations"),
            api_keys = tenant_rls("api_keys"),
            applications = tenant_rls("mechanic_applications"),
            audit_log = tenant_rls("audit_log"),
        );
        run_ddl(manager, TABLES, &walls).await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "create trigger audit_log_no_update before update on audit_log
                         begin select raise(abort, '{APPEND_ONLY}'); end;
                     create trigger audit_log_no_delete before delete on audit_log
                         begin select raise(abort, '{APPEND_ONLY}'); end;"
                ))
                .await?;
        }
        Ok(())
    }
}
