//! Reports and the daily figures behind them: figures kept with every document equal a
//! rebuild from the documents (both shapes); exact figures from a world the test builds,
//! across the spring clock change and a month end, with a void, a credit note, partial
//! payments and a refund; branches add up to the chain; CSV downloads parse back.

use chrono::{DateTime, Utc};
use pitlane_domain::reports::Deltas;
use pitlane_store::{
    TenantCtx,
    entity::{credit_note, invoice, refund},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, sea_query::Expr,
    },
};
use pitlane_testkit::{Client, TenantFixture, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Books {
    app: TestApp,
    tenant: TenantFixture,
    owner: Client,
    base: String,
    branch: String,
    customer: String,
    vehicle: String,
}

fn id_of(json: &Value) -> String {
    json["id"].as_str().expect("id").to_owned()
}

impl Books {
    async fn open(app: TestApp) -> Books {
        let tenant = app.tenant("ledger").await;
        let owner = app.client();
        owner.sign_in(&tenant).await;
        let base = format!("/t/{}/api/v1", tenant.slug);
        let mut books = Books {
            app,
            tenant,
            owner,
            base,
            branch: String::new(),
            customer: String::new(),
            vehicle: String::new(),
        };
        let branches = books.get("/branches").await;
        books.branch = branches["items"][0]["id"]
            .as_str()
            .expect("branch")
            .to_owned();
        let branch = books.branch.clone();
        books
            .ok(
                Method::PUT,
                &format!("/branches/{branch}/workshop-rates"),
                json!({"labour_rate": "100", "labour_cost": "30", "tax_percent": "20"}),
            )
            .await;
        let customer = books
            .ok(
                Method::POST,
                "/customers",
                json!({"name": "Dana Driver", "email": "dana@example.com"}),
            )
            .await;
        books.customer = id_of(&customer);
        let vehicle = books
            .ok(
                Method::POST,
                "/vehicles",
                json!({"customer_id": books.customer, "plate": "B-RP 2026", "make": "Skoda", "model": "Octavia"}),
            )
            .await;
        books.vehicle = id_of(&vehicle);
        books
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.owner
            .call(method, &format!("{}{path}", self.base), body)
            .await
    }

    async fn ok(&self, method: Method, path: &str, body: Value) -> Value {
        let (status, json) = self.call(method.clone(), path, Some(body)).await;
        assert!(status.is_success(), "{method} {path}: {status} {json}");
        json
    }

    async fn get(&self, path: &str) -> Value {
        let (status, json) = self.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {json}");
        json
    }

    /// An issued invoice at `branch` of these lines (`kind`, description, price, quantity).
    async fn issued(&self, branch: &str, vehicle: bool, lines: &[(&str, &str, &str)]) -> String {
        let mut draft = json!({"branch_id": branch, "customer_id": self.customer});
        if vehicle {
            draft["vehicle_id"] = json!(self.vehicle);
        }
        let id = id_of(&self.ok(Method::POST, "/invoices", draft).await);
        for (kind, price, quantity) in lines {
            self.ok(
                Method::POST,
                &format!("/invoices/{id}/lines"),
                json!({"kind": kind, "description": format!("{kind} work"), "unit_price": price, "quantity": quantity}),
            )
            .await;
        }
        self.ok(Method::POST, &format!("/invoices/{id}/issue"), json!({}))
            .await;
        id
    }

    async fn pay(&self, invoice: &str, method: &str, amount: &str, at: Option<&str>) -> String {
        let mut body = json!({"method": method, "amount": amount});
        if let Some(at) = at {
            body["received_at"] = json!(at);
        }
        let view = self
            .ok(Method::POST, &format!("/invoices/{invoice}/payments"), body)
            .await;
        let payments = self.get(&format!("/invoices/{invoice}/payments")).await;
        let _ = view;
        payments["items"]
            .as_array()
            .expect("payments")
            .last()
            .map(id_of)
            .expect("a payment")
    }

    /// What the daily figures hold, and what the documents add up to.
    async fn kept_and_rebuilt(&self) -> (Deltas, Deltas) {
        let store = &self.app.state().store;
        let tx = store.tx(&TenantCtx::new(self.tenant.id)).await.expect("tx");
        let kept = pitlane_reports::figures::stored(&tx).await.expect("stored");
        let fresh = pitlane_reports::figures::from_documents(&tx)
            .await
            .expect("rebuilt");
        tx.commit().await.expect("commit");
        (kept, fresh)
    }

    /// Moves an issued invoice to `issued` (due 14 days later), as if issued then.
    async fn backdate_invoice(&self, id: &str, issued: &str) {
        let issued = at(issued);
        let store = &self.app.state().store;
        let tx = store.tx(&TenantCtx::new(self.tenant.id)).await.expect("tx");
        tx.update_all(
            invoice::Entity::update_many()
                .col_expr(invoice::Column::IssuedAt, Expr::value(issued))
                .col_expr(
                    invoice::Column::DueAt,
                    Expr::value(issued + chrono::Duration::days(14)),
                )
                .filter(invoice::Column::Id.eq(id.parse::<uuid::Uuid>().expect("uuid"))),
        )
        .await
        .expect("backdate");
        tx.commit().await.expect("commit");
    }

    /// Moves an invoice's credit notes and refunds to `when`.
    async fn backdate_corrections(&self, id: &str, when: &str) {
        let when = at(when);
        let id = id.parse::<uuid::Uuid>().expect("uuid");
        let store = &self.app.state().store;
        let tx = store.tx(&TenantCtx::new(self.tenant.id)).await.expect("tx");
        tx.update_all(
            credit_note::Entity::update_many()
                .col_expr(credit_note::Column::CreatedAt, Expr::value(when))
                .filter(credit_note::Column::InvoiceId.eq(id)),
        )
        .await
        .expect("credit notes");
        tx.update_all(
            refund::Entity::update_many()
                .col_expr(refund::Column::CreatedAt, Expr::value(when))
                .filter(refund::Column::InvoiceId.eq(id)),
        )
        .await
        .expect("refunds");
        tx.commit().await.expect("commit");
    }

    async fn rebuild(&self) {
        let (status, done) = self
            .call(Method::POST, "/reports/figures/rebuild", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
    }

    async fn report(&self, name: &str, query: &str) -> Value {
        self.get(&format!("/reports/{name}?{query}")).await
    }
}

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().expect("an RFC 3339 instant")
}

/// A walk of money changes chosen by a seed: whatever happens, the figures kept in each
/// document's transaction equal the figures rebuilt from the documents.
async fn kept_figures_equal_a_rebuild(app: TestApp) {
    let books = Books::open(app).await;
    let branch = books.branch.clone();
    let mut seed: u64 = 0x5eed_1234;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut open: Vec<String> = Vec::new();
    let mut payments: Vec<(String, String)> = Vec::new();
    for step in 0..14 {
        match next(5) {
            0 | 1 => {
                let labour = format!("{}.{}", 50 + next(100), next(10));
                let id = books
                    .issued(
                        &branch,
                        next(2) == 0,
                        &[
                            ("labour", &labour, "1.5"),
                            ("part", "19.99", "2"),
                            ("discount", "5", ""),
                        ],
                    )
                    .await;
                open.push(id);
            }
            2 if !open.is_empty() => {
                let id = open[next(open.len() as u64) as usize].clone();
                let (status, _) = books
                    .call(
                        Method::POST,
                        &format!("/invoices/{id}/payments"),
                        Some(json!({"method": "cash", "amount": "20"})),
                    )
                    .await;
                if status.is_success() {
                    let list = books.get(&format!("/invoices/{id}/payments")).await;
                    let p = list["items"]
                        .as_array()
                        .expect("items")
                        .last()
                        .map(id_of)
                        .expect("payment");
                    payments.push((id, p));
                }
            }
            3 if !open.is_empty() => {
                let id = open[next(open.len() as u64) as usize].clone();
                books
                    .call(
                        Method::POST,
                        &format!("/invoices/{id}/credit-notes"),
                        Some(json!({"reason": format!("correction {step}"), "amount": "3.33"})),
                    )
                    .await;
            }
            4 if !payments.is_empty() => {
                let (invoice, payment) = payments[next(payments.len() as u64) as usize].clone();
                books
                    .call(
                        Method::POST,
                        &format!("/invoices/{invoice}/payments/{payment}/refunds"),
                        Some(json!({"amount": "5", "reason": "goodwill", "credit_note": next(2) == 0})),
                    )
                    .await;
            }
            _ if !open.is_empty() => {
                // Void one nobody paid: its sales are taken back.
                let id = open.remove(0);
                books
                    .call(
                        Method::POST,
                        &format!("/invoices/{id}/void"),
                        Some(json!({"reason": "issued in error"})),
                    )
                    .await;
            }
            _ => {}
        }
    }
    let (kept, rebuilt) = books.kept_and_rebuilt().await;
    assert!(!kept.is_empty(), "something was counted");
    assert_eq!(kept, rebuilt, "kept figures equal the rebuilt ones");
    // Rebuilding writes the same rows back and says nothing differed.
    let (status, done) = books
        .call(Method::POST, "/reports/figures/rebuild", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["differed"], false, "{done}");
    assert_eq!(books.kept_and_rebuilt().await.0, kept);
}

#[tokio::test]
async fn kept_figures_equal_a_rebuild_saas() {
    kept_figures_equal_a_rebuild(TestApp::spawn().await).await;
}

#[tokio::test]
async fn kept_figures_equal_a_rebuild_embedded() {
    kept_figures_equal_a_rebuild(TestApp::spawn_embedded().await).await;
}

/// The floor's figures follow every change of an estimate answer and an inspection: lines
/// answered, an answered line changed (a new question) and another removed, the estimate
/// answered again; an inspection started, rated, re-rated and completed. Kept equals
/// rebuilt after each step, and the reports read the figures.
async fn floor_figures_equal_a_rebuild(app: TestApp) {
    let b = Books::open(app).await;
    let (branch, customer, vehicle) = (b.branch.clone(), b.customer.clone(), b.vehicle.clone());
    let order = id_of(
        &b.ok(
            Method::POST,
            "/repair-orders",
            json!({"branch_id": branch, "customer_id": customer, "vehicle_id": vehicle}),
        )
        .await,
    );
    for (kind, description, price) in [
        ("fee", "Diagnosis", "40.00"),
        ("fee", "Wiper blades", "25.00"),
        ("discount", "Loyalty", "5.00"),
    ] {
        b.ok(
            Method::POST,
            &format!("/repair-orders/{order}/lines"),
            json!({"kind": kind, "description": description, "unit_price": price}),
        )
        .await;
    }
    let answer = |lines: &Value, declined: &str| -> Value {
        let decisions: Vec<Value> = lines
            .as_array()
            .expect("lines")
            .iter()
            .filter(|l| l["decision"] == "pending")
            .map(|l| {
                let d = if l["description"] == declined {
                    "declined"
                } else {
                    "approved"
                };
                json!({"line_id": l["id"], "decision": d})
            })
            .collect();
        json!({"method": "phone", "decisions": decisions})
    };
    let sent = b
        .ok(
            Method::POST,
            &format!("/repair-orders/{order}/estimate/send"),
            json!({}),
        )
        .await;
    let answered = b
        .ok(
            Method::POST,
            &format!("/repair-orders/{order}/estimate/answer"),
            answer(&sent["lines"], "Wiper blades"),
        )
        .await;
    let (kept, rebuilt) = b.kept_and_rebuilt().await;
    assert_eq!(kept, rebuilt, "after the first answer");
    let estimates = b.report("estimates", "preset=today").await;
    assert_eq!(headline(&estimates, "approved_value")["current"], 3_500);
    assert_eq!(headline(&estimates, "close_ratio")["current"], 6_667);

    // Back to an estimate: the diagnosis costs more now (a new question), the discount goes.
    b.ok(
        Method::POST,
        &format!("/repair-orders/{order}/status"),
        json!({"status": "estimate"}),
    )
    .await;
    let line = |description: &str| -> String {
        answered["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["description"] == description)
            .map(id_of)
            .expect("line")
    };
    b.ok(
        Method::PUT,
        &format!("/repair-orders/{order}/lines/{}", line("Diagnosis")),
        json!({"kind": "fee", "description": "Diagnosis", "unit_price": "60.00"}),
    )
    .await;
    let (status, body) = b
        .call(
            Method::DELETE,
            &format!("/repair-orders/{order}/lines/{}", line("Loyalty")),
            None,
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (kept, rebuilt) = b.kept_and_rebuilt().await;
    assert_eq!(kept, rebuilt, "after a change and a removal");
    let estimates = b.report("estimates", "preset=today").await;
    assert_eq!(headline(&estimates, "approved_value")["current"], 0);
    let sent = b
        .ok(
            Method::POST,
            &format!("/repair-orders/{order}/estimate/send"),
            json!({}),
        )
        .await;
    b.ok(
        Method::POST,
        &format!("/repair-orders/{order}/estimate/answer"),
        answer(&sent["lines"], ""),
    )
    .await;
    let estimates = b.report("estimates", "preset=today").await;
    // Lines: the wipers declined before, the diagnosis approved now.
    assert_eq!(headline(&estimates, "approved_value")["current"], 6_000);
    assert_eq!(headline(&estimates, "close_ratio")["current"], 5_000);

    // An inspection: started, every point rated (one red, then re-rated yellow), completed.
    let inspection = b
        .ok(
            Method::POST,
            &format!("/repair-orders/{order}/inspections"),
            json!({}),
        )
        .await;
    let inspection_id = id_of(&inspection);
    let points: Vec<String> = inspection["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect();
    let (kept, rebuilt) = b.kept_and_rebuilt().await;
    assert_eq!(kept, rebuilt, "after starting an inspection");
    for (i, point) in points.iter().enumerate() {
        let (rating, note) = match i {
            0 => ("red", Some("Pads worn to the metal")),
            _ => ("green", None),
        };
        b.ok(
            Method::PUT,
            &format!("/inspections/{inspection_id}/items/{point}"),
            json!({"rating": rating, "note": note}),
        )
        .await;
    }
    b.ok(
        Method::PUT,
        &format!("/inspections/{inspection_id}/items/{}", points[0]),
        json!({"rating": "yellow", "note": "Pads at 3 mm"}),
    )
    .await;
    let inspections = b.report("inspections", "preset=today").await;
    assert_eq!(headline(&inspections, "inspections")["current"], 1);
    assert_eq!(headline(&inspections, "completion")["current"], 0);
    b.ok(
        Method::POST,
        &format!("/inspections/{inspection_id}/complete"),
        json!({}),
    )
    .await;
    let (kept, rebuilt) = b.kept_and_rebuilt().await;
    assert_eq!(kept, rebuilt, "after rating and completing");
    let inspections = b.report("inspections", "preset=today").await;
    assert_eq!(headline(&inspections, "completion")["current"], 10_000);
    assert_eq!(headline(&inspections, "red")["current"], 0);
    assert_eq!(headline(&inspections, "yellow")["current"], 1);
    let rows = table(&inspections, "by_technician")["totals"].clone();
    assert_eq!(rows[4], (points.len() - 1) as i64, "green points: {rows}");

    // After an upgrade, figures built under an older definition are rebuilt by the hourly
    // round, once: as if this workshop's rows predated the floor's figures.
    let store = &b.app.state().store;
    let tx = store.tx(&TenantCtx::new(b.tenant.id)).await.expect("tx");
    tx.clear_figures().await.expect("clear");
    let mut row = tx
        .get::<pitlane_store::entity::tenant::Entity>(b.tenant.id.0)
        .await
        .expect("tenant")
        .into_active_model();
    row.figures_version = Set(1);
    tx.update(row).await.expect("update");
    tx.commit().await.expect("commit");
    assert!(b.kept_and_rebuilt().await.0.is_empty());
    pitlane_app::sweeps::maintenance_round(b.app.state()).await;
    let (kept, rebuilt) = b.kept_and_rebuilt().await;
    assert_eq!(kept, rebuilt, "rebuilt by the round");
    assert!(!kept.is_empty());
    let version = store
        .tenant_by_slug(&b.tenant.slug)
        .await
        .expect("q")
        .expect("tenant")
        .figures_version;
    assert_eq!(version, pitlane_domain::reports::FIGURES_VERSION);
}

#[tokio::test]
async fn floor_figures_equal_a_rebuild_saas() {
    floor_figures_equal_a_rebuild(TestApp::spawn().await).await;
}

#[tokio::test]
async fn floor_figures_equal_a_rebuild_embedded() {
    floor_figures_equal_a_rebuild(TestApp::spawn_embedded().await).await;
}

/// A headline's current figure.
fn headline(report: &Value, key: &str) -> Value {
    report["headlines"]
        .as_array()
        .expect("headlines")
        .iter()
        .find(|h| h["key"] == key)
        .unwrap_or_else(|| panic!("no headline {key} in {report}"))
        .clone()
}

fn table<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("no table {key}"))
}

/// The world (Berlin, US dollars, 20 % tax, prices without tax):
/// - A, with the car, issued 28 March 13:00 local: labour 2 h × 100 + a part 50 = 250 net;
/// - B, counter sale, issued 23:30 UTC on 28 March, which is 00:30 on the 29th in Berlin (the
///   night the clocks go forward): a fee 30 and a discount 10 = 20 net;
/// - C, with the car, issued 22:30 UTC on 31 March, already 1 April in Berlin: 2 parts × 40;
/// - D, issued and voided: nothing;
/// - a credit note of 24 (with tax) on A, written 2 April; A paid 100 cash on 30 March and the
///   remaining 176 by card terminal on 1 April; 30 of the cash refunded on 2 April.
#[tokio::test]
async fn reports_give_exact_figures_across_the_clock_change_and_a_month_end() {
    let books = Books::open(TestApp::spawn().await).await;
    let branch = books.branch.clone();
    let a = books
        .issued(
            &branch,
            true,
            &[("labour", "100", "2"), ("part", "50", "1")],
        )
        .await;
    let b = books
        .issued(
            &branch,
            false,
            &[("fee", "30", "1"), ("discount", "10", "")],
        )
        .await;
    let c = books.issued(&branch, true, &[("part", "40", "2")]).await;
    let d = books.issued(&branch, false, &[("fee", "99", "1")]).await;
    books
        .ok(
            Method::POST,
            &format!("/invoices/{d}/void"),
            json!({"reason": "wrong customer"}),
        )
        .await;
    books
        .ok(
            Method::POST,
            &format!("/invoices/{a}/credit-notes"),
            json!({"reason": "part price", "amount": "24"}),
        )
        .await;
    let cash = books
        .pay(&a, "cash", "100", Some("2026-03-30T10:00:00Z"))
        .await;
    books
        .pay(&a, "card_terminal", "176", Some("2026-04-01T08:00:00Z"))
        .await;
    books
        .ok(
            Method::POST,
            &format!("/invoices/{a}/payments/{cash}/refunds"),
            json!({"amount": "30", "reason": "goodwill", "credit_note": false}),
        )
        .await;
    let (kept, rebuilt) = books.kept_and_rebuilt().await;
    assert_eq!(
        kept, rebuilt,
        "kept with the documents, before they move in time"
    );

    books.backdate_invoice(&a, "2026-03-28T12:00:00Z").await;
    books.backdate_invoice(&b, "2026-03-28T23:30:00Z").await;
    books.backdate_invoice(&c, "2026-03-31T22:30:00Z").await;
    books.backdate_invoice(&d, "2026-03-28T09:00:00Z").await;
    books.backdate_corrections(&a, "2026-04-02T10:00:00Z").await;
    books.rebuild().await;

    let march = books
        .report("sales", "preset=custom&from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(march["currency"], "USD");
    assert_eq!(
        march["period"],
        json!({"from": "2026-03-01", "to": "2026-03-31"})
    );
    assert_eq!(
        march["previous"],
        json!({"from": "2026-01-29", "to": "2026-02-28"})
    );
    assert_eq!(
        march["last_year"],
        json!({"from": "2025-03-01", "to": "2025-03-31"})
    );
    for (key, expected) in [
        ("net_sales", 27_000),
        ("gross_sales", 32_400),
        ("car_count", 1),
        ("average_repair_order", 27_000),
        ("labour", 20_000),
        ("parts", 5_000),
        ("fees", 3_000),
        ("discounts", 1_000),
        ("credit_notes", 0),
        ("tax", 5_400),
    ] {
        assert_eq!(headline(&march, key)["current"], expected, "March {key}");
    }
    assert_eq!(headline(&march, "net_sales")["previous"], 0);

    let april = books
        .report("sales", "preset=custom&from=2026-04-01&to=2026-04-30")
        .await;
    for (key, expected) in [
        ("net_sales", 8_000 - 2_000),
        ("credit_notes", 2_000),
        ("tax", 1_600 - 400),
        ("car_count", 1),
        ("parts", 8_000),
    ] {
        assert_eq!(headline(&april, key)["current"], expected, "April {key}");
    }
    // Against March, the period before it.
    assert_eq!(headline(&april, "net_sales")["previous"], 27_000);

    // The night of the clock change belongs to 29 March in Berlin.
    let day = books
        .report(
            "car-count",
            "preset=custom&from=2026-03-28&to=2026-04-02&grain=day",
        )
        .await;
    let rows = table(&day, "trend")["rows"]
        .as_array()
        .expect("rows")
        .clone();
    let net: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("day").to_owned(),
                r[2].as_i64().expect("net"),
            )
        })
        .collect();
    assert_eq!(
        net,
        vec![
            ("2026-03-28".to_owned(), 25_000),
            ("2026-03-29".to_owned(), 2_000),
            ("2026-03-30".to_owned(), 0),
            ("2026-03-31".to_owned(), 0),
            ("2026-04-01".to_owned(), 8_000),
            ("2026-04-02".to_owned(), -2_000),
        ]
    );

    // Money in: payments on the day received, the refund on the day it was made.
    let money = books
        .report("receivables", "preset=custom&from=2026-03-01&to=2026-04-30")
        .await;
    assert_eq!(headline(&money, "payments")["current"], 27_600);
    assert_eq!(headline(&money, "refunds")["current"], 3_000);
    assert_eq!(headline(&money, "net_payments")["current"], 24_600);
    let methods = &table(&money, "by_method")["rows"];
    assert_eq!(
        methods[0],
        json!(["Card terminal", 1, 17_600, 0, 0, 17_600])
    );
    assert_eq!(methods[1], json!(["Cash", 1, 10_000, 1, 3_000, 7_000]));
    // Still owed: A 300 − 24 credited − 276 paid + 30 refunded = 30; B 24; C 96; all over 90
    // days past due today.
    assert_eq!(
        headline(&money, "outstanding")["current"],
        3_000 + 2_400 + 9_600
    );
    let aging = &table(&money, "aging")["rows"];
    assert_eq!(aging[3], json!(["Over 90 days", 3, 15_000]));
    let taxes = &table(&money, "tax_by_rate")["rows"];
    assert_eq!(
        taxes[0],
        json!(["Tax 20%", 35_000, 7_000, 2_000, 400, 6_600])
    );

    // Gross profit: labour at 30 an hour, the parts at no recorded cost.
    let profit = books
        .report("profit", "preset=custom&from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(headline(&profit, "cost")["current"], 6_000);
    assert_eq!(headline(&profit, "gross_profit")["current"], 27_000 - 6_000);
    assert_eq!(
        headline(&profit, "effective_labour_rate")["current"],
        10_000
    );
    assert_eq!(headline(&profit, "billed_hours")["current"], 2_000);

    // A second branch: the branches add up to the chain.
    let harbour = books
        .ok(
            Method::POST,
            "/branches",
            json!({"name": "Harbour", "time_zone": "Europe/Berlin"}),
        )
        .await;
    let harbour = id_of(&harbour);
    books
        .issued(&harbour, true, &[("labour", "100", "1")])
        .await;
    books.issued(&branch, false, &[("fee", "10", "1")]).await;
    let chain = books.report("sales", "preset=today").await;
    let one = books
        .report("sales", &format!("preset=today&branch_id={branch}"))
        .await;
    let two = books
        .report("sales", &format!("preset=today&branch_id={harbour}"))
        .await;
    let net = |r: &Value| headline(r, "net_sales")["current"].as_i64().expect("net");
    assert_eq!(net(&chain), 11_000);
    assert_eq!(net(&one) + net(&two), net(&chain));
    let by_branch = table(&chain, "by_branch");
    assert_eq!(by_branch["totals"][8], 11_000, "the total row is the chain");

    // Asking wrongly is a clear answer.
    let (status, problem) = books
        .call(
            Method::GET,
            "/reports/sales?preset=custom&from=2026-04-01&to=2026-03-01",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = books
        .call(
            Method::GET,
            &format!("/reports/sales?branch_id={}", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // Customers: Dana's first visit was in March (new), and she came back in April.
    let march_people = books
        .report("customers", "preset=custom&from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(headline(&march_people, "new")["current"], 1);
    assert_eq!(headline(&march_people, "returning")["current"], 0);
    let april_people = books
        .report("customers", "preset=custom&from=2026-04-01&to=2026-04-30")
        .await;
    assert_eq!(headline(&april_people, "returning")["current"], 1);
    // Every report answers, in the document's shape, for the chain and a branch.
    for name in [
        "technicians",
        "estimates",
        "inspections",
        "inventory",
        "customers",
        "car-count",
        "roadside",
        "feedback",
    ] {
        books.report(name, "preset=year").await;
        books
            .report(name, &format!("preset=quarter&branch_id={branch}"))
            .await;
    }
    let listed = books.get("/reports").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(11));

    // A mechanic reads their own productivity, and no money report.
    let (email, password) = books
        .app
        .member(&books.tenant, pitlane_domain::permissions::Role::Mechanic)
        .await;
    let mechanic = books.app.client();
    mechanic.sign_in_as(&books.tenant, &email, &password).await;
    let (status, own) = mechanic
        .call(
            Method::GET,
            &format!("{}/reports/technicians?preset=year", books.base),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert!(
        table(&own, "technicians")["rows"]
            .as_array()
            .expect("rows")
            .len()
            <= 1,
        "{own}"
    );
    let (status, _) = mechanic
        .call(Method::GET, &format!("{}/reports/sales", books.base), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The CSV of a table parses back to the same figures; text cannot become a formula.
    let response = books
        .owner
        .get(&format!(
            "/t/{}/portal/reports/receivables/export?preset=custom&from=2026-03-01&to=2026-04-30&table=by_method",
            books.tenant.slug
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    let text = response.text().await.expect("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(&headers[2], "Received (USD)");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(&records[0][0], "Card terminal");
    assert_eq!(&records[0][2], "176.00");
    assert_eq!(&records[1][5], "70.00");
}

/// The owner asks for the dashboard by e-mail every morning: the round before the branch's
/// morning hour writes nothing, the one after writes one digest with yesterday's figures, and
/// a second round the same day writes no other.
#[tokio::test]
async fn the_dashboard_digest_goes_out_once_each_morning() {
    let books = Books::open(TestApp::spawn().await).await;
    let branch = books.branch.clone();
    let invoice = books.issued(&branch, true, &[("labour", "100", "1")]).await;
    // Issued yesterday morning, Berlin time.
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().expect("zone");
    let today = chrono::Utc::now().with_timezone(&berlin).date_naive();
    let yesterday = today.pred_opt().expect("yesterday");
    let at_local = |day: chrono::NaiveDate, hour: u32| {
        day.and_hms_opt(hour, 0, 0)
            .expect("time")
            .and_local_timezone(berlin)
            .earliest()
            .expect("a local time")
            .with_timezone(&Utc)
    };
    books
        .backdate_invoice(&invoice, &at_local(yesterday, 9).to_rfc3339())
        .await;
    books.rebuild().await;
    let saved = books
        .owner
        .submit(
            &format!("/t/{}/portal", books.tenant.slug),
            &format!("/t/{}/portal/digest", books.tenant.slug),
            &[("digest", "daily")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    let state = books.app.state();
    let ctx = TenantCtx::new(books.tenant.id);
    let digests = || async {
        let tx = state.store.tx(&ctx).await.expect("tx");
        let rows = tx
            .all(
                tx.select::<pitlane_store::entity::outbox::Entity>()
                    .filter(pitlane_store::entity::outbox::Column::Kind.eq("dashboard_digest")),
            )
            .await
            .expect("outbox");
        tx.commit().await.expect("commit");
        rows
    };
    let early =
        pitlane_reports::digest::sweep(&state.reports, &ctx, at_local(today, 5), "/t/ledger")
            .await
            .expect("sweep");
    assert_eq!(early, 0, "not before the morning hour");
    let sent =
        pitlane_reports::digest::sweep(&state.reports, &ctx, at_local(today, 8), "/t/ledger")
            .await
            .expect("sweep");
    assert_eq!(sent, 1);
    let again =
        pitlane_reports::digest::sweep(&state.reports, &ctx, at_local(today, 9), "/t/ledger")
            .await
            .expect("sweep");
    assert_eq!(again, 0, "once a day");
    let rows = digests().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, books.tenant.owner_email);
    let vars = rows[0].data.to_string();
    assert!(vars.contains("1 car, 100.00 USD net sales"), "{vars}");
    assert!(vars.contains("/t/ledger/portal"), "{vars}");
}

/// A PDF answer: served as such, parses, and its text (whitespace collapsed).
async fn pdf_text(client: &Client, path: &str) -> String {
    let response = client.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()["content-type"].to_str().expect("type"),
        "application/pdf",
        "{path}"
    );
    let body = response.bytes().await.expect("body");
    let doc = lopdf::Document::load_mem(&body).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The orders of a vehicle's repair history, the work on them, its invoices; a comeback
/// recorded against the earlier order and counted for its mechanic; the estimates report's
/// declined work sent as a campaign in one click, which follows it up; report PDFs; a branch
/// moving time zone takes its figures along.
async fn histories_comebacks_and_follow_ups(app: TestApp) {
    use pitlane_domain::permissions::Role;
    let b = Books::open(app).await;
    let (branch, customer, vehicle) = (b.branch.clone(), b.customer.clone(), b.vehicle.clone());
    b.app.member(&b.tenant, Role::Mechanic).await;
    let mechanics = b.get("/mechanics").await;
    let mechanic = mechanics["items"][0]["id"]
        .as_str()
        .expect("a mechanic")
        .to_owned();
    b.ok(
        Method::PUT,
        &format!("/customers/{customer}/consent"),
        json!({"marketing": true, "source": "signed form"}),
    )
    .await;

    // The first visit: brake pads approved and done by the mechanic, wiper blades declined.
    let first = id_of(
        &b.ok(
            Method::POST,
            "/repair-orders",
            json!({"branch_id": branch, "customer_id": customer, "vehicle_id": vehicle,
                   "mileage_in": 50_000, "concern": "Brakes squeal"}),
        )
        .await,
    );
    b.ok(
        Method::POST,
        &format!("/repair-orders/{first}/lines"),
        json!({"kind": "labour", "description": "Replace brake pads", "quantity": "1.5",
               "mechanic_id": mechanic}),
    )
    .await;
    let sent = b
        .ok(
            Method::POST,
            &format!("/repair-orders/{first}/lines"),
            json!({"kind": "fee", "description": "Wiper blades", "unit_price": "25.00"}),
        )
        .await;
    let _ = sent;
    let sent = b
        .ok(
            Method::POST,
            &format!("/repair-orders/{first}/estimate/send"),
            json!({}),
        )
        .await;
    let decisions: Vec<Value> = sent["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            let decision = if l["kind"] == "labour" {
                "approved"
            } else {
                "declined"
            };
            json!({"line_id": l["id"], "decision": decision})
        })
        .collect();
    b.ok(
        Method::POST,
        &format!("/repair-orders/{first}/estimate/answer"),
        json!({"method": "phone", "decisions": decisions}),
    )
    .await;
    let invoice = id_of(
        &b.ok(
            Method::POST,
            &format!("/repair-orders/{first}/invoice"),
            json!({}),
        )
        .await,
    );
    let issued = b
        .ok(
            Method::POST,
            &format!("/invoices/{invoice}/issue"),
            json!({}),
        )
        .await;
    let total = issued["total_minor"].as_i64().expect("total");
    b.pay(&invoice, "cash", "100.00", None).await;

    // The second visit: the squeal is back.
    let second = id_of(
        &b.ok(
            Method::POST,
            "/repair-orders",
            json!({"branch_id": branch, "customer_id": customer, "vehicle_id": vehicle,
                   "mileage_in": 50_900, "concern": "Brakes squeal again"}),
        )
        .await,
    );
    let marked = b
        .ok(
            Method::PUT,
            &format!("/repair-orders/{second}/comeback"),
            json!({"comeback_of": first}),
        )
        .await;
    assert_eq!(marked["comeback_of"], first.as_str());
    // Only an earlier order of the same vehicle.
    for (order, earlier) in [
        (first.clone(), second.clone()),
        (second.clone(), second.clone()),
        (second.clone(), uuid::Uuid::now_v7().to_string()),
    ] {
        let (status, problem) = b
            .call(
                Method::PUT,
                &format!("/repair-orders/{order}/comeback"),
                Some(json!({"comeback_of": earlier})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "comeback_of", "{problem}");
    }
    let technicians = b.report("technicians", "preset=month").await;
    assert_eq!(headline(&technicians, "comebacks")["current"], 1);
    let by = table(&technicians, "technicians");
    let column = by["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .position(|c| c["key"] == "comebacks")
        .expect("a comebacks column");
    assert_eq!(by["totals"][column], 1);

    // Summed in the database, the estimate lines are priced as the order prices them.
    let estimates = b.report("estimates", "preset=month").await;
    assert_eq!(headline(&estimates, "approved_value")["current"], 15_000);
    let by_advisor = table(&estimates, "by_advisor");
    assert_eq!(by_advisor["totals"][1], 2, "lines presented");
    assert_eq!(by_advisor["totals"][4], 17_500, "value presented");

    // The vehicle's history: both orders, newest first, each line, the invoice and its money.
    let history = b.get(&format!("/vehicles/{vehicle}/history")).await;
    assert_eq!(history["subject"], "vehicle");
    assert!(
        history["title"]
            .as_str()
            .expect("title")
            .contains("Skoda Octavia"),
        "{history}"
    );
    let orders = table(&history, "orders");
    let rows = orders["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][6], "Brakes squeal", "the first visit is last");
    assert_eq!(rows[1][7], 15_000, "approved work");
    assert_eq!(rows[1][8], 2_500, "declined work");
    assert_eq!(orders["totals"][7], 15_000);
    let work = table(&history, "work");
    let described: Vec<(&str, &str)> = work["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r[2].as_str().unwrap_or(""), r[4].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        described,
        [
            ("Replace brake pads", "Approved"),
            ("Wiper blades", "Declined")
        ]
    );
    let invoices = table(&history, "invoices");
    assert_eq!(invoices["rows"].as_array().map(Vec::len), Some(1));
    let row = &invoices["rows"][0];
    assert_eq!(row[5], total);
    assert_eq!(row[7], 10_000, "paid");
    assert_eq!(row[8], total - 10_000, "still due");
    let by_customer = b.get(&format!("/customers/{customer}/history")).await;
    assert_eq!(
        table(&by_customer, "orders")["rows"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // On paper: the history and a report, from the API and the pages.
    let text = pdf_text(
        &b.owner,
        &format!("{}/vehicles/{vehicle}/history/pdf", b.base),
    )
    .await;
    assert!(text.contains("Brakes squeal again"), "{text}");
    assert!(text.contains("Wiper blades"), "{text}");
    let portal = format!("/t/{}/portal", b.tenant.slug);
    let text = pdf_text(
        &b.owner,
        &format!("{portal}/customers/{customer}/history/pdf"),
    )
    .await;
    assert!(text.contains("Repair history of Dana Driver"), "{text}");
    let page = b
        .owner
        .get(&format!("{portal}/vehicles/{vehicle}/history"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("page").contains("Wiper blades"));
    let text = pdf_text(
        &b.owner,
        &format!("{}/reports/sales/pdf?preset=month", b.base),
    )
    .await;
    assert!(text.contains("Sales summary"), "{text}");
    let text = pdf_text(
        &b.owner,
        &format!("{portal}/reports/technicians/pdf?preset=month"),
    )
    .await;
    assert!(text.contains("Comebacks"), "{text}");

    // The declined wiper blades: the report offers the campaign, filled in, in one click.
    let estimates = b
        .owner
        .get(&format!("{portal}/reports/estimates?preset=month"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        estimates.contains("/portal/campaigns?segment=declined"),
        "the report links the campaign"
    );
    let form_page = format!("{portal}/campaigns?segment=declined");
    let form = b.owner.get(&form_page).await.text().await.expect("page");
    assert!(form.contains("The work we recommended"), "filled in");
    let action = format!("{portal}/campaigns");
    let preview = b
        .owner
        .submit(
            &form_page,
            &action,
            &[("action", "preview"), ("declined_work", "yes")],
        )
        .await
        .text()
        .await
        .expect("page");
    assert!(preview.contains("1 customers would receive"), "Dana");
    let sent = b
        .owner
        .submit(
            &form_page,
            &action,
            &[
                ("action", "send"),
                ("declined_work", "yes"),
                ("headline", "The work we recommended for your vehicle"),
                ("body", "Book online when it suits you."),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let state = b.app.state();
    let tx = state
        .store
        .tx(&TenantCtx::new(b.tenant.id))
        .await
        .expect("tx");
    let mails = tx
        .all(
            tx.select::<pitlane_store::entity::outbox::Entity>()
                .filter(pitlane_store::entity::outbox::Column::Kind.eq("newsletter")),
        )
        .await
        .expect("outbox");
    tx.commit().await.expect("commit");
    assert_eq!(mails.len(), 1);
    let vars = mails[0].data.to_string();
    assert!(
        vars.contains("Wiper blades (") && !vars.contains("Replace brake pads"),
        "her own declined work: {vars}"
    );
    let waiting = b.get("/declined-services").await;
    assert_eq!(
        waiting["items"].as_array().map(Vec::len),
        Some(0),
        "followed up by the campaign"
    );
    let again = b
        .owner
        .submit(
            &form_page,
            &action,
            &[("action", "preview"), ("declined_work", "yes")],
        )
        .await
        .text()
        .await
        .expect("page");
    assert!(again.contains("0 customers would receive"), "nobody left");

    // The branch moves to Auckland: the invoice's local day moves with it, and the kept
    // figures still equal a rebuild.
    b.backdate_invoice(&invoice, "2026-03-10T20:00:00Z").await;
    b.rebuild().await;
    let mut write = b.get(&format!("/branches/{branch}")).await;
    write["time_zone"] = json!("Pacific/Auckland");
    let fields = [
        "name",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "region",
        "country",
        "phone",
        "time_zone",
    ];
    let body: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| ((*f).to_owned(), write[*f].clone()))
        .collect();
    b.ok(
        Method::PUT,
        &format!("/branches/{branch}"),
        Value::Object(body),
    )
    .await;
    let (kept, rebuilt) = b.kept_and_rebuilt().await;
    assert_eq!(kept, rebuilt, "rebuilt with the zone");
    let day = b
        .report("sales", "preset=custom&from=2026-03-11&to=2026-03-11")
        .await;
    assert_eq!(headline(&day, "net_sales")["current"], 15_000, "{day}");
    b.app.stop().await;
}

#[tokio::test]
async fn histories_comebacks_and_follow_ups_saas() {
    histories_comebacks_and_follow_ups(TestApp::spawn().await).await;
}

#[tokio::test]
async fn histories_comebacks_and_follow_ups_embedded() {
    histories_comebacks_and_follow_ups(TestApp::spawn_embedded().await).await;
}
