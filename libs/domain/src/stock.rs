//! Stock as a ledger: every level is the sum of its movements, and a movement that would take
//! a branch's stock below zero is refused unless the workshop allows negative stock.

use rust_decimal::Decimal;

/// Why stock moved. Quantities are signed by kind: receiving adds, consuming takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// Delivered by a supplier (a purchase order received).
    Receive,
    /// Used on a repair order.
    Consume,
    /// Counted or corrected, with a reason; either sign.
    Adjust,
    /// Sent to another branch (out here, in there).
    TransferOut,
    TransferIn,
    /// Sent back to the supplier.
    ReturnToSupplier,
}

impl MovementKind {
    pub const ALL: [MovementKind; 6] = [
        Self::Receive,
        Self::Consume,
        Self::Adjust,
        Self::TransferOut,
        Self::TransferIn,
        Self::ReturnToSupplier,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Receive => "receive",
            Self::Consume => "consume",
            Self::Adjust => "adjust",
            Self::TransferOut => "transfer_out",
            Self::TransferIn => "transfer_in",
            Self::ReturnToSupplier => "return_to_supplier",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The change to the level for `quantity` (given positive; `Adjust` takes it as signed).
    pub fn delta(self, quantity: Decimal) -> Decimal {
        match self {
            Self::Receive | Self::TransferIn | Self::Adjust => quantity,
            Self::Consume | Self::TransferOut | Self::ReturnToSupplier => -quantity,
        }
    }

    /// What the level may not fall below by this movement. Parts promised to approved lines
    /// stay in the building: they are not sent to another branch or back to the supplier.
    /// Consuming (usually what was reserved) and correcting a count may use them.
    pub fn floor(self, reserved: Decimal) -> Decimal {
        match self {
            Self::TransferOut | Self::ReturnToSupplier => reserved,
            _ => Decimal::ZERO,
        }
    }
}

/// Why a movement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("quantities must be more than zero")]
    NotPositive,
    #[error("only {available} in stock; this needs {needed}")]
    Insufficient { available: Decimal, needed: Decimal },
}

/// The level after a movement, or why it cannot happen. Reservations are counted by the
/// caller in `reserved`: what is promised to approved lines is not available to others.
pub fn apply(
    level: Decimal,
    reserved: Decimal,
    kind: MovementKind,
    quantity: Decimal,
    allow_negative: bool,
) -> Result<Decimal, StockError> {
    if kind != MovementKind::Adjust && quantity <= Decimal::ZERO {
        return Err(StockError::NotPositive);
    }
    let after = level + kind.delta(quantity);
    let floor = kind.floor(reserved);
    if after < floor && !allow_negative {
        return Err(StockError::Insufficient {
            available: (level - floor).max(Decimal::ZERO),
            needed: -kind.delta(quantity),
        });
    }
    Ok(after)
}

/// Whether `quantity` more can be reserved now.
pub fn can_reserve(
    level: Decimal,
    reserved: Decimal,
    quantity: Decimal,
    allow_negative: bool,
) -> bool {
    allow_negative || level - reserved >= quantity
}

/// A purchase order's life: draft → ordered → partly received → received; cancelled before
/// anything arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurchaseOrderStatus {
    Draft,
    Ordered,
    PartlyReceived,
    Received,
    Cancelled,
}

impl PurchaseOrderStatus {
    pub const ALL: [PurchaseOrderStatus; 5] = [
        Self::Draft,
        Self::Ordered,
        Self::PartlyReceived,
        Self::Received,
        Self::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Ordered => "ordered",
            Self::PartlyReceived => "partly_received",
            Self::Received => "received",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Ordered => "Ordered",
            Self::PartlyReceived => "Partly received",
            Self::Received => "Received",
            Self::Cancelled => "Cancelled",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Its lines may be changed.
    pub fn is_editable(self) -> bool {
        self == Self::Draft
    }

    /// Deliveries may be booked in against it.
    pub fn accepts_deliveries(self) -> bool {
        matches!(self, Self::Ordered | Self::PartlyReceived)
    }

    pub fn can_cancel(self) -> bool {
        matches!(self, Self::Draft | Self::Ordered)
    }

    /// The status after a delivery, from what has arrived of what was ordered.
    pub fn after_delivery(lines: &[(Decimal, Decimal)]) -> Self {
        if lines.iter().all(|(ordered, received)| received >= ordered) {
            Self::Received
        } else {
            Self::PartlyReceived
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refusals_say_what_is_there() {
        let err = apply(
            Decimal::from(2),
            Decimal::ZERO,
            MovementKind::Consume,
            Decimal::from(3),
            false,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "only 2 in stock; this needs 3");
        assert_eq!(
            apply(
                Decimal::from(2),
                Decimal::ZERO,
                MovementKind::Receive,
                Decimal::ZERO,
                false
            ),
            Err(StockError::NotPositive)
        );
        assert!(!can_reserve(
            Decimal::from(2),
            Decimal::from(2),
            Decimal::ONE,
            false
        ));
        assert!(can_reserve(
            Decimal::from(2),
            Decimal::from(1),
            Decimal::ONE,
            false
        ));
    }

    proptest! {
        /// The level is always the sum of the movements accepted, and never below zero unless
        /// the workshop allows it.
        #[test]
        fn the_level_is_the_sum_of_its_movements(
            moves in proptest::collection::vec((0usize..6, -50i64..200), 0..80),
            allow_negative in any::<bool>(),
        ) {
            let mut level = Decimal::ZERO;
            let mut accepted = Decimal::ZERO;
            for (k, q) in moves {
                let kind = MovementKind::ALL[k];
                let quantity = Decimal::new(q, 1);
                if let Ok(after) = apply(level, Decimal::ZERO, kind, quantity, allow_negative) {
                    accepted += kind.delta(quantity);
                    level = after;
                }
                prop_assert_eq!(level, accepted);
                prop_assert!(allow_negative || level >= Decimal::ZERO);
            }
        }
    }
}
