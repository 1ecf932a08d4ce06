//! The front desk through the API, on PostgreSQL: customers (validation, search, consent,
//! notes, merge, export, erasure), vehicles (VIN, mileage, owners), the catalogue, free slots,
//! bookings with their messages and calendar files, and the race for one slot.

use chrono::{DateTime, Duration, Utc};
use pitlane_domain::permissions::Role;
use pitlane_store::{
    TenantCtx,
    entity::outbox,
    sea_orm::{ColumnTrait, QueryFilter, QueryOrder},
};
use pitlane_testkit::{Client, TenantFixture, TestApp, weekday_at_ten};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn errors_of(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

struct Desk {
    app: TestApp,
    tenant: TenantFixture,
    owner: Client,
    base: String,
    branch: String,
    service: String,
}

/// A tenant with a lift, a mechanic and a one-hour service bookable online.
async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("desk").await;
    app.member(&tenant, Role::Mechanic).await;
    let owner = app.client();
    owner.sign_in(&tenant).await;
    let base = format!("/t/{}/api/v1", tenant.slug);
    let branch = owner.first_branch(&base).await;
    let service = owner.bookable_service(&base, &branch).await;
    Desk {
        service: service["id"].as_str().expect("id").to_owned(),
        app,
        tenant,
        owner,
        base,
        branch,
    }
}

async fn customer(d: &Desk, name: &str, email: &str, phone: &str) -> Value {
    let (status, c) = d
        .owner
        .call(
            Method::POST,
            &format!("{}/customers", d.base),
            Some(json!({"name": name, "email": email, "phone": phone})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

/// The names of a customer list, every page of it, following its cursors.
async fn customer_names(d: &Desk, list: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut url = list.to_owned();
    loop {
        let (status, page) = d.owner.call(Method::GET, &url, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().expect("items") {
            seen.push(item["name"].as_str().expect("name").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{list}&cursor={cursor}"),
            None => return seen,
        }
    }
}

async fn messages_of(d: &Desk, kind: &str) -> Vec<outbox::Model> {
    let store = &d.app.state().store;
    let tx = store.tx(&TenantCtx::new(d.tenant.id)).await.expect("tx");
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

fn attachment(row: &outbox::Model) -> String {
    use base64::Engine;
    let content = row.data["attachments"][0]["content"]
        .as_str()
        .expect("an attachment");
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .expect("base64"),
    )
    .expect("utf-8")
}

#[tokio::test]
async fn customers_are_validated_searched_merged_exported_and_erased() {
    let d = desk().await;
    let base = &d.base;
    let (status, problem) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/customers"),
            Some(json!({"name": " ", "email": "not-an-address", "phone": "12"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(errors_of(&problem), ["name", "email", "phone"]);
    let (_, none) = d
        .owner
        .call(Method::GET, &format!("{base}/customers"), None)
        .await;
    assert_eq!(
        none["items"].as_array().map(Vec::len),
        Some(0),
        "nothing saved"
    );

    let anna = customer(&d, "Anna Müller", "Anna@Example.com", "+49 151 12345678").await;
    assert_eq!(anna["email"], "anna@example.com");
    assert_eq!(anna["phone"], "+4915112345678");
    let anna_id = anna["id"].as_str().expect("id");
    let (status, car) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/vehicles"),
            Some(
                json!({"customer_id": anna_id, "plate": "hh ab 1234", "vin": "1HGCM82633A004352"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{car}");
    assert_eq!(car["make"], "Honda", "decoded from the VIN");
    assert_eq!(car["year"], 2003);
    for fragment in [
        "müll",
        "0151 1234",
        "+49151",
        "HH AB",
        "hhab12",
        "1hgcm8",
        "anna@ex",
    ] {
        let (status, found) = d
            .owner
            .call(
                Method::GET,
                &format!("{base}/customers?q={}", urlencode(fragment)),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            found["items"][0]["id"], anna["id"],
            "search by {fragment:?}: {found}"
        );
    }
    let (_, found) = d
        .owner
        .call(Method::GET, &format!("{base}/customers?q=50%25_x"), None)
        .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0));

    // Sorting and cursors page through everyone exactly once.
    for n in 0..5 {
        customer(&d, &format!("Zed {n}"), &format!("zed{n}@example.com"), "").await;
    }
    assert_eq!(
        customer_names(&d, &format!("{base}/customers?sort=-name&limit=2")).await,
        ["Zed 4", "Zed 3", "Zed 2", "Zed 1", "Zed 0", "Anna Müller"]
    );
    // A search pages through its matches the same way, in every order.
    let ascending = ["Zed 0", "Zed 1", "Zed 2", "Zed 3", "Zed 4"];
    let descending: Vec<_> = ascending.iter().rev().copied().collect();
    for (sort, expected) in [
        ("name", ascending.to_vec()),
        ("-name", descending.clone()),
        ("created", ascending.to_vec()),
        ("-created", descending),
    ] {
        let list = format!("{base}/customers?q=ZED&sort={sort}&limit=2");
        assert_eq!(
            customer_names(&d, &list).await,
            expected,
            "searched in the order {sort}"
        );
    }
    let (status, problem) = d
        .owner
        .call(Method::GET, &format!("{base}/customers?sort=age"), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // Consent needs a how; each kind keeps when and how.
    let (status, problem) = d
        .owner
        .call(
            Method::PUT,
            &format!("{base}/customers/{anna_id}/consent"),
            Some(json!({"sms": true})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, with_consent) = d
        .owner
        .call(
            Method::PUT,
            &format!("{base}/customers/{anna_id}/consent"),
            Some(json!({"sms": true, "marketing": true, "source": "signed at the desk"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{with_consent}");
    assert_eq!(with_consent["consent"]["sms"]["how"], "signed at the desk");
    assert_eq!(with_consent["consent"]["email"]["given"], false);

    // A duplicate with a note folds into Anna.
    let dup = customer(&d, "A. Mueller", "anna.work@example.com", "").await;
    let dup_id = dup["id"].as_str().expect("id");
    let (status, _) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/customers/{dup_id}/notes"),
            Some(json!({"body": "Second car is a van"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, merged) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/customers/{anna_id}/merge"),
            Some(json!({"duplicate_id": dup_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (status, _) = d
        .owner
        .call(Method::GET, &format!("{base}/customers/{dup_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the duplicate is gone");
    let (_, notes) = d
        .owner
        .call(
            Method::GET,
            &format!("{base}/customers/{anna_id}/notes"),
            None,
        )
        .await;
    assert_eq!(notes["items"][0]["body"], "Second car is a van");

    // A pending appointment, then export and erasure.
    let starts = weekday_at_ten(3);
    let (status, booked) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments"),
            Some(
                json!({"branch_id": d.branch, "service_id": d.service, "customer_id": anna_id,
                        "vehicle_id": car["id"], "starts_at": starts}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let (status, export) = d
        .owner
        .call(
            Method::GET,
            &format!("{base}/customers/{anna_id}/export"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["customer"]["email"], "anna@example.com");
    assert_eq!(export["vehicles"][0]["plate"], "HH AB 1234");
    assert_eq!(export["appointments"][0]["status"], "confirmed");
    assert_eq!(export["notes"][0]["text"], "Second car is a van");

    let (status, erased) = d
        .owner
        .call(Method::DELETE, &format!("{base}/customers/{anna_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["pending_appointments_removed"], 1);
    let (status, _) = d
        .owner
        .call(
            Method::GET,
            &format!("{base}/appointments/{}", booked["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the pending appointment went with her"
    );
    let (_, found) = d
        .owner
        .call(Method::GET, &format!("{base}/customers?q=anna"), None)
        .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0));
    let (_, vehicle) = d
        .owner
        .call(
            Method::GET,
            &format!("{base}/vehicles/{}", car["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert!(vehicle["vehicle"]["customer_id"].is_null(), "{vehicle}");
    assert_eq!(vehicle["owners"][0]["owner_name"], "Erased customer");
    let reminders = messages_of(&d, "appointment_reminder").await;
    assert!(
        !reminders.is_empty(),
        "the booking had scheduled its reminders"
    );
    assert!(
        reminders.iter().all(|r| r.status == "cancelled"),
        "no reminder of an erased customer's appointment stays"
    );
    let (_, audit) = d
        .owner
        .call(Method::GET, &format!("{base}/audit"), None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["customer.exported", "customer.erased", "customer.merged"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    d.app.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn vehicles_check_vins_and_keep_mileage_and_owners() {
    let d = desk().await;
    let base = &d.base;
    let owner_a = customer(&d, "First Owner", "first@example.com", "").await;
    let owner_b = customer(&d, "Second Owner", "second@example.com", "").await;
    for (vin, why) in [
        ("1HGCM82633A00435", "length"),
        ("1HGCM82633A0043I", "I/O/Q"),
        ("1HGCM82643A004352", "check digit"),
    ] {
        let (status, problem) = d
            .owner
            .call(
                Method::POST,
                &format!("{base}/vehicles"),
                Some(json!({"vin": vin, "plate": "B X 1"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {problem}");
        assert_eq!(errors_of(&problem), ["vin"], "{why}");
    }
    let (status, car) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/vehicles"),
            Some(json!({"customer_id": owner_a["id"], "plate": "B X 1", "mileage": 50000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{car}");
    let car_id = car["id"].as_str().expect("id");
    let (status, problem) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/vehicles/{car_id}/mileage"),
            Some(json!({"mileage": 49000})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(errors_of(&problem), ["mileage"]);
    let (status, corrected) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/vehicles/{car_id}/mileage"),
            Some(json!({"mileage": 49000, "correction_reason": "last reading was a typo"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{corrected}");
    assert_eq!(corrected["mileage"], 49000);
    let (status, moved) = d
        .owner
        .call(
            Method::PUT,
            &format!("{base}/vehicles/{car_id}/owner"),
            Some(json!({"customer_id": owner_b["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (_, history) = d
        .owner
        .call(Method::GET, &format!("{base}/vehicles/{car_id}"), None)
        .await;
    let owners = history["owners"].as_array().expect("owners");
    assert_eq!(owners.len(), 2, "{history}");
    assert_eq!(owners[0]["owner_name"], "First Owner");
    assert!(owners[0]["until"].is_string());
    assert!(owners[1]["until"].is_null());
    let readings = history["mileage_readings"].as_array().expect("readings");
    assert_eq!(readings[0]["correction_reason"], "last reading was a typo");
    d.app.stop().await;
}

#[tokio::test]
async fn bookings_respect_hours_closures_and_each_other_and_tell_the_customer() {
    let d = desk().await;
    let base = &d.base;
    let anna = customer(&d, "Anna Booker", "booker@example.com", "+49 151 76543210").await;
    let book = |starts: DateTime<Utc>| {
        json!({"branch_id": d.branch, "service_id": d.service, "customer_id": anna["id"],
               "starts_at": starts})
    };
    let (status, slots) = d
        .owner
        .call(
            Method::GET,
            &format!("{base}/services/{}/free-slots?days=7", d.service),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{slots}");
    assert!(!slots["items"].as_array().expect("slots").is_empty());

    // Bad times are 422 on the field, and nothing is saved.
    let starts = weekday_at_ten(3);
    for (when, why) in [
        (Utc::now() - Duration::days(1), "in the past"),
        (starts + Duration::hours(10), "outside business hours"),
    ] {
        let (status, problem) = d
            .owner
            .call(
                Method::POST,
                &format!("{base}/appointments"),
                Some(book(when)),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {problem}");
        assert_eq!(errors_of(&problem), ["starts_at"], "{why}");
    }
    let holiday = weekday_at_ten(10);
    let (status, _) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/closures"),
            Some(
                json!({"branch_id": d.branch, "starts_on": holiday.date_naive(),
                        "ends_on": holiday.date_naive(), "reason": "Founders' day"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments"),
            Some(book(holiday)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("Founders' day"), "{problem}");

    // One booking; the same time again is 409 with other free times.
    let (status, first) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments"),
            Some(book(starts)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "confirmed");
    let (status, problem) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments"),
            Some(book(starts + Duration::minutes(30))),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let offered = problem["free_slots"]
        .as_array()
        .expect("free slots offered");
    assert!(!offered.is_empty());
    for slot in offered {
        let s: DateTime<Utc> = slot["starts_at"]
            .as_str()
            .expect("start")
            .parse()
            .expect("time");
        assert!(
            s + Duration::hours(1) <= starts || s >= starts + Duration::hours(1),
            "offered {s} overlaps the booking at {starts}"
        );
    }

    // Confirmation with its calendar file; reminders at 24 h and 2 h.
    let id = first["id"].as_str().expect("id");
    let confirmations = messages_of(&d, "booking_confirmation").await;
    let email = confirmations
        .iter()
        .find(|m| m.channel == "email")
        .expect("an e-mail confirmation");
    let ics = attachment(email);
    assert!(ics.contains("METHOD:REQUEST"), "{ics}");
    assert!(ics.contains(&format!("UID:{id}@")), "{ics}");
    assert!(ics.contains("SEQUENCE:0"), "{ics}");
    let reminders = messages_of(&d, "appointment_reminder").await;
    let due: Vec<DateTime<Utc>> = reminders.iter().map(|r| r.not_before).collect();
    assert!(due.contains(&(starts - Duration::hours(24))), "{due:?}");
    assert!(due.contains(&(starts - Duration::hours(2))), "{due:?}");

    // Moving replaces the calendar entry and the reminders.
    let later = starts + Duration::days(1);
    let (status, moved) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments/{id}/move"),
            Some(json!({"starts_at": later})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["sequence"], 1);
    let changed = messages_of(&d, "appointment_changed").await;
    let ics = attachment(
        changed
            .iter()
            .find(|m| m.channel == "email")
            .expect("e-mail"),
    );
    assert!(
        ics.contains("SEQUENCE:1") && ics.contains(&format!("UID:{id}@")),
        "{ics}"
    );
    let reminders = messages_of(&d, "appointment_reminder").await;
    let pending: Vec<DateTime<Utc>> = reminders
        .iter()
        .filter(|r| r.status == "pending")
        .map(|r| r.not_before)
        .collect();
    assert_eq!(
        pending.len(),
        2,
        "only the new time's reminders are pending: {pending:?}"
    );
    assert!(pending.contains(&(later - Duration::hours(24))));

    // An impossible change of state is 422 naming the allowed ones; cancelling withdraws all.
    let (status, problem) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments/{id}/status"),
            Some(json!({"status": "converted"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, cancelled) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments/{id}/status"),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let cancel = messages_of(&d, "appointment_cancelled").await;
    let ics = attachment(
        cancel
            .iter()
            .find(|m| m.channel == "email")
            .expect("e-mail"),
    );
    assert!(
        ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED"),
        "{ics}"
    );
    let reminders = messages_of(&d, "appointment_reminder").await;
    assert_eq!(reminders.len(), 4, "two for each time the appointment held");
    assert!(
        reminders.iter().all(|r| r.status == "cancelled"),
        "never a reminder for a cancelled appointment"
    );
    let (_, detail) = d
        .owner
        .call(Method::GET, &format!("{base}/appointments/{id}"), None)
        .await;
    let history: Vec<&str> = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(history, ["confirmed", "confirmed", "cancelled"], "{detail}");
    // The freed time can be booked again.
    let (status, again) = d
        .owner
        .call(
            Method::POST,
            &format!("{base}/appointments"),
            Some(book(later)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    d.app.stop().await;
}

#[tokio::test]
async fn fifty_simultaneous_bookings_of_one_slot_leave_exactly_one() {
    let d = desk().await;
    let anna = customer(&d, "Racer", "racer@example.com", "").await;
    let starts = weekday_at_ten(5);
    let path = format!("{}/appointments", d.base);
    let url = d.owner.url(&path);
    let body = json!({"branch_id": d.branch, "service_id": d.service, "customer_id": anna["id"],
                      "starts_at": starts});
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let http = d.owner.http.clone();
        let (url, path, body, barrier) = (url.clone(), path.clone(), body.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let response = http.post(&url).json(&body).send().await.expect("request");
            let answer = pitlane_testkit::checked("POST", &path, response).await;
            (answer.status, answer.body)
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, answer) = task.await.expect("task");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => assert!(answer["free_slots"].is_array(), "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(created, 1, "exactly one of 50 simultaneous bookings wins");
    let (_, list) = d
        .owner
        .call(
            Method::GET,
            &format!("{}/appointments?status=confirmed", d.base),
            None,
        )
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    d.app.stop().await;
}

async fn give_marketing_consent(d: &Desk, id: &str) {
    let (status, body) = d
        .owner
        .call(
            Method::PUT,
            &format!("{}/customers/{id}/consent", d.base),
            Some(json!({"marketing": true, "source": "signed form"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Campaigns go only to customers who agreed to offers; the unsubscribe link in each works at
/// once (consent gone, waiting messages withdrawn) and only on its own workshop's site.
#[tokio::test]
async fn campaigns_reach_consenting_customers_and_unsubscribing_is_immediate() {
    let d = desk().await;
    let other = d.app.tenant("other").await;
    let ann = customer(&d, "Ann Offers", "ann@example.com", "").await;
    let _bob = customer(&d, "Bob Nothanks", "bob@example.com", "").await;
    let (_, cat) = d
        .owner
        .call(
            Method::POST,
            &format!("{}/customers", d.base),
            Some(json!({"name": "Cat Fleet", "email": "cat@example.com", "tags": ["fleet"]})),
        )
        .await;
    let ann_id = ann["id"].as_str().expect("id");
    give_marketing_consent(&d, ann_id).await;
    give_marketing_consent(&d, cat["id"].as_str().expect("id")).await;
    let page = format!("/t/{}/portal/campaigns", d.tenant.slug);

    // Bad input: the form comes back with errors and what was typed.
    let response = d
        .owner
        .submit(
            &page,
            &page,
            &[("action", "send"), ("headline", ""), ("body", "10% off")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.expect("page").contains("10% off"));

    let response = d
        .owner
        .submit(
            &page,
            &page,
            &[("action", "preview"), ("headline", "x"), ("body", "y")],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("2 customers would receive"),
        "only the two who agreed"
    );
    let response = d
        .owner
        .submit(
            &page,
            &page,
            &[
                ("action", "send"),
                ("headline", "Winter tyres"),
                ("body", "10% off fitting."),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "sent, then away from the form"
    );
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let done = d.owner.get(&location).await.text().await.expect("page");
    assert!(done.contains("Sending to 2 customers"), "{location}");
    let sent = messages_of(&d, "newsletter").await;
    let to: Vec<&str> = sent.iter().map(|m| m.recipient.as_str()).collect();
    assert_eq!(to.len(), 2, "{to:?}");
    assert!(!to.contains(&"bob@example.com"), "no consent, no campaign");

    // Ann unsubscribes by her link: her waiting campaign message is withdrawn at once.
    let ann_msg = sent
        .iter()
        .find(|m| m.recipient == "ann@example.com")
        .expect("Ann's message");
    let link = ann_msg.data["vars"]["unsubscribe_link"]
        .as_str()
        .expect("an unsubscribe link")
        .to_owned();
    let path = pitlane_testkit::tenant_path(&link);
    let page_html = d.owner.get(&path).await.text().await.expect("page");
    assert!(
        page_html.contains("Unsubscribe"),
        "a button, not a GET side effect"
    );
    // The same token on another workshop's site finds nobody.
    let foreign = path.replace(
        &format!("/t/{}/", d.tenant.slug),
        &format!("/t/{}/", other.slug),
    );
    let response = reqwest::Client::new()
        .post(d.owner.url(&foreign))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // One-click, as mail programs post it: no form token needed.
    let response = reqwest::Client::new()
        .post(d.owner.url(&path))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::OK);
    let after = messages_of(&d, "newsletter").await;
    let ann_after = after.iter().find(|m| m.id == ann_msg.id).expect("row");
    assert_eq!(ann_after.status, "cancelled", "withdrawn at once");
    let (_, ann_now) = d
        .owner
        .call(Method::GET, &format!("{}/customers/{ann_id}", d.base), None)
        .await;
    assert_eq!(ann_now["consent"]["marketing"]["given"], false);
    assert!(ann_now["consent"]["marketing_unsubscribed_at"].is_string());

    // A tag narrows the segment; Ann is out for good.
    let response = d
        .owner
        .submit(&page, &page, &[("action", "preview"), ("tag", "fleet")])
        .await;
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("1 customers would receive")
    );
    let response = d.owner.submit(&page, &page, &[("action", "preview")]).await;
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("1 customers would receive")
    );
    // "Not seen for 30 days" leaves out Cat once she has a visit booked.
    let lapsed = [("action", "preview"), ("inactive_days", "30")];
    let text = d
        .owner
        .submit(&page, &page, &lapsed)
        .await
        .text()
        .await
        .expect("page");
    assert!(
        text.contains("1 customers would receive"),
        "Cat has not been seen"
    );
    let (status, a) = d
        .owner
        .call(
            Method::POST,
            &format!("{}/appointments", d.base),
            Some(json!({"branch_id": d.branch, "service_id": d.service,
                        "customer_id": cat["id"], "starts_at": weekday_at_ten(3)})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let text = d
        .owner
        .submit(&page, &page, &lapsed)
        .await
        .text()
        .await
        .expect("page");
    assert!(
        text.contains("0 customers would receive"),
        "Cat is booked in"
    );
}

/// The maintenance round tells an owner who agreed to reminders, once; owners who did not
/// agree hear nothing.
#[tokio::test]
async fn maintenance_reminders_go_once_to_owners_who_agreed() {
    let d = desk().await;
    let due = (Utc::now() + Duration::days(7)).date_naive().to_string();
    let mut ids = Vec::new();
    for (name, email, plate) in [
        ("Dora Due", "dora@example.com", "DD 1"),
        ("Ed Private", "ed@example.com", "EP 2"),
    ] {
        let c = customer(&d, name, email, "").await;
        let id = c["id"].as_str().expect("id").to_owned();
        let (status, v) = d
            .owner
            .call(
                Method::POST,
                &format!("{}/vehicles", d.base),
                Some(json!({"customer_id": id, "plate": plate, "make": "Skoda", "next_service_on": due})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        ids.push(id);
    }
    give_marketing_consent(&d, &ids[0]).await;
    // One server an hour runs the round.
    assert!(pitlane_app::sweeps::claim_this_hour(d.app.state()).await);
    assert!(!pitlane_app::sweeps::claim_this_hour(d.app.state()).await);
    assert_eq!(
        pitlane_app::sweeps::maintenance_round(d.app.state()).await,
        1
    );
    assert_eq!(
        pitlane_app::sweeps::maintenance_round(d.app.state()).await,
        0,
        "told once"
    );
    let rows = messages_of(&d, "maintenance_due").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, "dora@example.com");
    let vars = &rows[0].data["vars"];
    assert!(vars["link"].as_str().expect("link").ends_with("/book"));
    assert!(vars["unsubscribe_link"].as_str().is_some(), "{vars}");
    assert!(vars["vehicle"].as_str().expect("vehicle").contains("DD 1"));
}

/// Whole-day reminders keep the appointment's wall-clock time across a daylight-saving
/// change; shorter ones count minutes.
#[tokio::test]
async fn day_reminders_keep_local_time_across_daylight_saving_changes() {
    let d = desk().await;
    let (status, body) = d
        .owner
        .call(
            Method::PUT,
            &format!("{}/booking-settings", d.base),
            Some(
                json!({"auto_confirm": true, "cutoff_hours": 24, "reminder_minutes": [2880, 120]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let c = customer(&d, "Dst Driver", "dst@example.com", "").await;
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
    // Monday after the spring change (28 March 2027) and after the autumn one (31 October).
    for (day, expected_two_days, expected_two_hours) in [
        ("2027-03-29", "2027-03-27T09:00:00Z", "2027-03-29T06:00:00Z"),
        ("2027-11-01", "2027-10-30T08:00:00Z", "2027-11-01T07:00:00Z"),
    ] {
        let local = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .expect("date")
            .and_hms_opt(10, 0, 0)
            .expect("time")
            .and_local_timezone(berlin)
            .single()
            .expect("unambiguous")
            .with_timezone(&Utc);
        let (status, a) = d
            .owner
            .call(
                Method::POST,
                &format!("{}/appointments", d.base),
                Some(json!({"branch_id": d.branch, "service_id": d.service,
                            "customer_id": c["id"], "starts_at": local})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        let id = a["id"].as_str().expect("id");
        let reminders: Vec<String> = messages_of(&d, "appointment_reminder")
            .await
            .into_iter()
            .filter(|m| m.idempotency_key.contains(id))
            .map(|m| {
                m.not_before
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
            .collect();
        assert!(
            reminders.contains(&expected_two_days.to_owned()),
            "two days before at 10:00 local: {reminders:?}"
        );
        assert!(
            reminders.contains(&expected_two_hours.to_owned()),
            "two hours before: {reminders:?}"
        );
    }
}

/// The inbox over the API: a customer's SMS threads into their conversation, staff read,
/// assign and reply; the reply goes back by SMS.
#[tokio::test]
async fn sms_replies_thread_into_the_customers_conversation() {
    let sink = pitlane_testkit::SmtpSink::start().await;
    let fake = pitlane_testkit::FakeSms::start().await;
    let app =
        TestApp::spawn_messaging(&pitlane_testkit::MessagingOptions::to(&sink).with_sms(&fake))
            .await;
    fake.call_back_to(&app.origin);
    fake.owns("+447911000555");
    let tenant = app.tenant("alpha").await;
    let workers = app.start_workers("inbox").await;
    let owner = app.client();
    owner.sign_in(&tenant).await;
    let base = "/t/alpha/api/v1";
    let (status, _) = owner
        .call(
            Method::PUT,
            &format!("{base}/workshop/sender"),
            Some(json!({"sms_sender": "+44 7911 000555"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, c) = owner
        .call(
            Method::POST,
            &format!("{base}/customers"),
            Some(json!({"name": "Tess Texter", "phone": "+44 7911 123457"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    owner
        .call(
            Method::PUT,
            &format!("{base}/customers/{}/consent", c["id"].as_str().expect("id")),
            Some(json!({"sms": true, "source": "at the counter"})),
        )
        .await;
    let (status, _) = fake
        .text_in(
            &app.origin,
            &app.origin,
            "+447911123457",
            "+447911000555",
            "Is my car ready?",
        )
        .await;
    assert_eq!(status, 200);
    let (status, inbox) = owner
        .call(Method::GET, &format!("{base}/conversations"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let (_, unread) = owner
        .call(Method::GET, &format!("{base}/conversations/unread"), None)
        .await;
    assert_eq!(unread["unread_conversations"], 1, "{unread}");
    let conv = &inbox["items"][0];
    assert_eq!(conv["customer_name"], "Tess Texter");
    let id = conv["id"].as_str().expect("id");
    let (_, thread) = owner
        .call(Method::GET, &format!("{base}/conversations/{id}"), None)
        .await;
    assert_eq!(thread["messages"][0]["channel"], "sms");
    assert_eq!(thread["messages"][0]["body"], "Is my car ready?");

    // An empty reply is a clear 422; a real one goes out by SMS.
    let (status, problem) = owner
        .call(
            Method::POST,
            &format!("{base}/conversations/{id}/messages"),
            Some(json!({"body": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, reply) = owner
        .call(
            Method::POST,
            &format!("{base}/conversations/{id}/messages"),
            Some(json!({"body": "Ready at four."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let sent = fake.wait_for(1, std::time::Duration::from_secs(20)).await;
    assert!(
        sent.iter()
            .any(|s| s.to == "+447911123457" && s.body.contains("Ready at four")),
        "the reply goes back by SMS"
    );
    let (status, _) = owner
        .call(
            Method::POST,
            &format!("{base}/conversations/{id}/read"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = owner
        .call(
            Method::PUT,
            &format!("{base}/conversations/{id}/assignee"),
            Some(json!({"assigned_to": uuid::Uuid::now_v7()})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (_, unread) = owner
        .call(Method::GET, &format!("{base}/conversations/unread"), None)
        .await;
    assert_eq!(unread["unread_conversations"], 0);
    workers.stop().await;
    app.stop().await;
}

/// The customer's link on the day: past the cut-off it no longer moves or cancels, but it
/// checks in (the keys' place is required; mileage is recorded).
#[tokio::test]
async fn customers_check_themselves_in_on_the_day_by_their_link() {
    let d = desk().await;
    // A branch where it is about noon now and open all day, so "today" has time left.
    let offset = 12 - i64::from(chrono::Timelike::hour(&Utc::now()));
    let zone = match offset {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let all_day: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|day| ((*day).to_owned(), json!([["00:00", "23:59"]])))
        .collect();
    let (status, branch) = d
        .owner
        .call(
            Method::POST,
            &format!("{}/branches", d.base),
            Some(json!({"name": "Noon", "time_zone": zone, "business_hours": all_day})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{branch}");
    let (status, bay) = d
        .owner
        .call(
            Method::POST,
            &format!("{}/bays", d.base),
            Some(json!({"branch_id": branch["id"], "name": "Noon lift", "kind": "lift"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bay}");
    let c = customer(&d, "Ivy Early", "ivy@example.com", "").await;
    let minutes = (Utc::now().timestamp() / 60 / 15 + 3) * 15 * 60;
    let starts_at = DateTime::from_timestamp(minutes, 0).expect("time");
    let (status, a) = d
        .owner
        .call(
            Method::POST,
            &format!("{}/appointments", d.base),
            Some(json!({"branch_id": branch["id"], "service_id": d.service,
                        "customer_id": c["id"], "starts_at": starts_at})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let confirmation = messages_of(&d, "booking_confirmation").await;
    let link = confirmation
        .iter()
        .find(|m| m.recipient == "ivy@example.com")
        .and_then(|m| m.data["vars"]["manage_link"].as_str().map(str::to_owned))
        .expect("the manage link");
    let path = pitlane_testkit::tenant_path(&link);
    let token = path
        .split_once("token=")
        .map(|(_, t)| t.to_owned())
        .expect("token");
    let guest = d.app.client();
    let page = guest.get(&path).await.text().await.expect("page");
    assert!(page.contains("Check in"), "check-in is offered on the day");
    assert!(
        page.contains("Online changes closed"),
        "past the 24-hour cut-off"
    );
    let base = format!("/t/{}/book/manage", d.tenant.slug);
    let response = guest
        .submit(&path, &format!("{base}/cancel"), &[("token", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("please call the workshop")
    );
    let response = guest
        .submit(
            &path,
            &format!("{base}/check-in"),
            &[("token", &token), ("mileage", "12,345")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("where you left the keys"),
        "the keys are asked for"
    );
    assert!(page.contains("12,345"), "what was typed is kept");
    let response = guest
        .submit(
            &path,
            &format!("{base}/check-in"),
            &[
                ("token", &token),
                ("mileage", "12,345"),
                ("key_location", "key box 4"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, after) = d
        .owner
        .call(
            Method::GET,
            &format!("{}/appointments/{}", d.base, a["id"].as_str().expect("id")),
            None,
        )
        .await;
    let a = &after["appointment"];
    assert_eq!(a["status"], "checked_in", "{after}");
    assert_eq!(a["arrival_mileage"], 12345);
    assert_eq!(a["key_location"], "key box 4");
    assert_eq!(
        after["history"][1]["by"], "Ivy Early",
        "the customer did it"
    );
}

/// With confirmation by staff (the default), a guest's online booking waits as a request:
/// the calendar lists it under "Waiting for confirmation", the customer hears nothing yet, and
/// confirming it sends the confirmation with its calendar file.
#[tokio::test]
async fn online_requests_wait_for_the_front_desk_to_confirm_them() {
    let d = desk().await;
    let slug = &d.tenant.slug;
    let guest = d.app.client();
    let (_, slots) = d
        .owner
        .call(
            Method::GET,
            &format!("{}/services/{}/free-slots?days=14", d.base, d.service),
            None,
        )
        .await;
    let start = slots["items"]
        .as_array()
        .and_then(|s| s.iter().rev().find_map(|x| x["starts_at"].as_str()))
        .expect("a free time")
        .to_owned();
    let book = format!(
        "/t/{slug}/book?branch_id={}&service_id={}",
        d.branch, d.service
    );
    let response = guest
        .submit(
            &book,
            &format!("/t/{slug}/book"),
            &[
                ("branch_id", &d.branch),
                ("service_id", &d.service),
                ("starts_at", &start),
                ("name", "Rita Request"),
                ("email", "rita@example.com"),
                ("plate", "RR 1"),
                ("code_by", "email"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let code_page = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let id = code_page.split_once("id=").expect("id").1.to_owned();
    let code = messages_of(&d, "booking_code").await[0].data["vars"]["code"]
        .as_str()
        .expect("the code")
        .to_owned();
    let response = guest
        .submit(
            &code_page,
            &format!("/t/{slug}/book/code"),
            &[("id", &id), ("code", &code)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        messages_of(&d, "booking_confirmation").await.is_empty(),
        "a request is not confirmed to the customer yet"
    );

    let calendar = d
        .owner
        .get(&format!("/t/{slug}/portal/calendar"))
        .await
        .text()
        .await
        .expect("page");
    let waiting = calendar
        .split_once("id=\"waiting\"")
        .expect("the waiting list")
        .1;
    assert!(
        waiting.contains("Rita Request"),
        "listed for the front desk"
    );
    let appointment = waiting
        .split_once("/portal/appointments/")
        .and_then(|(_, rest)| rest.get(..36))
        .expect("its link")
        .to_owned();
    let page = format!("/t/{slug}/portal/appointments/{appointment}");
    let response = d
        .owner
        .submit(&page, &format!("{page}/status"), &[("status", "confirmed")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let confirmations = messages_of(&d, "booking_confirmation").await;
    assert_eq!(confirmations.len(), 1);
    assert_eq!(confirmations[0].recipient, "rita@example.com");
    assert!(attachment(&confirmations[0]).contains("BEGIN:VEVENT"));
    let calendar = d
        .owner
        .get(&format!("/t/{slug}/portal/calendar"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        !calendar.contains("id=\"waiting\""),
        "nothing waits any more"
    );
}

/// The consent form changes only what was changed: consent given earlier keeps its date and
/// source, and ticking e-mail alone does not record an unsubscribe. An unsubscribe link mailed
/// before a merge unsubscribes the customer the record was merged into.
#[tokio::test]
async fn consent_keeps_its_record_and_unsubscribing_follows_merges() {
    let d = desk().await;
    let slug = &d.tenant.slug;
    let c = customer(&d, "Cora Consent", "cora@example.com", "").await;
    let id = c["id"].as_str().expect("id").to_owned();
    let page = format!("/t/{slug}/portal/customers/{id}");
    // Staff can write first: the customer's page opens their conversation in the inbox.
    let response = d
        .owner
        .submit(&page, &format!("{page}/conversation"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let inbox = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(inbox.contains("/portal/inbox/"), "{inbox}");
    let thread = d.owner.get(&inbox).await.text().await.expect("page");
    assert!(
        thread.contains("Conversation with"),
        "the thread, ready for a reply"
    );
    let consent = format!("{page}/consent");
    let response = d
        .owner
        .submit(
            &page,
            &consent,
            &[("email_consent", "yes"), ("source", "at the counter")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, first) = d
        .owner
        .call(Method::GET, &format!("{}/customers/{id}", d.base), None)
        .await;
    assert_eq!(first["consent"]["email"]["given"], true);
    assert!(
        first["consent"]["marketing_unsubscribed_at"].is_null(),
        "no unsubscribe recorded"
    );
    let given_at = first["consent"]["email"]["given_at"].clone();
    // Saved again with marketing added: e-mail consent keeps its date and source.
    let response = d
        .owner
        .submit(
            &page,
            &consent,
            &[
                ("email_consent", "yes"),
                ("marketing_consent", "yes"),
                ("source", "on the phone"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, second) = d
        .owner
        .call(Method::GET, &format!("{}/customers/{id}", d.base), None)
        .await;
    assert_eq!(second["consent"]["email"]["given_at"], given_at);
    assert_eq!(second["consent"]["email"]["how"], "at the counter");
    assert_eq!(second["consent"]["marketing"]["how"], "on the phone");

    // A duplicate with its own consent gets a campaign link, then is merged into Cora.
    let dup = customer(&d, "Cora C.", "cora.c@example.com", "").await;
    let dup_id = dup["id"].as_str().expect("id").to_owned();
    give_marketing_consent(&d, &dup_id).await;
    let campaigns = format!("/t/{slug}/portal/campaigns");
    d.owner
        .submit(
            &campaigns,
            &campaigns,
            &[("action", "send"), ("headline", "Offer"), ("body", "Text")],
        )
        .await;
    let link = messages_of(&d, "newsletter")
        .await
        .into_iter()
        .find(|m| m.recipient == "cora.c@example.com")
        .and_then(|m| {
            m.data["vars"]["unsubscribe_link"]
                .as_str()
                .map(str::to_owned)
        })
        .expect("the duplicate's link");
    let (status, _) = d
        .owner
        .call(
            Method::POST,
            &format!("{}/customers/{id}/merge", d.base),
            Some(json!({"duplicate_id": dup_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let path = pitlane_testkit::tenant_path(&link);
    let response = reqwest::Client::new()
        .post(d.owner.url(&path))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::OK);
    let (_, cora) = d
        .owner
        .call(Method::GET, &format!("{}/customers/{id}", d.base), None)
        .await;
    assert_eq!(
        cora["consent"]["marketing"]["given"], false,
        "the survivor is unsubscribed"
    );
    let waiting = messages_of(&d, "newsletter")
        .await
        .into_iter()
        .filter(|m| m.status == "pending")
        .count();
    assert_eq!(waiting, 0, "nothing left to send to either record");
}
