//! The tenant-scoped transaction: the only way to reach tenant-owned rows.

use pitlane_domain::ids::TenantId;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction,
    EntityTrait, FromQueryResult, IntoActiveModel, Iterable, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Value,
};
use uuid::Uuid;

use crate::{
    StoreError,
    entity::{
        api_key, appointment, appointment_event, audit_entry, auth_link, bay, booking_code, branch,
        branch_closure, calendar_feed, canned_job, canned_job_line, checkout_session, conversation,
        conversation_message, credit_note, credit_note_line, customer, customer_note, daily_figure,
        feedback, inspection, inspection_item, inspection_photo, inspection_template,
        inspection_template_item, invitation, invoice, invoice_line, job, job_application,
        mechanic_application, mechanic_profile, membership, membership_branch, message_template,
        mileage_reading, notification, outbox, part, payment, purchase_order, purchase_order_line,
        recovery_code, refund, repair_order, repair_order_event, repair_order_line, roadside_event,
        roadside_request, roadside_setting, roadside_trail, roadside_work, role, service,
        sms_consent, sms_inbound, staff_absence, stock_count, stock_count_line, stock_level,
        stock_movement, stock_reservation, supplier, tax_rate, tenant, tenant_counter,
        tenant_domain, time_entry, user, user_identity, vehicle, vehicle_owner,
    },
};

/// One tenant query to count in [`TenantTx::counts`], its tenant (and branch) wall applied.
pub struct Counted(sea_orm::sea_query::SelectStatement);

/// A table whose rows belong to one tenant. `tenant_column` is `tenant_id`
/// (for `tenants` itself, its `id`), `id_column` the row's own id.
pub trait TenantScoped: EntityTrait {
    fn tenant_column() -> Self::Column;
    fn id_column() -> Self::Column;
    /// The column naming the branch a row belongs to, for tables whose rows a branch-limited
    /// member sees only for their branches.
    fn branch_column() -> Option<Self::Column> {
        None
    }
}

/// A tenant table the application may insert, update and delete in. The audit log is not
/// one: it is only appended to ([`TenantTx::append_audit`]) and read.
pub trait Writable: TenantScoped {}

macro_rules! tenant_scoped {
    ($($module:ident: $tenant:ident $(, branch $branch:ident)?);* $(;)?) => {$(
        impl TenantScoped for $module::Entity {
            fn tenant_column() -> $module::Column { $module::Column::$tenant }
            fn id_column() -> $module::Column { $module::Column::Id }
            $(fn branch_column() -> Option<$module::Column> { Some($module::Column::$branch) })?
        }
        impl Writable for $module::Entity {}
    )*};
}

tenant_scoped!(
    tenant: Id;
    branch: TenantId, branch Id;
    tenant_domain: TenantId;
    membership: TenantId;
    outbox: TenantId;
    sms_consent: TenantId;
    sms_inbound: TenantId;
    message_template: TenantId;
    notification: TenantId;
    role: TenantId;
    membership_branch: TenantId;
    invitation: TenantId;
    mechanic_application: TenantId;
    api_key: TenantId;
    customer: TenantId;
    customer_note: TenantId;
    vehicle: TenantId;
    vehicle_owner: TenantId;
    mileage_reading: TenantId;
    service: TenantId;
    bay: TenantId, branch BranchId;
    mechanic_profile: TenantId;
    staff_absence: TenantId;
    branch_closure: TenantId, branch BranchId;
    appointment: TenantId, branch BranchId;
    appointment_event: TenantId;
    booking_code: TenantId;
    conversation: TenantId;
    conversation_message: TenantId;
    tenant_counter: TenantId;
    supplier: TenantId;
    part: TenantId;
    stock_level: TenantId, branch BranchId;
    purchase_order: TenantId, branch BranchId;
    purchase_order_line: TenantId;
    stock_count: TenantId, branch BranchId;
    stock_count_line: TenantId;
    repair_order: TenantId, branch BranchId;
    job: TenantId, branch BranchId;
    repair_order_line: TenantId;
    repair_order_event: TenantId;
    stock_reservation: TenantId, branch BranchId;
    stock_movement: TenantId, branch BranchId;
    canned_job: TenantId;
    canned_job_line: TenantId;
    inspection_template: TenantId;
    inspection_template_item: TenantId;
    inspection: TenantId;
    inspection_item: TenantId;
    inspection_photo: TenantId;
    job_application: TenantId;
    time_entry: TenantId;
    tax_rate: TenantId, branch BranchId;
    invoice: TenantId, branch BranchId;
    invoice_line: TenantId;
    credit_note: TenantId;
    credit_note_line: TenantId;
    payment: TenantId;
    refund: TenantId;
    checkout_session: TenantId;
    daily_figure: TenantId, branch BranchId;
    roadside_setting: TenantId, branch BranchId;
    roadside_request: TenantId, branch BranchId;
    roadside_event: TenantId;
    roadside_trail: TenantId;
    roadside_work: TenantId;
    feedback: TenantId, branch BranchId;
    calendar_feed: TenantId;
);

impl TenantScoped for audit_entry::Entity {
    fn tenant_column() -> audit_entry::Column {
        audit_entry::Column::TenantId
    }
    fn id_column() -> audit_entry::Column {
        audit_entry::Column::Id
    }
}

/// One page of a list in the list's order; `next` is where the following page starts (the
/// last row's id, or a [`TimeCursor`] for a list ordered by a time), `None` on the last page.
#[derive(Debug, Clone)]
pub struct Page<T, C = Uuid> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page from `rows` read with a limit of `limit + 1`: the first `limit` of them, and
    /// the cursor of the last one when there were more.
    pub fn cut(mut rows: Vec<T>, limit: u64, cursor_of: impl Fn(&T) -> C) -> Self {
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Self { items: rows, next }
    }

    /// The same page with each item changed.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U, C> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// Where a page of a list ordered by a time and then the id ends: the last row's time and
/// id. Written `{nanoseconds since 1970}_{id}`, which needs no escaping in a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeCursor {
    pub at: chrono::DateTime<chrono::Utc>,
    pub id: Uuid,
}

impl TimeCursor {
    pub fn parse(raw: &str) -> Option<Self> {
        let (nanos, id) = raw.split_once('_')?;
        Some(Self {
            at: chrono::DateTime::from_timestamp_nanos(nanos.parse().ok()?),
            id: Uuid::try_parse(id).ok()?,
        })
    }

    /// The rows after this cursor in a list ordered by `(at, id)`, both in `order`.
    pub fn after<C: ColumnTrait>(&self, at: C, id: C, order: &Order) -> Condition {
        let (past_at, past_id) = match order {
            Order::Desc => (at.lt(self.at), id.lt(self.id)),
            _ => (at.gt(self.at), id.gt(self.id)),
        };
        Condition::any()
            .add(past_at)
            .add(Condition::all().add(at.eq(self.at)).add(past_id))
    }
}

impl std::fmt::Display for TimeCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Nanoseconds fit an i64 until the year 2262.
        let nanos = self.at.timestamp_nanos_opt().unwrap_or(i64::MAX);
        write!(f, "{nanos}_{}", self.id.simple())
    }
}

/// A transaction bound to one tenant. Every method adds `tenant_id = <this tenant>`;
/// on PostgreSQL row-level security checks the same thing again.
pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant: TenantId,
    /// Set for a branch-limited member: rows of branch tables outside these are invisible.
    branches: Option<Vec<Uuid>>,
    /// The tenant's currency, once read in this transaction (several reads of a page ask).
    currency: tokio::sync::OnceCell<pitlane_domain::text::CurrencyCode>,
    /// Whether this transaction wrote the workshop's own row or domains; told after the commit.
    changed_workshop: std::sync::atomic::AtomicBool,
    workshop_changes: tokio::sync::broadcast::Sender<TenantId>,
}

impl TenantTx {
    pub(crate) fn new(
        tx: DatabaseTransaction,
        tenant: TenantId,
        branches: Option<Vec<Uuid>>,
        workshop_changes: tokio::sync::broadcast::Sender<TenantId>,
    ) -> Self {
        Self {
            tx,
            tenant,
            branches,
            currency: tokio::sync::OnceCell::new(),
            changed_workshop: std::sync::atomic::AtomicBool::new(false),
            workshop_changes,
        }
    }

    /// Notes a write to a table: one to the workshop's own row, or to its custom domains
    /// (which resolve to it), is told after the commit.
    fn writes<E: 'static>(&self) {
        use std::any::TypeId;
        let table = TypeId::of::<E>();
        if table == TypeId::of::<crate::entity::tenant::Entity>()
            || table == TypeId::of::<crate::entity::tenant_domain::Entity>()
        {
            self.changed_workshop
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The tenant filter, plus the branch filter where the table and the member have one.
    pub(crate) fn scope<E: TenantScoped>(&self) -> Condition {
        let mut condition = Condition::all().add(E::tenant_column().eq(self.tenant.0));
        if let (Some(column), Some(branches)) = (E::branch_column(), &self.branches) {
            condition = condition.add(column.is_in(branches.iter().copied()));
        }
        condition
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Starts a query on a tenant table; the scope is applied again when it runs.
    pub fn select<E: TenantScoped>(&self) -> Select<E> {
        E::find().filter(self.scope::<E>())
    }

    pub async fn all<E: TenantScoped>(
        &self,
        query: Select<E>,
    ) -> Result<Vec<E::Model>, StoreError> {
        Ok(query.filter(self.scope::<E>()).all(&self.tx).await?)
    }

    /// Rows in a smaller shape `M` (only the columns a page shows): list pages pay for what
    /// they display. The query must `select_only()` the columns `M` reads.
    pub async fn all_as<E, M>(&self, query: Select<E>) -> Result<Vec<M>, StoreError>
    where
        E: TenantScoped,
        M: FromQueryResult + Send + Sync,
    {
        Ok(query
            .filter(self.scope::<E>())
            .into_model::<M>()
            .all(&self.tx)
            .await?)
    }

    pub async fn first<E: TenantScoped>(
        &self,
        query: Select<E>,
    ) -> Result<Option<E::Model>, StoreError> {
        Ok(query.filter(self.scope::<E>()).one(&self.tx).await?)
    }

    pub async fn count<E: TenantScoped>(&self, query: Select<E>) -> Result<u64, StoreError>
    where
        E::Model: Sync,
    {
        Ok(query.filter(self.scope::<E>()).count(&self.tx).await?)
    }

    /// A query of this tenant's rows to count together with others ([`TenantTx::counts`]).
    pub fn counted<E: TenantScoped>(&self, query: Select<E>) -> Counted {
        Counted(QueryTrait::into_query(query.filter(self.scope::<E>())))
    }

    /// Several counts in one statement, one round trip (a page's tiles and badges), in the
    /// order given: `select (select count(*) from (…)), …`.
    pub async fn counts(&self, parts: Vec<Counted>) -> Result<Vec<u64>, StoreError> {
        use sea_orm::{
            ConnectionTrait,
            sea_query::{Alias, Expr, Query, QueryStatementBuilder},
        };
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let n = parts.len();
        let mut select = Query::select();
        for (i, Counted(query)) in parts.into_iter().enumerate() {
            let count = Query::select()
                .expr(Expr::cust("count(*)"))
                .from_subquery(query, Alias::new(format!("q{i}")))
                .to_owned();
            select.expr_as(
                Expr::SubQuery(None, Box::new(count.into_sub_query_statement())),
                Alias::new(format!("c{i}")),
            );
        }
        let backend = self.tx.get_database_backend();
        let row = self
            .tx
            .query_one_raw(backend.build(&select))
            .await?
            .ok_or(StoreError::NotFound)?;
        (0..n)
            .map(|i| {
                row.try_get::<i64>("", &format!("c{i}"))
                    .map(|n| n.max(0) as u64)
                    .map_err(StoreError::from)
            })
            .collect()
    }

    /// The row with this id in this tenant; another tenant's id is `NotFound`, like a missing one.
    pub async fn get<E: TenantScoped>(&self, id: Uuid) -> Result<E::Model, StoreError> {
        let query = E::find().filter(E::id_column().eq(id));
        self.first(query).await?.ok_or(StoreError::NotFound)
    }

    /// The row with this id, held until the transaction ends (`FOR UPDATE` on PostgreSQL;
    /// SQLite's write transactions run one at a time anyway), so what is checked on it stays
    /// true until commit: two payments of one invoice wait for each other.
    pub async fn get_for_update<E: TenantScoped>(&self, id: Uuid) -> Result<E::Model, StoreError> {
        let query = E::find().filter(E::id_column().eq(id)).lock_exclusive();
        self.first(query).await?.ok_or(StoreError::NotFound)
    }

    /// A page of rows in id (creation) order, after the `after` cursor.
    pub async fn page<E: TenantScoped>(
        &self,
        query: Select<E>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<E::Model>, StoreError> {
        self.page_in(query, Order::Asc, after, limit).await
    }

    /// A page of rows newest first (descending id), after the `after` cursor.
    pub async fn page_newest<E: TenantScoped>(
        &self,
        query: Select<E>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<E::Model>, StoreError> {
        self.page_in(query, Order::Desc, after, limit).await
    }

    async fn page_in<E: TenantScoped>(
        &self,
        query: Select<E>,
        order: Order,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<E::Model>, StoreError> {
        let id = E::id_column();
        let mut query = query.order_by(id, order.clone()).limit(limit + 1);
        if let Some(after) = after {
            query = query.filter(match order {
                Order::Desc => id.lt(after),
                _ => id.gt(after),
            });
        }
        let rows = self.all(query).await?;
        Ok(Page::cut(rows, limit, |row| row_id::<E>(row)))
    }

    /// Inserts a row, forcing its tenant to this transaction's tenant.
    pub async fn insert<E, A>(&self, mut row: A) -> Result<E::Model, StoreError>
    where
        E: Writable,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
        E::Model: IntoActiveModel<A>,
    {
        crate::text_guard::check_text(&row)?;
        row.set(E::tenant_column(), self.tenant.0.into());
        self.writes::<E>();
        Ok(row.insert(&self.tx).await?)
    }

    /// Inserts many rows of one table in a few statements of many rows each (for data made
    /// in bulk, such as the demo's history), forcing each row's tenant to this transaction's
    /// tenant and checking its text as [`TenantTx::insert`] does. `Unchanged` values are
    /// written too, so whole models converted with `into_active_model` can be given. Every
    /// row should give the same columns: a column given in some rows only is written NULL
    /// in the others. Returns how many rows were inserted.
    pub async fn insert_many<E, A>(
        &self,
        rows: impl IntoIterator<Item = A>,
    ) -> Result<u64, StoreError>
    where
        E: Writable,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    {
        // Bind values per statement: below SQLite's limit (32,766; PostgreSQL allows 65,535).
        // Fewer, larger statements are much faster on PostgreSQL.
        const PARAMETERS: usize = 30_000;
        let per_statement = (PARAMETERS / E::Column::iter().count().max(1)).max(1);
        let mut inserted = 0;
        let mut batch: Vec<A> = Vec::with_capacity(per_statement);
        let mut rows = rows.into_iter().peekable();
        while let Some(row) = rows.next() {
            let mut row = row.reset_all();
            crate::text_guard::check_text(&row)?;
            row.set(E::tenant_column(), self.tenant.0.into());
            batch.push(row);
            if batch.len() == per_statement || rows.peek().is_none() {
                inserted += E::insert_many(std::mem::take(&mut batch))
                    .exec_without_returning(&self.tx)
                    .await?;
            }
        }
        Ok(inserted)
    }

    /// Inserts a row unless one with the same tenant and `unique` columns exists (then nothing happens);
    /// returns whether it was inserted. Two transactions creating the same row at once both
    /// succeed, where a plain insert would abort one of them.
    pub async fn insert_if_absent<E, A>(
        &self,
        mut row: A,
        unique: impl IntoIterator<Item = E::Column>,
    ) -> Result<bool, StoreError>
    where
        E: Writable,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    {
        use sea_orm::sea_query::OnConflict;
        crate::text_guard::check_text(&row)?;
        row.set(E::tenant_column(), self.tenant.0.into());
        let result = E::insert(row)
            .on_conflict(
                // Every unique key of a tenant table begins with the tenant.
                OnConflict::columns(std::iter::once(E::tenant_column()).chain(unique))
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.tx)
            .await?;
        Ok(result > 0)
    }

    /// Updates a row by its key, which includes the tenant: another tenant's row is `NotFound`.
    pub async fn update<E, A>(&self, mut row: A) -> Result<E::Model, StoreError>
    where
        E: Writable,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
        E::Model: IntoActiveModel<A>,
    {
        crate::text_guard::check_text(&row)?;
        row.set(E::tenant_column(), self.tenant.0.into());
        self.writes::<E>();
        row.update(&self.tx).await.map_err(|err| match err {
            sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
            other => other.into(),
        })
    }

    /// Deletes the row with this id in this tenant; `NotFound` when there is none.
    pub async fn delete<E: Writable>(&self, id: Uuid) -> Result<(), StoreError> {
        self.writes::<E>();
        let result = E::delete_many()
            .filter(self.scope::<E>())
            .filter(E::id_column().eq(id))
            .exec(&self.tx)
            .await?;
        if result.rows_affected == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Runs a delete on a tenant table, scoped to this tenant; returns the rows removed.
    pub async fn delete_all<E: Writable>(
        &self,
        delete: sea_orm::DeleteMany<E>,
    ) -> Result<u64, StoreError> {
        self.writes::<E>();
        Ok(delete
            .filter(self.scope::<E>())
            .exec(&self.tx)
            .await?
            .rows_affected)
    }

    /// Runs an update on a tenant table, scoped to this tenant; returns the rows changed.
    pub async fn update_all<E: Writable>(
        &self,
        update: sea_orm::UpdateMany<E>,
    ) -> Result<u64, StoreError> {
        self.writes::<E>();
        Ok(update
            .filter(self.scope::<E>())
            .exec(&self.tx)
            .await?
            .rows_affected)
    }

    /// Appends an entry to the audit log; entries are never changed or removed.
    pub async fn append_audit(&self, mut row: audit_entry::ActiveModel) -> Result<(), StoreError> {
        row.tenant_id = sea_orm::ActiveValue::Set(self.tenant.0);
        audit_entry::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await?;
        Ok(())
    }

    /// The name of the person acting, for records staff read later ("note by …"); "API" for
    /// an API key.
    pub async fn actor_name(
        &self,
        actor: &pitlane_domain::Actor,
    ) -> Result<Option<String>, StoreError> {
        if actor.api_key.is_some() {
            return Ok(Some("API".to_owned()));
        }
        let person = user::Entity::find()
            .filter(user::Column::Id.eq(actor.user_id.0))
            .one(&self.tx)
            .await?;
        Ok(person.map(|p| p.name))
    }

    /// The currency the tenant bills in: what every `_minor` amount of theirs is in.
    /// Read once per transaction, and only that column.
    pub async fn currency(&self) -> Result<pitlane_domain::text::CurrencyCode, StoreError> {
        self.currency
            .get_or_try_init(|| async {
                let stored: Option<String> = tenant::Entity::find_by_id(self.tenant.0)
                    .select_only()
                    .column(tenant::Column::Currency)
                    .into_tuple()
                    .one(&self.tx)
                    .await?;
                let stored = stored.ok_or(StoreError::NotFound)?;
                pitlane_domain::text::CurrencyCode::parse(&stored)
                    .map_err(|e| StoreError::Config(format!("the stored currency: {e}")))
            })
            .await
            .cloned()
    }

    /// The global person tables (users, their links and identities) within this transaction.
    pub fn people(&self) -> People<'_> {
        People { conn: &self.tx }
    }

    /// One page of this tenant's live customers (not merged, not erased) whose search text
    /// matches the `LIKE` pattern (escape `\`): their ids in the list's `order` (`name`,
    /// `-name`, `created`, `-created`), after the cursor `after` (name and id), at most
    /// `limit`. `None` where there is no such function (SQLite), and the caller filters with
    /// `LIKE` itself. Row-level security keeps `LIKE` out of index scans (it is not
    /// leakproof), hence the function, which picks the trigram or the name index by how many
    /// match (migration 000019).
    pub async fn customer_search_page(
        &self,
        pattern: &str,
        order: &str,
        after: Option<(&str, Uuid)>,
        limit: u32,
    ) -> Result<Option<Vec<Uuid>>, StoreError> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        if self.tx.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let rows = self
            .tx
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "select pitlane_customer_search($1, $2, $3, $4, $5) as id",
                [
                    pattern.into(),
                    order.into(),
                    after.map(|(name, _)| name.to_owned()).into(),
                    after.map(|(_, id)| id).into(),
                    (limit as i32).into(),
                ],
            ))
            .await?;
        let ids = rows
            .into_iter()
            .map(|row| row.try_get::<Uuid>("", "id").map_err(StoreError::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ids))
    }

    /// The next number of this tenant's sequence `name` (the first is `first`). The counter row
    /// stays locked until this transaction ends, so numbers are gap-free: a transaction that
    /// rolls back gives its number to the next one, and concurrent callers queue.
    pub async fn next_number(&self, name: &str, first: i64) -> Result<i64, StoreError> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let backend = self.tx.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "insert into tenant_counters (tenant_id, id, name, value) values ($1, $2, $3, $4)
                 on conflict (tenant_id, name) do update set value = tenant_counters.value + 1
                 returning value"
            }
            _ => {
                "insert into tenant_counters (tenant_id, id, name, value) values (?, ?, ?, ?)
                 on conflict (tenant_id, name) do update set value = tenant_counters.value + 1
                 returning value"
            }
        };
        let row = self
            .tx
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    self.tenant.0.into(),
                    Uuid::now_v7().into(),
                    name.into(),
                    first.into(),
                ],
            ))
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get::<i64>("", "value")?)
    }

    /// Plans every later statement of this transaction for its own values (PostgreSQL's
    /// `plan_cache_mode = force_custom_plan`, until the transaction ends). For reads whose best
    /// plan depends on how large the tenant is: with one large chain among many small
    /// workshops, a generic plan kept from the small ones made the chain's dashboard twelve
    /// times slower (the reports bench). Nothing to do on SQLite, which plans every statement.
    pub async fn plan_for_values(&self) -> Result<(), StoreError> {
        self.set_plan_cache_mode("force_custom_plan").await
    }

    /// Lets later statements of this transaction keep generic plans again (PostgreSQL's
    /// default), after [`TenantTx::plan_for_values`] for the one statement that needed it.
    pub async fn plan_generally(&self) -> Result<(), StoreError> {
        self.set_plan_cache_mode("auto").await
    }

    async fn set_plan_cache_mode(&self, mode: &'static str) -> Result<(), StoreError> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        if self.tx.get_database_backend() == DbBackend::Postgres {
            self.tx
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select set_config('plan_cache_mode', $1, true)",
                    [mode.into()],
                ))
                .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        if self.changed_workshop.into_inner() {
            // Nobody may be following (a command-line run): that is fine.
            let _ = self.workshop_changes.send(self.tenant);
        }
        Ok(())
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

/// A table about a person rather than a tenant: users, their single-use links, identity
/// provider accounts and recovery codes. Users are global (one login, many tenants).
pub trait PersonTable: EntityTrait {}

impl PersonTable for user::Entity {}
impl PersonTable for auth_link::Entity {}
impl PersonTable for user_identity::Entity {}
impl PersonTable for recovery_code::Entity {}

/// Reads and writes of person tables, inside a tenant transaction or a [`PeopleTx`].
pub struct People<'a> {
    conn: &'a DatabaseTransaction,
}

impl People<'_> {
    pub async fn all<E: PersonTable>(&self, query: Select<E>) -> Result<Vec<E::Model>, StoreError> {
        Ok(query.all(self.conn).await?)
    }

    /// Some columns of person rows (`query` selects them), such as names without the secrets.
    pub async fn all_as<E, M>(&self, query: Select<E>) -> Result<Vec<M>, StoreError>
    where
        E: PersonTable,
        M: FromQueryResult + Send + Sync,
    {
        Ok(query.into_model::<M>().all(self.conn).await?)
    }

    pub async fn first<E: PersonTable>(
        &self,
        query: Select<E>,
    ) -> Result<Option<E::Model>, StoreError> {
        Ok(query.one(self.conn).await?)
    }

    pub async fn insert<E, A>(&self, row: A) -> Result<E::Model, StoreError>
    where
        E: PersonTable,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
        E::Model: IntoActiveModel<A>,
    {
        crate::text_guard::check_text(&row)?;
        Ok(row.insert(self.conn).await?)
    }

    pub async fn update<E, A>(&self, row: A) -> Result<E::Model, StoreError>
    where
        E: PersonTable,
        A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
        E::Model: IntoActiveModel<A>,
    {
        crate::text_guard::check_text(&row)?;
        row.update(self.conn).await.map_err(|err| match err {
            sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
            other => other.into(),
        })
    }

    /// Runs an update; returns the rows changed (a conditional update is how a single-use
    /// link is spent exactly once).
    pub async fn update_all<E: PersonTable>(
        &self,
        update: sea_orm::UpdateMany<E>,
    ) -> Result<u64, StoreError> {
        Ok(update.exec(self.conn).await?.rows_affected)
    }
}

/// A transaction over person tables only, for work that belongs to no tenant
/// (verifying an e-mail address, the platform's sign-in).
pub struct PeopleTx {
    tx: DatabaseTransaction,
}

impl PeopleTx {
    pub(crate) fn new(tx: DatabaseTransaction) -> Self {
        Self { tx }
    }

    pub fn people(&self) -> People<'_> {
        People { conn: &self.tx }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}
