//! The permission catalogue as the API sends it.

use pitlane_domain::permissions::Permission;
use poem_openapi::Object;

/// One permission of the catalogue.
#[derive(Object)]
pub struct PermissionEntry {
    pub key: String,
    pub label: String,
}

impl From<&Permission> for PermissionEntry {
    fn from(p: &Permission) -> Self {
        Self {
            key: p.key().into(),
            label: p.label().into(),
        }
    }
}
