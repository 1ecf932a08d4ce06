//! Charts drawn on the server as SVG: readable without JavaScript, printable, and accessible.
//! Each has a title and a description (`role="img"`, `aria-labelledby`), and the table it is
//! drawn from sits beside it for screen readers and for exact numbers. Colours come from the
//! theme (`--link` for marks, `--fg` for text), which holds AA contrast against the page in
//! both themes whatever the workshop's brand colour.

use maud::{Markup, html};

/// One mark per label; `None` draws nothing there (a ratio of nothing).
pub struct ChartData<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// What the chart shows, in words (read out by screen readers).
    pub description: &'a str,
    pub labels: Vec<String>,
    pub values: Vec<Option<i64>>,
}

const WIDTH: f64 = 400.0;

fn scale(values: &[Option<i64>]) -> (f64, f64) {
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(0) as f64;
    let min = values.iter().flatten().copied().min().unwrap_or(0).min(0) as f64;
    let span = if max - min <= 0.0 { 1.0 } else { max - min };
    (min, span)
}

fn frame(data: &ChartData<'_>, height: f64, marks: Markup) -> Markup {
    let title_id = format!("{}-title", data.id);
    let desc_id = format!("{}-desc", data.id);
    html! {
        figure class="chart" {
            svg id=(data.id) role="img" viewBox=(format!("0 0 {WIDTH} {height}"))
                aria-labelledby=(format!("{title_id} {desc_id}")) preserveAspectRatio="xMinYMin meet" {
                title id=(title_id) { (data.title) }
                desc id=(desc_id) { (data.description) }
                (marks)
            }
            figcaption { (data.title) }
        }
    }
}

/// Horizontal bars, one row per label (categories, branches, people): the label and the
/// value written above each bar, so long names never collide.
pub fn bars(data: &ChartData<'_>, format: impl Fn(i64) -> String) -> Markup {
    let row = 34.0;
    let height = (data.labels.len().max(1) as f64) * row + 6.0;
    let (min, span) = scale(&data.values);
    let zero = (-min / span) * WIDTH;
    let marks = html! {
        @for (i, (label, value)) in data.labels.iter().zip(&data.values).enumerate() {
            @let y = i as f64 * row;
            text class="chart-text" x="0" y=(format!("{:.1}", y + 12.0)) { (label) ": " (value.map_or_else(|| "—".to_owned(), &format)) }
            @if let Some(v) = value {
                @let w = (*v as f64 / span * WIDTH).abs();
                @let x = if *v < 0 { zero - w } else { zero };
                rect class="chart-mark" x=(format!("{x:.1}")) y=(format!("{:.1}", y + 16.0))
                    width=(format!("{:.1}", w.max(1.0))) height="12" rx="2" {}
            }
        }
        @if min < 0.0 {
            line class="chart-axis" x1=(format!("{zero:.1}")) x2=(format!("{zero:.1}")) y1="0" y2=(format!("{height:.1}")) {}
        }
    };
    frame(data, height, marks)
}

/// Columns or a line over time (the labels are dates): the first, middle and last label are
/// written under the axis, the highest value beside it.
pub fn over_time(data: &ChartData<'_>, line: bool, format: impl Fn(i64) -> String) -> Markup {
    let (top, plot_h, height) = (16.0, 150.0, 200.0);
    let n = data.values.len().max(1);
    let step = WIDTH / n as f64;
    let (min, span) = scale(&data.values);
    let y_of = |v: i64| top + plot_h - ((v as f64 - min) / span) * plot_h;
    let baseline = y_of(0);
    let points: Vec<String> = data
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", (i as f64 + 0.5) * step, y_of(v))))
        .collect();
    let peak = data.values.iter().flatten().copied().max();
    let shown: Vec<usize> = {
        let mut v = vec![0, n / 2, n - 1];
        v.dedup();
        v
    };
    let marks = html! {
        @if let Some(peak) = peak {
            text class="chart-text" x="0" y="11" { "Highest: " (format(peak)) }
        }
        line class="chart-axis" x1="0" x2=(WIDTH) y1=(format!("{baseline:.1}")) y2=(format!("{baseline:.1}")) {}
        @if line {
            polyline class="chart-line" fill="none" points=(points.join(" ")) {}
            @for p in &points {
                @let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
                circle class="chart-mark" cx=(x) cy=(y) r="2.5" {}
            }
        } @else {
            @for (i, v) in data.values.iter().enumerate() {
                @if let Some(v) = v {
                    @let y = y_of(*v).min(baseline);
                    @let h = (y_of(*v) - baseline).abs();
                    rect class="chart-mark" x=(format!("{:.1}", i as f64 * step + step * 0.15))
                        y=(format!("{y:.1}")) width=(format!("{:.1}", (step * 0.7).max(1.0)))
                        height=(format!("{:.1}", h.max(0.5))) {}
                }
            }
        }
        @for i in shown {
            @if let Some(label) = data.labels.get(i) {
                @let anchor = if i == 0 { "start" } else if i == n - 1 { "end" } else { "middle" };
                @let x = if i == 0 { 0.0 } else if i == n - 1 { WIDTH } else { (i as f64 + 0.5) * step };
                text class="chart-text" x=(format!("{x:.1}")) y=(format!("{:.1}", top + plot_h + 22.0)) text-anchor=(anchor) { (label) }
            }
        }
    };
    frame(data, height, marks)
}
