//! The mechanics' work. An advisor assigns a job, or puts it on the **job board**, where
//! approved mechanics with the skill it needs apply and the advisor accepts one. Each mechanic
//! sees their jobs and runs a **time clock** per job (start, pause, finish; one running job at
//! a time, held by a unique index however two taps race). Clocked time against billed hours
//! gives technician efficiency; see the earnings module for pay.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    labour::{ClockAction, ClockError, ClockState, clock},
    permissions::{Permission, membership_permissions},
    repair_order::{RepairOrderStatus, display_number},
    text::optional_text,
};
use pitlane_frontdesk::vehicles;
use pitlane_notify::staff::{NewNotification, Notified, notify_users};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{
        job, job_application, mechanic_profile, membership, membership_branch, repair_order,
        repair_order_line, role, time_entry, user, vehicle,
    },
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
        QuerySelect, sea_query::Expr,
    },
};
use uuid::Uuid;

use crate::{Workshop, order, orders};

/// A member who may work jobs: active, with `jobs.work`.
pub async fn known_mechanic(
    tx: &TenantTx,
    membership_id: Uuid,
) -> Result<membership::Model, ServiceError> {
    let refuse = || FieldErrors::single("mechanic_id", "no such mechanic in this workshop");
    let member = match tx.get::<membership::Entity>(membership_id).await {
        Ok(m) => m,
        Err(pitlane_store::StoreError::NotFound) => return Err(refuse().into()),
        Err(e) => return Err(e.into()),
    };
    if member.status != "active" || !may_work(tx, &member).await? {
        return Err(refuse().into());
    }
    Ok(member)
}

pub async fn may_work(tx: &TenantTx, member: &membership::Model) -> Result<bool, ServiceError> {
    let custom = match member.custom_role_id {
        Some(id) => Some(tx.get::<role::Entity>(id).await?.permissions),
        None => None,
    };
    Ok(membership_permissions(&member.role, custom.as_deref())
        .is_some_and(|p| p.contains(Permission::JobsWork)))
}

/// The actor's membership, for "my jobs" and the clock.
async fn me(tx: &TenantTx, actor: &Actor) -> Result<membership::Model, ServiceError> {
    tx.first(
        tx.select::<membership::Entity>()
            .filter(membership::Column::UserId.eq(actor.user_id.0))
            .filter(membership::Column::Status.eq("active")),
    )
    .await?
    .ok_or(ServiceError::Forbidden(Permission::JobsWork.key()))
}

pub(crate) async fn has_time(tx: &TenantTx, job_id: Uuid) -> Result<bool, ServiceError> {
    Ok(tx
        .count(
            tx.select::<time_entry::Entity>()
                .filter(time_entry::Column::JobId.eq(job_id)),
        )
        .await?
        > 0)
}

fn skills_of(profile: Option<&mechanic_profile::Model>) -> Vec<String> {
    profile
        .map(|p| {
            p.skills
                .split(',')
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the member works at the branch (a member limited to some branches works only there).
pub async fn works_at(
    tx: &TenantTx,
    member: &membership::Model,
    branch_id: Uuid,
) -> Result<bool, ServiceError> {
    if !member.branch_limited {
        return Ok(true);
    }
    Ok(tx
        .count(
            tx.select::<membership_branch::Entity>()
                .filter(membership_branch::Column::MembershipId.eq(member.id))
                .filter(membership_branch::Column::BranchId.eq(branch_id)),
        )
        .await?
        > 0)
}

/// Whether the mechanic may take the job: its skill (if any) is theirs, and they work at its
/// branch.
async fn qualified(
    tx: &TenantTx,
    member: &membership::Model,
    job: &job::Model,
) -> Result<bool, ServiceError> {
    if !works_at(tx, member, job.branch_id).await? {
        return Ok(false);
    }
    let Some(skill) = &job.skill else {
        return Ok(true);
    };
    let profile = tx
        .first(
            tx.select::<mechanic_profile::Entity>()
                .filter(mechanic_profile::Column::MembershipId.eq(member.id)),
        )
        .await?;
    Ok(skills_of(profile.as_ref()).contains(skill))
}

async fn job_on_order(
    tx: &TenantTx,
    job_id: Uuid,
) -> Result<(job::Model, repair_order::Model), ServiceError> {
    let job = tx.get::<job::Entity>(job_id).await?;
    let order = tx.get::<repair_order::Entity>(job.repair_order_id).await?;
    Ok((job, order))
}

async fn title_for(
    tx: &TenantTx,
    job: &job::Model,
    order: &repair_order::Model,
) -> Result<String, ServiceError> {
    let vehicle = tx.get::<vehicle::Entity>(order.vehicle_id).await?;
    Ok(format!(
        "{} – {} ({})",
        display_number(order.number),
        job.title,
        vehicles::describe(&vehicle)
    ))
}

/// Gives a job to a mechanic; they hear of it at once.
pub async fn assign(
    ws: &Workshop,
    actor: &Actor,
    job_id: Uuid,
    mechanic_id: Uuid,
) -> Result<job::Model, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let (job, order) = job_on_order(&tx, job_id).await?;
    if job.status == "finished" {
        return Err(FieldErrors::single("status", "this job is finished").into());
    }
    let member = known_mechanic(&tx, mechanic_id).await?;
    if !works_at(&tx, &member, job.branch_id).await? {
        return Err(
            FieldErrors::single("mechanic_id", "this mechanic works at another branch").into(),
        );
    }
    let running = matches!(job.status.as_str(), "in_progress" | "paused");
    if running && job.mechanic_id != Some(mechanic_id) {
        return Err(FieldErrors::single(
            "mechanic_id",
            "another mechanic has clocked time on this job; they finish it, or add a new job",
        )
        .into());
    }
    let mut row = job.clone().into_active_model();
    row.mechanic_id = Set(Some(member.id));
    if job.status == "open" {
        row.status = Set("assigned".into());
    }
    row.on_board = Set(false);
    row.updated_at = Set(Utc::now());
    let job = tx.update(row).await?;
    close_applications(&tx, job.id, None).await?;
    let by = tx.actor_name(actor).await?;
    let name = member_name(&tx, &member).await?;
    order::record(
        &tx,
        &order,
        "job",
        Some(format!("{} assigned to {name}", job.title)),
        by,
        false,
    )
    .await?;
    let title = title_for(&tx, &job, &order).await?;
    let notified = notify_users(
        &tx,
        &[member.user_id],
        &NewNotification {
            title: "A job was assigned to you".into(),
            body: title,
            link: Some("/portal/my-jobs".into()),
        },
    )
    .await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    order::publish(ws, &order, "job.assigned").await;
    Ok(job)
}

async fn member_name(tx: &TenantTx, member: &membership::Model) -> Result<String, ServiceError> {
    Ok(tx
        .people()
        .first(user::Entity::find().filter(user::Column::Id.eq(member.user_id)))
        .await?
        .map(|u| u.name)
        .unwrap_or_else(|| "a mechanic".into()))
}

/// Declines the open applications of a job (all of them, or all but the accepted one).
async fn close_applications(
    tx: &TenantTx,
    job_id: Uuid,
    except: Option<Uuid>,
) -> Result<(), ServiceError> {
    let mut update = job_application::Entity::update_many()
        .col_expr(job_application::Column::Status, Expr::value("declined"))
        .col_expr(job_application::Column::DecidedAt, Expr::value(Utc::now()))
        .filter(job_application::Column::JobId.eq(job_id))
        .filter(job_application::Column::Status.eq("pending"));
    if let Some(keep) = except {
        update = update.filter(job_application::Column::Id.ne(keep));
    }
    tx.update_all(update).await?;
    Ok(())
}

/// Active members who may take the job, by user.
async fn qualified_mechanics(
    tx: &TenantTx,
    job: &job::Model,
) -> Result<Vec<membership::Model>, ServiceError> {
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active")),
        )
        .await?;
    let mut out = Vec::new();
    for member in members {
        if may_work(tx, &member).await? && qualified(tx, &member, job).await? {
            out.push(member);
        }
    }
    Ok(out)
}

/// Puts an unassigned job on the board (with the skill it needs); qualified mechanics hear.
pub async fn post_to_board(
    ws: &Workshop,
    actor: &Actor,
    job_id: Uuid,
    skill: Option<&str>,
) -> Result<job::Model, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let skill =
        pitlane_frontdesk::catalogue::label(skill).map_err(|e| FieldErrors::single("skill", e))?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let (job, order) = job_on_order(&tx, job_id).await?;
    if job.status != "open" && job.status != "assigned" {
        return Err(FieldErrors::single(
            "status",
            "work on this job has started; it cannot go on the board",
        )
        .into());
    }
    let status = order::status_of(&order)?;
    if !status.is_open() {
        return Err(FieldErrors::single("status", "this order is no longer open").into());
    }
    let mut row = job.clone().into_active_model();
    row.on_board = Set(true);
    row.mechanic_id = Set(None);
    row.status = Set("open".into());
    if skill.is_some() {
        row.skill = Set(skill);
    }
    row.updated_at = Set(Utc::now());
    let job = tx.update(row).await?;
    let by = tx.actor_name(actor).await?;
    order::record(
        &tx,
        &order,
        "job",
        Some(format!("{} put on the job board", job.title)),
        by,
        false,
    )
    .await?;
    let title = title_for(&tx, &job, &order).await?;
    let users: Vec<Uuid> = qualified_mechanics(&tx, &job)
        .await?
        .iter()
        .map(|m| m.user_id)
        .collect();
    let notified = notify_users(
        &tx,
        &users,
        &NewNotification {
            title: "New job on the board".into(),
            body: title,
            link: Some("/portal/job-board".into()),
        },
    )
    .await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    order::publish(ws, &order, "job.board").await;
    Ok(job)
}

/// A job as the board and "my jobs" show it.
#[derive(Debug, Clone)]
pub struct JobCard {
    pub job: job::Model,
    pub order: repair_order::Model,
    pub vehicle: String,
    pub billed_milli: i64,
    pub clocked: Duration,
    /// The reader applied for it (board only).
    pub applied: bool,
}

impl JobCard {
    pub fn clock_state(&self) -> ClockState {
        state_of(&self.job)
    }

    pub fn number(&self) -> String {
        display_number(self.order.number)
    }
}

pub fn state_of(job: &job::Model) -> ClockState {
    match job.status.as_str() {
        "in_progress" => ClockState::Running,
        "paused" => ClockState::Paused,
        "finished" => ClockState::Finished,
        _ => ClockState::NotStarted,
    }
}

async fn cards(
    tx: &TenantTx,
    jobs: Vec<job::Model>,
    reader: Option<Uuid>,
) -> Result<Vec<JobCard>, ServiceError> {
    let job_ids: Vec<Uuid> = jobs.iter().map(|j| j.id).collect();
    let order_ids: Vec<Uuid> = jobs.iter().map(|j| j.repair_order_id).collect();
    let orders: HashMap<Uuid, repair_order::Model> = tx
        .all(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::Id.is_in(order_ids)),
        )
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let vehicle_ids: Vec<Uuid> = orders.values().map(|o| o.vehicle_id).collect();
    let vehicles: HashMap<Uuid, String> = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::Id.is_in(vehicle_ids)),
        )
        .await?
        .into_iter()
        .map(|v| (v.id, vehicles::describe(&v)))
        .collect();
    let mut billed: HashMap<Uuid, i64> = HashMap::new();
    for line in tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::JobId.is_in(job_ids.clone()))
                .filter(repair_order_line::Column::Decision.ne("declined")),
        )
        .await?
    {
        if let Some(job) = line.job_id {
            *billed.entry(job).or_default() += line.quantity_milli;
        }
    }
    let now = Utc::now();
    let mut clocked: HashMap<Uuid, Duration> = HashMap::new();
    for entry in tx
        .all(
            tx.select::<time_entry::Entity>()
                .filter(time_entry::Column::JobId.is_in(job_ids.clone())),
        )
        .await?
    {
        *clocked.entry(entry.job_id).or_insert_with(Duration::zero) +=
            (entry.ended_at.unwrap_or(now) - entry.started_at).max(Duration::zero());
    }
    let applied: Vec<Uuid> = match reader {
        Some(member) => tx
            .all(
                tx.select::<job_application::Entity>()
                    .filter(job_application::Column::MechanicId.eq(member))
                    .filter(job_application::Column::JobId.is_in(job_ids)),
            )
            .await?
            .into_iter()
            .map(|a| a.job_id)
            .collect(),
        None => Vec::new(),
    };
    Ok(jobs
        .into_iter()
        .filter_map(|job| {
            let order = orders.get(&job.repair_order_id)?.clone();
            Some(JobCard {
                vehicle: vehicles.get(&order.vehicle_id).cloned().unwrap_or_default(),
                billed_milli: billed.get(&job.id).copied().unwrap_or_default(),
                clocked: clocked.get(&job.id).copied().unwrap_or_else(Duration::zero),
                applied: applied.contains(&job.id),
                order,
                job,
            })
        })
        .collect())
}

/// The open jobs on the board the reader may take (all of them for an advisor).
pub async fn board(ws: &Workshop, actor: &Actor) -> Result<Vec<JobCard>, ServiceError> {
    if !actor.can(Permission::JobsWork) {
        actor.require(Permission::RepairOrdersRead)?;
    }
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let jobs = tx
        .all(
            tx.select::<job::Entity>()
                .filter(job::Column::OnBoard.eq(true))
                .filter(job::Column::Status.eq("open"))
                .order_by_asc(job::Column::Id)
                .limit(500),
        )
        .await?;
    let (jobs, reader) = if actor.can(Permission::RepairOrdersWrite) {
        (jobs, None)
    } else {
        let member = me(&tx, actor).await?;
        let mut mine = Vec::new();
        for job in jobs {
            if qualified(&tx, &member, &job).await? {
                mine.push(job);
            }
        }
        (mine, Some(member.id))
    };
    let result = cards(&tx, jobs, reader).await?;
    tx.commit().await?;
    Ok(result)
}

/// A mechanic asks for a job on the board.
pub async fn apply(
    ws: &Workshop,
    actor: &Actor,
    job_id: Uuid,
    note: Option<&str>,
) -> Result<job_application::Model, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let note = optional_text(note, 500).map_err(|e| FieldErrors::single("note", e.to_string()))?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let member = me(&tx, actor).await?;
    let (job, order) = job_on_order(&tx, job_id).await?;
    if !job.on_board || job.status != "open" {
        return Err(FieldErrors::single("job_id", "this job is no longer on the board").into());
    }
    if !qualified(&tx, &member, &job).await? {
        return Err(FieldErrors::single(
            "job_id",
            match &job.skill {
                Some(skill) => format!(
                    "this job needs the skill \"{skill}\"; ask an advisor to add it to your profile"
                ),
                None => "this job is at a branch you do not work at".to_owned(),
            },
        )
        .into());
    }
    let row = tx
        .insert(job_application::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            job_id: Set(job.id),
            mechanic_id: Set(member.id),
            note: Set(note),
            status: Set("pending".into()),
            created_at: Set(Utc::now()),
            decided_at: Set(None),
        })
        .await
        .map_err(|e| {
            if e.is_conflict_on("job_applications") || e.is_conflict_on("job_id") {
                ServiceError::Conflict(FieldErrors::single(
                    "job_id",
                    "you have already applied for this job",
                ))
            } else {
                e.into()
            }
        })?;
    let name = member_name(&tx, &member).await?;
    order::record(
        &tx,
        &order,
        "job",
        Some(format!("{name} applied for {}", job.title)),
        Some(name.clone()),
        false,
    )
    .await?;
    let advisors = match order.advisor_id {
        Some(advisor) => tx
            .first(
                tx.select::<membership::Entity>()
                    .filter(membership::Column::Id.eq(advisor)),
            )
            .await?
            .map(|m| vec![m.user_id])
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let title = title_for(&tx, &job, &order).await?;
    let notified = notify_users(
        &tx,
        &advisors,
        &NewNotification {
            title: format!("{name} applied for a job"),
            body: title,
            link: Some(format!("/portal/repair-orders/{}", order.id)),
        },
    )
    .await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    order::publish(ws, &order, "job.application").await;
    Ok(row)
}

/// A job's applications with the applicants' names.
pub async fn applications(
    ws: &Workshop,
    actor: &Actor,
    job_id: Uuid,
) -> Result<Vec<(job_application::Model, String)>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    tx.get::<job::Entity>(job_id).await?;
    let rows = tx
        .all(
            tx.select::<job_application::Entity>()
                .filter(job_application::Column::JobId.eq(job_id))
                .order_by_asc(job_application::Column::Id),
        )
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let member = tx.get::<membership::Entity>(row.mechanic_id).await?;
        out.push((row, member_name(&tx, &member).await?));
    }
    tx.commit().await?;
    Ok(out)
}

/// The advisor takes an application: the job is the mechanic's, the others are declined.
pub async fn accept(
    ws: &Workshop,
    actor: &Actor,
    job_id: Uuid,
    application_id: Uuid,
) -> Result<job::Model, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let application = tx.get::<job_application::Entity>(application_id).await?;
    if application.job_id != job_id {
        return Err(ServiceError::NotFound);
    }
    let (job, order) = job_on_order(&tx, application.job_id).await?;
    if application.status != "pending" || !job.on_board || job.status != "open" {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "application_id",
            "this job was already given to someone",
        )));
    }
    let member = known_mechanic(&tx, application.mechanic_id).await?;
    if !qualified(&tx, &member, &job).await? {
        return Err(FieldErrors::single(
            "application_id",
            "this mechanic no longer has the skill or branch the job needs",
        )
        .into());
    }
    // Only one acceptance wins, however two advisors race: the job must still be open.
    let taken = tx
        .update_all(
            job::Entity::update_many()
                .col_expr(job::Column::MechanicId, Expr::value(member.id))
                .col_expr(job::Column::Status, Expr::value("assigned"))
                .col_expr(job::Column::OnBoard, Expr::value(false))
                .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(job::Column::Id.eq(job.id))
                .filter(job::Column::Status.eq("open")),
        )
        .await?;
    if taken == 0 {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "application_id",
            "this job was already given to someone",
        )));
    }
    let mut row = application.into_active_model();
    row.status = Set("accepted".into());
    row.decided_at = Set(Some(Utc::now()));
    let accepted = tx.update(row).await?;
    close_applications(&tx, job.id, Some(accepted.id)).await?;
    let by = tx.actor_name(actor).await?;
    let name = member_name(&tx, &member).await?;
    order::record(
        &tx,
        &order,
        "job",
        Some(format!("{} given to {name} from the board", job.title)),
        by,
        false,
    )
    .await?;
    let title = title_for(&tx, &job, &order).await?;
    let notified = notify_users(
        &tx,
        &[member.user_id],
        &NewNotification {
            title: "Your application was accepted".into(),
            body: title,
            link: Some("/portal/my-jobs".into()),
        },
    )
    .await?;
    let job = tx.get::<job::Entity>(job.id).await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    order::publish(ws, &order, "job.assigned").await;
    Ok(job)
}

/// The reader's jobs: unfinished ones, then those finished in the last day.
pub async fn my_jobs(ws: &Workshop, actor: &Actor) -> Result<Vec<JobCard>, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let member = me(&tx, actor).await?;
    let since = Utc::now() - Duration::days(1);
    let jobs = tx
        .all(
            tx.select::<job::Entity>()
                .filter(job::Column::MechanicId.eq(member.id))
                .filter(
                    pitlane_store::sea_orm::Condition::any()
                        .add(job::Column::Status.ne("finished"))
                        .add(job::Column::FinishedAt.gte(since)),
                )
                .order_by_asc(job::Column::Id)
                .limit(200),
        )
        .await?;
    let mut result = cards(&tx, jobs, None).await?;
    result.sort_by_key(|c| (c.clock_state() == ClockState::Finished, c.job.id));
    tx.commit().await?;
    Ok(result)
}

/// Start, pause or finish the clock on one of the reader's jobs. Starting work on an approved
/// order puts the order in progress.
pub async fn clock_job(
    ws: &Workshop,
    actor: &Actor,
    job_id: Uuid,
    action: ClockAction,
    site: &str,
) -> Result<job::Model, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let member = me(&tx, actor).await?;
    let (job, order) = job_on_order(&tx, job_id).await?;
    if job.mechanic_id != Some(member.id) {
        return Err(ServiceError::Forbidden(Permission::JobsWork.key()));
    }
    let running = tx
        .first(
            tx.select::<time_entry::Entity>()
                .filter(time_entry::Column::MechanicId.eq(member.id))
                .filter(time_entry::Column::EndedAt.is_null()),
        )
        .await?;
    let other_running = running.as_ref().is_some_and(|r| r.job_id != job.id);
    let next = clock(state_of(&job), action, other_running).map_err(|e| clock_refusal(&e))?;
    let mut order_status = order::status_of(&order)?;
    let by = tx.actor_name(actor).await?;
    let mut notified = Notified::default();
    let mut order = order;
    if action == ClockAction::Start && !order_status.allows_work() {
        if order_status == RepairOrderStatus::Approved
            || order_status == RepairOrderStatus::WaitingForParts
        {
            let (changed, heard) = orders::transition(
                ws,
                &tx,
                order,
                RepairOrderStatus::InProgress,
                None,
                None,
                by.clone(),
                site,
            )
            .await?;
            notified.merge(heard);
            order = changed;
            order_status = RepairOrderStatus::InProgress;
        } else {
            return Err(FieldErrors::single(
                "status",
                format!(
                    "work starts once the customer has approved it; the order is {}",
                    order_status.label().to_lowercase()
                ),
            )
            .into());
        }
    }
    let now = Utc::now();
    match action {
        ClockAction::Start => {
            tx.insert(time_entry::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                job_id: Set(job.id),
                mechanic_id: Set(member.id),
                started_at: Set(now),
                ended_at: Set(None),
            })
            .await
            .map_err(|e| {
                if e.is_conflict_on("time_entries_one_running") || e.is_conflict_on("time_entries")
                {
                    clock_refusal(&ClockError::OtherJobRunning)
                } else {
                    e.into()
                }
            })?;
        }
        ClockAction::Pause | ClockAction::Finish => {
            tx.update_all(
                time_entry::Entity::update_many()
                    .col_expr(time_entry::Column::EndedAt, Expr::value(now))
                    .filter(time_entry::Column::JobId.eq(job.id))
                    .filter(time_entry::Column::MechanicId.eq(member.id))
                    .filter(time_entry::Column::EndedAt.is_null()),
            )
            .await?;
        }
    }
    let mut row = job.clone().into_active_model();
    row.status = Set(match next {
        ClockState::Running => "in_progress",
        ClockState::Paused => "paused",
        ClockState::Finished => "finished",
        ClockState::NotStarted => "assigned",
    }
    .to_owned());
    if next == ClockState::Finished {
        row.finished_at = Set(Some(now));
    }
    row.updated_at = Set(now);
    let job = tx.update(row).await?;
    let verb = match action {
        ClockAction::Start => "started",
        ClockAction::Pause => "paused",
        ClockAction::Finish => "finished",
    };
    // The customer sees work starting and finishing, not each pause.
    let visible = action != ClockAction::Pause && order_status.allows_work();
    order::record(
        &tx,
        &order,
        "job",
        Some(format!("{} {verb}", job.title)),
        by,
        visible,
    )
    .await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    order::publish(ws, &order, "job.clock").await;
    Ok(job)
}

fn clock_refusal(err: &ClockError) -> ServiceError {
    match err {
        ClockError::OtherJobRunning => {
            ServiceError::Conflict(FieldErrors::single("action", err.to_string()))
        }
        _ => FieldErrors::single("action", err.to_string()).into(),
    }
}

/// A page of the workshop's unfinished jobs and those finished in the last week, oldest
/// first (by id): `after` is the last id of the page before.
pub async fn recent_jobs(
    ws: &Workshop,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<JobCard>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let since = Utc::now() - Duration::days(7);
    let page = tx
        .page(
            tx.select::<job::Entity>().filter(
                pitlane_store::sea_orm::Condition::any()
                    .add(job::Column::Status.ne("finished"))
                    .add(job::Column::FinishedAt.gte(since)),
            ),
            after,
            limit.clamp(1, 200),
        )
        .await?;
    let items = cards(&tx, page.items, None).await?;
    tx.commit().await?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// One job as its card shows it.
pub async fn get(ws: &Workshop, actor: &Actor, job_id: Uuid) -> Result<JobCard, ServiceError> {
    if !actor.can(Permission::JobsWork) {
        actor.require(Permission::RepairOrdersRead)?;
    }
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let job = tx.get::<job::Entity>(job_id).await?;
    let mut result = cards(&tx, vec![job], None).await?;
    tx.commit().await?;
    result.pop().ok_or(ServiceError::NotFound)
}

/// The clocked stretches of a job, for its page.
pub async fn time_of(
    ws: &Workshop,
    actor: &Actor,
    job_id: Uuid,
) -> Result<Vec<time_entry::Model>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    tx.get::<job::Entity>(job_id).await?;
    let rows = tx
        .all(
            tx.select::<time_entry::Entity>()
                .filter(time_entry::Column::JobId.eq(job_id))
                .order_by_asc(time_entry::Column::StartedAt),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}
