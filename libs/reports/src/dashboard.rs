//! The dashboard: how today and this week are going at one branch, or at every branch the
//! reader may see (the chain's roll-up), on the branch's clock. Read in one transaction, each
//! part only for readers whose role shows it; every tile links to the list behind it. Only the
//! week's sums are planned for their values; everything else keeps generic plans.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    invoicing::PaymentMethod,
    permissions::Permission,
    repair_order::RepairOrderStatus,
    reports::{Dimension, Figures, Period, Preset, period::local_day},
};
use pitlane_store::{
    TenantCtx,
    entity::{appointment, branch, outbox, time_entry},
    sea_orm::{ColumnTrait, QueryFilter},
};
use uuid::Uuid;

use crate::{Reports, names, scope::Scope};

/// Today's money and the week's progress (readers with `reports.view`).
#[derive(Debug, Clone, Default)]
pub struct Takings {
    pub today: Figures,
    pub week: Figures,
    /// The week's goal: the shown branches' weekly goals together (0: none set).
    pub weekly_goal: i64,
    /// Payments received today by method (label, amount), largest first.
    pub payments_today: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Default)]
pub struct Appointments {
    /// Booked for today and not here yet.
    pub due: u64,
    /// Checked in (or already a repair order).
    pub arrived: u64,
    pub no_shows: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Board {
    /// Open orders by status, in the life cycle's order.
    pub by_status: Vec<(RepairOrderStatus, u64)>,
    /// Open orders promised for a time already past.
    pub overdue: u64,
}

impl Board {
    pub fn count(&self, status: RepairOrderStatus) -> u64 {
        self.by_status
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }

    pub fn open(&self) -> u64 {
        self.by_status.iter().map(|(_, n)| n).sum()
    }
}

/// A mechanic at work today.
#[derive(Debug, Clone)]
pub struct Mechanic {
    pub id: Uuid,
    pub name: String,
    /// On the clock right now.
    pub clocked_in: bool,
    /// Billed hours on today's invoices, in thousandths.
    pub billed_today_milli: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Unpaid {
    pub invoices: u64,
    pub total: i64,
    /// The unpaid invoice due longest ago: its number and due time.
    pub oldest: Option<(String, DateTime<Utc>, Uuid)>,
}

/// What the dashboard shows; a part is `None` when the reader's role does not show it.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Every branch the reader may see.
    pub branches: Vec<branch::Model>,
    /// The one branch shown; `None` is all of them.
    pub branch: Option<branch::Model>,
    pub today: NaiveDate,
    pub currency: String,
    pub takings: Option<Takings>,
    pub appointments: Option<Appointments>,
    pub board: Option<Board>,
    pub mechanics: Option<Vec<Mechanic>>,
    pub unpaid: Option<Unpaid>,
    pub low_stock: Option<u64>,
    pub unread_conversations: Option<u64>,
    pub dead_letters: Option<u64>,
    /// The reader's own weekly digest choice (with `reports.view`).
    pub digest: Option<crate::digest::Digest>,
}

/// Reads the dashboard of one branch, or of every branch the reader may see.
pub async fn glance(
    reports: &Reports,
    actor: &Actor,
    branch_id: Option<Uuid>,
) -> Result<Dashboard, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = reports.store().read_tx(&TenantCtx::of(actor)).await?;
    let query = crate::ReportQuery {
        preset: Some("today".into()),
        branch_id,
        ..Default::default()
    };
    let scope = Scope::in_tx_generally_planned(tx, actor, crate::ReportKind::Sales, &query).await?;
    let now = Utc::now();
    let today = Period::to_date(Preset::Today, scope.today);
    let branch = scope.branch_id();

    let shows_money = actor.can(Permission::ReportsView);
    // The week's sums by payment method, by mechanic and in all, each split into today and
    // the days before: one statement for the money tiles and the mechanics' billed hours.
    let sums = if shows_money {
        let week = Period::to_date(Preset::Week, scope.today);
        // The week's figures of one branch or of a whole chain: planned for this workshop's
        // size (a generic plan made for small workshops was twelve times slower for a large
        // chain). The dashboard's other statements read what is open now, the same way at
        // any size, and keep their generic plans.
        scope.tx.plan_for_values().await?;
        let mut sums = scope
            .tx
            .sum_figures_split(
                &[Dimension::All, Dimension::Method, Dimension::Technician],
                (week.from.min(today.from), today.to),
                today.from,
                branch,
            )
            .await?;
        scope.tx.plan_generally().await?;
        sums.sort_by(|a, b| a.key.cmp(&b.key));
        sums
    } else {
        Vec::new()
    };
    let of = |dimension: Dimension, today_only: bool| {
        sums.iter()
            .filter(move |s| s.dimension == dimension.key() && (s.recent || !today_only))
    };
    let takings = if shows_money {
        let mut payments: Vec<(String, i64)> = of(Dimension::Method, true)
            .map(|s| {
                let label = PaymentMethod::parse(&s.key)
                    .map_or_else(|| s.key.clone(), |m| m.label().to_owned());
                (label, s.figures.payments_minor)
            })
            .filter(|(_, amount)| *amount != 0)
            .collect();
        payments.sort_by_key(|(_, amount)| -amount);
        Some(Takings {
            today: of(Dimension::All, true).map(|s| s.figures).sum(),
            week: of(Dimension::All, false).map(|s| s.figures).sum(),
            weekly_goal: scope
                .shown_branches()
                .iter()
                .map(|b| b.weekly_sales_goal_minor)
                .sum(),
            payments_today: payments,
        })
    } else {
        None
    };

    let appointments = if actor.can(Permission::CustomersRead) {
        // One query over the widest stretch the branches' todays cover, each appointment then
        // placed on its own branch's day (a chain may span time zones).
        let shown = scope.shown_branches();
        let days: std::collections::HashMap<Uuid, (DateTime<Utc>, DateTime<Utc>)> = shown
            .iter()
            .map(|b| {
                (
                    b.id,
                    today.bounds(pitlane_domain::reports::period::zone(&b.time_zone)),
                )
            })
            .collect();
        let from = days.values().map(|d| d.0).min().unwrap_or(now);
        let until = days.values().map(|d| d.1).max().unwrap_or(now);
        let mut query = scope
            .tx
            .select::<appointment::Entity>()
            .filter(appointment::Column::StartsAt.gte(from))
            .filter(appointment::Column::StartsAt.lt(until));
        if let Some(branch) = branch {
            query = query.filter(appointment::Column::BranchId.eq(branch));
        }
        let mut out = Appointments::default();
        for a in scope.tx.all(query).await? {
            let Some((start, end)) = days.get(&a.branch_id) else {
                continue;
            };
            if a.starts_at < *start || a.starts_at >= *end {
                continue;
            }
            match a.status.as_str() {
                "requested" | "confirmed" => out.due += 1,
                "checked_in" | "converted" => out.arrived += 1,
                "no_show" => out.no_shows += 1,
                _ => {}
            }
        }
        Some(out)
    } else {
        None
    };

    // The tiles' counts in one statement, each only for readers whose role shows it.
    let tx = &scope.tx;
    let mut counted = Vec::new();
    let mut count_if = |shown: bool, query: pitlane_store::Counted| {
        shown.then(|| {
            counted.push(query);
            counted.len() - 1
        })
    };
    let overdue = count_if(
        actor.can(Permission::RepairOrdersRead),
        tx.counted(pitlane_workshop::orders::overdue(tx, branch, now)),
    );
    let low_stock = count_if(
        actor.can(Permission::InventoryRead),
        tx.counted(pitlane_inventory::stock::low(tx)),
    );
    let unread_conversations = count_if(
        actor.can(Permission::CustomersRead),
        tx.counted(pitlane_frontdesk::conversations::unread(tx)),
    );
    let dead_letters = count_if(
        actor.can(Permission::SettingsManage),
        tx.counted(
            tx.select::<outbox::Entity>()
                .filter(outbox::Column::Status.eq("dead")),
        ),
    );
    let counts = tx.counts(counted).await?;
    let count = |at: Option<usize>| at.map(|i| counts[i]);
    let (overdue, low_stock, unread_conversations, dead_letters) = (
        count(overdue),
        count(low_stock),
        count(unread_conversations),
        count(dead_letters),
    );

    let board = match overdue {
        Some(overdue) => Some(Board {
            by_status: pitlane_workshop::orders::open_counts_in(&scope.tx, branch).await?,
            overdue,
        }),
        None => None,
    };

    let mechanics = if actor.can(Permission::ReportsView) {
        let running: HashSet<Uuid> = scope
            .tx
            .all(
                scope
                    .tx
                    .select::<time_entry::Entity>()
                    .filter(time_entry::Column::EndedAt.is_null()),
            )
            .await?
            .into_iter()
            .map(|e| e.mechanic_id)
            .collect();
        let billed: BTreeMap<String, i64> = of(Dimension::Technician, true)
            .map(|s| (s.key.clone(), s.figures.billed_hours_milli))
            .collect();
        let staff = names::staff(&scope.tx).await?;
        let mechanics: Vec<Uuid> = staff
            .iter()
            .filter(|m| m.role == "mechanic" && m.active)
            .map(|m| m.id)
            .chain(running.iter().copied())
            .chain(billed.keys().filter_map(|k| k.parse().ok()))
            .collect::<std::collections::BTreeSet<Uuid>>()
            .into_iter()
            .collect();
        let names: std::collections::HashMap<Uuid, String> =
            staff.into_iter().map(|m| (m.id, m.name)).collect();
        let mut out: Vec<Mechanic> = mechanics
            .into_iter()
            .map(|id| Mechanic {
                id,
                name: names::member_label(&names, &id.to_string(), "A mechanic"),
                clocked_in: running.contains(&id),
                billed_today_milli: billed.get(&id.to_string()).copied().unwrap_or(0),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Some(out)
    } else {
        None
    };

    let unpaid = if actor.can(Permission::RepairOrdersRead) {
        let (invoices, total, oldest) = scope.unpaid_summary().await?;
        Some(Unpaid {
            invoices,
            total,
            oldest: oldest
                .and_then(|i| Some((i.number.clone().unwrap_or_default(), i.due_at?, i.id))),
        })
    } else {
        None
    };

    let digest = if actor.can(Permission::ReportsView) {
        Some(crate::digest::preference_in(&scope.tx, actor).await?)
    } else {
        None
    };
    let today = scope.today;
    let Scope {
        tx,
        branches,
        branch,
        currency,
        ..
    } = scope;
    tx.commit().await?;
    Ok(Dashboard {
        branches,
        branch,
        today,
        currency,
        takings,
        appointments,
        board,
        mechanics,
        unpaid,
        low_stock,
        unread_conversations,
        dead_letters,
        digest,
    })
}

/// A branch's weekly sales goal and its digest hour, set by the owner.
#[derive(Debug, Clone, Default)]
pub struct GoalInput {
    /// The week's net sales goal as typed (`12000`, `12,000.00`); empty clears it.
    pub weekly_goal: String,
}

/// Sets a branch's weekly sales goal (the dashboard's progress bar).
pub async fn set_weekly_goal(
    reports: &Reports,
    actor: &Actor,
    branch_id: Uuid,
    input: &GoalInput,
) -> Result<branch::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = reports.store().tx(&TenantCtx::of(actor)).await?;
    let currency = tx.currency().await?;
    let raw = input.weekly_goal.trim();
    let goal = if raw.is_empty() {
        0
    } else {
        pitlane_domain::money::parse_amount(raw, &currency)
            .map_err(|e| FieldErrors::single("weekly_goal", e))?
    };
    let row = tx.get_for_update::<branch::Entity>(branch_id).await?;
    let mut active: branch::ActiveModel = row.into();
    active.weekly_sales_goal_minor = pitlane_store::sea_orm::ActiveValue::Set(goal);
    active.updated_at = pitlane_store::sea_orm::ActiveValue::Set(Utc::now());
    let row = tx.update(active).await?;
    tx.commit().await?;
    Ok(row)
}

/// The local day an instant falls on at a branch (for the pages' "due" dates).
pub fn day_at(branch: Option<&branch::Model>, at: DateTime<Utc>) -> NaiveDate {
    local_day(
        at,
        branch.map_or(chrono_tz::Tz::UTC, |b| {
            pitlane_domain::reports::period::zone(&b.time_zone)
        }),
    )
}
