//! The platform's inbox of Stripe webhook events: written once per event id by the webhook
//! endpoint (the tenant is not known yet; it is found from the event's account later), then
//! claimed with a lease by whichever instance works it, and finished with its outcome.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use crate::{
    Store, StoreError,
    entity::{stripe_event, tenant},
};

/// After this many tries an event is set aside (it stays in the table, with its error).
pub const MAX_ATTEMPTS: i32 = 12;

/// An event as the endpoint verified it.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    pub id: String,
    pub kind: String,
    pub account: Option<String>,
    pub livemode: bool,
    pub payload: String,
}

impl Store {
    /// Stores an event unless its id is already stored; says whether it was new.
    pub async fn record_stripe_event(&self, event: ReceivedEvent) -> Result<bool, StoreError> {
        let now = Utc::now();
        let inserted = stripe_event::Entity::insert(stripe_event::ActiveModel {
            id: Set(event.id),
            kind: Set(event.kind),
            account: Set(event.account),
            livemode: Set(event.livemode),
            payload: Set(event.payload),
            received_at: Set(now),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            processed_at: Set(None),
            outcome: Set(None),
        })
        .on_conflict(
            OnConflict::column(stripe_event::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.db())
        .await?;
        Ok(inserted > 0)
    }

    /// Claims up to `limit` due events for `lease`, oldest first. An event another worker
    /// holds (its lease not yet over) is skipped; a crashed worker's lease simply runs out.
    pub async fn claim_stripe_events(
        &self,
        limit: u64,
        lease: std::time::Duration,
    ) -> Result<Vec<stripe_event::Model>, StoreError> {
        let now = Utc::now();
        let due = stripe_event::Entity::find()
            .filter(stripe_event::Column::ProcessedAt.is_null())
            .filter(stripe_event::Column::NextAttemptAt.lte(now))
            .filter(
                stripe_event::Column::LockedUntil
                    .is_null()
                    .or(stripe_event::Column::LockedUntil.lt(now)),
            )
            .order_by_asc(stripe_event::Column::ReceivedAt)
            .limit(limit)
            .all(self.db())
            .await?;
        let until = now + Duration::from_std(lease).unwrap_or(Duration::seconds(60));
        let mut claimed = Vec::new();
        for event in due {
            let taken = stripe_event::Entity::update_many()
                .col_expr(stripe_event::Column::LockedUntil, Expr::value(until))
                .col_expr(
                    stripe_event::Column::Attempts,
                    Expr::col(stripe_event::Column::Attempts).add(1),
                )
                .filter(stripe_event::Column::Id.eq(event.id.clone()))
                .filter(stripe_event::Column::ProcessedAt.is_null())
                .filter(
                    stripe_event::Column::LockedUntil
                        .is_null()
                        .or(stripe_event::Column::LockedUntil.lt(now)),
                )
                .exec(self.db())
                .await?;
            if taken.rows_affected == 1 {
                claimed.push(stripe_event::Model {
                    attempts: event.attempts + 1,
                    locked_until: Some(until),
                    ..event
                });
            }
        }
        Ok(claimed)
    }

    /// Records how working an event ended: done, or to be tried again at `retry_at`.
    pub async fn finish_stripe_event(
        &self,
        id: &str,
        outcome: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut update = stripe_event::Entity::update_many()
            .col_expr(
                stripe_event::Column::LockedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(stripe_event::Column::Outcome, Expr::value(outcome));
        update = match retry_at {
            Some(at) => update.col_expr(stripe_event::Column::NextAttemptAt, Expr::value(at)),
            None => update.col_expr(stripe_event::Column::ProcessedAt, Expr::value(Utc::now())),
        };
        update
            .filter(stripe_event::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// One stored event, for tests and the operator.
    pub async fn stripe_event(&self, id: &str) -> Result<Option<stripe_event::Model>, StoreError> {
        Ok(stripe_event::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?)
    }

    /// The workshop whose connected Stripe account this is (Connect events name it).
    pub async fn tenant_by_stripe_account(
        &self,
        account: &str,
    ) -> Result<Option<tenant::Model>, StoreError> {
        Ok(tenant::Entity::find()
            .filter(tenant::Column::StripeAccountId.eq(account))
            .one(self.db())
            .await?)
    }

    /// The workshop the platform bills as this Stripe customer (plan events name it).
    pub async fn tenant_by_stripe_customer(
        &self,
        customer: &str,
    ) -> Result<Option<tenant::Model>, StoreError> {
        Ok(tenant::Entity::find()
            .filter(tenant::Column::StripeCustomerId.eq(customer))
            .one(self.db())
            .await?)
    }
}
