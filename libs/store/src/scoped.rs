//! The tenant-scoped transaction: the only way to reach tenant-owned rows.

use pitlane_domain::ids::TenantId;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    Value, sea_query::IntoCondition,
};
use uuid::Uuid;

use crate::{
    StoreError,
    entity::{
        branch, membership, message_template, notification, outbox, sms_consent, sms_inbound,
        tenant, tenant_domain, user,
    },
};

/// A table whose rows belong to one tenant. `tenant_column` is `tenant_id`
/// (for `tenants` itself, its `id`), `id_column` the row's own id.
pub trait TenantScoped: EntityTrait {
    fn tenant_column() -> Self::Column;
    fn id_column() -> Self::Column;
}

macro_rules! tenant_scoped {
    ($($module:ident: $tenant:ident),* $(,)?) => {$(
        impl TenantScoped for $module::Entity {
            fn tenant_column() -> $module::Column { $module::Column::$tenant }
            fn id_column() -> $module::Column { $module::Column::Id }
        }
    )*};
}

tenant_scoped!(
    tenant: Id,
    branch: TenantId,
    tenant_domain: TenantId,
    membership: TenantId,
    outbox: TenantId,
    sms_consent: TenantId,
    sms_inbound: TenantId,
    message_template: TenantId,
    notification: TenantId,
);

/// One page of a list, in id (creation) order; `next` is the cursor for the following page.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Uuid>,
}

/// A transaction bound to one tenant. Every method adds `tenant_id = <this tenant>`;
/// on PostgreSQL row-level security checks the same thing again.
pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant: TenantId,
}

fn scope<E: TenantScoped>(tenant: TenantId) -> impl IntoCondition {
    E::tenant_column().eq(tenant.0)
}

impl TenantTx {
    pub(crate) fn new(tx: DatabaseTransaction, tenant: TenantId) -> Self {
        Self { tx, tenant }
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Starts a query on a tenant table; the scope is applied again when it runs.
    pub fn select<E: TenantScoped>(&self) -> Select<E> {
        E::find().filter(scope::<E>(self.tenant))
    }

    pub async fn all<E: TenantScoped>(
        &self,
        query: Select<E>,
    ) -> Result<Vec<E::Model>, StoreError> {
        Ok(query.filter(scope::<E>(self.tenant)).all(&self.tx).await?)
    }

    /// Rows in a smaller shape `M` (only the columns a page shows): list pages pay for what
    /// they display. The query must `select_only()` the columns `M` reads.
    pub async fn all_as<E, M>(&self, query: Select<E>) -> Result<Vec<M>, StoreError>
    where
        E: TenantScoped,
        M: FromQueryResult + Send + Sync,
    {
        Ok(query
            .filter(scope::<E>(self.tenant))
            .into_model::<M>()
            .all(&self.tx)
            .await?)
    }

    pub async fn first<E: TenantScoped>(
        &self,
        query: Select<E>,
    ) -> Result<Option<E::Model>, StoreError> {
        Ok(query.filter(scope::<E>(self.tenant)).one(&self.tx).await?)
    }

    pub async fn count<E: TenantScoped>(&self, query: Select<E>) -> Result<u64, StoreError>
    where
        E::Model: Sync,
    {
        Ok(query
            .filter(scope::<E>(self.tenant))
            .count(&self.tx)
            .await?)
    }

    /// The row with this id in this tenant; another tenant's id is `NotFound`, like a missing one.
    pub async fn get<E: TenantScoped>(&self, id: Uuid) -> Result<E::Model, StoreError> {
        let query = E::find().filter(E::id_column().eq(id));
        self.first(query).await?.ok_or(StoreError::NotFound)
    }

    /// A page of rows in id order, after the `after` cursor.
    pub async fn page<E: TenantScoped>(
        &self,
        query: Select<E>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<E::Model>, StoreError> {
        let id = E::id_column();
        let mut query = query.order_by_asc(id).limit(limit + 1);
        if let Some(after) = after {
            query = query.filter(id.gt(after));
        }
        let mut items = self.all(query).await?;
        let next = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|row| row_id::<E>(row))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    /// Inserts a row, forcing its tenant to this transaction's tenant.
    pub async fn insert<E, A>(&self, mut row: A) -> Result<E::Model, StoreError>
    where
        E: TenantScoped,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
        E::Model: IntoActiveModel<A>,
    {
        row.set(E::tenant_column(), self.tenant.0.into());
        Ok(row.insert(&self.tx).await?)
    }

    /// Updates a row by its key, which includes the tenant: another tenant's row is `NotFound`.
    pub async fn update<E, A>(&self, mut row: A) -> Result<E::Model, StoreError>
    where
        E: TenantScoped,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
        E::Model: IntoActiveModel<A>,
    {
        row.set(E::tenant_column(), self.tenant.0.into());
        row.update(&self.tx).await.map_err(|err| match err {
            sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
            other => other.into(),
        })
    }

    /// Deletes the row with this id in this tenant; `NotFound` when there is none.
    pub async fn delete<E: TenantScoped>(&self, id: Uuid) -> Result<(), StoreError> {
        let result = E::delete_many()
            .filter(scope::<E>(self.tenant))
            .filter(E::id_column().eq(id))
            .exec(&self.tx)
            .await?;
        if result.rows_affected == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Runs an update on a tenant table, scoped to this tenant; returns the rows changed.
    pub async fn update_all<E: TenantScoped>(
        &self,
        update: sea_orm::UpdateMany<E>,
    ) -> Result<u64, StoreError> {
        Ok(update
            .filter(scope::<E>(self.tenant))
            .exec(&self.tx)
            .await?
            .rows_affected)
    }

    // ---- Users are global (one login, many tenants): reachable from any tenant transaction. ----

    pub async fn users(&self, query: Select<user::Entity>) -> Result<Vec<user::Model>, StoreError> {
        Ok(query.all(&self.tx).await?)
    }

    pub async fn insert_user(&self, row: user::ActiveModel) -> Result<user::Model, StoreError> {
        Ok(row.insert(&self.tx).await?)
    }

    pub async fn update_user(&self, row: user::ActiveModel) -> Result<user::Model, StoreError> {
        Ok(row.update(&self.tx).await?)
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

fn row_id<E: TenantScoped>(row: &E::Model) -> Uuid {
    use sea_orm::ModelTrait;
    match row.get(E::id_column()) {
        Value::Uuid(Some(id)) => id,
        // Every tenant table's id column is a UUID; the schema enforces it.
        _ => Uuid::nil(),
    }
}
