//! The demo workshop's front desk, made once with the demo tenant so a first start has
//! something to click through: bays, mechanics, a service catalogue bookable online,
//! customers with vehicles, and a few appointments in the coming days.

use chrono::{Datelike, Duration, NaiveTime, Utc, Weekday};
use pitlane_domain::{
    Actor, ServiceError,
    ids::{CustomerId, MembershipId, TenantId, UserId, VehicleId},
    permissions::Role,
    text::{DisplayName, Email, NewPassword},
};
use pitlane_store::{
    TenantCtx,
    entity::{branch, membership},
    sea_orm::{ColumnTrait, QueryFilter},
};

use crate::{
    FrontDesk, appointments,
    availability::zone,
    booking::{self, BookingSettings},
    catalogue::{self, ServiceInput},
    customers::{self, ConsentChange, CustomerInput},
    resources::{self, BayInput, ProfileInput},
    vehicles::{self, VehicleInput},
};

/// The demo's mechanic, who signs in to work jobs (e-mail, password).
pub type MechanicLogin = (String, String);

/// Fills the demo workshop's front desk. `site` is its address, for the links in messages.
/// Returns the sign-in of the demo's first mechanic, to print once with the owner's.
pub async fn seed(
    fd: &FrontDesk,
    tenant: TenantId,
    site: &str,
) -> Result<MechanicLogin, ServiceError> {
    let tx = fd.store.tx(&TenantCtx::new(tenant)).await?;
    let owner = tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Role.eq("owner")),
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
    let branch = tx
        .first(tx.select::<branch::Entity>())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut mechanic_login = None;
    for (email, name) in [
        ("mo@demo.pitlane.test", "Mo Mechanic"),
        ("ana@demo.pitlane.test", "Ana Alignment"),
    ] {
        let password = pitlane_identity::generate_password();
        pitlane_identity::add_member(
            &tx,
            pitlane_identity::NewMember {
                email: Email::parse(email).map_err(pitlane_domain::ServiceError::internal)?,
                name: DisplayName::parse(name, 120)
                    .map_err(pitlane_domain::ServiceError::internal)?,
                password: NewPassword::parse(&password)
                    .map_err(pitlane_domain::ServiceError::internal)?,
                role: Role::Mechanic,
            },
        )
        .await?;
        mechanic_login.get_or_insert((email.to_owned(), password));
    }
    tx.commit().await?;
    let owner = Actor::builtin(
        UserId(owner.user_id),
        MembershipId(owner.id),
        tenant,
        Role::Owner,
    );
    booking::update_settings(
        fd,
        &owner,
        BookingSettings {
            auto_confirm: true,
            cutoff_hours: 12,
            reminder_minutes: vec![1440, 120],
        },
    )
    .await?;
    for (name, kind) in [
        ("Lift 1", "lift"),
        ("Lift 2", "lift"),
        ("Alignment bay", "alignment"),
    ] {
        resources::create_bay(
            fd,
            &owner,
            BayInput {
                branch_id: branch.id,
                name: name.into(),
                kind: kind.into(),
                active: true,
            },
        )
        .await?;
    }
    for mechanic in resources::mechanics(fd, &owner).await? {
        let skills = if mechanic.name.starts_with("Ana") {
            vec!["alignment".to_owned(), "brakes".to_owned()]
        } else {
            vec!["brakes".to_owned()]
        };
        resources::set_profile(
            fd,
            &owner,
            mechanic.membership_id,
            ProfileInput {
                skills,
                working_hours: None,
            },
        )
        .await?;
    }
    let mut services = Vec::new();
    for (name, description, minutes, from, to, bay, skill) in [
        (
            "Oil and filter change",
            "Engine oil and filter, checked fluids and tyres.",
            45,
            "79.00",
            None,
            "lift",
            None,
        ),
        (
            "Brake inspection",
            "Pads, discs, lines and fluid; a written report.",
            60,
            "49.00",
            Some("89.00"),
            "lift",
            Some("brakes"),
        ),
        (
            "Wheel alignment",
            "Four-wheel alignment with a printout.",
            60,
            "99.00",
            None,
            "alignment",
            Some("alignment"),
        ),
        (
            "Annual service",
            "The manufacturer's yearly service.",
            120,
            "229.00",
            Some("349.00"),
            "lift",
            None,
        ),
    ] {
        services.push(
            catalogue::create(
                fd,
                &owner,
                ServiceInput {
                    name: name.into(),
                    description: Some(description.into()),
                    duration_minutes: minutes,
                    price_from: Some(from.into()),
                    price_to: to.map(Into::into),
                    bay_kind: Some(bay.into()),
                    skill: skill.map(Into::into),
                    bookable_online: true,
                    active: true,
                },
            )
            .await?,
        );
    }
    let people = [
        (
            "Jordan Avery",
            "jordan.avery@example.com",
            "+1 312 555 0142",
            "IL 7KD 214",
            "Toyota",
            "Camry",
            2019,
        ),
        (
            "Sam Rivera",
            "sam.rivera@example.com",
            "+1 312 555 0187",
            "IL 4HT 903",
            "Ford",
            "F-150",
            2021,
        ),
        (
            "Priya Shah",
            "priya.shah@example.com",
            "+1 773 555 0110",
            "IL 2BX 558",
            "Honda",
            "Civic",
            2017,
        ),
    ];
    let tz = zone(&branch);
    let mut day = Utc::now().with_timezone(&tz).date_naive() + Duration::days(1);
    for (i, (name, email, phone, plate, make, model, year)) in people.into_iter().enumerate() {
        let customer = customers::create(
            fd,
            &owner,
            CustomerInput {
                name: name.into(),
                email: Some(email.into()),
                phone: Some(phone.into()),
                ..CustomerInput::default()
            },
            Some(ConsentChange {
                email: Some(true),
                marketing: Some(i != 1),
                source: "demo data".into(),
                ..ConsentChange::default()
            }),
        )
        .await?;
        let vehicle = vehicles::create(
            fd,
            &owner,
            VehicleInput {
                customer_id: Some(CustomerId(customer.id)),
                plate: Some(plate.into()),
                make: Some(make.into()),
                model: Some(model.into()),
                year: Some(year),
                mileage_unit: Some("mi".into()),
                mileage: Some(30_000 + 9_000 * i as i64),
                ..VehicleInput::default()
            },
        )
        .await?;
        while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            day += Duration::days(1);
        }
        let hour = NaiveTime::from_hms_opt(9 + 2 * i as u32, 0, 0).unwrap_or(NaiveTime::MIN);
        let Some(starts_at) = day.and_time(hour).and_local_timezone(tz).earliest() else {
            continue;
        };
        appointments::book(
            fd,
            &owner,
            appointments::AppointmentInput {
                branch_id: branch.id,
                service_id: services[i % services.len()].id,
                customer_id: CustomerId(customer.id),
                vehicle_id: Some(VehicleId(vehicle.id)),
                starts_at: Some(starts_at.with_timezone(&Utc)),
                ..appointments::AppointmentInput::default()
            },
            site,
        )
        .await?;
        customers::add_note(
            fd,
            &owner,
            CustomerId(customer.id),
            "Demo customer: try the calendar, the booking page and the inbox.",
        )
        .await?;
    }
    mechanic_login.ok_or(ServiceError::NotFound)
}
