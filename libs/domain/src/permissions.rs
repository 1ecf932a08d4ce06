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
}

/// The roles every tenant has. Custom roles (a set of permissions) come with the identity work.
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

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => permission != BillingManage,
            Role::Manager => !matches!(
                permission,
                BillingManage | SettingsManage | StaffManage | AuditView
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
            ),
            Role::Mechanic => matches!(
                permission,
                TenantRead | RepairOrdersRead | JobsWork | InventoryRead
            ),
            Role::Customer => false,
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
}
