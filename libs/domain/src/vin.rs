//! Vehicle Identification Numbers (ISO 3779), read offline. Workshops copy them off a
//! windscreen or a registration document, so parsing forgives spacing and case but refuses
//! what cannot be a VIN, and uses the check digit to catch typos where the region has one.

use std::fmt;

use thiserror::Error;

const LENGTH: usize = 17;

/// A VIN as the vehicle carries it: 17 characters, uppercase, without separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vin(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VinError {
    #[error("contains a character that is not a letter or digit")]
    InvalidCharacter,
    #[error("must not contain I, O or Q (they look like 1 and 0)")]
    ConfusableLetter,
    #[error("must be 17 characters (got {got})")]
    WrongLength { got: usize },
    #[error(
        "check digit does not match: the VIN has {found} in position 9, its characters give {expected}; check for a typo"
    )]
    CheckDigit { found: char, expected: char },
}

/// What the VIN says about itself, without asking anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VinInfo {
    pub region: &'static str,
    pub country: Option<&'static str>,
    pub manufacturer: Option<&'static str>,
    pub model_year: Option<i32>,
    /// Whether the region mandates the check digit; when it does, `Vin::parse` has already
    /// refused a VIN whose digit is wrong.
    pub check_digit_verified: bool,
}

const AFRICA: &str = "Africa";
const ASIA: &str = "Asia";
const EUROPE: &str = "Europe";
const NORTH_AMERICA: &str = "North America";
const OCEANIA: &str = "Oceania";
const SOUTH_AMERICA: &str = "South America";

impl Vin {
    /// Reads a VIN as people type it: surrounding and inner spaces and hyphens are dropped
    /// and letters uppercased before the characters and the check digit are judged.
    pub fn parse(raw: &str) -> Result<Self, VinError> {
        let vin: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !vin.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(VinError::InvalidCharacter);
        }
        if vin.contains(['I', 'O', 'Q']) {
            return Err(VinError::ConfusableLetter);
        }
        // Only ASCII is left, so bytes and characters count the same.
        if vin.len() != LENGTH {
            return Err(VinError::WrongLength { got: vin.len() });
        }
        let bytes = vin.as_bytes();
        if uses_check_digit(bytes) {
            let expected = check_digit(bytes);
            if bytes[8] != expected {
                return Err(VinError::CheckDigit {
                    found: char::from(bytes[8]),
                    expected: char::from(expected),
                });
            }
        }
        Ok(Self(vin))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The World Manufacturer Identifier: the first three characters.
    pub fn wmi(&self) -> &str {
        &self.0[..3]
    }

    /// Decodes what can be known offline. `current_year` bounds the model year, which the
    /// VIN only gives modulo 30 years; the caller passes it so the domain reads no clock.
    pub fn decode(&self, current_year: i32) -> VinInfo {
        let bytes = self.0.as_bytes();
        let area = region(bytes);
        VinInfo {
            region: area,
            country: origin(bytes).map(|c| c.name),
            manufacturer: manufacturer(self.wmi()),
            model_year: model_year(bytes, area == NORTH_AMERICA, current_year),
            check_digit_verified: uses_check_digit(bytes),
        }
    }
}

impl fmt::Display for Vin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Vin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// North American rules (49 CFR 565) and China's GB 16735 make the check digit mandatory;
/// elsewhere position 9 is often a filler such as `Z`, so enforcing it would refuse real cars.
fn uses_check_digit(vin: &[u8]) -> bool {
    vin[0] == b'L' || region(vin) == NORTH_AMERICA
}

fn check_digit(vin: &[u8]) -> u8 {
    const WEIGHTS: [u32; LENGTH] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let sum: u32 = vin
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| transliterate(c) * w)
        .sum();
    match sum % 11 {
        10 => b'X',
        // The remainder is below 10 here, so it fits one digit.
        digit => b'0' + digit as u8,
    }
}

/// Letter values follow their place in the alphabet, restarting at J and S; I, O and Q
/// never occur, which is why P is 7 and R is 9.
fn transliterate(c: u8) -> u32 {
    u32::from(match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'H' => c - b'A' + 1,
        b'J'..=b'R' => c - b'J' + 1,
        b'S'..=b'Z' => c - b'S' + 2,
        _ => 0,
    })
}

fn region(vin: &[u8]) -> &'static str {
    origin(vin)
        .and_then(|c| c.region)
        .unwrap_or_else(|| region_of(vin[0]))
}

/// The ISO 3780 region a first character was assigned to.
fn region_of(first: u8) -> &'static str {
    match first {
        b'A'..=b'H' => AFRICA,
        b'J'..=b'R' => ASIA,
        b'S'..=b'Z' => EUROPE,
        b'1'..=b'5' => NORTH_AMERICA,
        b'6' | b'7' => OCEANIA,
        b'8' | b'9' => SOUTH_AMERICA,
        _ => "Unknown",
    }
}

/// Position 10 cycles through these 30 codes, starting with A for 1980.
const YEAR_CODES: &[u8; 30] = b"ABCDEFGHJKLMNPRSTVWXY123456789";

fn model_year(vin: &[u8], north_american: bool, current_year: i32) -> Option<i32> {
    let offset = YEAR_CODES.iter().position(|&c| c == vin[9])? as i32;
    // Vehicles are sold as next year's model a few months early, never further ahead.
    let latest = current_year + 1;
    let newest_possible = 1980 + offset + (latest - 1980 - offset).div_euclid(30) * 30;
    if !north_american {
        return Some(newest_possible);
    }
    // 49 CFR 565 tells the cycles apart by position 7 (a digit until 2009, a letter from
    // 2010), but only for light vehicles; a heavy truck can land in the future by that rule,
    // and then the newest possible year is the better reading.
    let by_position_7 = if vin[6].is_ascii_digit() {
        1980 + offset
    } else {
        2010 + offset
    };
    Some(if by_position_7 <= latest {
        by_position_7
    } else {
        newest_possible
    })
}

/// A range of WMI second characters that ISO 3780 assigns to one country, in the standard's
/// own order (A–Z, then 1–9, then 0).
struct Country {
    first: u8,
    from: u8,
    to: u8,
    name: &'static str,
    /// Set where the country sits outside the region its first character names.
    region: Option<&'static str>,
}

const fn country(first: u8, from: u8, to: u8, name: &'static str) -> Country {
    Country {
        first,
        from,
        to,
        name,
        region: None,
    }
}

/// Best effort: only assignments that are in common use are listed.
const COUNTRIES: &[Country] = &[
    country(b'A', b'A', b'H', "South Africa"),
    country(b'A', b'J', b'N', "Côte d'Ivoire"),
    country(b'C', b'A', b'E', "Benin"),
    country(b'C', b'F', b'K', "Madagascar"),
    country(b'D', b'L', b'R', "Zambia"),
    country(b'E', b'A', b'E', "Ethiopia"),
    country(b'J', b'A', b'0', "Japan"),
    country(b'K', b'A', b'E', "Sri Lanka"),
    country(b'K', b'F', b'K', "Israel"),
    country(b'K', b'L', b'R', "South Korea"),
    country(b'K', b'S', b'0', "Kazakhstan"),
    country(b'L', b'A', b'0', "China"),
    country(b'M', b'A', b'E', "India"),
    country(b'M', b'F', b'K', "Indonesia"),
    country(b'M', b'L', b'R', "Thailand"),
    country(b'M', b'S', b'0', "Myanmar"),
    country(b'N', b'A', b'E', "Iran"),
    country(b'N', b'F', b'K', "Pakistan"),
    country(b'N', b'L', b'R', "Turkey"),
    country(b'P', b'A', b'E', "Philippines"),
    country(b'P', b'L', b'R', "Malaysia"),
    country(b'R', b'A', b'E', "United Arab Emirates"),
    country(b'R', b'F', b'K', "Taiwan"),
    country(b'R', b'L', b'R', "Vietnam"),
    country(b'R', b'S', b'0', "Saudi Arabia"),
    country(b'S', b'A', b'M', "United Kingdom"),
    country(b'S', b'N', b'T', "Germany"),
    country(b'S', b'U', b'Z', "Poland"),
    country(b'T', b'A', b'H', "Switzerland"),
    country(b'T', b'J', b'P', "Czechia"),
    country(b'T', b'R', b'V', "Hungary"),
    country(b'U', b'N', b'T', "Ireland"),
    country(b'U', b'U', b'Z', "Romania"),
    country(b'V', b'A', b'E', "Austria"),
    country(b'V', b'F', b'R', "France"),
    country(b'V', b'S', b'W', "Spain"),
    country(b'V', b'3', b'5', "Croatia"),
    country(b'V', b'6', b'0', "Estonia"),
    country(b'W', b'A', b'0', "Germany"),
    country(b'X', b'L', b'R', "Netherlands"),
    country(b'X', b'S', b'W', "Russia"),
    country(b'X', b'3', b'0', "Russia"),
    country(b'Y', b'A', b'E', "Belgium"),
    country(b'Y', b'F', b'K', "Finland"),
    country(b'Y', b'S', b'W', "Sweden"),
    country(b'Y', b'X', b'2', "Norway"),
    country(b'Y', b'3', b'5', "Belarus"),
    country(b'Z', b'A', b'R', "Italy"),
    country(b'Z', b'X', b'2', "Slovenia"),
    country(b'Z', b'3', b'5', "Lithuania"),
    country(b'1', b'A', b'0', "United States"),
    country(b'2', b'A', b'0', "Canada"),
    country(b'3', b'A', b'W', "Mexico"),
    country(b'3', b'X', b'7', "Costa Rica"),
    country(b'3', b'8', b'9', "Cayman Islands"),
    country(b'4', b'A', b'0', "United States"),
    country(b'5', b'A', b'0', "United States"),
    country(b'6', b'A', b'W', "Australia"),
    country(b'7', b'A', b'E', "New Zealand"),
    // When the 1–5 codes ran short, the United States was given part of 7 as well.
    Country {
        first: b'7',
        from: b'F',
        to: b'0',
        name: "United States",
        region: Some(NORTH_AMERICA),
    },
    country(b'8', b'A', b'E', "Argentina"),
    country(b'8', b'F', b'K', "Chile"),
    country(b'8', b'L', b'R', "Ecuador"),
    country(b'8', b'S', b'W', "Peru"),
    country(b'8', b'X', b'2', "Venezuela"),
    country(b'9', b'A', b'E', "Brazil"),
    country(b'9', b'F', b'K', "Colombia"),
    country(b'9', b'L', b'R', "Paraguay"),
    country(b'9', b'S', b'W', "Uruguay"),
    country(b'9', b'X', b'2', "Trinidad and Tobago"),
    country(b'9', b'3', b'9', "Brazil"),
];

/// Position of a WMI character in ISO 3780's range order, where 0 comes after 9.
fn rank(c: u8) -> u8 {
    match c {
        b'A'..=b'Z' => c - b'A',
        b'1'..=b'9' => 26 + (c - b'1'),
        _ => 35,
    }
}

fn origin(vin: &[u8]) -> Option<&'static Country> {
    let second = rank(vin[1]);
    COUNTRIES
        .iter()
        .find(|c| c.first == vin[0] && (rank(c.from)..=rank(c.to)).contains(&second))
}

fn manufacturer(wmi: &str) -> Option<&'static str> {
    MANUFACTURERS
        .binary_search_by(|(code, _)| (*code).cmp(wmi))
        .ok()
        .map(|i| MANUFACTURERS[i].1)
}

/// Common World Manufacturer Identifiers, sorted by code for binary search. A brand with
/// plants in several countries has one entry per WMI, since the WMI names the plant's
/// country too.
const MANUFACTURERS: &[(&str, &str)] = &[
    ("19U", "Acura"),
    ("19X", "Honda"),
    ("1B3", "Dodge"),
    ("1B7", "Dodge"),
    ("1C3", "Chrysler / Dodge"),
    ("1C4", "Chrysler / Dodge / Jeep"),
    ("1C6", "Ram"),
    ("1D7", "Dodge"),
    ("1FA", "Ford"),
    ("1FD", "Ford"),
    ("1FM", "Ford"),
    ("1FT", "Ford"),
    ("1FU", "Freightliner"),
    ("1G1", "Chevrolet"),
    ("1G2", "Pontiac"),
    ("1G3", "Oldsmobile"),
    ("1G4", "Buick"),
    ("1G6", "Cadillac"),
    ("1G8", "Saturn"),
    ("1GB", "Chevrolet"),
    ("1GC", "Chevrolet"),
    ("1GK", "GMC"),
    ("1GN", "Chevrolet"),
    ("1GT", "GMC"),
    ("1GY", "Cadillac"),
    ("1HD", "Harley-Davidson"),
    ("1HG", "Honda"),
    ("1HT", "International"),
    ("1J4", "Jeep"),
    ("1J8", "Jeep"),
    ("1LN", "Lincoln"),
    ("1M2", "Mack"),
    ("1ME", "Mercury"),
    ("1N4", "Nissan"),
    ("1N6", "Nissan"),
    ("1NX", "Toyota"),
    ("1V2", "Volkswagen"),
    ("1VW", "Volkswagen"),
    ("1XK", "Kenworth"),
    ("1XP", "Peterbilt"),
    ("1YV", "Mazda"),
    ("1ZV", "Ford"),
    ("2B3", "Dodge"),
    ("2C3", "Chrysler / Dodge"),
    ("2C4", "Chrysler / Dodge"),
    ("2FA", "Ford"),
    ("2FM", "Ford"),
    ("2G1", "Chevrolet"),
    ("2G2", "Pontiac"),
    ("2HG", "Honda"),
    ("2HK", "Honda"),
    ("2HN", "Acura"),
    ("2LM", "Lincoln"),
    ("2T1", "Toyota"),
    ("2T2", "Lexus"),
    ("2T3", "Toyota"),
    ("3C4", "Chrysler / Jeep"),
    ("3C6", "Ram"),
    ("3D7", "Dodge"),
    ("3FA", "Ford"),
    ("3G1", "Chevrolet"),
    ("3GC", "Chevrolet"),
    ("3KP", "Kia"),
    ("3N1", "Nissan"),
    ("3TM", "Toyota"),
    ("3VV", "Volkswagen"),
    ("3VW", "Volkswagen"),
    ("4JG", "Mercedes-Benz"),
    ("4S3", "Subaru"),
    ("4S4", "Subaru"),
    ("4T1", "Toyota"),
    ("4T3", "Toyota"),
    ("4US", "BMW"),
    ("4V4", "Volvo Trucks"),
    ("55S", "Mercedes-Benz"),
    ("58A", "Lexus"),
    ("5FN", "Honda"),
    ("5GA", "Buick"),
    ("5J6", "Honda"),
    ("5J8", "Acura"),
    ("5LM", "Lincoln"),
    ("5N1", "Nissan"),
    ("5NM", "Hyundai"),
    ("5NP", "Hyundai"),
    ("5TD", "Toyota"),
    ("5TF", "Toyota"),
    ("5UX", "BMW"),
    ("5XX", "Kia"),
    ("5XY", "Kia"),
    ("5YF", "Toyota"),
    ("5YJ", "Tesla"),
    ("6FP", "Ford"),
    ("6G1", "Holden"),
    ("6MM", "Mitsubishi"),
    ("6T1", "Toyota"),
    ("7SA", "Tesla"),
    ("8AJ", "Toyota"),
    ("8AP", "Fiat"),
    ("8AW", "Volkswagen"),
    ("93H", "Honda"),
    ("9BD", "Fiat"),
    ("9BF", "Ford"),
    ("9BG", "Chevrolet"),
    ("9BW", "Volkswagen"),
    ("AAV", "Volkswagen"),
    ("AFA", "Ford"),
    ("AHT", "Toyota"),
    ("JA3", "Mitsubishi"),
    ("JA4", "Mitsubishi"),
    ("JAA", "Isuzu"),
    ("JAL", "Isuzu"),
    ("JF1", "Subaru"),
    ("JF2", "Subaru"),
    ("JH2", "Honda"),
    ("JH4", "Acura"),
    ("JHL", "Honda"),
    ("JHM", "Honda"),
    ("JKA", "Kawasaki"),
    ("JM1", "Mazda"),
    ("JM3", "Mazda"),
    ("JMB", "Mitsubishi"),
    ("JMZ", "Mazda"),
    ("JN1", "Nissan"),
    ("JN8", "Nissan"),
    ("JNK", "Infiniti"),
    ("JNR", "Infiniti"),
    ("JS1", "Suzuki"),
    ("JS2", "Suzuki"),
    ("JS3", "Suzuki"),
    ("JSA", "Suzuki"),
    ("JT2", "Toyota"),
    ("JT3", "Toyota"),
    ("JT4", "Toyota"),
    ("JT6", "Lexus"),
    ("JT8", "Lexus"),
    ("JTD", "Toyota"),
    ("JTE", "Toyota"),
    ("JTH", "Lexus"),
    ("JTJ", "Lexus"),
    ("JTK", "Toyota"),
    ("JTL", "Toyota"),
    ("JTM", "Toyota"),
    ("JTN", "Toyota"),
    ("JYA", "Yamaha"),
    ("KL1", "Chevrolet"),
    ("KLA", "Daewoo / GM Korea"),
    ("KM8", "Hyundai"),
    ("KMH", "Hyundai"),
    ("KNA", "Kia"),
    ("KND", "Kia"),
    ("KNM", "Renault Samsung"),
    ("KPT", "SsangYong"),
    ("LBV", "BMW Brilliance"),
    ("LE4", "Beijing Benz"),
    ("LFV", "FAW-Volkswagen"),
    ("LGX", "BYD"),
    ("LHG", "GAC Honda"),
    ("LRW", "Tesla"),
    ("LSG", "SAIC-GM"),
    ("LSJ", "SAIC MG"),
    ("LSV", "SAIC Volkswagen"),
    ("LTV", "FAW Toyota"),
    ("LVG", "GAC Toyota"),
    ("LVH", "Dongfeng Honda"),
    ("LVS", "Changan Ford"),
    ("LYV", "Volvo"),
    ("LZW", "SAIC-GM-Wuling"),
    ("MA1", "Mahindra"),
    ("MA3", "Maruti Suzuki"),
    ("MAL", "Hyundai"),
    ("MAT", "Tata Motors"),
    ("MMB", "Mitsubishi"),
    ("MPA", "Isuzu"),
    ("MR0", "Toyota"),
    ("NM0", "Ford Otosan"),
    ("NMT", "Toyota"),
    ("SAD", "Jaguar"),
    ("SAJ", "Jaguar"),
    ("SAL", "Land Rover"),
    ("SB1", "Toyota"),
    ("SCA", "Rolls-Royce"),
    ("SCB", "Bentley"),
    ("SCC", "Lotus"),
    ("SCE", "DeLorean"),
    ("SCF", "Aston Martin"),
    ("SHH", "Honda"),
    ("SHS", "Honda"),
    ("SJN", "Nissan"),
    ("SMT", "Triumph"),
    ("TMA", "Hyundai"),
    ("TMB", "Škoda"),
    ("TRU", "Audi"),
    ("TSM", "Suzuki"),
    ("UU1", "Dacia"),
    ("VBK", "KTM"),
    ("VF1", "Renault"),
    ("VF3", "Peugeot"),
    ("VF6", "Renault Trucks"),
    ("VF7", "Citroën"),
    ("VNK", "Toyota"),
    ("VR1", "DS Automobiles"),
    ("VR3", "Peugeot"),
    ("VR7", "Citroën"),
    ("VS6", "Ford"),
    ("VS7", "Citroën"),
    ("VSS", "SEAT"),
    ("W0L", "Opel"),
    ("W0V", "Opel"),
    ("W1K", "Mercedes-Benz"),
    ("W1N", "Mercedes-Benz"),
    ("W1V", "Mercedes-Benz"),
    ("WA1", "Audi"),
    ("WAU", "Audi"),
    ("WB1", "BMW Motorrad"),
    ("WBA", "BMW"),
    ("WBS", "BMW"),
    ("WBY", "BMW"),
    ("WDB", "Mercedes-Benz"),
    ("WDC", "Mercedes-Benz"),
    ("WDD", "Mercedes-Benz"),
    ("WDF", "Mercedes-Benz"),
    ("WF0", "Ford"),
    ("WMA", "MAN"),
    ("WME", "smart"),
    ("WMW", "MINI"),
    ("WP0", "Porsche"),
    ("WP1", "Porsche"),
    ("WUA", "Audi"),
    ("WV1", "Volkswagen"),
    ("WV2", "Volkswagen"),
    ("WVG", "Volkswagen"),
    ("WVW", "Volkswagen"),
    ("XLR", "DAF"),
    ("XTA", "Lada"),
    ("YS2", "Scania"),
    ("YS3", "Saab"),
    ("YV1", "Volvo"),
    ("YV2", "Volvo Trucks"),
    ("YV3", "Volvo Buses"),
    ("YV4", "Volvo"),
    ("ZAM", "Maserati"),
    ("ZAP", "Piaggio"),
    ("ZAR", "Alfa Romeo"),
    ("ZCF", "Iveco"),
    ("ZD4", "Aprilia"),
    ("ZDM", "Ducati"),
    ("ZFA", "Fiat"),
    ("ZFF", "Ferrari"),
    ("ZGU", "Moto Guzzi"),
    ("ZHW", "Lamborghini"),
    ("ZLA", "Lancia"),
];

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i32 = 2026;

    #[test]
    fn a_north_american_vin_decodes() {
        let vin = Vin::parse("1HGCM82633A004352").unwrap();
        assert_eq!(vin.wmi(), "1HG");
        assert_eq!(
            vin.decode(NOW),
            VinInfo {
                region: "North America",
                country: Some("United States"),
                manufacturer: Some("Honda"),
                model_year: Some(2003),
                check_digit_verified: true,
            }
        );
    }

    #[test]
    fn a_european_vin_needs_no_check_digit() {
        let vin = Vin::parse("WVWZZZ1JZXW000001").unwrap();
        let info = vin.decode(NOW);
        assert_eq!(info.region, "Europe");
        assert_eq!(info.country, Some("Germany"));
        assert_eq!(info.manufacturer, Some("Volkswagen"));
        assert_eq!(info.model_year, Some(1999));
        assert!(!info.check_digit_verified);
    }

    #[test]
    fn a_wrong_check_digit_is_refused_where_the_region_uses_it() {
        // A commonly quoted "Tesla 2019" example; its characters give 2, not 7.
        assert_eq!(
            Vin::parse("5YJ3E1EA7KF317000"),
            Err(VinError::CheckDigit {
                found: '7',
                expected: '2'
            })
        );
        let err = Vin::parse("1HGCM82643A004352").unwrap_err();
        assert_eq!(
            err.to_string(),
            "check digit does not match: the VIN has 4 in position 9, its characters give 3; check for a typo"
        );
        assert_eq!(
            Vin::parse("LSVAU2180N2123456"),
            Err(VinError::CheckDigit {
                found: '0',
                expected: '7'
            })
        );
    }

    #[test]
    fn a_remainder_of_ten_is_written_x() {
        let vin = Vin::parse("7SAYGDEEXPF836682").unwrap();
        assert_eq!(&vin.as_str()[8..9], "X");
    }

    #[test]
    fn teslas_decode_in_both_numbering_blocks() {
        let fremont = Vin::parse("5YJ3E1EA2KF317000").unwrap().decode(NOW);
        assert_eq!(fremont.manufacturer, Some("Tesla"));
        assert_eq!(fremont.model_year, Some(2019));

        // 7SA sits in the range given to the United States, though 7 began as Oceania's.
        let austin = Vin::parse("7SAYGDEE2NF433437").unwrap().decode(NOW);
        assert_eq!(austin.manufacturer, Some("Tesla"));
        assert_eq!(austin.region, "North America");
        assert_eq!(austin.country, Some("United States"));
        assert_eq!(austin.model_year, Some(2022));
        assert!(austin.check_digit_verified);
    }

    #[test]
    fn chinese_vins_are_checked() {
        let info = Vin::parse("LSVNV2189E2123456").unwrap().decode(NOW);
        assert_eq!(info.region, "Asia");
        assert_eq!(info.country, Some("China"));
        assert_eq!(info.manufacturer, Some("SAIC Volkswagen"));
        assert_eq!(info.model_year, Some(2014));
        assert!(info.check_digit_verified);
    }

    #[test]
    fn confusable_letters_are_refused() {
        for raw in [
            "1HGCM82633A0O4352",
            "IHGCM82633A004352",
            "WVWZZZ1JZXQ000001",
        ] {
            assert_eq!(Vin::parse(raw), Err(VinError::ConfusableLetter), "{raw}");
        }
        assert_eq!(
            VinError::ConfusableLetter.to_string(),
            "must not contain I, O or Q (they look like 1 and 0)"
        );
    }

    #[test]
    fn length_is_exactly_seventeen() {
        assert_eq!(
            Vin::parse("1HGCM82633A00435"),
            Err(VinError::WrongLength { got: 16 })
        );
        assert_eq!(
            Vin::parse("1HGCM82633A0043521"),
            Err(VinError::WrongLength { got: 18 })
        );
        assert_eq!(Vin::parse("  "), Err(VinError::WrongLength { got: 0 }));
        assert_eq!(
            VinError::WrongLength { got: 16 }.to_string(),
            "must be 17 characters (got 16)"
        );
    }

    #[test]
    fn other_characters_are_refused() {
        for raw in [
            "1HGCM82633A00435/",
            "1HGCM82633A00435é",
            "1HGCM82633A00435_",
        ] {
            assert_eq!(Vin::parse(raw), Err(VinError::InvalidCharacter), "{raw}");
        }
    }

    #[test]
    fn spelling_is_normalised() {
        let vin = Vin::parse("  1hgcm 8263-3a004352 ").unwrap();
        assert_eq!(vin.as_str(), "1HGCM82633A004352");
        assert_eq!(vin, Vin::parse("1HGCM82633A004352").unwrap());
        assert_eq!(vin.to_string(), "1HGCM82633A004352");
    }

    #[test]
    fn position_seven_picks_the_north_american_cycle() {
        // Digit in position 7: the 1980–2009 cycle, even though 2033 would also fit "3".
        let digit = Vin::parse("1HGCM82633A004352").unwrap();
        assert_eq!(digit.decode(2040).model_year, Some(2003));
        // Letter in position 7: the 2010–2039 cycle.
        let letter = Vin::parse("1HGCV1F33LA000001").unwrap();
        assert_eq!(letter.decode(NOW).model_year, Some(2020));
    }

    #[test]
    fn a_north_american_year_in_the_future_falls_back_a_cycle() {
        // Letter in position 7 would make Y 2030, after any car sold in 2026.
        let vin = Vin::parse("1HGCV1F34YA000001").unwrap();
        assert_eq!(vin.decode(NOW).model_year, Some(2000));
        assert_eq!(vin.decode(2029).model_year, Some(2030));
    }

    #[test]
    fn elsewhere_the_newest_plausible_year_wins() {
        let vin = Vin::parse("WVWZZZ1JZXW000001").unwrap();
        assert_eq!(vin.decode(2028).model_year, Some(2029));
        assert_eq!(vin.decode(2027).model_year, Some(1999));
        let year_1 = Vin::parse("WVWZZZ1JZ1W000001").unwrap();
        assert_eq!(year_1.decode(NOW).model_year, Some(2001));
        let year_a = Vin::parse("WVWZZZ1JZAW000001").unwrap();
        assert_eq!(year_a.decode(NOW).model_year, Some(2010));
        assert_eq!(year_a.decode(2008).model_year, Some(1980));
    }

    #[test]
    fn codes_that_name_no_year_give_none() {
        for code in ['0', 'U', 'Z'] {
            let vin = Vin::parse(&format!("WVWZZZ1JZ{code}W000001")).unwrap();
            assert_eq!(vin.decode(NOW).model_year, None, "{code}");
        }
    }

    #[test]
    fn unknown_makers_and_countries_are_none() {
        let info = Vin::parse("1ZZZZZZZ1ZZ000001").unwrap().decode(NOW);
        assert_eq!(info.manufacturer, None);
        assert_eq!(info.country, Some("United States"));
        assert_eq!(info.model_year, None);

        let info = Vin::parse("0ZZZZZZZZAA000001").unwrap().decode(NOW);
        assert_eq!(info.region, "Unknown");
        assert_eq!(info.country, None);
        assert!(!info.check_digit_verified);
    }

    #[test]
    fn countries_follow_the_iso_range_order() {
        let country_of = |raw: &str| Vin::parse(raw).unwrap().decode(NOW).country;
        assert_eq!(country_of("VF1ZZZ1JZAW000001"), Some("France"));
        assert_eq!(country_of("VSSZZZ1JZAW000001"), Some("Spain"));
        assert_eq!(country_of("ZFAZZZ1JZAW000001"), Some("Italy"));
        assert_eq!(country_of("SALZZZ1JZAW000001"), Some("United Kingdom"));
        assert_eq!(country_of("YV1ZZZ1JZAW000001"), Some("Sweden"));
        assert_eq!(country_of("TMBZZZ1JZAW000001"), Some("Czechia"));
        assert_eq!(country_of("KMHZZZ1JZAW000001"), Some("South Korea"));
        assert_eq!(country_of("KAHZZZ1JZAW000001"), Some("Sri Lanka"));
        // 0 ranks after 9, so it belongs to the range ending in 0, not one starting with A.
        assert_eq!(country_of("V0AZZZ1JZAW000001"), Some("Estonia"));
        assert_eq!(country_of("Y2AZZZ1JZAW000001"), Some("Norway"));
        assert_eq!(country_of("94AZZZ1JZAW000001"), Some("Brazil"));
        let mexico = Vin::parse("3VWFE21C04M000001").unwrap().decode(NOW);
        assert_eq!(mexico.country, Some("Mexico"));
        assert_eq!(mexico.manufacturer, Some("Volkswagen"));
    }

    #[test]
    fn manufacturer_table_is_sorted_and_well_formed() {
        assert!(MANUFACTURERS.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, name) in MANUFACTURERS {
            assert_eq!(code.len(), 3, "{code}");
            assert!(
                code.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                "{code}"
            );
            assert!(!code.contains(['I', 'O', 'Q']), "{code}");
            assert!(!name.is_empty());
        }
        for (wmi, name) in [
            ("WVW", "Volkswagen"),
            ("WBA", "BMW"),
            ("W1K", "Mercedes-Benz"),
            ("TMB", "Škoda"),
            ("JTD", "Toyota"),
            ("ZLA", "Lancia"),
            ("19U", "Acura"),
        ] {
            assert_eq!(manufacturer(wmi), Some(name), "{wmi}");
        }
    }
}
