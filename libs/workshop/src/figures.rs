//! Keeps the floor's daily figures in step with the documents, in the documents' own
//! transactions: estimate lines answered (or answered lines changed or removed), inspections
//! started, rated and completed. The same readers feed the rebuild ([`from_documents`]), so
//! a figure maintained here and one rebuilt from scratch are computed the same way.
//!
//! What each document adds is decided in `pitlane_domain::reports::facts`.

use pitlane_domain::{
    ServiceError,
    reports::{
        Deltas,
        facts::{self, AnswerFacts, InspectionFacts},
        period::BranchZones,
    },
};
use pitlane_store::{
    TenantTx,
    entity::{repair_order, repair_order_line},
    floor_facts::{AnsweredLine, InspectionTally},
};
use uuid::Uuid;

/// Answered lines read per statement by the rebuild.
const LINES_PER_READ: u64 = 5_000;

fn answer_deltas(zones: &BranchZones, line: &AnsweredLine) -> Deltas {
    facts::of_answers(&AnswerFacts {
        branch_id: line.branch_id,
        day: zones.day(line.branch_id, line.decided_at),
        advisor_id: line.advisor_id,
        approved: line.decision == "approved",
        lines: 1,
        value_minor: crate::order::priced_as(
            &line.kind,
            line.quantity_milli,
            line.unit_price_minor,
            0,
            false,
        )
        .amount(),
    })
}

/// A line of `order` as the figures read it, if the customer has answered it.
fn answered(order: &repair_order::Model, line: &repair_order_line::Model) -> Option<AnsweredLine> {
    if !matches!(line.decision.as_str(), "approved" | "declined") {
        return None;
    }
    Some(AnsweredLine {
        id: line.id,
        branch_id: order.branch_id,
        advisor_id: order.advisor_id,
        decision: line.decision.clone(),
        decided_at: line.decided_at?,
        kind: line.kind.clone(),
        quantity_milli: line.quantity_milli,
        unit_price_minor: line.unit_price_minor,
    })
}

/// The customer answered `answered` lines of `order`, or lines answered before were changed
/// or removed (`taken_back`, as they stood): their figures are added or taken back.
pub(crate) async fn answers_changed(
    tx: &TenantTx,
    order: &repair_order::Model,
    answered_now: &[repair_order_line::Model],
    taken_back: &[repair_order_line::Model],
) -> Result<(), ServiceError> {
    let now: Vec<AnsweredLine> = answered_now
        .iter()
        .filter_map(|l| answered(order, l))
        .collect();
    let before: Vec<AnsweredLine> = taken_back
        .iter()
        .filter_map(|l| answered(order, l))
        .collect();
    if now.is_empty() && before.is_empty() {
        return Ok(());
    }
    let zones = tx.branch_zones().await?;
    let mut deltas = Deltas::new();
    for line in &now {
        facts::merge(&mut deltas, answer_deltas(&zones, line));
    }
    for line in &before {
        facts::merge(&mut deltas, facts::negate(answer_deltas(&zones, line)));
    }
    tx.add_figures(&deltas).await?;
    Ok(())
}

fn inspection_deltas(zones: &BranchZones, tally: &InspectionTally) -> Deltas {
    facts::of_inspection(&InspectionFacts {
        branch_id: tally.branch_id,
        day: zones.day(tally.branch_id, tally.created_at),
        inspector: tally.inspector.clone().unwrap_or_default(),
        completed: tally.status == "completed",
        green: tally.green,
        yellow: tally.yellow,
        red: tally.red,
        unrated: tally.unrated,
    })
}

/// How an inspection stands in the figures now: read before changing it, for
/// [`inspection_changed`].
pub(crate) async fn inspection_tally(
    tx: &TenantTx,
    id: Uuid,
) -> Result<Option<InspectionTally>, ServiceError> {
    Ok(tx.inspection_tallies(Some(id)).await?.pop())
}

/// An inspection was started (`before` is `None`) or changed: its figures move from how it
/// stood to how it stands now.
pub(crate) async fn inspection_changed(
    tx: &TenantTx,
    id: Uuid,
    before: Option<InspectionTally>,
) -> Result<(), ServiceError> {
    let zones = tx.branch_zones().await?;
    let mut deltas = Deltas::new();
    if let Some(after) = inspection_tally(tx, id).await? {
        deltas = inspection_deltas(&zones, &after);
    }
    if let Some(before) = before {
        facts::merge(
            &mut deltas,
            facts::negate(inspection_deltas(&zones, &before)),
        );
    }
    tx.add_figures(&deltas).await?;
    Ok(())
}

/// Every figure the floor's documents add up to, computed from scratch: for the rebuild.
pub async fn from_documents(tx: &TenantTx) -> Result<Deltas, ServiceError> {
    let zones = tx.branch_zones().await?;
    let mut all = Deltas::new();
    let mut after = None;
    loop {
        let lines = tx.answered_lines(after, LINES_PER_READ).await?;
        for line in &lines {
            facts::merge(&mut all, answer_deltas(&zones, line));
        }
        match lines.last() {
            Some(last) if lines.len() as u64 == LINES_PER_READ => after = Some(last.id),
            _ => break,
        }
    }
    for tally in tx.inspection_tallies(None).await? {
        facts::merge(&mut all, inspection_deltas(&zones, &tally));
    }
    Ok(all)
}
