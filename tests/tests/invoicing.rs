//! Invoicing and Stripe, on PostgreSQL against the fake Stripe on 127.0.0.1: invoices with
//! several tax rates, gap-free numbers under concurrent issuing, payments with receipts,
//! credit notes, refunds, Stripe Connect, card payments on the branded page, and webhooks
//! (forged, stale, replayed, out of order, for an invoice already paid), with Stripe failing
//! on purpose; zero- and three-decimal currencies; plans and their dunning.

use std::time::Duration;

use pitlane_store::{
    TenantCtx,
    entity::{outbox, tenant},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};
use pitlane_testkit::{
    Client, FakeStripe, TenantFixture, TestApp, TestDatabase, config_from,
    stripe::{OLD_WEBHOOK_SECRET, PRICE_GROWTH, PRICE_STARTER, WEBHOOK_SECRET, sign},
    test_vars,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Shop {
    app: TestApp,
    stripe: FakeStripe,
    tenant: TenantFixture,
    owner: Client,
    base: String,
    branch: String,
    customer: String,
    account: String,
}

impl Shop {
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

    /// An issued invoice of these lines (each `(description, price, quantity)`), at the
    /// branch's standard rate.
    async fn issued(&self, lines: &[(&str, &str, &str)]) -> Value {
        let draft = self
            .ok(
                Method::POST,
                "/invoices",
                json!({"branch_id": self.branch, "customer_id": self.customer}),
            )
            .await;
        let id = draft["id"].as_str().expect("id").to_owned();
        for (description, price, quantity) in lines {
            self.ok(
                Method::POST,
                &format!("/invoices/{id}/lines"),
                json!({"kind": "part", "description": description, "unit_price": price, "quantity": quantity}),
            )
            .await;
        }
        self.ok(Method::POST, &format!("/invoices/{id}/issue"), json!({}))
            .await
    }

    async fn invoice(&self, id: &str) -> Value {
        self.get(&format!("/invoices/{id}")).await
    }

    /// The customer's signed page of an invoice.
    fn pay_page(&self, id: &str) -> String {
        pitlane_billing::invoices::customer_link(
            &self.app.state().billing,
            &format!("/t/{}", self.tenant.slug),
            id.parse().expect("uuid"),
        )
    }

    /// The customer presses "Pay by card" on their invoice's page.
    async fn press_pay(&self, customer: &Client, id: &str) -> reqwest::Response {
        let page = self.pay_page(id);
        customer
            .submit(
                &page,
                &format!("/t/{}/invoice/pay", self.tenant.slug),
                &[("token", token_of(&page))],
            )
            .await
    }

    /// The customer presses "Pay by card": the Checkout page Stripe sent them to.
    async fn start_card_payment(&self, customer: &Client, id: &str) -> String {
        let response = self.press_pay(customer, id).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "pay redirects to Stripe"
        );
        let location = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        assert!(
            location.starts_with(&self.stripe.api_base()),
            "to Stripe's page: {location}"
        );
        location.rsplit('/').next().expect("session id").to_owned()
    }

    /// Waits until the invoice is in `status` (webhooks are worked in the background).
    async fn until_status(&self, id: &str, status: &str) -> Value {
        for _ in 0..200 {
            let invoice = self.invoice(id).await;
            if invoice["status"] == status {
                return invoice;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "invoice {id} never became {status}: {}",
            self.invoice(id).await
        );
    }

    async fn webhook(&self, kind: &str, object: Value, account: Option<&str>) -> (String, u16) {
        self.stripe
            .send(&self.app.origin, kind, object, account)
            .await
    }

    /// Works every stored event now, as the background worker would.
    async fn drain(&self) {
        let state = self.app.state();
        pitlane_billing::events::drain(&state.billing, &pitlane_app::sweeps::stripe_sites(state))
            .await;
    }

    async fn outbox(&self, kind: &str) -> Vec<outbox::Model> {
        let store = &self.app.state().store;
        let tx = store.tx(&TenantCtx::new(self.tenant.id)).await.expect("tx");
        let rows = tx
            .all(
                tx.select::<outbox::Entity>()
                    .filter(outbox::Column::Kind.eq(kind)),
            )
            .await
            .expect("outbox");
        tx.commit().await.expect("commit");
        rows
    }
}

fn token_of(link: &str) -> &str {
    link.split("token=").nth(1).expect("a token")
}

fn id_of(json: &Value) -> String {
    json["id"].as_str().expect("id").to_owned()
}

/// A workshop on the fake Stripe, in `currency`, with a branch at 20 % tax, a customer with an
/// e-mail address, and its Stripe account connected and able to take payments.
async fn shop(currency: &str) -> Shop {
    let stripe = FakeStripe::start().await;
    let db = TestDatabase::create().await;
    let mut vars = test_vars(&db);
    vars.extend(stripe.vars());
    let app = TestApp::spawn_with(pitlane_testkit::Backend::Postgres(db), config_from(&vars)).await;
    stripe.deliver_to(&app.origin);
    let tenant = app.tenant("alpha").await;
    set_currency(&app, &tenant, currency).await;
    let owner = app.client();
    owner.sign_in(&tenant).await;
    let base = format!("/t/{}/api/v1", tenant.slug);
    let branch = owner.first_branch(&base).await;
    let mut s = Shop {
        app,
        stripe,
        tenant,
        owner,
        base,
        branch: branch.clone(),
        customer: String::new(),
        account: String::new(),
    };
    s.ok(
        Method::PUT,
        &format!("/branches/{branch}/workshop-rates"),
        json!({"labour_rate": "100", "labour_cost": "30", "tax_percent": "20"}),
    )
    .await;
    let customer = s
        .ok(
            Method::POST,
            "/customers",
            json!({"name": "Dana Driver", "email": "dana@example.com"}),
        )
        .await;
    s.customer = id_of(&customer);

    // Not connected: card payments are off, and staff are told why.
    let billing = s.get("/billing").await;
    assert_eq!(billing["stripe"], "not_connected");
    assert!(
        billing["card_payments_off_because"]
            .as_str()
            .is_some_and(|w| w.contains("connect")),
        "{billing}"
    );
    let onboarding = s
        .ok(Method::POST, "/billing/stripe-onboarding", json!({}))
        .await;
    let url = onboarding["url"].as_str().expect("url");
    s.account = url.rsplit('/').next().expect("account").to_owned();
    assert_eq!(s.get("/billing").await["stripe"], "pending");
    // Asking again continues with the same account: it is created once.
    s.ok(Method::POST, "/billing/stripe-onboarding", json!({}))
        .await;
    let created = s.stripe.calls_to("POST", "/v1/accounts");
    assert_eq!(created.len(), 1, "the account is created once");
    assert_eq!(
        created[0].idempotency_key,
        Some(format!("account:{}", s.tenant.id.0)),
        "keyed by the workshop"
    );
    assert_eq!(s.stripe.calls_to("POST", "/v1/account_links").len(), 2);
    s.stripe.enable_account(&s.account);
    let account = json!({"id": s.account, "object": "account"});
    let (_, status) = s
        .webhook("account.updated", account, Some(&s.account.clone()))
        .await;
    assert_eq!(status, 200);
    for _ in 0..200 {
        if s.get("/billing").await["stripe"] == "active" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(s.get("/billing").await["stripe"], "active");
    s
}

async fn set_currency(app: &TestApp, tenant: &TenantFixture, currency: &str) {
    let store = &app.state().store;
    let tx = store.tx(&TenantCtx::new(tenant.id)).await.expect("tx");
    let row = tx.get::<tenant::Entity>(tenant.id.0).await.expect("tenant");
    let mut active = row.into_active_model();
    active.currency = Set(currency.to_owned());
    tx.update(active).await.expect("currency");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_customer_pays_by_card_and_the_invoice_is_paid_only_by_the_webhook() {
    let s = shop("EUR").await;
    let invoice = s
        .issued(&[("Brake pads", "60.00", "1"), ("Labour", "100.00", "1.5")])
        .await;
    let id = id_of(&invoice);
    assert!(
        invoice["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("INV-2026-") || n.starts_with("INV-20")),
        "{invoice}"
    );
    // 60.00 + 150.00 = 210.00, 20 % tax = 42.00.
    assert_eq!(invoice["total_minor"], 25_200);
    assert_eq!(invoice["tax_minor"], 4_200);
    assert_eq!(invoice["balance_due_minor"], 25_200);
    let issued_mail = s.outbox("invoice_issued").await;
    assert_eq!(issued_mail.len(), 1, "the customer gets the invoice");
    assert!(
        issued_mail[0].data.to_string().contains("application/pdf"),
        "with its PDF"
    );

    let customer = s.app.client();
    let session = s.start_card_payment(&customer, &id).await;
    let created = s.stripe.calls_to("POST", "/v1/checkout/sessions");
    assert_eq!(created.len(), 1);
    let call = &created[0];
    assert_eq!(
        call.account.as_deref(),
        Some(s.account.as_str()),
        "a direct charge"
    );
    assert_eq!(
        call.field("line_items[0][price_data][unit_amount]"),
        Some("25200")
    );
    assert_eq!(
        call.field("line_items[0][price_data][currency]"),
        Some("eur")
    );
    // The trial's fee: 1 % of 252.00.
    assert_eq!(
        call.field("payment_intent_data[application_fee_amount]"),
        Some("252")
    );
    assert!(
        call.idempotency_key
            .as_deref()
            .is_some_and(|k| k.starts_with("checkout:"))
    );

    // Pressing "Pay" again reuses the open session: one payment, however many taps.
    let again = s.start_card_payment(&customer, &id).await;
    assert_eq!(again, session);

    // Back from Stripe before the webhook: confirming, not paid.
    let back = customer
        .get(&s.pay_page(&id).replace("/invoice?", "/invoice/paid?"))
        .await
        .text()
        .await
        .expect("page");
    assert!(back.contains("Payment received, confirming"), "{back}");
    assert_eq!(
        s.invoice(&id).await["status"],
        "issued",
        "the redirect pays nothing"
    );

    let paid_session = s.stripe.complete_session(&session);
    let (_, status) = s
        .webhook("checkout.session.completed", paid_session, Some(&s.account))
        .await;
    assert_eq!(status, 200);
    let invoice = s.until_status(&id, "paid").await;
    assert_eq!(invoice["balance_due_minor"], 0);
    assert_eq!(invoice["payments"][0]["method"], "card_online");
    assert_eq!(invoice["payments"][0]["amount_minor"], 25_200);
    assert_eq!(s.outbox("payment_receipt").await.len(), 1, "a receipt");
    let page = customer
        .get(&s.pay_page(&id))
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("Paid. Thank you!"), "{page}");
}

#[tokio::test]
async fn forged_stale_replayed_and_reordered_webhooks_change_nothing_twice() {
    let s = shop("EUR").await;
    let invoice = s.issued(&[("Service", "100.00", "1")]).await;
    let id = id_of(&invoice);
    let customer = s.app.client();
    let session = s.start_card_payment(&customer, &id).await;
    let paid = s.stripe.complete_session(&session);
    let payload = s
        .stripe
        .event("checkout.session.completed", paid.clone(), Some(&s.account));
    let origin = &s.app.origin;

    // A forged signature, no signature, a stale one: 400, nothing stored.
    let forged = sign(&payload, "whsec_not_ours", chrono::Utc::now().timestamp());
    assert_eq!(s.stripe.deliver(origin, &payload, Some(&forged)).await, 400);
    assert_eq!(s.stripe.deliver(origin, &payload, None).await, 400);
    let stale = sign(
        &payload,
        WEBHOOK_SECRET,
        chrono::Utc::now().timestamp() - 301,
    );
    assert_eq!(s.stripe.deliver(origin, &payload, Some(&stale)).await, 400);
    let tampered = payload.replace("\"paid\"", "\"unpaid\"");
    let good_for_original = sign(&payload, WEBHOOK_SECRET, chrono::Utc::now().timestamp());
    assert_eq!(
        s.stripe
            .deliver(origin, &tampered, Some(&good_for_original))
            .await,
        400,
        "the signature covers the raw body"
    );
    let event_id = serde_json::from_str::<Value>(&payload).expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(
        s.app
            .state()
            .store
            .stripe_event(&event_id)
            .await
            .expect("read")
            .is_none(),
        "nothing written"
    );
    s.drain().await;
    assert_eq!(s.invoice(&id).await["status"], "issued");

    // A test event at this test-mode deployment is fine; a live one is refused.
    let live = payload.replace("\"livemode\":false", "\"livemode\":true");
    let signed = sign(&live, WEBHOOK_SECRET, chrono::Utc::now().timestamp());
    assert_eq!(s.stripe.deliver(origin, &live, Some(&signed)).await, 400);

    // The same event three times, one signed with the secret being rotated out: one payment.
    let now = chrono::Utc::now().timestamp();
    for secret in [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET, WEBHOOK_SECRET] {
        let header = format!(
            "{},{}",
            sign(&payload, "whsec_other_endpoint", now),
            sign(&payload, secret, now).split(',').nth(1).expect("v1")
        );
        assert_eq!(s.stripe.deliver(origin, &payload, Some(&header)).await, 200);
    }
    // Events in reverse order: an old "expired" for the same session after it was paid.
    let mut old = paid.clone();
    old["status"] = json!("expired");
    old["payment_status"] = json!("unpaid");
    s.webhook("checkout.session.expired", old, Some(&s.account))
        .await;
    s.drain().await;
    let invoice = s.until_status(&id, "paid").await;
    assert_eq!(
        invoice["payments"].as_array().map(Vec::len),
        Some(1),
        "{invoice}"
    );
    assert_eq!(s.outbox("payment_receipt").await.len(), 1, "one receipt");
    // Worked once and marked done (the background worker may still be finishing it).
    let mut processed = false;
    for _ in 0..100 {
        let stored = s
            .app
            .state()
            .store
            .stripe_event(&event_id)
            .await
            .expect("read")
            .expect("kept");
        if stored.processed_at.is_some() {
            processed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(processed, "the event is marked processed");
}

#[tokio::test]
async fn cash_then_card_for_the_rest_and_a_payment_for_a_paid_invoice_is_given_back() {
    let s = shop("EUR").await;
    let invoice = s.issued(&[("Tyres", "100.00", "4")]).await;
    let id = id_of(&invoice);
    assert_eq!(invoice["total_minor"], 48_000);
    // More than is due is refused with the amount due.
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/invoices/{id}/payments"),
            Some(json!({"method": "cash", "amount": "480.01"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("480.00"), "{problem}");
    let part = s
        .ok(
            Method::POST,
            &format!("/invoices/{id}/payments"),
            json!({"method": "cash", "amount": "80.00"}),
        )
        .await;
    assert_eq!(part["status"], "partly_paid");
    assert_eq!(part["balance_due_minor"], 40_000);
    assert!(
        part["payments"][0]["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("RCT-")),
        "a numbered receipt"
    );
    let receipt = s
        .owner
        .get(&format!(
            "/t/{}/portal/invoices/{id}/payments/{}",
            s.tenant.slug,
            part["payments"][0]["id"].as_str().expect("payment")
        ))
        .await
        .text()
        .await
        .expect("receipt page");
    assert!(
        receipt.contains("80.00 EUR") && receipt.contains("400.00 EUR"),
        "the receipt shows the amount and the balance: {receipt}"
    );
    // The rest by card.
    let customer = s.app.client();
    let session = s.start_card_payment(&customer, &id).await;
    assert_eq!(
        s.stripe.session(&session).expect("session")["amount_total"],
        40_000
    );
    let paid = s.stripe.complete_session(&session);
    s.webhook("checkout.session.completed", paid, Some(&s.account))
        .await;
    let invoice = s.until_status(&id, "paid").await;
    assert_eq!(invoice["balance_due_minor"], 0);
    assert_eq!(invoice["paid_minor"], 48_000);

    // A second invoice: the customer opens Checkout, then pays cash at the counter, then
    // finishes paying on Stripe's page anyway. The card money goes straight back.
    let second = s.issued(&[("Alignment", "50.00", "1")]).await;
    let second_id = id_of(&second);
    let session = s.start_card_payment(&customer, &second_id).await;
    s.ok(
        Method::POST,
        &format!("/invoices/{second_id}/payments"),
        json!({"method": "card_terminal", "amount": "60.00", "reference": "slip 7"}),
    )
    .await;
    assert_eq!(s.invoice(&second_id).await["status"], "paid");
    let paid = s.stripe.complete_session(&session);
    s.webhook("checkout.session.completed", paid, Some(&s.account))
        .await;
    let mut invoice = s.invoice(&second_id).await;
    for _ in 0..200 {
        if invoice["refunded_minor"] == 6_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        invoice = s.invoice(&second_id).await;
    }
    assert_eq!(
        invoice["paid_minor"], 12_000,
        "both payments are recorded: {invoice}"
    );
    assert_eq!(
        invoice["refunded_minor"], 6_000,
        "the card payment is given back"
    );
    assert_eq!(invoice["balance_due_minor"], 0);
    assert_eq!(invoice["status"], "paid");
    let refund = s
        .stripe
        .calls_to("POST", "/v1/refunds")
        .pop()
        .expect("a refund");
    assert_eq!(refund.field("amount"), Some("6000"));
    assert_eq!(refund.account.as_deref(), Some(s.account.as_str()));
    assert!(
        refund
            .idempotency_key
            .as_deref()
            .is_some_and(|k| k.starts_with("overpaid:"))
    );
}

#[tokio::test]
async fn staff_refund_part_of_a_card_payment_through_stripe() {
    let s = shop("EUR").await;
    let invoice = s.issued(&[("Battery", "150.00", "1")]).await;
    let id = id_of(&invoice);
    let customer = s.app.client();
    let session = s.start_card_payment(&customer, &id).await;
    let paid = s.stripe.complete_session(&session);
    s.webhook("checkout.session.completed", paid.clone(), Some(&s.account))
        .await;
    let invoice = s.until_status(&id, "paid").await;
    let payment = invoice["payments"][0]["id"]
        .as_str()
        .expect("payment")
        .to_owned();

    // A mechanic may not refund; a reason is required; more than was paid is refused.
    let (email, password) = s
        .app
        .member(&s.tenant, pitlane_domain::permissions::Role::Mechanic)
        .await;
    let mechanic = s.app.client();
    mechanic.sign_in_as(&s.tenant, &email, &password).await;
    let (status, _) = mechanic
        .call(
            Method::POST,
            &format!("{}/invoices/{id}/payments/{payment}/refunds", s.base),
            Some(json!({"amount": "10.00", "reason": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let path = format!("/invoices/{id}/payments/{payment}/refunds");
    let (status, problem) = s
        .call(
            Method::POST,
            &path,
            Some(json!({"amount": "10.00", "reason": " "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = s
        .call(
            Method::POST,
            &path,
            Some(json!({"amount": "180.01", "reason": "too much"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Stripe down: the refund is not recorded and staff are told to try again.
    s.stripe.fail_next(4, 503);
    let (status, problem) = s
        .call(
            Method::POST,
            &path,
            Some(json!({"amount": "30.00", "reason": "Old battery returned"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem.to_string().contains("temporarily unavailable"),
        "{problem}"
    );
    assert_eq!(s.invoice(&id).await["refunded_minor"], 0, "nothing changed");

    // Stripe answers 500 once, then 200: one refund, the same key on both tries.
    s.stripe.fail_next(1, 500);
    let before = s.stripe.calls_to("POST", "/v1/refunds").len();
    let refunded = s
        .ok(
            Method::POST,
            &path,
            json!({"amount": "30.00", "reason": "Old battery returned"}),
        )
        .await;
    let calls = s.stripe.calls_to("POST", "/v1/refunds");
    let tries = &calls[before..];
    assert_eq!(tries.len(), 2, "a retry after the 500");
    assert_eq!(tries[0].idempotency_key, tries[1].idempotency_key);
    assert_eq!(tries[1].account.as_deref(), Some(s.account.as_str()));
    assert_eq!(tries[1].field("amount"), Some("3000"));
    assert_eq!(refunded["refunded_minor"], 3_000);
    assert_eq!(
        refunded["credited_minor"], 3_000,
        "with a credit note by default"
    );
    assert_eq!(refunded["status"], "paid", "the invoice stays settled");
    assert_eq!(refunded["credit_notes"][0]["total_minor"], 3_000);
    assert_eq!(
        s.outbox("refund_issued").await.len(),
        1,
        "the customer is told"
    );

    // Stripe's charge.refunded for our own refund records nothing new; one made in Stripe's
    // dashboard is recorded.
    let intent = paid["payment_intent"].as_str().expect("intent").to_owned();
    s.webhook(
        "charge.refunded",
        s.stripe.charge(&intent, 18_000),
        Some(&s.account),
    )
    .await;
    s.stripe.refund_in_dashboard(&s.account, &intent, 1_000);
    s.webhook(
        "charge.refunded",
        s.stripe.charge(&intent, 18_000),
        Some(&s.account),
    )
    .await;
    s.drain().await;
    let mut invoice = s.invoice(&id).await;
    for _ in 0..100 {
        if invoice["refunded_minor"] == 4_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        invoice = s.invoice(&id).await;
    }
    assert_eq!(invoice["refunded_minor"], 4_000, "{invoice}");
    assert_eq!(invoice["refunds"].as_array().map(Vec::len), Some(2));
    // The dashboard refund had no credit note: 10.00 is owed again.
    assert_eq!(invoice["balance_due_minor"], 1_000);
    assert_eq!(invoice["status"], "partly_paid");
    // Every refund is in the audit log with its reason.
    let audit = s.get("/audit?action=payment.refund").await;
    assert!(
        audit.to_string().contains("Old battery returned"),
        "{audit}"
    );
}

#[tokio::test]
async fn zero_and_three_decimal_currencies_are_charged_in_their_own_units() {
    let yen = shop("JPY").await;
    let invoice = yen.issued(&[("Oil change", "4980", "1")]).await;
    assert_eq!(invoice["total_minor"], 5_976, "4980 + 20 % = 5976 yen");
    let id = id_of(&invoice);
    let session = yen.start_card_payment(&yen.app.client(), &id).await;
    let call = yen
        .stripe
        .calls_to("POST", "/v1/checkout/sessions")
        .pop()
        .expect("call");
    assert_eq!(
        call.field("line_items[0][price_data][currency]"),
        Some("jpy")
    );
    assert_eq!(
        call.field("line_items[0][price_data][unit_amount]"),
        Some("5976")
    );
    let paid = yen.stripe.complete_session(&session);
    yen.webhook("checkout.session.completed", paid, Some(&yen.account))
        .await;
    yen.until_status(&id, "paid").await;
    let (status, problem) = yen
        .call(
            Method::POST,
            &format!("/invoices/{id}/credit-notes"),
            Some(json!({"reason": "x", "amount": "1.5"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "yen has no decimals: {problem}"
    );

    let dinar = shop("BHD").await;
    // 12.345 BHD + 20 % = 14.814 BHD; cards are charged in tens of fils: 14.810.
    let invoice = dinar.issued(&[("Wiper blades", "12.345", "1")]).await;
    assert_eq!(invoice["total_minor"], 14_814);
    let id = id_of(&invoice);
    let session = dinar.start_card_payment(&dinar.app.client(), &id).await;
    let call = dinar
        .stripe
        .calls_to("POST", "/v1/checkout/sessions")
        .pop()
        .expect("call");
    assert_eq!(
        call.field("line_items[0][price_data][unit_amount]"),
        Some("14810")
    );
    let paid = dinar.stripe.complete_session(&session);
    dinar
        .webhook("checkout.session.completed", paid, Some(&dinar.account))
        .await;
    let invoice = dinar.until_status(&id, "paid").await;
    let methods: Vec<&str> = invoice["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .filter_map(|p| p["method"].as_str())
        .collect();
    assert_eq!(
        methods,
        ["card_online", "rounding"],
        "4 fils written off: {invoice}"
    );
    assert_eq!(invoice["balance_due_minor"], 0);
}

#[tokio::test]
async fn invoices_issued_at_once_get_numbers_without_gaps_and_are_never_edited() {
    let s = shop("EUR").await;
    let mut drafts = Vec::new();
    for i in 0..10 {
        let draft = s
            .ok(
                Method::POST,
                "/invoices",
                json!({"branch_id": s.branch, "customer_id": s.customer}),
            )
            .await;
        let id = id_of(&draft);
        s.ok(
            Method::POST,
            &format!("/invoices/{id}/lines"),
            json!({"kind": "fee", "description": format!("Fee {i}"), "unit_price": "10.00"}),
        )
        .await;
        drafts.push(id);
    }
    // One draft has nothing on it: it fails to issue, and hands no number out.
    let empty = id_of(
        &s.ok(
            Method::POST,
            "/invoices",
            json!({"branch_id": s.branch, "customer_id": s.customer}),
        )
        .await,
    );
    let mut calls = Vec::new();
    for id in drafts.iter().chain([&empty]) {
        let client = &s.owner;
        let path = format!("{}/invoices/{id}/issue", s.base);
        calls.push(async move { client.call(Method::POST, &path, Some(json!({}))).await });
    }
    let answers = futures_util::future::join_all(calls).await;
    let mut numbers: Vec<String> = answers
        .iter()
        .filter(|(status, _)| status.is_success())
        .map(|(_, json)| json["number"].as_str().expect("number").to_owned())
        .collect();
    assert_eq!(numbers.len(), 10);
    assert_eq!(
        answers.last().expect("empty").0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    numbers.sort();
    let year = chrono::Utc::now().format("%Y").to_string();
    let expected: Vec<String> = (1..=10).map(|n| format!("INV-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);

    // An issued invoice is never edited: its lines are refused, a credit note corrects it.
    let issued = &drafts[0];
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/invoices/{issued}/lines"),
            Some(json!({"kind": "fee", "description": "late fee", "unit_price": "1.00"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem.to_string().contains("credit note"), "{problem}");
    let credited = s
        .ok(
            Method::POST,
            &format!("/invoices/{issued}/credit-notes"),
            json!({"reason": "Fee waived", "amount": "12.00"}),
        )
        .await;
    assert_eq!(
        credited["credit_notes"][0]["number"],
        format!("CN-{year}-000001")
    );
    assert_eq!(credited["balance_due_minor"], 0);
    assert_eq!(credited["status"], "paid", "nothing is owed");
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/invoices/{issued}/credit-notes"),
            Some(json!({"reason": "again", "amount": "0.01"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no more than the invoice"
    );
    // Void: not once money moved or was credited; yes while untouched.
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/invoices/{issued}/void"),
            Some(json!({"reason": "oops"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let voided = s
        .ok(
            Method::POST,
            &format!("/invoices/{}/void", drafts[1]),
            json!({"reason": "Raised twice"}),
        )
        .await;
    assert_eq!(voided["status"], "void");
    // A discount larger than what it discounts is refused with a readable message.
    let (status, problem) = s
        .call(
            Method::POST,
            &format!("/invoices/{empty}/lines"),
            Some(json!({"kind": "discount", "description": "Too generous", "unit_price": "5.00"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // The PDF is a PDF, with the number.
    let path = format!("{}/invoices/{issued}/pdf", s.base);
    let pdf = pitlane_testkit::checked("GET", &path, s.owner.get(&path).await).await;
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));

    // The customer's export holds their invoices; erasing them keeps the invoices (numbers
    // and amounts, for the tax authorities) without whom they were for.
    let export = s.get(&format!("/customers/{}/export", s.customer)).await;
    assert_eq!(
        export["invoices"].as_array().map(Vec::len),
        Some(11),
        "{export}"
    );
    let number = s.invoice(issued).await["number"].clone();
    let (status, _) = s
        .call(Method::DELETE, &format!("/customers/{}", s.customer), None)
        .await;
    assert!(status.is_success());
    let erased = s.invoice(issued).await;
    assert_eq!(erased["customer_name"], "Erased customer");
    assert_eq!(erased["number"], number);
    assert_eq!(erased["total_minor"], 1_200);
}

#[tokio::test]
async fn stripe_down_at_checkout_tells_the_customer_and_changes_nothing() {
    let s = shop("EUR").await;
    let invoice = s.issued(&[("Service", "99.00", "1")]).await;
    let id = id_of(&invoice);
    s.stripe.fail_next(4, 502);
    let page = s.pay_page(&id);
    let customer = s.app.client();
    let response = s.press_pay(&customer, &id).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the page, with the reason"
    );
    let text = response.text().await.expect("page");
    assert!(
        text.contains("card payment is temporarily unavailable, please try again"),
        "{text}"
    );
    assert_eq!(s.invoice(&id).await["status"], "issued");
    // 500 then 200 on the next try: one session, one key.
    s.stripe.fail_next(1, 500);
    let before = s.stripe.calls_to("POST", "/v1/checkout/sessions").len();
    s.start_card_payment(&customer, &id).await;
    let tries = s.stripe.calls_to("POST", "/v1/checkout/sessions");
    let tries = &tries[before..];
    assert_eq!(tries.len(), 2);
    assert_eq!(tries[0].idempotency_key, tries[1].idempotency_key);

    // The customer leaves Stripe's page until the session lapses: back on the workshop's
    // page they are told it did not go through, and can try again.
    let (account, session) = s.stripe.last_session().expect("a session");
    let lapsed = s.stripe.expire_session(session["id"].as_str().expect("id"));
    s.webhook("checkout.session.expired", lapsed, account.as_deref())
        .await;
    s.drain().await;
    let mut back = String::new();
    for _ in 0..100 {
        back = customer
            .get(&page.replace("/invoice?", "/invoice/paid?"))
            .await
            .text()
            .await
            .expect("page");
        if back.contains("did not go through") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back.contains("did not go through"), "{back}");
    assert!(back.contains("data-pay"), "the button is offered again");
    assert_eq!(s.invoice(&id).await["status"], "issued");
}

#[tokio::test]
async fn plan_events_move_the_workshop_through_dunning_whatever_their_order() {
    let s = shop("EUR").await;
    let chosen = s
        .ok(
            Method::POST,
            "/billing/plan-checkout",
            json!({"plan": "growth"}),
        )
        .await;
    assert!(
        chosen["url"]
            .as_str()
            .is_some_and(|u| u.contains("/checkout/"))
    );
    let call = s
        .stripe
        .calls_to("POST", "/v1/checkout/sessions")
        .pop()
        .expect("call");
    assert_eq!(call.field("mode"), Some("subscription"));
    assert_eq!(call.field("line_items[0][price]"), Some(PRICE_GROWTH));
    assert_eq!(
        call.field("line_items[0][quantity]"),
        Some("1"),
        "priced per branch"
    );
    assert_eq!(call.account, None, "on the platform's account");
    let customer = call.field("customer").expect("customer").to_owned();

    let sub = s.stripe.set_subscription(&customer, "active", PRICE_GROWTH);
    let sub_id = sub["id"].as_str().expect("id").to_owned();
    // Out of order: Stripe says past_due now; an older "created" (active) arrives after.
    s.stripe.update_subscription(&sub_id, "past_due");
    let past_due = s.stripe.update_subscription(&sub_id, "past_due");
    s.webhook("customer.subscription.updated", past_due, None)
        .await;
    s.webhook("customer.subscription.created", sub, None).await;
    s.drain().await;
    let mut billing = s.get("/billing").await;
    for _ in 0..100 {
        if billing["billing_status"] == "past_due" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        billing = s.get("/billing").await;
    }
    assert_eq!(billing["plan"], "growth");
    assert_eq!(billing["billing_status"], "past_due", "{billing}");
    assert_eq!(billing["can_change"], true, "within the grace period");
    assert!(
        billing["banner"]
            .as_str()
            .is_some_and(|b| b.contains("failed")),
        "{billing}"
    );
    let (_, notes) = s.call(Method::GET, "/notifications", None).await;
    assert!(
        notes.to_string().contains("Payment for your plan failed"),
        "{notes}"
    );

    let active = s.stripe.update_subscription(&sub_id, "active");
    s.webhook("customer.subscription.updated", active, None)
        .await;
    s.drain().await;
    for _ in 0..100 {
        if s.get("/billing").await["billing_status"] == "active" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let billing = s.get("/billing").await;
    assert_eq!(billing["billing_status"], "active");
    assert!(billing["banner"].is_null(), "{billing}");

    // A smaller plan's limits are enforced with a clear message, and the owners are told.
    let starter = s.stripe.change_price(&sub_id, PRICE_STARTER);
    s.webhook("customer.subscription.updated", starter, None)
        .await;
    s.drain().await;
    for _ in 0..100 {
        if s.get("/billing").await["plan"] == "starter" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, problem) = s
        .call(
            Method::POST,
            "/branches",
            Some(json!({"name": "Harbour", "time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("Starter plan allows 1 branches"),
        "{problem}"
    );
    let (_, notes) = s.call(Method::GET, "/notifications", None).await;
    assert!(notes.to_string().contains("limit of branches"), "{notes}");

    // Past due beyond the grace period: read-only. Reading and the plan still work.
    let store = &s.app.state().store;
    let tx = store.tx(&TenantCtx::new(s.tenant.id)).await.expect("tx");
    let row = tx
        .get::<tenant::Entity>(s.tenant.id.0)
        .await
        .expect("tenant");
    let mut active = row.into_active_model();
    active.billing_status = Set("past_due".into());
    active.past_due_since = Set(Some(chrono::Utc::now() - chrono::Duration::days(8)));
    tx.update(active).await.expect("past due");
    tx.commit().await.expect("commit");
    s.app.state().tenants.invalidate(s.tenant.id);
    let (status, problem) = s
        .call(
            Method::POST,
            "/customers",
            Some(json!({"name": "Late Larry"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(problem.to_string().contains("read-only"), "{problem}");
    assert_eq!(
        s.call(Method::GET, "/customers", None).await.0,
        StatusCode::OK
    );
    assert_eq!(s.get("/billing").await["can_change"], false);
}

#[tokio::test]
async fn invoice_settings_and_tax_rates_are_set_from_the_portal_and_used_on_invoices() {
    let s = shop("EUR").await;
    let page = format!("/t/{}/portal/settings/payments", s.tenant.slug);
    // A rate that is not a percentage comes back with the reason, nothing saved.
    let refused = s
        .owner
        .submit(
            &page,
            &format!("{page}/tax-rates"),
            &[
                ("branch_id", &s.branch),
                ("name", "Reduced"),
                ("rate", "five"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        s.get("/tax-rates").await["items"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let saved = s
        .owner
        .submit(
            &page,
            &format!("{page}/tax-rates"),
            &[("branch_id", &s.branch), ("name", "Reduced"), ("rate", "5")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let rate = s.get("/tax-rates").await["items"][0].clone();
    assert_eq!(rate["rate_bp"], 500);
    let saved = s
        .owner
        .submit(
            &page,
            &format!("{page}/invoices"),
            &[
                ("prices_include_tax", "yes"),
                ("due_days", "30"),
                ("footer", "IBAN DE00 1234"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    // Tax-inclusive now: 105.00 at the reduced rate holds 5.00 of tax; 120.00 at 20 % 20.00.
    let draft = s
        .ok(
            Method::POST,
            "/invoices",
            json!({"branch_id": s.branch, "customer_id": s.customer}),
        )
        .await;
    let id = id_of(&draft);
    s.ok(
        Method::POST,
        &format!("/invoices/{id}/lines"),
        json!({"kind": "part", "description": "Child seat", "unit_price": "105.00", "tax_rate_id": rate["id"]}),
    )
    .await;
    s.ok(
        Method::POST,
        &format!("/invoices/{id}/lines"),
        json!({"kind": "labour", "description": "Fitting", "unit_price": "120.00"}),
    )
    .await;
    let issued = s
        .ok(Method::POST, &format!("/invoices/{id}/issue"), json!({}))
        .await;
    assert_eq!(issued["prices_include_tax"], true);
    assert_eq!(issued["total_minor"], 22_500);
    assert_eq!(issued["tax_minor"], 2_500);
    assert_eq!(
        issued["tax_groups"],
        json!([{"rate_bp": 500, "net_minor": 10_000, "tax_minor": 500},
               {"rate_bp": 2000, "net_minor": 10_000, "tax_minor": 2_000}])
    );
    let issued_at = chrono::DateTime::parse_from_rfc3339(issued["issued_at"].as_str().expect("at"))
        .expect("time");
    let due_at =
        chrono::DateTime::parse_from_rfc3339(issued["due_at"].as_str().expect("at")).expect("time");
    assert_eq!((due_at - issued_at).num_days(), 30);
    // The staff page and the customer's page show the same figures.
    let staff_page = s
        .owner
        .get(&format!("/t/{}/portal/invoices/{id}", s.tenant.slug))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        staff_page.contains("225.00 EUR") && staff_page.contains("Tax 5%"),
        "{staff_page}"
    );
    let customer_page = s
        .app
        .client()
        .get(&s.pay_page(&id))
        .await
        .text()
        .await
        .expect("page");
    assert!(customer_page.contains("225.00 EUR"), "{customer_page}");
}
