//! The outbox: the tenant path writes messages inside its own transaction; the platform path
//! (relay and shared workers, serving every tenant) claims, takes and finishes them.
//!
//! On PostgreSQL the platform path is the `pitlane_outbox_*` security-definer functions of the
//! outbox migration, so the application role still cannot read another tenant's outbox with
//! a plain query. SQLite (embedded, one process) runs the same steps as plain statements.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TryInsertResult, Value,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    Store, StoreError, TenantTx,
    entity::outbox::{self, Column, Entity},
};

/// A message to write, as the notification layer has prepared it.
#[derive(Debug, Clone)]
pub struct NewOutboxRow {
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub data: serde_json::Value,
    pub idempotency_key: String,
    /// Bulk (marketing) messages are paced per tenant; see `enqueue`.
    pub bulk: bool,
    pub not_before: DateTime<Utc>,
}

/// What `enqueue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    New(Uuid),
    /// A message with the same idempotency key was written before; nothing new was written.
    Existing(Uuid),
}

impl Enqueued {
    pub fn id(self) -> Uuid {
        match self {
            Enqueued::New(id) | Enqueued::Existing(id) => id,
        }
    }
}

/// How a send ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        provider_ref: Option<String>,
    },
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    Dead {
        error: String,
    },
    /// Not sent, on purpose: the recipient opted out or gave no consent.
    Suppressed {
        reason: String,
    },
}

/// One line of the operator's queue view.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct OutboxStat {
    pub tenant_id: Uuid,
    pub status: String,
    pub due: bool,
    pub messages: i64,
    pub oldest: Option<DateTime<Utc>>,
}

impl TenantTx {
    /// Writes a message in this transaction: it is sent only if the transaction commits.
    ///
    /// Bulk messages are paced: each goes `bulk_interval` after the tenant's last pending bulk
    /// message, so a campaign drains at the tenant's budget while other tenants' messages,
    /// due now, are claimed before it.
    pub async fn enqueue(
        &self,
        mut row: NewOutboxRow,
        bulk_interval: Duration,
    ) -> Result<Enqueued, StoreError> {
        let tx = self.conn();
        let tenant = self.tenant_id().0;
        if row.bulk {
            let last: Option<Option<DateTime<Utc>>> = Entity::find()
                .select_only()
                .column_as(Column::NotBefore.max(), "last")
                .filter(Column::TenantId.eq(tenant))
                .filter(Column::Status.eq("pending"))
                .filter(Column::Bulk.eq(true))
                .into_tuple()
                .one(tx)
                .await?;
            if let Some(Some(last)) = last {
                let paced = last + chrono::Duration::from_std(bulk_interval).unwrap_or_default();
                row.not_before = Ord::max(row.not_before, paced);
            }
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        let model = outbox::ActiveModel {
            tenant_id: sea_orm::Set(tenant),
            id: sea_orm::Set(id),
            kind: sea_orm::Set(row.kind),
            channel: sea_orm::Set(row.channel),
            recipient: sea_orm::Set(row.recipient),
            data: sea_orm::Set(row.data),
            idempotency_key: sea_orm::Set(row.idempotency_key.clone()),
            delivery_status: sea_orm::Set(None),
            bulk: sea_orm::Set(row.bulk),
            status: sea_orm::Set("pending".into()),
            attempts: sea_orm::Set(0),
            not_before: sea_orm::Set(row.not_before),
            locked_by: sea_orm::Set(None),
            locked_at: sea_orm::Set(None),
            last_error: sea_orm::Set(None),
            provider_ref: sea_orm::Set(None),
            sent_at: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
        };
        let inserted = Entity::insert(model)
            .on_conflict_do_nothing_on([Column::TenantId, Column::IdempotencyKey])
            .exec_without_returning(tx)
            .await?;
        match inserted {
            TryInsertResult::Inserted(n) if n > 0 => Ok(Enqueued::New(id)),
            _ => {
                let existing: Option<Uuid> = Entity::find()
                    .select_only()
                    .column(Column::Id)
                    .filter(Column::TenantId.eq(tenant))
                    .filter(Column::IdempotencyKey.eq(row.idempotency_key))
                    .into_tuple()
                    .one(tx)
                    .await?;
                existing.map(Enqueued::Existing).ok_or(StoreError::NotFound)
            }
        }
    }

    /// Withdraws the messages not yet sent whose idempotency keys start with `key_prefix`
    /// (an appointment's reminders when it moves or is cancelled). Returns how many.
    pub async fn cancel_pending(&self, key_prefix: &str) -> Result<u64, StoreError> {
        let update = Entity::update_many()
            .col_expr(Column::Status, Expr::value("cancelled"))
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::Status.eq("pending"))
            .filter(
                Expr::col(Column::IdempotencyKey).like(
                    sea_orm::sea_query::LikeExpr::new(format!(
                        "{}%",
                        crate::like_escape(key_prefix)
                    ))
                    .escape('\\'),
                ),
            );
        self.update_all(update).await
    }

    /// Puts a dead (or suppressed) message back in line to be sent now, with fresh attempts.
    pub async fn retry_message(&self, id: Uuid) -> Result<(), StoreError> {
        let result = Entity::update_many()
            .col_expr(Column::Status, Expr::value("pending"))
            .col_expr(Column::Attempts, Expr::value(0))
            .col_expr(Column::NotBefore, Expr::value(Utc::now()))
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::TenantId.eq(self.tenant_id().0))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq("dead"))
            .exec(self.conn())
            .await?;
        if result.rows_affected == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}

/// Messages the relay has marked queued. Commit the batch, then put them on the queue (a
/// worker must find a message queued when it reads the entry); if the queue refuses them,
/// `Store::outbox_release` gives them back. Dropping an uncommitted batch puts them back too.
pub struct ClaimedBatch {
    tx: DatabaseTransaction,
    pub messages: Vec<(Uuid, Uuid)>,
}

impl ClaimedBatch {
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

impl Store {
    /// Claims up to `limit` due messages for the relay named `relay` (see
    /// `pitlane_outbox_claim`).
    pub async fn outbox_claim(
        &self,
        limit: u32,
        per_tenant: u32,
        max_in_flight: u32,
        relay: &str,
    ) -> Result<ClaimedBatch, StoreError> {
        let tx = self.begin().await?;
        let messages = if self.is_postgres() {
            let rows = tx
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select tenant_id, id from pitlane_outbox_claim($1, $2, $3, $4)",
                    [
                        (limit as i32).into(),
                        (per_tenant as i32).into(),
                        (max_in_flight as i32).into(),
                        relay.into(),
                    ],
                ))
                .await?;
            rows.iter()
                .map(|row| Ok((row.try_get("", "tenant_id")?, row.try_get("", "id")?)))
                .collect::<Result<Vec<_>, sea_orm::DbErr>>()?
        } else {
            sqlite_claim(&tx, limit, per_tenant, max_in_flight).await?
        };
        Ok(ClaimedBatch { tx, messages })
    }

    /// The relays that have messages queued now (PostgreSQL; embedded, the relay is this
    /// process, which cannot outlive itself).
    pub async fn outbox_relays(&self) -> Result<Vec<String>, StoreError> {
        if !self.is_postgres() {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "select pitlane_outbox_relays() as relay",
            ))
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String>("", "relay").map_err(StoreError::from))
            .collect()
    }

    /// Puts the queued messages of relays that died back to pending; returns how many.
    pub async fn outbox_requeue_relayed_by(&self, relays: &[String]) -> Result<u32, StoreError> {
        if relays.is_empty() || !self.is_postgres() {
            return Ok(0);
        }
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "select pitlane_outbox_requeue_relayed_by($1) as n",
                [relays.to_vec().into()],
            ))
            .await?;
        Ok(match row {
            Some(row) => u32::try_from(row.try_get::<i32>("", "n")?).unwrap_or(0),
            None => 0,
        })
    }

    /// Puts claimed messages back to pending: the queue did not take them.
    pub async fn outbox_release(&self, keys: &[(Uuid, Uuid)]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        if self.is_postgres() {
            let tenants: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
            let ids: Vec<Uuid> = keys.iter().map(|k| k.1).collect();
            self.db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select pitlane_outbox_release($1, $2)",
                    [Value::from(tenants), Value::from(ids)],
                ))
                .await?;
            return Ok(());
        }
        Entity::update_many()
            .col_expr(Column::Status, Expr::value("pending"))
            .col_expr(Column::LockedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::Id.is_in(keys.iter().map(|k| k.1)))
            .filter(Column::Status.eq("queued"))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Takes messages read from the queue for sending. Returns only those this consumer may
    /// send now: not the ones already sent or held by a live worker.
    pub async fn outbox_take(
        &self,
        keys: &[(Uuid, Uuid)],
        consumer: &str,
        lease: Duration,
    ) -> Result<Vec<outbox::Model>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if self.is_postgres() {
            let tenants: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
            let ids: Vec<Uuid> = keys.iter().map(|k| k.1).collect();
            return Ok(Entity::find()
                .from_raw_sql(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select * from pitlane_outbox_take($1, $2, $3, $4)",
                    [
                        Value::from(tenants),
                        Value::from(ids),
                        consumer.into(),
                        secs(lease).into(),
                    ],
                ))
                .all(self.db())
                .await?);
        }
        let tx = self.begin().await?;
        let now = Utc::now();
        let stale = now - chrono::Duration::from_std(lease).unwrap_or_default();
        let ids: Vec<Uuid> = keys.iter().map(|k| k.1).collect();
        let takeable = Column::Status
            .eq("queued")
            .or(Column::Status.eq("sending").and(Column::LockedAt.lt(stale)));
        let taken: Vec<Uuid> = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::Id.is_in(ids))
            .filter(takeable)
            .into_tuple()
            .all(&tx)
            .await?;
        Entity::update_many()
            .col_expr(Column::Status, Expr::value("sending"))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(Column::LockedBy, Expr::value(consumer))
            .col_expr(Column::LockedAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.is_in(taken.clone()))
            .exec(&tx)
            .await?;
        let rows = Entity::find()
            .filter(Column::Id.is_in(taken))
            .all(&tx)
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Records how several sends ended, in one statement (the workers' group commit). Returns
    /// the messages recorded: those this consumer still held.
    pub async fn outbox_finish_many(
        &self,
        consumer: &str,
        outcomes: &[((Uuid, Uuid), Outcome)],
    ) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let parts: Vec<_> = outcomes
            .iter()
            .map(|(key, outcome)| {
                let (status, error, provider_ref, not_before) = match outcome {
                    Outcome::Sent { provider_ref } => ("sent", None, provider_ref.clone(), None),
                    Outcome::Retry { error, at } => {
                        ("pending", Some(error.clone()), None, Some(*at))
                    }
                    Outcome::Dead { error } => ("dead", Some(error.clone()), None, None),
                    Outcome::Suppressed { reason } => {
                        ("suppressed", Some(reason.clone()), None, None)
                    }
                };
                (*key, status, error, provider_ref, not_before)
            })
            .collect();
        if self.is_postgres() {
            let rows = self
                .db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select tenant_id, id from pitlane_outbox_finish_many($1, $2, $3, $4, $5, $6, $7)",
                    [
                        Value::from(parts.iter().map(|p| p.0.0).collect::<Vec<Uuid>>()),
                        Value::from(parts.iter().map(|p| p.0.1).collect::<Vec<Uuid>>()),
                        consumer.into(),
                        Value::from(parts.iter().map(|p| p.1.to_owned()).collect::<Vec<String>>()),
                        // Arrays cannot carry NULLs through the driver: '' and the epoch stand
                        // for "none" and the function reads them so.
                        Value::from(
                            parts
                                .iter()
                                .map(|p| p.2.clone().unwrap_or_default())
                                .collect::<Vec<String>>(),
                        ),
                        Value::from(
                            parts
                                .iter()
                                .map(|p| p.3.clone().unwrap_or_default())
                                .collect::<Vec<String>>(),
                        ),
                        Value::from(
                            parts
                                .iter()
                                .map(|p| p.4.unwrap_or(DateTime::<Utc>::UNIX_EPOCH))
                                .collect::<Vec<DateTime<Utc>>>(),
                        ),
                    ],
                ))
                .await?;
            return rows
                .iter()
                .map(|row| Ok((row.try_get("", "tenant_id")?, row.try_get("", "id")?)))
                .collect();
        }
        let tx = self.begin().await?;
        let now = Utc::now();
        let mut recorded = Vec::with_capacity(parts.len());
        for (key, status, error, provider_ref, not_before) in parts {
            let mut update = Entity::update_many()
                .col_expr(Column::Status, Expr::value(status))
                .col_expr(Column::LastError, Expr::value(error))
                .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
                .col_expr(Column::LockedAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(Column::UpdatedAt, Expr::value(now));
            if let Some(provider_ref) = provider_ref {
                update = update.col_expr(Column::ProviderRef, Expr::value(provider_ref));
            }
            if status == "sent" {
                update = update.col_expr(Column::SentAt, Expr::value(now));
            }
            if let Some(at) = not_before {
                update = update.col_expr(Column::NotBefore, Expr::value(at));
            }
            let result = update
                .filter(Column::TenantId.eq(key.0))
                .filter(Column::Id.eq(key.1))
                .filter(Column::Status.eq("sending"))
                .filter(Column::LockedBy.eq(consumer))
                .exec(&tx)
                .await?;
            if result.rows_affected > 0 {
                recorded.push(key);
            }
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// Deletes up to `limit` finished messages (sent, suppressed, cancelled) last changed more
    /// than `older_than` ago; dead letters stay until someone deals with them.
    pub async fn outbox_purge(&self, older_than: Duration, limit: u32) -> Result<u32, StoreError> {
        if self.is_postgres() {
            let row = self
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select pitlane_outbox_purge($1, $2) as n",
                    [secs(older_than).into(), (limit as i32).into()],
                ))
                .await?;
            let n: i32 = match row {
                Some(row) => row.try_get("", "n")?,
                None => 0,
            };
            return Ok(u32::try_from(n).unwrap_or(0));
        }
        let cutoff = Utc::now() - chrono::Duration::from_std(older_than).unwrap_or_default();
        let old: Vec<(Uuid, Uuid)> = Entity::find()
            .select_only()
            .column(Column::TenantId)
            .column(Column::Id)
            .filter(Column::Status.is_in(["sent", "suppressed", "cancelled"]))
            .filter(Column::UpdatedAt.lt(cutoff))
            .limit(limit as u64)
            .into_tuple()
            .all(self.db())
            .await?;
        let ids: Vec<Uuid> = old.iter().map(|k| k.1).collect();
        let result = Entity::delete_many()
            .filter(Column::Id.is_in(ids))
            .exec(self.db())
            .await?;
        Ok(result.rows_affected as u32)
    }

    /// Puts back in line messages queued longer than `queued` (their queue entry was lost) or
    /// being sent longer than `sending` (their worker died). Returns how many.
    pub async fn outbox_requeue_stale(
        &self,
        queued: Duration,
        sending: Duration,
    ) -> Result<u32, StoreError> {
        if self.is_postgres() {
            let row = self
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select pitlane_outbox_requeue_stale($1, $2) as n",
                    [secs(queued).into(), secs(sending).into()],
                ))
                .await?;
            let n: i32 = match row {
                Some(row) => row.try_get("", "n")?,
                None => 0,
            };
            return Ok(u32::try_from(n).unwrap_or(0));
        }
        let now = Utc::now();
        let before = |d: Duration| now - chrono::Duration::from_std(d).unwrap_or_default();
        let result = Entity::update_many()
            .col_expr(Column::Status, Expr::value("pending"))
            .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(Column::LockedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(
                Column::Status
                    .eq("queued")
                    .and(Column::LockedAt.lt(before(queued)))
                    .or(Column::Status
                        .eq("sending")
                        .and(Column::LockedAt.lt(before(sending)))),
            )
            .exec(self.db())
            .await?;
        Ok(result.rows_affected as u32)
    }

    /// Per tenant and state: how many messages, and since when (sent: the last five minutes).
    pub async fn outbox_stats(&self) -> Result<Vec<OutboxStat>, StoreError> {
        let statement = if self.is_postgres() {
            Statement::from_string(
                DbBackend::Postgres,
                "select tenant_id, status, due, messages, oldest from pitlane_outbox_stats()",
            )
        } else {
            let now = Utc::now();
            let recent = now - chrono::Duration::minutes(5);
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "select tenant_id, status, (status = 'pending' and not_before <= ?) as due,
                        count(*) as messages, min(updated_at) as oldest
                   from outbox where status <> 'sent' group by 1, 2, 3
                 union all
                 select tenant_id, 'sent', false, count(*), min(sent_at)
                   from outbox where status = 'sent' and sent_at > ? group by 1",
                [now.into(), recent.into()],
            )
        };
        Ok(OutboxStat::find_by_statement(statement)
            .all(self.db())
            .await?)
    }

    /// Dead letters of every tenant, newest first (the operator's view).
    pub async fn outbox_dead(&self, limit: u32) -> Result<Vec<outbox::Model>, StoreError> {
        if self.is_postgres() {
            return Ok(Entity::find()
                .from_raw_sql(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "select * from pitlane_outbox_dead($1)",
                    [(limit as i32).into()],
                ))
                .all(self.db())
                .await?);
        }
        Ok(Entity::find()
            .filter(Column::Status.eq("dead"))
            .order_by_desc(Column::UpdatedAt)
            .limit(limit as u64)
            .all(self.db())
            .await?)
    }
}

/// The claim of `pitlane_outbox_claim`, for SQLite (one process, so no row locks needed).
async fn sqlite_claim(
    tx: &DatabaseTransaction,
    limit: u32,
    per_tenant: u32,
    max_in_flight: u32,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let in_flight = Entity::find()
        .filter(Column::Status.is_in(["queued", "sending"]))
        .count(tx)
        .await?;
    let room = Ord::min(
        (max_in_flight as u64).saturating_sub(in_flight),
        limit as u64,
    ) as usize;
    if room == 0 {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let due: Vec<(Uuid, Uuid)> = Entity::find()
        .select_only()
        .columns([Column::TenantId, Column::Id])
        .filter(Column::Status.eq("pending"))
        .filter(Column::NotBefore.lte(now))
        .order_by_asc(Column::NotBefore)
        .order_by_asc(Column::Id)
        .limit(limit as u64 * 10)
        .into_tuple()
        .all(tx)
        .await?;
    let mut turns: HashMap<Uuid, u32> = HashMap::new();
    let mut ranked: Vec<(u32, (Uuid, Uuid))> = due
        .into_iter()
        .map(|key| {
            let turn = turns.entry(key.0).or_default();
            *turn += 1;
            (*turn, key)
        })
        .filter(|(turn, _)| *turn <= per_tenant)
        .collect();
    ranked.sort_by_key(|(turn, key)| (*turn, key.1));
    let chosen: Vec<(Uuid, Uuid)> = ranked.into_iter().take(room).map(|(_, k)| k).collect();
    if chosen.is_empty() {
        return Ok(chosen);
    }
    Entity::update_many()
        .col_expr(Column::Status, Expr::value("queued"))
        .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(Column::LockedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.is_in(chosen.iter().map(|k| k.1)))
        .exec(tx)
        .await?;
    Ok(chosen)
}
