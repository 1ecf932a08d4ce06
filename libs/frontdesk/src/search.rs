//! Search text and keyset cursors shared by the front desk's lists.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use pitlane_domain::{FieldErrors, ServiceError};
use uuid::Uuid;

/// The lowercase text a fragment is looked for in: names, e-mail, phone digits (with and
/// without the country code's `+`), plates without spaces, VINs.
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        out.push_str(&part.to_lowercase());
        out.push(' ');
        let squeezed: String = part
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if squeezed.len() != part.len() && !squeezed.is_empty() {
            out.push_str(&squeezed);
            out.push(' ');
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// A fragment as typed, in the form `search_text` stores, or `None` when nothing is left.
pub(crate) fn needle(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let looks_like_number = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()./".contains(c));
    let needle = if looks_like_number {
        raw.chars().filter(char::is_ascii_digit).collect()
    } else if raw.contains(' ') || raw.contains('@') || raw.contains('.') {
        raw.to_lowercase()
    } else {
        raw.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    (!needle.is_empty()).then_some(needle)
}

/// `%fragment%` with LIKE's own characters taken literally (escape character `\`).
pub(crate) fn contains_pattern(needle: &str) -> String {
    format!("%{}%", pitlane_store::like_escape(needle))
}

/// An opaque cursor: the sort value and id of the last row of a page.
pub(crate) fn encode_cursor(value: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\u{1f}{value}", id.simple()))
}

pub(crate) fn decode_cursor(raw: &str) -> Result<(String, Uuid), ServiceError> {
    let bad = || {
        ServiceError::Invalid(FieldErrors::single(
            "cursor",
            "is not a cursor this list gave out; start again without one",
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (id, value) = text.split_once('\u{1f}').ok_or_else(bad)?;
    Ok((value.to_owned(), Uuid::try_parse(id).map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_plates_and_names_are_found_by_fragments() {
        let text = search_text([
            "Anna Müller",
            "anna@example.com",
            "+4915112345678",
            "HH-AB 123",
        ]);
        assert!(text.contains(&needle("müller").unwrap()));
        assert!(text.contains(&needle("+49 151 12345678").unwrap()));
        assert!(text.contains(&needle("hhab123").unwrap()));
        assert!(text.contains(&needle("AB 123").unwrap()));
        assert!(text.contains(&needle("anna@example").unwrap()));
        assert_eq!(needle("   "), None);
    }

    #[test]
    fn like_characters_are_literal() {
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let id = Uuid::now_v7();
        assert_eq!(
            decode_cursor(&encode_cursor("Anna", id)).unwrap(),
            ("Anna".into(), id)
        );
        assert!(decode_cursor("nonsense!").is_err());
    }
}
