//! Who is acting: a signed-in member of one tenant (or an API key acting for one), with the
//! permissions of their role and the branches they are limited to.

use crate::{
    error::ServiceError,
    ids::{MembershipId, TenantId, UserId},
    permissions::{AssignedRole, BranchScope, Permission, PermissionSet, Role},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub membership_id: MembershipId,
    pub tenant_id: TenantId,
    pub role: AssignedRole,
    /// What the role grants (for an API key: what the key is scoped to, within its creator's role).
    pub permissions: PermissionSet,
    pub branches: BranchScope,
    /// Set when the request came with an API key rather than a person's session.
    pub api_key: Option<uuid::Uuid>,
}

impl Actor {
    /// A member with a built-in role and access to every branch.
    pub fn builtin(
        user_id: UserId,
        membership_id: MembershipId,
        tenant_id: TenantId,
        role: Role,
    ) -> Self {
        Self {
            user_id,
            membership_id,
            tenant_id,
            role: AssignedRole::Builtin(role),
            permissions: role.permissions(),
            branches: BranchScope::All,
            api_key: None,
        }
    }

    /// The one permission check, used by the API and the portal alike.
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(permission.key()))
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    pub fn is_owner(&self) -> bool {
        self.role.is(Role::Owner)
    }
}
