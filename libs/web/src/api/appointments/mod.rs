//! `/appointments`: booked visits, their moves and status changes.

pub(crate) mod json;

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_domain::appointment::AppointmentStatus;
use pitlane_frontdesk::{
    appointments::{self, AppointmentQuery, Arrival, SlotRequest},
    availability,
};
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Appointment, AppointmentDetail, AppointmentWrite, MoveWrite, StatusWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
    site,
};
use crate::problem::{Problem, SlotSuggestion};
use pitlane_app::state::AppState;

/// A lost race or a taken time: 409 with the times still free that day and the next.
async fn with_fresh_slots(
    state: &AppState,
    actor: &pitlane_domain::Actor,
    err: pitlane_domain::ServiceError,
    branch_id: Uuid,
    service_id: Uuid,
    day: NaiveDate,
) -> Problem {
    if !availability::is_taken(&err) {
        return err.into();
    }
    let request = SlotRequest {
        service_id,
        branch_id: Some(branch_id),
        from: Some(day),
        days: Some(2),
    };
    let slots = appointments::free_slots(&state.frontdesk, actor, request)
        .await
        .map(|found| found.slots)
        .unwrap_or_default();
    let mut problem = Problem::from(err);
    problem.0.free_slots = Some(
        slots
            .into_iter()
            .take(20)
            .map(|s| SlotSuggestion {
                starts_at: s.span.start,
                ends_at: s.span.end,
            })
            .collect(),
    );
    problem
}

pub struct AppointmentsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl AppointmentsApi {
    /// List appointments
    ///
    /// Needs `customers.read`. Filters: `branch_id`, `customer_id`, `status`, and a time range
    /// (`from`, `to`, overlapping). In creation order. Example:
    /// `GET /api/v1/appointments?branch_id=…&from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z`.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/appointments",
        method = "get",
        operation_id = "list_appointments"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
        customer_id: Query<Option<Uuid>>,
        status: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Appointment>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = appointments::list(
            &state.frontdesk,
            &auth.actor,
            AppointmentQuery {
                branch_id: branch_id.0,
                customer_id: customer_id.0.map(Into::into),
                status: status.0,
                from: from.0,
                to: to.0,
                cursor: page.cursor_id()?,
                limit: page.limit,
            },
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Book an appointment
    ///
    /// Needs `appointments.write`. Confirmed at once; the customer gets the confirmation with
    /// a calendar file. A time in the past, outside business hours or on a closure is 422; a
    /// time taken (even by a request racing this one) is 409 with `free_slots` to choose from.
    #[oai(
        path = "/appointments",
        method = "post",
        operation_id = "book_appointment"
    )]
    async fn book(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<AppointmentWrite>,
    ) -> Result<Created<Appointment>, Problem> {
        let site = site(&state, req)?;
        let w = body.0;
        let (branch_id, service_id, day) = (w.branch_id, w.service_id, w.starts_at.date_naive());
        match appointments::book(&state.frontdesk, &auth.actor, w.into(), &site).await {
            Ok(row) => Ok(Created::new(row)),
            Err(e) => {
                Err(with_fresh_slots(&state, &auth.actor, e, branch_id, service_id, day).await)
            }
        }
    }

    /// Get an appointment with its history
    ///
    /// Needs `customers.read`.
    #[oai(
        path = "/appointments/:appointment_id",
        method = "get",
        operation_id = "get_appointment"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        appointment_id: Path<Uuid>,
    ) -> Result<Json<AppointmentDetail>, Problem> {
        let d = appointments::get(&state.frontdesk, &auth.actor, appointment_id.0.into()).await?;
        Ok(Json(d.into()))
    }

    /// Move an appointment
    ///
    /// Needs `appointments.write`. The customer's calendar entry is updated (same UID, next
    /// SEQUENCE) and reminders follow the new time. 409 with `free_slots` when taken.
    #[oai(
        path = "/appointments/:appointment_id/move",
        method = "post",
        operation_id = "move_appointment"
    )]
    async fn move_appointment(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        appointment_id: Path<Uuid>,
        body: Json<MoveWrite>,
    ) -> Result<Json<Appointment>, Problem> {
        let site = site(&state, req)?;
        let w = body.0;
        match appointments::reschedule(
            &state.frontdesk,
            &auth.actor,
            appointment_id.0.into(),
            w.starts_at,
            w.bay_id,
            w.mechanic_id,
            &site,
        )
        .await
        {
            Ok(row) => Ok(Json(row.into())),
            Err(e) if availability::is_taken(&e) => {
                let d = appointments::get(&state.frontdesk, &auth.actor, appointment_id.0.into())
                    .await?;
                let a = d.view.appointment;
                Err(with_fresh_slots(
                    &state,
                    &auth.actor,
                    e,
                    a.branch_id,
                    a.service_id,
                    w.starts_at.date_naive(),
                )
                .await)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Change an appointment's status
    ///
    /// Needs `appointments.write`. requested → confirmed → checked_in → converted, or
    /// no_show / cancelled; each change is recorded. Checking in may record the mileage and
    /// where the keys are.
    #[oai(
        path = "/appointments/:appointment_id/status",
        method = "post",
        operation_id = "change_appointment_status"
    )]
    async fn status(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        appointment_id: Path<Uuid>,
        body: Json<StatusWrite>,
    ) -> Result<Json<Appointment>, Problem> {
        let site = site(&state, req)?;
        let (next, arrival): (AppointmentStatus, Arrival) = body.0.try_into()?;
        let row = appointments::change_status(
            &state.frontdesk,
            &auth.actor,
            appointment_id.0.into(),
            next,
            arrival,
            &site,
        )
        .await?;
        Ok(Json(row.into()))
    }
}
