//! Roadside assistance (issue 20), the rules without I/O: where a driver or a mechanic is
//! ([`GeoPoint`]), how far apart and in which direction, whether a branch serves a place
//! ([`ServiceArea`]), what the call-out costs ([`PriceRule`]), a first arrival estimate
//! ([`eta`]), who is asked first ([`nearest`], [`Escalation`]), what was wrong ([`Trouble`])
//! and the request's life cycle ([`RoadsideStatus`]).

use std::time::Duration;

/// The Earth's mean radius (IUGG), for great-circle distances.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A position as a browser's geolocation gives it: degrees of latitude and longitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// A position, refused when it is not one on Earth (or not a number at all).
    pub fn new(lat: f64, lon: f64) -> Result<Self, &'static str> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err("latitude must be between -90 and 90 degrees");
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err("longitude must be between -180 and 180 degrees");
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Millionths of a degree (about 11 cm), as positions are stored: integers, exact on
    /// both databases.
    pub fn to_micro(&self) -> (i64, i64) {
        (
            (self.lat * 1e6).round() as i64,
            (self.lon * 1e6).round() as i64,
        )
    }

    /// A stored position back; `None` when either half is missing or out of range.
    pub fn from_micro(lat: Option<i64>, lon: Option<i64>) -> Option<Self> {
        GeoPoint::new(lat? as f64 / 1e6, lon? as f64 / 1e6).ok()
    }

    /// The great-circle distance in metres (haversine): straight, not by road.
    pub fn distance_m(&self, to: &GeoPoint) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), to.lat.to_radians());
        let dlat = la2 - la1;
        let dlon = (to.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }

    /// The initial compass bearing towards `to`, in degrees clockwise from north (0–360).
    pub fn bearing_deg(&self, to: &GeoPoint) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), to.lat.to_radians());
        let dlon = (to.lon - self.lon).to_radians();
        let y = dlon.sin() * la2.cos();
        let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dlon.cos();
        (y.atan2(x).to_degrees() + 360.0) % 360.0
    }

    /// The position to about a kilometre (two decimals of a degree): what is kept of a trail
    /// once it is 30 days old.
    pub fn coarsened(&self) -> GeoPoint {
        let round = |v: f64| (v * 100.0).round() / 100.0;
        GeoPoint {
            lat: round(self.lat),
            lon: round(self.lon),
        }
    }
}

/// The eight compass points, for a bearing read by a person ("north-east").
pub fn compass_point(bearing_deg: f64) -> &'static str {
    const POINTS: [&str; 8] = [
        "north",
        "north-east",
        "east",
        "south-east",
        "south",
        "south-west",
        "west",
        "north-west",
    ];
    let index = ((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8;
    POINTS[index]
}

/// The area a branch drives out to: a circle around the branch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceArea {
    pub centre: GeoPoint,
    pub radius_m: u32,
}

impl ServiceArea {
    pub fn covers(&self, at: &GeoPoint) -> bool {
        self.centre.distance_m(at) <= f64::from(self.radius_m)
    }
}

/// What a call-out costs, set per branch: a fixed fee, plus a price per kilometre driven
/// beyond the kilometres the fee includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PriceRule {
    pub call_out_minor: i64,
    pub per_km_minor: i64,
    pub included_km: u32,
}

impl PriceRule {
    /// The price for a call-out `distance_m` away, before tax: every started kilometre past
    /// the included ones is charged (what a driver is told before asking, and what the invoice
    /// says).
    pub fn quote(&self, distance_m: f64) -> i64 {
        let km = (distance_m.max(0.0) / 1000.0).ceil() as i64;
        let charged = (km - i64::from(self.included_km)).max(0);
        self.call_out_minor + charged * self.per_km_minor
    }
}

/// Roads wind: a route is about this much longer than the straight line.
pub const ROAD_FACTOR: f64 = 1.3;

/// A first estimate of the time to arrive from `distance_m` away (straight line) at an
/// average `speed_kmh` on the road, rounded up to the minute.
pub fn eta(distance_m: f64, speed_kmh: f64) -> Duration {
    if speed_kmh <= 0.0 || !speed_kmh.is_finite() {
        return Duration::ZERO;
    }
    let hours = distance_m.max(0.0) * ROAD_FACTOR / 1000.0 / speed_kmh;
    let minutes = (hours * 60.0).ceil();
    Duration::from_secs(minutes as u64 * 60)
}

/// The mechanics nearest to `to` among `candidates` (id, last known position), nearest
/// first, with their distance in metres; at most `limit`, and none beyond `within_m`.
pub fn nearest<Id: Copy>(
    candidates: &[(Id, GeoPoint)],
    to: &GeoPoint,
    within_m: f64,
    limit: usize,
) -> Vec<(Id, f64)> {
    let mut found: Vec<(Id, f64)> = candidates
        .iter()
        .map(|(id, at)| (*id, at.distance_m(to)))
        .filter(|(_, d)| *d <= within_m)
        .collect();
    found.sort_by(|a, b| a.1.total_cmp(&b.1));
    found.truncate(limit);
    found
}

/// Who a request is offered to, as time passes without an acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ring {
    /// The on-duty roadside mechanics within this many metres.
    Near(u32),
    /// A wider circle.
    Wide(u32),
    /// Nobody took it: the branch's dispatcher assigns it.
    Dispatcher,
}

/// When an unaccepted request is offered wider, and when it goes to the dispatcher; set per
/// branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub near_m: u32,
    pub wide_m: u32,
    pub widen_after: Duration,
    pub dispatcher_after: Duration,
}

impl Default for Escalation {
    fn default() -> Self {
        Self {
            near_m: 15_000,
            wide_m: 40_000,
            widen_after: Duration::from_secs(3 * 60),
            dispatcher_after: Duration::from_secs(8 * 60),
        }
    }
}

impl Escalation {
    /// The ring of a request that has waited `waited` without an acceptance.
    pub fn ring(&self, waited: Duration) -> Ring {
        if waited >= self.dispatcher_after {
            Ring::Dispatcher
        } else if waited >= self.widen_after {
            Ring::Wide(self.wide_m)
        } else {
            Ring::Near(self.near_m)
        }
    }
}

/// What happened, as the driver says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trouble {
    FlatTyre,
    Battery,
    Fuel,
    Lockout,
    WillNotStart,
    AccidentTow,
    Other,
}

impl Trouble {
    pub const ALL: [Trouble; 7] = [
        Trouble::FlatTyre,
        Trouble::Battery,
        Trouble::Fuel,
        Trouble::Lockout,
        Trouble::WillNotStart,
        Trouble::AccidentTow,
        Trouble::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Trouble::FlatTyre => "flat_tyre",
            Trouble::Battery => "battery",
            Trouble::Fuel => "fuel",
            Trouble::Lockout => "lockout",
            Trouble::WillNotStart => "will_not_start",
            Trouble::AccidentTow => "accident_tow",
            Trouble::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Trouble::FlatTyre => "Flat tyre",
            Trouble::Battery => "Flat battery",
            Trouble::Fuel => "Out of fuel",
            Trouble::Lockout => "Locked out",
            Trouble::WillNotStart => "Will not start",
            Trouble::AccidentTow => "Accident or tow",
            Trouble::Other => "Something else",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }
}

/// A roadside request's life: asked, taken by a mechanic, on the way, there, working on the
/// car, then fixed on the spot or towed to the branch; or cancelled before it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoadsideStatus {
    Requested,
    Accepted,
    EnRoute,
    OnSite,
    Working,
    Done,
    TowedIn,
    Cancelled,
}

impl RoadsideStatus {
    pub const ALL: [RoadsideStatus; 8] = [
        RoadsideStatus::Requested,
        RoadsideStatus::Accepted,
        RoadsideStatus::EnRoute,
        RoadsideStatus::OnSite,
        RoadsideStatus::Working,
        RoadsideStatus::Done,
        RoadsideStatus::TowedIn,
        RoadsideStatus::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RoadsideStatus::Requested => "requested",
            RoadsideStatus::Accepted => "accepted",
            RoadsideStatus::EnRoute => "en_route",
            RoadsideStatus::OnSite => "on_site",
            RoadsideStatus::Working => "working",
            RoadsideStatus::Done => "done",
            RoadsideStatus::TowedIn => "towed_in",
            RoadsideStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RoadsideStatus::Requested => "Waiting for a mechanic",
            RoadsideStatus::Accepted => "Mechanic assigned",
            RoadsideStatus::EnRoute => "On the way",
            RoadsideStatus::OnSite => "Arrived",
            RoadsideStatus::Working => "Working on the car",
            RoadsideStatus::Done => "Fixed on the spot",
            RoadsideStatus::TowedIn => "Towed to the workshop",
            RoadsideStatus::Cancelled => "Cancelled",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Not yet ended.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            RoadsideStatus::Done | RoadsideStatus::TowedIn | RoadsideStatus::Cancelled
        )
    }

    /// The mechanic's phone shares its position (from acceptance until arrival).
    pub fn shares_location(self) -> bool {
        matches!(self, RoadsideStatus::Accepted | RoadsideStatus::EnRoute)
    }

    /// The steps that may follow this one. Cancelling is possible until the work ends; a
    /// request goes back to waiting when its mechanic is taken off it (reassignment).
    pub fn next(self) -> &'static [RoadsideStatus] {
        use RoadsideStatus::*;
        match self {
            Requested => &[Accepted, Cancelled],
            Accepted => &[EnRoute, Requested, Cancelled],
            EnRoute => &[OnSite, Requested, Cancelled],
            OnSite => &[Working, TowedIn, Cancelled],
            Working => &[Done, TowedIn, Cancelled],
            Done | TowedIn | Cancelled => &[],
        }
    }

    pub fn can_move_to(self, next: RoadsideStatus) -> bool {
        self.next().contains(&next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).expect("a position")
    }

    #[test]
    fn stored_positions_come_back_to_the_centimetre() {
        let here = at(51.507_351, -0.127_758);
        let (lat, lon) = here.to_micro();
        assert_eq!((lat, lon), (51_507_351, -127_758));
        let back = GeoPoint::from_micro(Some(lat), Some(lon)).expect("a position");
        assert!(here.distance_m(&back) < 0.2);
        assert!(GeoPoint::from_micro(None, Some(lon)).is_none());
        assert!(GeoPoint::from_micro(Some(91_000_000), Some(0)).is_none());
    }

    #[test]
    fn positions_are_on_earth() {
        assert!(GeoPoint::new(91.0, 0.0).is_err());
        assert!(GeoPoint::new(0.0, -180.5).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
        assert!(GeoPoint::new(52.52, 13.405).is_ok());
    }

    #[test]
    fn distances_and_bearings_match_known_ones() {
        let berlin = at(52.5200, 13.4050);
        let munich = at(48.1351, 11.5820);
        let d = berlin.distance_m(&munich);
        assert!((d - 504_000.0).abs() < 2_000.0, "{d}");
        assert_eq!(compass_point(berlin.bearing_deg(&munich)), "south");
        let east = at(52.5200, 13.5050);
        assert_eq!(compass_point(berlin.bearing_deg(&east)), "east");
        assert!(berlin.distance_m(&berlin) < 1e-6);
    }

    #[test]
    fn a_coarsened_position_is_within_a_kilometre() {
        let p = at(52.523_456, 13.411_111);
        let c = p.coarsened();
        assert_eq!((c.lat(), c.lon()), (52.52, 13.41));
        assert!(p.distance_m(&c) < 1_000.0);
    }

    #[test]
    fn the_call_out_price_counts_started_kilometres_past_the_included() {
        let rule = PriceRule {
            call_out_minor: 4_900,
            per_km_minor: 150,
            included_km: 5,
        };
        assert_eq!(rule.quote(0.0), 4_900);
        assert_eq!(rule.quote(5_000.0), 4_900);
        assert_eq!(rule.quote(5_001.0), 5_050);
        assert_eq!(rule.quote(12_300.0), 4_900 + 8 * 150);
    }

    #[test]
    fn arrival_estimates_round_up_to_the_minute() {
        assert_eq!(eta(10_000.0, 39.0), Duration::from_secs(20 * 60));
        assert_eq!(eta(0.0, 40.0), Duration::ZERO);
        assert_eq!(eta(1_000.0, 0.0), Duration::ZERO);
    }

    #[test]
    fn the_nearest_come_first_and_the_far_not_at_all() {
        let driver = at(52.52, 13.40);
        let mechanics = [
            (1, at(52.60, 13.40)),
            (2, at(52.53, 13.40)),
            (3, at(53.50, 13.40)),
            (4, at(52.55, 13.40)),
        ];
        let found = nearest(&mechanics, &driver, 20_000.0, 2);
        assert_eq!(found.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [2, 4]);
        assert!(found[0].1 < found[1].1);
    }

    #[test]
    fn waiting_widens_the_ring_then_calls_the_dispatcher() {
        let e = Escalation::default();
        assert_eq!(e.ring(Duration::from_secs(10)), Ring::Near(15_000));
        assert_eq!(e.ring(Duration::from_secs(200)), Ring::Wide(40_000));
        assert_eq!(e.ring(Duration::from_secs(600)), Ring::Dispatcher);
    }

    #[test]
    fn keys_round_trip() {
        for t in Trouble::ALL {
            assert_eq!(Trouble::parse(t.key()), Some(t));
        }
        for s in RoadsideStatus::ALL {
            assert_eq!(RoadsideStatus::parse(s.key()), Some(s));
        }
    }

    proptest! {
        /// Whatever steps are taken, an ended request stays ended, the mechanic shares a
        /// position only between acceptance and arrival, and nothing is done without arriving.
        #[test]
        fn the_life_cycle_holds(steps in proptest::collection::vec(0usize..8, 0..40)) {
            let mut status = RoadsideStatus::Requested;
            let mut arrived = false;
            for pick in steps {
                let next = RoadsideStatus::ALL[pick];
                if status.can_move_to(next) {
                    prop_assert!(status.is_open(), "left an ended request");
                    status = next;
                    if status == RoadsideStatus::OnSite {
                        arrived = true;
                    }
                    if matches!(status, RoadsideStatus::Done | RoadsideStatus::Working) {
                        prop_assert!(arrived, "worked before arriving");
                    }
                    if status.shares_location() {
                        prop_assert!(!matches!(status, RoadsideStatus::OnSite));
                    }
                }
            }
        }

        #[test]
        fn distance_is_symmetric_and_never_negative(
            a in (-89.0f64..89.0, -179.0f64..179.0),
            b in (-89.0f64..89.0, -179.0f64..179.0),
        ) {
            let (p, q) = (at(a.0, a.1), at(b.0, b.1));
            let (d1, d2) = (p.distance_m(&q), q.distance_m(&p));
            prop_assert!(d1 >= 0.0);
            prop_assert!((d1 - d2).abs() < 1e-6 * d1.max(1.0));
            prop_assert!(d1 <= std::f64::consts::PI * EARTH_RADIUS_M + 1.0);
        }
    }
}
