//! How a report's figures read, the same on its page and on paper: money in the report's
//! currency, hours, percentages, times-figures, changes against earlier periods.

use pitlane_domain::{
    money::format_amount,
    quantity::format_quantity,
    reports::{Period, ratio_bp},
    text::CurrencyCode,
};

use crate::report::{Report, Unit, Value};

/// A value of a column, as people read it.
pub fn shown(unit: Unit, value: &Value, currency: &CurrencyCode) -> String {
    match (unit, value) {
        (_, Value::Empty) => "—".to_owned(),
        (_, Value::Text(t)) => t.clone(),
        (Unit::Money, Value::Number(n)) => format_amount(*n, currency),
        (Unit::Hours, Value::Number(n)) => format!("{} h", format_quantity(*n)),
        (Unit::Percent, Value::Number(n)) => percent(*n),
        (Unit::Ratio, Value::Number(n)) => format!("{}.{:02}×", n / 100, (n % 100).abs()),
        (Unit::Stars, Value::Number(n)) => format!("{}.{:02} of 5", n / 100, (n % 100).abs()),
        (_, Value::Number(n)) => n.to_string(),
    }
}

/// Basis points as a percentage with one place: `12.5 %`.
pub fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "−" } else { "" };
    let abs = bp.unsigned_abs();
    format!("{sign}{}.{:01} %", abs / 100, (abs % 100) / 10)
}

/// "+12.5 %" against an earlier figure; nothing when there is nothing to compare.
pub fn change(now: Option<i64>, before: Option<i64>) -> Option<String> {
    let (now, before) = (now?, before?);
    if before == 0 {
        return None;
    }
    let bp = ratio_bp(now - before, before.abs())?;
    Some(if bp >= 0 {
        format!("+{}", percent(bp))
    } else {
        percent(bp)
    })
}

/// `1 Mar 2026 – 31 Mar 2026`, or the one day.
pub fn days(p: &Period) -> String {
    if p.from == p.to {
        p.from.format("%-d %b %Y").to_string()
    } else {
        format!(
            "{} – {}",
            p.from.format("%-d %b %Y"),
            p.to.format("%-d %b %Y")
        )
    }
}

/// The period a report covers and what it is compared with.
pub fn period(report: &Report) -> String {
    format!(
        "{} · compared with {} and {}",
        days(&report.period),
        days(&report.previous),
        days(&report.last_year)
    )
}

/// The report's currency; an unreadable stored code would be a bug, so it reads as euros
/// rather than failing a page.
pub fn currency(code: &str) -> CurrencyCode {
    CurrencyCode::parse(code).unwrap_or_else(|_| CurrencyCode::parse("EUR").expect("EUR"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        let eur = currency("EUR");
        assert_eq!(percent(1250), "12.5 %");
        assert_eq!(percent(-50), "−0.5 %");
        assert_eq!(shown(Unit::Ratio, &Value::Number(350), &eur), "3.50×");
        assert_eq!(shown(Unit::Hours, &Value::Number(1500), &eur), "1.5 h");
        assert_eq!(shown(Unit::Stars, &Value::Number(425), &eur), "4.25 of 5");
        assert_eq!(shown(Unit::Count, &Value::Empty, &eur), "—");
        assert_eq!(change(Some(110), Some(100)).as_deref(), Some("+10.0 %"));
        assert_eq!(change(Some(90), Some(100)).as_deref(), Some("−10.0 %"));
        assert_eq!(change(Some(90), Some(0)), None);
    }
}
