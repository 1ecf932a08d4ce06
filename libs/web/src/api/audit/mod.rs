//! `/audit`: the audit log.

pub(crate) mod json;

use chrono::{DateTime, Utc};
use pitlane_identity::audit::{self, Filter};
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use self::json::AuditEntry;
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Access")]
impl AuditApi {
    /// Read the audit log
    ///
    /// Needs `audit.view`. Newest first (the order entries were written in). `action` matches
    /// an action or its start (`member.`); `actor` matches part of who; `since`/`until` bound
    /// the time.
    #[oai(path = "/audit", method = "get", operation_id = "list_audit_entries")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        action: Query<Option<String>>,
        actor: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<AuditEntry>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let filter = Filter {
            action: action.0,
            actor: actor.0,
            since: since.0,
            until: until.0,
        };
        let found = audit::list(
            &state.store,
            &auth.actor,
            &filter,
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }
}
