//! In-app notifications for staff: the bell with its unread count, the list, marking read.

use chrono::Utc;
use pitlane_domain::{
    Actor, ServiceError,
    live::Topic,
    permissions::{Permission, membership_permissions},
};
use pitlane_store::{
    Page, Store, StoreError, TenantCtx, TenantTx,
    entity::{membership, membership_branch, notification, role},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
        sea_query::Expr,
    },
};
use serde_json::json;
use uuid::Uuid;

use crate::live::Live;

/// A notification to write.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub title: String,
    pub body: String,
    /// A portal path (`/portal/…`) where the reader deals with it.
    pub link: Option<String>,
}

/// Who was notified, for publishing after commit.
#[derive(Debug, Clone, Default)]
pub struct Notified(Vec<(Uuid, notification::Model)>);

impl Notified {
    /// Who was notified.
    pub fn users(&self) -> Vec<Uuid> {
        self.0.iter().map(|(user, _)| *user).collect()
    }

    /// Adds those notified by another step of the same transaction.
    pub fn merge(&mut self, other: Notified) {
        self.0.extend(other.0);
    }

    /// Tells each reader's open pages (their bell); call after the transaction committed.
    pub async fn publish(self, live: &Live) {
        for (user, row) in self.0 {
            live.publish(
                row.tenant_id,
                Topic::Notifications,
                Some(user),
                "notification.new",
                json!({ "id": row.id, "title": row.title, "link": row.link }),
            )
            .await;
        }
    }
}

/// Notifies, in the caller's transaction, every active member whose role has `permission`.
pub async fn notify_members_with(
    tx: &TenantTx,
    permission: Permission,
    note: &NewNotification,
) -> Result<Notified, StoreError> {
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active")),
        )
        .await?;
    let custom_roles = tx.all(tx.select::<role::Entity>()).await?;
    let users: Vec<Uuid> = members
        .into_iter()
        .filter(|member| {
            // A tenant's own role allows what its stored permissions say.
            let custom = custom_roles
                .iter()
                .find(|r| Some(r.id) == member.custom_role_id)
                .map(|r| r.permissions.as_str());
            membership_permissions(&member.role, custom).is_some_and(|set| set.contains(permission))
        })
        .map(|member| member.user_id)
        .collect();
    notify_users(tx, &users, note).await
}

/// Notifies, in the caller's transaction, the managers of `branch` (active members in the
/// manager role who may see it); the owners when the branch has no manager.
pub async fn notify_branch_managers(
    tx: &TenantTx,
    branch: Uuid,
    note: &NewNotification,
) -> Result<Notified, StoreError> {
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active"))
                .filter(membership::Column::Role.is_in(["manager", "owner"])),
        )
        .await?;
    let limited: Vec<Uuid> = members
        .iter()
        .filter(|m| m.branch_limited)
        .map(|m| m.id)
        .collect();
    let sees_branch: Vec<Uuid> = tx
        .all(
            tx.select::<membership_branch::Entity>()
                .filter(membership_branch::Column::MembershipId.is_in(limited))
                .filter(membership_branch::Column::BranchId.eq(branch)),
        )
        .await?
        .into_iter()
        .map(|b| b.membership_id)
        .collect();
    let of_role = |role: &str| -> Vec<Uuid> {
        members
            .iter()
            .filter(|m| m.role == role && (!m.branch_limited || sees_branch.contains(&m.id)))
            .map(|m| m.user_id)
            .collect()
    };
    let managers = of_role("manager");
    let users = if managers.is_empty() {
        of_role("owner")
    } else {
        managers
    };
    notify_users(tx, &users, note).await
}

/// Notifies these users, in the caller's transaction.
pub async fn notify_users(
    tx: &TenantTx,
    users: &[Uuid],
    note: &NewNotification,
) -> Result<Notified, StoreError> {
    let now = Utc::now();
    let mut notified = Vec::new();
    for user in users {
        let row = tx
            .insert(notification::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                user_id: Set(*user),
                title: Set(note.title.clone()),
                body: Set(note.body.clone()),
                link: Set(note.link.clone()),
                read_at: Set(None),
                created_at: Set(now),
            })
            .await?;
        notified.push((*user, row));
    }
    Ok(Notified(notified))
}

/// The reader's notifications, newest first, and how many are unread.
pub async fn list(
    store: &Store,
    actor: &Actor,
    unread_only: bool,
    limit: u64,
) -> Result<(Vec<notification::Model>, u64), ServiceError> {
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let unread = count_unread(&tx, actor.user_id.0).await?;
    let rows = tx
        .all(
            mine(&tx, actor, unread_only)
                .order_by_desc(notification::Column::Id)
                .limit(limit.clamp(1, 200)),
        )
        .await?;
    tx.commit().await?;
    Ok((rows, unread))
}

/// A page of the reader's notifications, newest first (by id): `after` is the last id of the
/// page before.
pub async fn page(
    store: &Store,
    actor: &Actor,
    unread_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<notification::Model>, ServiceError> {
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let page = tx
        .page_newest(mine(&tx, actor, unread_only), after, limit.clamp(1, 200))
        .await?;
    tx.commit().await?;
    Ok(page)
}

/// The reader's own notifications (only the unread ones with `unread_only`).
fn mine(tx: &TenantTx, actor: &Actor, unread_only: bool) -> Select<notification::Entity> {
    let query = tx
        .select::<notification::Entity>()
        .filter(notification::Column::UserId.eq(actor.user_id.0));
    if unread_only {
        query.filter(notification::Column::ReadAt.is_null())
    } else {
        query
    }
}

pub async fn unread_count(store: &Store, actor: &Actor) -> Result<u64, ServiceError> {
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let unread = count_unread(&tx, actor.user_id.0).await?;
    tx.commit().await?;
    Ok(unread)
}

/// Marks one of the reader's notifications read (another's is `NotFound`), or all with `None`.
/// Returns how many unread remain.
pub async fn mark_read(
    store: &Store,
    live: &Live,
    actor: &Actor,
    id: Option<Uuid>,
) -> Result<u64, ServiceError> {
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::UserId.eq(actor.user_id.0))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(id) = id {
        let row = tx.get::<notification::Entity>(id).await?;
        if row.user_id != actor.user_id.0 {
            return Err(ServiceError::NotFound);
        }
        update = update.filter(notification::Column::Id.eq(id));
    }
    tx.update_all(update).await?;
    let unread = count_unread(&tx, actor.user_id.0).await?;
    tx.commit().await?;
    live.publish(
        actor.tenant_id.0,
        Topic::Notifications,
        Some(actor.user_id.0),
        "notification.read",
        json!({ "unread": unread }),
    )
    .await;
    Ok(unread)
}

async fn count_unread(tx: &TenantTx, user: Uuid) -> Result<u64, StoreError> {
    tx.count(
        tx.select::<notification::Entity>()
            .filter(notification::Column::UserId.eq(user))
            .filter(notification::Column::ReadAt.is_null()),
    )
    .await
}
