//! Customers: contact details, consent (each with when and how it was given), notes, tags,
//! search by any fragment, merging duplicates, and their history.

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::CustomerId,
    permissions::Permission,
    phone::PhoneE164,
    text::{DisplayName, Email, optional_text},
};
use pitlane_store::{
    StoreError, TenantCtx, TenantTx,
    audit::{self, By, Event},
    entity::{
        appointment, conversation, conversation_message, customer, customer_note, tenant, vehicle,
        vehicle_owner,
    },
    like_escape,
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
        sea_query::{Expr, ExprTrait, LikeExpr, Order},
    },
};
use uuid::Uuid;

use crate::{
    FrontDesk, author_name,
    search::{contains_pattern, decode_cursor, encode_cursor, needle, search_text},
};

/// A customer as typed into a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct CustomerInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    /// Free words; stored lowercase, without repeats.
    pub tags: Vec<String>,
}

/// A change of consent: `Some(true)` gives it (now, by `source`), `Some(false)` withdraws it.
#[derive(Debug, Clone, Default)]
pub struct ConsentChange {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub marketing: Option<bool>,
    /// How it was given: "at the front desk", "online booking", "phone call"…
    pub source: String,
}

pub(crate) struct Contact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    pub tags: String,
}

/// Tags as stored: lowercase, trimmed, comma-separated, each at most 40 characters.
pub fn parse_tags(raw: &[String]) -> Result<String, &'static str> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().flat_map(|t| t.split(',')) {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > 40 {
            return Err("each tag must be at most 40 characters");
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 20 {
        return Err("at most 20 tags");
    }
    Ok(tags.join(","))
}

pub fn tags_of(row: &customer::Model) -> Vec<String> {
    row.tags
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks a customer's fields; phone numbers without a `+` are read in `country`.
pub(crate) fn parse_contact(
    input: &CustomerInput,
    country: Option<&str>,
) -> Result<Contact, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 160));
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => Some(None),
        Some(raw) => errors
            .check("email", Email::parse(raw))
            .map(|e| Some(e.into_inner())),
    };
    let phone = match input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => Some(None),
        Some(raw) => errors
            .check("phone", PhoneE164::parse(raw, country))
            .map(|p| Some(p.into_inner())),
    };
    let company = errors.check("company", optional_text(input.company.as_deref(), 160));
    let address = errors.check("address", optional_text(input.address.as_deref(), 400));
    let tags = errors.check("tags", parse_tags(&input.tags));
    match (name, email, phone, company, address, tags) {
        (Some(name), Some(email), Some(phone), Some(company), Some(address), Some(tags))
            if errors.is_empty() =>
        {
            Ok(Contact {
                name: name.into_inner(),
                email,
                phone,
                company,
                address,
                tags,
            })
        }
        _ => Err(errors),
    }
}

pub(crate) async fn tenant_country(tx: &TenantTx) -> Result<Option<String>, StoreError> {
    Ok(tx.get::<tenant::Entity>(tx.tenant_id().0).await?.country)
}

/// Rebuilds what search reads for one customer: their details and their vehicles' plates and VINs.
pub(crate) async fn refresh_search(tx: &TenantTx, id: CustomerId) -> Result<(), StoreError> {
    let row = tx.get::<customer::Entity>(id.0).await?;
    if row.erased_at.is_some() || row.merged_into.is_some() {
        return Ok(());
    }
    let vehicles = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::CustomerId.eq(id.0)),
        )
        .await?;
    let national = row
        .phone
        .as_deref()
        .and_then(|p| PhoneE164::parse(p, None).ok())
        .map(|p| p.national_digits());
    let mut parts: Vec<&str> = vec![&row.name];
    parts.extend(row.email.as_deref());
    parts.extend(row.phone.as_deref());
    parts.extend(national.as_deref());
    parts.extend(row.company.as_deref());
    for v in &vehicles {
        parts.extend(v.plate.as_deref());
        parts.extend(v.vin.as_deref());
    }
    let text = search_text(parts);
    if text != row.search {
        let mut active = row.into_active_model();
        active.search = Set(text);
        tx.update(active).await?;
    }
    Ok(())
}

pub(crate) fn new_customer(
    tenant: Uuid,
    contact: Contact,
    now: DateTime<Utc>,
) -> customer::ActiveModel {
    customer::ActiveModel {
        tenant_id: Set(tenant),
        id: Set(Uuid::now_v7()),
        name: Set(contact.name),
        email: Set(contact.email),
        phone: Set(contact.phone),
        company: Set(contact.company),
        address: Set(contact.address),
        tags: Set(contact.tags),
        email_consent_at: Set(None),
        email_consent_source: Set(None),
        sms_consent_at: Set(None),
        sms_consent_source: Set(None),
        marketing_consent_at: Set(None),
        marketing_consent_source: Set(None),
        marketing_unsubscribed_at: Set(None),
        user_id: Set(None),
        merged_into: Set(None),
        erased_at: Set(None),
        search: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

pub async fn create(
    fd: &FrontDesk,
    actor: &Actor,
    input: CustomerInput,
    consent: Option<ConsentChange>,
) -> Result<customer::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let contact = parse_contact(&input, tenant_country(&tx).await?.as_deref())?;
    let row = tx
        .insert(new_customer(tx.tenant_id().0, contact, Utc::now()))
        .await?;
    if let Some(consent) = consent {
        apply_consent(&tx, row.clone(), &consent).await?;
    }
    refresh_search(&tx, CustomerId(row.id)).await?;
    let row = tx.get::<customer::Entity>(row.id).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn update(
    fd: &FrontDesk,
    actor: &Actor,
    id: CustomerId,
    input: CustomerInput,
) -> Result<customer::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let contact = parse_contact(&input, tenant_country(&tx).await?.as_deref())?;
    let row = live_customer(&tx, id).await?;
    let mut active = row.into_active_model();
    active.name = Set(contact.name);
    active.email = Set(contact.email);
    active.phone = Set(contact.phone);
    active.company = Set(contact.company);
    active.address = Set(contact.address);
    active.tags = Set(contact.tags);
    active.updated_at = Set(Utc::now());
    tx.update(active).await?;
    refresh_search(&tx, id).await?;
    let row = tx.get::<customer::Entity>(id.0).await?;
    for hook in fd.customer_hooks.iter() {
        hook.renamed(&tx, id, &row.name).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// Where a message about the customer's own business reaches them: by SMS when they agreed
/// to texts, else by e-mail; `None` when neither is known.
pub fn reach(customer: &customer::Model) -> Option<pitlane_notify::Recipient> {
    let email = customer.email.as_deref().and_then(|e| Email::parse(e).ok());
    let phone = customer
        .phone
        .as_deref()
        .filter(|_| customer.sms_consent_at.is_some())
        .and_then(|p| PhoneE164::parse(p, None).ok());
    match (phone, email) {
        (Some(phone), _) => Some(pitlane_notify::Recipient::Sms {
            phone: phone.as_str().to_owned(),
        }),
        (None, Some(address)) => Some(pitlane_notify::Recipient::Email {
            address,
            name: Some(customer.name.clone()),
        }),
        (None, None) => None,
    }
}

/// A customer that is still a customer: merged-away and erased records answer 404.
pub(crate) async fn live_customer(
    tx: &TenantTx,
    id: CustomerId,
) -> Result<customer::Model, ServiceError> {
    let row = tx.get::<customer::Entity>(id.0).await?;
    if row.merged_into.is_some() || row.erased_at.is_some() {
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

/// A customer named in a form field rather than in the path: unknown is a field error.
pub async fn known_customer(
    tx: &TenantTx,
    id: CustomerId,
    field: &str,
) -> Result<customer::Model, ServiceError> {
    live_customer(tx, id).await.map_err(|e| match e {
        ServiceError::NotFound => {
            FieldErrors::single(field, "no such customer in this workshop").into()
        }
        other => other,
    })
}

pub async fn get(
    fd: &FrontDesk,
    actor: &Actor,
    id: CustomerId,
) -> Result<customer::Model, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = live_customer(&tx, id).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn set_consent(
    fd: &FrontDesk,
    actor: &Actor,
    id: CustomerId,
    change: ConsentChange,
) -> Result<customer::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    if change.source.trim().is_empty()
        && [change.email, change.sms, change.marketing].contains(&Some(true))
    {
        return Err(FieldErrors::single(
            "source",
            "say how the customer gave consent (for example: signed at the front desk)",
        )
        .into());
    }
    if change.source.chars().count() > 200 {
        return Err(FieldErrors::single("source", "must be at most 200 characters").into());
    }
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = live_customer(&tx, id).await?;
    let updated = apply_consent(&tx, row, &change).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("customer.consent_changed")
            .subject(updated.name.clone())
            .detail(consent_summary(&change).into()),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

fn consent_summary(change: &ConsentChange) -> String {
    let word = |v: Option<bool>| match v {
        Some(true) => "given",
        Some(false) => "withdrawn",
        None => "unchanged",
    };
    format!(
        "e-mail {}, SMS {}, marketing {} ({})",
        word(change.email),
        word(change.sms),
        word(change.marketing),
        change.source.trim()
    )
}

/// Writes a consent change; SMS consent also goes to the notification platform's record,
/// which every SMS is checked against when it is sent.
pub(crate) async fn apply_consent(
    tx: &TenantTx,
    row: customer::Model,
    change: &ConsentChange,
) -> Result<customer::Model, ServiceError> {
    let now = Utc::now();
    let source = Some(change.source.trim().to_owned());
    let phone = row.phone.clone();
    let mut active = row.into_active_model();
    match change.email {
        Some(true) => {
            active.email_consent_at = Set(Some(now));
            active.email_consent_source = Set(source.clone());
        }
        Some(false) => {
            active.email_consent_at = Set(None);
            active.email_consent_source = Set(None);
        }
        None => {}
    }
    match change.sms {
        Some(true) => {
            active.sms_consent_at = Set(Some(now));
            active.sms_consent_source = Set(source.clone());
        }
        Some(false) => {
            active.sms_consent_at = Set(None);
            active.sms_consent_source = Set(None);
        }
        None => {}
    }
    match change.marketing {
        Some(true) => {
            active.marketing_consent_at = Set(Some(now));
            active.marketing_consent_source = Set(source.clone());
            active.marketing_unsubscribed_at = Set(None);
        }
        Some(false) => {
            active.marketing_consent_at = Set(None);
            active.marketing_consent_source = Set(None);
            active.marketing_unsubscribed_at = Set(Some(now));
        }
        None => {}
    }
    active.updated_at = Set(now);
    let updated = tx.update(active).await?;
    if let Some(phone) = phone.and_then(|p| PhoneE164::parse(&p, None).ok()) {
        match change.sms {
            Some(true) => {
                pitlane_notify::consent::record_consent(tx, &phone, change.source.trim()).await?
            }
            Some(false) => pitlane_notify::consent::record_opt_out(tx, &phone).await?,
            None => {}
        }
    }
    Ok(updated)
}

/// How a list of customers is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerSort {
    #[default]
    Name,
    NameDesc,
    Newest,
    Oldest,
}

impl CustomerSort {
    /// The order's name as the list's `sort` parameter spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::NameDesc => "-name",
            Self::Newest => "-created",
            Self::Oldest => "created",
        }
    }

    pub fn parse(raw: Option<&str>) -> Result<Self, ServiceError> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "name" => Ok(Self::Name),
            "-name" => Ok(Self::NameDesc),
            "-created" => Ok(Self::Newest),
            "created" => Ok(Self::Oldest),
            other => Err(FieldErrors::single(
                "sort",
                format!("{other:?} is not a sort order; use name, -name, created or -created"),
            )
            .into()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// Any fragment of a name, e-mail, phone number, plate or VIN.
    pub q: Option<String>,
    pub tag: Option<String>,
    pub sort: CustomerSort,
    pub cursor: Option<String>,
    pub limit: u64,
}

pub struct CustomerPage {
    pub items: Vec<customer::Model>,
    pub next_cursor: Option<String>,
}

pub async fn list(
    fd: &FrontDesk,
    actor: &Actor,
    query: CustomerQuery,
) -> Result<CustomerPage, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let limit = query.limit.clamp(1, 200);
    let mut select = customer::Entity::find()
        .filter(customer::Column::MergedInto.is_null())
        .filter(customer::Column::ErasedAt.is_null());
    let tag = query
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase);
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let tx = fd.store.read_tx(&TenantCtx::of(actor)).await?;
    let mut by_ids = false;
    if let Some(needle) = query.q.as_deref().and_then(needle) {
        let pattern = contains_pattern(&needle);
        // On PostgreSQL the search function finds the page's matches by whichever index
        // suits the fragment; with a tag as well, the tag's filter below narrows a LIKE.
        let page = match tag {
            None => {
                let after = after.as_ref().map(|(name, id)| (name.as_str(), *id));
                tx.customer_search_page(&pattern, query.sort.as_str(), after, limit as u32 + 1)
                    .await?
            }
            Some(_) => None,
        };
        select = match page {
            Some(ids) => {
                by_ids = true;
                select.filter(customer::Column::Id.is_in(ids))
            }
            None => select.filter(
                Expr::col(customer::Column::Search).like(LikeExpr::new(pattern).escape('\\')),
            ),
        };
    }
    if let Some(tag) = tag {
        let c = customer::Column::Tags;
        select = select.filter(
            Condition::any()
                .add(c.eq(tag.clone()))
                .add(
                    Expr::col(c)
                        .like(LikeExpr::new(format!("{},%", like_escape(&tag))).escape('\\')),
                )
                .add(
                    Expr::col(c)
                        .like(LikeExpr::new(format!("%,{}", like_escape(&tag))).escape('\\')),
                )
                .add(
                    Expr::col(c)
                        .like(LikeExpr::new(format!("%,{},%", like_escape(&tag))).escape('\\')),
                ),
        );
    }
    let (name, id) = (customer::Column::Name, customer::Column::Id);
    select = match query.sort {
        CustomerSort::Name | CustomerSort::NameDesc => {
            let asc = query.sort == CustomerSort::Name;
            if let Some((value, last)) = &after {
                let (past_name, past_id) = if asc {
                    (name.gt(value.clone()), id.gt(*last))
                } else {
                    (name.lt(value.clone()), id.lt(*last))
                };
                select = select.filter(
                    Condition::any()
                        .add(past_name)
                        .add(Condition::all().add(name.eq(value.clone())).add(past_id)),
                );
            }
            // With the matches already found by id, sorting those few is cheaper than walking
            // the name index and testing each row against the list, which the planner would
            // otherwise choose; `name || ''` sorts the same but cannot use the index.
            let order = if by_ids {
                Expr::cust(r#""customers"."name" || ''"#)
            } else {
                Expr::col((customer::Entity, name))
            };
            let direction = if asc { Order::Asc } else { Order::Desc };
            select
                .order_by(order, direction.clone())
                .order_by(id, direction)
        }
        CustomerSort::Newest | CustomerSort::Oldest => {
            let asc = query.sort == CustomerSort::Oldest;
            if let Some((_, last)) = &after {
                select = select.filter(if asc { id.gt(*last) } else { id.lt(*last) });
            }
            if asc {
                select.order_by_asc(id)
            } else {
                select.order_by_desc(id)
            }
        }
    };
    let mut items = tx.all(select.limit(limit + 1)).await?;
    tx.commit().await?;
    let next_cursor = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().map(|last| encode_cursor(&last.name, last.id))
    } else {
        None
    };
    Ok(CustomerPage { items, next_cursor })
}

pub async fn add_note(
    fd: &FrontDesk,
    actor: &Actor,
    customer_id: CustomerId,
    body: &str,
) -> Result<customer_note::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let body = body.trim();
    if body.is_empty() {
        return Err(FieldErrors::single("body", "write the note first").into());
    }
    if body.chars().count() > 5000 {
        return Err(FieldErrors::single("body", "must be at most 5,000 characters").into());
    }
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    live_customer(&tx, customer_id).await?;
    let note = tx
        .insert(customer_note::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            customer_id: Set(customer_id.0),
            body: Set(body.to_owned()),
            author_name: Set(author_name(&tx, actor).await?),
            created_at: Set(Utc::now()),
        })
        .await?;
    tx.commit().await?;
    Ok(note)
}

/// A page of a customer's notes, newest first (by id): `after` is the last id of the page
/// before.
pub async fn notes(
    fd: &FrontDesk,
    actor: &Actor,
    customer_id: CustomerId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<pitlane_store::Page<customer_note::Model>, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    live_customer(&tx, customer_id).await?;
    let notes = tx
        .page_newest(
            tx.select::<customer_note::Entity>()
                .filter(customer_note::Column::CustomerId.eq(customer_id.0)),
            after,
            limit.clamp(1, 200),
        )
        .await?;
    tx.commit().await?;
    Ok(notes)
}

async fn notes_in(
    tx: &TenantTx,
    customer_id: CustomerId,
) -> Result<Vec<customer_note::Model>, StoreError> {
    tx.all(
        tx.select::<customer_note::Entity>()
            .filter(customer_note::Column::CustomerId.eq(customer_id.0))
            .order_by_desc(customer_note::Column::Id),
    )
    .await
}

/// Everything the customer's page shows.
pub struct CustomerHistory {
    pub customer: customer::Model,
    pub notes: Vec<customer_note::Model>,
    pub vehicles: Vec<vehicle::Model>,
    pub appointments: Vec<appointment::Model>,
}

pub async fn history(
    fd: &FrontDesk,
    actor: &Actor,
    id: CustomerId,
) -> Result<CustomerHistory, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let customer = live_customer(&tx, id).await?;
    let notes = notes_in(&tx, id).await?;
    let vehicles = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::CustomerId.eq(id.0))
                .order_by_asc(vehicle::Column::Id),
        )
        .await?;
    let appointments = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::CustomerId.eq(id.0))
                .order_by_desc(appointment::Column::StartsAt)
                .limit(200),
        )
        .await?;
    tx.commit().await?;
    Ok(CustomerHistory {
        customer,
        notes,
        vehicles,
        appointments,
    })
}

/// Folds `duplicate` into `keep`: vehicles, ownership history, appointments, notes and the
/// conversation move over; details `keep` lacks are taken from `duplicate`; the duplicate is
/// kept only as a pointer to `keep`, so old links still lead somewhere.
pub async fn merge(
    fd: &FrontDesk,
    actor: &Actor,
    keep: CustomerId,
    duplicate: CustomerId,
) -> Result<customer::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    if keep == duplicate {
        return Err(
            FieldErrors::single("duplicate_id", "choose a different customer to merge").into(),
        );
    }
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let kept = live_customer(&tx, keep).await?;
    let dup = known_customer(&tx, duplicate, "duplicate_id").await?;

    tx.update_all(
        vehicle::Entity::update_many()
            .col_expr(vehicle::Column::CustomerId, Expr::value(keep.0))
            .filter(vehicle::Column::CustomerId.eq(duplicate.0)),
    )
    .await?;
    tx.update_all(
        vehicle_owner::Entity::update_many()
            .col_expr(vehicle_owner::Column::CustomerId, Expr::value(keep.0))
            .col_expr(
                vehicle_owner::Column::OwnerName,
                Expr::value(kept.name.clone()),
            )
            .filter(vehicle_owner::Column::CustomerId.eq(duplicate.0)),
    )
    .await?;
    tx.update_all(
        appointment::Entity::update_many()
            .col_expr(appointment::Column::CustomerId, Expr::value(keep.0))
            .filter(appointment::Column::CustomerId.eq(duplicate.0)),
    )
    .await?;
    for hook in fd.customer_hooks.iter() {
        hook.merged(&tx, keep, duplicate).await?;
    }
    tx.update_all(
        customer_note::Entity::update_many()
            .col_expr(customer_note::Column::CustomerId, Expr::value(keep.0))
            .filter(customer_note::Column::CustomerId.eq(duplicate.0)),
    )
    .await?;
    merge_conversations(&tx, keep, duplicate).await?;
    crate::feedback::merge_in(&tx, keep.0, duplicate.0).await?;

    let mut tags = tags_of(&kept);
    tags.extend(tags_of(&dup));
    let tags = parse_tags(&tags).unwrap_or_else(|_| kept.tags.clone());
    let earliest = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (Some(a), Some(b)) => Some(Ord::min(a, b)),
        (a, b) => a.or(b),
    };
    let mut active = kept.clone().into_active_model();
    active.email = Set(kept.email.clone().or(dup.email.clone()));
    active.phone = Set(kept.phone.clone().or(dup.phone.clone()));
    active.company = Set(kept.company.clone().or(dup.company.clone()));
    active.address = Set(kept.address.clone().or(dup.address.clone()));
    active.user_id = Set(kept.user_id.or(dup.user_id));
    active.tags = Set(tags);
    if kept.email_consent_at.is_none() {
        active.email_consent_at = Set(dup.email_consent_at);
        active.email_consent_source = Set(dup.email_consent_source.clone());
    }
    if kept.sms_consent_at.is_none() {
        active.sms_consent_at = Set(dup.sms_consent_at);
        active.sms_consent_source = Set(dup.sms_consent_source.clone());
    }
    // An unsubscribe on either record wins: the person said no.
    let unsubscribed = earliest(
        kept.marketing_unsubscribed_at,
        dup.marketing_unsubscribed_at,
    );
    if unsubscribed.is_some() {
        active.marketing_consent_at = Set(None);
        active.marketing_consent_source = Set(None);
        active.marketing_unsubscribed_at = Set(unsubscribed);
    } else if kept.marketing_consent_at.is_none() {
        active.marketing_consent_at = Set(dup.marketing_consent_at);
        active.marketing_consent_source = Set(dup.marketing_consent_source.clone());
    }
    active.updated_at = Set(Utc::now());
    tx.update(active).await?;

    let mut gone = dup.clone().into_active_model();
    gone.merged_into = Set(Some(keep.0));
    gone.user_id = Set(None);
    gone.search = Set(String::new());
    gone.updated_at = Set(Utc::now());
    tx.update(gone).await?;
    refresh_search(&tx, keep).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("customer.merged")
            .subject(kept.name.clone())
            .detail(
                serde_json::json!({"merged": dup.id, "merged_name": dup.name, "into": kept.id}),
            ),
    )
    .await?;
    let merged = tx.get::<customer::Entity>(keep.0).await?;
    for hook in fd.customer_hooks.iter() {
        hook.renamed(&tx, keep, &merged.name).await?;
    }
    tx.commit().await?;
    Ok(merged)
}

async fn merge_conversations(
    tx: &TenantTx,
    keep: CustomerId,
    duplicate: CustomerId,
) -> Result<(), StoreError> {
    let of = |id: CustomerId| {
        tx.first(
            tx.select::<conversation::Entity>()
                .filter(conversation::Column::CustomerId.eq(id.0)),
        )
    };
    let (kept, dup) = (of(keep).await?, of(duplicate).await?);
    match (kept, dup) {
        (_, None) => {}
        (None, Some(dup)) => {
            let mut active = dup.into_active_model();
            active.customer_id = Set(keep.0);
            tx.update(active).await?;
        }
        (Some(kept), Some(dup)) => {
            tx.update_all(
                conversation_message::Entity::update_many()
                    .col_expr(
                        conversation_message::Column::ConversationId,
                        Expr::value(kept.id),
                    )
                    .filter(conversation_message::Column::ConversationId.eq(dup.id)),
            )
            .await?;
            let mut active = kept.clone().into_active_model();
            active.unread_for_staff = Set(kept.unread_for_staff + dup.unread_for_staff);
            if dup.last_message_at > kept.last_message_at {
                active.last_message_at = Set(dup.last_message_at);
                active.last_message_preview = Set(dup.last_message_preview.clone());
            }
            tx.update(active).await?;
            tx.delete::<conversation::Entity>(dup.id).await?;
        }
    }
    Ok(())
}

/// The customer record of a signed-in customer's login in this workshop, made on first use
/// or claimed when staff had already created one with the same e-mail address.
pub async fn of_user(
    tx: &TenantTx,
    user_id: Uuid,
    email: &str,
    name: &str,
) -> Result<customer::Model, ServiceError> {
    let live = Condition::all()
        .add(customer::Column::MergedInto.is_null())
        .add(customer::Column::ErasedAt.is_null());
    if let Some(row) = tx
        .first(
            tx.select::<customer::Entity>()
                .filter(live.clone())
                .filter(customer::Column::UserId.eq(user_id)),
        )
        .await?
    {
        return Ok(row);
    }
    let unclaimed = tx
        .first(
            tx.select::<customer::Entity>()
                .filter(live)
                .filter(customer::Column::UserId.is_null())
                .filter(customer::Column::Email.eq(email.to_lowercase()))
                .order_by_asc(customer::Column::Id),
        )
        .await?;
    let row = match unclaimed {
        Some(row) => {
            let mut active = row.into_active_model();
            active.user_id = Set(Some(user_id));
            tx.update(active).await?
        }
        None => {
            let contact = Contact {
                name: name.to_owned(),
                email: Some(email.to_lowercase()),
                phone: None,
                company: None,
                address: None,
                tags: String::new(),
            };
            let mut row = new_customer(tx.tenant_id().0, contact, Utc::now());
            row.user_id = Set(Some(user_id));
            tx.insert(row).await?
        }
    };
    refresh_search(tx, CustomerId(row.id)).await?;
    Ok(row)
}
