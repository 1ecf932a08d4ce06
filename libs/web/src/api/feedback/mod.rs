//! `/feedback`: customers' ratings of closed repair orders and finished roadside jobs: the
//! inbox, one rating, replies, and hiding abusive text.

pub(crate) mod json;

use pitlane_frontdesk::feedback;
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Feedback, FeedbackFilter, FeedbackHideWrite, FeedbackReplyWrite};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
    site,
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct FeedbackApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Feedback")]
impl FeedbackApi {
    /// The feedback inbox
    ///
    /// Needs `feedback.read`. Ratings customers gave, the newest first (by the time of rating,
    /// then id); `filter=low` lists those with two stars or fewer for the work or the
    /// mechanic, `filter=unreplied` those not replied to. A branch-limited member sees their
    /// branches' ratings.
    #[oai(path = "/feedback", method = "get", operation_id = "list_feedback")]
    async fn inbox(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        filter: Query<Option<FeedbackFilter>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Feedback>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = feedback::inbox(
            &state.frontdesk,
            &auth.actor,
            filter.0.unwrap_or_default().into(),
            page.cursor_time()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// One rating
    ///
    /// Needs `feedback.read`. Also a rating asked for and not given yet.
    #[oai(
        path = "/feedback/:feedback_id",
        method = "get",
        operation_id = "get_feedback"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        feedback_id: Path<Uuid>,
    ) -> Result<Json<Feedback>, Problem> {
        let v = feedback::get(&state.frontdesk, &auth.actor, feedback_id.0).await?;
        Ok(Json(v.into()))
    }

    /// Reply to a rating
    ///
    /// Needs `feedback.read`. The reply is kept with the rating (the customer's rating page
    /// shows it) and goes to the customer in their conversation, by SMS (when they agreed to
    /// texts) or e-mail. A second reply replaces the first. 409 before the customer rated.
    #[oai(
        path = "/feedback/:feedback_id/reply",
        method = "post",
        operation_id = "reply_to_feedback"
    )]
    async fn reply(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        feedback_id: Path<Uuid>,
        body: Json<FeedbackReplyWrite>,
    ) -> Result<Json<Feedback>, Problem> {
        let site = site(&state, req)?;
        let v = feedback::reply(
            &state.frontdesk,
            &auth.actor,
            feedback_id.0,
            &body.0.body,
            &site,
        )
        .await?;
        Ok(Json(v.into()))
    }

    /// Hide a rating's text
    ///
    /// Needs `feedback.moderate`. For abuse or personal details: the comment is never sent
    /// again, on any page or in this API (`comment` null, `hidden` true); the stars still
    /// count. Recorded in the audit log. 409 when there is no text to hide.
    #[oai(
        path = "/feedback/:feedback_id/hide",
        method = "post",
        operation_id = "hide_feedback"
    )]
    async fn hide(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        feedback_id: Path<Uuid>,
        body: Json<FeedbackHideWrite>,
    ) -> Result<Json<Feedback>, Problem> {
        let v =
            feedback::hide(&state.frontdesk, &auth.actor, feedback_id.0, &body.0.reason).await?;
        Ok(Json(v.into()))
    }
}
