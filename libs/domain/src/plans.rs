//! The plans workshops pay the platform for: what each allows and what the platform keeps of
//! each card payment (the application fee). Prices live in Stripe (one price per plan, per
//! branch per month); the limits and fees are ours.

use crate::{money::Money, text::CurrencyCode};

/// One plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub key: &'static str,
    pub name: &'static str,
    /// What the pricing page says a branch costs a month, in euro cents.
    pub monthly_per_branch_cents: i64,
    /// `None`: as many as the chain has.
    pub max_branches: Option<u32>,
    pub max_staff: Option<u32>,
    /// What the platform keeps of a card payment, in basis points.
    pub application_fee_bp: i64,
}

impl Plan {
    /// What the pricing page says a branch costs a month: the platform bills in euros.
    pub fn monthly_per_branch(&self) -> Money {
        let eur = CurrencyCode::parse("EUR").expect("EUR is an ISO 4217 currency");
        Money::new(self.monthly_per_branch_cents, eur)
    }
}

pub const STARTER: Plan = Plan {
    key: "starter",
    name: "Starter",
    monthly_per_branch_cents: 4900,
    max_branches: Some(1),
    max_staff: Some(5),
    application_fee_bp: 100,
};

pub const GROWTH: Plan = Plan {
    key: "growth",
    name: "Growth",
    monthly_per_branch_cents: 3900,
    max_branches: Some(5),
    max_staff: Some(30),
    application_fee_bp: 50,
};

pub const CHAIN: Plan = Plan {
    key: "chain",
    name: "Chain",
    monthly_per_branch_cents: 2900,
    max_branches: None,
    max_staff: None,
    application_fee_bp: 25,
};

/// A new chain's first weeks: Growth's limits, Starter's fee.
pub const TRIAL: Plan = Plan {
    key: "trial",
    name: "Trial",
    monthly_per_branch_cents: 0,
    max_branches: Some(5),
    max_staff: Some(30),
    application_fee_bp: 100,
};

/// What can be chosen (the trial is given, not chosen).
pub const PLANS: [Plan; 3] = [STARTER, GROWTH, CHAIN];

/// The plan a tenant's stored key names; an unknown key is treated as the trial.
pub fn plan(key: &str) -> Plan {
    PLANS.into_iter().find(|p| p.key == key).unwrap_or(TRIAL)
}

/// The platform's fee on a card payment: the plan's share, rounded down to the minor unit.
pub fn application_fee(plan: &Plan, amount: i64) -> i64 {
    amount.max(0) * plan.application_fee_bp / 10_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_are_the_plans_share_rounded_down() {
        assert_eq!(application_fee(&STARTER, 12_345), 123);
        assert_eq!(application_fee(&CHAIN, 12_345), 30);
        assert_eq!(application_fee(&plan("nonsense"), 100), 1);
    }
}
