//! Phone numbers, always held in E.164 (`+442079460000`): the one form SMS providers accept
//! and the one form two spellings of the same number share.

use std::{fmt, str::FromStr};

use phonenumber::{Mode, country};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneE164(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("must be a phone number such as +44 20 7946 0000")]
    Unreadable,
    #[error("is not a valid phone number; check the digits and the country code")]
    Invalid,
    #[error("is a national number; start it with + and the country code, such as +44")]
    NeedsCountry,
}

impl PhoneE164 {
    /// Reads a number as people type it. Without a leading `+`, it is read as a number of
    /// `default_region` (a two-letter country code such as `GB`), when given.
    pub fn parse(raw: &str, default_region: Option<&str>) -> Result<Self, PhoneError> {
        let raw = raw.trim();
        if raw.is_empty()
            || raw.len() > 40
            || !raw
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
        {
            return Err(PhoneError::Unreadable);
        }
        let region =
            default_region.and_then(|r| country::Id::from_str(&r.to_ascii_uppercase()).ok());
        if region.is_none() && !raw.starts_with('+') && !raw.starts_with("00") {
            return Err(PhoneError::NeedsCountry);
        }
        let normalised = match raw.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => raw.to_owned(),
        };
        let number = phonenumber::parse(region, &normalised).map_err(|_| PhoneError::Unreadable)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The digits as dialled within the country (`02079460000`), so a search for the national
    /// form finds the number too.
    pub fn national_digits(&self) -> String {
        phonenumber::parse(None, &self.0)
            .map(|n| {
                n.format()
                    .mode(Mode::National)
                    .to_string()
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The number as people read it: `+44 20 7946 0000`.
    pub fn international(&self) -> String {
        phonenumber::parse(None, &self.0)
            .map(|n| n.format().mode(Mode::International).to_string())
            .unwrap_or_else(|_| self.0.clone())
    }
}

impl fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_number_agree() {
        let a = PhoneE164::parse("+44 20 7946 0000", None).unwrap();
        let b = PhoneE164::parse("020 7946 0000", Some("gb")).unwrap();
        let c = PhoneE164::parse("0044 (20) 7946-0000", None).unwrap();
        assert_eq!(a.as_str(), "+442079460000");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.international(), "+44 20 7946 0000");
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(
            PhoneE164::parse("call me", None),
            Err(PhoneError::Unreadable)
        );
        assert_eq!(
            PhoneE164::parse("020 7946 0000", None),
            Err(PhoneError::NeedsCountry)
        );
        assert_eq!(
            PhoneE164::parse("+44 20 79", None),
            Err(PhoneError::Invalid)
        );
        assert_eq!(
            PhoneE164::parse("+1 555 0100", None),
            Err(PhoneError::Invalid)
        );
    }

    #[test]
    fn numbers_the_tests_use_are_valid() {
        for n in ["+447911123456", "+447911000100", "+447911000999"] {
            assert!(PhoneE164::parse(n, None).is_ok(), "{n}");
        }
    }
}
