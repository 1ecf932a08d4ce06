//! Who is acting: a signed-in member of one tenant, with a role.

use crate::{
    error::ServiceError,
    ids::{MembershipId, TenantId, UserId},
    permissions::{Permission, Role},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub membership_id: MembershipId,
    pub tenant_id: TenantId,
    pub role: Role,
}

impl Actor {
    /// The one permission check, used by the API and the portal alike.
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(permission.key()))
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}
