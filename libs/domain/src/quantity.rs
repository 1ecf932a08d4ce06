//! Quantities (hours of labour, units of a part) and rates, as they are stored: integer
//! thousandths and integer basis points, exact on every database and summable in SQL.

use rust_decimal::{Decimal, prelude::ToPrimitive};

/// Thousandths in one unit.
pub const MILLI: i64 = 1000;

/// The quantity stored as thousandths.
pub fn from_milli(milli: i64) -> Decimal {
    Decimal::new(milli, 3)
}

/// Thousandths of a quantity, when it has at most three decimal places.
pub fn to_milli(quantity: Decimal) -> Option<i64> {
    let scaled = quantity.checked_mul(Decimal::from(MILLI))?;
    if scaled.fract().is_zero() {
        scaled.to_i64()
    } else {
        None
    }
}

/// Reads a quantity as people type it (`2`, `1.5`, `0,75`) into thousandths; more than zero
/// and at most a million.
pub fn parse_quantity(raw: &str) -> Result<i64, &'static str> {
    let cleaned = raw.trim().replace(',', ".");
    if cleaned.is_empty() {
        return Err("enter a quantity such as 1 or 1.5");
    }
    let value: Decimal = cleaned
        .parse()
        .map_err(|_| "must be a number such as 1 or 1.5")?;
    if value <= Decimal::ZERO {
        return Err("must be more than zero");
    }
    if value > Decimal::from(1_000_000) {
        return Err("is too large");
    }
    to_milli(value).ok_or("can have at most three decimal places")
}

/// Like [`parse_quantity`], but zero and negative amounts are allowed (a stock adjustment).
pub fn parse_signed_quantity(raw: &str) -> Result<i64, &'static str> {
    let trimmed = raw.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    if digits.trim() == "0" {
        return Ok(0);
    }
    let milli = parse_quantity(digits)?;
    Ok(if negative { -milli } else { milli })
}

/// `1.5`, `2`, `0.125`: the shortest form of a quantity.
pub fn format_quantity(milli: i64) -> String {
    from_milli(milli).normalize().to_string()
}

/// The rate a count of basis points stands for (`1250` → `0.125`).
pub fn from_bp(bp: i32) -> Decimal {
    Decimal::new(i64::from(bp), 4)
}

/// Reads a percentage (`20`, `12.5`, `12.5%`) into basis points, between 0 and `max` percent.
pub fn parse_percent(raw: &str, max: u32) -> Result<i32, &'static str> {
    let cleaned = raw.trim().trim_end_matches('%').trim().replace(',', ".");
    let value: Decimal = cleaned
        .parse()
        .map_err(|_| "must be a percentage such as 20 or 12.5")?;
    if value < Decimal::ZERO || value > Decimal::from(max) {
        return Err("is outside the allowed range");
    }
    let bp = value * Decimal::from(100);
    if !bp.fract().is_zero() {
        return Err("can have at most two decimal places");
    }
    bp.to_i32().ok_or("is too large")
}

/// `12.5%`: basis points as a percentage.
pub fn format_percent(bp: i32) -> String {
    format!("{}%", Decimal::new(i64::from(bp), 2).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantities_read_as_people_type_them() {
        assert_eq!(parse_quantity("2"), Ok(2000));
        assert_eq!(parse_quantity("1.5"), Ok(1500));
        assert_eq!(parse_quantity("0,75"), Ok(750));
        assert!(parse_quantity("0").is_err());
        assert!(parse_quantity("-1").is_err());
        assert!(parse_quantity("1.2345").is_err());
        assert!(parse_quantity("two").is_err());
        assert_eq!(parse_signed_quantity("-3"), Ok(-3000));
        assert_eq!(parse_signed_quantity("0"), Ok(0));
        assert_eq!(format_quantity(1500), "1.5");
        assert_eq!(format_quantity(2000), "2");
    }

    #[test]
    fn percentages_become_basis_points() {
        assert_eq!(parse_percent("20", 100), Ok(2000));
        assert_eq!(parse_percent("12.5%", 100), Ok(1250));
        assert!(parse_percent("101", 100).is_err());
        assert!(parse_percent("1.005", 100).is_err());
        assert_eq!(format_percent(1250), "12.5%");
        assert_eq!(from_bp(1250), Decimal::new(125, 3));
    }

    proptest! {
        #[test]
        fn thousandths_round_trip(milli in -1_000_000_000i64..1_000_000_000) {
            prop_assert_eq!(to_milli(from_milli(milli)), Some(milli));
            if milli > 0 && milli <= 1_000_000_000 {
                prop_assert_eq!(parse_quantity(&format_quantity(milli)), Ok(milli));
            }
        }
    }
}
