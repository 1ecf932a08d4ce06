//! The shapes every API operation shares: 201 with what was made, 204 with nothing, and one
//! page of a list with the cursor of the next.

use poem_openapi::{
    ApiResponse, Object,
    payload::Json,
    types::{ParseFromJSON, ToJSON},
};
use uuid::Uuid;

use crate::problem::Problem;

/// 201: made; the body is the new resource.
#[derive(ApiResponse)]
pub enum Created<T: ToJSON> {
    /// Created; the body is the new resource.
    #[oai(status = 201)]
    Created(Json<T>),
}

impl<T: ToJSON> Created<T> {
    pub fn new(made: impl Into<T>) -> Self {
        Created::Created(Json(made.into()))
    }
}

/// 204: done; nothing to return.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done; there is nothing to return.
    #[oai(status = 204)]
    Done,
}

/// One page of a list, in the list's order.
#[derive(Object)]
pub struct Page<T: ParseFromJSON + ToJSON> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl<T: ParseFromJSON + ToJSON> Page<T> {
    /// A page of `items`, converted to their API shape, and where the next one starts.
    pub fn of<S>(items: Vec<S>, next: Option<impl ToString>) -> Self
    where
        T: From<S>,
    {
        Self {
            items: items.into_iter().map(T::from).collect(),
            next_cursor: next.map(|n| n.to_string()),
        }
    }
}

/// Where a list starts (`cursor`, the `next_cursor` of the page before) and how many it
/// answers (`limit`, 1–200, 50 when not given). Every list operation takes both.
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: u64,
}

impl PageQuery {
    pub fn new(cursor: Option<String>, limit: Option<u64>) -> Self {
        Self {
            cursor: cursor.filter(|c| !c.is_empty()),
            limit: limit.unwrap_or(50).clamp(1, 200),
        }
    }

    /// The cursor of a list ordered by id; a cursor that is not one is a 422.
    pub fn cursor_id(&self) -> Result<Option<Uuid>, Problem> {
        self.cursor
            .as_deref()
            .map(|raw| {
                Uuid::try_parse(raw).map_err(|_| {
                    Problem::from(pitlane_domain::FieldErrors::single(
                        "cursor",
                        "not a cursor of this list: pass the next_cursor of the page before",
                    ))
                })
            })
            .transpose()
    }
}
