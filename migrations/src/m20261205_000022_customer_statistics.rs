//! The customer search plans for how many customers the workshop has (`pitlane_customer_search`,
//! 000019): a common surname in a large workshop is found by walking the names in order, a
//! rare fragment through the trigram index. Among 10,000 workshops the default statistics
//! (100 most common values) no longer held the large workshops, so PostgreSQL took the
//! workshop with 100,000 customers for one with a few hundred, chose the trigram index, and
//! read 5,000 matching rows to show 50 (in psql 5 ms warm and 56 ms cold, against 2 ms for
//! the walk; the bench's search fell from 13 % to 8 % of the reference between 1,000 and
//! 10,000 workshops). A thousand most common values keep every large workshop in view.

use sea_orm_migration::prelude::*;

use crate::run_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite plans without such statistics.
        if manager.get_database_backend() == sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        run_ddl(
            manager,
            "",
            "alter table customers alter column tenant_id set statistics 1000;",
        )
        .await
    }
}
