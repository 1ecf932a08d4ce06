//! The owner-only read policies on `outbox` and `tenant_domains` name the owner role.
//!
//! They were written for every role (`using (current_user = owner)`), so PostgreSQL joined
//! them with `or` to the tenant policy in the application role's queries too, where the
//! condition can never be true but still keeps the planner off the tenant's index. Naming the
//! role (`to owner`) leaves the application role's queries with the tenant policy alone.

use sea_orm_migration::prelude::*;

use crate::run_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        run_ddl(
            manager,
            "",
            "do $$ begin
                 execute format('alter policy shared_workers on outbox to %I', current_user);
                 execute format('alter policy resolve_host on tenant_domains to %I', current_user);
             end $$;",
        )
        .await
    }
}
