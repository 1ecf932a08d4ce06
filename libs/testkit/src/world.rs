//! Making the world a test needs, through the same services users go through.

use pitlane_domain::{
    Actor,
    ids::{CustomerId, InvoiceId, MembershipId, RepairOrderId, TenantId, UserId, VehicleId},
    permissions::Role,
};
use pitlane_store::{
    TenantCtx,
    entity::membership,
    sea_orm::{ColumnTrait, QueryFilter},
};
use pitlane_tenancy::{
    NewTenant,
    branches::{self, BranchInput},
    create_tenant, domains,
};

use crate::TestApp;

pub struct TenantFixture {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub owner_email: String,
    pub owner_password: String,
    pub owner: Actor,
}

/// Where the fixtures' roadside branch is (millionths of a degree): central London.
pub const ROADSIDE_BASE: (i64, i64) = (51_507_351, -127_758);

impl TestApp {
    /// A tenant with one branch and an owner who can sign in.
    pub async fn tenant(&self, slug: &str) -> TenantFixture {
        let store = &self.state().store;
        let name = format!("{} Motors", slug.to_uppercase());
        let owner_email = format!("owner@{slug}.example.com");
        let owner_password = format!("{slug}-password-123");
        let tenant = create_tenant(
            store,
            NewTenant {
                slug: slug.into(),
                name: name.clone(),
                branch: BranchInput {
                    name: format!("{name} Central"),
                    city: Some(format!("{slug}ville")),
                    time_zone: "Europe/Berlin".into(),
                    ..BranchInput::default()
                },
                owner_email: owner_email.clone(),
                owner_name: format!("{slug} owner"),
                owner_password: owner_password.clone(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create tenant {slug}: {e}"));
        let id = TenantId(tenant.id);
        let tx = store.tx(&TenantCtx::new(id)).await.expect("tx");
        let member = tx
            .first(
                tx.select::<membership::Entity>()
                    .filter(membership::Column::Role.eq("owner")),
            )
            .await
            .expect("owner membership")
            .expect("owner exists");
        tx.commit().await.expect("commit");
        TenantFixture {
            id,
            slug: slug.into(),
            name,
            owner_email,
            owner_password,
            owner: Actor::builtin(
                UserId(member.user_id),
                MembershipId(member.id),
                id,
                Role::Owner,
            ),
        }
    }

    /// A tenant holding one of every kind of tenant-scoped resource the API serves, so the
    /// isolation suite has something of this tenant's to reach for at every endpoint.
    /// New resources add a line here; the suite itself needs no change.
    pub async fn populated_tenant(&self, slug: &str) -> TenantFixture {
        let fixture = self.tenant(slug).await;
        let store = &self.state().store;
        let harbour = branches::create(
            store,
            &fixture.owner,
            BranchInput {
                name: format!("{slug} Harbour"),
                city: Some(format!("{slug} harbour city")),
                time_zone: "America/New_York".into(),
                ..BranchInput::default()
            },
        )
        .await
        .expect("second branch");
        domains::add(
            store,
            &fixture.owner,
            &format!("service.{slug}-garage.example"),
            Some(crate::BASE_DOMAIN),
        )
        .await
        .expect("custom domain");
        let message = pitlane_notify::service::send_test(
            store,
            &self.state().outbox,
            &self.state().live,
            &fixture.owner,
            pitlane_domain::messages::Channel::Email,
            "Fixture Owner",
            &format!("desk@{slug}-garage.example"),
        )
        .await
        .expect("a message");
        // A template of its own, an SMS number with a customer's reply (which also leaves
        // the owner a notification).
        pitlane_notify::templates::save(
            store,
            &fixture.owner,
            pitlane_domain::messages::MessageKind::BookingConfirmation,
            pitlane_domain::messages::Channel::Email,
            Some("{{ workshop_name }}: booked for {{ when }}"),
            "Hello {{ customer_name }}, see you {{ when }} at {{ branch }}.",
        )
        .await
        .expect("a template");
        let number = fixture_sms_number();
        pitlane_notify::service::update_sender(
            store,
            &self.state().config.notify,
            &fixture.owner,
            pitlane_notify::service::SenderInput {
                sender_name: "",
                reply_to: "",
                sms_sender: &number,
            },
        )
        .await
        .expect("an SMS number");
        pitlane_notify::consent::receive(
            store,
            &self.state().live,
            None,
            pitlane_notify::consent::InboundSms {
                provider_ref: format!("SM-fixture-{slug}"),
                from: "+447911123456".into(),
                to: number,
                body: format!("Is my car ready? ({slug})"),
            },
        )
        .await
        .expect("a received SMS");
        // A test SMS records the number's consent.
        pitlane_notify::service::send_test(
            store,
            &self.state().outbox,
            &self.state().live,
            &fixture.owner,
            pitlane_domain::messages::Channel::Sms,
            "Fixture Owner",
            "+447911123456",
        )
        .await
        .expect("a test SMS");
        // Identity: a role of its own, a pending invitation offering it, an API key.
        let role = pitlane_identity::roles::create(
            store,
            &fixture.owner,
            pitlane_identity::roles::RoleInput {
                name: format!("{slug} parts desk"),
                description: None,
                permissions: vec!["inventory.read".into(), "inventory.adjust".into()],
            },
        )
        .await
        .expect("a role");
        pitlane_identity::invitations::invite(
            &self.state().identity,
            &fixture.owner,
            "Fixture Owner",
            pitlane_identity::invitations::InvitationInput {
                email: format!("invitee@{slug}-garage.example"),
                name: Some(format!("{slug} invitee")),
                role: format!("custom:{}", role.id),
                branches: None,
            },
            &format!("{}/t/{slug}", self.origin),
        )
        .await
        .expect("an invitation");
        pitlane_identity::api_keys::create(
            store,
            &fixture.owner,
            pitlane_identity::api_keys::KeyInput {
                name: format!("{slug} export"),
                permissions: vec!["tenant.read".into()],
                expires_at: None,
            },
        )
        .await
        .expect("an API key");
        pitlane_identity::applications::apply(
            store,
            fixture.id,
            pitlane_identity::applications::ApplicationInput {
                name: format!("{slug} applicant"),
                email: format!("applicant@{slug}-garage.example"),
                experience_years: "6".into(),
                certifications: "ASE A5".into(),
                ..Default::default()
            },
        )
        .await
        .expect("a mechanic application");
        // A mechanic limited to the second branch.
        let (mechanic_email, _) = self.member(&fixture, Role::Mechanic).await;
        let mechanic = pitlane_identity::members::list(store, &fixture.owner)
            .await
            .expect("members")
            .into_iter()
            .find(|m| m.email == mechanic_email)
            .expect("the mechanic");
        pitlane_identity::members::update(
            store,
            &fixture.owner,
            mechanic.membership_id,
            pitlane_identity::members::MemberChange {
                branches: Some(Some(vec![harbour.id])),
                ..Default::default()
            },
        )
        .await
        .expect("branch-limited mechanic");
        let site = format!("{}/t/{slug}", self.origin);
        let (customer, vehicle) = self.front_desk(&fixture, harbour.id, &site).await;
        let mechanic_actor = Actor {
            branches: pitlane_domain::permissions::BranchScope::Only(vec![harbour.id]),
            ..Actor::builtin(
                UserId(mechanic.user_id),
                MembershipId(mechanic.membership_id),
                fixture.id,
                Role::Mechanic,
            )
        };
        self.workshop_floor(
            &fixture,
            &mechanic_actor,
            harbour.id,
            customer,
            vehicle,
            &site,
        )
        .await;
        self.roadside(
            &fixture,
            &mechanic_actor,
            harbour.id,
            customer,
            vehicle,
            &site,
        )
        .await;
        self.feedback(&fixture, &mechanic_actor, &site).await;
        // Where the server runs its own workers, let them finish, so the world holds still.
        if self.state().workers.is_some() {
            for _ in 0..200 {
                let message = pitlane_notify::service::get_message(store, &fixture.owner, message)
                    .await
                    .expect("the message");
                if matches!(message.status.as_str(), "sent" | "dead") {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        fixture
    }
}

impl TestApp {
    /// The front desk of a populated tenant: a service, a bay, a closure, an absence, a
    /// customer with a note and a vehicle, and an appointment in the second branch.
    async fn front_desk(
        &self,
        fixture: &TenantFixture,
        branch: uuid::Uuid,
        site: &str,
    ) -> (CustomerId, VehicleId) {
        use pitlane_frontdesk::{appointments, catalogue, customers, resources, vehicles};
        let fd = &self.state().frontdesk;
        let owner = &fixture.owner;
        let slug = &fixture.slug;
        let service = catalogue::create(
            fd,
            owner,
            catalogue::ServiceInput {
                name: format!("{slug} brake check"),
                duration_minutes: 60,
                bay_kind: Some("lift".into()),
                bookable_online: true,
                active: true,
                ..Default::default()
            },
        )
        .await
        .expect("a service");
        resources::create_bay(
            fd,
            owner,
            resources::BayInput {
                branch_id: branch,
                name: format!("{slug} lift 1"),
                kind: "lift".into(),
                active: true,
            },
        )
        .await
        .expect("a bay");
        let today = chrono::Utc::now().date_naive();
        resources::add_closure(
            fd,
            owner,
            branch,
            today + chrono::Duration::days(60),
            today + chrono::Duration::days(61),
            &format!("{slug} stocktake"),
        )
        .await
        .expect("a closure");
        let mechanic = resources::mechanics(fd, owner)
            .await
            .expect("mechanics")
            .into_iter()
            .next()
            .expect("the fixture's mechanic");
        resources::set_profile(
            fd,
            owner,
            mechanic.membership_id,
            resources::ProfileInput {
                skills: vec![format!("{slug}-brakes")],
                working_hours: None,
            },
        )
        .await
        .expect("a mechanic profile");
        let away = chrono::Utc::now() + chrono::Duration::days(40);
        resources::add_absence(
            fd,
            owner,
            mechanic.membership_id,
            away,
            away + chrono::Duration::days(1),
            Some(&format!("{slug} course")),
        )
        .await
        .expect("an absence");
        pitlane_frontdesk::feeds::create(
            fd,
            owner,
            &pitlane_frontdesk::feeds::FeedInput {
                kind: "branch".into(),
                subject_id: Some(branch),
            },
        )
        .await
        .expect("a calendar feed");
        let customer = customers::create(
            fd,
            owner,
            customers::CustomerInput {
                name: format!("{slug} customer"),
                email: Some(format!("driver@{slug}-garage.example")),
                phone: Some("+447911123456".into()),
                tags: vec![format!("{slug}-fleet")],
                ..Default::default()
            },
            None,
        )
        .await
        .expect("a customer");
        customers::add_note(
            fd,
            owner,
            customer.id.into(),
            &format!("{slug} prefers mornings"),
        )
        .await
        .expect("a note");
        let vehicle = vehicles::create(
            fd,
            owner,
            vehicles::VehicleInput {
                customer_id: Some(customer.id.into()),
                plate: Some(format!("{} 1", slug.to_uppercase())),
                make: Some("Volkswagen".into()),
                model: Some("Golf".into()),
                mileage: Some(42_000),
                ..Default::default()
            },
        )
        .await
        .expect("a vehicle");
        let slot = appointments::free_slots(
            fd,
            owner,
            appointments::SlotRequest {
                service_id: service.id,
                branch_id: Some(branch),
                from: Some(today + chrono::Duration::days(3)),
                days: Some(7),
            },
        )
        .await
        .expect("free slots")
        .slots
        .into_iter()
        .next()
        .expect("a free slot");
        appointments::book(
            fd,
            owner,
            appointments::AppointmentInput {
                branch_id: branch,
                service_id: service.id,
                customer_id: customer.id.into(),
                vehicle_id: Some(vehicle.id.into()),
                starts_at: Some(slot.span.start),
                notes: Some(format!("{slug} rattle")),
                ..Default::default()
            },
            site,
        )
        .await
        .expect("an appointment");
        // A conversation with a message, and a guest's booking waiting for its code.
        let conversation =
            pitlane_frontdesk::conversations::for_customer(fd, owner, customer.id.into())
                .await
                .expect("a conversation");
        pitlane_frontdesk::conversations::reply(
            fd,
            owner,
            conversation.id,
            &format!("{slug}: your car is ready"),
            site,
        )
        .await
        .expect("a message");
        let later = appointments::free_slots(
            fd,
            owner,
            appointments::SlotRequest {
                service_id: service.id,
                branch_id: Some(branch),
                from: Some(today + chrono::Duration::days(12)),
                days: Some(7),
            },
        )
        .await
        .expect("free slots")
        .slots
        .into_iter()
        .next()
        .expect("a free slot");
        pitlane_frontdesk::booking::start_guest(
            fd,
            &TenantCtx::new(fixture.id),
            pitlane_frontdesk::booking::BookingRequest {
                branch_id: branch,
                service_id: service.id,
                starts_at: Some(later.span.start),
                name: format!("{slug} guest"),
                email: Some(format!("guest@{slug}-garage.example")),
                plate: Some(format!("{} 2", slug.to_uppercase())),
                code_by: "email".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("a guest booking waiting for its code");
        (customer.id.into(), vehicle.id.into())
    }

    /// The workshop floor and parts room of a populated tenant: a supplier, a part in stock
    /// with a reorder point, a purchase order partly received, a completed stock count, a
    /// canned job, an inspection template, and an approved repair order with a canned job, an
    /// inspection (a photo, a finding on the estimate), reserved parts, and a job taken from
    /// the board and clocked by the mechanic.
    /// Roadside help at the second branch: it drives out, the branch-limited mechanic is on
    /// duty near it, and has taken a request of the customer's (with a timeline and a trail).
    async fn roadside(
        &self,
        fixture: &TenantFixture,
        mechanic: &Actor,
        branch: uuid::Uuid,
        customer: CustomerId,
        vehicle: VehicleId,
        site: &str,
    ) {
        use pitlane_domain::roadside::RoadsideStatus;
        use pitlane_roadside::{asking, chat, dispatch, progress, settings, tracking, work};
        let rs = &self.state().roadside;
        let mut drives_out = settings::RoadsideSettings::defaults(branch);
        drives_out.enabled = true;
        drives_out.lat_micro = Some(ROADSIDE_BASE.0);
        drives_out.lon_micro = Some(ROADSIDE_BASE.1);
        drives_out.call_out_minor = 5_000;
        drives_out.per_km_minor = 100;
        settings::update(rs, &fixture.owner, drives_out)
            .await
            .expect("roadside settings");
        dispatch::set_takes_roadside(rs, &fixture.owner, mechanic.membership_id.0, true)
            .await
            .expect("a mechanic who drives out");
        dispatch::set_duty(rs, mechanic, true)
            .await
            .expect("on duty");
        let near = pitlane_domain::roadside::GeoPoint::new(51.51, -0.12).expect("a position");
        tracking::report(rs, mechanic, near)
            .await
            .expect("the mechanic's position");
        let asked = asking::ask_for_customer(
            rs,
            &fixture.owner,
            customer,
            asking::Ask {
                branch_id: branch,
                latitude: Some(51.52),
                longitude: Some(-0.1),
                address: Some(format!("{} ring road", fixture.slug)),
                vehicle_id: Some(vehicle),
                trouble: "battery".into(),
                note: Some(format!("{} lights left on", fixture.slug)),
                ..Default::default()
            },
            site,
        )
        .await
        .expect("a roadside request");
        dispatch::accept(rs, mechanic, asked.request.id, site)
            .await
            .expect("the request taken");
        tracking::report(rs, mechanic, near)
            .await
            .expect("a trail point");
        // There, with work noted and a word to the driver.
        for to in [RoadsideStatus::EnRoute, RoadsideStatus::OnSite] {
            progress::advance(
                rs,
                mechanic,
                asked.request.id,
                progress::Step {
                    to,
                    at: Some(near),
                    note: None,
                },
                site,
            )
            .await
            .expect("a step");
        }
        work::add(
            rs,
            mechanic,
            asked.request.id,
            &pitlane_workshop::lines::LineInput {
                kind: "labour_flat".into(),
                description: Some(format!("{} jump start", fixture.slug)),
                quantity: Some("0.25".into()),
                unit_price: Some("20.00".into()),
                ..Default::default()
            },
        )
        .await
        .expect("roadside work");
        chat::crew_writes(
            rs,
            mechanic,
            asked.request.id,
            &format!("{} here, with your car", fixture.slug),
            site,
        )
        .await
        .expect("a roadside message");
        chat::crew_sends_photo(
            rs,
            mechanic,
            asked.request.id,
            crate::TINY_JPEG.to_vec(),
            site,
        )
        .await
        .expect("a roadside photo");
    }

    /// A rating of the repair order, as closing it asks for one, given by the customer with a
    /// comment and replied to.
    async fn feedback(&self, fixture: &TenantFixture, mechanic: &Actor, site: &str) {
        use pitlane_frontdesk::feedback;
        use pitlane_store::entity::{feedback as feedback_row, repair_order};
        let fd = &self.state().frontdesk;
        let tenant = TenantCtx::new(fixture.id);
        let tx = self.state().store.tx(&tenant).await.expect("tx");
        let order = tx
            .first(tx.select::<repair_order::Entity>())
            .await
            .expect("orders")
            .expect("a repair order");
        feedback::ask_in(
            fd,
            &tx,
            feedback::Ask {
                subject: feedback::Subject::RepairOrder(order.id),
                branch_id: order.branch_id,
                customer_id: order.customer_id,
                mechanic_id: Some(mechanic.membership_id.0),
                label: format!("{} brake job", fixture.slug),
                phrase: "your car".into(),
            },
            site,
        )
        .await
        .expect("a rating asked for");
        let row = tx
            .first(tx.select::<feedback_row::Entity>())
            .await
            .expect("feedback")
            .expect("a request for a rating");
        tx.commit().await.expect("commit");
        let link = feedback::link(fd, site, &row);
        let token = link.split_once("token=").expect("a token").1;
        let given = feedback::Answer {
            job: Some(4),
            mechanic: Some(5),
            comment: Some(format!("{} were quick and friendly", fixture.slug)),
        };
        let rated = feedback::answer(fd, &tenant, token, &given)
            .await
            .expect("a rating");
        feedback::reply(
            fd,
            &fixture.owner,
            rated.view.feedback.id,
            &format!("Thank you from {}", fixture.slug),
            site,
        )
        .await
        .expect("a reply");
    }

    async fn workshop_floor(
        &self,
        fixture: &TenantFixture,
        mechanic: &Actor,
        branch: uuid::Uuid,
        customer: CustomerId,
        vehicle: VehicleId,
        site: &str,
    ) {
        use pitlane_inventory::{counts, parts, purchasing, stock, suppliers};
        use pitlane_workshop::{approval, canned, inspections, jobs, lines, orders};
        let inv = &self.state().inventory;
        let ws = &self.state().workshop;
        let owner = &fixture.owner;
        let slug = &fixture.slug;
        let supplier = suppliers::create(
            inv,
            owner,
            &suppliers::SupplierInput {
                name: format!("{slug} motor factors"),
                ..Default::default()
            },
        )
        .await
        .expect("a supplier");
        let part = parts::create(
            inv,
            owner,
            &parts::PartInput {
                sku: format!("{slug}-bp1"),
                name: format!("{slug} brake pads"),
                cost: "38.50".into(),
                supplier_id: Some(supplier.id),
                active: true,
                ..Default::default()
            },
        )
        .await
        .expect("a part");
        stock::record(
            inv,
            owner,
            &stock::MovementInput {
                part_id: part.id.into(),
                branch_id: branch,
                kind: "receive".into(),
                quantity: "5".into(),
                reason: None,
            },
        )
        .await
        .expect("stock received");
        stock::set_reorder(inv, owner, part.id.into(), branch, Some("1"), Some("A1"))
            .await
            .expect("a reorder point");
        let po = purchasing::create(
            inv,
            owner,
            &purchasing::PurchaseOrderInput {
                branch_id: branch,
                supplier_id: supplier.id,
                notes: Some(format!("{slug} weekly order")),
                expected_on: None,
                lines: vec![purchasing::LineInput {
                    part_id: part.id.into(),
                    quantity: "2".into(),
                    unit_cost: None,
                }],
            },
        )
        .await
        .expect("a purchase order");
        purchasing::mark_ordered(inv, owner, po.order.id)
            .await
            .expect("ordered");
        purchasing::receive(
            inv,
            owner,
            po.order.id,
            &purchasing::Delivery {
                lines: vec![(po.lines[0].id, "1".into())],
            },
        )
        .await
        .expect("partly received");
        let count = counts::start(inv, owner, branch)
            .await
            .expect("a stock count");
        counts::record(inv, owner, count.count.id, part.id.into(), "6")
            .await
            .expect("counted");
        counts::complete(inv, owner, count.count.id)
            .await
            .expect("count completed");
        let canned_job = canned::save(
            ws,
            owner,
            None,
            &canned::CannedJobInput {
                name: format!("{slug} brake service"),
                skill: Some(format!("{slug}-brakes")),
                lines: vec![
                    canned::CannedLineInput {
                        kind: "labour".into(),
                        description: "Replace front pads".into(),
                        quantity: Some("1".into()),
                        ..Default::default()
                    },
                    canned::CannedLineInput {
                        kind: "part".into(),
                        description: "Front pads".into(),
                        part_id: Some(part.id.into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
        )
        .await
        .expect("a canned job");
        inspections::save_template(
            ws,
            owner,
            None,
            &format!("{slug} check"),
            &[("Brakes".to_owned(), format!("{slug} pads"))],
        )
        .await
        .expect("an inspection template");
        let order = orders::open_walk_in(
            ws,
            owner,
            &orders::OrderInput {
                branch_id: branch,
                customer_id: customer,
                vehicle_id: vehicle,
                mileage_in: Some(42_100),
                concern: Some(format!("{slug} squeal")),
                ..Default::default()
            },
        )
        .await
        .expect("a repair order");
        let order_id = RepairOrderId(order.order.id);
        lines::add_canned(ws, owner, order_id, canned_job.job.id)
            .await
            .expect("the canned job on the order");
        let inspection = inspections::start(ws, owner, order_id, None)
            .await
            .expect("an inspection");
        let point = inspection.items[0].0.id;
        inspections::rate(
            ws,
            owner,
            inspection.inspection.id,
            point,
            "yellow",
            Some(&format!("{slug}: pads at 3 mm")),
        )
        .await
        .expect("a rating");
        inspections::add_photo(
            ws,
            owner,
            inspection.inspection.id,
            point,
            crate::TINY_JPEG.to_vec(),
        )
        .await
        .expect("a photo");
        let view = inspections::recommend(ws, owner, inspection.inspection.id)
            .await
            .expect("a finding on the estimate");
        let answers: Vec<_> = view
            .lines
            .iter()
            .map(|l| {
                // The inspection's finding is declined: a declined service to follow up.
                let decision = if l.source == "inspection" {
                    pitlane_domain::repair_order::LineDecision::Declined
                } else {
                    pitlane_domain::repair_order::LineDecision::Approved
                };
                (l.id, decision)
            })
            .collect();
        let view = approval::record_answer(
            ws,
            owner,
            order_id,
            &answers,
            approval::Method::Phone,
            None,
            site,
        )
        .await
        .expect("approved by phone");
        let job = view
            .jobs
            .iter()
            .find(|j| j.title.contains(slug.as_str()))
            .expect("the canned job's job")
            .id;
        jobs::post_to_board(ws, owner, job, None)
            .await
            .expect("on the board");
        let application = jobs::apply(ws, mechanic, job, Some("free now"))
            .await
            .expect("an application");
        jobs::accept(ws, owner, job, application.id)
            .await
            .expect("accepted");
        for action in [
            pitlane_domain::labour::ClockAction::Start,
            pitlane_domain::labour::ClockAction::Finish,
        ] {
            jobs::clock_job(ws, mechanic, job, action, site)
                .await
                .expect("clocked");
        }
        self.billing_desk(fixture, branch, customer, order_id, site)
            .await;
    }

    /// Invoices: one from the order, issued, part paid, part refunded with a credit note;
    /// a draft on its own; a branch tax rate; a card payment started on the branded page.
    async fn billing_desk(
        &self,
        fixture: &TenantFixture,
        branch: uuid::Uuid,
        customer: CustomerId,
        order_id: RepairOrderId,
        site: &str,
    ) {
        use pitlane_billing::{invoices, payments, tax_rates};
        let billing = &self.state().billing;
        let owner = &fixture.owner;
        let rate = tax_rates::add(billing, owner, branch, "Reduced", "5")
            .await
            .expect("a tax rate");
        let invoice = invoices::draft_from_order(billing, owner, order_id)
            .await
            .expect("an invoice of the order");
        let id = InvoiceId(invoice.invoice.id);
        invoices::add_line(
            billing,
            owner,
            id,
            &invoices::LineInput {
                kind: "part".into(),
                description: format!("{} wiper blades", fixture.slug),
                quantity: "2".into(),
                unit_price: "10.00".into(),
                tax_rate_id: Some(rate.id),
                taxable: true,
            },
        )
        .await
        .expect("a line at the reduced rate");
        let issued = invoices::issue(billing, owner, id, site)
            .await
            .expect("issued");
        let view = payments::record_payment(
            billing,
            owner,
            id,
            &payments::PaymentInput {
                method: "cash".into(),
                amount: "20.00".into(),
                reference: Some(format!("{} till", fixture.slug)),
                received_at: None,
            },
            site,
        )
        .await
        .expect("a cash payment");
        payments::refund(
            billing,
            owner,
            view.payments[0].id,
            &payments::RefundInput {
                amount: "5.00".into(),
                reason: format!("{} goodwill", fixture.slug),
                credit_note: true,
            },
            site,
        )
        .await
        .expect("a refund with its credit note");
        let draft = invoices::draft(
            billing,
            owner,
            &invoices::DraftInput {
                branch_id: branch,
                customer_id: customer,
                vehicle_id: None,
                notes: Some(format!("{} counter sale", fixture.slug)),
            },
        )
        .await
        .expect("a draft");
        invoices::add_line(
            billing,
            owner,
            draft.invoice.id.into(),
            &invoices::LineInput {
                kind: "other".into(),
                description: format!("{} floor mats", fixture.slug),
                quantity: String::new(),
                unit_price: "30.00".into(),
                tax_rate_id: None,
                taxable: true,
            },
        )
        .await
        .expect("a line on the draft");
        payments::record_payment(
            billing,
            owner,
            draft.invoice.id.into(),
            &payments::PaymentInput {
                method: "card_terminal".into(),
                amount: "10.00".into(),
                reference: Some(format!("{} deposit", fixture.slug)),
                received_at: None,
            },
            site,
        )
        .await
        .expect("a deposit on the draft");
        // A card payment started on the branded page, as Checkout would leave it.
        let tx = self
            .state()
            .store
            .tx(&pitlane_store::TenantCtx::new(fixture.id))
            .await
            .expect("tx");
        use pitlane_store::sea_orm::ActiveValue::Set;
        tx.insert(pitlane_store::entity::checkout_session::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            invoice_id: Set(issued.invoice.id),
            stripe_session_id: Set(format!("cs_test_{}", fixture.slug)),
            amount_minor: Set(issued.invoice.total_minor - 2000),
            status: Set("open".into()),
            url: Set(format!("https://checkout.stripe.test/{}", fixture.slug)),
            created_at: Set(chrono::Utc::now()),
            updated_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .await
        .expect("a checkout session");
        tx.commit().await.expect("commit");
    }

    /// Adds a staff member with this role to a tenant; returns their e-mail and password.
    pub async fn member(&self, tenant: &TenantFixture, role: Role) -> (String, String) {
        let email = format!("{}@{}.example.com", role.key(), tenant.slug);
        let password = format!("{}-password-123", role.key());
        let tx = self
            .state()
            .store
            .tx(&TenantCtx::new(tenant.id))
            .await
            .expect("tx");
        pitlane_identity::add_member(
            &tx,
            pitlane_identity::NewMember {
                email: pitlane_domain::text::Email::parse(&email).expect("email"),
                name: pitlane_domain::text::DisplayName::parse(role.label(), 120).expect("name"),
                password: pitlane_domain::text::NewPassword::parse(&password).expect("password"),
                role,
            },
        )
        .await
        .expect("add member");
        tx.commit().await.expect("commit");
        (email, password)
    }
}

/// A distinct workshop SMS number per fixture tenant (a reserved-looking mobile range).
fn fixture_sms_number() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(100);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 900 + 100;
    format!("+447911000{n}")
}

/// The next weekday at least `days` ahead, 10:00 in Berlin (the fixture branch's zone, and
/// within its business hours).
pub fn weekday_at_ten(days: i64) -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    let mut date = (chrono::Utc::now() + chrono::Duration::days(days)).date_naive();
    while matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
        date += chrono::Duration::days(1);
    }
    date.and_hms_opt(10, 0, 0)
        .expect("time")
        .and_local_timezone(chrono_tz::Europe::Berlin)
        .single()
        .expect("unambiguous")
        .with_timezone(&chrono::Utc)
}
