//! Typed ids: a `BranchId` can never be passed where a `TenantId` is expected.
//! All are UUIDv7, so they sort by creation time and index well.

use std::{fmt, str::FromStr};

use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    )*};
}

typed_id!(
    /// A workshop chain: the unit of isolation.
    TenantId,
    /// A location of a tenant.
    BranchId,
    /// A person; global across tenants.
    UserId,
    /// A user's role in one tenant.
    MembershipId,
    /// A custom host name pointing at a tenant.
    DomainId,
    /// A workshop's customer (a person or a business).
    CustomerId,
    /// A customer's vehicle.
    VehicleId,
    /// A booked visit to a branch.
    AppointmentId,
    /// A vehicle's visit on the floor, from estimate to closed.
    RepairOrderId,
    /// An invoice (a draft until issued).
    InvoiceId,
    /// A part of the workshop's catalogue.
    PartId,
);
