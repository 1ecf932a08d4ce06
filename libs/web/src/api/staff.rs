//! Staff: members with their roles and branches, invitations, and the tenant's own roles.

use chrono::{DateTime, Utc};
use pitlane_domain::permissions::{BranchScope, Permission, PermissionSet};
use pitlane_identity::applications;
use pitlane_identity::{
    invitations::{self, InvitationInput},
    members::{self, Member, MemberChange},
    roles::{self, RoleInput},
};
use pitlane_store::entity::{invitation, mechanic_application, role};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::Path,
    payload::Json,
    types::{Example, MaybeUndefined},
};
use uuid::Uuid;

use super::{ApiTags, Caller};
use crate::{links::site_of, problem::Problem, state::AppState, tenant::TenantScope};

/// A member of the workshop's staff.
#[derive(Object)]
pub struct StaffMember {
    /// The membership's id.
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    /// `owner`, `admin`, `manager`, `service_advisor`, `mechanic`, `customer`, or
    /// `custom:{id}` for one of the workshop's own roles.
    pub role: String,
    pub role_name: String,
    /// The branches the member is limited to; `null` for every branch.
    pub branch_ids: Option<Vec<Uuid>>,
    pub active: bool,
    pub joined_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct StaffList {
    pub items: Vec<StaffMember>,
}

/// What to change about a member; leave a field out to keep it.
#[derive(Object)]
#[oai(example)]
pub struct StaffChange {
    pub role: Option<String>,
    /// A list limits the member to those branches; `null` gives every branch.
    pub branch_ids: MaybeUndefined<Vec<Uuid>>,
    /// `false` deactivates the member (their sessions end at once); `true` restores them.
    pub active: Option<bool>,
}

impl Example for StaffChange {
    fn example() -> Self {
        Self {
            role: Some("service_advisor".into()),
            branch_ids: MaybeUndefined::Undefined,
            active: None,
        }
    }
}

fn member_api(m: Member) -> StaffMember {
    StaffMember {
        id: m.membership_id,
        user_id: m.user_id,
        name: m.name,
        email: m.email,
        role: m.role.key(),
        role_name: m.role.label().to_owned(),
        branch_ids: match m.branches {
            BranchScope::All => None,
            BranchScope::Only(ids) => Some(ids),
        },
        active: m.active,
        joined_at: m.joined_at,
    }
}

/// An invitation waiting to be accepted.
#[derive(Object)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub role: String,
    pub branch_ids: Option<Vec<Uuid>>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct InvitationList {
    pub items: Vec<Invitation>,
}

/// Whom to invite, with which role and branches. The link in the e-mail is good for 7 days.
#[derive(Object)]
#[oai(example)]
pub struct InvitationWrite {
    pub email: String,
    pub name: Option<String>,
    /// A built-in role key or `custom:{id}`.
    pub role: String,
    /// Limit to these branches; leave out for every branch.
    pub branch_ids: Option<Vec<Uuid>>,
}

impl Example for InvitationWrite {
    fn example() -> Self {
        Self {
            email: "new.mechanic@example.com".into(),
            name: Some("Sam Spanner".into()),
            role: "mechanic".into(),
            branch_ids: None,
        }
    }
}

fn invitation_api(i: invitation::Model) -> Invitation {
    Invitation {
        id: i.id,
        branch_ids: invitations::branches_of(&i),
        email: i.email,
        name: i.name,
        role: match i.custom_role_id {
            Some(id) => format!("custom:{id}"),
            None => i.role,
        },
        expires_at: i.expires_at,
        created_at: i.created_at,
    }
}

/// One of the workshop's own roles.
#[derive(Object)]
pub struct CustomRole {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Permission keys from the catalogue (`GET /permissions`).
    pub permissions: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct CustomRoleList {
    pub items: Vec<CustomRole>,
}

#[derive(Object)]
#[oai(example)]
pub struct CustomRoleWrite {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
}

impl Example for CustomRoleWrite {
    fn example() -> Self {
        Self {
            name: "Parts desk".into(),
            description: Some("Sees repair orders, manages stock".into()),
            permissions: vec![
                "repair_orders.read".into(),
                "inventory.read".into(),
                "inventory.adjust".into(),
            ],
        }
    }
}

fn role_api(r: role::Model) -> CustomRole {
    CustomRole {
        id: r.id,
        permissions: PermissionSet::from_stored(&r.permissions).keys(),
        name: r.name,
        description: r.description,
        updated_at: r.updated_at,
    }
}

/// One permission of the catalogue.
#[derive(Object)]
pub struct PermissionEntry {
    pub key: String,
    pub label: String,
}

#[derive(Object)]
pub struct PermissionList {
    pub items: Vec<PermissionEntry>,
}

#[derive(ApiResponse)]
pub enum InvitationCreated {
    /// The invitation was sent.
    #[oai(status = 201)]
    Created(Json<Invitation>),
}

#[derive(ApiResponse)]
pub enum RoleCreated {
    /// The role was created.
    #[oai(status = 201)]
    Created(Json<CustomRole>),
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    Done,
}

/// A mechanic's application to work for the workshop.
#[derive(Object)]
pub struct MechanicApplication {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub experience_years: i32,
    pub certifications: String,
    pub branch_ids: Vec<Uuid>,
    pub message: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct MechanicApplicationList {
    pub items: Vec<MechanicApplication>,
}

fn application_api(a: mechanic_application::Model) -> MechanicApplication {
    MechanicApplication {
        id: a.id,
        branch_ids: a
            .branch_ids
            .split_whitespace()
            .filter_map(|b| Uuid::try_parse(b).ok())
            .collect(),
        name: a.name,
        email: a.email,
        phone: a.phone,
        experience_years: a.experience_years,
        certifications: a.certifications,
        message: a.message,
        status: a.status,
        decided_at: a.decided_at,
        created_at: a.created_at,
    }
}

pub struct StaffApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl StaffApi {
    /// List staff
    ///
    /// Needs `staff.manage`. A branch-limited caller sees the staff of their branches.
    #[oai(path = "/staff", method = "get", operation_id = "list_staff")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<StaffList>, Problem> {
        let items = members::list(&state.store, &auth.actor).await?;
        Ok(Json(StaffList {
            items: items.into_iter().map(member_api).collect(),
        }))
    }

    /// Get a member of staff
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/staff/:member_id",
        method = "get",
        operation_id = "get_staff_member"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        member_id: Path<Uuid>,
    ) -> Result<Json<StaffMember>, Problem> {
        Ok(Json(member_api(
            members::get(&state.store, &auth.actor, member_id.0).await?,
        )))
    }

    /// Change a member's role, branches or status
    ///
    /// Needs `staff.manage`, and every permission of the role given. Only owners change
    /// owners; the last owner cannot be demoted or deactivated.
    #[oai(
        path = "/staff/:member_id",
        method = "patch",
        operation_id = "update_staff_member"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        member_id: Path<Uuid>,
        body: Json<StaffChange>,
    ) -> Result<Json<StaffMember>, Problem> {
        let change = MemberChange {
            role: body.0.role,
            branches: match body.0.branch_ids {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(ids) => Some(Some(ids)),
            },
            active: body.0.active,
        };
        let member = members::update(&state.store, &auth.actor, member_id.0, change).await?;
        Ok(Json(member_api(member)))
    }

    /// List pending invitations
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/invitations",
        method = "get",
        operation_id = "list_invitations"
    )]
    async fn invitations(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<InvitationList>, Problem> {
        let rows = invitations::pending(&state.store, &auth.actor).await?;
        Ok(Json(InvitationList {
            items: rows.into_iter().map(invitation_api).collect(),
        }))
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
    ) -> Result<InvitationCreated, Problem> {
        let scope = req
            .extensions()
            .get::<TenantScope>()
            .ok_or(pitlane_domain::ServiceError::NotFound)?;
        let site = site_of(&state.config, scope);
        let input = InvitationInput {
            email: body.0.email,
            name: body.0.name,
            role: body.0.role,
            branches: body.0.branch_ids,
        };
        let row = {
            pitlane_billing::subscriptions::allow_one_more(
                &state.billing,
                &auth.actor,
                pitlane_billing::subscriptions::Limit::Staff,
                &site,
            )
            .await?;
            invitations::invite(&state.identity, &auth.actor, &auth.name, input, &site).await?
        };
        Ok(InvitationCreated::Created(Json(invitation_api(row))))
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
    ) -> Result<Done, Problem> {
        invitations::revoke(&state.store, &auth.actor, invitation_id.0).await?;
        Ok(Done::Done)
    }

    /// List mechanic applications
    ///
    /// Needs `staff.manage`. Pending first.
    #[oai(
        path = "/applications",
        method = "get",
        operation_id = "list_mechanic_applications"
    )]
    async fn applications(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<MechanicApplicationList>, Problem> {
        let rows = applications::list(&state.store, &auth.actor).await?;
        Ok(Json(MechanicApplicationList {
            items: rows.into_iter().map(application_api).collect(),
        }))
    }

    /// Get a mechanic application
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/applications/:application_id",
        method = "get",
        operation_id = "get_mechanic_application"
    )]
    async fn application(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        application_id: Path<Uuid>,
    ) -> Result<Json<MechanicApplication>, Problem> {
        Ok(Json(application_api(
            applications::get(&state.store, &auth.actor, application_id.0).await?,
        )))
    }

    /// Approve a mechanic application
    ///
    /// Needs `staff.manage`. Invites the applicant as a mechanic of the branches they chose.
    #[oai(
        path = "/applications/:application_id/approve",
        method = "post",
        operation_id = "approve_mechanic_application"
    )]
    async fn approve(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        application_id: Path<Uuid>,
    ) -> Result<Json<MechanicApplication>, Problem> {
        decide(&state, req, &auth, application_id.0, true).await
    }

    /// Reject a mechanic application
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/applications/:application_id/reject",
        method = "post",
        operation_id = "reject_mechanic_application"
    )]
    async fn reject(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        application_id: Path<Uuid>,
    ) -> Result<Json<MechanicApplication>, Problem> {
        decide(&state, req, &auth, application_id.0, false).await
    }

    /// The permission catalogue
    ///
    /// Any signed-in member. What custom roles and API keys are built from.
    #[oai(
        path = "/permissions",
        method = "get",
        operation_id = "list_permissions"
    )]
    async fn permissions(&self, Caller(_auth): Caller) -> Result<Json<PermissionList>, Problem> {
        Ok(Json(PermissionList {
            items: Permission::ALL
                .iter()
                .map(|p| PermissionEntry {
                    key: p.key().into(),
                    label: p.label().into(),
                })
                .collect(),
        }))
    }

    /// List the workshop's own roles
    ///
    /// Needs `staff.manage`.
    #[oai(path = "/roles", method = "get", operation_id = "list_roles")]
    async fn roles(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<CustomRoleList>, Problem> {
        let rows = roles::list(&state.store, &auth.actor).await?;
        Ok(Json(CustomRoleList {
            items: rows.into_iter().map(role_api).collect(),
        }))
    }

    /// Create a role
    ///
    /// Needs `staff.manage`; a role cannot have a permission the caller lacks.
    #[oai(path = "/roles", method = "post", operation_id = "create_role")]
    async fn create_role(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CustomRoleWrite>,
    ) -> Result<RoleCreated, Problem> {
        let row = roles::create(&state.store, &auth.actor, role_input(body.0)).await?;
        Ok(RoleCreated::Created(Json(role_api(row))))
    }

    /// Get a role
    ///
    /// Needs `staff.manage`.
    #[oai(path = "/roles/:role_id", method = "get", operation_id = "get_role")]
    async fn get_role(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        role_id: Path<Uuid>,
    ) -> Result<Json<CustomRole>, Problem> {
        Ok(Json(role_api(
            roles::get(&state.store, &auth.actor, role_id.0).await?,
        )))
    }

    /// Change a role
    ///
    /// Needs `staff.manage`. Members holding it get the new permissions on their next request.
    #[oai(path = "/roles/:role_id", method = "put", operation_id = "update_role")]
    async fn update_role(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        role_id: Path<Uuid>,
        body: Json<CustomRoleWrite>,
    ) -> Result<Json<CustomRole>, Problem> {
        let row = roles::update(&state.store, &auth.actor, role_id.0, role_input(body.0)).await?;
        Ok(Json(role_api(row)))
    }

    /// Delete a role
    ///
    /// Needs `staff.manage`. Refused (409) while members hold it or invitations offer it.
    #[oai(
        path = "/roles/:role_id",
        method = "delete",
        operation_id = "delete_role"
    )]
    async fn delete_role(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        role_id: Path<Uuid>,
    ) -> Result<Done, Problem> {
        roles::delete(&state.store, &auth.actor, role_id.0).await?;
        Ok(Done::Done)
    }
}

/// Approves or rejects an application; approval invites from the workshop's site as reached.
async fn decide(
    state: &AppState,
    req: &Request,
    auth: &crate::session::Auth,
    id: Uuid,
    approve: bool,
) -> Result<Json<MechanicApplication>, Problem> {
    let scope = req
        .extensions()
        .get::<TenantScope>()
        .ok_or(pitlane_domain::ServiceError::NotFound)?;
    let site = site_of(&state.config, scope);
    let row =
        applications::decide(&state.identity, &auth.actor, &auth.name, id, approve, &site).await?;
    Ok(Json(application_api(row)))
}

fn role_input(body: CustomRoleWrite) -> RoleInput {
    RoleInput {
        name: body.name,
        description: body.description,
        permissions: body.permissions,
    }
}
