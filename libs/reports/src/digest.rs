//! The dashboard by e-mail: a member who may read reports asks for it daily or weekly (on the
//! dashboard); the hourly round sends it through the notification platform once the morning
//! hour of the workshop's first branch has come (weekly ones on Monday), at most once a day,
//! with what happened yesterday (or last week) and how the floor and the money stand now.

use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike, Utc, Weekday};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    messages::MessageKind,
    money::format_amount,
    permissions::Permission,
    reports::period::zone,
    text::{CurrencyCode, Email},
};
use pitlane_notify::{OutgoingMessage, Recipient};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{branch, membership, user},
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder},
};

use crate::{ReportKind, ReportQuery, Reports, dashboard};

/// How often a member gets the dashboard by e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Off,
    Daily,
    Weekly,
}

impl Digest {
    pub const ALL: [Digest; 3] = [Digest::Off, Digest::Daily, Digest::Weekly];

    pub fn key(self) -> &'static str {
        match self {
            Digest::Off => "off",
            Digest::Daily => "daily",
            Digest::Weekly => "weekly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Digest::Off => "No e-mail",
            Digest::Daily => "Every morning",
            Digest::Weekly => "Monday mornings",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.key() == key)
    }
}

/// The caller's own choice, in the dashboard's transaction (the caller has checked
/// `reports.view`).
pub(crate) async fn preference_in(tx: &TenantTx, actor: &Actor) -> Result<Digest, ServiceError> {
    let me = tx.get::<membership::Entity>(actor.membership_id.0).await?;
    Ok(Digest::parse(&me.digest).unwrap_or(Digest::Off))
}

/// Sets the caller's own choice.
pub async fn choose(
    reports: &Reports,
    actor: &Actor,
    choice: &str,
) -> Result<Digest, ServiceError> {
    actor.require(Permission::ReportsView)?;
    let digest = Digest::parse(choice)
        .ok_or_else(|| FieldErrors::single("digest", "choose off, daily or weekly"))?;
    let tx = reports.store().tx(&TenantCtx::of(actor)).await?;
    let me = tx.get::<membership::Entity>(actor.membership_id.0).await?;
    let mut row: membership::ActiveModel = me.into();
    row.digest = Set(digest.key().to_owned());
    tx.update(row).await?;
    tx.commit().await?;
    Ok(digest)
}

/// Sends the digests that are due at `now` in one workshop; returns how many were written.
/// A member gets one a day at most (their `digest_sent_on`, and the message's key).
pub async fn sweep(
    reports: &Reports,
    ctx: &TenantCtx,
    now: DateTime<Utc>,
    site: &str,
) -> Result<u64, ServiceError> {
    let tx = reports.store().tx(ctx).await?;
    let Some(first) = tx
        .first(
            tx.select::<branch::Entity>()
                .order_by_asc(branch::Column::Id),
        )
        .await?
    else {
        tx.commit().await?;
        return Ok(0);
    };
    let tz = zone(&first.time_zone);
    let local = now.with_timezone(&tz);
    let today = local.date_naive();
    if (local.hour() as i32) < first.digest_hour {
        tx.commit().await?;
        return Ok(0);
    }
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active"))
                .filter(membership::Column::Digest.is_in(["daily", "weekly"])),
        )
        .await?;
    let mut due = Vec::new();
    for m in members {
        let weekly = m.digest == "weekly";
        if (weekly && today.weekday() != Weekday::Mon) || m.digest_sent_on == Some(today) {
            continue;
        }
        let actor = pitlane_identity::access::actor_of(&tx, &m).await?;
        if actor.can(Permission::ReportsView) {
            due.push((m, actor, weekly));
        }
    }
    tx.commit().await?;

    let mut sent = 0;
    for (m, actor, weekly) in due {
        let (from, to) = if weekly {
            (today - Days::new(7), today - Days::new(1))
        } else {
            (today - Days::new(1), today - Days::new(1))
        };
        let (headline, body) = compose(reports, &actor, from, to, weekly).await?;
        let tx = reports.store().tx(ctx).await?;
        let person = tx
            .people()
            .first(user::Entity::find().filter(user::Column::Id.eq(m.user_id)))
            .await?;
        let Some((address, name)) =
            person.and_then(|p| Email::parse(&p.email).ok().map(|e| (e, p.name)))
        else {
            tx.commit().await?;
            continue;
        };
        let mut row: membership::ActiveModel = m.clone().into();
        row.digest_sent_on = Set(Some(today));
        tx.update(row).await?;
        reports
            .billing
            .workshop
            .desk
            .outbox
            .enqueue(
                &tx,
                OutgoingMessage {
                    kind: MessageKind::DashboardDigest,
                    to: Recipient::Email {
                        address,
                        name: Some(name.clone()),
                    },
                    vars: [
                        ("name".to_owned(), name),
                        ("headline".to_owned(), headline),
                        ("body".to_owned(), body),
                        ("link".to_owned(), format!("{site}/portal")),
                    ]
                    .into_iter()
                    .collect(),
                    attachments: Vec::new(),
                    send_at: None,
                    idempotency_key: format!("digest:{}:{today}", m.id),
                },
            )
            .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// The digest's headline and text, from the reports the member may read.
async fn compose(
    reports: &Reports,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
    weekly: bool,
) -> Result<(String, String), ServiceError> {
    let sales = crate::run(
        reports,
        actor,
        ReportKind::Sales,
        &ReportQuery {
            preset: Some("custom".into()),
            from: Some(from.to_string()),
            to: Some(to.to_string()),
            ..Default::default()
        },
    )
    .await?;
    let d = dashboard::glance(reports, actor, None).await?;
    let currency =
        CurrencyCode::parse(&d.currency).map_err(|e| ServiceError::internal(e.to_string()))?;
    let money = |minor: i64| format_amount(minor, &currency);
    let figure = |key: &str| {
        sales
            .headlines
            .iter()
            .find(|h| h.key == key)
            .and_then(|h| h.current)
    };
    let when = if weekly {
        format!(
            "Last week ({} – {})",
            from.format("%-d %b"),
            to.format("%-d %b")
        )
    } else {
        format!("Yesterday ({})", from.format("%A %-d %B"))
    };
    let cars = figure("car_count").unwrap_or(0);
    let net = figure("net_sales").unwrap_or(0);
    let cars = match cars {
        1 => "1 car".to_owned(),
        n => format!("{n} cars"),
    };
    let headline = format!("{when}: {cars}, {} net sales", money(net));
    let mut lines = vec![format!(
        "{when}: {cars}, net sales {}, average repair order {}.",
        money(net),
        figure("average_repair_order").map_or_else(|| "—".to_owned(), money)
    )];
    if let Some(t) = &d.takings {
        let goal = if t.weekly_goal > 0 {
            format!(
                " of the {} goal ({} %)",
                money(t.weekly_goal),
                t.week.net_sales().max(0) * 100 / t.weekly_goal
            )
        } else {
            String::new()
        };
        lines.push(format!(
            "This week so far: {}{goal}.",
            money(t.week.net_sales())
        ));
    }
    if let Some(b) = &d.board {
        lines.push(format!(
            "On the board now: {} open repair orders, {} waiting for approval, {} waiting for parts, {} overdue.",
            b.open(),
            b.count(pitlane_domain::repair_order::RepairOrderStatus::SentForApproval),
            b.count(pitlane_domain::repair_order::RepairOrderStatus::WaitingForParts),
            b.overdue
        ));
    }
    if let Some(u) = &d.unpaid {
        lines.push(format!(
            "Unpaid invoices: {} ({}).",
            u.invoices,
            money(u.total)
        ));
    }
    let mut attention = Vec::new();
    if let Some(n) = d.unread_conversations {
        attention.push(format!("{n} unread conversations"));
    }
    if let Some(n) = d.low_stock {
        attention.push(format!("{n} parts low on stock"));
    }
    if let Some(n) = d.dead_letters {
        attention.push(format!("{n} failed messages"));
    }
    if !attention.is_empty() {
        lines.push(format!("Needs attention: {}.", attention.join(", ")));
    }
    Ok((headline, lines.join("\n\n")))
}
