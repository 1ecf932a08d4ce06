//! Wall 2 from the application role's side: with no tenant context it reads nothing from any
//! tenant table, and inside one tenant's context it can neither see, change, delete nor
//! create another tenant's rows, whatever the SQL says.

use pitlane_store::sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait,
};
use pitlane_testkit::TestApp;

async fn tenant_tables(app: &TestApp) -> Vec<String> {
    let db = app.db().admin().await;
    db.query_all_raw(Statement::from_string(
        DbBackend::Postgres,
        "select table_name::text from information_schema.columns
          where table_schema = 'public' and column_name = 'tenant_id' order by 1",
    ))
    .await
    .expect("tenant tables")
    .into_iter()
    .map(|r| r.try_get_by_index::<String>(0).expect("name"))
    .collect()
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect(sql)
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a count")
}

async fn in_tenant(
    db: &pitlane_store::sea_orm::DatabaseConnection,
    tenant: uuid::Uuid,
) -> DatabaseTransaction {
    let tx = db.begin().await.expect("begin");
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "select set_config('app.tenant_id', $1, true)",
        [tenant.to_string().into()],
    ))
    .await
    .expect("set tenant");
    tx
}

/// Rows changed by a statement that must run (RLS filters it; it does not fail).
async fn affected(db: &impl ConnectionTrait, sql: &str) -> u64 {
    db.execute_unprepared(sql).await.expect(sql).rows_affected()
}

/// Tries to insert a row given as JSON into a table.
async fn insert_json(
    db: &impl ConnectionTrait,
    table: &str,
    row: &serde_json::Value,
) -> Result<(), String> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("insert into {table} select * from json_populate_record(null::{table}, $1::json)"),
        [row.to_string().into()],
    ))
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Tables nobody may change or delete rows of, not even within their own tenant.
const APPEND_ONLY: &[&str] = &["audit_log"];

#[tokio::test]
async fn no_context_reads_nothing_and_one_tenant_cannot_touch_another() {
    let app = TestApp::spawn().await;
    let alpha = app.populated_tenant("alpha").await;
    let bravo = app.populated_tenant("bravo").await;
    let (a, b) = (alpha.id.0, bravo.id.0);
    let tables = tenant_tables(&app).await;
    let owner = app.db().admin().await;
    let db = app.db().app().await;

    for table in &tables {
        let stored = count(
            &owner,
            &format!("select count(*) from {table} where tenant_id = '{b}'"),
        )
        .await;
        assert!(
            stored > 0,
            "{table}: the fixture must give bravo rows to protect"
        );

        // No tenant context: nothing at all.
        assert_eq!(
            count(&db, &format!("select count(*) from {table}")).await,
            0,
            "{table} without context"
        );

        let tx = in_tenant(&db, a).await;
        let visible = count(
            &tx,
            &format!("select count(*) from {table} where tenant_id = '{b}'"),
        )
        .await;
        assert_eq!(visible, 0, "{table}: bravo's rows are invisible");
        if APPEND_ONLY.contains(&table.as_str()) {
            // Append-only: the application role may not update or delete at all.
            tx.rollback().await.expect("rollback");
            for sql in [
                format!("update {table} set tenant_id = tenant_id where tenant_id = '{a}'"),
                format!("delete from {table} where tenant_id = '{a}'"),
            ] {
                let tx = in_tenant(&db, a).await;
                let refused = tx.execute_unprepared(&sql).await;
                assert!(
                    refused.is_err_and(|e| e.to_string().contains("permission denied")),
                    "{table}: {sql} must be refused"
                );
                tx.rollback().await.expect("rollback");
            }
        } else {
            let updated = affected(
                &tx,
                &format!("update {table} set tenant_id = tenant_id where tenant_id = '{b}'"),
            )
            .await;
            assert_eq!(updated, 0, "{table}: bravo's rows cannot be updated");
            let deleted =
                affected(&tx, &format!("delete from {table} where tenant_id = '{b}'")).await;
            assert_eq!(deleted, 0, "{table}: bravo's rows cannot be deleted");
            tx.rollback().await.expect("rollback");

            // Moving one's own row to another tenant is refused.
            let tx = in_tenant(&db, a).await;
            let moved = tx
                .execute_unprepared(&format!(
                    "update {table} set tenant_id = '{b}' where tenant_id = '{a}'"
                ))
                .await;
            assert!(
                moved.is_err_and(|e| e.to_string().contains("row-level security")),
                "{table}: cannot move rows to bravo"
            );
            tx.rollback().await.expect("rollback");
        }

        // Writing a row for bravo from alpha's context is refused: copy one of bravo's rows
        // (read as the owner) under a new id and try to insert it.
        let row: String = owner
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "select row_to_json(t)::text from {table} t where tenant_id = '{b}' limit 1"
                ),
            ))
            .await
            .expect("read bravo's row")
            .expect("bravo has a row")
            .try_get_by_index(0)
            .expect("json");
        let mut row: serde_json::Value = serde_json::from_str(&row).expect("row json");
        row["id"] = serde_json::Value::String(uuid::Uuid::now_v7().to_string());
        let tx = in_tenant(&db, a).await;
        let inserted = insert_json(&tx, table, &row).await;
        assert!(
            inserted.is_err_and(|e| e.contains("row-level security")),
            "{table}: alpha cannot insert a row for bravo"
        );
        tx.rollback().await.expect("rollback");

        // And without any context, not even one's own rows can be written.
        let tx = db.begin().await.expect("begin");
        assert!(
            insert_json(&tx, table, &row).await.is_err(),
            "{table}: no insert without tenant context"
        );
        tx.rollback().await.expect("rollback");
    }

    // The tenants table: readable by slug for resolution, writable only for oneself.
    let rename_bravo = format!("update tenants set name = 'taken over' where id = '{b}'");
    let tx = in_tenant(&db, a).await;
    assert_eq!(
        affected(&tx, &rename_bravo).await,
        0,
        "alpha cannot rename bravo"
    );
    tx.rollback().await.expect("rollback");
    assert_eq!(
        affected(&db, &rename_bravo).await,
        0,
        "no tenant can be renamed without context"
    );
    app.stop().await;
}

/// The audit log is append-only for every role, the owner included: a trigger refuses
/// updates and deletes whatever the grants say.
#[tokio::test]
async fn audit_entries_cannot_be_changed_even_by_the_owner() {
    let app = TestApp::spawn().await;
    let alpha = app.populated_tenant("alpha").await;
    let owner = app.db().admin().await;
    let a = alpha.id.0;
    for sql in [
        format!("update audit_log set action = 'nothing happened' where tenant_id = '{a}'"),
        format!("delete from audit_log where tenant_id = '{a}'"),
        "truncate audit_log".to_owned(),
    ] {
        let refused = owner.execute_unprepared(&sql).await;
        assert!(
            refused.is_err_and(|e| e.to_string().contains("append-only")),
            "{sql} must be refused"
        );
    }
    assert!(
        count(
            &owner,
            &format!("select count(*) from audit_log where tenant_id = '{a}'")
        )
        .await
            > 0,
        "the fixture's actions were audited"
    );
    app.stop().await;
}

/// The customer-search function reads past row-level security to use its index, so it must
/// keep the wall itself: only the context's tenant, nothing without a context.
#[tokio::test]
async fn customer_search_function_keeps_to_the_context_tenant() {
    let app = TestApp::spawn().await;
    let alpha = app.populated_tenant("alpha").await;
    let bravo = app.populated_tenant("bravo").await;
    let owner = app.db().admin().await;
    let db = app.db().app().await;
    let everything = "select count(*) from pitlane_customer_search('%', 'name', null, null, 1000)";
    let bravo_rows = count(
        &owner,
        &format!(
            "select count(*) from customers where tenant_id = '{}'",
            bravo.id.0
        ),
    )
    .await;
    assert!(bravo_rows > 0, "bravo has customers to protect");
    assert_eq!(count(&db, everything).await, 0, "no context, no rows");
    let tx = in_tenant(&db, alpha.id.0).await;
    let seen = count(
        &tx,
        &format!(
            "select count(*) from pitlane_customer_search('%', 'name', null, null, 1000) m
              where m not in (select id from customers where tenant_id = '{}')",
            alpha.id.0
        ),
    )
    .await;
    assert_eq!(seen, 0, "only alpha's customers come back");
    assert!(count(&tx, everything).await > 0, "alpha's own are found");
    tx.rollback().await.expect("rollback");
}

/// What a tenant transaction sees: when it began, the customers under its context, and what
/// PostgreSQL's plan cache may do in it.
#[derive(pitlane_store::sea_orm::FromQueryResult)]
struct Seen {
    began: chrono::DateTime<chrono::Utc>,
    tenants: i64,
    customers: i64,
    plan_cache_mode: String,
}

async fn seen(tx: &pitlane_store::TenantTx) -> Seen {
    use pitlane_store::{
        entity::tenant,
        sea_orm::{QuerySelect, sea_query::Expr},
    };
    tx.all_as::<tenant::Entity, Seen>(
        tx.select::<tenant::Entity>()
            .select_only()
            .expr_as(Expr::cust("transaction_timestamp()"), "began")
            .expr_as(
                Expr::cust("(select count(distinct c.tenant_id) from customers c)"),
                "tenants",
            )
            .expr_as(
                Expr::cust("(select count(*) from customers c)"),
                "customers",
            )
            .expr_as(
                Expr::cust("current_setting('plan_cache_mode')"),
                "plan_cache_mode",
            ),
    )
    .await
    .expect("what the transaction sees")
    .remove(0)
}

/// A page's session check parks its transaction for the page's own reads: the first tenant
/// transaction the request opens for that tenant takes it (the tenant already set, nothing
/// else of the check carried over). Asking for any other transaction (another tenant's, say)
/// gives the parked one back first, so it never reads across the wall and a request never
/// holds two connections.
#[tokio::test]
async fn a_parked_session_transaction_serves_only_its_own_tenant() {
    use pitlane_store::TenantCtx;
    let app = TestApp::spawn().await;
    let alpha = app.populated_tenant("alpha").await;
    let bravo = app.populated_tenant("bravo").await;
    let store = &app.state().store;
    let admin = app.db().admin().await;
    let customers_of =
        |id: uuid::Uuid| format!("select count(*) from customers where tenant_id = '{id}'");
    let alpha_customers = count(&admin, &customers_of(alpha.id.0)).await;
    let bravo_customers = count(&admin, &customers_of(bravo.id.0)).await;
    assert!(alpha_customers > 0 && bravo_customers > 0);
    let check = |tenant: &pitlane_testkit::TenantFixture| {
        let (id, membership) = (tenant.id, tenant.owner.membership_id.0);
        async move {
            let member = store
                .session_member(id, membership)
                .await
                .expect("session check")
                .expect("the owner's membership");
            assert_eq!(member.status, "active");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            chrono::Utc::now()
        }
    };
    pitlane_store::parked::scope(async {
        let checked = check(&alpha).await;
        // Alpha's transaction is the parked one: it began before, under alpha's context only.
        let alpha_tx = store.tx(&TenantCtx::new(alpha.id)).await.expect("alpha");
        let alpha_seen = seen(&alpha_tx).await;
        assert!(
            alpha_seen.began < checked,
            "the session check's transaction"
        );
        assert_eq!(
            (alpha_seen.tenants, alpha_seen.customers),
            (1, alpha_customers)
        );
        alpha_tx.commit().await.expect("commit");
        // Taken once: the next is new.
        let again = store
            .tx(&TenantCtx::new(alpha.id))
            .await
            .expect("alpha again");
        assert!(seen(&again).await.began > checked);
        again.commit().await.expect("commit");
    })
    .await;
    pitlane_store::parked::scope(async {
        let checked = check(&alpha).await;
        // Bravo's is a new one, under bravo's context only, and alpha's was given back.
        let bravo_tx = store.tx(&TenantCtx::new(bravo.id)).await.expect("bravo");
        let bravo_seen = seen(&bravo_tx).await;
        assert!(bravo_seen.began > checked);
        assert_eq!(
            (bravo_seen.tenants, bravo_seen.customers),
            (1, bravo_customers)
        );
        bravo_tx.commit().await.expect("commit");
        let alpha_tx = store.tx(&TenantCtx::new(alpha.id)).await.expect("alpha");
        assert!(seen(&alpha_tx).await.began > checked);
        alpha_tx.commit().await.expect("commit");
    })
    .await;
    // A membership that is gone parks nothing.
    pitlane_store::parked::scope(async {
        let gone = store
            .session_member(alpha.id, uuid::Uuid::now_v7())
            .await
            .expect("session check");
        assert!(gone.is_none());
        let fresh = store.tx(&TenantCtx::new(alpha.id)).await.expect("alpha");
        assert_eq!(seen(&fresh).await.customers, alpha_customers);
        fresh.commit().await.expect("commit");
    })
    .await;
}

/// A page's statements may keep generic plans; a report's are planned for their values, and
/// that ends with the report's transaction, also on a connection the pool hands out again.
#[tokio::test]
async fn only_a_report_transaction_plans_every_statement_for_its_values() {
    use pitlane_store::TenantCtx;
    let app = TestApp::spawn().await;
    let alpha = app.populated_tenant("alpha").await;
    let store = &app.state().store;
    let ctx = TenantCtx::new(alpha.id);
    let page = store.tx(&ctx).await.expect("a page's transaction");
    assert_eq!(seen(&page).await.plan_cache_mode, "auto");
    page.commit().await.expect("commit");
    for _ in 0..3 {
        let report = store.tx(&ctx).await.expect("a report's transaction");
        report.plan_for_values().await.expect("custom plans");
        assert_eq!(seen(&report).await.plan_cache_mode, "force_custom_plan");
        // The dashboard plans its one sum for its values, then the rest generally again.
        report.plan_generally().await.expect("generic plans");
        assert_eq!(seen(&report).await.plan_cache_mode, "auto");
        report.commit().await.expect("commit");
        let next = store.tx(&ctx).await.expect("the next transaction");
        assert_eq!(seen(&next).await.plan_cache_mode, "auto");
        next.commit().await.expect("commit");
    }
}
