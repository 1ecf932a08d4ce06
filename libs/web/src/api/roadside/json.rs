//! Roadside requests as the API reads and writes them. Positions are degrees of latitude and
//! longitude (WGS 84, as a browser's geolocation gives them).

use chrono::{DateTime, Utc};
use pitlane_domain::{
    FieldErrors,
    roadside::{GeoPoint, RoadsideStatus},
};
use pitlane_roadside::{
    asking::{Ask, Asked, Quote},
    chat::ChatMessage,
    dispatch::{Board, BoardRow, Duty, Offer, OnDuty},
    follow::Detail,
    request::{RequestView, TimelineEntry},
    settings::RoadsideSettings,
    tracking::{Approach, Reported},
    work::{Bill, WorkLine},
};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

fn lat(p: Option<GeoPoint>) -> Option<f64> {
    p.map(|p| p.lat())
}

fn lon(p: Option<GeoPoint>) -> Option<f64> {
    p.map(|p| p.lon())
}

#[derive(Object)]
pub struct RoadsideRequest {
    pub id: Uuid,
    /// `RS-0042`.
    pub number: String,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    #[oai(nullable)]
    pub customer_phone: Option<String>,
    #[oai(nullable)]
    pub vehicle_id: Option<Uuid>,
    #[oai(nullable)]
    pub vehicle: Option<String>,
    /// `flat_tyre`, `battery`, `fuel`, `lockout`, `will_not_start`, `accident_tow` or `other`.
    pub trouble: String,
    pub trouble_label: String,
    #[oai(nullable)]
    pub note: Option<String>,
    /// Where the driver is, in their words.
    #[oai(nullable)]
    pub address: Option<String>,
    #[oai(nullable)]
    pub latitude: Option<f64>,
    #[oai(nullable)]
    pub longitude: Option<f64>,
    /// `requested`, `accepted`, `en_route`, `on_site`, `working`, `done`, `towed_in` or
    /// `cancelled`.
    pub status: String,
    pub status_label: String,
    /// Who a waiting request is offered to: `near`, `wide` or `dispatcher`.
    pub ring: String,
    /// The membership of the mechanic who took it.
    #[oai(nullable)]
    pub mechanic_id: Option<Uuid>,
    #[oai(nullable)]
    pub mechanic_name: Option<String>,
    /// From the branch, in a straight line, when asked.
    #[oai(nullable)]
    pub distance_m: Option<i32>,
    /// The call-out price quoted, before tax.
    pub quote_minor: i64,
    pub currency: String,
    #[oai(nullable)]
    pub eta_minutes: Option<i32>,
    /// Where the mechanic was when they arrived.
    #[oai(nullable)]
    pub arrival_latitude: Option<f64>,
    #[oai(nullable)]
    pub arrival_longitude: Option<f64>,
    #[oai(nullable)]
    pub cancel_reason: Option<String>,
    #[oai(nullable)]
    pub outcome_note: Option<String>,
    #[oai(nullable)]
    pub invoice_id: Option<Uuid>,
    /// The repair order opened when the car was towed in.
    #[oai(nullable)]
    pub repair_order_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    #[oai(nullable)]
    pub accepted_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub en_route_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub arrived_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<RequestView> for RoadsideRequest {
    fn from(v: RequestView) -> Self {
        Self {
            number: v.number_text(),
            id: v.id,
            branch_id: v.branch_id,
            branch_name: v.branch_name,
            customer_id: v.customer_id,
            customer_name: v.customer_name,
            customer_phone: v.customer_phone,
            vehicle_id: v.vehicle_id,
            vehicle: v.vehicle,
            trouble: v.trouble.key().to_owned(),
            trouble_label: v.trouble.label().to_owned(),
            note: v.note,
            address: v.address,
            latitude: lat(v.position),
            longitude: lon(v.position),
            status: v.status.key().to_owned(),
            status_label: v.status.label().to_owned(),
            ring: v.ring,
            mechanic_id: v.mechanic_id,
            mechanic_name: v.mechanic_name,
            distance_m: v.distance_m,
            quote_minor: v.quote.minor,
            currency: v.quote.currency.as_str().to_owned(),
            eta_minutes: v.eta_minutes,
            arrival_latitude: lat(v.arrival),
            arrival_longitude: lon(v.arrival),
            cancel_reason: v.cancel_reason,
            outcome_note: v.outcome_note,
            invoice_id: v.invoice_id,
            repair_order_id: v.repair_order_id,
            created_at: v.created_at,
            accepted_at: v.accepted_at,
            en_route_at: v.en_route_at,
            arrived_at: v.arrived_at,
            finished_at: v.finished_at,
        }
    }
}

/// One step of a request's timeline.
#[derive(Object)]
pub struct TimelineStep {
    /// `requested`, `accepted`, `assigned`, `widened`, `escalated`, `en_route`, `on_site`,
    /// `working`, `done`, `towed_in`, `released` or `cancelled`.
    pub kind: String,
    #[oai(nullable)]
    pub detail: Option<String>,
    #[oai(nullable)]
    pub by: Option<String>,
    #[oai(nullable)]
    pub latitude: Option<f64>,
    #[oai(nullable)]
    pub longitude: Option<f64>,
    pub at: DateTime<Utc>,
}

impl From<TimelineEntry> for TimelineStep {
    fn from(e: TimelineEntry) -> Self {
        Self {
            kind: e.kind,
            detail: e.detail,
            by: e.actor_name,
            latitude: lat(e.position),
            longitude: lon(e.position),
            at: e.at,
        }
    }
}

/// Where the mechanic is while they drive out, seen from the driver.
#[derive(Object)]
pub struct MechanicApproach {
    pub latitude: f64,
    pub longitude: f64,
    pub seen_at: DateTime<Utc>,
    #[oai(nullable)]
    pub distance_m: Option<i64>,
    /// Where the mechanic is from the driver, degrees clockwise from north.
    #[oai(nullable)]
    pub bearing_deg: Option<i64>,
    #[oai(nullable)]
    pub eta_minutes: Option<i64>,
}

impl From<Approach> for MechanicApproach {
    fn from(a: Approach) -> Self {
        Self {
            latitude: a.at.lat(),
            longitude: a.at.lon(),
            seen_at: a.seen_at,
            distance_m: a.distance_m.map(|d| d.round() as i64),
            bearing_deg: a.bearing_deg.map(|b| b.round() as i64),
            eta_minutes: a.eta_minutes,
        }
    }
}

/// A request with its timeline and, while the mechanic drives out, where they are.
#[derive(Object)]
pub struct RoadsideRequestDetail {
    pub request: RoadsideRequest,
    pub timeline: Vec<TimelineStep>,
    #[oai(nullable)]
    pub approach: Option<MechanicApproach>,
    /// What the mechanic did and used there.
    pub work: Vec<RoadsideWorkLine>,
    /// The invoice, once the job was fixed on the spot and billed.
    #[oai(nullable)]
    pub bill: Option<RoadsideBill>,
}

impl From<Detail> for RoadsideRequestDetail {
    fn from(d: Detail) -> Self {
        Self {
            request: d.request.into(),
            timeline: d.timeline.into_iter().map(Into::into).collect(),
            approach: d.approach.map(Into::into),
            work: d.work.into_iter().map(Into::into).collect(),
            bill: d.bill.map(Into::into),
        }
    }
}

/// A line of work or a part used at the roadside.
#[derive(Object)]
pub struct RoadsideWorkLine {
    pub id: Uuid,
    /// `labour`, `labour_flat`, `part`, `fee` or `discount`.
    pub kind: String,
    pub description: String,
    /// Hours or units, in thousandths.
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    /// Before tax; negative for a discount.
    pub amount_minor: i64,
    pub currency: String,
    #[oai(nullable)]
    pub part_id: Option<Uuid>,
    #[oai(nullable)]
    pub added_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<WorkLine> for RoadsideWorkLine {
    fn from(w: WorkLine) -> Self {
        Self {
            id: w.id,
            kind: w.kind,
            description: w.description,
            quantity_milli: w.quantity_milli,
            unit_price_minor: w.unit_price.minor,
            amount_minor: w.amount.minor,
            currency: w.amount.currency.as_str().to_owned(),
            part_id: w.part_id,
            added_by: w.added_by,
            created_at: w.created_at,
        }
    }
}

/// The invoice of a roadside job: the call-out and the work.
#[derive(Object)]
pub struct RoadsideBill {
    pub invoice_id: Uuid,
    pub number: String,
    pub total_minor: i64,
    pub balance_due_minor: i64,
    pub currency: String,
}

impl From<Bill> for RoadsideBill {
    fn from(b: Bill) -> Self {
        Self {
            invoice_id: b.invoice_id,
            number: b.number,
            total_minor: b.total.minor,
            balance_due_minor: b.balance_due.minor,
            currency: b.total.currency.as_str().to_owned(),
        }
    }
}

/// A request a dispatcher made for a caller, with the driver's link to send them.
#[derive(Object)]
pub struct RoadsideRequestMade {
    pub request: RoadsideRequest,
    /// The driver's page: where the mechanic is, the request's steps.
    pub driver_link: String,
}

impl From<Asked> for RoadsideRequestMade {
    fn from(a: Asked) -> Self {
        Self {
            request: a.request.into(),
            driver_link: a.link,
        }
    }
}

/// A driver's call, taken by a dispatcher.
#[derive(Object)]
#[oai(example)]
pub struct RoadsideRequestWrite {
    pub customer_id: Uuid,
    pub branch_id: Uuid,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Where the driver is, in words, when there is no position.
    pub address: Option<String>,
    /// One of the customer's vehicles; or give the plate.
    pub vehicle_id: Option<Uuid>,
    pub plate: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    /// `flat_tyre`, `battery`, `fuel`, `lockout`, `will_not_start`, `accident_tow` or `other`.
    pub trouble: String,
    pub note: Option<String>,
}

impl Example for RoadsideRequestWrite {
    fn example() -> Self {
        Self {
            customer_id: Uuid::nil(),
            branch_id: Uuid::nil(),
            latitude: Some(52.3702),
            longitude: Some(4.8952),
            address: None,
            vehicle_id: None,
            plate: Some("AB12 CDE".into()),
            make: None,
            model: None,
            trouble: "battery".into(),
            note: Some("Lights left on".into()),
        }
    }
}

impl From<RoadsideRequestWrite> for Ask {
    fn from(w: RoadsideRequestWrite) -> Self {
        Ask {
            branch_id: w.branch_id,
            latitude: w.latitude,
            longitude: w.longitude,
            address: w.address,
            vehicle_id: w.vehicle_id.map(Into::into),
            plate: w.plate,
            make: w.make,
            model: w.model,
            trouble: w.trouble,
            note: w.note,
            ..Default::default()
        }
    }
}

/// What a call-out to a place would cost and how soon help could come: what the driver's page
/// asks for (`/roadside/quote`) before they send their request.
#[derive(serde::Serialize)]
pub struct RoadsideQuote {
    pub branch_id: Uuid,
    pub branch_name: String,
    pub branch_phone: Option<String>,
    /// Whether the place is inside the branch's service area (null without a position).
    pub in_area: Option<bool>,
    pub distance_m: Option<i64>,
    pub radius_m: i32,
    /// The price of this call-out before tax: the fee plus the kilometres beyond those
    /// included.
    pub price_minor: i64,
    pub call_out_minor: i64,
    pub per_km_minor: i64,
    pub included_km: i32,
    pub currency: String,
    pub eta_minutes: Option<i64>,
    pub mechanics_on_duty: i64,
}

impl From<Quote> for RoadsideQuote {
    fn from(q: Quote) -> Self {
        Self {
            branch_id: q.branch_id,
            branch_name: q.branch_name,
            branch_phone: q.branch_phone,
            in_area: q.in_area,
            distance_m: q.distance_m.map(|d| d.round() as i64),
            radius_m: q.radius_m,
            price_minor: q.price.minor,
            call_out_minor: q.call_out.minor,
            per_km_minor: q.per_km.minor,
            included_km: q.included_km,
            currency: q.price.currency.as_str().to_owned(),
            eta_minutes: q.eta_minutes,
            mechanics_on_duty: q.mechanics_on_duty as i64,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct MechanicWrite {
    /// The mechanic's membership (see `GET /mechanics`).
    pub mechanic_id: Uuid,
}

impl Example for MechanicWrite {
    fn example() -> Self {
        Self {
            mechanic_id: Uuid::nil(),
        }
    }
}

/// A step of the request's mechanic (or a dispatcher).
#[derive(Object)]
#[oai(example)]
pub struct StepWrite {
    /// `en_route`, `on_site`, `working`, `done` or `towed_in`.
    pub status: String,
    /// Where the mechanic is; arriving without one stamps their last known position.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// What was done (for `done` and `towed_in`).
    pub note: Option<String>,
}

impl Example for StepWrite {
    fn example() -> Self {
        Self {
            status: "en_route".into(),
            latitude: None,
            longitude: None,
            note: None,
        }
    }
}

impl TryFrom<StepWrite> for pitlane_roadside::progress::Step {
    type Error = FieldErrors;

    fn try_from(w: StepWrite) -> Result<Self, FieldErrors> {
        let to = RoadsideStatus::parse(w.status.trim()).ok_or_else(|| {
            FieldErrors::single("status", "use en_route, on_site, working, done or towed_in")
        })?;
        let at = match (w.latitude, w.longitude) {
            (Some(lat), Some(lon)) => {
                Some(GeoPoint::new(lat, lon).map_err(|e| FieldErrors::single("latitude", e))?)
            }
            (None, None) => None,
            _ => {
                return Err(FieldErrors::single(
                    "latitude",
                    "give both latitude and longitude, or neither",
                ));
            }
        };
        Ok(Self {
            to,
            at,
            note: w.note,
        })
    }
}

#[derive(Object)]
#[oai(example)]
pub struct ReasonWrite {
    pub reason: String,
}

impl Example for ReasonWrite {
    fn example() -> Self {
        Self {
            reason: "The driver got going again".into(),
        }
    }
}

/// An open request on the dispatch board, with its clocks (its age is now minus the
/// request's `created_at`).
#[derive(Object)]
pub struct DispatchEntry {
    pub request: RoadsideRequest,
    /// By the branch's targets: when it should be taken, and reached.
    pub accept_due: DateTime<Utc>,
    pub arrive_due: DateTime<Utc>,
    pub accept_late: bool,
    pub arrive_late: bool,
}

impl From<BoardRow> for DispatchEntry {
    fn from(r: BoardRow) -> Self {
        Self {
            request: r.request.into(),
            accept_due: r.accept_due,
            arrive_due: r.arrive_due,
            accept_late: r.accept_late,
            arrive_late: r.arrive_late,
        }
    }
}

#[derive(Object)]
pub struct OnDutyMechanic {
    pub mechanic_id: Uuid,
    pub name: String,
    #[oai(nullable)]
    pub latitude: Option<f64>,
    #[oai(nullable)]
    pub longitude: Option<f64>,
    #[oai(nullable)]
    pub seen_at: Option<DateTime<Utc>>,
    /// The request they are on.
    #[oai(nullable)]
    pub busy_with: Option<Uuid>,
}

impl From<OnDuty> for OnDutyMechanic {
    fn from(m: OnDuty) -> Self {
        Self {
            mechanic_id: m.membership_id,
            name: m.name,
            latitude: lat(m.position),
            longitude: lon(m.position),
            seen_at: m.seen_at,
            busy_with: m.busy_with,
        }
    }
}

/// The dispatch board.
#[derive(Object)]
pub struct DispatchBoard {
    /// Open requests, oldest first.
    pub open: Vec<DispatchEntry>,
    /// Ended in the last 24 hours, newest first.
    pub recent: Vec<RoadsideRequest>,
    pub on_duty: Vec<OnDutyMechanic>,
}

impl From<Board> for DispatchBoard {
    fn from(b: Board) -> Self {
        Self {
            open: b.open.into_iter().map(Into::into).collect(),
            recent: b.recent.into_iter().map(Into::into).collect(),
            on_duty: b.on_duty.into_iter().map(Into::into).collect(),
        }
    }
}

/// A waiting request offered to the caller.
#[derive(Object)]
pub struct RoadsideOffer {
    pub request: RoadsideRequest,
    /// From the caller's last known position.
    #[oai(nullable)]
    pub distance_m: Option<i64>,
    #[oai(nullable)]
    pub eta_minutes: Option<i64>,
}

impl From<Offer> for RoadsideOffer {
    fn from(o: Offer) -> Self {
        Self {
            request: o.request.into(),
            distance_m: o.distance_m.map(|d| d.round() as i64),
            eta_minutes: o.eta_minutes,
        }
    }
}

/// The caller's roadside duty.
#[derive(Object)]
pub struct RoadsideDuty {
    /// The workshop lets them drive out.
    pub takes_roadside: bool,
    #[oai(nullable)]
    pub on_duty_since: Option<DateTime<Utc>>,
    /// The request they are on now.
    #[oai(nullable)]
    pub current_request_id: Option<Uuid>,
}

impl RoadsideDuty {
    pub fn new(duty: Duty, current: Option<Uuid>) -> Self {
        Self {
            takes_roadside: duty.takes_roadside,
            on_duty_since: duty.on_duty_since,
            current_request_id: current,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct DutyWrite {
    pub on_duty: bool,
}

impl Example for DutyWrite {
    fn example() -> Self {
        Self { on_duty: true }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct PositionWrite {
    pub latitude: f64,
    pub longitude: f64,
}

impl Example for PositionWrite {
    fn example() -> Self {
        Self {
            latitude: 52.3702,
            longitude: 4.8952,
        }
    }
}

/// What the mechanic's phone is told after sending its position.
#[derive(Object)]
pub struct PositionTaken {
    /// The request whose driver sees this position.
    #[oai(nullable)]
    pub sharing_with: Option<Uuid>,
    #[oai(nullable)]
    pub distance_m: Option<i64>,
    #[oai(nullable)]
    pub eta_minutes: Option<i64>,
}

impl From<Reported> for PositionTaken {
    fn from(r: Reported) -> Self {
        Self {
            sharing_with: r.sharing_with,
            distance_m: r.distance_m.map(|d| d.round() as i64),
            eta_minutes: r.eta_minutes,
        }
    }
}

/// A branch's roadside settings (the branch is the one in the path).
#[derive(Object)]
#[oai(example)]
pub struct RoadsideSettingsJson {
    /// The branch takes roadside requests (it needs its position).
    pub enabled: bool,
    /// Where the branch is: the centre of its service area.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// How far it drives out, in metres.
    pub radius_m: i32,
    pub call_out_minor: i64,
    pub per_km_minor: i64,
    /// Kilometres the call-out fee includes.
    pub included_km: i32,
    /// The average speed on the road, for arrival estimates.
    pub speed_kmh: i32,
    /// A new request is offered to on-duty mechanics within `near_m`; after `widen_after_s`
    /// within `wide_m`; after `dispatcher_after_s` the dispatchers are asked.
    pub near_m: i32,
    pub wide_m: i32,
    pub widen_after_s: i32,
    pub dispatcher_after_s: i32,
    /// Targets on the dispatch board: seconds to accept, seconds to arrive.
    pub accept_target_s: i32,
    pub arrive_target_s: i32,
    /// The mechanic's share of a call-out fee, in basis points.
    pub call_out_commission_bp: i32,
}

impl Example for RoadsideSettingsJson {
    fn example() -> Self {
        RoadsideSettings {
            enabled: true,
            lat_micro: Some(52_370_216),
            lon_micro: Some(4_895_168),
            call_out_minor: 4900,
            per_km_minor: 150,
            included_km: 5,
            ..RoadsideSettings::defaults(Uuid::nil())
        }
        .into()
    }
}

impl From<RoadsideSettings> for RoadsideSettingsJson {
    fn from(s: RoadsideSettings) -> Self {
        let centre = s.centre();
        Self {
            enabled: s.enabled,
            latitude: lat(centre),
            longitude: lon(centre),
            radius_m: s.radius_m,
            call_out_minor: s.call_out_minor,
            per_km_minor: s.per_km_minor,
            included_km: s.included_km,
            speed_kmh: s.speed_kmh,
            near_m: s.near_m,
            wide_m: s.wide_m,
            widen_after_s: s.widen_after_s,
            dispatcher_after_s: s.dispatcher_after_s,
            accept_target_s: s.accept_target_s,
            arrive_target_s: s.arrive_target_s,
            call_out_commission_bp: s.call_out_commission_bp,
        }
    }
}

impl RoadsideSettingsJson {
    pub fn into_settings(self, branch_id: Uuid) -> Result<RoadsideSettings, FieldErrors> {
        let (lat_micro, lon_micro) = match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) => {
                let (a, b) = GeoPoint::new(lat, lon)
                    .map_err(|e| FieldErrors::single("latitude", e))?
                    .to_micro();
                (Some(a), Some(b))
            }
            (None, None) => (None, None),
            _ => {
                return Err(FieldErrors::single(
                    "latitude",
                    "give both latitude and longitude, or neither",
                ));
            }
        };
        Ok(RoadsideSettings {
            branch_id,
            enabled: self.enabled,
            lat_micro,
            lon_micro,
            radius_m: self.radius_m,
            call_out_minor: self.call_out_minor,
            per_km_minor: self.per_km_minor,
            included_km: self.included_km,
            speed_kmh: self.speed_kmh,
            near_m: self.near_m,
            wide_m: self.wide_m,
            widen_after_s: self.widen_after_s,
            dispatcher_after_s: self.dispatcher_after_s,
            accept_target_s: self.accept_target_s,
            arrive_target_s: self.arrive_target_s,
            call_out_commission_bp: self.call_out_commission_bp,
        })
    }
}

#[derive(Object)]
#[oai(example)]
pub struct TakesRoadsideWrite {
    pub takes_roadside: bool,
}

impl Example for TakesRoadsideWrite {
    fn example() -> Self {
        Self {
            takes_roadside: true,
        }
    }
}

#[derive(Object)]
pub struct MechanicRoadside {
    pub mechanic_id: Uuid,
    pub takes_roadside: bool,
    #[oai(nullable)]
    pub on_duty_since: Option<DateTime<Utc>>,
}

/// A message of a request's chat, oldest first in its list.
#[derive(Object)]
pub struct RoadsideMessage {
    pub id: Uuid,
    /// `driver` or `crew` (the request's mechanic or a dispatcher).
    pub side: String,
    #[oai(nullable)]
    pub author: Option<String>,
    pub body: String,
    /// `web`, or `sms` for a driver's texted answer.
    pub channel: String,
    pub created_at: DateTime<Utc>,
    /// Whether the other side has read it.
    pub read: bool,
    /// A photo: `GET …/photos/{id}` of this message.
    pub photo: bool,
}

impl From<ChatMessage> for RoadsideMessage {
    fn from(m: ChatMessage) -> Self {
        Self {
            id: m.id,
            side: match m.side {
                pitlane_frontdesk::conversations::ChatSide::Driver => "driver",
                pitlane_frontdesk::conversations::ChatSide::Crew => "crew",
            }
            .to_owned(),
            author: m.author,
            body: m.body,
            channel: m.channel,
            created_at: m.at,
            read: m.read,
            photo: m.photo,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct RoadsideMessageWrite {
    pub body: String,
}

impl Example for RoadsideMessageWrite {
    fn example() -> Self {
        Self {
            body: "I am ten minutes away; please put your hazard lights on.".into(),
        }
    }
}
