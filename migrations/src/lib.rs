//! Schema migrations. Each migration carries its DDL for both backends: PostgreSQL (the SaaS
//! shape, with row-level security) and SQLite (the embedded default).
//!
//! Every tenant-owned table follows the three walls of DESIGN.md: `tenant_id` leads its primary
//! key, every foreign key between tenant tables includes `tenant_id`, and on PostgreSQL it has
//! `ENABLE` + `FORCE ROW LEVEL SECURITY` with the `tenant_isolation` policy. `tenant_rls(table)`
//! writes that policy, so a new table gets it in one line; the schema test fails if one forgets.

use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_outbox;
mod m20261121_000003_messaging;
mod m20261121_000004_identity;
mod m20261121_000005_session_check;
mod m20261121_000006_front_desk;
mod m20261121_000007_customer_search;
mod m20261121_000008_owner_policies;
mod m20261121_000009_workshop;
mod m20261121_000010_billing;
mod m20261204_000011_hardening;
mod m20261204_000012_reports;
mod m20261204_000013_history_at_scale;
mod m20261204_000014_floor_figures;
mod m20261204_000015_workshop_confirmation;
mod m20261205_000016_roadside;
mod m20261205_000017_feedback;
mod m20261205_000018_api_key_check;
mod m20261205_000019_customer_search_page;
mod m20261205_000020_api_key_base_url;
mod m20261205_000021_calendar_feeds;

pub use sea_orm_migration::MigratorTrait;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_outbox::Migration),
            Box::new(m20261121_000003_messaging::Migration),
            Box::new(m20261121_000004_identity::Migration),
            Box::new(m20261121_000005_session_check::Migration),
            Box::new(m20261121_000006_front_desk::Migration),
            Box::new(m20261121_000007_customer_search::Migration),
            Box::new(m20261121_000008_owner_policies::Migration),
            Box::new(m20261121_000009_workshop::Migration),
            Box::new(m20261121_000010_billing::Migration),
            Box::new(m20261204_000011_hardening::Migration),
            Box::new(m20261204_000012_reports::Migration),
            Box::new(m20261204_000013_history_at_scale::Migration),
            Box::new(m20261204_000014_floor_figures::Migration),
            Box::new(m20261204_000015_workshop_confirmation::Migration),
            Box::new(m20261205_000016_roadside::Migration),
            Box::new(m20261205_000017_feedback::Migration),
            Box::new(m20261205_000018_api_key_check::Migration),
            Box::new(m20261205_000019_customer_search_page::Migration),
            Box::new(m20261205_000020_api_key_base_url::Migration),
            Box::new(m20261205_000021_calendar_feeds::Migration),
        ]
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

/// Runs a migration's DDL. Tables are written once, in PostgreSQL's dialect; SQLite gets the
/// same tables with its storage types (see [`sqlite_dialect`]). `postgres_only` holds what
/// SQLite has no equivalent for: row-level security, functions.
pub async fn run_ddl(
    manager: &SchemaManager<'_>,
    tables: &str,
    postgres_only: &str,
) -> Result<(), DbErr> {
    let sql = match manager.get_database_backend() {
        sea_orm::DbBackend::Postgres => format!("{tables}\n{postgres_only}"),
        sea_orm::DbBackend::Sqlite => sqlite_dialect(tables),
        other => {
            return Err(DbErr::Migration(format!(
                "unsupported database backend {other:?}"
            )));
        }
    };
    manager
        .get_connection()
        .execute_unprepared(&sql)
        .await
        .map(|_| ())
}

/// Runs a change written separately for each database: where SQLite cannot alter what
/// PostgreSQL can (a NOT NULL, a CHECK), its table is built again.
pub async fn run_each(
    manager: &SchemaManager<'_>,
    postgres: &str,
    sqlite: &str,
) -> Result<(), DbErr> {
    let sql = match manager.get_database_backend() {
        sea_orm::DbBackend::Sqlite => sqlite,
        _ => postgres,
    };
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}

/// The SQLite form of PostgreSQL table DDL, in the storage sea-orm uses there: UUIDs as
/// 16-byte blobs, timestamps and JSON as text. Defaults that call PostgreSQL functions are
/// dropped; the application always writes those columns.
pub fn sqlite_dialect(postgres: &str) -> String {
    postgres
        .replace(" default now()", "")
        .replace(" uuid ", " blob ")
        .replace(" timestamptz ", " text ")
        .replace(" jsonb ", " text ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_gets_its_storage_types() {
        let pg = "create table t (\n    tenant_id uuid not null,\n    at timestamptz not null default now(),\n    data jsonb not null\n);";
        assert_eq!(
            super::sqlite_dialect(pg),
            "create table t (\n    tenant_id blob not null,\n    at text not null,\n    data text not null\n);"
        );
    }
}
