//! Text newtypes: slug, e-mail, display names, host names, time zones.

use std::fmt;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TextError {
    #[error("is required")]
    Required,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must be at least {0} characters")]
    TooShort(usize),
    #[error(
        "may contain only lowercase letters, digits and hyphens, and must not start or end with a hyphen"
    )]
    BadSlug,
    #[error("is reserved; choose another")]
    ReservedSlug,
    #[error("is not a valid e-mail address")]
    BadEmail,
    #[error("is not a valid host name (for example shop.example.com)")]
    BadHost,
    #[error("is not a known time zone (use an IANA name such as Europe/Berlin)")]
    BadTimeZone,
    #[error("must be an https:// address")]
    BadHttpsUrl,
    #[error("is one of the most common passwords; choose one that is harder to guess")]
    CommonPassword,
    #[error("is not a country code (use two letters, such as GB or US)")]
    BadCountry,
    #[error("is not a currency code (use three letters, such as EUR or USD)")]
    BadCurrency,
    #[error("{CONTROL_CHARACTERS}")]
    ControlCharacter,
}

/// What people are told when text holds characters nobody types (NUL, escape, …).
pub const CONTROL_CHARACTERS: &str =
    "contains a control character (such as NUL); remove it and try again";

/// Whether text holds a character that no field stores: NUL and the other C0 and C1 control
/// characters, and DEL. Line breaks and tabs are allowed only in `multiline` text.
/// PostgreSQL refuses NUL in text outright; the others are refused so that both deployment
/// shapes store exactly the same text.
pub fn has_control_character(text: &str, multiline: bool) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// Refuses text with control characters (see [`has_control_character`]).
pub fn plain(text: &str, multiline: bool) -> Result<&str, TextError> {
    if has_control_character(text, multiline) {
        Err(TextError::ControlCharacter)
    } else {
        Ok(text)
    }
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A tenant's address on the platform: `{slug}.{base domain}` and `/t/{slug}/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);
string_newtype!(Slug);

/// Words that would collide with the platform's own hosts and paths.
pub const RESERVED_SLUGS: &[&str] = &[
    "www", "api", "admin", "app", "static", "assets", "mail", "smtp", "status", "help", "support",
    "docs", "billing", "signup", "signin", "login", "operator", "platform", "t", "webhooks",
];

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(TextError::Required);
        }
        if s.len() < 3 {
            return Err(TextError::TooShort(3));
        }
        if s.len() > 40 {
            return Err(TextError::TooLong(40));
        }
        let allowed = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !allowed || s.starts_with('-') || s.ends_with('-') {
            return Err(TextError::BadSlug);
        }
        if RESERVED_SLUGS.contains(&s.as_str()) {
            return Err(TextError::ReservedSlug);
        }
        Ok(Self(s))
    }
}

/// An e-mail address, trimmed and lower-cased so one person has one login.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(TextError::Required);
        }
        if s.len() > 254 {
            return Err(TextError::TooLong(254));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(TextError::BadEmail);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        if !local_ok || Host::parse(domain).is_err() || !domain.contains('.') {
            return Err(TextError::BadEmail);
        }
        Ok(Self(s))
    }
}

/// A name shown to people: trimmed, not empty, bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);
string_newtype!(DisplayName);

impl DisplayName {
    pub fn parse(raw: &str, max: usize) -> Result<Self, TextError> {
        // Line breaks and tabs are folded into spaces below; nothing else unprintable stays.
        plain(raw, true)?;
        let s: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err(TextError::Required);
        }
        if s.chars().count() > max {
            return Err(TextError::TooLong(max));
        }
        Ok(Self(s))
    }
}

/// Free text that may be empty (an address line, say); `None` when blank.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > max => Err(TextError::TooLong(max)),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// A DNS host name such as `service.example.com`, lower-cased, without port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Host(String);
string_newtype!(Host);

impl Host {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let s = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if s.is_empty() {
            return Err(TextError::Required);
        }
        if s.len() > 253 {
            return Err(TextError::TooLong(253));
        }
        let labels_ok = s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if !labels_ok {
            return Err(TextError::BadHost);
        }
        Ok(Self(s))
    }
}

/// An IANA time zone, checked against the tz database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(TextError::Required);
        }
        s.parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| TextError::BadTimeZone)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

/// An absolute https URL (logos, links); http is refused so pages never mix content.
pub fn https_url(raw: &str) -> Result<String, TextError> {
    let s = raw.trim();
    let rest = s.strip_prefix("https://").ok_or(TextError::BadHttpsUrl)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if s.len() > 2000 || Host::parse(host).is_err() || s.chars().any(char::is_whitespace) {
        return Err(TextError::BadHttpsUrl);
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            Slug::parse(" Joes-Garage ").unwrap().as_str(),
            "joes-garage"
        );
        assert_eq!(Slug::parse("ab"), Err(TextError::TooShort(3)));
        assert_eq!(Slug::parse("-abc"), Err(TextError::BadSlug));
        assert_eq!(Slug::parse("ab_c"), Err(TextError::BadSlug));
        assert_eq!(Slug::parse("admin"), Err(TextError::ReservedSlug));
        assert_eq!(Slug::parse(&"a".repeat(41)), Err(TextError::TooLong(40)));
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "ann@localhost",
            "a..b@x.com",
            "a b@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn hosts_and_urls() {
        assert_eq!(
            Host::parse("Shop.Example.com.").unwrap().as_str(),
            "shop.example.com"
        );
        assert!(Host::parse("bad_host.com").is_err());
        assert!(https_url("https://cdn.example.com/logo.png").is_ok());
        assert!(https_url("http://cdn.example.com/logo.png").is_err());
        assert!(https_url("https://").is_err());
        assert!(https_url("javascript:alert(1)").is_err());
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(TimeZone::parse("Mars/Olympus"), Err(TextError::BadTimeZone));
    }
}

/// A password someone chose. Length is the rule that matters; composition rules only annoy.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

impl NewPassword {
    pub const MIN: usize = 10;
    pub const MAX: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let length = raw.chars().count();
        if length == 0 {
            return Err(TextError::Required);
        }
        if length < Self::MIN {
            return Err(TextError::TooShort(Self::MIN));
        }
        if length > Self::MAX {
            return Err(TextError::TooLong(Self::MAX));
        }
        if is_common_password(raw) {
            return Err(TextError::CommonPassword);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Passwords of the minimum length or longer that lead the public breach lists, one per line.
/// Only those are worth listing: anything shorter is refused by length already.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether a password is a listed common one, or one character repeated, or a run such as
/// `abcdefghij` or `9876543210`, ignoring case and surrounding spaces.
fn is_common_password(raw: &str) -> bool {
    let candidate = raw.trim().to_lowercase();
    let chars: Vec<char> = candidate.chars().collect();
    let repeated = chars.windows(2).all(|w| w[0] == w[1]);
    let run = chars.windows(2).all(|w| w[1] as i64 - w[0] as i64 == 1)
        || chars.windows(2).all(|w| w[0] as i64 - w[1] as i64 == 1);
    repeated
        || run
        || COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .any(|line| !line.is_empty() && line == candidate)
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn common_and_trivial_passwords_are_refused() {
        for weak in [
            "1234567890",
            "Password123",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "abcdefghijk",
            "9876543210",
        ] {
            assert_eq!(
                NewPassword::parse(weak).map(|_| ()),
                Err(TextError::CommonPassword),
                "{weak}"
            );
        }
        assert!(NewPassword::parse("lug-nut-torque-42").is_ok());
        assert_eq!(
            NewPassword::parse("short").map(|_| ()),
            Err(TextError::TooShort(10))
        );
    }
}

/// An ISO 3166-1 alpha-2 country code (`GB`, `US`), as libphonenumber knows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountryCode(String);
string_newtype!(CountryCode);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(TextError::Required);
        }
        match code.len() == 2 && code.parse::<phonenumber::country::Id>().is_ok() {
            true => Ok(Self(code)),
            false => Err(TextError::BadCountry),
        }
    }
}

/// An ISO 4217 currency code (`EUR`, `JPY`); the currency knows its minor-unit exponent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurrencyCode(String);
string_newtype!(CurrencyCode);

impl CurrencyCode {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(TextError::Required);
        }
        match iso_currency::Currency::from_code(&code) {
            Some(_) => Ok(Self(code)),
            None => Err(TextError::BadCurrency),
        }
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn countries_and_currencies_are_checked() {
        assert_eq!(CountryCode::parse(" gb ").unwrap().as_str(), "GB");
        assert_eq!(CountryCode::parse("XX"), Err(TextError::BadCountry));
        assert_eq!(CurrencyCode::parse("eur").unwrap().as_str(), "EUR");
        assert_eq!(CurrencyCode::parse("EUX"), Err(TextError::BadCurrency));
    }
}
