//! `/mechanics`: the members who work jobs, their skills, weekly hours and absences.

pub(crate) mod json;
pub mod pay;
pub mod roadside;

use pitlane_frontdesk::resources::{self, ProfileInput};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{MechanicInfo, MechanicProfileWrite};
use super::{
    ApiTags, Caller,
    absences::json::{Absence, AbsenceWrite},
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct MechanicsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl MechanicsApi {
    /// List mechanics
    ///
    /// Needs `tenant.read`. Approved members who work jobs, with skills and hours, in the
    /// order they joined.
    #[oai(path = "/mechanics", method = "get", operation_id = "list_mechanics")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<MechanicInfo>>, Problem> {
        let rows = resources::mechanics(&state.frontdesk, &auth.actor).await?;
        let items = rows.into_iter().map(MechanicInfo::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Set a mechanic's skills and weekly hours
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/mechanics/:mechanic_id",
        method = "put",
        operation_id = "update_mechanic"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        mechanic_id: Path<Uuid>,
        body: Json<MechanicProfileWrite>,
    ) -> Result<Json<MechanicInfo>, Problem> {
        let profile: ProfileInput = body.0.try_into()?;
        let row =
            resources::set_profile(&state.frontdesk, &auth.actor, mechanic_id.0, profile).await?;
        Ok(Json(row.into()))
    }

    /// Record a mechanic's absence
    ///
    /// Needs `staff.manage`. They are offered for no slot during it.
    #[oai(
        path = "/mechanics/:mechanic_id/absences",
        method = "post",
        operation_id = "add_absence"
    )]
    async fn add_absence(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        mechanic_id: Path<Uuid>,
        body: Json<AbsenceWrite>,
    ) -> Result<Created<Absence>, Problem> {
        let row = resources::add_absence(
            &state.frontdesk,
            &auth.actor,
            mechanic_id.0,
            body.0.starts_at,
            body.0.ends_at,
            body.0.reason.as_deref(),
        )
        .await?;
        Ok(Created::new(row))
    }
}
