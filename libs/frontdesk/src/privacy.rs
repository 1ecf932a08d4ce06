//! A customer's privacy rights: everything held about them as one document, and erasure on
//! request. Both are audited. Erasure removes personal data, cancels and removes pending
//! appointments, and keeps what accounting must keep in anonymised form.

use chrono::Utc;
use pitlane_domain::{
    Actor, ServiceError, appointment::AppointmentStatus, ids::CustomerId, permissions::Permission,
};
use pitlane_store::{
    TenantCtx,
    audit::{self, By, Event},
    entity::{
        appointment, appointment_event, conversation, conversation_message, customer_note,
        mileage_reading, repair_order, repair_order_line, vehicle, vehicle_owner,
    },
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
        sea_query::Expr,
    },
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{FrontDesk, customers::live_customer, customers::tags_of};

/// Everything held about a customer, as one JSON document.
pub async fn export(fd: &FrontDesk, actor: &Actor, id: CustomerId) -> Result<Value, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let c = live_customer(&tx, id).await?;
    let notes = tx
        .all(
            tx.select::<customer_note::Entity>()
                .filter(customer_note::Column::CustomerId.eq(id.0))
                .order_by_asc(customer_note::Column::Id),
        )
        .await?;
    let vehicles = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::CustomerId.eq(id.0)),
        )
        .await?;
    let vehicle_ids: Vec<Uuid> = vehicles.iter().map(|v| v.id).collect();
    let readings = tx
        .all(
            tx.select::<mileage_reading::Entity>()
                .filter(mileage_reading::Column::VehicleId.is_in(vehicle_ids.clone()))
                .order_by_asc(mileage_reading::Column::RecordedAt),
        )
        .await?;
    let ownerships = tx
        .all(
            tx.select::<vehicle_owner::Entity>()
                .filter(vehicle_owner::Column::CustomerId.eq(id.0)),
        )
        .await?;
    let appointments = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::CustomerId.eq(id.0))
                .order_by_asc(appointment::Column::StartsAt),
        )
        .await?;
    let events = tx
        .all(tx.select::<appointment_event::Entity>().filter(
            appointment_event::Column::AppointmentId.is_in(appointments.iter().map(|a| a.id)),
        ))
        .await?;
    let conv = tx
        .first(
            tx.select::<conversation::Entity>()
                .filter(conversation::Column::CustomerId.eq(id.0)),
        )
        .await?;
    let messages = match &conv {
        Some(c) => {
            tx.all(
                tx.select::<conversation_message::Entity>()
                    .filter(conversation_message::Column::ConversationId.eq(c.id))
                    .order_by_asc(conversation_message::Column::Id),
            )
            .await?
        }
        None => Vec::new(),
    };
    let orders = tx
        .all(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::CustomerId.eq(id.0))
                .order_by_asc(repair_order::Column::Number),
        )
        .await?;
    let invoices = tx
        .all(
            tx.select::<pitlane_store::entity::invoice::Entity>()
                .filter(pitlane_store::entity::invoice::Column::CustomerId.eq(id.0))
                .order_by_asc(pitlane_store::entity::invoice::Column::Id),
        )
        .await?;
    let order_lines = tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::RepairOrderId.is_in(orders.iter().map(|o| o.id)))
                .order_by_asc(repair_order_line::Column::Position),
        )
        .await?;
    let mut doc = json!({
        "exported_at": Utc::now(),
        "customer": {
            "id": c.id,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "company": c.company,
            "address": c.address,
            "tags": tags_of(&c),
            "created_at": c.created_at,
            "consent": {
                "email": {"given_at": c.email_consent_at, "how": c.email_consent_source},
                "sms": {"given_at": c.sms_consent_at, "how": c.sms_consent_source},
                "marketing": {"given_at": c.marketing_consent_at, "how": c.marketing_consent_source, "unsubscribed_at": c.marketing_unsubscribed_at},
            },
        },
        "notes": notes.iter().map(|n| json!({"at": n.created_at, "by": n.author_name, "text": n.body})).collect::<Vec<_>>(),
        "vehicles": vehicles.iter().map(|v| json!({
            "id": v.id, "vin": v.vin, "plate": v.plate, "plate_region": v.plate_region,
            "make": v.make, "model": v.model, "year": v.year, "engine": v.engine, "colour": v.colour,
            "mileage": v.last_mileage, "mileage_unit": v.mileage_unit,
            "mileage_readings": readings.iter().filter(|r| r.vehicle_id == v.id).map(|r| json!({
                "at": r.recorded_at, "reading": r.reading, "source": r.source, "correction_reason": r.correction_reason,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "vehicle_ownership": ownerships.iter().map(|o| json!({"vehicle_id": o.vehicle_id, "from": o.from_at, "until": o.until_at})).collect::<Vec<_>>(),
        "appointments": appointments.iter().map(|a| json!({
            "id": a.id, "starts_at": a.starts_at, "ends_at": a.ends_at, "status": a.status,
            "source": a.source, "notes": a.notes, "arrival_mileage": a.arrival_mileage, "key_location": a.key_location,
            "history": events.iter().filter(|e| e.appointment_id == a.id).map(|e| json!({"at": e.at, "status": e.status, "detail": e.detail})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "messages": messages.iter().map(|m| json!({"at": m.created_at, "direction": m.direction, "channel": m.channel, "text": m.body, "by": m.author_name})).collect::<Vec<_>>(),
        "invoices": invoices.iter().map(|i| json!({
            "number": i.number, "status": i.status, "currency": i.currency, "issued_at": i.issued_at,
            "total_minor": i.total_minor, "paid_minor": i.paid_minor, "refunded_minor": i.refunded_minor,
            "credited_minor": i.credited_minor,
        })).collect::<Vec<_>>(),
        "repair_orders": orders.iter().map(|o| json!({
            "number": pitlane_domain::repair_order::display_number(o.number), "status": o.status,
            "vehicle_id": o.vehicle_id, "opened_at": o.created_at, "mileage_in": o.mileage_in,
            "mileage_out": o.mileage_out, "concern": o.concern,
            "answered": {"how": o.approval_method, "at": o.approved_at, "by": o.approved_by},
            "lines": order_lines.iter().filter(|l| l.repair_order_id == o.id).map(|l| json!({
                "kind": l.kind, "description": l.description, "decision": l.decision, "decided_at": l.decided_at,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    doc["feedback"] = crate::feedback::export_in(&tx, id.0).await?;
    for hook in fd.customer_hooks.iter() {
        if let Some((part, value)) = hook.exported(&tx, id).await? {
            doc[part] = value;
        }
    }
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("customer.exported")
            .subject(c.name.clone())
            .detail(json!({"customer": id})),
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// What an erasure did, for the confirmation and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Erased {
    pub appointments_removed: u64,
    pub notes_removed: u64,
    pub vehicles_unlinked: u64,
}

pub const ERASED_NAME: &str = "Erased customer";

/// Erases a customer on request. Personal data is blanked; pending appointments (requested,
/// confirmed) are cancelled — their reminders withdrawn — and removed; past visits stay as
/// anonymous records; vehicles stay with the workshop's history but no longer point at the
/// person. Invoices keep their numbers and amounts under the anonymous name.
pub async fn erase(fd: &FrontDesk, actor: &Actor, id: CustomerId) -> Result<Erased, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let c = live_customer(&tx, id).await?;
    let mut done = Erased::default();

    let pending = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::CustomerId.eq(id.0))
                .filter(appointment::Column::Status.is_in([
                    AppointmentStatus::Requested.key(),
                    AppointmentStatus::Confirmed.key(),
                ])),
        )
        .await?;
    for a in &pending {
        tx.cancel_pending(&format!("appt:{}:", a.id)).await?;
        tx.delete::<appointment::Entity>(a.id).await?;
        done.appointments_removed += 1;
    }
    tx.update_all(
        appointment::Entity::update_many()
            .col_expr(
                appointment::Column::Notes,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                appointment::Column::KeyLocation,
                Expr::value(Option::<String>::None),
            )
            .filter(appointment::Column::CustomerId.eq(id.0)),
    )
    .await?;
    done.notes_removed = tx
        .delete_all(
            customer_note::Entity::delete_many().filter(customer_note::Column::CustomerId.eq(id.0)),
        )
        .await?;
    // Invoices, repair orders and roadside requests are their owners' to blank (see
    // `hooks`); before the conversation goes, so a roadside chat's photos can be found.
    for hook in fd.customer_hooks.iter() {
        hook.erased(&tx, id, ERASED_NAME).await?;
    }
    crate::feedback::erase_in(&tx, id.0).await?;
    tx.delete_all(
        conversation::Entity::delete_many().filter(conversation::Column::CustomerId.eq(id.0)),
    )
    .await?;
    tx.update_all(
        vehicle_owner::Entity::update_many()
            .col_expr(vehicle_owner::Column::OwnerName, Expr::value(ERASED_NAME))
            .filter(vehicle_owner::Column::CustomerId.eq(id.0)),
    )
    .await?;
    done.vehicles_unlinked = tx
        .update_all(
            vehicle::Entity::update_many()
                .col_expr(
                    vehicle::Column::CustomerId,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(vehicle::Column::CustomerId.eq(id.0)),
        )
        .await?;
    if let Some(phone) = c
        .phone
        .as_deref()
        .and_then(|p| pitlane_domain::phone::PhoneE164::parse(p, None).ok())
    {
        pitlane_notify::consent::record_opt_out(&tx, &phone).await?;
    }
    let now = Utc::now();
    let mut active = c.clone().into_active_model();
    active.name = Set(ERASED_NAME.into());
    active.email = Set(None);
    active.phone = Set(None);
    active.company = Set(None);
    active.address = Set(None);
    active.tags = Set(String::new());
    active.email_consent_at = Set(None);
    active.email_consent_source = Set(None);
    active.sms_consent_at = Set(None);
    active.sms_consent_source = Set(None);
    active.marketing_consent_at = Set(None);
    active.marketing_consent_source = Set(None);
    active.marketing_unsubscribed_at = Set(Some(now));
    active.user_id = Set(None);
    active.search = Set(String::new());
    active.erased_at = Set(Some(now));
    active.updated_at = Set(now);
    tx.update(active).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("customer.erased")
            .subject(format!("customer {id}"))
            .detail(json!({
                "customer": id,
                "pending_appointments_removed": done.appointments_removed,
                "notes_removed": done.notes_removed,
                "vehicles_unlinked": done.vehicles_unlinked,
            })),
    )
    .await?;
    tx.commit().await?;
    for hook in fd.customer_hooks.iter() {
        hook.erased_committed(actor.tenant_id, id).await;
    }
    Ok(done)
}
