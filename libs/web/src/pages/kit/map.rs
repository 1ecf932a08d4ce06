//! Where a driver and their mechanic are, on a page. With map tiles configured
//! (`PITLANE_MAP_TILES`) it is a Leaflet map, served by Pitlane itself; without them (the
//! default, and offline) a drawn plan: the driver in the middle, the mechanic by distance and
//! direction inside a ring of a round scale, north up. Either way a caption says it in words
//! ("3.2 km north-east of you, about 6 minutes away"), read out when it changes, and app.js
//! moves the mechanic as their position arrives.

use maud::{Markup, html};
use pitlane_app::config::MapTiles;
use pitlane_domain::roadside::{GeoPoint, compass_point};

use super::assets::{Named, path};

/// The plan's size: a square of 300 units, the ring 120 from the middle.
const MIDDLE: f64 = 150.0;
const RING: f64 = 120.0;
/// Ring scales, in metres: the smallest that holds the mechanic is drawn.
const SCALES: [f64; 9] = [
    500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0, 50_000.0, 100_000.0, 500_000.0,
];

fn scale_for(distance_m: f64) -> f64 {
    SCALES
        .into_iter()
        .find(|s| *s >= distance_m)
        .unwrap_or(SCALES[SCALES.len() - 1])
}

fn scale_label(m: f64) -> String {
    if m < 1000.0 {
        format!("{m:.0} m")
    } else {
        format!("{:.0} km", m / 1000.0)
    }
}

/// How far, in words.
pub fn distance_text(m: f64) -> String {
    if m < 1000.0 {
        format!("{:.0} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

/// Where the mechanic is from the driver, in words.
pub fn caption(
    distance_m: Option<f64>,
    bearing_deg: Option<f64>,
    eta_minutes: Option<i64>,
) -> String {
    match (distance_m, bearing_deg) {
        (Some(d), _) if d < 50.0 => "The mechanic is here.".to_owned(),
        (Some(d), Some(b)) => {
            let soon = match eta_minutes {
                Some(m) if m <= 1 => ", about a minute away".to_owned(),
                Some(m) => format!(", about {m} minutes away"),
                None => String::new(),
            };
            format!(
                "The mechanic is {} {} of you{soon}.",
                distance_text(d),
                compass_point(b)
            )
        }
        _ => "Waiting for the mechanic's position.".to_owned(),
    }
}

/// The driver and, when known, the mechanic. `label` names the figure for screen readers.
pub fn plan(
    tiles: Option<&MapTiles>,
    label: &str,
    driver: Option<GeoPoint>,
    mechanic: Option<GeoPoint>,
    eta_minutes: Option<i64>,
) -> Markup {
    let distance = match (driver, mechanic) {
        (Some(d), Some(m)) => Some(d.distance_m(&m)),
        _ => None,
    };
    let bearing = match (driver, mechanic) {
        (Some(d), Some(m)) => Some(d.bearing_deg(&m)),
        _ => None,
    };
    let scale = scale_for(distance.unwrap_or_default().max(1.0));
    // Where the mechanic is drawn: by distance and direction, north up.
    let (mx, my) = match (distance, bearing) {
        (Some(d), Some(b)) => {
            let r = (d / scale).min(1.05) * RING;
            let rad = b.to_radians();
            (MIDDLE + r * rad.sin(), MIDDLE - r * rad.cos())
        }
        _ => (MIDDLE, MIDDLE),
    };
    let hidden = mechanic.is_none().then_some("hidden");
    let coord = |p: Option<GeoPoint>, f: fn(&GeoPoint) -> f64| p.map(|p| format!("{:.6}", f(&p)));
    html! {
        figure class="roadside-map" data-plan
            data-driver-lat=[coord(driver, GeoPoint::lat)] data-driver-lon=[coord(driver, GeoPoint::lon)]
            data-mechanic-lat=[coord(mechanic, GeoPoint::lat)] data-mechanic-lon=[coord(mechanic, GeoPoint::lon)]
            data-tiles=[tiles.map(|t| t.url.as_str())] data-attribution=[tiles.map(|t| t.attribution.as_str())] {
            @if tiles.is_some() {
                link rel="stylesheet" href=(path(Named::LeafletCss));
                script src=(path(Named::LeafletJs)) defer {}
                div class="leaflet-box" data-leaflet role="img" aria-label=(label) {}
            } @else {
                svg class="plan" viewBox="0 0 300 300" role="img" aria-label=(label) {
                    circle class="plan-ring" cx="150" cy="150" r=(RING) {}
                    text class="plan-scale" x="150" y=(MIDDLE + RING + 18.0) text-anchor="middle" data-plan-scale { (scale_label(scale)) }
                    text class="plan-north" x="150" y="16" text-anchor="middle" { "N" }
                    line class="plan-line" x1="150" y1="150" x2=(format!("{mx:.1}")) y2=(format!("{my:.1}")) visibility=[hidden] data-plan-line {}
                    circle class="plan-driver" cx="150" cy="150" r="9" {}
                    text class="plan-label" x="150" y="178" text-anchor="middle" { "You" }
                    g data-plan-mechanic visibility=[hidden] transform=(format!("translate({mx:.1} {my:.1})")) {
                        circle class="plan-mechanic" r="9" {}
                        text class="plan-label" y="-14" text-anchor="middle" { "Mechanic" }
                    }
                }
            }
            figcaption aria-live="polite" data-plan-caption {
                (caption(distance, bearing, eta_minutes))
            }
        }
    }
}

/// Something on the dispatch board's map: a request waiting or being served, or a mechanic.
pub struct Mark {
    pub at: GeoPoint,
    /// `request` or `mechanic`.
    pub kind: &'static str,
    pub label: String,
}

/// The dispatch board's map: the branch in the middle, requests and mechanics around it.
pub fn overview(tiles: Option<&MapTiles>, label: &str, centre: GeoPoint, marks: &[Mark]) -> Markup {
    let farthest = marks
        .iter()
        .map(|m| centre.distance_m(&m.at))
        .fold(1.0, f64::max);
    let scale = scale_for(farthest);
    let place = |m: &Mark| {
        let d = centre.distance_m(&m.at);
        let b = centre.bearing_deg(&m.at).to_radians();
        let r = (d / scale).min(1.05) * RING;
        (MIDDLE + r * b.sin(), MIDDLE - r * b.cos())
    };
    let json: Vec<serde_json::Value> = marks
        .iter()
        .map(|m| serde_json::json!({"lat": m.at.lat(), "lon": m.at.lon(), "kind": m.kind, "label": m.label}))
        .collect();
    html! {
        figure class="roadside-map" data-overview
            data-centre-lat=(format!("{:.6}", centre.lat())) data-centre-lon=(format!("{:.6}", centre.lon()))
            data-marks=(serde_json::Value::Array(json).to_string())
            data-tiles=[tiles.map(|t| t.url.as_str())] data-attribution=[tiles.map(|t| t.attribution.as_str())] {
            @if tiles.is_some() {
                link rel="stylesheet" href=(path(Named::LeafletCss));
                script src=(path(Named::LeafletJs)) defer {}
                div class="leaflet-box" data-leaflet role="img" aria-label=(label) {}
            } @else {
                svg class="plan" viewBox="0 0 300 300" role="img" aria-label=(label) {
                    circle class="plan-ring" cx="150" cy="150" r=(RING) {}
                    text class="plan-scale" x="150" y=(MIDDLE + RING + 18.0) text-anchor="middle" { (scale_label(scale)) }
                    text class="plan-north" x="150" y="16" text-anchor="middle" { "N" }
                    rect class="plan-base" x="142" y="142" width="16" height="16" {}
                    @for m in marks {
                        @let (x, y) = place(m);
                        g transform=(format!("translate({x:.1} {y:.1})")) {
                            circle class=(format!("plan-{}", m.kind)) r="7" {}
                            text class="plan-label" y="-11" text-anchor="middle" { (m.label) }
                        }
                    }
                }
            }
            figcaption {
                "The branch in the middle; "
                span class="legend-request" { "requests" } " and " span class="legend-mechanic" { "mechanics on duty" }
                " within " (scale_label(scale)) "."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_is_the_smallest_scale_that_holds_the_mechanic() {
        assert_eq!(scale_for(300.0), 500.0);
        assert_eq!(scale_for(1_500.0), 2_000.0);
        assert_eq!(scale_for(9_999_999.0), 500_000.0);
    }

    #[test]
    fn the_caption_says_where_in_words() {
        assert_eq!(
            caption(Some(3_240.0), Some(45.0), Some(6)),
            "The mechanic is 3.2 km north-east of you, about 6 minutes away."
        );
        assert_eq!(
            caption(Some(20.0), Some(0.0), None),
            "The mechanic is here."
        );
        assert_eq!(
            caption(None, None, None),
            "Waiting for the mechanic's position."
        );
        assert_eq!(
            caption(Some(480.0), Some(180.0), Some(1)),
            "The mechanic is 480 m south of you, about a minute away."
        );
    }
}
