//! `/my-ratings`: what customers said of the caller's own work as a mechanic.

use chrono::{DateTime, Utc};
use pitlane_frontdesk::feedback::{self, FeedbackView};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use uuid::Uuid;

use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

/// A rating of the caller's work, without the customer's name.
#[derive(Object)]
pub struct MyRating {
    pub id: Uuid,
    /// What was rated: "RO-00012 · Volkswagen Golf".
    pub label: String,
    pub answered_at: DateTime<Utc>,
    /// One to five, for the caller.
    pub mechanic_stars: i16,
    /// One to five, for the work as a whole.
    #[oai(nullable)]
    pub job_stars: Option<i16>,
    /// Null when none was written, or when it was hidden.
    #[oai(nullable)]
    pub comment: Option<String>,
    #[oai(nullable)]
    pub reply: Option<String>,
}

/// What the caller's ratings come to.
#[derive(Object)]
pub struct MyRatingsSummary {
    /// Customers asked to rate work the caller did.
    pub asked: i64,
    pub rated: i64,
    /// The average stars given to the caller, in hundredths (4.25 stars is 425).
    #[oai(nullable)]
    pub average_stars_centi: Option<i64>,
    /// Promoters minus detractors as a share of ratings, −100 to 100.
    #[oai(nullable)]
    pub promoter_score: Option<i64>,
}

pub struct MyRatingsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Feedback")]
impl MyRatingsApi {
    /// My ratings
    ///
    /// Needs `jobs.work`. The ratings customers gave the caller as their mechanic, the newest
    /// first (the last 200).
    #[oai(path = "/my-ratings", method = "get", operation_id = "list_my_ratings")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<MyRating>>, Problem> {
        let mine = feedback::mine(&state.frontdesk, &auth.actor).await?;
        let items: Vec<MyRating> = mine.ratings.into_iter().filter_map(rating).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |r| r.id)?))
    }

    /// What my ratings come to
    ///
    /// Needs `jobs.work`.
    #[oai(
        path = "/my-ratings/summary",
        method = "get",
        operation_id = "my_ratings_summary"
    )]
    async fn summary(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<MyRatingsSummary>, Problem> {
        let s = feedback::mine(&state.frontdesk, &auth.actor).await?.summary;
        Ok(Json(MyRatingsSummary {
            asked: s.asked,
            rated: s.answered,
            average_stars_centi: s.average_centi(),
            promoter_score: s.promoter_score(),
        }))
    }
}

fn rating(v: FeedbackView) -> Option<MyRating> {
    let f = v.feedback;
    Some(MyRating {
        id: f.id,
        label: f.label,
        answered_at: f.answered_at?,
        mechanic_stars: f.mechanic_stars?,
        job_stars: f.job_stars,
        comment: f.comment,
        reply: f.reply,
    })
}
