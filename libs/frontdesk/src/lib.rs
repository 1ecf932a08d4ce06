//! The front desk: who the customers are, what they drive, and when they come in.
//!
//! Every service takes an actor (staff) or a tenant context (the public booking page), checks
//! the permission, runs one transaction and writes its messages to the outbox in it.

pub mod appointments;
pub mod availability;
pub mod booking;
pub mod campaigns;
pub mod catalogue;
pub mod codes;
pub mod conversations;
pub mod customers;
pub mod demo;
pub mod feedback;
pub mod feeds;
pub mod hooks;
pub mod privacy;
pub mod resources;
pub mod search;
pub mod vehicles;

use pitlane_identity::links::LinkSigner;
use pitlane_notify::{Live, Outbox};
use pitlane_store::Store;

/// What the front-desk services share: the store, the outbox for customer messages, live
/// updates for the calendar and conversations, and the signer of customers' booking links.
#[derive(Clone)]
pub struct FrontDesk {
    pub store: Store,
    pub outbox: Outbox,
    pub live: Live,
    pub signer: LinkSigner,
    /// The deployment's own domain, from configuration: the right-hand side of calendar UIDs,
    /// so the UID of one appointment is the same wherever its file was made.
    pub calendar_domain: String,
    /// The deployment's sending address, the organizer of calendar entries when the workshop
    /// has no reply-to address of its own.
    pub mail_from: String,
    /// Limits on messages guests cause (booking codes).
    pub send_limits: pitlane_notify::abuse::SendLimits,
    /// Told when a customer is renamed, merged or erased, by the capabilities that keep a
    /// copy of their details (see [`hooks`]).
    pub customer_hooks: hooks::CustomerHooks,
}

/// The name of the person acting, for records staff read later ("note by …").
pub(crate) async fn author_name(
    tx: &pitlane_store::TenantTx,
    actor: &pitlane_domain::Actor,
) -> Result<Option<String>, pitlane_store::StoreError> {
    tx.actor_name(actor).await
}

/// The names of these members (by membership id), for what customers and staff read.
pub async fn member_names(
    tx: &pitlane_store::TenantTx,
    memberships: &[uuid::Uuid],
) -> Result<std::collections::HashMap<uuid::Uuid, String>, pitlane_domain::ServiceError> {
    use pitlane_store::{
        entity::membership,
        sea_orm::{ColumnTrait, QueryFilter},
    };
    if memberships.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Id.is_in(memberships.to_vec())),
        )
        .await?;
    let users = user_names(tx, members.iter().map(|m| m.user_id)).await?;
    Ok(members
        .into_iter()
        .filter_map(|m| users.get(&m.user_id).map(|name| (m.id, name.clone())))
        .collect())
}

/// The names of these users (people, by user id), read in one query.
pub(crate) async fn user_names(
    tx: &pitlane_store::TenantTx,
    users: impl IntoIterator<Item = uuid::Uuid>,
) -> Result<std::collections::HashMap<uuid::Uuid, String>, pitlane_store::StoreError> {
    use pitlane_store::{
        entity::user,
        sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
    };
    Ok(tx
        .people()
        .all(user::Entity::find().filter(user::Column::Id.is_in(users)))
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}
