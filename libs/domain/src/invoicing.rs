//! Invoices: their lines and tax, what they total, the states they move through, and what is
//! still owed. Amounts are integer minor units of the invoice's currency (see
//! [`crate::money`]); quantities are thousandths, tax rates basis points.
//!
//! **Rounding, once, by this rule:**
//! 1. each line's amount is `quantity × unit price`, rounded to the minor unit half away from
//!    zero ([`round_minor`]);
//! 2. lines are grouped by tax rate, and each group's tax is computed once from the group's
//!    sum and rounded the same way: on top of the sum when prices exclude tax
//!    (`tax = sum × rate`), out of it when they include tax (`tax = sum × rate / (1 + rate)`,
//!    and the net is what is left);
//! 3. every total is a sum of those rounded figures, so the invoice, its PDF and the card
//!    payment always add up to the same number.
//!
//! Balance due = total − credited − payments + refunds. A credit note is the only way to
//! lower what an issued invoice asks for: an issued invoice is never edited.

use std::fmt;

use rust_decimal::Decimal;

use crate::{pricing::round_minor, quantity::from_milli};

/// Whether a tenant's prices already contain tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxMode {
    /// Prices are net; tax is added on top (typical for the US and for trade customers).
    Exclusive,
    /// Prices are what the customer pays; the tax is the share of it the state takes (EU, UK).
    Inclusive,
}

impl TaxMode {
    pub fn from_flag(prices_include_tax: bool) -> Self {
        if prices_include_tax {
            Self::Inclusive
        } else {
            Self::Exclusive
        }
    }
}

/// One line as priced: a negative unit price is a discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedLine {
    pub quantity_milli: i64,
    pub unit_price: i64,
    pub tax_rate_bp: i32,
}

impl PricedLine {
    /// The line's amount, in the tenant's tax mode (net or gross).
    pub fn amount(&self) -> i64 {
        round_minor(from_milli(self.quantity_milli) * Decimal::from(self.unit_price))
    }
}

/// The lines taxed at one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxGroup {
    pub rate_bp: i32,
    pub net: i64,
    pub tax: i64,
}

impl TaxGroup {
    pub fn gross(&self) -> i64 {
        self.net + self.tax
    }
}

/// An invoice's (or credit note's) figures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoiceTotals {
    /// Ascending by rate.
    pub groups: Vec<TaxGroup>,
    /// What the discount lines take off, as a positive amount (in the tenant's tax mode).
    pub discounts: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
}

/// Why a set of lines cannot be an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalsError {
    /// The discounts at this rate are larger than what they discount.
    NegativeGroup { rate_bp: i32 },
}

impl fmt::Display for TotalsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TotalsError::NegativeGroup { rate_bp } => write!(
                f,
                "the discounts taxed at {} are larger than the lines they discount",
                crate::quantity::format_percent(*rate_bp)
            ),
        }
    }
}

fn rate(rate_bp: i32) -> Decimal {
    Decimal::from(rate_bp) / Decimal::from(10_000)
}

/// The tax in a sum, by the rule in the module's documentation.
pub fn tax_of(sum: i64, rate_bp: i32, mode: TaxMode) -> i64 {
    let sum = Decimal::from(sum);
    match mode {
        TaxMode::Exclusive => round_minor(sum * rate(rate_bp)),
        TaxMode::Inclusive => round_minor(sum * rate(rate_bp) / (Decimal::ONE + rate(rate_bp))),
    }
}

/// The figures of these lines. A group whose sum is negative is refused; an empty list
/// totals zero.
pub fn totals(lines: &[PricedLine], mode: TaxMode) -> Result<InvoiceTotals, TotalsError> {
    let mut sums: Vec<(i32, i64)> = Vec::new();
    let mut discounts = 0;
    for line in lines {
        let amount = line.amount();
        if amount < 0 {
            discounts -= amount;
        }
        match sums.iter_mut().find(|(r, _)| *r == line.tax_rate_bp) {
            Some((_, sum)) => *sum += amount,
            None => sums.push((line.tax_rate_bp, amount)),
        }
    }
    sums.sort_by_key(|(r, _)| *r);
    let mut out = InvoiceTotals {
        discounts,
        ..Default::default()
    };
    for (rate_bp, sum) in sums {
        if sum < 0 {
            return Err(TotalsError::NegativeGroup { rate_bp });
        }
        let tax = tax_of(sum, rate_bp, mode);
        let net = match mode {
            TaxMode::Exclusive => sum,
            TaxMode::Inclusive => sum - tax,
        };
        out.groups.push(TaxGroup { rate_bp, net, tax });
        out.net += net;
        out.tax += tax;
    }
    out.total = out.net + out.tax;
    Ok(out)
}

/// Money that moved against an invoice, as the balance sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    pub total: i64,
    /// Credit notes issued against the invoice.
    pub credited: i64,
    pub paid: i64,
    pub refunded: i64,
}

impl Settlement {
    /// What the customer still owes; negative when they have paid more than they owe.
    pub fn balance_due(&self) -> i64 {
        self.total - self.credited - self.paid + self.refunded
    }

    /// What was received and kept.
    pub fn net_paid(&self) -> i64 {
        self.paid - self.refunded
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    Draft,
    Issued,
    PartlyPaid,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 5] = [
        Self::Draft,
        Self::Issued,
        Self::PartlyPaid,
        Self::Paid,
        Self::Void,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "issued",
            Self::PartlyPaid => "partly_paid",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Issued => "Issued",
            Self::PartlyPaid => "Partly paid",
            Self::Paid => "Paid",
            Self::Void => "Void",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether lines, customer and notes may still change.
    pub fn is_editable(self) -> bool {
        self == Self::Draft
    }

    /// Whether the invoice is out with the customer (issued and not void).
    pub fn is_issued(self) -> bool {
        matches!(self, Self::Issued | Self::PartlyPaid | Self::Paid)
    }

    /// The state an issued invoice is in after money moved: paid once nothing is owed,
    /// partly paid while some money is kept, issued otherwise. Drafts and void invoices stay.
    pub fn after(self, money: &Settlement) -> Self {
        if !self.is_issued() {
            return self;
        }
        if money.balance_due() <= 0 {
            Self::Paid
        } else if money.net_paid() > 0 {
            Self::PartlyPaid
        } else {
            Self::Issued
        }
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How a payment was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    Cash,
    CardTerminal,
    BankTransfer,
    /// By card on the workshop's page, through Stripe.
    CardOnline,
    /// The part of a balance too small to charge by card (see [`chargeable`]).
    Rounding,
}

impl PaymentMethod {
    /// What staff may record by hand.
    pub const RECORDED: [PaymentMethod; 3] = [Self::Cash, Self::CardTerminal, Self::BankTransfer];

    pub fn key(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::CardTerminal => "card_terminal",
            Self::BankTransfer => "bank_transfer",
            Self::CardOnline => "card_online",
            Self::Rounding => "rounding",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Cash => "Cash",
            Self::CardTerminal => "Card terminal",
            Self::BankTransfer => "Bank transfer",
            Self::CardOnline => "Card (online)",
            Self::Rounding => "Rounding",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        [
            Self::Cash,
            Self::CardTerminal,
            Self::BankTransfer,
            Self::CardOnline,
            Self::Rounding,
        ]
        .into_iter()
        .find(|m| m.key() == key)
    }
}

/// The smallest step a card processor charges in for this currency's exponent: three-decimal
/// currencies (BHD, KWD, JOD, OMR, TND) are charged in whole tens of the minor unit.
pub fn card_step(exponent: u32) -> i64 {
    if exponent == 3 { 10 } else { 1 }
}

/// What can be charged by card of a balance: the balance rounded down to the currency's step.
/// What is left (less than one step) is written off as rounding once the card payment lands.
pub fn chargeable(balance: i64, exponent: u32) -> i64 {
    let step = card_step(exponent);
    balance.max(0) / step * step
}

/// `INV-2026-000123`: a document's number as people read it.
pub fn document_number(prefix: &str, year: i32, sequence: i64) -> String {
    format!("{prefix}-{year}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(quantity_milli: i64, unit_price: i64, tax_rate_bp: i32) -> PricedLine {
        PricedLine {
            quantity_milli,
            unit_price,
            tax_rate_bp,
        }
    }

    #[test]
    fn tax_is_added_on_top_once_per_rate() {
        // 3 × 3.33 = 9.99 and 1.5 h × 80.00 = 120.00 at 8.25 %: 129.99 × 0.0825 = 10.724…
        let t = totals(
            &[line(3000, 333, 825), line(1500, 8000, 825)],
            TaxMode::Exclusive,
        )
        .unwrap();
        assert_eq!(t.net, 12_999);
        assert_eq!(t.tax, 1_072);
        assert_eq!(t.total, 14_071);
        assert_eq!(t.groups.len(), 1);
    }

    #[test]
    fn tax_is_taken_out_of_inclusive_prices() {
        // 120.00 incl. 20 %: tax 20.00; 10.50 incl. 5 %: 0.50
        let t = totals(
            &[line(1000, 12_000, 2000), line(1000, 1050, 500)],
            TaxMode::Inclusive,
        )
        .unwrap();
        assert_eq!(t.total, 13_050);
        assert_eq!(
            t.groups,
            vec![
                TaxGroup {
                    rate_bp: 500,
                    net: 1000,
                    tax: 50
                },
                TaxGroup {
                    rate_bp: 2000,
                    net: 10_000,
                    tax: 2000
                }
            ]
        );
    }

    #[test]
    fn a_discount_larger_than_its_rate_group_is_refused() {
        let err = totals(
            &[line(1000, 500, 2000), line(1000, -600, 2000)],
            TaxMode::Exclusive,
        )
        .unwrap_err();
        assert_eq!(err, TotalsError::NegativeGroup { rate_bp: 2000 });
        assert!(err.to_string().contains("20"));
    }

    #[test]
    fn zero_decimal_currencies_round_to_whole_units() {
        // JPY: 3 × 333 at 10 % = 999 + 99.9 → 100
        let t = totals(&[line(3000, 333, 1000)], TaxMode::Exclusive).unwrap();
        assert_eq!((t.net, t.tax, t.total), (999, 100, 1099));
    }

    #[test]
    fn three_decimal_currencies_charge_in_tens() {
        assert_eq!(chargeable(12_345, 3), 12_340);
        assert_eq!(chargeable(12_345, 2), 12_345);
        assert_eq!(chargeable(-5, 2), 0);
    }

    #[test]
    fn status_follows_the_money() {
        let issued = InvoiceStatus::Issued;
        let money = |paid, refunded, credited| Settlement {
            total: 10_000,
            credited,
            paid,
            refunded,
        };
        assert_eq!(issued.after(&money(0, 0, 0)), InvoiceStatus::Issued);
        assert_eq!(issued.after(&money(4000, 0, 0)), InvoiceStatus::PartlyPaid);
        assert_eq!(issued.after(&money(10_000, 0, 0)), InvoiceStatus::Paid);
        assert_eq!(
            InvoiceStatus::Paid.after(&money(10_000, 2000, 0)),
            InvoiceStatus::PartlyPaid
        );
        assert_eq!(
            InvoiceStatus::Paid.after(&money(10_000, 2000, 2000)),
            InvoiceStatus::Paid
        );
        assert_eq!(
            InvoiceStatus::Draft.after(&money(5000, 0, 0)),
            InvoiceStatus::Draft
        );
        assert_eq!(
            InvoiceStatus::Void.after(&money(0, 0, 0)),
            InvoiceStatus::Void
        );
    }

    #[test]
    fn numbers_read_aloud() {
        assert_eq!(document_number("INV", 2026, 123), "INV-2026-000123");
    }

    fn any_line() -> impl Strategy<Value = PricedLine> {
        (
            1i64..50_000,
            0i64..5_000_000,
            prop::sample::select(vec![0, 500, 825, 1000, 2000, 2100]),
        )
            .prop_map(|(q, p, r)| line(q, p, r))
    }

    proptest! {
        #[test]
        fn totals_add_up(lines in prop::collection::vec(any_line(), 0..20), inclusive in any::<bool>()) {
            let mode = TaxMode::from_flag(inclusive);
            let t = totals(&lines, mode).unwrap();
            prop_assert_eq!(t.total, t.net + t.tax);
            prop_assert_eq!(t.net, t.groups.iter().map(|g| g.net).sum::<i64>());
            prop_assert_eq!(t.tax, t.groups.iter().map(|g| g.tax).sum::<i64>());
            let sum: i64 = lines.iter().map(PricedLine::amount).sum();
            match mode {
                // Inclusive prices are what the customer pays, to the minor unit.
                TaxMode::Inclusive => prop_assert_eq!(t.total, sum),
                TaxMode::Exclusive => prop_assert_eq!(t.net, sum),
            }
            for g in &t.groups {
                prop_assert!(g.tax >= 0 && g.net >= 0);
                // One rounding per group: never more than half a minor unit off the exact tax.
                let exact = Decimal::from(g.net) * rate(g.rate_bp);
                if mode == TaxMode::Exclusive {
                    prop_assert!((Decimal::from(g.tax) - exact).abs() <= Decimal::new(5, 1));
                }
            }
        }

        #[test]
        fn balance_is_total_less_payments_plus_refunds(
            total in 0i64..10_000_000, paid in 0i64..10_000_000, refunded in 0i64..1_000_000, credited in 0i64..1_000_000
        ) {
            let money = Settlement { total, credited, paid, refunded };
            prop_assert_eq!(money.balance_due(), total - credited - paid + refunded);
            let status = InvoiceStatus::Issued.after(&money);
            prop_assert_eq!(status == InvoiceStatus::Paid, money.balance_due() <= 0);
        }

        #[test]
        fn chargeable_never_exceeds_the_balance(balance in 0i64..100_000_000, exponent in 0u32..4) {
            let c = chargeable(balance, exponent);
            prop_assert!(c <= balance && balance - c < card_step(exponent));
            prop_assert_eq!(c % card_step(exponent), 0);
        }
    }
}
