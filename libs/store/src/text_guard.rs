//! The last wall before the database: no row is written with text that PostgreSQL refuses
//! (NUL) or that the two deployment shapes would store differently. Input should already be
//! parsed into the domain's text types; this catches every field that is not, and names the
//! column, so a mistake becomes a 422 with the field, never a 500.

use pitlane_domain::text::{CONTROL_CHARACTERS, has_control_character};
use sea_orm::{ActiveModelTrait, ActiveValue, EntityTrait, IdenStatic, Iterable, Value};

use crate::StoreError;

fn json_has_control(json: &serde_json::Value) -> bool {
    match json {
        serde_json::Value::String(s) => has_control_character(s, true),
        serde_json::Value::Array(items) => items.iter().any(json_has_control),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(k, v)| has_control_character(k, true) || json_has_control(v)),
        _ => false,
    }
}

fn value_has_control(value: &Value) -> bool {
    match value {
        Value::String(Some(s)) => has_control_character(s, true),
        Value::Char(Some(c)) => c.is_control(),
        Value::Json(Some(json)) => json_has_control(json),
        _ => false,
    }
}

/// Refuses a row whose new text values hold control characters (line breaks and tabs are
/// fine here; single-line fields refuse them where they are parsed).
pub(crate) fn check_text<A: ActiveModelTrait>(row: &A) -> Result<(), StoreError> {
    for column in <A::Entity as EntityTrait>::Column::iter() {
        if let ActiveValue::Set(value) = row.get(column)
            && value_has_control(&value)
        {
            return Err(StoreError::Invalid {
                column: column.as_str().to_owned(),
                message: CONTROL_CHARACTERS,
            });
        }
    }
    Ok(())
}
