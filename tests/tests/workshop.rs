//! The workshop floor through the API, on PostgreSQL: repair orders (numbers without gaps
//! under concurrency, the life cycle's refusals, the timeline), lines with totals, tax, shop
//! supplies and gross profit, canned jobs, the estimate sent and answered by phone, declined
//! services, inspections with photo uploads (type, size and script checks), the job board,
//! the time clock and earnings.

use pitlane_domain::permissions::Role;
use pitlane_store::{
    TenantCtx,
    entity::outbox,
    sea_orm::{ColumnTrait, QueryFilter, QueryOrder},
};
use pitlane_testkit::{Client, EventStream, TINY_JPEG, TenantFixture, TestApp, checked};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn message_for(problem: &Value, field: &str) -> String {
    problem["errors"]
        .as_array()
        .and_then(|e| e.iter().find(|f| f["field"] == field))
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

pub struct Shop {
    pub app: TestApp,
    pub tenant: TenantFixture,
    pub owner: Client,
    pub base: String,
    pub branch: String,
    pub customer: String,
    pub vehicle: String,
    pub part: String,
}

impl Shop {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.owner
            .call(method, &format!("{}{path}", self.base), body)
            .await
    }

    async fn ok(&self, method: Method, path: &str, body: Value) -> Value {
        let (status, json) = self.call(method.clone(), path, Some(body)).await;
        assert!(status.is_success(), "{method} {path}: {status} {json}");
        json
    }

    async fn staff(&self, role: Role) -> Client {
        let (email, password) = self.app.member(&self.tenant, role).await;
        let client = self.app.client();
        client.sign_in_as(&self.tenant, &email, &password).await;
        client
    }

    /// Adds a line to the order; panics on an error.
    async fn add_line(&self, order: &str, line: Value) -> Value {
        self.ok(Method::POST, &format!("/repair-orders/{order}/lines"), line)
            .await
    }

    async fn walk_in(&self) -> Value {
        self.ok(
            Method::POST,
            "/repair-orders",
            json!({"branch_id": self.branch, "customer_id": self.customer,
                   "vehicle_id": self.vehicle, "mileage_in": 52_000,
                   "concern": "Grinding noise when braking"}),
        )
        .await
    }

    async fn messages_of(&self, kind: &str) -> Vec<outbox::Model> {
        let store = &self.app.state().store;
        let tx = store.tx(&TenantCtx::new(self.tenant.id)).await.expect("tx");
        let rows = tx
            .all(
                tx.select::<outbox::Entity>()
                    .filter(outbox::Column::Kind.eq(kind))
                    .order_by_asc(outbox::Column::Id),
            )
            .await
            .expect("outbox");
        tx.commit().await.expect("commit");
        rows
    }
}

/// A workshop with a branch at 100.00/hour and 20 % tax, 10 % shop supplies capped at 15.00,
/// a customer with a vehicle, and brake pads costing 40.00 with 3 in stock.
pub async fn shop() -> Shop {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("floor").await;
    let owner = app.client();
    owner.sign_in(&tenant).await;
    let base = format!("/t/{}/api/v1", tenant.slug);
    let (_, branches) = owner
        .call(Method::GET, &format!("{base}/branches"), None)
        .await;
    let branch = branches["items"][0]["id"]
        .as_str()
        .expect("branch")
        .to_owned();
    let mut s = Shop {
        app,
        tenant,
        owner,
        base,
        branch: branch.clone(),
        customer: String::new(),
        vehicle: String::new(),
        part: String::new(),
    };
    s.ok(
        Method::PUT,
        &format!("/branches/{branch}/workshop-rates"),
        json!({"labour_rate": "100.00", "labour_cost": "30.00", "tax_percent": "20"}),
    )
    .await;
    s.ok(
        Method::PUT,
        "/workshop-settings",
        json!({"parts_markup_percent": "50", "shop_supplies_percent": "10",
               "shop_supplies_cap": "15.00", "allow_negative_stock": false,
               "pay_period": "weekly"}),
    )
    .await;
    let customer = s
        .ok(
            Method::POST,
            "/customers",
            json!({"name": "Dana Driver", "email": "dana@example.com"}),
        )
        .await;
    s.customer = customer["id"].as_str().expect("id").to_owned();
    let vehicle = s
        .ok(
            Method::POST,
            "/vehicles",
            json!({"customer_id": s.customer, "plate": "FL 1", "make": "Skoda",
                   "model": "Octavia", "mileage": 51_000}),
        )
        .await;
    s.vehicle = vehicle["id"].as_str().expect("id").to_owned();
    let part = s
        .ok(
            Method::POST,
            "/parts",
            json!({"sku": "bp-200", "name": "Brake pads", "cost": "40.00"}),
        )
        .await;
    assert_eq!(part["sku"], "BP-200");
    assert_eq!(part["selling_price_minor"], 6000, "50 % over cost");
    s.part = part["id"].as_str().expect("id").to_owned();
    s.ok(
        Method::POST,
        "/stock-movements",
        json!({"part_id": s.part, "branch_id": s.branch, "kind": "receive", "quantity": "3"}),
    )
    .await;
    s
}

#[tokio::test]
async fn an_estimate_prices_its_lines_and_the_customer_answers_by_phone() {
    let s = shop().await;
    let order = s.walk_in().await;
    assert_eq!(order["number"], "RO-1001");
    assert_eq!(order["status"], "estimate");
    let id = order["id"].as_str().expect("id").to_owned();

    // Labour at the branch's rate, a catalogue part at its markup, a fee and a discount.
    s.add_line(
        &id,
        json!({"kind": "labour", "description": "Replace front pads", "quantity": "1.5"}),
    )
    .await;
    s.add_line(
        &id,
        json!({"kind": "part", "part_id": s.part, "quantity": "1"}),
    )
    .await;
    s.add_line(
        &id,
        json!({"kind": "fee", "description": "Disposal", "unit_price": "5.00"}),
    )
    .await;
    let order = s
        .add_line(
            &id,
            json!({"kind": "discount", "description": "Loyalty", "unit_price": "10.00"}),
        )
        .await;
    let t = &order["totals"];
    assert_eq!(t["labour_minor"], 15_000);
    assert_eq!(t["parts_minor"], 6_000);
    assert_eq!(t["fees_minor"], 500);
    assert_eq!(
        t["shop_supplies_minor"], 1_500,
        "10 % of labour, capped at 15.00"
    );
    assert_eq!(t["discounts_minor"], 1_000);
    assert_eq!(t["subtotal_minor"], 22_000);
    // Tax on every taxable line (the discount is taxable too) and the supplies.
    assert_eq!(t["tax_minor"], 4_400);
    assert_eq!(t["total_minor"], 26_400);
    // The owner sees gross profit: subtotal − (1.5 h × 30.00 + 40.00).
    assert_eq!(t["gross_profit_minor"], 22_000 - 4_500 - 4_000);
    let advisor = s.staff(Role::ServiceAdvisor).await;
    let (_, seen) = advisor
        .call(Method::GET, &format!("{}/repair-orders/{id}", s.base), None)
        .await;
    assert!(
        seen["totals"]["gross_profit_minor"].is_null(),
        "advisors see no profit"
    );
    assert_eq!(seen["totals"]["total_minor"], 26_400);

    // Bad lines are refused per field, and nothing changes.
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/lines"),
            Some(json!({"kind": "labour", "description": "x", "quantity": "-2"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["quantity"]);
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/lines"),
            Some(json!({"kind": "gift"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["kind"]);

    // A forbidden move says where the order can go.
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/status"),
            Some(json!({"status": "ready_for_pickup"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = message_for(&problem, "status");
    assert!(
        message.contains("cannot become ready for pickup"),
        "{message}"
    );
    assert!(message.contains("cancelled"), "{message}");

    // Sent: the customer gets the estimate with their link.
    let sent = s
        .ok(
            Method::POST,
            &format!("/repair-orders/{id}/estimate/send"),
            json!({}),
        )
        .await;
    assert_eq!(sent["status"], "sent_for_approval");
    let messages = s.messages_of("estimate_ready").await;
    assert_eq!(messages.len(), 1);
    let text = messages[0].data.to_string();
    assert!(text.contains("/repair?token="), "{text}");
    assert!(text.contains("264.00"), "the total in the message: {text}");

    // The customer approves labour and part by phone but declines the fee and discount...
    let lines: Vec<(String, String)> = sent["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_owned(),
                l["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // ...first forgetting one line, which is refused with nothing recorded.
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/estimate/answer"),
            Some(json!({"method": "phone", "decisions": [{"line_id": lines[0].0, "decision": "approved"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["decisions"]);
    let decisions: Vec<Value> = lines
        .iter()
        .map(|(line, kind)| {
            let decision = if kind == "labour" || kind == "part" {
                "approved"
            } else {
                "declined"
            };
            json!({"line_id": line, "decision": decision})
        })
        .collect();
    let approved = s
        .ok(
            Method::POST,
            &format!("/repair-orders/{id}/estimate/answer"),
            json!({"method": "phone", "note": "spoke to Dana", "decisions": decisions}),
        )
        .await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approval"]["method"], "phone");
    assert!(
        approved["approval"]["by"]
            .as_str()
            .unwrap()
            .contains("spoke to Dana")
    );
    assert_eq!(
        approved["approved_totals"]["subtotal_minor"],
        15_000 + 6_000 + 1_500
    );
    let timeline = approved["timeline"].to_string();
    assert!(timeline.contains("Answered by phone"), "{timeline}");
    assert!(
        timeline.contains("declined: Disposal, Loyalty"),
        "{timeline}"
    );

    // The part is held for the order: 3 on hand, 1 reserved.
    let (_, levels) = s.call(Method::GET, "/stock-levels", None).await;
    assert_eq!(levels["items"][0]["on_hand"], "3");
    assert_eq!(levels["items"][0]["reserved"], "1");
    assert_eq!(levels["items"][0]["available"], "2");

    // Declined work waits for a follow-up.
    let (_, declined) = s.call(Method::GET, "/declined-services", None).await;
    assert_eq!(declined["items"].as_array().expect("items").len(), 2);
    let first = declined["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/declined-services/{first}/followed-up"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, declined) = s.call(Method::GET, "/declined-services", None).await;
    assert_eq!(declined["items"].as_array().expect("items").len(), 1);

    // Lines are frozen once approved; the order goes back to an estimate to add work.
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/lines"),
            Some(json!({"kind": "fee", "description": "Late", "unit_price": "1.00"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_for(&problem, "status").contains("Move it back to estimate"));
}

#[tokio::test]
async fn numbers_have_no_gaps_however_many_orders_open_at_once() {
    let s = shop().await;
    let mut handles = Vec::new();
    for _ in 0..12 {
        let client = s.owner.clone();
        let url = format!("{}/repair-orders", s.base);
        let body =
            json!({"branch_id": s.branch, "customer_id": s.customer, "vehicle_id": s.vehicle});
        handles.push(tokio::spawn(async move {
            client.call(Method::POST, &url, Some(body)).await
        }));
    }
    let mut numbers = Vec::new();
    for handle in handles {
        let (status, order) = handle.await.expect("task");
        assert_eq!(status, StatusCode::CREATED, "{order}");
        numbers.push(
            order["number"]
                .as_str()
                .unwrap()
                .trim_start_matches("RO-")
                .parse::<i64>()
                .unwrap(),
        );
    }
    // A failed open (a vehicle of someone else's) hands its number on.
    let (status, _) = s
        .call(
            Method::POST,
            "/repair-orders",
            Some(json!({"branch_id": s.branch, "customer_id": s.customer,
                        "vehicle_id": uuid::Uuid::nil()})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    numbers.push(
        s.walk_in().await["number"].as_str().unwrap()[3..]
            .parse()
            .unwrap(),
    );
    numbers.sort();
    assert_eq!(numbers, (1001..=1013).collect::<Vec<i64>>());
}

#[tokio::test]
async fn two_advisors_reserving_the_last_unit_one_is_told_how_many_are_left() {
    let s = shop().await;
    // Two units go elsewhere first: one is left.
    s.ok(
        Method::POST,
        "/stock-movements",
        json!({"part_id": s.part, "branch_id": s.branch, "kind": "adjust", "quantity": "-2",
               "reason": "damaged"}),
    )
    .await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        let order = s.walk_in().await;
        let id = order["id"].as_str().unwrap().to_owned();
        let order = s
            .add_line(&id, json!({"kind": "part", "part_id": s.part}))
            .await;
        let line = order["lines"][0]["id"].as_str().unwrap().to_owned();
        orders.push((id, line));
    }
    let mut handles = Vec::new();
    for (id, line) in orders {
        let client = s.owner.clone();
        let url = format!("{}/repair-orders/{id}/estimate/answer", s.base);
        let body = json!({"method": "in_person", "decisions": [{"line_id": line, "decision": "approved"}]});
        handles.push(tokio::spawn(async move {
            client.call(Method::POST, &url, Some(body)).await
        }));
    }
    let mut outcomes = Vec::new();
    for handle in handles {
        outcomes.push(handle.await.expect("task"));
    }
    let won = outcomes
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .count();
    let lost: Vec<&Value> = outcomes
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .map(|(_, p)| p)
        .collect();
    assert_eq!((won, lost.len()), (1, 1), "{outcomes:?}");
    let message = message_for(lost[0], "decisions");
    assert!(
        message.contains("only 0 of Brake pads (BP-200) available; this needs 1"),
        "{message}"
    );
    let (_, levels) = s.call(Method::GET, "/stock-levels", None).await;
    assert_eq!(levels["items"][0]["reserved"], "1");
}

#[tokio::test]
async fn the_stock_ledger_explains_every_level() {
    let s = shop().await;
    let (_, branches) = s.call(Method::GET, "/branches", None).await;
    assert_eq!(branches["items"].as_array().unwrap().len(), 1);
    let second = s
        .ok(
            Method::POST,
            "/branches",
            json!({"name": "Second", "time_zone": "Europe/Berlin"}),
        )
        .await;
    let second = second["id"].as_str().unwrap().to_owned();
    // Taking more than is there is refused with what is there.
    let (status, problem) = s
        .call(
            Method::POST,
            "/stock-movements",
            Some(json!({"part_id": s.part, "branch_id": s.branch, "kind": "return_to_supplier", "quantity": "4"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(message_for(&problem, "quantity").contains("only 3 of Brake pads"));
    // An adjustment needs a reason.
    let (status, problem) = s
        .call(
            Method::POST,
            "/stock-movements",
            Some(json!({"part_id": s.part, "branch_id": s.branch, "kind": "adjust", "quantity": "-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["reason"]);
    // Consumption comes from orders only.
    let (status, problem) = s
        .call(
            Method::POST,
            "/stock-movements",
            Some(json!({"part_id": s.part, "branch_id": s.branch, "kind": "consume", "quantity": "1"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["kind"]);
    s.ok(
        Method::POST,
        "/stock-transfers",
        json!({"part_id": s.part, "from_branch_id": s.branch, "to_branch_id": second, "quantity": "1.5"}),
    )
    .await;
    s.ok(
        Method::POST,
        "/stock-movements",
        json!({"part_id": s.part, "branch_id": s.branch, "kind": "adjust", "quantity": "0.5",
               "reason": "found in the van"}),
    )
    .await;
    // Low stock: a reorder point at 2 raises one notification for the parts staff.
    let (_, levels) = s
        .call(Method::GET, &format!("/parts/{}/stock", s.part), None)
        .await;
    let here = levels["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["branch_id"] == s.branch.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let level = s
        .ok(
            Method::PUT,
            &format!("/stock-levels/{here}"),
            json!({"reorder_at": "2"}),
        )
        .await;
    assert_eq!(level["on_hand"], "2");
    assert_eq!(level["low"], true);
    let (_, low) = s.call(Method::GET, "/stock-levels?low=true", None).await;
    assert_eq!(low["items"].as_array().unwrap().len(), 1);
    let (_, notes) = s.call(Method::GET, "/notifications", None).await;
    assert!(
        notes.to_string().contains("Low stock: Brake pads (BP-200)"),
        "{notes}"
    );

    // Every level is the sum of its movements.
    let (_, ledger) = s
        .call(Method::GET, "/stock-movements?limit=200", None)
        .await;
    for branch in [&s.branch, &second] {
        let sum: f64 = ledger["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["branch_id"] == branch.as_str())
            .map(|m| m["quantity"].as_str().unwrap().parse::<f64>().unwrap())
            .sum();
        let (_, levels) = s
            .call(
                Method::GET,
                &format!("/stock-levels?branch_id={branch}"),
                None,
            )
            .await;
        let on_hand: f64 = levels["items"][0]["on_hand"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(sum, on_hand, "branch {branch}");
    }
}

#[tokio::test]
async fn purchase_orders_and_stock_counts_move_stock_through_the_ledger() {
    let s = shop().await;
    let supplier = s
        .ok(Method::POST, "/suppliers", json!({"name": "Parts Direct"}))
        .await;
    let po = s
        .ok(
            Method::POST,
            "/purchase-orders",
            json!({"branch_id": s.branch, "supplier_id": supplier["id"],
                   "lines": [{"part_id": s.part, "quantity": "4", "unit_cost": "38.00"}]}),
        )
        .await;
    assert_eq!(po["number"], "PO-1001");
    assert_eq!(po["status"], "draft");
    let id = po["id"].as_str().unwrap().to_owned();
    let line = po["lines"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/purchase-orders/{id}/deliveries"),
            Some(json!({"lines": [{"line_id": line, "quantity": "1"}]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a draft takes no deliveries"
    );
    s.ok(
        Method::POST,
        &format!("/purchase-orders/{id}/order"),
        json!({}),
    )
    .await;
    let po = s
        .ok(
            Method::POST,
            &format!("/purchase-orders/{id}/deliveries"),
            json!({"lines": [{"line_id": line, "quantity": "3"}]}),
        )
        .await;
    assert_eq!(po["status"], "partly_received");
    let po = s
        .ok(
            Method::POST,
            &format!("/purchase-orders/{id}/deliveries"),
            json!({"lines": [{"line_id": line, "quantity": "1"}]}),
        )
        .await;
    assert_eq!(po["status"], "received");
    let (status, _) = s
        .call(Method::POST, &format!("/purchase-orders/{id}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // 7 on the books; the count finds 6.
    let count = s
        .ok(
            Method::POST,
            "/stock-counts",
            json!({"branch_id": s.branch}),
        )
        .await;
    assert_eq!(count["lines"][0]["expected"], "7");
    let count_id = count["id"].as_str().unwrap().to_owned();
    let (status, _) = s
        .call(
            Method::POST,
            "/stock-counts",
            Some(json!({"branch_id": s.branch})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one open count per branch");
    let counted = s
        .ok(
            Method::POST,
            &format!("/stock-counts/{count_id}/counted"),
            json!({"part_id": s.part, "counted": "6"}),
        )
        .await;
    assert_eq!(counted["lines"][0]["variance"], "-1");
    assert_eq!(counted["lines"][0]["variance_value_minor"], -4000);
    s.ok(
        Method::POST,
        &format!("/stock-counts/{count_id}/complete"),
        json!({}),
    )
    .await;
    let (_, levels) = s.call(Method::GET, "/stock-levels", None).await;
    assert_eq!(levels["items"][0]["on_hand"], "6");
    let (_, ledger) = s.call(Method::GET, "/stock-movements", None).await;
    assert_eq!(ledger["items"][0]["kind"], "adjust");
    assert_eq!(ledger["items"][0]["reason"], "stock count");
    assert_eq!(ledger["items"][0]["stock_count_id"], count_id.as_str());
}

#[tokio::test]
async fn inspection_photos_are_checked_by_their_bytes() {
    let s = shop().await;
    let order = s.walk_in().await;
    let id = order["id"].as_str().unwrap().to_owned();
    let (status, inspection) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/inspections"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inspection}");
    let inspection_id = inspection["id"].as_str().unwrap().to_owned();
    let point = inspection["items"][0]["id"].as_str().unwrap().to_owned();
    let upload = |bytes: Vec<u8>| {
        let path = format!(
            "{}/inspections/{inspection_id}/items/{point}/photos",
            s.base
        );
        let url = s.owner.url(&path);
        let http = s.owner.http.clone();
        async move {
            let response = http
                .post(url)
                .header("content-type", "application/octet-stream")
                .body(bytes)
                .send()
                .await
                .expect("upload");
            let answer = checked("POST", &path, response).await;
            (answer.status, answer.body)
        }
    };
    let (status, problem) = upload(b"GIF89a not a photo".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_for(&problem, "photo").contains("only JPEG, PNG, WebP or HEIC"));
    let mut huge = TINY_JPEG.to_vec();
    huge.resize(11 * 1024 * 1024, 0);
    let (status, problem) = upload(huge).await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::PAYLOAD_TOO_LARGE,
        "{status} {problem}"
    );
    let mut polyglot = TINY_JPEG.to_vec();
    polyglot.extend_from_slice(b"<script>fetch('/api/v1/me')</script>");
    let (status, problem) = upload(polyglot).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_for(&problem, "photo").contains("script"));
    let (status, photo) = upload(TINY_JPEG.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    assert_eq!(photo["content_type"], "image/jpeg");
    let photo_id = photo["id"].as_str().unwrap();
    let path = format!(
        "{}/inspections/{inspection_id}/items/{point}/photos/{photo_id}",
        s.base
    );
    let response = checked("GET", &path, s.owner.get(&path).await).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "image/jpeg");
    assert_eq!(response.headers["x-content-type-options"], "nosniff");
    assert!(
        response.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(response.bytes, TINY_JPEG);

    // A red point needs a note; two findings become estimate lines in one step.
    let (status, problem) = s
        .call(
            Method::PUT,
            &format!("/inspections/{inspection_id}/items/{point}"),
            Some(json!({"rating": "red"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["note"]);
    let points: Vec<String> = inspection["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    for (i, p) in points.iter().enumerate() {
        let (rating, note) = match i {
            0 => ("red", Some("Pads worn to the metal")),
            1 => ("yellow", Some("Discs lipped")),
            _ => ("green", None),
        };
        s.ok(
            Method::PUT,
            &format!("/inspections/{inspection_id}/items/{p}"),
            json!({"rating": rating, "note": note}),
        )
        .await;
    }
    let done = s
        .ok(
            Method::POST,
            &format!("/inspections/{inspection_id}/complete"),
            json!({}),
        )
        .await;
    assert_eq!(done["status"], "completed");
    let order = s
        .ok(
            Method::POST,
            &format!("/inspections/{inspection_id}/recommendations"),
            json!({}),
        )
        .await;
    let recommended: Vec<&Value> = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["source"] == "inspection")
        .collect();
    assert_eq!(recommended.len(), 2);
    assert!(
        recommended[0]["description"]
            .as_str()
            .unwrap()
            .contains("Pads worn to the metal")
    );
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/inspections/{inspection_id}/recommendations"),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no findings left to add"
    );
}

#[tokio::test]
async fn a_mechanic_takes_a_job_from_the_board_clocks_it_and_the_part_is_consumed() {
    let s = shop().await;
    let mechanic = s.staff(Role::Mechanic).await;
    let (_, mechanics) = s.call(Method::GET, "/mechanics", None).await;
    let mechanic_id = mechanics["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Mechanic")
        .expect("the mechanic")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.ok(
        Method::PUT,
        &format!("/mechanics/{mechanic_id}"),
        json!({"skills": ["engines"]}),
    )
    .await;
    s.ok(
        Method::PUT,
        &format!("/mechanics/{mechanic_id}/pay"),
        json!({"pay_scheme": "flat_rate", "rate": "25.00"}),
    )
    .await;
    let order = s.walk_in().await;
    let id = order["id"].as_str().unwrap().to_owned();
    s.add_line(&id, json!({"kind": "labour", "description": "Front brakes", "quantity": "2", "skill": "brakes"})).await;
    let order = s
        .add_line(&id, json!({"kind": "part", "part_id": s.part}))
        .await;
    let job = order["jobs"][0]["id"].as_str().unwrap().to_owned();
    let decisions: Vec<Value> = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"line_id": l["id"], "decision": "approved"}))
        .collect();
    s.ok(
        Method::POST,
        &format!("/repair-orders/{id}/estimate/answer"),
        json!({"method": "in_person", "decisions": decisions}),
    )
    .await;
    s.ok(Method::POST, &format!("/jobs/{job}/board"), json!({}))
        .await;

    // Without the skill the job needs, the mechanic does not see it and cannot take it.
    let m = |path: &str| format!("{}{path}", s.base);
    let (_, board) = mechanic.call(Method::GET, &m("/job-board"), None).await;
    assert_eq!(board["items"].as_array().unwrap().len(), 0, "{board}");
    let (status, problem) = mechanic
        .call(
            Method::POST,
            &m(&format!("/jobs/{job}/applications")),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        message_for(&problem, "job_id").contains("needs the skill \"brakes\""),
        "{problem}"
    );
    s.ok(
        Method::PUT,
        &format!("/mechanics/{mechanic_id}"),
        json!({"skills": ["engines", "brakes"]}),
    )
    .await;
    s.ok(Method::POST, &format!("/jobs/{job}/board"), json!({}))
        .await;
    let (_, board) = mechanic.call(Method::GET, &m("/job-board"), None).await;
    assert_eq!(board["items"][0]["id"], job.as_str(), "{board}");
    assert_eq!(board["items"][0]["billed_hours"], "2");
    let (_, notes) = mechanic.call(Method::GET, &m("/notifications"), None).await;
    assert!(
        notes.to_string().contains("New job on the board"),
        "{notes}"
    );
    let (status, application) = mechanic
        .call(
            Method::POST,
            &m(&format!("/jobs/{job}/applications")),
            Some(json!({"note": "free now"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{application}");
    let (status, _) = mechanic
        .call(
            Method::POST,
            &m(&format!("/jobs/{job}/applications")),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one application per job");
    let accepted = s
        .ok(
            Method::POST,
            &format!(
                "/jobs/{job}/applications/{}/accept",
                application["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(accepted["status"], "assigned");
    assert_eq!(accepted["mechanic_id"], mechanic_id.as_str());
    let (_, notes) = mechanic.call(Method::GET, &m("/notifications"), None).await;
    assert!(
        notes.to_string().contains("Your application was accepted"),
        "{notes}"
    );

    // The clock: start puts the order in progress; pausing a job not running is refused.
    let (_, mine) = mechanic.call(Method::GET, &m("/my-jobs"), None).await;
    assert_eq!(mine["items"][0]["id"], job.as_str());
    let (status, problem) = mechanic
        .call(
            Method::POST,
            &m(&format!("/jobs/{job}/clock")),
            Some(json!({"action": "pause"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = mechanic
        .call(
            Method::POST,
            &m(&format!("/jobs/{job}/clock")),
            Some(json!({"action": "start"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, order) = s
        .call(Method::GET, &format!("/repair-orders/{id}"), None)
        .await;
    assert_eq!(order["status"], "in_progress");
    let (status, _) = mechanic
        .call(
            Method::POST,
            &m(&format!("/jobs/{job}/clock")),
            Some(json!({"action": "finish"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, entries) = s
        .call(Method::GET, &format!("/jobs/{job}/time-entries"), None)
        .await;
    assert_eq!(entries["items"].as_array().unwrap().len(), 1);
    assert!(!entries["items"][0]["ended_at"].is_null());

    // Earnings: flat rate pays the billed hours, whatever the clock says.
    let (_, earnings) = mechanic.call(Method::GET, &m("/earnings"), None).await;
    let me = &earnings["items"][0];
    assert_eq!(me["billed_hours"], "2", "{earnings}");
    assert_eq!(me["earned_minor"], 5_000);
    assert_eq!(
        earnings["items"].as_array().unwrap().len(),
        1,
        "a mechanic sees only their own"
    );

    // Work done: quality check, then ready; the part leaves stock, the customer is told.
    for status in ["quality_check", "ready_for_pickup"] {
        s.ok(
            Method::POST,
            &format!("/repair-orders/{id}/status"),
            json!({"status": status, "mileage_out": 52_010}),
        )
        .await;
    }
    let (_, levels) = s.call(Method::GET, "/stock-levels", None).await;
    assert_eq!(levels["items"][0]["on_hand"], "2");
    assert_eq!(levels["items"][0]["reserved"], "0");
    let (_, ledger) = s.call(Method::GET, "/stock-movements", None).await;
    assert_eq!(ledger["items"][0]["kind"], "consume");
    assert_eq!(ledger["items"][0]["repair_order_id"], id.as_str());
    assert_eq!(s.messages_of("vehicle_ready").await.len(), 1);
    let (_, order) = s
        .call(Method::GET, &format!("/repair-orders/{id}"), None)
        .await;
    assert_eq!(order["mileage_out"], 52_010);
    let timeline = order["timeline"].to_string();
    for step in [
        "opened",
        "Answered in person",
        "put on the job board",
        "applied for",
        "given to",
        "started",
        "finished",
        "Ready for pickup",
    ] {
        assert!(timeline.contains(step), "{step} missing from {timeline}");
    }
}

#[tokio::test]
async fn canned_jobs_add_their_lines_in_one_step() {
    let s = shop().await;
    let (status, canned) = s
        .call(
            Method::POST,
            "/canned-jobs",
            Some(
                json!({"name": "Front brake job", "skill": "brakes", "lines": [
                    {"kind": "labour", "description": "Replace pads", "quantity": "1.2"},
                    {"kind": "part", "description": "Pads", "part_id": s.part, "quantity": "1"}
                ]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{canned}");
    let (status, problem) = s
        .call(
            Method::POST,
            "/canned-jobs",
            Some(json!({"name": "Front brake job", "lines": [
            {"kind": "fee", "description": "x", "unit_price": "1"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let order = s.walk_in().await;
    let id = order["id"].as_str().unwrap();
    let order = s
        .ok(
            Method::POST,
            &format!("/repair-orders/{id}/canned-jobs"),
            json!({"canned_job_id": canned["id"]}),
        )
        .await;
    assert_eq!(order["lines"].as_array().unwrap().len(), 2);
    assert_eq!(order["totals"]["labour_minor"], 12_000);
    assert_eq!(order["totals"]["parts_minor"], 6_000);
    assert_eq!(order["jobs"][0]["title"], "Front brake job");
    assert_eq!(order["jobs"][0]["skill"], "brakes");
}

/// The customer's link from the last message of this kind.
async fn customer_link(s: &Shop, kind: &str) -> String {
    let messages = s.messages_of(kind).await;
    let text = messages.last().expect("a message").data.to_string();
    let start = text.find("/repair?token=").expect("a repair link");
    let token: String = text[start + "/repair?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    format!("/t/{}/repair?token={token}", s.tenant.slug)
}

#[tokio::test]
async fn the_customer_approves_on_their_page_and_watches_it_live_from_another_instance() {
    let s = shop().await;
    let order = s.walk_in().await;
    let id = order["id"].as_str().unwrap().to_owned();
    s.add_line(
        &id,
        json!({"kind": "labour", "description": "Replace front pads", "quantity": "1"}),
    )
    .await;
    let order = s
        .add_line(
            &id,
            json!({"kind": "fee", "description": "Wiper blades", "unit_price": "25.00"}),
        )
        .await;
    let (labour, fee) = (
        order["lines"][0]["id"].as_str().unwrap().to_owned(),
        order["lines"][1]["id"].as_str().unwrap().to_owned(),
    );
    s.ok(
        Method::POST,
        &format!("/repair-orders/{id}/estimate/send"),
        json!({}),
    )
    .await;
    let link = customer_link(&s, "estimate_ready").await;

    // The customer, signed in nowhere, on the second server instance.
    let second = s.app.another_instance().await;
    let customer = Client::new(
        &format!("http://127.0.0.1:{}", second.addr.port()),
        second.addr.port(),
    );
    let page = customer.get(&link).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Your estimate"), "{html}");
    assert!(html.contains("Replace front pads") && html.contains("Wiper blades"));
    let events_path = link.replacen("/repair?", "/repair/events?", 1);
    let mut stream = EventStream::open(&customer, &events_path, None).await;

    // A forged or foreign link finds nothing.
    let forged = link.replace("token=", "token=x");
    assert_eq!(customer.get(&forged).await.status(), StatusCode::NOT_FOUND);

    // Answering nothing keeps the page, with a message.
    let answer_path = format!("/t/{}/repair/answer", s.tenant.slug);
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let response = customer
        .submit(
            &link,
            &answer_path,
            &[
                ("token", &token),
                ("version", "1"),
                (&format!("d_{labour}"), "approved"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("answer every line"), "{html}");
    assert!(
        html.contains(r#"value="approved" checked"#),
        "the choice is kept"
    );

    let response = customer
        .submit(
            &link,
            &answer_path,
            &[
                ("token", &token),
                ("version", "1"),
                (&format!("d_{labour}"), "approved"),
                (&format!("d_{fee}"), "declined"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let approved = stream
        .read_until(|e| e.kind == "repair_order.approval")
        .await;
    assert_eq!(approved.last().unwrap().data["status"], "approved");
    let (_, order) = s
        .call(Method::GET, &format!("/repair-orders/{id}"), None)
        .await;
    assert_eq!(order["approval"]["method"], "online");
    assert_eq!(order["approval"]["by"], "Dana Driver");

    // Another order's changes are not this customer's to hear; this one's are, within moments.
    let other = s.walk_in().await;
    s.ok(
        Method::POST,
        &format!("/repair-orders/{}/status", other["id"].as_str().unwrap()),
        json!({"status": "cancelled"}),
    )
    .await;
    let started = std::time::Instant::now();
    s.ok(
        Method::POST,
        &format!("/repair-orders/{id}/status"),
        json!({"status": "in_progress"}),
    )
    .await;
    let events = stream
        .read_until(|e| e.data["status"] == "in_progress")
        .await;
    eprintln!(
        "status change seen by the customer after {:?}",
        started.elapsed()
    );
    assert!(
        events.iter().all(|e| e.data["id"] == id.as_str()),
        "{events:?}"
    );
    let html = customer.get(&link).await.text().await.unwrap();
    assert!(html.contains("Our mechanics are working on your vehicle."));
    assert!(html.contains("Answered online by Dana Driver"), "{html}");
    drop(stream);
    second.stop().await;
}

#[tokio::test]
async fn photos_go_to_an_s3_compatible_bucket_in_the_saas_shape() {
    let s3 = pitlane_testkit::FakeS3::start().await;
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut vars = pitlane_testkit::test_vars(&db);
    vars.extend(s3.vars());
    let app = TestApp::spawn_with(
        pitlane_testkit::Backend::Postgres(db),
        pitlane_testkit::config_from(&vars),
    )
    .await;
    let tenant = app.tenant("bucket").await;
    let owner = app.client();
    owner.sign_in(&tenant).await;
    let base = format!("/t/{}/api/v1", tenant.slug);
    let call = |method: Method, path: String, body: Value| {
        let owner = owner.clone();
        async move {
            let (status, json) = owner.call(method, &path, Some(body)).await;
            assert!(status.is_success(), "{path}: {status} {json}");
            json
        }
    };
    let (_, branches) = owner
        .call(Method::GET, &format!("{base}/branches"), None)
        .await;
    let customer = call(
        Method::POST,
        format!("{base}/customers"),
        json!({"name": "Bo"}),
    )
    .await;
    let vehicle = call(
        Method::POST,
        format!("{base}/vehicles"),
        json!({"customer_id": customer["id"], "plate": "S3 1"}),
    )
    .await;
    let order = call(
        Method::POST,
        format!("{base}/repair-orders"),
        json!({"branch_id": branches["items"][0]["id"], "customer_id": customer["id"], "vehicle_id": vehicle["id"]}),
    )
    .await;
    let inspection = call(
        Method::POST,
        format!(
            "{base}/repair-orders/{}/inspections",
            order["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    let (inspection_id, point) = (
        inspection["id"].as_str().unwrap(),
        inspection["items"][0]["id"].as_str().unwrap(),
    );
    let photos = format!("{base}/inspections/{inspection_id}/items/{point}/photos");
    let response = owner
        .http
        .post(owner.url(&photos))
        .header("content-type", "application/octet-stream")
        .body(TINY_JPEG.to_vec())
        .send()
        .await
        .unwrap();
    let response = checked("POST", &photos, response).await;
    assert_eq!(response.status, StatusCode::CREATED);
    let photo = response.body;
    let keys = s3.keys();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with(&tenant.id.0.to_string()), "{keys:?}");
    let path = format!("{photos}/{}", photo["id"].as_str().unwrap());
    let response = checked("GET", &path, owner.get(&path).await).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.bytes, TINY_JPEG);
    let (status, _) = owner.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(s3.keys().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_part_approved_while_short_must_be_in_stock_before_the_car_is_ready_and_leaves_once() {
    let s = shop().await;
    // Nothing on the shelf: the customer approves online anyway; the order goes ahead.
    s.ok(
        Method::POST,
        "/stock-movements",
        json!({"part_id": s.part, "branch_id": s.branch, "kind": "adjust", "quantity": "-3",
               "reason": "sent back"}),
    )
    .await;
    let order = s.walk_in().await;
    let id = order["id"].as_str().unwrap().to_owned();
    s.add_line(&id, json!({"kind": "part", "part_id": s.part}))
        .await;
    s.ok(
        Method::POST,
        &format!("/repair-orders/{id}/estimate/send"),
        json!({}),
    )
    .await;
    let link = customer_link(&s, "estimate_ready").await;
    let customer = s.app.client();
    let page = customer.get(&link).await.text().await.unwrap();
    let line = page
        .split("name=\"d_")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let answer = format!("/t/{}/repair/answer", s.tenant.slug);
    // An answer from a page of an earlier version of the estimate is refused.
    let response = customer
        .submit(
            &link,
            &answer,
            &[
                ("token", &token),
                ("version", "0"),
                (&format!("d_{line}"), "approved"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("changed this estimate")
    );
    let response = customer
        .submit(
            &link,
            &answer,
            &[
                ("token", &token),
                ("version", "1"),
                (&format!("d_{line}"), "approved"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, order) = s
        .call(Method::GET, &format!("/repair-orders/{id}"), None)
        .await;
    assert_eq!(order["status"], "approved");
    assert!(
        order["timeline"].to_string().contains("Not reserved"),
        "{}",
        order["timeline"]
    );
    // Answered lines cannot be answered again.
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/estimate/answer"),
            Some(json!({"method": "phone", "decisions": [{"line_id": line, "decision": "declined"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    for status in ["in_progress", "quality_check"] {
        s.ok(
            Method::POST,
            &format!("/repair-orders/{id}/status"),
            json!({"status": status}),
        )
        .await;
    }
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/repair-orders/{id}/status"),
            Some(json!({"status": "ready_for_pickup"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        message_for(&problem, "status").contains("only 0 of Brake pads"),
        "{problem}"
    );
    s.ok(
        Method::POST,
        "/stock-movements",
        json!({"part_id": s.part, "branch_id": s.branch, "kind": "receive", "quantity": "2"}),
    )
    .await;
    // Two taps on "ready" at once: one wins, the part leaves stock once.
    let mut handles = Vec::new();
    for _ in 0..2 {
        let client = s.owner.clone();
        let url = format!("{}/repair-orders/{id}/status", s.base);
        handles.push(tokio::spawn(async move {
            client
                .call(
                    Method::POST,
                    &url,
                    Some(json!({"status": "ready_for_pickup"})),
                )
                .await
                .0
        }));
    }
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    statuses.sort();
    assert!(statuses[0] == StatusCode::OK, "{statuses:?}");
    assert!(statuses[1].is_client_error(), "{statuses:?}");
    let (_, levels) = s.call(Method::GET, "/stock-levels", None).await;
    assert_eq!(levels["items"][0]["on_hand"], "1");
    assert_eq!(levels["items"][0]["reserved"], "0");
}

#[tokio::test]
async fn the_board_follows_the_customers_name_and_forgets_an_erased_one() {
    let s = shop().await;
    let order = s.walk_in().await;
    let (_, board) = s.call(Method::GET, "/repair-orders", None).await;
    assert_eq!(board["items"][0]["customer_name"], "Dana Driver");
    let (_, counts) = s.call(Method::GET, "/repair-orders/counts", None).await;
    assert_eq!(counts["open"], 1);
    s.ok(
        Method::PUT,
        &format!("/customers/{}", s.customer),
        json!({"name": "Dana Driver-Smith", "email": "dana@example.com"}),
    )
    .await;
    let (_, board) = s.call(Method::GET, "/repair-orders", None).await;
    assert_eq!(board["items"][0]["customer_name"], "Dana Driver-Smith");
    // The customer's export holds their repair orders.
    let (status, export) = s
        .call(
            Method::GET,
            &format!("/customers/{}/export", s.customer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export["repair_orders"][0]["number"], "RO-1001", "{export}");
    assert_eq!(
        export["repair_orders"][0]["concern"],
        "Grinding noise when braking"
    );
    let (status, _) = s
        .call(Method::DELETE, &format!("/customers/{}", s.customer), None)
        .await;
    assert!(status.is_success(), "{status}");
    let (_, board) = s.call(Method::GET, "/repair-orders", None).await;
    assert_eq!(board["items"][0]["customer_name"], "Erased customer");
    assert_eq!(board["items"][0]["id"], order["id"]);
}
