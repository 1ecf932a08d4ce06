//! `/audit`: the audit log.

pub(crate) mod json;

use chrono::{DateTime, Utc};
use pitlane_identity::audit::{self, Filter};
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};
use uuid::Uuid;

use self::json::{AuditEntry, AuditPage};
use super::{ApiTags, Caller, page_limit};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Access")]
impl AuditApi {
    /// Read the audit log
    ///
    /// Needs `audit.view`. Newest first. `action` matches an action or its start
    /// (`member.`); `actor` matches part of who; `since`/`until` bound the time.
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
        before: Query<Option<Uuid>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<AuditPage>, Problem> {
        let filter = Filter {
            action: action.0,
            actor: actor.0,
            since: since.0,
            until: until.0,
        };
        let page = audit::list(
            &state.store,
            &auth.actor,
            &filter,
            before.0,
            page_limit(limit.0),
        )
        .await?;
        Ok(Json(AuditPage {
            items: page.items.into_iter().map(AuditEntry::from).collect(),
            next_cursor: page.next,
        }))
    }
}
