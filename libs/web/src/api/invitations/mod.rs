//! `/invitations`: invitations to join the staff.

pub(crate) mod json;

use pitlane_identity::invitations;
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Invitation, InvitationWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent, Page, PageQuery},
};
use crate::{links::site_of, problem::Problem, tenant::TenantScope};
use pitlane_app::state::AppState;

pub struct InvitationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl InvitationsApi {
    /// List pending invitations
    ///
    /// Needs `staff.manage`. Newest first.
    #[oai(
        path = "/invitations",
        method = "get",
        operation_id = "list_invitations"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Invitation>>, Problem> {
        let rows = invitations::pending(&state.store, &auth.actor).await?;
        let items = rows.into_iter().map(Invitation::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Invite someone to the staff
    ///
    /// Needs `staff.manage`, and every permission of the role offered.
    #[oai(
        path = "/invitations",
        method = "post",
        operation_id = "create_invitation"
    )]
    async fn invite(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<InvitationWrite>,
    ) -> Result<Created<Invitation>, Problem> {
        let scope = req
            .extensions()
            .get::<TenantScope>()
            .ok_or(pitlane_domain::ServiceError::NotFound)?;
        let site = site_of(&state.config, scope);
        pitlane_billing::subscriptions::allow_one_more(
            &state.billing,
            &auth.actor,
            pitlane_billing::subscriptions::Limit::Staff,
            &site,
        )
        .await?;
        let row = invitations::invite(
            &state.identity,
            &auth.actor,
            &auth.name,
            body.0.into(),
            &site,
        )
        .await?;
        Ok(Created::new(row))
    }

    /// Revoke an invitation
    ///
    /// Needs `staff.manage`. Its link stops working at once.
    #[oai(
        path = "/invitations/:invitation_id",
        method = "delete",
        operation_id = "revoke_invitation"
    )]
    async fn revoke(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invitation_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        invitations::revoke(&state.store, &auth.actor, invitation_id.0).await?;
        Ok(NoContent::Done)
    }
}
