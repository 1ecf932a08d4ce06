//! Requests follow their customer: a merged customer's requests become the kept record's; an
//! erased customer's open requests are cancelled (their mechanic is told), and what
//! identifies the driver (notes, addresses, plates, positions, the trail) is wiped from all of
//! them, keeping the times and outcomes the reports count. The privacy export holds their
//! requests with every stored position.

use chrono::{Duration, Utc};
use pitlane_bus::Bus;
use pitlane_domain::{
    ServiceError,
    ids::{CustomerId, TenantId},
    roadside::GeoPoint,
};
use pitlane_frontdesk::hooks::CustomerHook;
use pitlane_notify::Live;
use pitlane_store::{
    Store, TenantCtx, TenantTx,
    entity::{customer, roadside_event, roadside_request, roadside_trail},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{progress, request};

/// Who cancels an erased customer's requests, as the request records it.
const ERASURE: &str = "erasure";

/// The hook the front desk calls. It is built before the front desk (which holds it), so it
/// keeps its own handles rather than the roadside services'.
pub struct RequestsFollowTheirCustomer {
    pub store: Store,
    pub live: Live,
    pub bus: Bus,
    /// Where the chats' photos are, to delete an erased customer's.
    pub photos: std::sync::Arc<dyn pitlane_workshop::storage::PhotoStorage>,
}

async fn requests_of(
    tx: &TenantTx,
    customer: CustomerId,
) -> Result<Vec<roadside_request::Model>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::CustomerId.eq(customer.0))
                .order_by_asc(roadside_request::Column::Id),
        )
        .await?)
}

#[async_trait::async_trait]
impl CustomerHook for RequestsFollowTheirCustomer {
    async fn renamed(
        &self,
        _tx: &TenantTx,
        _customer: CustomerId,
        _name: &str,
    ) -> Result<(), ServiceError> {
        // Requests show the customer's current name; they keep no copy.
        Ok(())
    }

    async fn merged(
        &self,
        tx: &TenantTx,
        keep: CustomerId,
        duplicate: CustomerId,
    ) -> Result<(), ServiceError> {
        tx.update_all(
            roadside_request::Entity::update_many()
                .col_expr(roadside_request::Column::CustomerId, Expr::value(keep.0))
                .filter(roadside_request::Column::CustomerId.eq(duplicate.0)),
        )
        .await?;
        Ok(())
    }

    async fn erased(
        &self,
        tx: &TenantTx,
        customer_id: CustomerId,
        erased_name: &str,
    ) -> Result<(), ServiceError> {
        let rows = requests_of(tx, customer_id).await?;
        let name = tx
            .get::<customer::Entity>(customer_id.0)
            .await
            .ok()
            .map(|c| c.name);
        for row in rows.iter().filter(|r| request::status_of(r).is_open()) {
            // The notifications are written here; their live push waits for the commit
            // (`erased_committed`) like the request's own announcements.
            progress::cancel_in(
                tx,
                row.clone(),
                "the customer's records were erased",
                ERASURE,
                None,
            )
            .await?;
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        if ids.is_empty() {
            return Ok(());
        }
        // The chats' photos go with the conversation (deleted after the hooks).
        let photos = tx
            .all(
                tx.select::<pitlane_store::entity::conversation_message::Entity>()
                    .filter(
                        pitlane_store::entity::conversation_message::Column::RoadsideRequestId
                            .is_in(ids.clone()),
                    )
                    .filter(
                        pitlane_store::entity::conversation_message::Column::PhotoKey.is_not_null(),
                    ),
            )
            .await?;
        for key in photos.into_iter().filter_map(|m| m.photo_key) {
            self.photos
                .delete(&key)
                .await
                .map_err(ServiceError::internal)?;
        }
        let none_i64 = || Expr::value(Option::<i64>::None);
        let none_text = || Expr::value(Option::<String>::None);
        tx.update_all(
            roadside_request::Entity::update_many()
                .col_expr(roadside_request::Column::Note, none_text())
                .col_expr(roadside_request::Column::Address, none_text())
                .col_expr(roadside_request::Column::Plate, none_text())
                .col_expr(roadside_request::Column::OutcomeNote, none_text())
                .col_expr(roadside_request::Column::LatMicro, none_i64())
                .col_expr(roadside_request::Column::LonMicro, none_i64())
                .col_expr(roadside_request::Column::ArrivalLatMicro, none_i64())
                .col_expr(roadside_request::Column::ArrivalLonMicro, none_i64())
                .col_expr(
                    roadside_request::Column::VehicleId,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(roadside_request::Column::Id.is_in(ids.clone())),
        )
        .await?;
        tx.update_all(
            roadside_event::Entity::update_many()
                .col_expr(roadside_event::Column::LatMicro, none_i64())
                .col_expr(roadside_event::Column::LonMicro, none_i64())
                .filter(roadside_event::Column::RequestId.is_in(ids.clone())),
        )
        .await?;
        if let Some(name) = name {
            tx.update_all(
                roadside_event::Entity::update_many()
                    .col_expr(roadside_event::Column::ActorName, Expr::value(erased_name))
                    .filter(roadside_event::Column::RequestId.is_in(ids.clone()))
                    .filter(roadside_event::Column::ActorName.eq(name)),
            )
            .await?;
        }
        tx.delete_all(
            roadside_trail::Entity::delete_many()
                .filter(roadside_trail::Column::RequestId.is_in(ids)),
        )
        .await?;
        Ok(())
    }

    async fn erased_committed(&self, tenant: TenantId, customer_id: CustomerId) {
        let announced = async {
            let tx = self.store.tx(&TenantCtx::new(tenant)).await?;
            let cancelled = tx
                .all(
                    tx.select::<roadside_request::Entity>()
                        .filter(roadside_request::Column::CustomerId.eq(customer_id.0))
                        .filter(roadside_request::Column::CancelledBy.eq(ERASURE))
                        .filter(
                            roadside_request::Column::FinishedAt
                                .gt(Utc::now() - Duration::minutes(5)),
                        ),
                )
                .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(cancelled)
        }
        .await;
        let cancelled = match announced {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(error = %err, "roadside: announcing an erased customer's requests");
                return;
            }
        };
        for row in cancelled {
            if let Some(member) = row.mechanic_id {
                crate::tracking::forget(&self.bus, row.tenant_id, member).await;
            }
            request::announce_on(&self.live, &row, "roadside.cancelled").await;
            request::announce_on(&self.live, &row, request::CLOSED).await;
        }
    }

    async fn exported(
        &self,
        tx: &TenantTx,
        customer_id: CustomerId,
    ) -> Result<Option<(&'static str, Value)>, ServiceError> {
        let rows = requests_of(tx, customer_id).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let events = tx
            .all(
                tx.select::<roadside_event::Entity>()
                    .filter(roadside_event::Column::RequestId.is_in(ids.clone()))
                    .order_by_asc(roadside_event::Column::Id),
            )
            .await?;
        let trail = tx
            .all(
                tx.select::<roadside_trail::Entity>()
                    .filter(roadside_trail::Column::RequestId.is_in(ids))
                    .order_by_asc(roadside_trail::Column::Id),
            )
            .await?;
        let point = |lat: Option<i64>, lon: Option<i64>| {
            GeoPoint::from_micro(lat, lon).map(|p| json!({"lat": p.lat(), "lon": p.lon()}))
        };
        let requests: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "number": request::display_number(r.number),
                    "status": r.status,
                    "trouble": r.trouble,
                    "note": r.note,
                    "address": r.address,
                    "plate": r.plate,
                    "position": point(r.lat_micro, r.lon_micro),
                    "arrival_position": point(r.arrival_lat_micro, r.arrival_lon_micro),
                    "asked_at": r.created_at,
                    "accepted_at": r.accepted_at,
                    "arrived_at": r.arrived_at,
                    "finished_at": r.finished_at,
                    "cancel_reason": r.cancel_reason,
                    "outcome": r.outcome_note,
                    "positions_coarsened": r.positions_coarsened,
                    "timeline": events.iter().filter(|e| e.request_id == r.id).map(|e| json!({
                        "at": e.at, "what": e.kind, "detail": e.detail,
                        "position": point(e.lat_micro, e.lon_micro),
                    })).collect::<Vec<_>>(),
                    "mechanic_trail": trail.iter().filter(|t| t.request_id == r.id).map(|t| json!({
                        "at": t.at, "position": point(Some(t.lat_micro), Some(t.lon_micro)),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Some(("roadside_requests", Value::Array(requests))))
    }
}
