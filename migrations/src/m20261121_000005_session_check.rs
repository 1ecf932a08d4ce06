//! Every signed-in request re-reads its membership (role, custom role, branches), its
//! person's session cut-off, and (for the bell in the page header) the unread notification
//! count. This function answers all of it in one statement: it sets the tenant
//! context for its own transaction and reads under row-level security like any tenant query
//! (it is not a security definer, so the walls hold exactly as for the application).

use sea_orm_migration::prelude::*;

use crate::run_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "
create function pitlane_session_member(p_tenant uuid, p_membership uuid)
returns table (
    user_id uuid,
    role text,
    status text,
    custom_role_id uuid,
    custom_role_name text,
    custom_permissions text,
    branch_limited boolean,
    branch_ids text,
    sessions_valid_after timestamptz,
    two_factor boolean,
    unread_notifications bigint
)
language plpgsql volatile set search_path = public as $$
begin
    perform set_config('app.tenant_id', p_tenant::text, true);
    return query
        select m.user_id, m.role, m.status, m.custom_role_id, r.name, r.permissions,
               m.branch_limited,
               (select string_agg(b.branch_id::text, ' ' order by b.branch_id)
                  from membership_branches b
                 where b.tenant_id = m.tenant_id and b.membership_id = m.id),
               u.sessions_valid_after, u.totp_enabled_at is not null,
               (select count(*) from notifications n
                 where n.tenant_id = m.tenant_id and n.user_id = m.user_id and n.read_at is null)
          from memberships m
          join users u on u.id = m.user_id
          left join roles r on r.tenant_id = m.tenant_id and r.id = m.custom_role_id
         where m.tenant_id = p_tenant and m.id = p_membership;
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
