//! Money: integer minor units of an ISO 4217 currency, whose exponent says where the point
//! goes (JPY 0, EUR 2, BHD 3). No float ever holds an amount.

use std::fmt;

use crate::text::CurrencyCode;

pub fn exponent(currency: &CurrencyCode) -> u32 {
    iso_currency::Currency::from_code(currency.as_str())
        .and_then(|c| c.exponent())
        .map(u32::from)
        .unwrap_or(2)
}

/// Reads an amount as people type it (`49`, `49.90`, `1,299.00`) into minor units.
pub fn parse_amount(raw: &str, currency: &CurrencyCode) -> Result<i64, &'static str> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != ' ')
        .collect();
    if cleaned.is_empty() {
        return Err("enter an amount such as 49.90");
    }
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let places = exponent(currency);
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("must be an amount such as 49.90, without a currency sign");
    }
    if fraction.len() > places as usize {
        return Err("has more decimal places than the currency has");
    }
    let scale = 10i64.pow(places);
    let whole: i64 = whole.parse().map_err(|_| "is too large")?;
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i64>().map_err(|_| "is too large")?
            * 10i64.pow(places - fraction.len() as u32)
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .filter(|v| *v <= 1_000_000_000_000)
        .ok_or("is too large")
}

/// `1234.50 EUR`: the amount with the currency's own number of decimals.
pub fn format_amount(minor: i64, currency: &CurrencyCode) -> String {
    let places = exponent(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if places == 0 {
        return format!("{sign}{abs} {currency}");
    }
    let scale = 10u64.pow(places);
    format!(
        "{sign}{}.{:0width$} {currency}",
        abs / scale,
        abs % scale,
        width = places as usize
    )
}

/// `1234.50`: the amount as a form carries it, without the currency; reads back with
/// [`parse_amount`].
pub fn plain_amount(minor: i64, currency: &CurrencyCode) -> String {
    let formatted = format_amount(minor, currency);
    formatted
        .split_whitespace()
        .next()
        .unwrap_or("0")
        .to_owned()
}

/// An amount and its currency, travelling together: integer minor units of that currency.
/// Shown with [`fmt::Display`] (`1234.50 EUR`), or [`Money::plain`] for a form field. The one
/// rounding rule (for tax and percentages) stays in
/// [`crate::pricing`] and [`crate::invoicing`]: a `Money` is always a whole number of minor
/// units already.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: CurrencyCode,
}

impl Money {
    pub fn new(minor: i64, currency: CurrencyCode) -> Self {
        Self { minor, currency }
    }

    /// `1234.50`: as a form field carries it, without the currency.
    pub fn plain(&self) -> String {
        plain_amount(self.minor, &self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_amount(self.minor, &self.currency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_currency_exponent() {
        let eur = CurrencyCode::parse("EUR").unwrap();
        let jpy = CurrencyCode::parse("JPY").unwrap();
        let bhd = CurrencyCode::parse("BHD").unwrap();
        assert_eq!(parse_amount("49.9", &eur), Ok(4990));
        assert_eq!(parse_amount("1,299.00", &eur), Ok(129_900));
        assert_eq!(parse_amount("1500", &jpy), Ok(1500));
        assert!(parse_amount("15.5", &jpy).is_err());
        assert_eq!(parse_amount("1.234", &bhd), Ok(1234));
        assert!(parse_amount("€5", &eur).is_err());
        assert_eq!(format_amount(4990, &eur), "49.90 EUR");
        assert_eq!(format_amount(1500, &jpy), "1500 JPY");
        assert_eq!(format_amount(1234, &bhd), "1.234 BHD");
    }

    #[test]
    fn money_keeps_its_currency() {
        let eur = CurrencyCode::parse("EUR").unwrap();
        let price = Money::new(parse_amount("49.90", &eur).unwrap(), eur);
        assert_eq!(price.minor, 4990);
        assert_eq!(price.to_string(), "49.90 EUR");
        assert_eq!(price.plain(), "49.90");
    }
}
