//! Every request made with an API key re-reads the key (its hash, scope, expiry, revocation)
//! and the membership of the person who made it (role, custom role, branches). This function
//! answers both in one statement, as `pitlane_session_member` does for a session: it sets the
//! tenant context for its own transaction and reads under row-level security (it is not a
//! security definer). Mechanics' phones send their position every few seconds with a key, so
//! this runs thousands of times a second in a busy deployment.

use sea_orm_migration::prelude::*;

use crate::run_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "
create function pitlane_api_key_member(p_tenant uuid, p_key uuid)
returns table (
    secret_hash text,
    key_permissions text,
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_by uuid,
    user_id uuid,
    role text,
    status text,
    custom_role_id uuid,
    custom_role_name text,
    custom_permissions text,
    branch_limited boolean,
    branch_ids text
)
language plpgsql volatile set search_path = public as $$
begin
    perform set_config('app.tenant_id', p_tenant::text, true);
    return query
        select k.secret_hash, k.permissions, k.expires_at, k.last_used_at, k.revoked_at,
               k.created_by, m.user_id, m.role, m.status, m.custom_role_id, r.name, r.permissions,
               m.branch_limited,
               (select string_agg(b.branch_id::text, ' ' order by b.branch_id)
                  from membership_branches b
                 where b.tenant_id = m.tenant_id and b.membership_id = m.id)
          from api_keys k
          join memberships m on m.tenant_id = k.tenant_id and m.id = k.created_by
          left join roles r on r.tenant_id = m.tenant_id and r.id = m.custom_role_id
         where k.tenant_id = p_tenant and k.id = p_key;
end $$;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite has no row-level security and no functions: the store reads the rows itself.
        if manager.get_database_backend() == sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        run_ddl(manager, "", FUNCTION).await
    }
}
