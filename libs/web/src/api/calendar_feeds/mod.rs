//! `/calendar-feeds`: private iCalendar subscriptions of a mechanic's, bay's or branch's
//! appointments.

pub(crate) mod json;

use pitlane_frontdesk::feeds;
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{CalendarFeed, CalendarFeedWrite, NewCalendarFeed};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct CalendarFeedsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl CalendarFeedsApi {
    /// List calendar feeds
    ///
    /// Needs `appointments.write` (every feed of the workshop) or `jobs.work` (your own).
    /// Newest first, revoked ones included.
    #[oai(
        path = "/calendar-feeds",
        method = "get",
        operation_id = "list_calendar_feeds"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<CalendarFeed>>, Problem> {
        let rows = feeds::list(&state.frontdesk, &auth.actor).await?;
        let items = rows.into_iter().map(CalendarFeed::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Create a calendar feed
    ///
    /// Needs `jobs.work` for a feed of your own appointments, `appointments.write` for any
    /// mechanic's, bay's or branch's. A private iCalendar address of those appointments, for
    /// phone and desktop calendars to subscribe to. Made from a person's session; the
    /// feed reads as that person, and stops when they leave or lose the permission. The
    /// address is in the answer only.
    #[oai(
        path = "/calendar-feeds",
        method = "post",
        operation_id = "create_calendar_feed"
    )]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<CalendarFeedWrite>,
    ) -> Result<Created<NewCalendarFeed>, Problem> {
        let site = super::site(&state, req)?;
        let created = feeds::create(&state.frontdesk, &auth.actor, &body.0.into()).await?;
        Ok(Created::new(NewCalendarFeed {
            url: format!("{site}{}", feeds::feed_path(&created.secret)),
            feed: created.feed.into(),
        }))
    }

    /// Revoke a calendar feed
    ///
    /// Needs `appointments.write`, or `jobs.work` for a feed of your own. Its address stops
    /// working at once; calendars subscribed to it keep what they last fetched until their
    /// owners remove it.
    #[oai(
        path = "/calendar-feeds/:feed_id",
        method = "delete",
        operation_id = "revoke_calendar_feed"
    )]
    async fn revoke(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        feed_id: Path<Uuid>,
    ) -> Result<Json<CalendarFeed>, Problem> {
        let feed = feeds::revoke(&state.frontdesk, &auth.actor, feed_id.0).await?;
        Ok(Json(feed.into()))
    }
}
