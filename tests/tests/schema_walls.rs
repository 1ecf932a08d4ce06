//! Walls 2 and 3 of DESIGN.md, checked on the real schema: every table with a `tenant_id`
//! column has row-level security enabled and forced with a tenant policy, `tenant_id` in its
//! primary key, and `tenant_id` in every foreign key to another tenant table. A new table that
//! forgets a wall fails here.

use pitlane_store::sea_orm::{ConnectionTrait, DbBackend, Statement};
use pitlane_testkit::TestApp;

async fn strings(db: &impl ConnectionTrait, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect(sql)
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text column"))
        .collect()
}

#[tokio::test]
async fn every_tenant_table_has_all_walls() {
    let app = TestApp::spawn().await;
    let db = app.db().admin().await;

    let tenant_tables = strings(
        &db,
        "select c.table_name::text from information_schema.columns c
           join information_schema.tables t on t.table_name = c.table_name and t.table_schema = c.table_schema
          where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
          order by 1",
    )
    .await;
    for expected in ["branches", "memberships", "tenant_domains"] {
        assert!(
            tenant_tables.contains(&expected.to_owned()),
            "{expected} is a tenant table"
        );
    }

    let mut failures = Vec::new();
    for table in &tenant_tables {
        // Wall 2: RLS enabled and forced, with a policy on app.tenant_id for reads and writes.
        let flags = strings(
            &db,
            &format!(
                "select (relrowsecurity and relforcerowsecurity)::text from pg_class
                  where oid = 'public.{table}'::regclass"
            ),
        )
        .await;
        if flags != ["true"] {
            failures.push(format!(
                "{table}: row-level security is not enabled and forced"
            ));
        }
        let policies = strings(
            &db,
            &format!(
                "select policyname::text from pg_policies
                  where schemaname = 'public' and tablename = '{table}' and cmd = 'ALL'
                    and qual like '%app.tenant_id%' and with_check like '%app.tenant_id%'"
            ),
        )
        .await;
        if policies.is_empty() {
            failures.push(format!(
                "{table}: no policy on app.tenant_id for reads and writes"
            ));
        }

        // Wall 3: tenant_id in the primary key.
        let pk = strings(
            &db,
            &format!(
                "select a.attname::text from pg_index i
                   join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                  where i.indrelid = 'public.{table}'::regclass and i.indisprimary"
            ),
        )
        .await;
        if !pk.contains(&"tenant_id".to_owned()) {
            failures.push(format!("{table}: primary key {pk:?} lacks tenant_id"));
        }

        // Wall 3: every foreign key to another tenant table carries tenant_id.
        let foreign_keys = db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "select con.conname::text, ref.relname::text,
                            (select array_agg(a.attname::text) from pg_attribute a
                              where a.attrelid = con.conrelid and a.attnum = any(con.conkey))
                       from pg_constraint con join pg_class ref on ref.oid = con.confrelid
                      where con.conrelid = 'public.{table}'::regclass and con.contype = 'f'"
                ),
            ))
            .await
            .expect("foreign keys");
        for fk in foreign_keys {
            let name: String = fk.try_get_by_index(0).expect("name");
            let target: String = fk.try_get_by_index(1).expect("target");
            let columns: Vec<String> = fk.try_get_by_index(2).expect("columns");
            if tenant_tables.contains(&target) && !columns.contains(&"tenant_id".to_owned()) {
                failures.push(format!(
                    "{table}: foreign key {name} to {target} lacks tenant_id"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "tables missing a wall:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_application_role_cannot_bypass_row_level_security() {
    let app = TestApp::spawn().await;
    let db = app.db().app().await;
    let role = strings(
        &db,
        "select (rolsuper or rolbypassrls)::text from pg_roles where rolname = current_user",
    )
    .await;
    assert_eq!(role, ["false"]);
    let owned = strings(
        &db,
        "select count(*)::text from pg_tables where schemaname = 'public' and tableowner = current_user",
    )
    .await;
    assert_eq!(owned, ["0"], "the application role owns no table");
    app.stop().await;
}
