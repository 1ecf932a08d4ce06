//! `/roadside/...`: roadside help. Requests (a dispatcher taking a driver's call, the
//! mechanic's steps, reassigning, cancelling), the dispatch board, the requests offered to a
//! mechanic, their duty and their phone's position. Drivers ask on the workshop's site
//! (`/roadside`, with its price check `/roadside/quote`), not here.

pub(crate) mod json;

use pitlane_domain::roadside::RoadsideStatus;
use pitlane_roadside::{asking, chat, dispatch, follow, progress, tracking, work};
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};
use uuid::Uuid;

use self::json::{
    DispatchBoard, DutyWrite, MechanicWrite, PositionTaken, PositionWrite, ReasonWrite,
    RoadsideDuty, RoadsideMessage, RoadsideMessageWrite, RoadsideOffer, RoadsideRequest,
    RoadsideRequestDetail, RoadsideRequestMade, RoadsideRequestWrite, RoadsideWorkLine, StepWrite,
};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent, Page, PageQuery},
    site,
};
use crate::{api::inspections::json::PhotoFile, problem::Problem};
use pitlane_app::state::AppState;

pub struct RoadsideApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Roadside")]
impl RoadsideApi {
    /// Roadside requests
    ///
    /// Needs `roadside.dispatch`. Every request, newest first; `status` narrows the list.
    #[oai(
        path = "/roadside/requests",
        method = "get",
        operation_id = "list_roadside_requests"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// `requested`, `accepted`, `en_route`, `on_site`, `working`, `done`, `towed_in` or
        /// `cancelled`.
        status: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<RoadsideRequest>>, Problem> {
        let status = match status.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(RoadsideStatus::parse(raw).ok_or_else(|| {
                pitlane_domain::FieldErrors::single("status", "not a roadside request status")
            })?),
            None => None,
        };
        let page = PageQuery::new(cursor.0, limit.0);
        let found = follow::list(
            &state.roadside,
            &auth.actor,
            status,
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Take a driver's call
    ///
    /// Needs `roadside.dispatch`. The request is offered to the nearest on-duty mechanics at
    /// once; the answer carries the driver's link, to send them.
    #[oai(
        path = "/roadside/requests",
        method = "post",
        operation_id = "create_roadside_request"
    )]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<RoadsideRequestWrite>,
    ) -> Result<Created<RoadsideRequestMade>, Problem> {
        let site = site(&state, req)?;
        let customer = body.0.customer_id.into();
        let asked =
            asking::ask_for_customer(&state.roadside, &auth.actor, customer, body.0.into(), &site)
                .await?;
        Ok(Created::new(asked))
    }

    /// A roadside request
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` for the request's own mechanic and for the
    /// mechanics it is offered to while it waits. With its timeline and, while its mechanic
    /// drives out, where they are.
    #[oai(
        path = "/roadside/requests/:request_id",
        method = "get",
        operation_id = "get_roadside_request"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
    ) -> Result<Json<RoadsideRequestDetail>, Problem> {
        let detail = follow::get(&state.roadside, &auth.actor, request_id.0).await?;
        Ok(Json(detail.into()))
    }

    /// Take a request
    ///
    /// Needs `jobs.work` and roadside duty at the request's branch. Of several mechanics
    /// taking it at once, the first wins; the others get 409.
    #[oai(
        path = "/roadside/requests/:request_id/accept",
        method = "post",
        operation_id = "accept_roadside_request"
    )]
    async fn accept(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        request_id: Path<Uuid>,
    ) -> Result<Json<RoadsideRequest>, Problem> {
        let site = site(&state, req)?;
        let view = dispatch::accept(&state.roadside, &auth.actor, request_id.0, &site).await?;
        Ok(Json(view.into()))
    }

    /// Give a request to a mechanic
    ///
    /// Needs `roadside.dispatch`. A waiting request, or one whose mechanic is taken off it
    /// (they are told). 409 once the mechanic has arrived.
    #[oai(
        path = "/roadside/requests/:request_id/mechanic",
        method = "put",
        operation_id = "assign_roadside_request"
    )]
    async fn assign(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        request_id: Path<Uuid>,
        body: Json<MechanicWrite>,
    ) -> Result<Json<RoadsideRequest>, Problem> {
        let site = site(&state, req)?;
        let view = dispatch::assign(
            &state.roadside,
            &auth.actor,
            request_id.0,
            body.0.mechanic_id,
            &site,
        )
        .await?;
        Ok(Json(view.into()))
    }

    /// Move a request on
    ///
    /// Needs `jobs.work` as the request's mechanic, or `roadside.dispatch`. On the way,
    /// arrived (stamped with the given position, or the mechanic's last known one), working,
    /// fixed (`done`) or towed in (a repair order is opened at the branch). A step the
    /// request cannot take from where it is is a 409.
    #[oai(
        path = "/roadside/requests/:request_id/status",
        method = "post",
        operation_id = "advance_roadside_request"
    )]
    async fn advance(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        request_id: Path<Uuid>,
        body: Json<StepWrite>,
    ) -> Result<Json<RoadsideRequest>, Problem> {
        let step = body.0.try_into()?;
        let site = site(&state, req)?;
        let view =
            progress::advance(&state.roadside, &auth.actor, request_id.0, step, &site).await?;
        Ok(Json(view.into()))
    }

    /// Give a request back
    ///
    /// Needs `jobs.work` as the request's mechanic, who cannot go after all: it waits for
    /// another, and the dispatchers are told.
    #[oai(
        path = "/roadside/requests/:request_id/release",
        method = "post",
        operation_id = "release_roadside_request"
    )]
    async fn release(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
        body: Json<ReasonWrite>,
    ) -> Result<Json<RoadsideRequest>, Problem> {
        let view =
            progress::release(&state.roadside, &auth.actor, request_id.0, &body.0.reason).await?;
        Ok(Json(view.into()))
    }

    /// Cancel a request
    ///
    /// Needs `roadside.dispatch`. Its mechanic is told; a request whose work has ended is a
    /// 409.
    #[oai(
        path = "/roadside/requests/:request_id/cancel",
        method = "post",
        operation_id = "cancel_roadside_request"
    )]
    async fn cancel(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        request_id: Path<Uuid>,
        body: Json<ReasonWrite>,
    ) -> Result<Json<RoadsideRequest>, Problem> {
        let site = site(&state, req)?;
        let view = progress::cancel(
            &state.roadside,
            &auth.actor,
            request_id.0,
            &body.0.reason,
            &site,
        )
        .await?;
        Ok(Json(view.into()))
    }

    /// A request's chat
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic. The messages
    /// between the driver and the crew, oldest first, each with whether the other side has
    /// read it. Live: `roadside.message` and `roadside.read` on the request's stream.
    #[oai(
        path = "/roadside/requests/:request_id/messages",
        method = "get",
        operation_id = "list_roadside_messages"
    )]
    async fn messages(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<RoadsideMessage>>, Problem> {
        let chat = chat::for_crew(&state.roadside, &auth.actor, request_id.0).await?;
        let items: Vec<RoadsideMessage> = chat.messages.into_iter().map(Into::into).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |m| m.id)?))
    }

    /// Write to the driver
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic, while the request
    /// is open (afterwards a 409). Shown live on the driver's page; a driver whose page is
    /// closed gets it by SMS (with their consent) or e-mail, with their link to answer.
    #[oai(
        path = "/roadside/requests/:request_id/messages",
        method = "post",
        operation_id = "write_roadside_message"
    )]
    async fn write(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        request_id: Path<Uuid>,
        body: Json<RoadsideMessageWrite>,
    ) -> Result<Created<RoadsideMessage>, Problem> {
        let site = site(&state, req)?;
        let message = chat::crew_writes(
            &state.roadside,
            &auth.actor,
            request_id.0,
            &body.0.body,
            &site,
        )
        .await?;
        Ok(Created::new(message))
    }

    /// The chat's photos
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic. The chat's
    /// messages that are photos, oldest first; each is read with `GET …/photos/{id}`.
    #[oai(
        path = "/roadside/requests/:request_id/photos",
        method = "get",
        operation_id = "list_roadside_photos"
    )]
    async fn photos(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<RoadsideMessage>>, Problem> {
        let chat = chat::for_crew(&state.roadside, &auth.actor, request_id.0).await?;
        let items: Vec<RoadsideMessage> = chat
            .messages
            .into_iter()
            .filter(|m| m.photo)
            .map(Into::into)
            .collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |m| m.id)?))
    }

    /// Send the driver a photo
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic, while the request
    /// is open. The body is the image itself (JPEG, PNG, WebP or HEIC, at most 10 MB); its
    /// type is read from its bytes. It joins the chat as a message.
    #[oai(
        path = "/roadside/requests/:request_id/photos",
        method = "post",
        operation_id = "send_roadside_photo"
    )]
    async fn send_photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        request_id: Path<Uuid>,
        body: Binary<Vec<u8>>,
    ) -> Result<Created<RoadsideMessage>, Problem> {
        let site = site(&state, req)?;
        let message =
            chat::crew_sends_photo(&state.roadside, &auth.actor, request_id.0, body.0, &site)
                .await?;
        Ok(Created::new(message))
    }

    /// A photo of the chat
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic. `message_id` is
    /// the photo's message.
    #[oai(
        path = "/roadside/requests/:request_id/photos/:message_id",
        method = "get",
        operation_id = "get_roadside_photo"
    )]
    async fn photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
        message_id: Path<Uuid>,
    ) -> Result<PhotoFile, Problem> {
        let photo =
            chat::photo_for_crew(&state.roadside, &auth.actor, request_id.0, message_id.0).await?;
        Ok(photo.into())
    }

    /// Mark the driver's messages read
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic. The driver sees
    /// their messages marked read.
    #[oai(
        path = "/roadside/requests/:request_id/messages/read",
        method = "post",
        operation_id = "read_roadside_messages"
    )]
    async fn read(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        chat::read_by_crew(&state.roadside, &auth.actor, request_id.0).await?;
        Ok(NoContent::Done)
    }

    /// The work done at the roadside
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic. In the order it
    /// was added.
    #[oai(
        path = "/roadside/requests/:request_id/work",
        method = "get",
        operation_id = "list_roadside_work"
    )]
    async fn work(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<RoadsideWorkLine>>, Problem> {
        let lines = work::list(&state.roadside, &auth.actor, request_id.0).await?;
        let items: Vec<RoadsideWorkLine> = lines.into_iter().map(Into::into).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |l| l.id)?))
    }

    /// Add work or a part
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic, while they are
    /// with the car (on site or working; otherwise a 409). Priced as a repair order's line:
    /// labour at the branch's rate unless a price is typed, a catalogue part at its selling
    /// price. When the car is fixed the parts leave the branch's stock and one invoice is
    /// issued for the call-out and the work.
    #[oai(
        path = "/roadside/requests/:request_id/work",
        method = "post",
        operation_id = "add_roadside_work"
    )]
    async fn add_work(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
        body: Json<crate::api::repair_orders::json::LineWrite>,
    ) -> Result<Created<RoadsideWorkLine>, Problem> {
        let line = work::add(&state.roadside, &auth.actor, request_id.0, &body.0.into()).await?;
        Ok(Created::new(line))
    }

    /// Remove work or a part
    ///
    /// Needs `roadside.dispatch`, or `jobs.work` as the request's mechanic, while they are
    /// with the car.
    #[oai(
        path = "/roadside/requests/:request_id/work/:line_id",
        method = "delete",
        operation_id = "remove_roadside_work"
    )]
    async fn remove_work(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        request_id: Path<Uuid>,
        line_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        work::remove(&state.roadside, &auth.actor, request_id.0, line_id.0).await?;
        Ok(NoContent::Done)
    }

    /// The dispatch board
    ///
    /// Needs `roadside.dispatch`. Open requests oldest first with their age and the branch's
    /// targets, those ended in the last day, and the mechanics on duty with their last known
    /// position. `branch_id` narrows it to one branch.
    #[oai(
        path = "/roadside/dispatch",
        method = "get",
        operation_id = "get_dispatch_board"
    )]
    async fn board(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
    ) -> Result<Json<DispatchBoard>, Problem> {
        let board = dispatch::board(&state.roadside, &auth.actor, branch_id.0).await?;
        Ok(Json(board.into()))
    }

    /// Requests offered to me
    ///
    /// Needs `jobs.work`. The waiting requests the caller may take now, nearest first by
    /// their last known position.
    #[oai(
        path = "/roadside/offers",
        method = "get",
        operation_id = "list_roadside_offers"
    )]
    async fn offers(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<RoadsideOffer>>, Problem> {
        let offers = dispatch::offers(&state.roadside, &auth.actor).await?;
        let items = offers.into_iter().map(RoadsideOffer::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |o| o.request.id)?))
    }

    /// My roadside duty
    ///
    /// Needs `jobs.work`.
    #[oai(
        path = "/roadside/duty",
        method = "get",
        operation_id = "get_roadside_duty"
    )]
    async fn duty(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<RoadsideDuty>, Problem> {
        let duty = dispatch::duty(&state.roadside, &auth.actor).await?;
        let current = dispatch::my_current(&state.roadside, &auth.actor).await?;
        Ok(Json(RoadsideDuty::new(duty, current.map(|c| c.id))))
    }

    /// Go on or off roadside duty
    ///
    /// Needs `jobs.work`, and the workshop's leave to drive out (`PUT
    /// /mechanics/{id}/roadside`).
    #[oai(
        path = "/roadside/duty",
        method = "put",
        operation_id = "set_roadside_duty"
    )]
    async fn set_duty(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<DutyWrite>,
    ) -> Result<Json<RoadsideDuty>, Problem> {
        let duty = dispatch::set_duty(&state.roadside, &auth.actor, body.0.on_duty).await?;
        let current = dispatch::my_current(&state.roadside, &auth.actor).await?;
        Ok(Json(RoadsideDuty::new(duty, current.map(|c| c.id))))
    }

    /// Send my position
    ///
    /// Needs `jobs.work`. The phone sends it every few seconds while on duty: it decides who
    /// is nearest to a new request, and while the caller drives to one, its driver sees them
    /// come.
    #[oai(
        path = "/roadside/positions",
        method = "post",
        operation_id = "report_roadside_position"
    )]
    async fn position(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<PositionWrite>,
    ) -> Result<Json<PositionTaken>, Problem> {
        let at = tracking::point(body.0.latitude, body.0.longitude)?;
        let taken = tracking::report(&state.roadside, &auth.actor, at).await?;
        Ok(Json(taken.into()))
    }
}
