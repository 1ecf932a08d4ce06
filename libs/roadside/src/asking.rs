//! The driver's side of a request: a first quote (inside the service area? what will it cost?
//! how soon?), then asking, signed in as the workshop's customer, as a guest who proves their
//! number or address with a one-time code (the online booking's), or through a dispatcher
//! taking a call. Every way ends with the driver's link to follow the request.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{CustomerId, VehicleId},
    money::Money,
    permissions::Permission,
    roadside::{GeoPoint, Trouble, eta, nearest},
    text::optional_text,
};
use pitlane_frontdesk::{
    appointments::own_vehicle,
    booking::{guest_customer, require_customer, signed_in_customer, vehicle_for},
    codes::{self, CodeDestination, CodePurpose, SentCode},
    customers::{CustomerInput, known_customer},
    vehicles::VehicleInput,
};
use pitlane_notify::staff::{NewNotification, Notified, notify_users};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{branch, customer, roadside_request, vehicle},
    sea_orm::ActiveValue::Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    Roadside, dispatch,
    request::{self, RequestView, display_number},
    settings::{RoadsideSettings, taking},
    tracking,
};

/// What a driver tells before asking, and sees answered.
#[derive(Debug, Clone)]
pub struct Quote {
    pub branch_id: Uuid,
    pub branch_name: String,
    pub branch_phone: Option<String>,
    /// `None` when the driver gave no position (a typed address is confirmed by phone).
    pub in_area: Option<bool>,
    pub distance_m: Option<f64>,
    pub radius_m: i32,
    /// What this call-out costs before tax: the fee, plus the kilometres beyond those included.
    pub price: Money,
    pub call_out: Money,
    pub per_km: Money,
    pub included_km: i32,
    /// A first estimate of the time to arrive, from the nearest on-duty mechanic (or the
    /// branch, when none has a known position).
    pub eta_minutes: Option<i64>,
    pub mechanics_on_duty: usize,
}

/// A request as the driver (or a dispatcher taking their call) fills it in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ask {
    pub branch_id: Uuid,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Where they are in words: an address, a junction, a landmark.
    pub address: Option<String>,
    /// One of the signed-in customer's vehicles.
    pub vehicle_id: Option<VehicleId>,
    pub plate: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    /// `flat_tyre`, `battery`, `fuel`, `lockout`, `will_not_start`, `accident_tow`, `other`.
    pub trouble: String,
    pub note: Option<String>,
    /// A guest's name and contact details; where their code goes (`sms` or `email`).
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub code_by: String,
    /// Photos chosen on the form, already stored ([`keep_photos`]); never read from a client.
    #[serde(default)]
    pub photos: Vec<AskPhoto>,
}

/// A photo the driver chose on the form, stored when the form was sent; it joins the
/// request's chat once the request is made (a guest's, once their code is right).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskPhoto {
    pub key: String,
    pub content_type: String,
}

/// At most this many photos go with the request itself; more can follow in the chat.
pub const MAX_ASK_PHOTOS: usize = 3;

/// Checks the photos chosen on the form by their bytes (all of them before any is kept) and
/// stores them; their keys go with the request as it is asked.
pub async fn keep_photos(
    rs: &Roadside,
    tenant: &TenantCtx,
    photos: Vec<Vec<u8>>,
) -> Result<Vec<AskPhoto>, ServiceError> {
    if photos.len() > MAX_ASK_PHOTOS {
        return Err(FieldErrors::single(
            "photos",
            "send at most 3 photos with the request; more can follow in the chat",
        )
        .into());
    }
    for bytes in &photos {
        pitlane_domain::upload::sniff_image(bytes)
            .map_err(|e| FieldErrors::single("photos", e.to_string()))?;
    }
    let mut kept = Vec::new();
    for bytes in photos {
        let (key, content_type) =
            crate::chat::store_photo(rs, tenant.tenant_id.0, "asked", bytes).await?;
        kept.push(AskPhoto { key, content_type });
    }
    Ok(kept)
}

/// A request made, with the driver's link to follow it.
pub struct Asked {
    pub request: RequestView,
    pub link: String,
}

fn position(lat: Option<f64>, lon: Option<f64>, errors: &mut FieldErrors) -> Option<GeoPoint> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => errors.check("latitude", GeoPoint::new(lat, lon)),
        (None, None) => None,
        _ => {
            errors.add("latitude", "give both latitude and longitude, or neither");
            None
        }
    }
}

async fn quote_in(
    rs: &Roadside,
    tx: &TenantTx,
    branch: &branch::Model,
    settings: &RoadsideSettings,
    at: Option<GeoPoint>,
) -> Result<Quote, ServiceError> {
    let currency = tx.currency().await?;
    let area = settings.area();
    let distance = match (area, at) {
        (Some(area), Some(at)) => Some(area.centre.distance_m(&at)),
        _ => None,
    };
    let on_duty = dispatch::on_duty(tx, branch.id).await?;
    let members: Vec<Uuid> = on_duty.iter().map(|m| m.id).collect();
    let fixes = tracking::latest(rs, tx.tenant_id().0, &members).await;
    let known: Vec<(Uuid, GeoPoint)> = members
        .iter()
        .zip(fixes)
        .filter_map(|(m, fix)| Some((*m, fix?.point()?)))
        .collect();
    let speed = f64::from(settings.speed_kmh);
    let eta_minutes = at.map(|at| {
        let from = nearest(&known, &at, f64::from(settings.wide_m), 1)
            .first()
            .map(|(_, d)| *d)
            .or(distance)
            .unwrap_or_default();
        eta(from, speed).as_secs() as i64 / 60
    });
    Ok(Quote {
        branch_id: branch.id,
        branch_name: branch.name.clone(),
        branch_phone: branch.phone.clone(),
        in_area: match (area, at) {
            (Some(area), Some(at)) => Some(area.covers(&at)),
            _ => None,
        },
        distance_m: distance,
        radius_m: settings.radius_m,
        price: Money::new(
            settings.price().quote(distance.unwrap_or_default()),
            currency.clone(),
        ),
        call_out: Money::new(settings.call_out_minor, currency.clone()),
        per_km: Money::new(settings.per_km_minor, currency),
        included_km: settings.included_km,
        eta_minutes,
        mechanics_on_duty: on_duty.len(),
    })
}

/// What a call-out to `at` would cost and how soon help could come; anyone may ask.
pub async fn quote(
    rs: &Roadside,
    tenant: &TenantCtx,
    branch_id: Uuid,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<Quote, ServiceError> {
    let mut errors = FieldErrors::new();
    let at = position(lat, lon, &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let tx = rs.store().tx(tenant).await?;
    let (branch, settings) = taking(&tx, branch_id).await?;
    let quote = quote_in(rs, &tx, &branch, &settings, at).await?;
    tx.commit().await?;
    Ok(quote)
}

struct Checked {
    branch: branch::Model,
    settings: RoadsideSettings,
    at: Option<GeoPoint>,
    address: Option<String>,
    trouble: Trouble,
    note: Option<String>,
    quote: Quote,
    vehicle: Option<VehicleInput>,
}

/// Checks everything a request says, so the driver hears of every mistake at once.
async fn check(
    rs: &Roadside,
    tx: &TenantTx,
    ask: &Ask,
    vehicle_known: bool,
) -> Result<Checked, ServiceError> {
    let mut errors = FieldErrors::new();
    let taken = match taking(tx, ask.branch_id).await {
        Ok(taken) => Some(taken),
        Err(ServiceError::Invalid(f)) => {
            errors.0.extend(f.0);
            None
        }
        Err(e) => return Err(e),
    };
    let at = position(ask.latitude, ask.longitude, &mut errors);
    let address = errors
        .check("address", optional_text(ask.address.as_deref(), 300))
        .flatten();
    if at.is_none() && address.is_none() && !errors.0.iter().any(|e| e.field == "latitude") {
        errors.add(
            "address",
            "share your position, or tell us where you are (a street, a junction, a landmark)",
        );
    }
    let trouble = Trouble::parse(ask.trouble.trim());
    if trouble.is_none() {
        errors.add("trouble", "choose what happened");
    }
    let note = errors
        .check("note", optional_text(ask.note.as_deref(), 1000))
        .flatten();
    let vehicle = if vehicle_known {
        None
    } else {
        let input = VehicleInput {
            plate: ask.plate.clone(),
            make: ask.make.clone(),
            model: ask.model.clone(),
            ..Default::default()
        };
        if ask.plate.as_deref().is_none_or(|p| p.trim().is_empty()) {
            errors.add("plate", "tell us the number plate of the vehicle");
        } else if let Err(f) = pitlane_frontdesk::vehicles::check(&input) {
            errors.0.extend(f.0);
        }
        Some(input)
    };
    let (Some((branch, settings)), Some(trouble)) = (taken, trouble) else {
        return Err(errors.into());
    };
    let quote = quote_in(rs, tx, &branch, &settings, at).await?;
    if quote.in_area == Some(false) {
        let km = quote.distance_m.unwrap_or_default() / 1000.0;
        let phone = branch
            .phone
            .as_deref()
            .map(|p| format!("; call {p}"))
            .unwrap_or_default();
        errors.add(
            "latitude",
            format!(
                "you are {km:.0} km from {}, beyond the {} km it drives out to{phone}",
                branch.name,
                settings.radius_m / 1000
            ),
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(Checked {
        branch,
        settings,
        at,
        address,
        trouble,
        note,
        quote,
        vehicle,
    })
}

/// What a mechanic or dispatcher is told of a new request.
fn new_request_note(
    row: &roadside_request::Model,
    trouble: Trouble,
    branch: &str,
) -> NewNotification {
    NewNotification {
        title: format!(
            "Roadside {}: {}",
            display_number(row.number),
            trouble.label()
        ),
        body: format!("A driver needs help near {branch}."),
        link: Some(format!("/portal/roadside/{}", row.id)),
    }
}

/// Writes the request, its first timeline step, and tells the nearest on-duty mechanics.
async fn create(
    rs: &Roadside,
    tx: &TenantTx,
    checked: Checked,
    customer: &customer::Model,
    vehicle: &vehicle::Model,
    by: &str,
) -> Result<(roadside_request::Model, Notified), ServiceError> {
    let now = Utc::now();
    let (lat, lon) = checked.at.map(|p| p.to_micro()).unzip();
    let number = tx.next_number("roadside_requests", 1).await?;
    let row = tx
        .insert(roadside_request::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            number: Set(number),
            branch_id: Set(checked.branch.id),
            customer_id: Set(customer.id),
            vehicle_id: Set(Some(vehicle.id)),
            plate: Set(vehicle.plate.clone()),
            trouble: Set(checked.trouble.key().to_owned()),
            note: Set(checked.note),
            address: Set(checked.address),
            lat_micro: Set(lat),
            lon_micro: Set(lon),
            status: Set("requested".into()),
            ring: Set("near".into()),
            mechanic_id: Set(None),
            distance_m: Set(checked.quote.distance_m.map(|d| d.round() as i32)),
            quote_minor: Set(checked.quote.price.minor),
            currency: Set(checked.quote.price.currency.as_str().to_owned()),
            eta_minutes: Set(checked.quote.eta_minutes.map(|m| m as i32)),
            arrival_lat_micro: Set(None),
            arrival_lon_micro: Set(None),
            cancel_reason: Set(None),
            cancelled_by: Set(None),
            outcome_note: Set(None),
            invoice_id: Set(None),
            repair_order_id: Set(None),
            positions_coarsened: Set(false),
            driver_read_at: Set(None),
            crew_read_at: Set(None),
            commission_minor: Set(None),
            created_at: Set(now),
            accepted_at: Set(None),
            en_route_at: Set(None),
            arrived_at: Set(None),
            finished_at: Set(None),
            updated_at: Set(now),
        })
        .await?;
    request::record(
        tx,
        row.id,
        "requested",
        Some(format!("{} ({by})", checked.trouble.label())),
        Some(customer.name.clone()),
        checked.at,
    )
    .await?;
    let near = dispatch::nearest_on_duty(
        rs,
        tx,
        checked.branch.id,
        checked.at,
        checked.settings.near_m,
    )
    .await?;
    let users: Vec<Uuid> = near.iter().map(|m| m.user_id).collect();
    let notified = notify_users(
        tx,
        &users,
        &new_request_note(&row, checked.trouble, &checked.branch.name),
    )
    .await?;
    Ok((row, notified))
}

/// After a request is committed: its announcements, the mechanics' bells, and the timer
/// that widens it while nobody takes it.
async fn published(
    rs: &Roadside,
    row: &roadside_request::Model,
    notified: Notified,
    settings: &RoadsideSettings,
) {
    request::announce(rs, row, "roadside.requested").await;
    notified.publish(rs.live()).await;
    dispatch::watch(rs, row, settings);
}

#[allow(clippy::too_many_arguments)]
async fn finish_asking(
    rs: &Roadside,
    tx: TenantTx,
    checked: Checked,
    customer: &customer::Model,
    vehicle: &vehicle::Model,
    photos: &[AskPhoto],
    by: &str,
    site: &str,
) -> Result<Asked, ServiceError> {
    let settings = checked.settings.clone();
    let (row, notified) = create(rs, &tx, checked, customer, vehicle, by).await?;
    // The photos sent with the request open its chat, from the driver. Only keys this
    // workshop's form stored are taken.
    let ours = format!("{}/roadside/asked/", tx.tenant_id().0);
    for photo in photos.iter().filter(|p| p.key.starts_with(&ours)) {
        pitlane_frontdesk::conversations::append_roadside(
            &tx,
            customer.id,
            row.id,
            pitlane_frontdesk::conversations::ChatSide::Driver,
            "Sent a photo with the request",
            Some(customer.name.clone()),
            Some((photo.key.clone(), photo.content_type.clone())),
        )
        .await?;
    }
    let view = request::view(&tx, row.clone()).await?;
    tx.commit().await?;
    published(rs, &row, notified, &settings).await;
    Ok(Asked {
        link: request::driver_link(rs, site, &row),
        request: view,
    })
}

/// A signed-in customer asks: their account proves who they are, so no code.
pub async fn ask_as_customer(
    rs: &Roadside,
    actor: &Actor,
    ask: Ask,
    site: &str,
) -> Result<Asked, ServiceError> {
    require_customer(actor)?;
    let tx = rs.store().tx(&TenantCtx::new(actor.tenant_id)).await?;
    let me = signed_in_customer(&tx, actor).await?;
    let checked = check(rs, &tx, &ask, ask.vehicle_id.is_some()).await?;
    let vehicle = match (ask.vehicle_id, checked.vehicle.clone()) {
        (Some(id), _) => own_vehicle(&tx, id, &me).await?,
        (None, Some(input)) => vehicle_for(&tx, &me, input).await?,
        (None, None) => return Err(FieldErrors::single("plate", "tell us the number plate").into()),
    };
    finish_asking(
        rs,
        tx,
        checked,
        &me,
        &vehicle,
        &ask.photos,
        "asked online",
        site,
    )
    .await
}

/// A dispatcher takes a driver's call and asks for them.
pub async fn ask_for_customer(
    rs: &Roadside,
    actor: &Actor,
    customer_id: CustomerId,
    ask: Ask,
    site: &str,
) -> Result<Asked, ServiceError> {
    actor.require(Permission::RoadsideDispatch)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let customer = known_customer(&tx, customer_id, "customer_id").await?;
    let checked = check(rs, &tx, &ask, ask.vehicle_id.is_some()).await?;
    let vehicle = match (ask.vehicle_id, checked.vehicle.clone()) {
        (Some(id), _) => own_vehicle(&tx, id, &customer).await.map_err(|_| {
            FieldErrors::single("vehicle_id", "not one of this customer's vehicles")
        })?,
        (None, Some(input)) => vehicle_for(&tx, &customer, input).await?,
        (None, None) => return Err(FieldErrors::single("plate", "tell us the number plate").into()),
    };
    let by = match tx.actor_name(actor).await? {
        Some(name) => format!("taken by phone by {name}"),
        None => "taken by phone".to_owned(),
    };
    finish_asking(rs, tx, checked, &customer, &vehicle, &[], &by, site).await
}

/// A guest asks: everything is checked, then a one-time code goes to their phone (or
/// address); nothing is asked yet.
pub async fn start_guest(
    rs: &Roadside,
    tenant: &TenantCtx,
    ask: Ask,
    ip: Option<&str>,
) -> Result<SentCode, ServiceError> {
    let mut errors = FieldErrors::new();
    if ask.name.trim().is_empty() {
        errors.add("name", "tell us your name");
    }
    let tx = rs.store().tx(tenant).await?;
    match check(rs, &tx, &ask, false).await {
        Ok(_) if errors.is_empty() => {}
        Ok(_) => return Err(errors.into()),
        Err(ServiceError::Invalid(f)) => {
            errors.0.extend(f.0);
            return Err(errors.into());
        }
        Err(e) => return Err(e),
    }
    let sent = codes::send(
        rs.desk(),
        &tx,
        CodePurpose::Roadside,
        CodeDestination {
            by: &ask.code_by,
            name: ask.name.trim(),
            email: ask.email.as_deref(),
            phone: ask.phone.as_deref(),
            consent_source: "roadside request",
        },
        serde_json::to_value(&ask).map_err(ServiceError::internal)?,
        ip,
    )
    .await?;
    tx.commit().await?;
    Ok(sent)
}

/// The request a guest's code was sent for, to show beside the code form, and where the code
/// went.
pub async fn pending(
    rs: &Roadside,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<(Ask, String), ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let row = codes::pending(&tx, CodePurpose::Roadside, id).await?;
    tx.commit().await?;
    let ask = serde_json::from_value(row.request).map_err(ServiceError::internal)?;
    Ok((ask, codes::sent_to(&row.destination)))
}

/// The guest's code is right: the request is made (checked again: the branch may have
/// stopped taking requests meanwhile).
pub async fn confirm_guest(
    rs: &Roadside,
    tenant: &TenantCtx,
    id: Uuid,
    code: &str,
    site: &str,
) -> Result<Asked, ServiceError> {
    let row = codes::guess(
        rs.desk(),
        tenant,
        CodePurpose::Roadside,
        id,
        code,
        "ask again",
    )
    .await?;
    let ask: Ask = serde_json::from_value(row.request.clone()).map_err(ServiceError::internal)?;
    let tx = rs.store().tx(tenant).await?;
    let checked = check(rs, &tx, &ask, false).await?;
    let by_sms = row.destination.starts_with('+');
    let customer = guest_customer(
        &tx,
        &CustomerInput {
            name: ask.name.trim().to_owned(),
            email: ask.email.clone(),
            phone: ask.phone.clone(),
            ..Default::default()
        },
        &row.destination,
        by_sms,
        false,
    )
    .await?;
    let vehicle = match checked.vehicle.clone() {
        Some(input) => vehicle_for(&tx, &customer, input).await?,
        None => return Err(FieldErrors::single("plate", "tell us the number plate").into()),
    };
    codes::mark_used(&tx, row.id).await?;
    finish_asking(
        rs,
        tx,
        checked,
        &customer,
        &vehicle,
        &ask.photos,
        "asked online",
        site,
    )
    .await
}
