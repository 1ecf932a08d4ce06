//! The figures every money report and dashboard tile is made of, each defined once here.
//!
//! A [`Figures`] is a set of sums over one branch and one local day (or any range of them:
//! figures add up). They are kept per branch and day in `daily_figures`, in the same
//! transaction as the documents they count, and recomputed from those documents by the
//! rebuild; both go through [`super::facts`], so the two cannot disagree.
//!
//! Money is the tenant's currency in minor units, net of tax unless the name says tax.
//! Hours are thousandths.

use std::ops::{Add, AddAssign, Neg};

macro_rules! figures {
    ($($(#[doc = $doc:literal])* $field:ident),* $(,)?) => {
        /// Sums for a branch over some local days; see each field for its definition.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct Figures {
            $($(#[doc = $doc])* pub $field: i64,)*
        }

        impl Figures {
            /// Every figure's name, in the order [`Figures::values`] gives them.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            pub fn values(&self) -> Vec<i64> {
                vec![$(self.$field),*]
            }

            /// The figures from values in [`Figures::NAMES`] order (missing ones are 0).
            pub fn from_values(values: &[i64]) -> Self {
                let mut it = values.iter().copied();
                Self { $($field: it.next().unwrap_or(0),)* }
            }

            pub fn is_zero(&self) -> bool {
                *self == Self::default()
            }
        }

        impl Add for Figures {
            type Output = Figures;
            fn add(self, other: Figures) -> Figures {
                Figures { $($field: self.$field + other.$field,)* }
            }
        }

        impl Neg for Figures {
            type Output = Figures;
            fn neg(self) -> Figures {
                Figures { $($field: -self.$field,)* }
            }
        }
    };
}

figures! {
    /// Invoices issued (and not voided), counted on their issue day.
    invoices,
    /// Car count: issued invoices for a vehicle (a repair order's, or a counter sale with a
    /// vehicle), on their issue day.
    cars,
    /// Labour sold: the net amount of labour lines on issued invoices (hourly and flat rate).
    labour_minor,
    /// Parts sold: the net amount of part lines on issued invoices.
    parts_minor,
    /// Fees sold (shop supplies, disposal, diagnostics fees…): net amount of fee lines.
    fees_minor,
    /// Anything else typed on an invoice (sublet work, goodwill items): net of `other` lines.
    other_minor,
    /// Discounts given on issued invoices, as a positive amount.
    discounts_minor,
    /// Net invoiced: labour + parts + fees + other − discounts, before tax and credit notes.
    net_minor,
    /// Tax on issued invoices.
    tax_minor,
    /// Credit notes written, counted on the day they were written.
    credit_notes,
    /// What credit notes took back, net of tax, on the day they were written.
    credited_net_minor,
    /// The tax credit notes took back.
    credited_tax_minor,
    /// What the parts on issued invoices cost the workshop (their cost when invoiced).
    parts_cost_minor,
    /// What the labour on issued invoices cost: billed hours × the branch's labour cost per
    /// hour when invoiced.
    labour_cost_minor,
    /// Billed hours: the hours labour lines charge (a flat-rate job's book hours).
    billed_hours_milli,
    /// Payments received, counted on the day they were received.
    payments,
    /// The amount of those payments.
    payments_minor,
    /// Refunds made (once they succeeded), on the day they were asked for.
    refunds,
    /// The amount of those refunds.
    refunds_minor,
    /// Estimate lines the customer answered (approved or declined), on the day they answered.
    answered_lines,
    /// Of those, the lines approved.
    approved_lines,
    /// What the answered lines asked, before tax: each priced as the repair order prices it.
    answered_value_minor,
    /// What the approved lines came to, before tax.
    approved_value_minor,
    /// Inspections started, on the day they were started.
    inspections,
    /// Of those, the inspections completed (counted on the day they were started).
    inspections_completed,
    /// The points of those inspections rated green (good).
    findings_green,
    /// Rated yellow (needs attention soon).
    findings_yellow,
    /// Rated red (needs work now).
    findings_red,
    /// Not rated yet.
    findings_unrated,
}

impl AddAssign for Figures {
    fn add_assign(&mut self, other: Figures) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Figures {
    fn sum<I: Iterator<Item = Figures>>(iter: I) -> Figures {
        iter.fold(Figures::default(), Add::add)
    }
}

/// A share in basis points (`part ÷ whole × 10 000`), rounded half away from zero; `None`
/// when the whole is 0.
pub fn ratio_bp(part: i64, whole: i64) -> Option<i64> {
    if whole == 0 {
        return None;
    }
    let scaled = i128::from(part) * 10_000;
    let whole = i128::from(whole);
    let half = whole.abs() / 2;
    let rounded = if (scaled >= 0) == (whole > 0) {
        (scaled.abs() + half) / whole.abs()
    } else {
        -((scaled.abs() + half) / whole.abs())
    };
    i64::try_from(rounded).ok()
}

/// `amount ÷ count`, rounded half away from zero; `None` when the count is 0.
pub fn per(amount: i64, count: i64) -> Option<i64> {
    ratio_bp(amount, count).map(|bp| {
        let half = if bp >= 0 { 5_000 } else { -5_000 };
        (bp + half) / 10_000
    })
}

/// The derived metrics, each defined once.
impl Figures {
    /// Net sales: net invoiced minus what credit notes took back (both net of tax). For a
    /// period, this is the issued invoices of the period minus its credit notes.
    pub fn net_sales(&self) -> i64 {
        self.net_minor - self.credited_net_minor
    }

    /// Tax collected: tax on issued invoices minus the tax credit notes took back.
    pub fn tax_collected(&self) -> i64 {
        self.tax_minor - self.credited_tax_minor
    }

    /// Gross sales, tax included: net sales plus tax collected.
    pub fn gross_sales(&self) -> i64 {
        self.net_sales() + self.tax_collected()
    }

    /// Cost of sales: parts cost plus labour cost.
    pub fn cost(&self) -> i64 {
        self.parts_cost_minor + self.labour_cost_minor
    }

    /// Gross profit: net sales minus the cost of the parts and labour sold.
    pub fn gross_profit(&self) -> i64 {
        self.net_sales() - self.cost()
    }

    /// Gross profit as a share of net sales.
    pub fn gross_margin_bp(&self) -> Option<i64> {
        ratio_bp(self.gross_profit(), self.net_sales())
    }

    /// Parts profit: parts sold minus their cost.
    pub fn parts_profit(&self) -> i64 {
        self.parts_minor - self.parts_cost_minor
    }

    /// Parts margin: parts profit as a share of parts sold.
    pub fn parts_margin_bp(&self) -> Option<i64> {
        ratio_bp(self.parts_profit(), self.parts_minor)
    }

    /// Labour profit: labour sold minus its cost.
    pub fn labour_profit(&self) -> i64 {
        self.labour_minor - self.labour_cost_minor
    }

    /// Labour margin: labour profit as a share of labour sold.
    pub fn labour_margin_bp(&self) -> Option<i64> {
        ratio_bp(self.labour_profit(), self.labour_minor)
    }

    /// Average repair order: net sales ÷ car count.
    pub fn average_repair_order(&self) -> Option<i64> {
        per(self.net_sales(), self.cars)
    }

    /// Effective labour rate: labour sold ÷ billed hours (per hour).
    pub fn effective_labour_rate(&self) -> Option<i64> {
        if self.billed_hours_milli == 0 {
            return None;
        }
        per(self.labour_minor * 1000, self.billed_hours_milli)
    }

    /// Net payments: payments received minus refunds made.
    pub fn net_payments(&self) -> i64 {
        self.payments_minor - self.refunds_minor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_half_away_from_zero() {
        assert_eq!(ratio_bp(1, 3), Some(3333));
        assert_eq!(ratio_bp(2, 3), Some(6667));
        assert_eq!(ratio_bp(-2, 3), Some(-6667));
        assert_eq!(ratio_bp(5, 0), None);
        assert_eq!(per(10, 4), Some(3));
        assert_eq!(per(-10, 4), Some(-3));
        assert_eq!(per(9, 4), Some(2));
    }

    #[test]
    fn derived_metrics_follow_their_definitions() {
        let f = Figures {
            cars: 2,
            labour_minor: 30_000,
            parts_minor: 20_000,
            fees_minor: 1_000,
            discounts_minor: 1_000,
            net_minor: 50_000,
            tax_minor: 10_000,
            credited_net_minor: 5_000,
            credited_tax_minor: 1_000,
            parts_cost_minor: 12_000,
            labour_cost_minor: 10_000,
            billed_hours_milli: 2_500,
            ..Figures::default()
        };
        assert_eq!(f.net_sales(), 45_000);
        assert_eq!(f.tax_collected(), 9_000);
        assert_eq!(f.gross_sales(), 54_000);
        assert_eq!(f.gross_profit(), 23_000);
        assert_eq!(f.parts_margin_bp(), Some(4000));
        assert_eq!(f.average_repair_order(), Some(22_500));
        assert_eq!(f.effective_labour_rate(), Some(12_000));
        assert_eq!(Figures::from_values(&f.values()), f);
        assert_eq!(f + -f, Figures::default());
    }
}

/// The middle of some durations in seconds (the lower of the two middles when there is an even
/// number), as thousandths of an hour for a report; `None` for none.
pub fn median_hours_milli(mut seconds: Vec<i64>) -> Option<i64> {
    if seconds.is_empty() {
        return None;
    }
    seconds.sort_unstable();
    let middle = seconds[(seconds.len() - 1) / 2];
    Some((i128::from(middle) * 1000 / 3600) as i64)
}

#[cfg(test)]
mod median_tests {
    use super::median_hours_milli;

    #[test]
    fn the_median_is_the_middle_duration_in_thousandths_of_an_hour() {
        assert_eq!(median_hours_milli(vec![]), None);
        assert_eq!(median_hours_milli(vec![3600]), Some(1000));
        assert_eq!(median_hours_milli(vec![1800, 600, 36_000]), Some(500));
        assert_eq!(median_hours_milli(vec![600, 1800]), Some(166));
    }
}
