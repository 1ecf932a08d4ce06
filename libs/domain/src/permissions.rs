//! The permission catalogue and the built-in roles. One `Role::allows` answers every check;
//! the web layer's `require` calls it for the API and the portal alike.

use thiserror::Error;

macro_rules! catalogue {
    ($($variant:ident => $key:literal, $label:literal;)*) => {
        /// Everything a member of a tenant may be allowed to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission { $($variant),* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),*];

            /// The stable name used in API documentation and custom role definitions.
            pub fn key(self) -> &'static str {
                match self { $(Permission::$variant => $key),* }
            }

            pub fn label(self) -> &'static str {
                match self { $(Permission::$variant => $label),* }
            }

            pub fn parse(key: &str) -> Option<Permission> {
                match key { $($key => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

catalogue! {
    TenantRead => "tenant.read", "See the workshop's settings and branches";
    SettingsManage => "settings.manage", "Change brand, branches and domains";
    StaffManage => "staff.manage", "Invite, approve and remove staff";
    BillingManage => "billing.manage", "Manage the plan and Stripe connection";
    CustomersRead => "customers.read", "See customers and vehicles";
    CustomersWrite => "customers.write", "Create and edit customers and vehicles";
    AppointmentsWrite => "appointments.write", "Book, move and cancel appointments";
    RepairOrdersRead => "repair_orders.read", "See repair orders";
    RepairOrdersWrite => "repair_orders.write", "Create and change repair orders";
    JobsWork => "jobs.work", "Work assigned jobs and clock time";
    InventoryRead => "inventory.read", "See parts and stock";
    InventoryAdjust => "inventory.adjust", "Receive, adjust and transfer stock";
    InvoicesWrite => "invoices.write", "Issue invoices and record payments";
    InvoicesRefund => "invoices.refund", "Refund payments";
    ReportsView => "reports.view", "See reports and the dashboard";
    AuditView => "audit.view", "Read the audit log";
    ApiKeysManage => "api_keys.manage", "Create and revoke API keys";
    RoadsideDispatch => "roadside.dispatch", "Dispatch roadside help: assign, reassign and cancel requests";
    FeedbackRead => "feedback.read", "Read customers' ratings and reply to them";
    FeedbackModerate => "feedback.moderate", "Hide abusive text in customers' feedback";
}

/// A set of permissions: what a role grants, what an API key is scoped to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u64);

/// A custom role or API key named a permission the catalogue does not have.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

impl PermissionSet {
    pub fn all() -> Self {
        Permission::ALL.iter().copied().collect()
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & (1 << permission as u64) != 0
    }

    pub fn insert(&mut self, permission: Permission) {
        self.0 |= 1 << permission as u64;
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every permission of `other` is also in this set.
    pub fn covers(self, other: PermissionSet) -> bool {
        other.0 & !self.0 == 0
    }

    pub fn intersection(self, other: PermissionSet) -> Self {
        Self(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    pub fn keys(self) -> Vec<String> {
        self.iter().map(|p| p.key().to_owned()).collect()
    }

    /// Parses permission keys; an unknown key is an error, not silently dropped.
    pub fn parse_keys<S: AsRef<str>>(keys: &[S]) -> Result<Self, UnknownPermission> {
        keys.iter()
            .map(|k| {
                Permission::parse(k.as_ref().trim())
                    .ok_or_else(|| UnknownPermission(k.as_ref().to_owned()))
            })
            .collect()
    }

    /// The stored form: keys separated by spaces.
    pub fn to_stored(self) -> String {
        self.keys().join(" ")
    }

    /// Reads the stored form, skipping keys a newer version may have retired.
    pub fn from_stored(stored: &str) -> Self {
        stored
            .split_whitespace()
            .filter_map(Permission::parse)
            .collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = PermissionSet::default();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

/// The roles every tenant has. Tenants add custom roles built from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    Manager,
    ServiceAdvisor,
    Mechanic,
    Customer,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown role")]
pub struct UnknownRole;

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Manager,
        Role::ServiceAdvisor,
        Role::Mechanic,
        Role::Customer,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::ServiceAdvisor => "service_advisor",
            Role::Mechanic => "mechanic",
            Role::Customer => "customer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::ServiceAdvisor => "Service advisor",
            Role::Mechanic => "Mechanic",
            Role::Customer => "Customer",
        }
    }

    pub fn parse(key: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.key() == key)
            .ok_or(UnknownRole)
    }

    /// Whether members with this role work for the workshop (everyone but customers).
    pub fn is_staff(self) -> bool {
        self != Role::Customer
    }

    pub fn permissions(self) -> PermissionSet {
        Permission::ALL
            .iter()
            .copied()
            .filter(|p| self.allows(*p))
            .collect()
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => permission != BillingManage,
            Role::Manager => !matches!(
                permission,
                BillingManage
                    | SettingsManage
                    | StaffManage
                    | AuditView
                    | ApiKeysManage
                    | FeedbackModerate
            ),
            Role::ServiceAdvisor => matches!(
                permission,
                TenantRead
                    | CustomersRead
                    | CustomersWrite
                    | AppointmentsWrite
                    | RepairOrdersRead
                    | RepairOrdersWrite
                    | InventoryRead
                    | InvoicesWrite
                    | RoadsideDispatch
                    | FeedbackRead
            ),
            Role::Mechanic => matches!(
                permission,
                TenantRead | RepairOrdersRead | JobsWork | InventoryRead
            ),
            Role::Customer => false,
        }
    }
}

/// The stored role of a membership holding one of the tenant's own roles.
pub const CUSTOM_ROLE_KEY: &str = "custom";

/// What a membership may do, from its stored role and (for a custom role) that role's stored
/// permissions; `None` for a role this version does not know.
pub fn membership_permissions(role: &str, custom: Option<&str>) -> Option<PermissionSet> {
    match (role, custom) {
        (CUSTOM_ROLE_KEY, Some(stored)) => Some(PermissionSet::from_stored(stored)),
        (CUSTOM_ROLE_KEY, None) => None,
        (builtin, _) => Role::parse(builtin).ok().map(Role::permissions),
    }
}

/// The role a membership holds: a built-in one or one the tenant defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignedRole {
    Builtin(Role),
    Custom { id: uuid::Uuid, name: String },
}

impl AssignedRole {
    /// `owner`, `mechanic`…, or `custom:{id}` for a tenant's own role.
    pub fn key(&self) -> String {
        match self {
            AssignedRole::Builtin(role) => role.key().to_owned(),
            AssignedRole::Custom { id, .. } => format!("custom:{id}"),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            AssignedRole::Builtin(role) => role.label(),
            AssignedRole::Custom { name, .. } => name,
        }
    }

    pub fn is(&self, role: Role) -> bool {
        *self == AssignedRole::Builtin(role)
    }
}

/// Which branches' rows a member may see: all of them, or only some.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BranchScope {
    #[default]
    All,
    Only(Vec<uuid::Uuid>),
}

impl BranchScope {
    pub fn includes(&self, branch: uuid::Uuid) -> bool {
        match self {
            BranchScope::All => true,
            BranchScope::Only(ids) => ids.contains(&branch),
        }
    }

    pub fn limited(&self) -> Option<&[uuid::Uuid]> {
        match self {
            BranchScope::All => None,
            BranchScope::Only(ids) => Some(ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.key()), Some(*p));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()), Ok(r));
        }
        let mut keys: Vec<_> = Permission::ALL.iter().map(|p| p.key()).collect();
        keys.dedup();
        assert_eq!(keys.len(), Permission::ALL.len());
    }

    #[test]
    fn only_owners_manage_billing_and_customers_have_no_staff_rights() {
        assert!(Role::Owner.allows(Permission::BillingManage));
        assert!(!Role::Admin.allows(Permission::BillingManage));
        assert!(Role::Admin.allows(Permission::SettingsManage));
        assert!(!Role::Mechanic.allows(Permission::SettingsManage));
        assert!(Permission::ALL.iter().all(|p| !Role::Customer.allows(*p)));
    }

    #[test]
    fn permission_sets_store_and_compare() {
        let set = PermissionSet::parse_keys(&["customers.read", "invoices.refund"]).unwrap();
        assert!(set.contains(Permission::CustomersRead));
        assert!(!set.contains(Permission::CustomersWrite));
        assert_eq!(PermissionSet::from_stored(&set.to_stored()), set);
        assert!(Role::Owner.permissions().covers(set));
        assert!(!Role::Mechanic.permissions().covers(set));
        assert_eq!(
            PermissionSet::parse_keys(&["customers.read", "root"]),
            Err(UnknownPermission("root".into()))
        );
        assert_eq!(PermissionSet::all().iter().count(), Permission::ALL.len());
        assert_eq!(
            membership_permissions("mechanic", None),
            Some(Role::Mechanic.permissions())
        );
        assert_eq!(
            membership_permissions(CUSTOM_ROLE_KEY, Some("audit.view")),
            PermissionSet::parse_keys(&["audit.view"]).ok()
        );
        assert_eq!(membership_permissions(CUSTOM_ROLE_KEY, None), None);
        assert_eq!(membership_permissions("emperor", None), None);
    }
}
