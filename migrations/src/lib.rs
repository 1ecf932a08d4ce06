//! Schema migrations. Each migration carries its DDL for both backends: PostgreSQL (the SaaS
//! shape, with row-level security) and SQLite (the embedded default).
//!
//! Every tenant-owned table follows the three walls of DESIGN.md: `tenant_id` leads its primary
//! key, every foreign key between tenant tables includes `tenant_id`, and on PostgreSQL it has
//! `ENABLE` + `FORCE ROW LEVEL SECURITY` with the `tenant_isolation` policy. `tenant_rls(table)`
//! writes that policy, so a new table gets it in one line; the schema test fails if one forgets.

use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261121_000001_foundation::Migration)]
    }
}

/// The tenant the current transaction works for, as the policies read it.
/// `nullif(…, '')` makes a missing context NULL, so every comparison fails closed.
pub const CURRENT_TENANT: &str =
    "(select nullif(current_setting('app.tenant_id', true), '')::uuid)";

/// The row-level security wall for one tenant-owned table.
pub fn tenant_rls(table: &str) -> String {
    format!(
        "alter table {table} enable row level security;
         alter table {table} force row level security;
         create policy tenant_isolation on {table}
             using (tenant_id = {CURRENT_TENANT})
             with check (tenant_id = {CURRENT_TENANT});"
    )
}

/// Runs the DDL for the connection's backend.
pub async fn run_sql(
    manager: &SchemaManager<'_>,
    postgres: &str,
    sqlite: &str,
) -> Result<(), DbErr> {
    let sql = match manager.get_database_backend() {
        sea_orm::DbBackend::Postgres => postgres,
        sea_orm::DbBackend::Sqlite => sqlite,
        other => {
            return Err(DbErr::Migration(format!(
                "unsupported database backend {other:?}"
            )));
        }
    };
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}

pub use sea_orm_migration::MigratorTrait;
