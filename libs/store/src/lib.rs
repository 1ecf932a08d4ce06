//! The one door to the database.
//!
//! Tenant-owned rows are reachable only through a [`TenantTx`], opened with a [`TenantCtx`]:
//! every query it runs is filtered on `tenant_id` (wall 1), and on PostgreSQL the transaction
//! first sets `app.tenant_id` so row-level security holds even if a filter were forgotten
//! (wall 2). The platform path (resolving a host to a tenant) is a short, explicit list of
//! functions on [`Store`], not the tenant path with a check switched off.

pub mod audit;
pub mod entity;
mod error;
pub mod figures;
pub mod floor_facts;
mod outbox;
pub mod parked;
mod postgres;
pub use postgres::RoleUse;
mod scoped;
mod stripe_inbox;
mod text_guard;

use std::time::Duration;

use pitlane_domain::{Actor, ids::TenantId};
use pitlane_migrations::Migrator;
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, Statement, TransactionTrait,
};

pub use error::StoreError;
pub use outbox::{ClaimedBatch, Enqueued, NewOutboxRow, OutboxStat, Outcome};
pub use scoped::{
    Counted, Page, People, PeopleTx, PersonTable, TenantScoped, TenantTx, TimeCursor, Writable,
};
pub use sea_orm;
pub use stripe_inbox::{MAX_ATTEMPTS as STRIPE_EVENT_MAX_ATTEMPTS, ReceivedEvent};

/// `text` with LIKE's own characters (`%`, `_`, `\\`) taken literally, for patterns that use
/// `\\` as their escape character.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A membership as a signed-in request sees it (see [`Store::session_member`]).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct SessionMember {
    pub user_id: uuid::Uuid,
    pub role: String,
    pub status: String,
    pub custom_role_id: Option<uuid::Uuid>,
    pub custom_role_name: Option<String>,
    pub custom_permissions: Option<String>,
    pub branch_limited: bool,
    /// Space-separated branch ids.
    pub branch_ids: Option<String>,
    pub sessions_valid_after: Option<chrono::DateTime<chrono::Utc>>,
    pub two_factor: bool,
    /// The person's unread notifications in this tenant (the bell).
    pub unread_notifications: i64,
}

/// An API key and the membership of the person who made it, as a request made with the key
/// needs them (see [`Store::api_key_member`]).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct ApiKeyMember {
    pub secret_hash: String,
    pub key_permissions: String,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The membership that made the key.
    pub created_by: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub role: String,
    pub status: String,
    pub custom_role_id: Option<uuid::Uuid>,
    pub custom_role_name: Option<String>,
    pub custom_permissions: Option<String>,
    pub branch_limited: bool,
    /// Space-separated branch ids.
    pub branch_ids: Option<String>,
}

/// Which tenant a unit of work is for. Made by tenant resolution in the web layer,
/// or by sign-up for a tenant that is being created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCtx {
    pub tenant_id: TenantId,
    /// For a branch-limited member: the only branches whose rows they may see.
    pub branches: Option<Vec<uuid::Uuid>>,
}

impl TenantCtx {
    /// The whole tenant: for platform work (workers, sign-up) and members of every branch.
    pub fn new(tenant_id: TenantId) -> Self {
        Self {
            tenant_id,
            branches: None,
        }
    }

    /// What this actor may see: their tenant, limited to their branches if they are.
    pub fn of(actor: &Actor) -> Self {
        Self {
            tenant_id: actor.tenant_id,
            branches: actor.branches.limited().map(<[uuid::Uuid]>::to_vec),
        }
    }
}

/// The advisory lock key that serialises migrations (an arbitrary constant: "pitl").
const MIGRATION_LOCK: i64 = 0x7069_746c;

/// Changes of workshops' rows a slow follower may fall behind by before it is told to start over.
const TENANT_CHANGES_BACKLOG: usize = 1024;

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
}

/// The database behind the app: PostgreSQL (SaaS) or SQLite (embedded).
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Workshops whose own row (settings, brand, status, plan) a transaction changed, sent
    /// once it committed: what the caches of resolved workshops follow ([`Store::tenant_changes`]).
    tenant_changes: tokio::sync::broadcast::Sender<TenantId>,
}

impl Store {
    pub async fn connect(options: &StoreOptions) -> Result<Self, StoreError> {
        let mut connect = ConnectOptions::new(options.url.clone());
        connect
            .max_connections(options.max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            // A connection in use moments ago is handed out as it is; only one idle for a
            // while (which a restart, proxy or firewall may have cut) is pinged first. A ping
            // on every checkout was a round trip added to every request.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            // Embedded: write-ahead logging, so pages read while another connection writes
            // (with a rollback journal a writer shuts every reader out). `NORMAL` syncs at
            // checkpoints, which in WAL mode keeps the database consistent on a crash.
            .map_sqlx_sqlite_opts(|options| {
                options
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            })
            .sqlx_logging(false);
        let db = Database::connect(connect).await?;
        Ok(Self {
            db,
            tenant_changes: tokio::sync::broadcast::channel(TENANT_CHANGES_BACKLOG).0,
        })
    }

    /// The workshops whose own row a transaction of this process changed, each sent after its
    /// commit. Every change of that row goes through [`TenantTx`]'s writes, which note it. A
    /// receiver that falls behind is told so (`Lagged`) and should forget everything.
    pub fn tenant_changes(&self) -> tokio::sync::broadcast::Receiver<TenantId> {
        self.tenant_changes.subscribe()
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// Applies pending migrations on this connection. On PostgreSQL run it as the owner role;
    /// `grant_app_role` then gives the unprivileged application role what it needs.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        use pitlane_migrations::MigratorTrait;
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Takes the migration lock for this connection's session (PostgreSQL; nothing to do on
    /// SQLite): servers starting together migrate and grant one after the other. Concurrent
    /// GRANTs on the same objects fail with "tuple concurrently updated". Call it on a store of
    /// one connection; the lock goes with [`Store::unlock_migrations`] or the connection.
    pub async fn lock_migrations(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            self.db
                .execute_unprepared(&format!("select pg_advisory_lock({MIGRATION_LOCK})"))
                .await?;
        }
        Ok(())
    }

    pub async fn unlock_migrations(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            self.db
                .execute_unprepared(&format!("select pg_advisory_unlock({MIGRATION_LOCK})"))
                .await?;
        }
        Ok(())
    }

    /// Creates (if missing) the application role named by `app_url` and grants it data access,
    /// nothing more: it owns nothing and cannot bypass row-level security. The web role may
    /// not execute the workers' outbox functions; the worker role may.
    pub async fn grant_app_role(&self, app_url: &str, role_use: RoleUse) -> Result<(), StoreError> {
        postgres::grant_app_role(&self.db, app_url, role_use).await
    }

    /// The pool, for a statement of its own; a parked transaction nobody took is given back
    /// first ([`parked::discard`]).
    fn db(&self) -> &DatabaseConnection {
        parked::discard();
        &self.db
    }

    /// Refuses a PostgreSQL connection whose role could read around row-level security.
    pub async fn check_role_is_safe(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            postgres::check_role_is_safe(self.db()).await
        } else {
            Ok(())
        }
    }

    /// Checks that the schema is in place, so an unmigrated database is reported at start,
    /// not as failures on the first requests.
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        match entity::tenant::Entity::find().count(self.db()).await {
            Ok(_) => Ok(()),
            Err(err) => Err(StoreError::Config(format!(
                "the database has no Pitlane schema ({err}); run `pitlane-server migrate` with DATABASE_ADMIN_URL set to the owner role"
            ))),
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from)
    }

    /// Opens a transaction for one tenant. Every tenant-owned read and write goes through it.
    ///
    /// Its statements may run on plans PostgreSQL keeps per connection (`plan_cache_mode`
    /// `auto`): after five runs of a statement it may keep one generic plan instead of
    /// planning each run afresh, which on a page's short lookups costs as much as running
    /// them. A generic plan is made for no tenant and no values in particular; statements
    /// whose best plan depends on how large the tenant is (reports over a chain's history)
    /// run after [`TenantTx::plan_for_values`]. A page's session check has already opened the
    /// transaction this takes, when it is for the same tenant ([`parked`]).
    pub async fn tx(&self, ctx: &TenantCtx) -> Result<TenantTx, StoreError> {
        if !self.is_postgres() {
            return Ok(self.tenant_tx(self.begin().await?, ctx));
        }
        // The session check set this tenant in the parked transaction.
        if let Some(tx) = parked::take(ctx.tenant_id) {
            return Ok(self.tenant_tx(tx, ctx));
        }
        let tx = self.begin().await?;
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "select set_config('app.tenant_id', $1, true)",
            [ctx.tenant_id.to_string().into()],
        ))
        .await?;
        Ok(self.tenant_tx(tx, ctx))
    }

    /// Opens a transaction for one tenant that only reads (a page, a list). On PostgreSQL it
    /// is [`Store::tx`]; on SQLite it does not take the write lock at its start, so reads run
    /// side by side instead of one after another.
    pub async fn read_tx(&self, ctx: &TenantCtx) -> Result<TenantTx, StoreError> {
        if self.is_postgres() {
            return self.tx(ctx).await;
        }
        Ok(self.tenant_tx(self.db.begin().await?, ctx))
    }

    fn tenant_tx(&self, tx: sea_orm::DatabaseTransaction, ctx: &TenantCtx) -> TenantTx {
        TenantTx::new(
            tx,
            ctx.tenant_id,
            ctx.branches.clone(),
            self.tenant_changes.clone(),
        )
    }

    /// Opens a transaction over the person tables only (no tenant's rows are reachable).
    pub async fn people_tx(&self) -> Result<PeopleTx, StoreError> {
        Ok(PeopleTx::new(self.begin().await?))
    }

    /// Begins a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a transaction that reads and then writes would otherwise fail with "database is
    /// locked" when another connection wrote in between, instead of waiting its turn.
    pub(crate) async fn begin(&self) -> Result<sea_orm::DatabaseTransaction, StoreError> {
        parked::discard();
        if self.is_postgres() {
            return Ok(self.db.begin().await?);
        }
        Ok(self
            .db
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    // ---- The platform path: reads that must happen before a tenant is known. ----

    pub async fn tenant_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<entity::tenant::Model>, StoreError> {
        use entity::tenant::{Column, Entity};
        Ok(Entity::find()
            .filter(Column::Slug.eq(slug))
            .one(self.db())
            .await?)
    }

    /// The tenant whose SMS sender is this number (inbound SMS are addressed to it).
    pub async fn tenant_by_sms_number(
        &self,
        phone: &str,
    ) -> Result<Option<entity::tenant::Model>, StoreError> {
        use entity::tenant::{Column, Entity};
        Ok(Entity::find()
            .filter(Column::SmsSender.eq(phone))
            .one(self.db())
            .await?)
    }

    /// The workshops without a number of their own that texted `phone` from the shared
    /// number, most recent first: whom a reply to the shared number is for. On PostgreSQL the
    /// security-definer function (the outbox is the workers').
    pub async fn tenants_texting(&self, phone: &str) -> Result<Vec<uuid::Uuid>, StoreError> {
        let (backend, sql) = if self.is_postgres() {
            (
                DbBackend::Postgres,
                "select tenant_id from pitlane_tenants_texting($1)",
            )
        } else {
            (
                DbBackend::Sqlite,
                "select o.tenant_id as tenant_id from outbox o join tenants t on t.id = o.tenant_id
                  where o.channel = 'sms' and o.recipient = ? and o.sent_at is not null
                    and t.sms_sender is null
                  group by o.tenant_id order by max(o.sent_at) desc",
            )
        };
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, [phone.into()]))
            .await?;
        rows.into_iter()
            .map(|row| {
                row.try_get::<uuid::Uuid>("", "tenant_id")
                    .map_err(StoreError::from)
            })
            .collect()
    }

    pub async fn tenant_by_id(
        &self,
        id: TenantId,
    ) -> Result<Option<entity::tenant::Model>, StoreError> {
        Ok(entity::tenant::Entity::find_by_id(id.0)
            .one(self.db())
            .await?)
    }

    /// Resolves a custom domain, verified ones only. On PostgreSQL this is the audited
    /// security-definer function, because `tenant_domains` is invisible without tenant context.
    pub async fn tenant_by_host(
        &self,
        host: &str,
    ) -> Result<Option<entity::tenant::Model>, StoreError> {
        let tenant_id = if self.is_postgres() {
            self.tenant_id_by_definer("select pitlane_tenant_for_host($1) as tenant_id", host)
                .await?
        } else {
            use entity::tenant_domain::{Column, Entity};
            Entity::find()
                .filter(Column::Host.eq(host))
                .filter(Column::VerifiedAt.is_not_null())
                .one(self.db())
                .await?
                .map(|d| d.tenant_id)
        };
        self.tenant_by_found_id(tenant_id).await
    }

    /// A tenant id from one of the platform path's security definers, given one text.
    async fn tenant_id_by_definer(
        &self,
        sql: &'static str,
        value: &str,
    ) -> Result<Option<uuid::Uuid>, StoreError> {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [value.into()],
            ))
            .await?;
        Ok(match row {
            Some(row) => row.try_get("", "tenant_id")?,
            None => None,
        })
    }

    async fn tenant_by_found_id(
        &self,
        id: Option<uuid::Uuid>,
    ) -> Result<Option<entity::tenant::Model>, StoreError> {
        match id {
            Some(id) => self.tenant_by_id(TenantId(id)).await,
            None => Ok(None),
        }
    }

    /// The workshop of an API key, found by the hash of its whole secret (the API's one base
    /// URL: a key names its workshop). On PostgreSQL the security-definer function, because
    /// `api_keys` is invisible without tenant context; the key itself is checked afterwards,
    /// inside the workshop.
    pub async fn tenant_by_api_key(
        &self,
        secret_hash: &str,
    ) -> Result<Option<entity::tenant::Model>, StoreError> {
        let tenant_id = if self.is_postgres() {
            self.tenant_id_by_definer(
                "select pitlane_tenant_for_api_key($1) as tenant_id",
                secret_hash,
            )
            .await?
        } else {
            use entity::api_key::{Column, Entity};
            Entity::find()
                .filter(Column::SecretHash.eq(secret_hash))
                .one(self.db())
                .await?
                .map(|k| k.tenant_id)
        };
        self.tenant_by_found_id(tenant_id).await
    }

    /// What a signed-in request needs to know about its membership, in one round trip on
    /// PostgreSQL (`pitlane_session_member`, which reads under the tenant's row-level
    /// security); `None` when the membership is gone.
    pub async fn session_member(
        &self,
        tenant: TenantId,
        membership: uuid::Uuid,
    ) -> Result<Option<SessionMember>, StoreError> {
        if self.is_postgres() {
            // Within a page's transaction (`parked`) it sets that transaction up as `Store::tx`
            // does: the function sets the tenant.
            const CHECK: &str = "select user_id, role, status, custom_role_id, custom_role_name,
                            custom_permissions, branch_limited, branch_ids, sessions_valid_after,
                            two_factor, unread_notifications
                       from pitlane_session_member($1, $2)";
            if !parked::available() {
                return self.one_row(CHECK, tenant, membership).await;
            }
            let tx = self.begin().await?;
            let row = <SessionMember as sea_orm::FromQueryResult>::find_by_statement(
                Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    CHECK,
                    [tenant.0.into(), membership.into()],
                ),
            )
            .one(&tx)
            .await?;
            if row.is_some() {
                parked::park(tenant, tx);
            }
            return Ok(row);
        }
        let tx = self.tx(&TenantCtx::new(tenant)).await?;
        let Some(m) = tx
            .first(
                tx.select::<entity::membership::Entity>()
                    .filter(entity::membership::Column::Id.eq(membership)),
            )
            .await?
        else {
            return Ok(None);
        };
        let person = entity::user::Entity::find_by_id(m.user_id)
            .one(tx.conn())
            .await?;
        let custom = match m.custom_role_id {
            Some(id) => {
                tx.first(
                    tx.select::<entity::role::Entity>()
                        .filter(entity::role::Column::Id.eq(id)),
                )
                .await?
            }
            None => None,
        };
        let branches = tx
            .all(
                tx.select::<entity::membership_branch::Entity>()
                    .filter(entity::membership_branch::Column::MembershipId.eq(m.id)),
            )
            .await?;
        let unread = tx
            .count(
                tx.select::<entity::notification::Entity>()
                    .filter(entity::notification::Column::UserId.eq(m.user_id))
                    .filter(entity::notification::Column::ReadAt.is_null()),
            )
            .await?;
        tx.commit().await?;
        let Some(person) = person else {
            return Ok(None);
        };
        Ok(Some(SessionMember {
            user_id: m.user_id,
            role: m.role,
            status: m.status,
            custom_role_id: m.custom_role_id,
            custom_role_name: custom.as_ref().map(|r| r.name.clone()),
            custom_permissions: custom.map(|r| r.permissions),
            branch_limited: m.branch_limited,
            branch_ids: Some(
                branches
                    .iter()
                    .map(|b| b.branch_id.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            sessions_valid_after: person.sessions_valid_after,
            two_factor: person.totp_enabled_at.is_some(),
            unread_notifications: unread as i64,
        }))
    }

    /// The one row of a checking function called with a tenant and an id
    /// (`pitlane_session_member`, `pitlane_api_key_member`): one round trip, the function
    /// setting the tenant for its own reads.
    async fn one_row<M: sea_orm::FromQueryResult>(
        &self,
        sql: &str,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<M>, StoreError> {
        let statement =
            Statement::from_sql_and_values(DbBackend::Postgres, sql, [tenant.0.into(), id.into()]);
        Ok(M::find_by_statement(statement).one(self.db()).await?)
    }

    /// An API key of the tenant and its maker's membership, in one round trip on PostgreSQL
    /// (`pitlane_api_key_member`, under the tenant's row-level security); `None` when the
    /// key (or its maker's membership) is gone.
    pub async fn api_key_member(
        &self,
        tenant: TenantId,
        key: uuid::Uuid,
    ) -> Result<Option<ApiKeyMember>, StoreError> {
        if self.is_postgres() {
            return self
                .one_row(
                    "select secret_hash, key_permissions, expires_at, last_used_at, revoked_at,
                            created_by, user_id, role, status, custom_role_id, custom_role_name,
                            custom_permissions, branch_limited, branch_ids
                       from pitlane_api_key_member($1, $2)",
                    tenant,
                    key,
                )
                .await;
        }
        let tx = self.tx(&TenantCtx::new(tenant)).await?;
        let Some(k) = tx
            .first(
                tx.select::<entity::api_key::Entity>()
                    .filter(entity::api_key::Column::Id.eq(key)),
            )
            .await?
        else {
            return Ok(None);
        };
        tx.commit().await?;
        let Some(m) = self.session_member(tenant, k.created_by).await? else {
            return Ok(None);
        };
        Ok(Some(ApiKeyMember {
            secret_hash: k.secret_hash,
            key_permissions: k.permissions,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            created_by: k.created_by,
            user_id: m.user_id,
            role: m.role,
            status: m.status,
            custom_role_id: m.custom_role_id,
            custom_role_name: m.custom_role_name,
            custom_permissions: m.custom_permissions,
            branch_limited: m.branch_limited,
            branch_ids: m.branch_ids,
        }))
    }

    /// Tenants for the platform operator, newest first, optionally matching `search` in the
    /// slug or name. Tenants are public rows (resolution reads them); nothing else is read.
    pub async fn tenants_matching(
        &self,
        search: Option<&str>,
        limit: u64,
    ) -> Result<Vec<entity::tenant::Model>, StoreError> {
        use entity::tenant::{Column, Entity};
        use sea_orm::{Condition, QueryOrder, QuerySelect};
        let mut query = Entity::find().order_by_desc(Column::CreatedAt).limit(limit);
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let search = search.to_lowercase();
            query = query.filter(
                Condition::any()
                    .add(Column::Slug.contains(&search))
                    .add(Column::Name.contains(&search)),
            );
        }
        Ok(query.all(self.db()).await?)
    }

    /// Whether a person is (or was) staff in any workshop. On PostgreSQL this is the
    /// security-definer function: memberships are invisible without tenant context.
    pub async fn has_staff_login(&self, user: uuid::Uuid) -> Result<bool, StoreError> {
        if self.is_postgres() {
            let row = self
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select pitlane_has_staff_login($1) as staff",
                    [user.into()],
                ))
                .await?;
            return Ok(match row {
                Some(row) => row.try_get::<bool>("", "staff")?,
                None => false,
            });
        }
        use entity::membership::{Column, Entity};
        Ok(Entity::find()
            .filter(Column::UserId.eq(user))
            .filter(Column::Role.ne("customer"))
            .one(self.db())
            .await?
            .is_some())
    }

    /// The tenants where a person has an active membership (the platform's workshop picker).
    /// On PostgreSQL this is the security-definer function: memberships are invisible
    /// without tenant context.
    pub async fn workshops_of(&self, user: uuid::Uuid) -> Result<Vec<uuid::Uuid>, StoreError> {
        if self.is_postgres() {
            let rows = self
                .db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select pitlane_workshops_of($1) as tenant_id",
                    [user.into()],
                ))
                .await?;
            return rows
                .into_iter()
                .map(|row| {
                    row.try_get::<uuid::Uuid>("", "tenant_id")
                        .map_err(StoreError::from)
                })
                .collect();
        }
        use entity::membership::{Column, Entity};
        Ok(Entity::find()
            .filter(Column::UserId.eq(user))
            .filter(Column::Status.eq("active"))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| m.tenant_id)
            .collect())
    }

    pub async fn tenant_count(&self) -> Result<u64, StoreError> {
        Ok(entity::tenant::Entity::find().count(self.db()).await?)
    }
}
