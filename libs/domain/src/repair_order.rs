//! The life of a repair order, and how the customer's answers to its lines decide it.
//!
//! estimate → sent for approval → approved → in progress ⇄ waiting for parts → quality check →
//! ready for pickup → invoiced → closed; cancelled from any state before invoicing. An
//! approved order may go back to estimate to add work, which then needs approval again.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepairOrderStatus {
    Estimate,
    SentForApproval,
    Approved,
    InProgress,
    WaitingForParts,
    QualityCheck,
    ReadyForPickup,
    Invoiced,
    Closed,
    Cancelled,
}

impl RepairOrderStatus {
    pub const ALL: [RepairOrderStatus; 10] = [
        Self::Estimate,
        Self::SentForApproval,
        Self::Approved,
        Self::InProgress,
        Self::WaitingForParts,
        Self::QualityCheck,
        Self::ReadyForPickup,
        Self::Invoiced,
        Self::Closed,
        Self::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Estimate => "estimate",
            Self::SentForApproval => "sent_for_approval",
            Self::Approved => "approved",
            Self::InProgress => "in_progress",
            Self::WaitingForParts => "waiting_for_parts",
            Self::QualityCheck => "quality_check",
            Self::ReadyForPickup => "ready_for_pickup",
            Self::Invoiced => "invoiced",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Estimate => "Estimate",
            Self::SentForApproval => "Sent for approval",
            Self::Approved => "Approved",
            Self::InProgress => "In progress",
            Self::WaitingForParts => "Waiting for parts",
            Self::QualityCheck => "Quality check",
            Self::ReadyForPickup => "Ready for pickup",
            Self::Invoiced => "Invoiced",
            Self::Closed => "Closed",
            Self::Cancelled => "Cancelled",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether work has been agreed and the order still needs the workshop.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Invoiced | Self::Closed | Self::Cancelled)
    }

    /// Lines may be added, changed or removed only while the order is an estimate.
    pub fn allows_line_changes(self) -> bool {
        self == Self::Estimate
    }

    /// Mechanics may clock time on it.
    pub fn allows_work(self) -> bool {
        matches!(self, Self::InProgress | Self::QualityCheck)
    }

    pub fn can_become(self, next: Self) -> bool {
        use RepairOrderStatus::*;
        matches!(
            (self, next),
            // Sent to the customer, or approved in person or by phone.
            (Estimate, SentForApproval | Approved)
                // The customer answered, or the advisor revises the estimate.
                | (SentForApproval, Approved | Estimate)
                // More work found: back to an estimate, approved again later.
                | (Approved, InProgress | Estimate)
                | (InProgress, WaitingForParts | QualityCheck)
                | (WaitingForParts, InProgress)
                // A failed check goes back to work.
                | (QualityCheck, InProgress | ReadyForPickup)
                | (ReadyForPickup, Invoiced)
                | (Invoiced, Closed)
                | (
                    Estimate
                        | SentForApproval
                        | Approved
                        | InProgress
                        | WaitingForParts
                        | QualityCheck
                        | ReadyForPickup,
                    Cancelled
                )
        )
    }

    /// The states this one may go to, in the order of the life cycle.
    pub fn next_states(self) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|n| self.can_become(*n))
            .collect()
    }

    /// The message for a change the life cycle does not allow.
    pub fn refusal(self, next: Self) -> String {
        let allowed: Vec<&str> = self.next_states().iter().map(|s| s.label()).collect();
        if allowed.is_empty() {
            format!(
                "a repair order that is {} cannot change any more",
                self.label().to_lowercase()
            )
        } else {
            format!(
                "a repair order that is {} cannot become {}; it can become: {}",
                self.label().to_lowercase(),
                next.label().to_lowercase(),
                allowed.join(", ").to_lowercase()
            )
        }
    }
}

impl fmt::Display for RepairOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The customer's answer to one line of an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineDecision {
    Pending,
    Approved,
    Declined,
}

impl LineDecision {
    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Declined]
            .into_iter()
            .find(|d| d.key() == key)
    }
}

/// Where the answers leave the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// Some lines are still unanswered.
    Waiting,
    /// Every line is answered and at least one approved: the work can start.
    Approved,
    /// Every line was declined: nothing to do; the declined lines stay as services to offer later.
    AllDeclined,
}

pub fn approval_outcome(decisions: &[LineDecision]) -> ApprovalOutcome {
    if decisions.is_empty() || decisions.contains(&LineDecision::Pending) {
        ApprovalOutcome::Waiting
    } else if decisions.contains(&LineDecision::Approved) {
        ApprovalOutcome::Approved
    } else {
        ApprovalOutcome::AllDeclined
    }
}

/// `RO-1042`: how people say a repair order's number.
pub fn display_number(number: i64) -> String {
    format!("RO-{number}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use RepairOrderStatus::*;
    use proptest::prelude::*;

    #[test]
    fn keys_round_trip_and_the_end_states_are_final() {
        for s in RepairOrderStatus::ALL {
            assert_eq!(RepairOrderStatus::parse(s.key()), Some(s));
        }
        assert!(Closed.next_states().is_empty());
        assert!(Cancelled.next_states().is_empty());
        assert_eq!(Invoiced.next_states(), vec![Closed]);
        assert!(
            !Invoiced.can_become(Cancelled),
            "an invoice is never cancelled by the order"
        );
        assert!(
            Cancelled
                .refusal(Estimate)
                .contains("cannot change any more")
        );
        assert!(
            Estimate.refusal(Invoiced).contains("sent for approval"),
            "{}",
            Estimate.refusal(Invoiced)
        );
    }

    #[test]
    fn the_whole_life_of_an_order_is_allowed() {
        let path = [
            Estimate,
            SentForApproval,
            Approved,
            InProgress,
            WaitingForParts,
            InProgress,
            QualityCheck,
            InProgress,
            QualityCheck,
            ReadyForPickup,
            Invoiced,
            Closed,
        ];
        for step in path.windows(2) {
            assert!(step[0].can_become(step[1]), "{} → {}", step[0], step[1]);
        }
        assert!(!Estimate.can_become(InProgress), "no work without approval");
        assert!(
            !InProgress.can_become(Invoiced),
            "no invoice before the check"
        );
    }

    #[test]
    fn answers_decide_the_estimate() {
        use LineDecision::*;
        assert_eq!(approval_outcome(&[]), ApprovalOutcome::Waiting);
        assert_eq!(
            approval_outcome(&[Approved, Pending]),
            ApprovalOutcome::Waiting
        );
        assert_eq!(
            approval_outcome(&[Approved, Declined]),
            ApprovalOutcome::Approved
        );
        assert_eq!(
            approval_outcome(&[Declined, Declined]),
            ApprovalOutcome::AllDeclined
        );
        assert_eq!(display_number(1042), "RO-1042");
    }

    fn any_status() -> impl Strategy<Value = RepairOrderStatus> {
        (0..RepairOrderStatus::ALL.len()).prop_map(|i| RepairOrderStatus::ALL[i])
    }

    proptest! {
        /// Whatever is attempted, in whatever order, an order only ever moves along the life
        /// cycle: no work before approval, no invoice before the car is ready, nothing after
        /// it is closed or cancelled.
        #[test]
        fn no_sequence_of_actions_reaches_a_forbidden_state(attempts in proptest::collection::vec(any_status(), 0..60)) {
            let mut state = Estimate;
            let mut approved_since_estimate = false;
            let mut ready_seen = false;
            let mut invoiced_seen = false;
            for next in attempts {
                if !state.can_become(next) {
                    continue;
                }
                let before = state;
                state = next;
                prop_assert!(before != Closed && before != Cancelled, "left a final state");
                match state {
                    Estimate => approved_since_estimate = false,
                    Approved => approved_since_estimate = true,
                    InProgress => prop_assert!(approved_since_estimate, "work without approval"),
                    ReadyForPickup => ready_seen = true,
                    Invoiced => { prop_assert!(ready_seen, "invoiced before ready"); invoiced_seen = true; }
                    Closed => prop_assert!(invoiced_seen, "closed without an invoice"),
                    Cancelled => prop_assert!(!invoiced_seen, "cancelled after invoicing"),
                    _ => {}
                }
                prop_assert!(!(state.allows_line_changes() && approved_since_estimate));
            }
        }
    }
}
