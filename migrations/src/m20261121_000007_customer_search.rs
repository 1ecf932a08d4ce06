//! Customer search that uses its trigram index under row-level security.
//!
//! `LIKE` is not a leakproof operator, so PostgreSQL evaluates it only after the row-level
//! security policy, as a filter: the trigram index on `(tenant_id, search)` was never used
//! and a search walked every customer of the workshop. This function does the index lookup
//! itself (as the owner, so the policy does not stand in the way) and keeps the wall by
//! reading only the current transaction's tenant, exactly as the policy would. It returns
//! ids; the caller's query reads the rows under the policy as usual.

use sea_orm_migration::prelude::*;

use crate::{CURRENT_TENANT, run_ddl};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite has no row-level security: there a plain LIKE is the search.
        if manager.get_database_backend() == sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        // PL/pgSQL `execute` plans the lookup with the tenant and pattern known, so the
        // planner sees how selective they are and takes the trigram index; the materialised
        // CTE keeps the cap (`limit`) from talking it into a scan that hopes to stop early.
        let function = format!(
            "create function pitlane_customer_matches(p_pattern text, p_limit integer)
             returns setof uuid
             language plpgsql stable security definer set search_path = public as $$
             begin
                 return query execute
                     'with m as materialized (
                          select id from customers where tenant_id = $1 and search like $2 escape ''\\''
                      ) select id from m limit $3'
                     using {CURRENT_TENANT}, p_pattern, p_limit;
             end $$;
             revoke all on function pitlane_customer_matches(text, integer) from public;
             -- Where the owner is not a superuser and lacks BYPASSRLS, the forced policy would
             -- hide every row from the function; this lets only the owner read. It names the
             -- owner (`to`), so the application role's plans never see it: an `or` beside
             -- the tenant policy would keep them off the tenant index. (Such an owner still
             -- cannot use the trigram index: give it BYPASSRLS, see the README.)
             do $outer$ begin
                 execute format(
                     'create policy customer_search on customers for select to %I using (true)',
                     current_user);
             end $outer$;"
        );
        run_ddl(manager, "", &function).await
    }
}
