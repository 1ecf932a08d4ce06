//! The demo workshop's history: twelve months of plausible business, made once on the first
//! start right after the other demo seeds, so the dashboard and every report have something
//! to show.
//!
//! What it makes: a second branch (the first one's hours, time zone and rates, a name and
//! town of its own; a weekly sales goal on both), about 150 customers (a dozen of them
//! fleets) with their vehicles, and for every open local day of the last 365 at each branch
//! three to seven repair orders by the demo's mechanics: lines approved or declined, a job
//! with its category and mechanic, time clocked, an inspection on about a third, an
//! appointment for about half (and a few no-shows), stock used and bought in monthly, and an
//! invoice issued the same day, settled by payments (most of them), corrected by a credit
//! note (a few), or still owed (mostly recent ones, a few long overdue).
//!
//! The rows are written the way the services write them (amounts from
//! `pitlane_domain::invoicing` and `pricing`, numbers from the tenant's counters, so real
//! documents continue each sequence), all in ONE transaction that ends by bringing the
//! reports' daily figures in step with the documents: a failure leaves nothing behind.
//! The data is deterministic (a fixed xorshift seed) up to the day it is made on.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use pitlane_domain::{
    ServiceError,
    branch::BusinessHours,
    ids::TenantId,
    invoicing::{self, InvoiceStatus, PricedLine, Settlement, TaxMode, document_number},
    phone::PhoneE164,
    pricing,
    quantity::format_percent,
    repair_order::{RepairOrderStatus, display_number},
    reports::{facts, period::zone},
    vin::Vin,
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{
        appointment, bay, branch, credit_note, credit_note_line, customer, feedback, inspection,
        inspection_item, invoice, invoice_line, job, membership, mileage_reading, part, payment,
        repair_order, repair_order_event, repair_order_line, service, stock_level, stock_movement,
        tenant, tenant_counter, time_entry, vehicle, vehicle_owner,
    },
    sea_orm::{
        ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, FromQueryResult,
        IntoActiveModel, QueryFilter, QueryOrder, QueryResult, QuerySelect, sea_query::Expr,
    },
};
use uuid::Uuid;

use crate::Reports;

/// How many days of history, today included.
const DAYS: i64 = 365;
/// The customers the history is made of.
const CUSTOMERS: usize = 150;
/// Fleets among them: a company with several vehicles that comes back often.
const FLEETS: usize = 12;
/// A tenant with more invoices than this already has a history: the seed leaves it alone.
const SKIP_ABOVE_INVOICES: u64 = 50;
/// The random stream's seed: the same history every time (but for the day it ends on).
const SEED: u64 = 0x5EED_D3E0_2026_0001;

/// What the seed made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    pub branches: usize,
    pub customers: usize,
    pub vehicles: usize,
    pub appointments: usize,
    pub repair_orders: usize,
    pub lines: usize,
    pub time_entries: usize,
    pub inspections: usize,
    pub invoices: usize,
    /// Invoices still owed something (issued or partly paid).
    pub unpaid: usize,
    pub payments: usize,
    pub credit_notes: usize,
    pub stock_movements: usize,
    /// Rows of daily figures written or changed.
    pub figure_rows: usize,
}

/// Fills the demo workshop with a year of history, in one transaction. `Ok(None)` when the
/// tenant already has a history (more than a handful of invoices) or nothing to build on
/// (no branch or owner).
pub async fn seed_history(
    reports: &Reports,
    tenant: TenantId,
) -> Result<Option<Seeded>, ServiceError> {
    let tx = reports.store().tx(&TenantCtx::new(tenant)).await?;
    if tx.count(tx.select::<invoice::Entity>()).await? > SKIP_ABOVE_INVOICES {
        return Ok(None);
    }
    let Some(world) = World::read(&tx).await? else {
        return Ok(None);
    };
    let mut history = History::new(world, Utc::now());
    history.make()?;
    let seeded = history.write(&tx).await?;
    tx.commit().await?;
    Ok(Some(seeded))
}

// ---------------------------------------------------------------------------------------
// The random stream.

/// xorshift64*: small, fast, and the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { (self.next() >> 11) % n }
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below((hi - lo + 1) as u64) as i64
        }
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn per_mille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index chosen in proportion to the weights (0 when they are all 0).
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut at = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if at < *w {
                return i;
            }
            at -= w;
        }
        0
    }

    /// Thousandths in `lo..=hi` (both in thousandths) in steps of `step`.
    fn milli(&mut self, lo: i64, hi: i64, step: i64) -> i64 {
        lo + self.between(0, (hi - lo) / step) * step
    }
}

// ---------------------------------------------------------------------------------------
// What the seed builds on: the demo as the other seeds left it.

#[derive(Debug, Clone)]
struct PartInfo {
    id: Uuid,
    sku: String,
    name: String,
    cost: i64,
    price: i64,
}

#[derive(Debug, Clone)]
struct Member {
    id: Uuid,
    name: String,
}

struct World {
    workshop: tenant::Model,
    main: branch::Model,
    advisors: Vec<Member>,
    mechanics: Vec<Member>,
    /// Who stands in where a row must name a member and there is no mechanic: the owner.
    owner: Member,
    parts: Vec<PartInfo>,
    services: Vec<service::Model>,
    bays: Vec<bay::Model>,
    levels: Vec<stock_level::Model>,
    /// The phone numbers customers already have, not to be given again.
    phones: HashSet<String>,
    rules: pricing::Rules,
}

impl World {
    async fn read(tx: &TenantTx) -> Result<Option<Self>, ServiceError> {
        let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
        let Some(main) = tx
            .first(
                tx.select::<branch::Entity>()
                    .order_by_asc(branch::Column::CreatedAt)
                    .order_by_asc(branch::Column::Id),
            )
            .await?
        else {
            return Ok(None);
        };
        let names = crate::names::members(tx).await?;
        let memberships = tx
            .all(
                tx.select::<membership::Entity>()
                    .filter(membership::Column::Status.eq("active"))
                    .order_by_asc(membership::Column::CreatedAt)
                    .order_by_asc(membership::Column::Id),
            )
            .await?;
        let member = |m: &membership::Model| Member {
            id: m.id,
            name: names.get(&m.id).cloned().unwrap_or_default(),
        };
        let Some(owner) = memberships.iter().find(|m| m.role == "owner").map(member) else {
            return Ok(None);
        };
        let advisors: Vec<Member> = memberships
            .iter()
            .filter(|m| matches!(m.role.as_str(), "owner" | "manager" | "service_advisor"))
            .map(member)
            .collect();
        let mechanics: Vec<Member> = memberships
            .iter()
            .filter(|m| m.role == "mechanic")
            .map(member)
            .collect();
        let parts = tx
            .all(
                tx.select::<part::Entity>()
                    .filter(part::Column::Active.eq(true))
                    .order_by_asc(part::Column::Sku),
            )
            .await?
            .into_iter()
            .map(|p| PartInfo {
                id: p.id,
                sku: p.sku.clone(),
                name: p.name.clone(),
                cost: p.cost_minor,
                price: pitlane_inventory::parts::selling_price(&workshop, &p),
            })
            .collect();
        let services = tx
            .all(
                tx.select::<service::Entity>()
                    .filter(service::Column::Active.eq(true))
                    .order_by_asc(service::Column::Name),
            )
            .await?;
        let bays = tx
            .all(
                tx.select::<bay::Entity>()
                    .filter(bay::Column::BranchId.eq(main.id))
                    .filter(bay::Column::Active.eq(true))
                    .order_by_asc(bay::Column::Name),
            )
            .await?;
        let levels = tx
            .all(
                tx.select::<stock_level::Entity>()
                    .filter(stock_level::Column::BranchId.eq(main.id)),
            )
            .await?;
        let phones = tx
            .all(tx.select::<customer::Entity>())
            .await?
            .into_iter()
            .filter_map(|c| c.phone)
            .collect();
        let rules = pitlane_workshop::order::rules(tx, &main).await?;
        Ok(Some(Self {
            workshop,
            main,
            advisors,
            mechanics,
            owner,
            parts,
            services,
            bays,
            levels,
            phones,
            rules,
        }))
    }

    fn part(&self, sku: &str) -> Option<&PartInfo> {
        self.parts.iter().find(|p| p.sku == sku)
    }
}

// ---------------------------------------------------------------------------------------
// Names, vehicles and texts the history is written with.

#[rustfmt::skip]
const FIRST_NAMES: [&str; 48] = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mason", "Sophia", "Ethan", "Isabella", "Lucas",
    "Mia", "James", "Harper", "Benjamin", "Evelyn", "Elijah", "Abigail", "Daniel", "Emily",
    "Henry", "Grace", "Samuel", "Chloé", "Jackson", "Zoë", "Mateo", "Aaliyah", "Łukasz", "José",
    "Siobhán", "Björn", "Renée", "Ingrid", "Tomás", "Anaïs", "Jürgen", "Priyanka", "Kenji",
    "Amara", "Dmitri", "Fatima", "Oluwaseun", "Mei", "Rafael", "Nadia", "Connor", "Marisol",
    "Théo",
];

#[rustfmt::skip]
const LAST_NAMES: [&str; 48] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Young", "Hall", "Allen", "King", "Wright", "Scott", "Müller", "Nowak",
    "García", "O'Brien", "Ramírez", "Kowalczyk", "Dvořák", "Şahin", "Nguyễn", "Søndergaard",
    "Fernández", "Brennan", "Okafor", "Novák", "Lindqvist", "Castillo", "Petrović", "Yamamoto",
    "Haddad", "Côté", "Schäfer", "Núñez",
];

/// The first customers, named outright so the demo shows names beyond ASCII.
const NAMED: [&str; 4] = [
    "Zoë Müller",
    "Łukasz Nowak",
    "José García",
    "Siobhán O'Brien",
];

const COMPANIES: [&str; FLEETS] = [
    "Springfield Cab Co.",
    "Riverside Plumbing & Heating",
    "Green Valley Florists",
    "Capitol Courier Service",
    "Oak Street Bakery",
    "Lakeside Property Management",
    "Prairie Electric",
    "Sunrise Home Care",
    "Maple Leaf Landscaping",
    "Union Station Catering",
    "Bright Spark Cleaning",
    "Northside Veterinary Clinic",
];

const STREETS: [&str; 12] = [
    "Elm Street",
    "Maple Avenue",
    "Lincoln Boulevard",
    "Cedar Lane",
    "Washington Street",
    "Lakeview Drive",
    "Park Avenue",
    "Chestnut Street",
    "Monroe Street",
    "Walnut Court",
    "Jefferson Avenue",
    "Prairie Road",
];

/// Make, model, first and last model year, the maker's identifier (a VIN's first three
/// characters), and whether fleets buy it.
const MODELS: [(&str, &str, i32, i32, &str, bool); 18] = [
    ("Toyota", "Camry", 2012, 2024, "4T1", true),
    ("Toyota", "RAV4", 2013, 2024, "2T3", false),
    ("Toyota", "Corolla", 2010, 2024, "2T1", false),
    ("Honda", "Civic", 2011, 2024, "2HG", false),
    ("Honda", "CR-V", 2012, 2024, "5J6", false),
    ("Ford", "F-150", 2010, 2024, "1FT", true),
    ("Ford", "Escape", 2013, 2023, "1FM", false),
    ("Ford", "Transit", 2015, 2024, "1FT", true),
    ("Chevrolet", "Silverado", 2011, 2024, "1GC", true),
    ("Chevrolet", "Equinox", 2012, 2024, "2GN", false),
    ("Nissan", "Altima", 2012, 2023, "1N4", false),
    ("Hyundai", "Elantra", 2013, 2024, "5NP", false),
    ("Kia", "Sportage", 2014, 2024, "KND", false),
    ("Subaru", "Outback", 2012, 2024, "4S4", false),
    ("Jeep", "Grand Cherokee", 2011, 2023, "1C4", false),
    ("Volkswagen", "Jetta", 2011, 2023, "3VW", false),
    ("Mazda", "CX-5", 2014, 2024, "JM3", false),
    ("Ram", "1500", 2012, 2024, "1C6", true),
];

#[rustfmt::skip]
const COLOURS: [&str; 8] = [
    "White", "Black", "Silver", "Grey", "Blue", "Red", "Green", "Beige",
];

const FINDING_NOTES: [&str; 6] = [
    "Worn; replace soon",
    "Monitor; recheck at the next service",
    "Slight seepage",
    "Below the recommended level",
    "Cracked",
    "Customer informed",
];

const CREDIT_REASONS: [&str; 4] = [
    "Goodwill: the car was ready later than promised",
    "Labour charged above the estimate",
    "Part returned unused",
    "Price match with a quote from another garage",
];

/// A letter for a VIN or plate (no I, O or Q).
const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// The kinds of work a repair order is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    OilService,
    AnnualService,
    BrakePads,
    BrakeCheck,
    Tyres,
    Diagnostics,
    Electrical,
    Alignment,
    PrePurchase,
}

impl Work {
    const ALL: [Work; 9] = [
        Work::OilService,
        Work::AnnualService,
        Work::BrakePads,
        Work::BrakeCheck,
        Work::Tyres,
        Work::Diagnostics,
        Work::Electrical,
        Work::Alignment,
        Work::PrePurchase,
    ];

    /// How often it comes in, in this month (tyres in spring and autumn, batteries in
    /// winter, pre-purchase checks in summer).
    fn weight(self, month: u32) -> u64 {
        match self {
            Work::OilService => 26,
            Work::AnnualService => 10,
            Work::BrakePads => 12,
            Work::BrakeCheck => 6,
            Work::Tyres if matches!(month, 4 | 10 | 11) => 18,
            Work::Tyres => 7,
            Work::Diagnostics => 11,
            Work::Electrical if matches!(month, 12 | 1 | 2) => 12,
            Work::Electrical => 7,
            Work::Alignment => 7,
            Work::PrePurchase if (5..=8).contains(&month) => 6,
            Work::PrePurchase => 3,
        }
    }

    /// The work category: the job's skill ('' for none).
    fn category(self) -> &'static str {
        match self {
            Work::OilService | Work::AnnualService => "service",
            Work::BrakePads | Work::BrakeCheck => "brakes",
            Work::Tyres => "tyres",
            Work::Diagnostics => "diagnostics",
            Work::Electrical => "electrical",
            Work::Alignment => "alignment",
            Work::PrePurchase => "",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Work::OilService => "Oil service",
            Work::AnnualService => "Annual service",
            Work::BrakePads => "Front brake pads",
            Work::BrakeCheck => "Brake inspection",
            Work::Tyres => "Tyres",
            Work::Diagnostics => "Diagnosis",
            Work::Electrical => "Electrical fault",
            Work::Alignment => "Wheel alignment",
            Work::PrePurchase => "Pre-purchase inspection",
        }
    }

    fn concerns(self) -> &'static [&'static str] {
        match self {
            Work::OilService => &["Oil change due", "Oil service light is on"],
            Work::AnnualService => &["Yearly service", "Service due by the maintenance schedule"],
            Work::BrakePads => &[
                "Squealing from the front when braking",
                "Brake warning light on",
            ],
            Work::BrakeCheck => &["Brakes feel soft", "Grinding noise when stopping"],
            Work::Tyres => &["Seasonal tyre change", "Tyres worn, wants new ones fitted"],
            Work::Diagnostics => &[
                "Check-engine light on",
                "Engine hesitates when accelerating",
                "Rattle from under the car",
            ],
            Work::Electrical => &[
                "Car would not start this morning",
                "Headlight and dashboard flicker",
                "Battery keeps going flat",
            ],
            Work::Alignment => &["Pulls to the left", "Steering wheel off centre"],
            Work::PrePurchase => &["Check before buying the car"],
        }
    }

    /// The booking service an appointment for this work is made for, by name.
    fn service(self) -> &'static str {
        match self {
            Work::OilService => "Oil and filter change",
            Work::AnnualService | Work::PrePurchase | Work::Diagnostics | Work::Electrical => {
                "Annual service"
            }
            Work::BrakePads | Work::BrakeCheck => "Brake inspection",
            Work::Tyres | Work::Alignment => "Wheel alignment",
        }
    }

    /// Whether the order always gets an inspection.
    fn inspected(self) -> bool {
        matches!(
            self,
            Work::AnnualService | Work::BrakeCheck | Work::PrePurchase
        )
    }
}

/// Points of the built-in inspection a recommended line can come from.
const ITEM_FRONT_BRAKES: usize = 0;
const ITEM_BRAKE_FLUID: usize = 2;
const ITEM_FRONT_TYRES: usize = 3;
const ITEM_BATTERY: usize = 8;
const ITEM_WIPERS: usize = 14;

/// A line of an estimate, before it has ids.
#[derive(Debug, Clone)]
struct LinePlan {
    kind: &'static str,
    description: String,
    quantity_milli: i64,
    unit_price: i64,
    unit_cost: i64,
    part: Option<Uuid>,
    /// Labour and parts are the job's; fees and discounts are the order's.
    on_job: bool,
    /// `manual` or `canned` (an inspection finding is marked when the order has one).
    source: &'static str,
    declined: bool,
    /// The inspection point this recommendation comes from.
    finding: Option<usize>,
}

// ---------------------------------------------------------------------------------------
// The history, made in memory first and written after.

struct BranchPlan {
    row: branch::Model,
    tz: Tz,
    /// Opening and closing minute per weekday, Monday first; `None` when closed.
    hours: [Option<(i64, i64)>; 7],
    /// Indexes into the mechanics who work here.
    team: Vec<usize>,
    bays: Vec<bay::Model>,
}

struct CustomerPlan {
    joined: NaiveDate,
    /// The last day they come (they moved away), if they stop.
    lapses: Option<NaiveDate>,
    weight: u64,
    vehicles: Vec<usize>,
    visits: u32,
}

struct VehiclePlan {
    /// Mileage on the first day of the history and per day since.
    start: i64,
    per_day: i64,
    last: i64,
    /// The vehicle's last order and its day: a few come back within weeks (comebacks).
    last_order: Option<(Uuid, NaiveDate)>,
}

/// Per bay and mechanic (by id), the spans of the day's visits that hold them.
type Held = HashMap<Uuid, Vec<(DateTime<Utc>, DateTime<Utc>)>>;

/// A payment of an invoice; receipts are numbered once all are made, in time order.
struct PaymentPlan {
    invoice: usize,
    method: &'static str,
    amount: i64,
    at: DateTime<Utc>,
    by: Option<String>,
}

#[derive(Default)]
struct Rows {
    customers: Vec<customer::Model>,
    vehicles: Vec<vehicle::Model>,
    owners: Vec<vehicle_owner::Model>,
    appointments: Vec<appointment::Model>,
    orders: Vec<repair_order::Model>,
    jobs: Vec<job::Model>,
    lines: Vec<repair_order_line::Model>,
    time_entries: Vec<time_entry::Model>,
    inspections: Vec<inspection::Model>,
    items: Vec<inspection_item::Model>,
    events: Vec<repair_order_event::Model>,
    readings: Vec<mileage_reading::Model>,
    invoices: Vec<invoice::Model>,
    invoice_lines: Vec<invoice_line::Model>,
    credit_notes: Vec<credit_note::Model>,
    credit_lines: Vec<credit_note_line::Model>,
    payments: Vec<payment::Model>,
    movements: Vec<stock_movement::Model>,
    /// New stock levels (the second branch's).
    levels: Vec<stock_level::Model>,
}

struct History {
    world: World,
    now: DateTime<Utc>,
    today: NaiveDate,
    first_day: NaiveDate,
    rng: Rng,
    tenant: Uuid,
    branches: Vec<BranchPlan>,
    customers: Vec<CustomerPlan>,
    vehicles: Vec<VehiclePlan>,
    /// Per mechanic, the minute of the day they are free again.
    free_at: HashMap<usize, i64>,
    /// Per bay and mechanic (by id), the day's visits that hold them.
    held: Held,
    payments: Vec<PaymentPlan>,
    rows: Rows,
}

/// A uuid v7 of the moment a row was made, so lists in id order read as the history did.
fn id_at(at: DateTime<Utc>) -> Uuid {
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        at.timestamp().max(0) as u64,
        at.timestamp_subsec_nanos(),
    ))
}

/// A local day's minute as an instant (a minute the clock skips reads as UTC).
fn local(tz: Tz, day: NaiveDate, minute: i64) -> DateTime<Utc> {
    let naive = day.and_time(NaiveTime::MIN) + Duration::minutes(minute.clamp(0, 24 * 60 - 1));
    naive
        .and_local_timezone(tz)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

fn minute_of(at: &str) -> Option<i64> {
    use chrono::Timelike;
    let t = NaiveTime::parse_from_str(at, "%H:%M").ok()?;
    Some(i64::from(t.hour() * 60 + t.minute()))
}

/// The hours a branch keeps, with Saturday mornings added when it has none (the history has
/// a workshop open six days a week).
fn with_saturday(raw: &serde_json::Value) -> BusinessHours {
    let mut hours: BusinessHours =
        serde_json::from_value(raw.clone()).unwrap_or_else(|_| BusinessHours::weekdays_8_to_5());
    if hours.0.get("sat").is_none_or(Vec::is_empty) {
        hours
            .0
            .insert("sat".into(), vec![["08:00".into(), "13:00".into()]]);
    }
    hours
}

fn opening(hours: &BusinessHours) -> [Option<(i64, i64)>; 7] {
    let mut out = [None; 7];
    for (i, (name, _)) in pitlane_domain::branch::DAYS.iter().enumerate() {
        let spans = hours.0.get(*name).map(Vec::as_slice).unwrap_or_default();
        let open = spans.iter().filter_map(|[o, _]| minute_of(o)).min();
        let close = spans.iter().filter_map(|[_, c]| minute_of(c)).max();
        if let (Some(open), Some(close)) = (open, close)
            && close > open
        {
            out[i] = Some((open, close));
        }
    }
    out
}

/// The tax's name on a document, as the invoices name the branch's standard rate.
fn rate_name(rate_bp: i32) -> String {
    if rate_bp == 0 {
        "No tax".into()
    } else {
        format!("Tax {}", format_percent(rate_bp))
    }
}

/// A name as the ASCII of an e-mail address: `Zoë Müller` → `zoe.muller`.
fn ascii_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'a'..='z' | '0'..='9' => Some(c),
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' => Some('a'),
            'ç' | 'ć' | 'č' => Some('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' | 'ễ' | 'ệ' => Some('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ı' => Some('i'),
            'ł' => Some('l'),
            'ñ' | 'ń' => Some('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => Some('o'),
            'ř' => Some('r'),
            'ś' | 'š' | 'ş' => Some('s'),
            'ù' | 'ú' | 'û' | 'ü' | 'ů' => Some('u'),
            'ý' => Some('y'),
            'ź' | 'ż' | 'ž' => Some('z'),
            'ğ' => Some('g'),
            'ß' => {
                out.push('s');
                Some('s')
            }
            ' ' | '-' => Some('.'),
            _ => None,
        };
        if let Some(p) = plain
            && !(p == '.' && (out.is_empty() || out.ends_with('.')))
        {
            out.push(p);
        }
    }
    out.trim_matches('.').to_owned()
}

/// A VIN with a correct check digit (the North American rule), unique by its serial.
fn make_vin(rng: &mut Rng, wmi: &str, year: i32, serial: usize) -> Option<String> {
    const YEARS: &[u8] = b"ABCDEFGHJKLMNPRSTVWXY123456789";
    let mut chars: Vec<u8> = wmi.bytes().collect();
    for _ in 0..5 {
        chars.push(LETTERS[rng.below(LETTERS.len() as u64) as usize]);
    }
    chars.push(b'0');
    chars.push(YEARS[((year - 2010).rem_euclid(30)) as usize]);
    chars.push(LETTERS[rng.below(LETTERS.len() as u64) as usize]);
    chars.extend(format!("{:06}", 100_000 + serial).bytes());
    let value = |c: u8| -> u32 {
        match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A' | b'J' => 1,
            b'B' | b'K' | b'S' => 2,
            b'C' | b'L' | b'T' => 3,
            b'D' | b'M' | b'U' => 4,
            b'E' | b'N' | b'V' => 5,
            b'F' | b'W' => 6,
            b'G' | b'P' | b'X' => 7,
            b'H' | b'Y' => 8,
            _ => 9,
        }
    };
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let sum: u32 = chars.iter().zip(WEIGHTS).map(|(c, w)| value(*c) * w).sum();
    chars[8] = match sum % 11 {
        10 => b'X',
        d => b'0' + d as u8,
    };
    let raw = String::from_utf8(chars).ok()?;
    Vin::parse(&raw).ok().map(Vin::into_inner)
}

/// An amount of the same order as an hour's labour: `percent` of the rate, in whole steps.
fn of_rate(rate: i64, percent: i64) -> i64 {
    let step = (rate / 200).max(1);
    (rate * percent / 100 / step).max(1) * step
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(format!("the demo history: {e}"))
}

impl History {
    fn new(world: World, now: DateTime<Utc>) -> Self {
        let tz = zone(&world.main.time_zone);
        let today = now.with_timezone(&tz).date_naive();
        let tenant = world.main.tenant_id;
        Self {
            world,
            now,
            today,
            first_day: today - Duration::days(DAYS - 1),
            rng: Rng(SEED),
            tenant,
            branches: Vec::new(),
            customers: Vec::new(),
            vehicles: Vec::new(),
            free_at: HashMap::new(),
            held: HashMap::new(),
            payments: Vec::new(),
            rows: Rows::default(),
        }
    }

    fn make(&mut self) -> Result<(), ServiceError> {
        self.make_branches();
        self.make_customers();
        let mut day = self.first_day;
        while day <= self.today {
            self.free_at.clear();
            self.held.clear();
            for b in 0..self.branches.len() {
                self.make_day(b, day)?;
            }
            day += Duration::days(1);
        }
        self.make_restocking();
        self.set_goals();
        Ok(())
    }

    // -- branches --------------------------------------------------------------------

    fn make_branches(&mut self) {
        let main = self.world.main.clone();
        let hours = with_saturday(&main.business_hours);
        let hours_json =
            serde_json::to_value(&hours).unwrap_or_else(|_| main.business_hours.clone());
        let mut first = main.clone();
        first.business_hours = hours_json.clone();
        let second = branch::Model {
            tenant_id: self.tenant,
            id: Uuid::now_v7(),
            name: if main.name == "Riverside" {
                "Riverside East".into()
            } else {
                "Riverside".into()
            },
            address_line1: Some("480 River Road".into()),
            address_line2: None,
            city: Some("Shelbyville".into()),
            postal_code: main.postal_code.as_ref().map(|_| "62565".into()),
            region: main.region.clone(),
            country: main.country.clone(),
            phone: None,
            time_zone: main.time_zone.clone(),
            business_hours: hours_json,
            labour_rate_minor: main.labour_rate_minor,
            labour_cost_minor: main.labour_cost_minor,
            tax_rate_bp: main.tax_rate_bp,
            weekly_sales_goal_minor: 0,
            digest_hour: main.digest_hour,
            created_at: self.now,
            updated_at: self.now,
        };
        let tz = zone(&main.time_zone);
        let open = opening(&hours);
        let mechanics = self.world.mechanics.len();
        // Two mechanics or more: each branch has its own; one: they share.
        let team = |b: usize| -> Vec<usize> {
            if mechanics >= 2 {
                (0..mechanics).filter(|m| m % 2 == b).collect()
            } else {
                (0..mechanics).collect()
            }
        };
        let second_bays: Vec<bay::Model> = self
            .world
            .bays
            .iter()
            .map(|b| bay::Model {
                tenant_id: self.tenant,
                id: Uuid::now_v7(),
                branch_id: second.id,
                name: b.name.clone(),
                kind: b.kind.clone(),
                active: true,
                created_at: self.now,
            })
            .collect();
        self.branches = vec![
            BranchPlan {
                row: first,
                tz,
                hours: open,
                team: team(0),
                bays: self.world.bays.clone(),
            },
            BranchPlan {
                row: second,
                tz,
                hours: open,
                team: team(1),
                bays: second_bays,
            },
        ];
    }

    // -- customers and vehicles ------------------------------------------------------

    fn make_customers(&mut self) {
        let tz = self.branches[0].tz;
        let us = self.world.main.country.as_deref().is_none_or(|c| c == "US");
        let mut names: HashSet<String> = HashSet::new();
        let mut plates: HashSet<String> = HashSet::new();
        let mut phones_used = 0usize;
        let town = self
            .world
            .main
            .city
            .clone()
            .unwrap_or_else(|| "Springfield".into());
        for i in 0..CUSTOMERS {
            let fleet = i >= NAMED.len() && i < NAMED.len() + FLEETS;
            let name = loop {
                let name = if i < NAMED.len() {
                    NAMED[i].to_owned()
                } else {
                    format!(
                        "{} {}",
                        self.rng.pick(&FIRST_NAMES),
                        self.rng.pick(&LAST_NAMES)
                    )
                };
                if names.insert(name.clone()) {
                    break name;
                }
            };
            let company = fleet.then(|| COMPANIES[i - NAMED.len()].to_owned());
            let joined = if self.rng.percent(45) {
                self.first_day - Duration::days(self.rng.between(30, 900))
            } else {
                self.first_day + Duration::days(self.rng.between(0, DAYS - 35))
            };
            let created_at = local(tz, joined, self.rng.between(7 * 60, 7 * 60 + 40));
            let slug = ascii_slug(&name);
            let email = match &company {
                Some(c) => Some(format!(
                    "accounts@{}.example.com",
                    ascii_slug(c).replace('.', "")
                )),
                None if self.rng.percent(88) => Some(format!(
                    "{slug}{}@{}",
                    if self.rng.percent(30) {
                        self.rng.between(1, 99).to_string()
                    } else {
                        String::new()
                    },
                    self.rng
                        .pick(&["example.com", "example.net", "example.org"])
                )),
                None => None,
            };
            // Numbers 555-0100 to 555-0199 are the fictional ones.
            let mut phone = None;
            if self.rng.percent(85) {
                while phone.is_none() && phones_used < 300 {
                    let area = ["312", "773", "217"][phones_used / 100];
                    let raw = format!("+1 {area} 555 01{:02}", phones_used % 100);
                    phones_used += 1;
                    phone = PhoneE164::parse(&raw, None)
                        .ok()
                        .filter(|p| !self.world.phones.contains(p.as_str()));
                }
            }
            let address = self.rng.percent(60).then(|| {
                format!(
                    "{} {}, {town}",
                    self.rng.between(2, 2400),
                    self.rng.pick(&STREETS)
                )
            });
            let consent = |on: bool| on.then_some(created_at);
            let source = |on: bool| on.then(|| "demo data".to_owned());
            let email_ok = email.is_some();
            let sms_ok = phone.is_some() && self.rng.percent(40);
            let marketing_ok = email_ok && self.rng.percent(50);
            let customer_id = id_at(created_at);
            let count = if fleet {
                self.rng.between(3, 8) as usize
            } else if self.rng.percent(20) {
                2
            } else {
                1
            };
            let mut vehicle_ids = Vec::new();
            let mut search_parts: Vec<String> = vec![name.clone()];
            search_parts.extend(email.clone());
            if let Some(p) = &phone {
                search_parts.push(p.as_str().to_owned());
                search_parts.push(p.national_digits());
            }
            search_parts.extend(company.clone());
            for _ in 0..count {
                let models: Vec<&(&str, &str, i32, i32, &str, bool)> =
                    MODELS.iter().filter(|m| !fleet || m.5).collect();
                let (make, model, from, to, wmi, _) = **self.rng.pick(&models);
                let year = self.rng.between(i64::from(from), i64::from(to)) as i32;
                let plate = loop {
                    let l = |r: &mut Rng| LETTERS[r.below(LETTERS.len() as u64) as usize] as char;
                    let plate = if us {
                        format!(
                            "IL {}{}{} {:03}",
                            self.rng.between(1, 9),
                            l(&mut self.rng),
                            l(&mut self.rng),
                            self.rng.between(0, 999)
                        )
                    } else {
                        format!(
                            "{}{}-{}{} {}",
                            l(&mut self.rng),
                            l(&mut self.rng),
                            l(&mut self.rng),
                            l(&mut self.rng),
                            self.rng.between(100, 9999)
                        )
                    };
                    if plates.insert(plate.clone()) {
                        break plate;
                    }
                };
                let serial = self.rows.vehicles.len();
                let vin = self
                    .rng
                    .percent(70)
                    .then(|| make_vin(&mut self.rng, wmi, year, serial))
                    .flatten();
                let age = (i64::from(self.today.year()) - i64::from(year)).max(0);
                let per_day = if fleet {
                    self.rng.between(60, 110)
                } else {
                    self.rng.between(18, 45)
                };
                let start = (age * 365 * per_day + self.rng.between(0, 4000)).max(500);
                let vehicle_created = created_at + Duration::minutes(2);
                search_parts.push(plate.clone());
                search_parts.extend(vin.clone());
                let row = vehicle::Model {
                    tenant_id: self.tenant,
                    id: id_at(vehicle_created),
                    customer_id: Some(customer_id),
                    vin,
                    plate: Some(plate),
                    plate_region: None,
                    make: Some(make.into()),
                    model: Some(model.into()),
                    year: Some(year),
                    engine: None,
                    colour: Some((*self.rng.pick(&COLOURS)).into()),
                    mileage_unit: if us { "mi" } else { "km" }.into(),
                    last_mileage: Some(start),
                    next_service_on: None,
                    next_service_mileage: None,
                    maintenance_notified_at: None,
                    created_at: vehicle_created,
                    updated_at: vehicle_created,
                };
                self.rows.owners.push(vehicle_owner::Model {
                    tenant_id: self.tenant,
                    id: id_at(vehicle_created),
                    vehicle_id: row.id,
                    customer_id: Some(customer_id),
                    owner_name: name.clone(),
                    from_at: vehicle_created,
                    until_at: None,
                });
                vehicle_ids.push(self.rows.vehicles.len());
                self.vehicles.push(VehiclePlan {
                    start,
                    per_day,
                    last: start,
                    last_order: None,
                });
                self.rows.vehicles.push(row);
            }
            let lapses = (!fleet && self.rng.percent(10))
                .then(|| joined.max(self.first_day) + Duration::days(self.rng.between(40, 200)));
            self.customers.push(CustomerPlan {
                joined,
                lapses,
                weight: if fleet {
                    self.rng.between(5, 9) as u64
                } else {
                    self.rng.between(1, 3) as u64
                },
                vehicles: vehicle_ids,
                visits: 0,
            });
            self.rows.customers.push(customer::Model {
                tenant_id: self.tenant,
                id: customer_id,
                search: pitlane_frontdesk::search::search_text(
                    search_parts.iter().map(String::as_str),
                ),
                name,
                email,
                phone: phone.map(PhoneE164::into_inner),
                company,
                address,
                tags: if fleet { "fleet".into() } else { String::new() },
                email_consent_at: consent(email_ok),
                email_consent_source: source(email_ok),
                sms_consent_at: consent(sms_ok),
                sms_consent_source: source(sms_ok),
                marketing_consent_at: consent(marketing_ok),
                marketing_consent_source: source(marketing_ok),
                marketing_unsubscribed_at: None,
                user_id: None,
                merged_into: None,
                erased_at: None,
                created_at,
                updated_at: created_at,
            });
        }
    }

    /// A customer who may come on this day, in proportion to how often they do; new ones
    /// come soon after they first got in touch.
    fn pick_customer(&mut self, day: NaiveDate) -> Option<usize> {
        let weights: Vec<u64> = self
            .customers
            .iter()
            .map(|c| {
                if c.joined > day || c.lapses.is_some_and(|l| l < day) {
                    0
                } else if c.visits == 0 && (day - c.joined).num_days() < 21 {
                    c.weight * 6
                } else {
                    c.weight
                }
            })
            .collect();
        if weights.iter().all(|w| *w == 0) {
            return None;
        }
        Some(self.rng.weighted(&weights))
    }

    // -- a day at a branch -----------------------------------------------------------

    fn make_day(&mut self, b: usize, day: NaiveDate) -> Result<(), ServiceError> {
        let weekday = day.weekday().num_days_from_monday() as usize;
        let Some((open, close)) = self.branches[b].hours[weekday] else {
            return Ok(());
        };
        let month = day.month();
        let saturday = day.weekday() == Weekday::Sat;
        let mut count = if saturday {
            self.rng.between(2, 4)
        } else {
            self.rng.between(3, 7)
        };
        let busy = matches!(month, 3 | 4 | 5 | 10 | 11);
        let quiet = matches!(month, 1 | 8 | 12);
        if busy && self.rng.percent(30) {
            count += 1;
        }
        if quiet && self.rng.percent(30) {
            count -= 1;
        }
        // A little growth over the year.
        if (day - self.first_day).num_days() > 240 && self.rng.percent(15) {
            count += 1;
        }
        let count = count.clamp(if saturday { 2 } else { 3 }, 7);
        let last_drop = open + (close - open) * 6 / 10;
        let mut drops: Vec<i64> = (0..count)
            .map(|_| self.rng.between(open - 10, last_drop))
            .collect();
        drops.sort_unstable();
        for drop in drops {
            self.make_order(b, day, drop, (open, close))?;
        }
        if self.rng.percent(9) {
            self.make_no_show(b, day, (open, close));
        }
        Ok(())
    }

    /// The branch's mechanic who is free first.
    fn mechanic_for(&self, b: usize) -> Option<usize> {
        self.branches[b]
            .team
            .iter()
            .copied()
            .min_by_key(|m| (self.free_at.get(m).copied().unwrap_or(0), *m))
    }

    fn advisor(&mut self) -> Member {
        if self.world.advisors.is_empty() {
            self.world.owner.clone()
        } else {
            self.rng.pick(&self.world.advisors).clone()
        }
    }

    fn make_no_show(&mut self, b: usize, day: NaiveDate, (open, close): (i64, i64)) {
        let Some(customer) = self.pick_customer(day) else {
            return;
        };
        let tz = self.branches[b].tz;
        let start = (self.rng.between(open, close - 60) / 15) * 15;
        let starts_at = local(tz, day, start);
        if starts_at > self.now {
            return;
        }
        let vehicle = *self.rng.pick(&self.customers[customer].vehicles);
        let work = Work::ALL[self.rng.below(Work::ALL.len() as u64) as usize];
        let mechanic = self
            .mechanic_for(b)
            .map_or(self.world.owner.id, |m| self.world.mechanics[m].id);
        self.appointment(
            b, customer, vehicle, work, mechanic, starts_at, None, "no_show",
        );
    }

    /// An appointment for a visit (`converted` with the mileage it came in with) or a
    /// `no_show`; `None` when the workshop has no service or bay to book.
    #[allow(clippy::too_many_arguments)]
    fn appointment(
        &mut self,
        b: usize,
        customer: usize,
        vehicle: usize,
        work: Work,
        mechanic: Uuid,
        starts_at: DateTime<Utc>,
        mileage: Option<i64>,
        status: &str,
    ) -> Option<Uuid> {
        let service = self
            .world
            .services
            .iter()
            .find(|s| s.name == work.service())
            .or_else(|| {
                self.world
                    .services
                    .iter()
                    .find(|s| s.skill.as_deref() == Some(work.category()))
            })
            .or(self.world.services.first())?
            .clone();
        let length = Duration::minutes(i64::from(service.duration_minutes.max(15)));
        // Bays of the service's kind first.
        let mut bays: Vec<Uuid> = self.branches[b].bays.iter().map(|bay| bay.id).collect();
        bays.sort_by_key(|id| {
            self.branches[b]
                .bays
                .iter()
                .find(|bay| bay.id == *id)
                .is_none_or(|bay| Some(&bay.kind) != service.bay_kind.as_ref())
        });
        // A visit holds its bay and mechanic (the schema refuses two at once): near the time
        // asked for, the first slot where both are free.
        let holds = status == "converted";
        let free = |busy: &Held, id: Uuid, from, to| {
            !holds
                || busy
                    .get(&id)
                    .is_none_or(|spans| spans.iter().all(|(a, b)| *b <= from || to <= *a))
        };
        let (starts_at, bay) = [0, -15, 15, -30, 30].into_iter().find_map(|shift| {
            let from = starts_at + Duration::minutes(shift);
            let to = from + length;
            if from > self.now || !free(&self.held, mechanic, from, to) {
                return None;
            }
            bays.iter()
                .find(|bay| free(&self.held, **bay, from, to))
                .map(|bay| (from, *bay))
        })?;
        if holds {
            for id in [mechanic, bay] {
                self.held
                    .entry(id)
                    .or_default()
                    .push((starts_at, starts_at + length));
            }
        }
        let branch = &self.branches[b];
        let online = self.rng.percent(35);
        let booked_days = self.rng.between(1, 14);
        let booked_day =
            starts_at.with_timezone(&branch.tz).date_naive() - Duration::days(booked_days);
        let booked = local(
            branch.tz,
            booked_day,
            if online {
                self.rng.between(6 * 60, 23 * 60)
            } else {
                self.rng.between(8 * 60, 17 * 60)
            },
        )
        .max(self.rows.customers[customer].created_at + Duration::minutes(1))
        .min(starts_at - Duration::minutes(30));
        let id = id_at(booked);
        self.rows.appointments.push(appointment::Model {
            tenant_id: self.tenant,
            id,
            branch_id: branch.row.id,
            customer_id: self.rows.customers[customer].id,
            vehicle_id: Some(self.rows.vehicles[vehicle].id),
            service_id: service.id,
            bay_id: bay,
            mechanic_id: mechanic,
            starts_at,
            ends_at: starts_at + length,
            status: status.into(),
            source: if online { "online" } else { "staff" }.into(),
            notes: None,
            sequence: 0,
            arrival_mileage: mileage,
            key_location: None,
            created_at: booked,
            updated_at: starts_at,
        });
        Some(id)
    }

    /// The estimate's lines for a kind of work.
    fn lines_for(&mut self, work: Work, b: usize) -> Vec<LinePlan> {
        let rate = self.branches[b].row.labour_rate_minor;
        let labour_cost = self.branches[b].row.labour_cost_minor;
        let mut out = Vec::new();
        let labour = |description: &str, hours: i64| LinePlan {
            kind: "labour",
            description: description.into(),
            quantity_milli: hours,
            unit_price: rate,
            unit_cost: labour_cost,
            part: None,
            on_job: true,
            source: "manual",
            declined: false,
            finding: None,
        };
        let fee = |description: &str, amount: i64| LinePlan {
            kind: "fee",
            description: description.into(),
            quantity_milli: 1000,
            unit_price: amount,
            unit_cost: 0,
            part: None,
            on_job: false,
            source: "manual",
            declined: false,
            finding: None,
        };
        let part = |info: Option<&PartInfo>, quantity: i64| {
            info.map(|p| LinePlan {
                kind: "part",
                description: p.name.clone(),
                quantity_milli: quantity,
                unit_price: p.price,
                unit_cost: p.cost,
                part: Some(p.id),
                on_job: true,
                source: "manual",
                declined: false,
                finding: None,
            })
        };
        let canned = |mut l: LinePlan| {
            l.source = "canned";
            l
        };
        let recommended = |mut l: LinePlan, declined: bool, finding: Option<usize>| {
            l.declined = declined;
            l.finding = finding;
            l
        };
        let filter = self.world.part("OF-100").cloned();
        let oil = self.world.part("OIL-5W30").cloned();
        let pads = self.world.part("BP-220").cloned();
        let wipers = self.world.part("WB-60").cloned();
        let rng = &mut self.rng;
        match work {
            Work::OilService => {
                out.push(canned(labour(
                    "Drain and refill engine oil, replace filter",
                    rng.milli(500, 1000, 100),
                )));
                out.extend(part(filter.as_ref(), 1000).map(canned));
                out.extend(part(oil.as_ref(), rng.milli(4000, 6000, 500)).map(canned));
                if rng.percent(30)
                    && let Some(l) = part(wipers.as_ref(), 1000)
                {
                    out.push(recommended(l, rng.percent(50), Some(ITEM_WIPERS)));
                }
                if out.len() < 2 {
                    out.push(fee("Waste oil disposal", of_rate(rate, 7)));
                }
            }
            Work::AnnualService => {
                out.push(labour(
                    "Annual service to the maker's schedule",
                    rng.milli(1500, 3000, 100),
                ));
                out.extend(part(filter.as_ref(), 1000));
                out.extend(part(oil.as_ref(), rng.milli(4500, 6500, 500)));
                out.push(fee("Waste oil and filter disposal", of_rate(rate, 7)));
                if rng.percent(30) {
                    out.push(recommended(
                        labour("Replace cabin air filter", 500),
                        rng.percent(50),
                        None,
                    ));
                }
            }
            Work::BrakePads => {
                out.push(canned(labour(
                    "Replace front brake pads",
                    rng.milli(1000, 1500, 100),
                )));
                out.extend(part(pads.as_ref(), 1000).map(canned));
                if rng.percent(40) {
                    out.push(recommended(
                        labour("Brake fluid flush", rng.milli(500, 800, 100)),
                        rng.percent(45),
                        Some(ITEM_BRAKE_FLUID),
                    ));
                }
                if out.len() < 2 {
                    out.push(labour("Clean and adjust rear brakes", 500));
                }
            }
            Work::BrakeCheck => {
                out.push(labour(
                    "Brake inspection and report",
                    rng.milli(500, 1000, 100),
                ));
                if rng.percent(45) {
                    let declined = rng.percent(35);
                    out.push(recommended(
                        labour("Replace front brake pads", rng.milli(1000, 1500, 100)),
                        declined,
                        Some(ITEM_FRONT_BRAKES),
                    ));
                    if let Some(l) = part(pads.as_ref(), 1000) {
                        out.push(recommended(l, declined, None));
                    }
                } else {
                    out.push(labour(
                        "Clean and adjust rear brakes",
                        rng.milli(500, 1000, 100),
                    ));
                }
            }
            Work::Tyres => {
                out.push(labour("Fit and balance tyres", rng.milli(800, 1500, 100)));
                out.push(fee("Tyre disposal", of_rate(rate, 15)));
                if rng.percent(30) {
                    out.push(recommended(
                        labour("Wheel alignment", 1000),
                        rng.percent(50),
                        Some(ITEM_FRONT_TYRES),
                    ));
                }
            }
            Work::Diagnostics => {
                out.push(labour("Diagnose warning light", rng.milli(500, 1500, 100)));
                out.push(fee("Diagnostic scan", of_rate(rate, 35)));
                if rng.percent(55) {
                    out.push(recommended(
                        labour("Repair as diagnosed", rng.milli(1000, 3000, 100)),
                        rng.percent(30),
                        None,
                    ));
                }
            }
            Work::Electrical => {
                out.push(labour("Trace electrical fault", rng.milli(1000, 3000, 100)));
                out.push(fee("Battery and charging test", of_rate(rate, 15)));
                if rng.percent(25) {
                    out.push(recommended(
                        labour("Clean and protect battery terminals", 500),
                        rng.percent(40),
                        Some(ITEM_BATTERY),
                    ));
                }
            }
            Work::Alignment => {
                out.push(labour("Four-wheel alignment", rng.milli(1000, 1500, 100)));
                if rng.percent(50) {
                    out.push(labour("Adjust tie-rod ends", 500));
                } else {
                    out.push(fee("Alignment report", of_rate(rate, 10)));
                }
            }
            Work::PrePurchase => {
                out.push(labour(
                    "Pre-purchase inspection",
                    rng.milli(1000, 1500, 100),
                ));
                out.push(fee("Written report", of_rate(rate, 20)));
            }
        }
        if out.len() < 5 && rng.percent(7) {
            out.push(LinePlan {
                kind: "discount",
                description: "Loyalty discount".into(),
                quantity_milli: 1000,
                unit_price: of_rate(rate, if rng.percent(50) { 10 } else { 15 }),
                unit_cost: 0,
                part: None,
                on_job: false,
                source: "manual",
                declined: false,
                finding: None,
            });
        }
        out.truncate(5);
        out
    }

    // -- one repair order, its invoice and its money -----------------------------------

    fn make_order(
        &mut self,
        b: usize,
        day: NaiveDate,
        drop: i64,
        (open, close): (i64, i64),
    ) -> Result<(), ServiceError> {
        let Some(customer) = self.pick_customer(day) else {
            return Ok(());
        };
        let tz = self.branches[b].tz;
        let weights: Vec<u64> = Work::ALL.iter().map(|w| w.weight(day.month())).collect();
        let work = Work::ALL[self.rng.weighted(&weights)];
        let plans = self.lines_for(work, b);
        let mechanic = self.mechanic_for(b);
        let advisor = self.advisor();
        let vehicle = *self.rng.pick(&self.customers[customer].vehicles);

        // The day's clock, in local minutes.
        let created = drop + self.rng.between(2, 10);
        let approved = created + self.rng.between(5, 45);
        let billed: i64 = plans
            .iter()
            .filter(|l| l.kind == "labour" && !l.declined)
            .map(|l| l.quantity_milli)
            .sum();
        let clocked = (billed * self.rng.between(70, 120) / 100 * 60 / 1000).max(15);
        let ready_to_start = approved + self.rng.between(5, 15);
        let mut start = mechanic
            .and_then(|m| self.free_at.get(&m).copied())
            .unwrap_or(open)
            .max(ready_to_start);
        if start > close {
            // Overbooked: somebody stays on; the clock starts again from this order.
            start = ready_to_start;
        }
        let mut spans = Vec::new();
        if clocked >= 40 && self.rng.percent(30) {
            let first = clocked * self.rng.between(40, 70) / 100;
            let gap = self.rng.between(15, 45);
            spans.push((start, start + first));
            spans.push((start + first + gap, start + clocked + gap));
        } else {
            spans.push((start, start + clocked));
        }
        let work_end = spans.last().map_or(start, |s| s.1);
        if let Some(m) = mechanic {
            self.free_at.insert(m, work_end + self.rng.between(5, 15));
        }
        let ready = work_end + 5;
        let issued = ready + self.rng.between(10, 50);
        let pickup = (issued + self.rng.between(5, 60)).min(24 * 60 - 2);
        let at = |minute: i64| local(tz, day, minute);
        if at(pickup) > self.now {
            return Ok(());
        }

        // The vehicle's mileage on the day.
        let jitter = self.rng.between(0, 40);
        let v = &self.vehicles[vehicle];
        let mileage =
            (v.start + v.per_day * (day - self.first_day).num_days()).max(v.last + 1) + jitter;
        self.vehicles[vehicle].last = mileage;
        self.rows.vehicles[vehicle].last_mileage = Some(mileage);
        self.rows.vehicles[vehicle].updated_at = at(created);
        self.customers[customer].visits += 1;

        let branch_id = self.branches[b].row.id;
        let order_id = id_at(at(created));
        let customer_row = self.rows.customers[customer].clone();
        let vehicle_row = self.rows.vehicles[vehicle].clone();
        let mechanic_member = mechanic.map(|m| self.world.mechanics[m].clone());
        // Most visits asked for are booked (a few find no free slot and come as walk-ins).
        let appointment = if self.rng.percent(58) {
            let starts = local(tz, day, (drop / 15) * 15);
            self.appointment(
                b,
                customer,
                vehicle,
                work,
                mechanic_member
                    .as_ref()
                    .map_or(self.world.owner.id, |m| m.id),
                starts,
                Some(mileage),
                "converted",
            )
        } else {
            None
        };
        let approval_method = *self
            .rng
            .pick(&["in_person", "in_person", "phone", "online"]);

        // The job and its time.
        let job_id = id_at(at(created) + Duration::seconds(1));
        self.rows.jobs.push(job::Model {
            tenant_id: self.tenant,
            id: job_id,
            repair_order_id: order_id,
            branch_id,
            title: work.title().into(),
            skill: (!work.category().is_empty()).then(|| work.category().to_owned()),
            mechanic_id: mechanic_member.as_ref().map(|m| m.id),
            status: "finished".into(),
            on_board: false,
            created_at: at(created),
            updated_at: at(work_end),
            finished_at: Some(at(work_end)),
        });
        if let Some(m) = &mechanic_member {
            for (from, to) in &spans {
                self.rows.time_entries.push(time_entry::Model {
                    tenant_id: self.tenant,
                    id: id_at(at(*from)),
                    job_id,
                    mechanic_id: m.id,
                    started_at: at(*from),
                    ended_at: Some(at(*to)),
                });
            }
        }

        // The inspection, if any: its findings become the recommended lines.
        let inspected = work.inspected() || self.rng.percent(18);
        let inspection_id = inspected.then(|| id_at(at(start) + Duration::seconds(2)));

        // The estimate's lines, decided when the customer approved.
        let decided_at = at(approved);
        let mut line_rows: Vec<repair_order_line::Model> = Vec::new();
        let mut findings: HashMap<usize, (Uuid, bool)> = HashMap::new();
        for (position, plan) in plans.iter().enumerate() {
            let id = id_at(at(created) + Duration::seconds(3 + position as i64));
            let source = match plan.finding {
                Some(item) if inspected => {
                    findings.insert(item, (id, plan.declined));
                    "inspection"
                }
                _ => plan.source,
            };
            let followed_up =
                (plan.declined && (self.today - day).num_days() > 30 && self.rng.percent(40))
                    .then(|| decided_at + Duration::days(self.rng.between(7, 25)));
            line_rows.push(repair_order_line::Model {
                tenant_id: self.tenant,
                id,
                repair_order_id: order_id,
                position: position as i32,
                kind: plan.kind.into(),
                description: plan.description.clone(),
                quantity_milli: plan.quantity_milli,
                unit_price_minor: plan.unit_price,
                unit_cost_minor: plan.unit_cost,
                taxable: true,
                part_id: plan.part,
                job_id: plan.on_job.then_some(job_id),
                decision: if plan.declined {
                    "declined"
                } else {
                    "approved"
                }
                .into(),
                decided_at: Some(decided_at),
                source: source.into(),
                followed_up_at: followed_up,
                created_at: at(created),
                updated_at: decided_at,
            });
        }
        if let Some(inspection_id) = inspection_id {
            let done = (start + self.rng.between(20, 35)).min(work_end.max(start + 20));
            let inspector = mechanic_member
                .as_ref()
                .map_or(advisor.name.clone(), |m| m.name.clone());
            self.rows.inspections.push(inspection::Model {
                tenant_id: self.tenant,
                id: inspection_id,
                repair_order_id: order_id,
                name: "Multi-point inspection".into(),
                status: "completed".into(),
                inspector_name: Some(inspector),
                created_at: at(start),
                completed_at: Some(at(done)),
            });
            for (i, (section, label)) in pitlane_workshop::inspections::BUILT_IN.iter().enumerate()
            {
                let (rating, line_id) = match findings.get(&i) {
                    Some((line, declined)) => {
                        (if *declined { "yellow" } else { "red" }, Some(*line))
                    }
                    None => match self.rng.below(100) {
                        0..=84 => ("green", None),
                        85..=96 => ("yellow", None),
                        _ => ("red", None),
                    },
                };
                let note = (rating != "green" && self.rng.percent(60))
                    .then(|| (*self.rng.pick(&FINDING_NOTES)).to_owned());
                self.rows.items.push(inspection_item::Model {
                    tenant_id: self.tenant,
                    id: id_at(at(done) + Duration::milliseconds(i as i64)),
                    inspection_id,
                    position: i as i32 + 1,
                    section: (*section).into(),
                    label: (*label).into(),
                    rating: Some(rating.into()),
                    note,
                    line_id,
                    updated_at: at(done),
                });
            }
        }

        // Stock used: every approved part leaves the shelf when the work is done.
        for line in line_rows
            .iter()
            .filter(|l| l.kind == "part" && l.decision == "approved")
        {
            if let Some(part_id) = line.part_id {
                self.rows.movements.push(stock_movement::Model {
                    tenant_id: self.tenant,
                    id: id_at(at(ready)),
                    part_id,
                    branch_id,
                    kind: "consume".into(),
                    quantity_milli: -line.quantity_milli,
                    reason: None,
                    unit_cost_minor: Some(line.unit_cost_minor),
                    repair_order_id: Some(order_id),
                    purchase_order_id: None,
                    transfer_id: None,
                    stock_count_id: None,
                    by_name: mechanic_member.as_ref().map(|m| m.name.clone()),
                    created_at: at(ready),
                });
            }
        }

        // The order's figures, as the workshop prices them, and the invoice's lines, as
        // billing makes them from the order (`lines::billable`).
        let kept: Vec<&repair_order_line::Model> = line_rows
            .iter()
            .filter(|l| l.decision != "declined")
            .collect();
        let order_totals = pricing::totals(
            &kept
                .iter()
                .map(|l| pitlane_workshop::order::priced(l))
                .collect::<Vec<_>>(),
            &self.world.rules,
        );
        let (labour_rate, labour_cost, rate_bp) = {
            let row = &self.branches[b].row;
            (
                row.labour_rate_minor,
                row.labour_cost_minor,
                row.tax_rate_bp,
            )
        };
        let invoice_id = id_at(at(ready) + Duration::seconds(30));
        let mut invoice_lines: Vec<invoice_line::Model> = Vec::new();
        let mut push_line =
            |kind: &str,
             description: String,
             quantity_milli: i64,
             unit_price: i64,
             costing: (i64, i64, String, Option<Uuid>)| {
                let position = invoice_lines.len() as i32;
                let amount = PricedLine {
                    quantity_milli,
                    unit_price,
                    tax_rate_bp: rate_bp,
                }
                .amount();
                invoice_lines.push(invoice_line::Model {
                    tenant_id: self.tenant,
                    id: id_at(
                        at(ready)
                            + Duration::seconds(31)
                            + Duration::milliseconds(i64::from(position)),
                    ),
                    invoice_id,
                    position,
                    kind: kind.into(),
                    description,
                    quantity_milli,
                    unit_price_minor: unit_price,
                    tax_rate_bp: rate_bp,
                    tax_name: rate_name(rate_bp),
                    amount_minor: amount,
                    unit_cost_minor: costing.0,
                    billed_hours_milli: costing.1,
                    category: costing.2,
                    technician_id: costing.3,
                });
            };
        for l in &kept {
            let on_job = l.job_id.is_some();
            let category = if on_job {
                work.category().to_owned()
            } else {
                String::new()
            };
            let technician = if on_job {
                mechanic_member.as_ref().map(|m| m.id)
            } else {
                None
            };
            match l.kind.as_str() {
                "labour" => push_line(
                    "labour",
                    l.description.clone(),
                    l.quantity_milli,
                    l.unit_price_minor,
                    (labour_cost, l.quantity_milli, category, technician),
                ),
                "part" => push_line(
                    "part",
                    l.description.clone(),
                    l.quantity_milli,
                    l.unit_price_minor,
                    (l.unit_cost_minor, 0, category, technician),
                ),
                "discount" => push_line(
                    "discount",
                    l.description.clone(),
                    1000,
                    -l.unit_price_minor,
                    (0, 0, category, technician),
                ),
                _ => push_line(
                    "fee",
                    l.description.clone(),
                    1000,
                    l.unit_price_minor,
                    (l.unit_cost_minor, 0, category, technician),
                ),
            }
        }
        if order_totals.shop_supplies > 0 {
            push_line(
                "fee",
                "Shop supplies".into(),
                1000,
                order_totals.shop_supplies,
                (0, 0, String::new(), None),
            );
        }
        let mode = TaxMode::from_flag(self.world.workshop.prices_include_tax);
        let priced: Vec<PricedLine> = invoice_lines
            .iter()
            .map(|l| PricedLine {
                quantity_milli: l.quantity_milli,
                unit_price: l.unit_price_minor,
                tax_rate_bp: l.tax_rate_bp,
            })
            .collect();
        let totals = invoicing::totals(&priced, mode).map_err(internal)?;

        // The money: perhaps a credit note, then payments (most), or nothing yet.
        let issued_at = at(issued);
        let picked_up = at(pickup);
        let invoice_index = self.rows.invoices.len();
        let age = (self.today - day).num_days();
        let mut credited = 0;
        let mut note_at = None;
        if totals.total > 0 && self.rng.per_mille(22) {
            let when = local(
                tz,
                day + Duration::days(self.rng.between(1, 10)),
                self.rng.between(open + 30, close - 30),
            );
            if when <= self.now {
                let amount = (totals.total * self.rng.between(5, 25) / 100)
                    .max(of_rate(labour_rate, 10))
                    .min(totals.total);
                let reason = *self.rng.pick(&CREDIT_REASONS);
                let note_totals = invoicing::totals(
                    &[PricedLine {
                        quantity_milli: 1000,
                        unit_price: amount,
                        tax_rate_bp: rate_bp,
                    }],
                    TaxMode::Inclusive,
                )
                .map_err(internal)?;
                let note_id = id_at(when);
                self.rows.credit_notes.push(credit_note::Model {
                    tenant_id: self.tenant,
                    id: note_id,
                    invoice_id,
                    number: String::new(),
                    reason: reason.into(),
                    net_minor: note_totals.net,
                    tax_minor: note_totals.tax,
                    total_minor: note_totals.total,
                    created_by: Some(advisor.name.clone()),
                    created_at: when,
                });
                self.rows.credit_lines.push(credit_note_line::Model {
                    tenant_id: self.tenant,
                    id: id_at(when + Duration::milliseconds(1)),
                    credit_note_id: note_id,
                    position: 0,
                    description: reason.into(),
                    quantity_milli: 1000,
                    unit_price_minor: amount,
                    tax_rate_bp: rate_bp,
                    tax_name: rate_name(rate_bp),
                    amount_minor: amount,
                });
                credited = note_totals.total;
                note_at = Some(when);
            }
        }
        let never = match age {
            0..=14 => self.rng.percent(50),
            15..=45 => self.rng.percent(30),
            46..=90 => self.rng.percent(12),
            _ => self.rng.per_mille(15),
        };
        let due = totals.total - credited;
        let mut paid = 0;
        if !never && due > 0 {
            let later = |rng: &mut Rng, from: NaiveDate, days: (i64, i64)| {
                local(
                    tz,
                    from + Duration::days(rng.between(days.0, days.1)),
                    rng.between(9 * 60, 18 * 60),
                )
            };
            let mut planned: Vec<(&'static str, i64, DateTime<Utc>, bool)> = Vec::new();
            if let Some(note_at) = note_at {
                let from = note_at.with_timezone(&tz).date_naive();
                let method = if self.rng.percent(60) {
                    "bank_transfer"
                } else {
                    "card_online"
                };
                planned.push((
                    method,
                    due,
                    later(&mut self.rng, from, (0, 5)).max(note_at),
                    false,
                ));
            } else if self.rng.percent(4) {
                let first = due * self.rng.between(40, 60) / 100;
                planned.push(("card_terminal", first, picked_up, true));
                planned.push((
                    "bank_transfer",
                    due - first,
                    later(&mut self.rng, day, (3, 20)),
                    false,
                ));
            } else {
                let pick = self.rng.below(100);
                let (method, when, desk) = match pick {
                    0..=39 => ("card_terminal", picked_up, true),
                    40..=59 => ("cash", picked_up, true),
                    60..=81 => ("bank_transfer", later(&mut self.rng, day, (1, 20)), false),
                    _ => (
                        "card_online",
                        later(&mut self.rng, day, (0, 7)).max(issued_at),
                        false,
                    ),
                };
                planned.push((method, due, when, desk));
            }
            for (method, amount, when, desk) in planned {
                if amount <= 0 || when > self.now {
                    continue;
                }
                paid += amount;
                self.payments.push(PaymentPlan {
                    invoice: invoice_index,
                    method,
                    amount,
                    at: when,
                    by: desk
                        .then(|| advisor.name.clone())
                        .or_else(|| (method == "bank_transfer").then(|| advisor.name.clone())),
                });
            }
        }
        let money = Settlement {
            total: totals.total,
            credited,
            paid,
            refunded: 0,
        };
        let status = InvoiceStatus::Issued.after(&money);
        let last_money = self
            .payments
            .iter()
            .rev()
            .take_while(|p| p.invoice == invoice_index)
            .map(|p| p.at)
            .chain(note_at)
            .max()
            .unwrap_or(issued_at)
            .max(issued_at);
        self.rows.invoices.push(invoice::Model {
            tenant_id: self.tenant,
            id: invoice_id,
            number: None,
            branch_id,
            customer_id: customer_row.id,
            vehicle_id: Some(vehicle_row.id),
            repair_order_id: Some(order_id),
            advisor_id: Some(advisor.id),
            status: status.key().into(),
            currency: self.world.workshop.currency.clone(),
            prices_include_tax: self.world.workshop.prices_include_tax,
            customer_name: customer_row.name.clone(),
            customer_email: customer_row.email.clone(),
            customer_phone: customer_row.phone.clone(),
            vehicle_label: pitlane_frontdesk::vehicles::describe(&vehicle_row),
            notes: None,
            net_minor: totals.net,
            tax_minor: totals.tax,
            total_minor: totals.total,
            credited_minor: credited,
            paid_minor: paid,
            refunded_minor: 0,
            issued_at: Some(issued_at),
            due_at: Some(
                issued_at + Duration::days(i64::from(self.world.workshop.invoice_due_days)),
            ),
            voided_at: None,
            void_reason: None,
            created_by: Some(advisor.name.clone()),
            created_at: at(ready) + Duration::seconds(30),
            updated_at: last_money,
        });
        self.rows.invoice_lines.extend(invoice_lines);

        let concern = (*self.rng.pick(work.concerns())).to_owned();
        self.rows.readings.push(mileage_reading::Model {
            tenant_id: self.tenant,
            id: id_at(at(created)),
            vehicle_id: vehicle_row.id,
            reading: mileage,
            source: "repair order".into(),
            correction_reason: None,
            recorded_at: at(created),
        });
        // A few visits soon after the last are the same fault again (a comeback): a few
        // percent of all orders, as workshops see them.
        let comeback_of = match self.vehicles[vehicle].last_order {
            Some((earlier, on)) if (day - on).num_days() <= 45 && self.rng.percent(5) => {
                Some(earlier)
            }
            _ => None,
        };
        self.vehicles[vehicle].last_order = Some((order_id, day));
        self.rows.orders.push(repair_order::Model {
            tenant_id: self.tenant,
            id: order_id,
            number: 0,
            branch_id,
            customer_id: customer_row.id,
            vehicle_id: vehicle_row.id,
            appointment_id: appointment,
            status: RepairOrderStatus::Closed.key().into(),
            mileage_in: Some(mileage),
            mileage_out: Some(mileage + self.rng.between(0, 6)),
            concern: Some(concern),
            advisor_id: Some(advisor.id),
            promised_at: Some(at((created + 240).min(close))),
            approval_method: Some(approval_method.into()),
            approved_at: Some(decided_at),
            approved_by: Some(customer_row.name.clone()),
            approval_version: 1,
            follow_updates: self.rng.percent(30),
            customer_name: customer_row.name.clone(),
            vehicle_label: pitlane_frontdesk::vehicles::describe(&vehicle_row),
            total_minor: order_totals.total,
            created_at: at(created),
            updated_at: picked_up,
            closed_at: Some(picked_up),
            comeback_of,
        });
        self.rows.lines.extend(line_rows);
        Ok(())
    }

    // -- stock bought in ---------------------------------------------------------------

    /// Parts bought in at the start of each month: what the month uses beyond what is on
    /// the shelf, in whole packs, so no level ever goes below zero. The last purchase is
    /// exact, so the history ends with the first branch's stock as the workshop seed left
    /// it (its opening stock is booked today) and the second branch holding the same.
    fn make_restocking(&mut self) {
        let buyer = self.world.owner.name.clone();
        let mut used: BTreeMap<(Uuid, Uuid, (i32, u32)), i64> = BTreeMap::new();
        for m in &self.rows.movements {
            let day = m
                .created_at
                .with_timezone(&self.branches[0].tz)
                .date_naive();
            *used
                .entry((m.branch_id, m.part_id, (day.year(), day.month())))
                .or_default() -= m.quantity_milli;
        }
        let months: Vec<(i32, u32)> = {
            let mut out = Vec::new();
            let mut d = self.first_day.with_day(1).unwrap_or(self.first_day);
            while d <= self.today {
                out.push((d.year(), d.month()));
                d = if d.month() == 12 {
                    NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
                }
                .unwrap_or(self.today + Duration::days(1));
            }
            out
        };
        let mut received = Vec::new();
        for (b, branch) in self.branches.iter().enumerate() {
            for p in &self.world.parts {
                let pack = if p.sku.starts_with("OIL") {
                    20_000
                } else {
                    6_000
                };
                let target = if b == 0 {
                    0
                } else {
                    self.world
                        .levels
                        .iter()
                        .find(|l| l.part_id == p.id)
                        .map_or(0, |l| l.on_hand_milli.max(0))
                };
                let need_of = |month: &(i32, u32)| {
                    used.get(&(branch.row.id, p.id, *month))
                        .copied()
                        .unwrap_or(0)
                };
                let needs: Vec<((i32, u32), i64)> = months
                    .iter()
                    .map(|m| (*m, need_of(m)))
                    .filter(|(_, need)| *need > 0)
                    .collect();
                // Whole packs when the shelf runs short; `ends` is the level at each
                // month's end, the lowest it gets that month.
                let mut buys = vec![0; needs.len()];
                let mut ends = vec![0; needs.len()];
                let mut level = 0;
                for (i, (_, need)) in needs.iter().enumerate() {
                    let short = need - level;
                    if short > 0 {
                        buys[i] = (short + pack - 1) / pack * pack;
                    }
                    level += buys[i] - need;
                    ends[i] = level;
                }
                // Then exactly the target at the end: the last purchase tops up, and what
                // is too much comes off the latest purchases, no month ending below zero.
                if let Some(last) = needs.len().checked_sub(1)
                    && level < target
                {
                    buys[last] += target - level;
                    ends[last] += target - level;
                    level = target;
                }
                let mut excess = level - target;
                for j in (0..needs.len()).rev() {
                    let slack = ends[j..].iter().copied().min().unwrap_or(0);
                    let less = excess.min(buys[j]).min(slack);
                    if less > 0 {
                        buys[j] -= less;
                        ends[j..].iter_mut().for_each(|e| *e -= less);
                        excess -= less;
                    }
                }
                for ((month, _), buy) in needs.iter().zip(buys) {
                    if buy > 0 {
                        let first = NaiveDate::from_ymd_opt(month.0, month.1, 1)
                            .unwrap_or(self.first_day)
                            .max(self.first_day);
                        let at = local(branch.tz, first, 7 * 60 + 30);
                        received.push((branch.row.id, p, buy, at, "monthly order"));
                    }
                }
            }
        }
        for (branch_id, p, quantity, at, reason) in received {
            self.rows.movements.push(stock_movement::Model {
                tenant_id: self.tenant,
                id: id_at(at),
                part_id: p.id,
                branch_id,
                kind: "receive".into(),
                quantity_milli: quantity,
                reason: Some(reason.into()),
                unit_cost_minor: Some(p.cost),
                repair_order_id: None,
                purchase_order_id: None,
                transfer_id: None,
                stock_count_id: None,
                by_name: Some(buyer.clone()),
                created_at: at,
            });
        }
        // A level for every part at each branch (the first has them from the workshop
        // seed), with the first branch's reorder points; the movements' sums come later.
        for branch in &self.branches {
            for p in &self.world.parts {
                let like = self.world.levels.iter().find(|l| l.part_id == p.id);
                if branch.row.id == self.world.main.id && like.is_some() {
                    continue;
                }
                self.rows.levels.push(stock_level::Model {
                    tenant_id: self.tenant,
                    id: Uuid::now_v7(),
                    part_id: p.id,
                    branch_id: branch.row.id,
                    on_hand_milli: 0,
                    reserved_milli: 0,
                    reorder_at_milli: like.and_then(|l| l.reorder_at_milli),
                    bin_location: None,
                    low_notified_at: None,
                    updated_at: self.now,
                });
            }
        }
    }

    /// Each branch's weekly goal: a tenth above what it sold a week lately, in round figures.
    fn set_goals(&mut self) {
        let since = self.today - Duration::days(56);
        for branch in &mut self.branches {
            let net: i64 = self
                .rows
                .invoices
                .iter()
                .filter(|i| i.branch_id == branch.row.id)
                .filter(|i| {
                    i.issued_at
                        .is_some_and(|t| t.with_timezone(&branch.tz).date_naive() >= since)
                })
                .map(|i| i.net_minor)
                .sum();
            let goal = net / 8 * 11 / 10;
            let step = 10_i64.pow((goal.max(1).ilog10()).saturating_sub(1));
            branch.row.weekly_sales_goal_minor = if goal > 0 {
                (goal + step - 1) / step * step
            } else {
                0
            };
        }
    }

    // -- what customers said ---------------------------------------------------------------

    /// Closing each order asked its customer for a rating; about two in five gave one, most
    /// of them happy, with a few words now and then, and the low ones mostly replied to. From
    /// a random stream of their own, so the rest of the history stays as it was.
    fn ratings(&self, rows: &Rows) -> Vec<feedback::Model> {
        const PRAISE: [&str; 5] = [
            "Quick, friendly and the price was as quoted.",
            "Explained everything before starting. Will come back.",
            "Car was ready when promised, and washed too!",
            "Honest advice: they told me what could wait.",
            "Great job, thank you.",
        ];
        const COMPLAINTS: [&str; 4] = [
            "Took two days longer than promised and nobody called.",
            "The bill was higher than the estimate.",
            "Still hear the noise I brought it in for.",
            "Had to wait an hour at the desk.",
        ];
        let mut rng = Rng(SEED ^ 0x5EED_F00D);
        let mechanic_of: HashMap<Uuid, Uuid> = rows
            .jobs
            .iter()
            .filter_map(|j| Some((j.repair_order_id, j.mechanic_id?)))
            .collect();
        let reachable: HashSet<Uuid> = rows
            .customers
            .iter()
            .filter(|c| c.email.is_some() || c.phone.is_some())
            .map(|c| c.id)
            .collect();
        let mut out = Vec::new();
        for order in &rows.orders {
            let Some(closed) = order.closed_at else {
                continue;
            };
            if !reachable.contains(&order.customer_id) {
                continue;
            }
            let mechanic_id = mechanic_of.get(&order.id).copied();
            let stars = |rng: &mut Rng| -> i16 {
                match rng.below(100) {
                    0..=54 => 5,
                    55..=79 => 4,
                    80..=89 => 3,
                    90..=95 => 2,
                    _ => 1,
                }
            };
            let answered = rng
                .percent(40)
                .then(|| closed + Duration::minutes(rng.between(30, 3 * 24 * 60)));
            let answered = answered.filter(|at| *at <= self.now);
            let job_stars = answered.map(|_| stars(&mut rng));
            let mechanic_stars = match (answered, mechanic_id) {
                (Some(_), Some(_)) => {
                    job_stars.map(|j| (j + rng.between(-1, 1) as i16).clamp(1, 5))
                }
                _ => None,
            };
            let comment = match job_stars {
                Some(j) if rng.percent(35) => Some(
                    if j >= 4 {
                        *rng.pick(&PRAISE)
                    } else {
                        *rng.pick(&COMPLAINTS)
                    }
                    .to_owned(),
                ),
                _ => None,
            };
            let low = job_stars.is_some_and(|j| j <= 2);
            let replied = answered.filter(|_| low && rng.percent(70));
            out.push(feedback::Model {
                tenant_id: self.tenant,
                id: id_at(closed),
                branch_id: order.branch_id,
                customer_id: order.customer_id,
                subject: "repair_order".into(),
                repair_order_id: Some(order.id),
                roadside_request_id: None,
                mechanic_id,
                label: format!("{} · {}", display_number(order.number), order.vehicle_label),
                asked_at: closed,
                expires_at: closed + Duration::days(60),
                job_stars,
                mechanic_stars,
                comment,
                answered_at: answered,
                hidden_at: None,
                hidden_by: None,
                hidden_reason: None,
                reply: replied.map(|_| {
                    "We are sorry to hear it. We have called you to put it right.".to_owned()
                }),
                replied_at: replied.map(|at| at + Duration::hours(2)),
                replied_by: replied.map(|_| "The service desk".to_owned()),
            });
        }
        out
    }

    // -- writing it ----------------------------------------------------------------------

    async fn write(mut self, tx: &TenantTx) -> Result<Seeded, ServiceError> {
        self.number(tx).await?;
        self.make_events();
        let [first, second] = [&self.branches[0].row, &self.branches[1].row];
        let mut main = self.world.main.clone().into_active_model();
        main.business_hours = Set(first.business_hours.clone());
        main.weekly_sales_goal_minor = Set(first.weekly_sales_goal_minor);
        main.updated_at = Set(self.now);
        tx.update(main).await?;
        tx.insert(second.clone().into_active_model().reset_all())
            .await?;
        let rows = std::mem::take(&mut self.rows);
        let ratings = self.ratings(&rows);
        tx.insert_many(
            self.branches[1]
                .bays
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.customers
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.vehicles
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.owners
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.appointments
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.orders
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.jobs
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(ratings.into_iter().map(IntoActiveModel::into_active_model))
            .await?;
        tx.insert_many(
            rows.lines
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.time_entries
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.inspections
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.items
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.events
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.readings
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.invoices
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.invoice_lines
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.credit_notes
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.credit_lines
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.payments
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.levels
                .into_iter()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        tx.insert_many(
            rows.movements
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .await?;
        settle_levels(tx, self.now).await?;
        let figure_rows = bring_figures_in_step(tx).await?;
        Ok(Seeded {
            branches: 1,
            customers: rows.customers.len(),
            vehicles: rows.vehicles.len(),
            appointments: rows.appointments.len(),
            repair_orders: rows.orders.len(),
            lines: rows.lines.len(),
            time_entries: rows.time_entries.len(),
            inspections: rows.inspections.len(),
            invoices: rows.invoices.len(),
            unpaid: rows
                .invoices
                .iter()
                .filter(|i| matches!(i.status.as_str(), "issued" | "partly_paid"))
                .count(),
            payments: rows.payments.len(),
            credit_notes: rows.credit_notes.len(),
            stock_movements: rows.movements.len(),
            figure_rows,
        })
    }

    /// Numbers from the tenant's counters, in time order: repair orders, and per year
    /// invoices, receipts and credit notes, so real documents made later continue each
    /// sequence.
    async fn number(&mut self, tx: &TenantTx) -> Result<(), ServiceError> {
        let rows = &mut self.rows;
        rows.orders.sort_by_key(|o| (o.created_at, o.id));
        let first = reserve(
            tx,
            "repair_order",
            pitlane_workshop::orders::FIRST_NUMBER,
            rows.orders.len(),
        )
        .await?;
        for (i, order) in rows.orders.iter_mut().enumerate() {
            order.number = first + i as i64;
        }
        // Invoices are renumbered; payments and credit notes point at them by index, so
        // keep the order and number through a sorted list of indexes.
        let mut by_time: Vec<usize> = (0..rows.invoices.len()).collect();
        by_time.sort_by_key(|&i| (rows.invoices[i].issued_at, rows.invoices[i].id));
        let years = numbered(
            tx,
            "INV",
            by_time
                .iter()
                .map(|&i| rows.invoices[i].issued_at.unwrap_or(self.now)),
        )
        .await?;
        for (&i, number) in by_time.iter().zip(years) {
            rows.invoices[i].number = Some(number);
        }
        self.payments.sort_by_key(|p| p.at);
        let receipts = numbered(tx, "RCT", self.payments.iter().map(|p| p.at)).await?;
        for (plan, number) in self.payments.iter().zip(receipts) {
            let invoice = &rows.invoices[plan.invoice];
            rows.payments.push(payment::Model {
                tenant_id: self.tenant,
                id: id_at(plan.at),
                invoice_id: invoice.id,
                number,
                method: plan.method.into(),
                amount_minor: plan.amount,
                refunded_minor: 0,
                reference: (plan.method == "bank_transfer")
                    .then(|| invoice.number.clone())
                    .flatten(),
                received_at: plan.at,
                recorded_by: plan.by.clone(),
                stripe_payment_intent: None,
                stripe_checkout_session: None,
                created_at: plan.at,
            });
        }
        rows.credit_notes.sort_by_key(|n| (n.created_at, n.id));
        let notes = numbered(tx, "CN", rows.credit_notes.iter().map(|n| n.created_at)).await?;
        for (note, number) in rows.credit_notes.iter_mut().zip(notes) {
            note.number = number;
        }
        Ok(())
    }

    /// Each order's timeline: opened, invoiced, closed.
    fn make_events(&mut self) {
        let invoices: HashMap<Uuid, &invoice::Model> = self
            .rows
            .invoices
            .iter()
            .filter_map(|i| i.repair_order_id.map(|o| (o, i)))
            .collect();
        let names: HashMap<Uuid, &str> = self
            .world
            .advisors
            .iter()
            .map(|m| (m.id, m.name.as_str()))
            .collect();
        let mut events = Vec::new();
        for order in &self.rows.orders {
            let by = order
                .advisor_id
                .and_then(|a| names.get(&a))
                .map(|n| (*n).to_owned());
            let mut event =
                |kind: &str, status: RepairOrderStatus, detail: String, at: DateTime<Utc>| {
                    events.push(repair_order_event::Model {
                        tenant_id: self.tenant,
                        id: id_at(at),
                        repair_order_id: order.id,
                        kind: kind.into(),
                        status: Some(status.key().into()),
                        detail: Some(detail),
                        by_name: by.clone(),
                        visible_to_customer: true,
                        created_at: at,
                    });
                };
            event(
                "opened",
                RepairOrderStatus::Estimate,
                format!("{} opened", display_number(order.number)),
                order.created_at,
            );
            if let Some(invoice) = invoices.get(&order.id)
                && let (Some(number), Some(issued)) = (&invoice.number, invoice.issued_at)
            {
                event(
                    "status",
                    RepairOrderStatus::Invoiced,
                    format!(
                        "{} → {}: invoice {number}",
                        RepairOrderStatus::ReadyForPickup.label(),
                        RepairOrderStatus::Invoiced.label()
                    ),
                    issued,
                );
            }
            if let Some(closed) = order.closed_at {
                event(
                    "status",
                    RepairOrderStatus::Closed,
                    format!(
                        "{} → {}",
                        RepairOrderStatus::Invoiced.label(),
                        RepairOrderStatus::Closed.label()
                    ),
                    closed,
                );
            }
        }
        self.rows.events = events;
    }
}

/// Takes `count` numbers of a counter at once; returns the first.
async fn reserve(tx: &TenantTx, name: &str, first: i64, count: usize) -> Result<i64, ServiceError> {
    if count == 0 {
        return Ok(first);
    }
    let start = tx.next_number(name, first).await?;
    if count > 1 {
        tx.update_all(
            tenant_counter::Entity::update_many()
                .col_expr(
                    tenant_counter::Column::Value,
                    Expr::value(start + count as i64 - 1),
                )
                .filter(tenant_counter::Column::Name.eq(name)),
        )
        .await?;
    }
    Ok(start)
}

/// Document numbers (`INV-2026-000123`) for documents made at these times, in this order:
/// each year's from its own counter, as `billing::invoice::next_document_number` takes them.
async fn numbered(
    tx: &TenantTx,
    prefix: &str,
    times: impl Iterator<Item = DateTime<Utc>>,
) -> Result<Vec<String>, ServiceError> {
    let years: Vec<i32> = times.map(|t| t.year()).collect();
    let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
    for y in &years {
        *per_year.entry(*y).or_default() += 1;
    }
    let mut next: BTreeMap<i32, i64> = BTreeMap::new();
    for (year, count) in per_year {
        let name = format!("{}-{year}", prefix.to_lowercase());
        next.insert(year, reserve(tx, &name, 1, count).await?);
    }
    Ok(years
        .into_iter()
        .map(|y| {
            let n = next.entry(y).or_insert(1);
            let number = document_number(prefix, y, *n);
            *n += 1;
            number
        })
        .collect())
}

struct Sum {
    part_id: Uuid,
    branch_id: Uuid,
    total: i64,
}

impl FromQueryResult for Sum {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            part_id: row.try_get(pre, "part_id")?,
            branch_id: row.try_get(pre, "branch_id")?,
            total: row.try_get(pre, "total")?,
        })
    }
}

/// Every level of the tenant set to the sum of its movements (the ledger's rule).
async fn settle_levels(tx: &TenantTx, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let sums: Vec<Sum> = tx
        .all_as(
            tx.select::<stock_movement::Entity>()
                .select_only()
                .column(stock_movement::Column::PartId)
                .column(stock_movement::Column::BranchId)
                .expr_as(
                    Expr::cust("cast(coalesce(sum(quantity_milli), 0) as bigint)"),
                    "total",
                )
                .group_by(stock_movement::Column::PartId)
                .group_by(stock_movement::Column::BranchId),
        )
        .await?;
    let levels = tx.all(tx.select::<stock_level::Entity>()).await?;
    for sum in sums {
        let Some(level) = levels
            .iter()
            .find(|l| l.part_id == sum.part_id && l.branch_id == sum.branch_id)
        else {
            continue;
        };
        if level.on_hand_milli != sum.total {
            tx.update_all(
                stock_level::Entity::update_many()
                    .col_expr(stock_level::Column::OnHandMilli, Expr::value(sum.total))
                    .col_expr(stock_level::Column::UpdatedAt, Expr::value(now))
                    .filter(stock_level::Column::Id.eq(level.id)),
            )
            .await?;
        }
    }
    Ok(())
}

/// Adds to the daily figures what the documents come to beyond what they already hold
/// (the other demo seeds' invoice is counted already); returns the rows changed.
async fn bring_figures_in_step(tx: &TenantTx) -> Result<usize, ServiceError> {
    let mut missing = crate::figures::from_documents(tx).await?;
    facts::merge(
        &mut missing,
        facts::negate(crate::figures::stored(tx).await?),
    );
    let rows = missing.len();
    tx.add_figures(&missing).await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_addresses() {
        assert_eq!(ascii_slug("Zoë Müller"), "zoe.muller");
        assert_eq!(ascii_slug("Łukasz Nowak"), "lukasz.nowak");
        assert_eq!(ascii_slug("Siobhán O'Brien"), "siobhan.obrien");
    }

    #[test]
    fn vins_carry_their_check_digit() {
        let mut rng = Rng(SEED);
        for serial in 0..50 {
            assert!(make_vin(&mut rng, "1FT", 2019, serial).is_some());
        }
    }
}
