//! Customer feedback (issue 20). When a repair order is closed or a roadside job is done, the
//! customer is sent a signed link ([`Purpose::Feedback`]) to rate the work and the mechanic,
//! one to five stars each, with a comment. The link names one `feedback` row, which is read
//! each time (a signature alone opens nothing) and which the rating spends: one rating per
//! link, by one conditional update. A low rating tells the branch's managers at once.
//!
//! Staff read the ratings in an inbox and reply (the reply goes to the customer through their
//! conversation); admins hide abusive text, which from then on no reader gets back: every view
//! is made by [`shown`]. Mechanics see the ratings of their own work.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    feedback::{Rating, Summary},
    messages::MessageKind,
    permissions::Permission,
    text::plain,
};
use pitlane_identity::links::{LinkError, Purpose};
use pitlane_notify::{
    OutgoingMessage,
    staff::{NewNotification, Notified, notify_branch_managers},
};
use pitlane_store::{
    Page, TenantCtx, TenantTx, TimeCursor,
    entity::{branch, customer, feedback},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, Order, QueryFilter,
        QueryOrder, QuerySelect, sea_query::Expr,
    },
};
use uuid::Uuid;

use crate::{FrontDesk, author_name, member_names};

/// How long a customer has to answer.
const ANSWER_WITHIN_DAYS: i64 = 60;
const MAX_COMMENT: usize = 2000;

/// What a customer is asked to rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    RepairOrder(Uuid),
    Roadside(Uuid),
}

impl Subject {
    pub fn key(self) -> &'static str {
        match self {
            Subject::RepairOrder(_) => "repair_order",
            Subject::Roadside(_) => "roadside",
        }
    }
}

/// A request for a rating, made where the work ends.
#[derive(Debug, Clone)]
pub struct Ask {
    pub subject: Subject,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    /// The membership of the mechanic who did the work, rated apart.
    pub mechanic_id: Option<Uuid>,
    /// What staff read it as: "RO-00012 · Volkswagen Golf".
    pub label: String,
    /// What the customer's message calls it: "your Volkswagen Golf".
    pub phrase: String,
}

/// Asks the customer to rate the work, once per repair order or roadside request, in the
/// caller's transaction: the row, and the message with its link. Nothing when the customer
/// cannot be reached (or was erased), so the response rate counts only those asked.
pub async fn ask_in(
    fd: &FrontDesk,
    tx: &TenantTx,
    ask: Ask,
    site: &str,
) -> Result<(), ServiceError> {
    let customer = tx.get::<customer::Entity>(ask.customer_id).await?;
    let Some(to) = crate::customers::reach(&customer).filter(|_| customer.erased_at.is_none())
    else {
        return Ok(());
    };
    let (repair_order_id, roadside_request_id) = match ask.subject {
        Subject::RepairOrder(id) => (Some(id), None),
        Subject::Roadside(id) => (None, Some(id)),
    };
    // Asked once per subject, however many times the order or request gets here.
    let once_per = match ask.subject {
        Subject::RepairOrder(_) => feedback::Column::RepairOrderId,
        Subject::Roadside(_) => feedback::Column::RoadsideRequestId,
    };
    let now = Utc::now();
    let id = Uuid::now_v7();
    let asked = tx
        .insert_if_absent(
            feedback::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(id),
                branch_id: Set(ask.branch_id),
                customer_id: Set(ask.customer_id),
                subject: Set(ask.subject.key().to_owned()),
                repair_order_id: Set(repair_order_id),
                roadside_request_id: Set(roadside_request_id),
                mechanic_id: Set(ask.mechanic_id),
                label: Set(ask.label),
                asked_at: Set(now),
                expires_at: Set(now + Duration::days(ANSWER_WITHIN_DAYS)),
                job_stars: Set(None),
                mechanic_stars: Set(None),
                comment: Set(None),
                answered_at: Set(None),
                hidden_at: Set(None),
                hidden_by: Set(None),
                hidden_reason: Set(None),
                reply: Set(None),
                replied_at: Set(None),
                replied_by: Set(None),
            },
            [once_per],
        )
        .await?;
    if !asked {
        return Ok(());
    }
    let row = tx.get::<feedback::Entity>(id).await?;
    let mechanic = match row.mechanic_id {
        Some(m) => member_names(tx, &[m]).await?.remove(&m),
        None => None,
    };
    let vars = [
        ("customer_name", customer.name.clone()),
        ("subject", ask.phrase),
        (
            "mechanic",
            mechanic.unwrap_or_else(|| "our team".to_owned()),
        ),
        ("link", link(fd, site, &row)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    fd.outbox
        .enqueue(
            tx,
            OutgoingMessage {
                kind: MessageKind::FeedbackRequest,
                to,
                vars,
                attachments: Vec::new(),
                send_at: None,
                idempotency_key: format!("feedback:{}", row.id),
            },
        )
        .await?;
    Ok(())
}

/// The customer's link to rate: signed for this purpose alone, naming the row.
pub fn link(fd: &FrontDesk, site: &str, row: &feedback::Model) -> String {
    format!("{site}/feedback?token={}", token(fd, row))
}

fn token(fd: &FrontDesk, row: &feedback::Model) -> String {
    fd.signer.sign(Purpose::Feedback, row.id, row.expires_at)
}

/// The token of the rating a roadside request's driver has yet to give, so their page can
/// offer it; `None` when there is none to give.
pub async fn open_token_for_roadside(
    fd: &FrontDesk,
    tx: &TenantTx,
    request_id: Uuid,
) -> Result<Option<String>, ServiceError> {
    let row = tx
        .first(
            tx.select::<feedback::Entity>()
                .filter(feedback::Column::RoadsideRequestId.eq(request_id)),
        )
        .await?;
    Ok(row
        .filter(|r| state_of(r, Utc::now()) == LinkState::Open)
        .map(|r| token(fd, &r)))
}

/// The row as readers get it: text an admin hid is gone from every view.
fn shown(mut row: feedback::Model) -> feedback::Model {
    if row.hidden_at.is_some() {
        row.comment = None;
    }
    row
}

/// One rating as staff read it.
#[derive(Debug, Clone)]
pub struct FeedbackView {
    /// The row, with hidden text removed.
    pub feedback: feedback::Model,
    pub customer_name: String,
    pub mechanic_name: Option<String>,
    pub branch_name: String,
}

impl FeedbackView {
    pub fn job(&self) -> Option<Rating> {
        stars(self.feedback.job_stars)
    }

    pub fn mechanic(&self) -> Option<Rating> {
        stars(self.feedback.mechanic_stars)
    }

    pub fn is_low(&self) -> bool {
        self.job().is_some_and(Rating::is_low) || self.mechanic().is_some_and(Rating::is_low)
    }

    pub fn is_hidden(&self) -> bool {
        self.feedback.hidden_at.is_some()
    }
}

fn stars(stored: Option<i16>) -> Option<Rating> {
    stored.and_then(|s| Rating::new(i64::from(s)).ok())
}

async fn views(
    tx: &TenantTx,
    rows: Vec<feedback::Model>,
) -> Result<Vec<FeedbackView>, ServiceError> {
    let customers: HashMap<Uuid, String> = tx
        .all(
            tx.select::<customer::Entity>()
                .filter(customer::Column::Id.is_in(rows.iter().map(|r| r.customer_id))),
        )
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let branches: HashMap<Uuid, String> = tx
        .all(tx.select::<branch::Entity>())
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let mechanic_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.mechanic_id).collect();
    let mechanics = member_names(tx, &mechanic_ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| FeedbackView {
            customer_name: customers.get(&row.customer_id).cloned().unwrap_or_default(),
            mechanic_name: row.mechanic_id.and_then(|m| mechanics.get(&m).cloned()),
            branch_name: branches.get(&row.branch_id).cloned().unwrap_or_default(),
            feedback: shown(row),
        })
        .collect())
}

// ---- The customer's link ----

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting for the customer's rating.
    Open,
    /// Rated: the link shows what was said, and the workshop's reply.
    Answered,
    /// Never rated, and too old now.
    Expired,
}

/// What the customer's link shows.
#[derive(Debug, Clone)]
pub struct ForCustomer {
    pub view: FeedbackView,
    pub state: LinkState,
}

/// The row a customer's link names: the signature first, then the row, which must exist in
/// this workshop. A link whose signature has expired still shows a rating already given.
async fn by_token_in(
    fd: &FrontDesk,
    tx: &TenantTx,
    token: &str,
) -> Result<feedback::Model, ServiceError> {
    let id = match fd.signer.verify(Purpose::Feedback, token) {
        Ok(id) => id,
        Err(LinkError::Expired) => expired_id(token).ok_or(ServiceError::NotFound)?,
        Err(_) => return Err(ServiceError::NotFound),
    };
    Ok(tx.get::<feedback::Entity>(id).await?)
}

/// The id an expired but genuine token names (its signature was checked by `verify`, which
/// reports expiry only after the signature holds).
fn expired_id(token: &str) -> Option<Uuid> {
    token
        .split('.')
        .next()
        .and_then(|id| Uuid::try_parse(id).ok())
}

fn state_of(row: &feedback::Model, now: DateTime<Utc>) -> LinkState {
    if row.answered_at.is_some() {
        LinkState::Answered
    } else if row.expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Open
    }
}

/// What the customer's link shows.
pub async fn for_link(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
) -> Result<ForCustomer, ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let row = by_token_in(fd, &tx, token).await?;
    let state = state_of(&row, Utc::now());
    let view = views(&tx, vec![row]).await?.remove(0);
    tx.commit().await?;
    Ok(ForCustomer { view, state })
}

/// A customer's rating as they give it.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub job: Option<i64>,
    pub mechanic: Option<i64>,
    pub comment: Option<String>,
}

/// The customer rates, once. Stars for the work are required; for the mechanic when one is
/// named. A low rating notifies the branch's managers.
pub async fn answer(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
    given: &Answer,
) -> Result<ForCustomer, ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let row = by_token_in(fd, &tx, token).await?;
    match state_of(&row, Utc::now()) {
        LinkState::Open => {}
        LinkState::Answered => return Err(used()),
        LinkState::Expired => {
            return Err(ServiceError::Conflict(FieldErrors::single(
                "job",
                "this link has expired: ratings are taken for 60 days",
            )));
        }
    }
    let mut errors = FieldErrors::new();
    let job = errors.check("job", required_stars(given.job)).flatten();
    let mechanic = match row.mechanic_id {
        Some(_) => errors
            .check("mechanic", required_stars(given.mechanic))
            .flatten(),
        None => None,
    };
    let comment = errors
        .check("comment", comment(given.comment.as_deref()))
        .flatten();
    errors.into_result()?;
    let now = Utc::now();
    // One conditional update spends the link: of two answers at once, one is kept.
    let spent = tx
        .update_all(
            feedback::Entity::update_many()
                .col_expr(
                    feedback::Column::JobStars,
                    Expr::value(job.map(|r| i16::from(r.stars()))),
                )
                .col_expr(
                    feedback::Column::MechanicStars,
                    Expr::value(mechanic.map(|r| i16::from(r.stars()))),
                )
                .col_expr(feedback::Column::Comment, Expr::value(comment.clone()))
                .col_expr(feedback::Column::AnsweredAt, Expr::value(Some(now)))
                .filter(feedback::Column::Id.eq(row.id))
                .filter(feedback::Column::AnsweredAt.is_null())
                .filter(feedback::Column::ExpiresAt.gt(now)),
        )
        .await?;
    if spent == 0 {
        return Err(used());
    }
    let row = tx.get::<feedback::Entity>(row.id).await?;
    let view = views(&tx, vec![row]).await?.remove(0);
    let notified = if view.is_low() {
        notify_branch_managers(&tx, view.feedback.branch_id, &low_rating_note(&view)).await?
    } else {
        Notified::default()
    };
    tx.commit().await?;
    notified.publish(&fd.live).await;
    Ok(ForCustomer {
        view,
        state: LinkState::Answered,
    })
}

fn used() -> ServiceError {
    ServiceError::Conflict(FieldErrors::single(
        "job",
        "this link has already been used: thank you, your rating is with the workshop",
    ))
}

fn required_stars(given: Option<i64>) -> Result<Option<Rating>, &'static str> {
    match given {
        None => Err("choose one to five stars"),
        Some(stars) => Rating::new(stars).map(Some),
    }
}

fn comment(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    plain(text, true).map_err(|e| e.to_string())?;
    if text.chars().count() > MAX_COMMENT {
        return Err("must be at most 2,000 characters".to_owned());
    }
    Ok(Some(text.to_owned()))
}

fn low_rating_note(view: &FeedbackView) -> NewNotification {
    let stars = |r: Option<Rating>| r.map_or("–".to_owned(), |r| format!("{}/5", r.stars()));
    NewNotification {
        title: format!("Low rating: {}", view.feedback.label),
        body: format!(
            "{} rated the work {} and the mechanic {}.",
            view.customer_name,
            stars(view.job()),
            stars(view.mechanic())
        ),
        link: Some(format!("/portal/feedback/{}", view.feedback.id)),
    }
}

// ---- Staff: the inbox, replies, hiding ----

/// Which ratings the inbox lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    /// Two stars or fewer, for the work or the mechanic.
    Low,
    /// Not replied to yet.
    Unreplied,
}

impl Filter {
    pub const ALL: [Filter; 3] = [Filter::All, Filter::Low, Filter::Unreplied];

    pub fn key(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Low => "low",
            Filter::Unreplied => "unreplied",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "All ratings",
            Filter::Low => "Low ratings",
            Filter::Unreplied => "Not replied to",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == raw)
    }
}

/// The ratings given, the newest first (by the time of rating, then id): `after` is where the
/// page before ended.
pub async fn inbox(
    fd: &FrontDesk,
    actor: &Actor,
    filter: Filter,
    after: Option<TimeCursor>,
    limit: u64,
) -> Result<Page<FeedbackView, TimeCursor>, ServiceError> {
    actor.require(Permission::FeedbackRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let limit = limit.clamp(1, 200);
    let (at, id) = (feedback::Column::AnsweredAt, feedback::Column::Id);
    let mut query = tx
        .select::<feedback::Entity>()
        .filter(at.is_not_null())
        .order_by_desc(at)
        .order_by_desc(id)
        .limit(limit + 1);
    query = match filter {
        Filter::All => query,
        Filter::Low => query.filter(
            pitlane_store::sea_orm::Condition::any()
                .add(feedback::Column::JobStars.lte(2))
                .add(feedback::Column::MechanicStars.lte(2)),
        ),
        Filter::Unreplied => query.filter(feedback::Column::RepliedAt.is_null()),
    };
    if let Some(after) = after {
        query = query.filter(after.after(at, id, &Order::Desc));
    }
    let rows = Page::cut(tx.all(query).await?, limit, |f| TimeCursor {
        at: f.answered_at.unwrap_or(f.asked_at),
        id: f.id,
    });
    let next = rows.next;
    let items = views(&tx, rows.items).await?;
    tx.commit().await?;
    Ok(Page { items, next })
}

/// One rating (asked for, or given).
pub async fn get(fd: &FrontDesk, actor: &Actor, id: Uuid) -> Result<FeedbackView, ServiceError> {
    actor.require(Permission::FeedbackRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<feedback::Entity>(id).await?;
    let view = views(&tx, vec![row]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}

/// Staff answer a rating: the reply is kept with it (the customer's link shows it) and goes to
/// the customer through their conversation. A second reply replaces the first.
pub async fn reply(
    fd: &FrontDesk,
    actor: &Actor,
    id: Uuid,
    text: &str,
    site: &str,
) -> Result<FeedbackView, ServiceError> {
    actor.require(Permission::FeedbackRead)?;
    let text = crate::conversations::body(text)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<feedback::Entity>(id).await?;
    if row.answered_at.is_none() {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "body",
            "the customer has not rated this yet",
        )));
    }
    let customer = tx.get::<customer::Entity>(row.customer_id).await?;
    if customer.erased_at.is_some() {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "body",
            "this customer was erased and cannot be written to",
        )));
    }
    let by = author_name(&tx, actor).await?;
    let mut active = row.into_active_model();
    active.reply = Set(Some(text.clone()));
    active.replied_at = Set(Some(Utc::now()));
    active.replied_by = Set(by);
    let row = tx.update(active).await?;
    let message =
        crate::conversations::write_to_customer_in(fd, &tx, actor, &customer, &text, site).await?;
    let view = views(&tx, vec![row]).await?.remove(0);
    tx.commit().await?;
    crate::conversations::publish_message(fd, &customer, &message).await;
    Ok(view)
}

/// An admin hides a rating's text (abuse, personal details): kept as the record of what was
/// written, never shown again, on any page or in the API. The stars still count.
pub async fn hide(
    fd: &FrontDesk,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<FeedbackView, ServiceError> {
    actor.require(Permission::FeedbackModerate)?;
    let reason = match pitlane_domain::text::optional_text(Some(reason), 200) {
        Ok(Some(reason)) => reason,
        Ok(None) => return Err(FieldErrors::single("reason", "say why it is hidden").into()),
        Err(err) => return Err(FieldErrors::single("reason", err.to_string()).into()),
    };
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<feedback::Entity>(id).await?;
    if row.comment.is_none() || row.hidden_at.is_some() {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "reason",
            "there is no text to hide",
        )));
    }
    let by = author_name(&tx, actor).await?;
    let mut active = row.into_active_model();
    active.hidden_at = Set(Some(Utc::now()));
    active.hidden_by = Set(by);
    active.hidden_reason = Set(Some(reason.clone()));
    let row = tx.update(active).await?;
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("feedback.hidden")
            .subject(format!("feedback {id}"))
            .detail(serde_json::json!({ "feedback": id, "reason": reason })),
    )
    .await?;
    let view = views(&tx, vec![row]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}

// ---- Mechanics: their own ratings ----

/// A mechanic's ratings: what they come to, and each (newest first, the last 200).
#[derive(Debug, Clone)]
pub struct Mine {
    pub summary: Summary,
    pub ratings: Vec<FeedbackView>,
}

/// The ratings of the reader's own work as a mechanic.
pub async fn mine(fd: &FrontDesk, actor: &Actor) -> Result<Mine, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<feedback::Entity>()
                .filter(feedback::Column::MechanicId.eq(actor.membership_id.0))
                .filter(feedback::Column::AnsweredAt.is_not_null())
                .order_by_desc(feedback::Column::AnsweredAt)
                .limit(200),
        )
        .await?;
    let asked = tx
        .count(
            tx.select::<feedback::Entity>()
                .filter(feedback::Column::MechanicId.eq(actor.membership_id.0)),
        )
        .await?;
    let mut summary = Summary {
        asked: i64::try_from(asked).unwrap_or(i64::MAX),
        ..Summary::default()
    };
    for rating in rows.iter().filter_map(|r| stars(r.mechanic_stars)) {
        summary.add(rating);
    }
    let ratings = views(&tx, rows).await?;
    tx.commit().await?;
    Ok(Mine { summary, ratings })
}

// ---- The customer's privacy ----

/// Erasing a customer: their words go (comment, reply, the hidden text with them); the stars
/// stay, anonymous, for the report.
pub(crate) async fn erase_in(tx: &TenantTx, customer_id: Uuid) -> Result<(), ServiceError> {
    tx.update_all(
        feedback::Entity::update_many()
            .col_expr(
                feedback::Column::Comment,
                Expr::value(Option::<String>::None),
            )
            .col_expr(feedback::Column::Reply, Expr::value(Option::<String>::None))
            .col_expr(
                feedback::Column::HiddenReason,
                Expr::value(Option::<String>::None),
            )
            .filter(feedback::Column::CustomerId.eq(customer_id)),
    )
    .await?;
    Ok(())
}

/// Merging customers: the duplicate's ratings are the kept customer's.
pub(crate) async fn merge_in(
    tx: &TenantTx,
    keep: Uuid,
    duplicate: Uuid,
) -> Result<(), ServiceError> {
    tx.update_all(
        feedback::Entity::update_many()
            .col_expr(feedback::Column::CustomerId, Expr::value(keep))
            .filter(feedback::Column::CustomerId.eq(duplicate)),
    )
    .await?;
    Ok(())
}

/// A customer's ratings, for their privacy export (hidden text included: it is theirs).
pub(crate) async fn export_in(
    tx: &TenantTx,
    customer_id: Uuid,
) -> Result<serde_json::Value, ServiceError> {
    let rows = tx
        .all(
            tx.select::<feedback::Entity>()
                .filter(feedback::Column::CustomerId.eq(customer_id))
                .order_by_asc(feedback::Column::Id),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "about": r.label,
                "asked_at": r.asked_at,
                "answered_at": r.answered_at,
                "job_stars": r.job_stars,
                "mechanic_stars": r.mechanic_stars,
                "comment": r.comment,
                "reply": r.reply,
                "replied_at": r.replied_at,
            })
        })
        .collect())
}
