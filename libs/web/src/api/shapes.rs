//! The shapes every API operation shares: 201 with what was made, 204 with nothing, and one
//! page of a list with the cursor of the next.

use pitlane_store::TimeCursor;
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

    /// A page of a small list the service answers whole and in its order (a workshop's bays,
    /// roles, an invoice's lines): the `limit` items after the one whose `key` is the cursor.
    /// The next cursor is the key of the page's last item while more remain. A cursor naming
    /// no item of the list (garbage, or an item since removed) is a 422.
    pub fn from_ordered<K: ToString>(
        items: Vec<T>,
        query: &PageQuery,
        key: impl Fn(&T) -> K,
    ) -> Result<Self, Problem> {
        let start = match query.cursor.as_deref() {
            None => 0,
            Some(cursor) => {
                items
                    .iter()
                    .position(|item| key(item).to_string() == cursor)
                    .ok_or_else(bad_cursor)?
                    + 1
            }
        };
        let rest: Vec<T> = items.into_iter().skip(start).collect();
        let page = pitlane_store::Page::cut(rest, query.limit, |item| key(item).to_string());
        Ok(Self {
            items: page.items,
            next_cursor: page.next,
        })
    }
}

fn bad_cursor() -> Problem {
    Problem::from(pitlane_domain::FieldErrors::single(
        "cursor",
        "not a cursor of this list: pass the next_cursor of the page before",
    ))
}

/// Where a list starts (`cursor`, the `next_cursor` of the page before) and how many it
/// answers (`limit`, 1–200, 50 when not given). Every list operation takes both; a cursor is
/// opaque and belongs to the list (and filters) that gave it out.
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
            .map(|raw| Uuid::try_parse(raw).map_err(|_| bad_cursor()))
            .transpose()
    }

    /// The cursor of a list ordered by a time and then id; a cursor that is not one is a 422.
    pub fn cursor_time(&self) -> Result<Option<TimeCursor>, Problem> {
        self.cursor
            .as_deref()
            .map(|raw| TimeCursor::parse(raw).ok_or_else(bad_cursor))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Object, Debug, PartialEq)]
    struct Item {
        id: String,
    }

    fn items(keys: &[&str]) -> Vec<Item> {
        keys.iter().map(|k| Item { id: (*k).into() }).collect()
    }

    fn ids(page: &Page<Item>) -> Vec<&str> {
        page.items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn a_whole_list_is_paged_after_its_cursor_to_the_end() {
        let all = ["a", "b", "c", "d", "e"];
        let first = Page::from_ordered(items(&all), &PageQuery::new(None, Some(2)), |i| {
            i.id.clone()
        })
        .expect("first");
        assert_eq!(ids(&first), ["a", "b"]);
        assert_eq!(first.next_cursor.as_deref(), Some("b"));
        let second = Page::from_ordered(
            items(&all),
            &PageQuery::new(first.next_cursor, Some(2)),
            |i| i.id.clone(),
        )
        .expect("second");
        assert_eq!(ids(&second), ["c", "d"]);
        let last = Page::from_ordered(
            items(&all),
            &PageQuery::new(second.next_cursor, Some(2)),
            |i| i.id.clone(),
        )
        .expect("last");
        assert_eq!(ids(&last), ["e"]);
        assert_eq!(last.next_cursor, None);
        let exact = Page::from_ordered(items(&all), &PageQuery::new(None, Some(5)), |i| {
            i.id.clone()
        })
        .expect("exact");
        assert_eq!(exact.next_cursor, None, "no next page when none remains");
    }

    #[test]
    fn a_cursor_naming_no_item_is_a_422() {
        let refused = Page::from_ordered(
            items(&["a"]),
            &PageQuery::new(Some("zz".into()), None),
            |i| i.id.clone(),
        )
        .err()
        .expect("refused");
        assert_eq!(
            refused.status(),
            poem::http::StatusCode::UNPROCESSABLE_ENTITY
        );
        assert!(PageQuery::new(Some("x".into()), None).cursor_id().is_err());
        assert!(
            PageQuery::new(Some("x_y".into()), None)
                .cursor_time()
                .is_err()
        );
        assert!(
            PageQuery::new(Some(String::new()), None)
                .cursor_id()
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_time_cursor_reads_back_what_it_wrote() {
        let cursor = TimeCursor {
            at: chrono::DateTime::from_timestamp_nanos(1_764_849_600_123_456_789),
            id: Uuid::now_v7(),
        };
        let written = cursor.to_string();
        let read = PageQuery::new(Some(written), None)
            .cursor_time()
            .expect("a cursor");
        assert_eq!(read, Some(cursor));
    }
}
