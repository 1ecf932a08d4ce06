//! What a repair order costs the customer and earns the workshop: its lines, shop supplies,
//! discounts, tax and gross profit. Amounts are integer minor units (see [`crate::money`]);
//! quantities, hours and rates are exact decimals.
//!
//! **Rounding, once:** every line amount, the shop-supplies fee and the tax are each rounded
//! to the currency's minor unit, half away from zero (2.345 → 2.35, −2.345 → −2.35). Totals
//! are sums of rounded amounts, so what a page shows always adds up.

use rust_decimal::{Decimal, RoundingStrategy, prelude::ToPrimitive};

/// Rounds a decimal amount of minor units to a whole one, half away from zero.
pub fn round_minor(amount: Decimal) -> i64 {
    amount
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(if amount.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// What a line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// Hours at an hourly rate (the branch's labour rate unless set); `cost_rate` is what an
    /// hour costs the workshop, for gross profit.
    Labour {
        hours: Decimal,
        rate: i64,
        cost_rate: i64,
    },
    /// A fixed price for the job, whatever the hours.
    LabourFlat {
        price: i64,
        hours: Decimal,
        cost_rate: i64,
    },
    Part {
        quantity: Decimal,
        unit_price: i64,
        unit_cost: i64,
    },
    /// Disposal, environmental and other fees.
    Fee { amount: i64 },
    /// A reduction, given as a positive amount.
    Discount { amount: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub taxable: bool,
}

impl Line {
    /// What the customer pays for the line (negative for a discount).
    pub fn amount(&self) -> i64 {
        match &self.kind {
            LineKind::Labour { hours, rate, .. } => round_minor(*hours * Decimal::from(*rate)),
            LineKind::LabourFlat { price, .. } => *price,
            LineKind::Part {
                quantity,
                unit_price,
                ..
            } => round_minor(*quantity * Decimal::from(*unit_price)),
            LineKind::Fee { amount } => *amount,
            LineKind::Discount { amount } => -amount,
        }
    }

    /// What the line costs the workshop.
    pub fn cost(&self) -> i64 {
        match &self.kind {
            LineKind::Labour {
                hours, cost_rate, ..
            }
            | LineKind::LabourFlat {
                hours, cost_rate, ..
            } => round_minor(*hours * Decimal::from(*cost_rate)),
            LineKind::Part {
                quantity,
                unit_cost,
                ..
            } => round_minor(*quantity * Decimal::from(*unit_cost)),
            LineKind::Fee { .. } | LineKind::Discount { .. } => 0,
        }
    }

    fn is_labour(&self) -> bool {
        matches!(
            self.kind,
            LineKind::Labour { .. } | LineKind::LabourFlat { .. }
        )
    }
}

/// Shop supplies: a percentage of labour, capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopSupplies {
    /// `0.05` for 5 %.
    pub rate: Decimal,
    pub cap: i64,
    pub taxable: bool,
}

/// The workshop's pricing for one order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules {
    pub shop_supplies: Option<ShopSupplies>,
    /// `0.0825` for 8.25 %.
    pub tax_rate: Decimal,
    /// Prices already contain the tax: it is taken out of them, not added on top (see
    /// [`crate::invoicing`], whose rule this follows).
    pub prices_include_tax: bool,
}

/// An order's figures, all in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub labour: i64,
    pub parts: i64,
    pub fees: i64,
    pub shop_supplies: i64,
    /// Positive: what the discounts take off.
    pub discounts: i64,
    /// Before tax: labour + parts + fees + shop supplies − discounts, never below zero.
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub cost: i64,
    /// Subtotal less cost.
    pub gross_profit: i64,
}

/// The figures of the lines the customer pays for (the caller leaves out declined ones).
pub fn totals(lines: &[Line], rules: &Rules) -> Totals {
    let mut t = Totals::default();
    let mut taxable: i64 = 0;
    for line in lines {
        let amount = line.amount();
        match line.kind {
            LineKind::Labour { .. } | LineKind::LabourFlat { .. } => t.labour += amount,
            LineKind::Part { .. } => t.parts += amount,
            LineKind::Fee { .. } => t.fees += amount,
            LineKind::Discount { .. } => t.discounts -= amount,
        }
        if line.taxable {
            taxable += amount;
        }
        t.cost += line.cost();
    }
    if let Some(supplies) = &rules.shop_supplies {
        let labour: i64 = lines
            .iter()
            .filter(|l| l.is_labour())
            .map(Line::amount)
            .sum();
        t.shop_supplies = round_minor(Decimal::from(labour.max(0)) * supplies.rate)
            .min(supplies.cap)
            .max(0);
        if supplies.taxable {
            taxable += t.shop_supplies;
        }
    }
    let sum = (t.labour + t.parts + t.fees + t.shop_supplies - t.discounts).max(0);
    let taxable = Decimal::from(taxable.max(0));
    if rules.prices_include_tax {
        t.tax = round_minor(taxable * rules.tax_rate / (Decimal::ONE + rules.tax_rate)).max(0);
        t.total = sum;
        t.subtotal = sum - t.tax;
    } else {
        t.tax = round_minor(taxable * rules.tax_rate).max(0);
        t.subtotal = sum;
        t.total = sum + t.tax;
    }
    t.gross_profit = t.subtotal - t.cost;
    t
}

/// A part's selling price from its cost: the markup of the first tier whose ceiling the cost
/// does not exceed (the last tier has no ceiling). Cheap parts usually carry more markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceMatrix {
    /// `(cost ceiling in minor units, markup)`, ascending; `None` for the last.
    pub tiers: Vec<(Option<i64>, Decimal)>,
}

impl PriceMatrix {
    /// One markup for every part (`0.4` for 40 %).
    pub fn flat(markup: Decimal) -> Self {
        Self {
            tiers: vec![(None, markup)],
        }
    }

    pub fn price_for(&self, cost: i64) -> i64 {
        let markup = self
            .tiers
            .iter()
            .find(|(ceiling, _)| ceiling.is_none_or(|c| cost <= c))
            .map_or(Decimal::ZERO, |(_, m)| *m);
        round_minor(Decimal::from(cost) * (Decimal::ONE + markup))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_minor(dec("234.5")), 235);
        assert_eq!(round_minor(dec("-234.5")), -235);
        assert_eq!(round_minor(dec("234.49")), 234);
    }

    #[test]
    fn an_order_adds_up() {
        let lines = vec![
            Line {
                kind: LineKind::Labour {
                    hours: dec("1.5"),
                    rate: 12_000,
                    cost_rate: 4_000,
                },
                taxable: false,
            },
            Line {
                kind: LineKind::Part {
                    quantity: dec("2"),
                    unit_price: 4_599,
                    unit_cost: 2_800,
                },
                taxable: true,
            },
            Line {
                kind: LineKind::Fee { amount: 500 },
                taxable: true,
            },
            Line {
                kind: LineKind::Discount { amount: 1_000 },
                taxable: false,
            },
        ];
        let rules = Rules {
            shop_supplies: Some(ShopSupplies {
                rate: dec("0.05"),
                cap: 3_500,
                taxable: true,
            }),
            tax_rate: dec("0.0825"),
            prices_include_tax: false,
        };
        let t = totals(&lines, &rules);
        assert_eq!(t.labour, 18_000);
        assert_eq!(t.parts, 9_198);
        assert_eq!(t.shop_supplies, 900);
        assert_eq!(t.discounts, 1_000);
        assert_eq!(t.subtotal, 18_000 + 9_198 + 500 + 900 - 1_000);
        // (9,198 + 500 + 900) × 8.25 % = 874.335 → 874
        assert_eq!(t.tax, 874);
        assert_eq!(t.total, t.subtotal + 874);
        assert_eq!(t.cost, 6_000 + 5_600);
        assert_eq!(t.gross_profit, t.subtotal - t.cost);
    }

    #[test]
    fn the_price_matrix_takes_the_first_tier_that_fits() {
        let m = PriceMatrix {
            tiers: vec![
                (Some(1_000), dec("1.0")),
                (Some(10_000), dec("0.5")),
                (None, dec("0.25")),
            ],
        };
        assert_eq!(m.price_for(800), 1_600);
        assert_eq!(m.price_for(1_000), 2_000);
        assert_eq!(m.price_for(5_000), 7_500);
        assert_eq!(m.price_for(20_000), 25_000);
        assert_eq!(PriceMatrix::flat(dec("0.4")).price_for(1_999), 2_799);
    }

    fn any_line() -> impl Strategy<Value = Line> {
        let hours = (0i64..4_000).prop_map(|c| Decimal::new(c, 2));
        let kind = prop_oneof![
            (hours.clone(), 0i64..50_000, 0i64..20_000).prop_map(|(hours, rate, cost_rate)| {
                LineKind::Labour {
                    hours,
                    rate,
                    cost_rate,
                }
            }),
            (0i64..500_000, hours, 0i64..20_000).prop_map(|(price, hours, cost_rate)| {
                LineKind::LabourFlat {
                    price,
                    hours,
                    cost_rate,
                }
            }),
            (
                (1i64..400).prop_map(|q| Decimal::new(q, 1)),
                0i64..200_000,
                0i64..200_000
            )
                .prop_map(|(quantity, unit_price, unit_cost)| LineKind::Part {
                    quantity,
                    unit_price,
                    unit_cost
                }),
            (0i64..10_000).prop_map(|amount| LineKind::Fee { amount }),
            (0i64..50_000).prop_map(|amount| LineKind::Discount { amount }),
        ];
        (kind, any::<bool>()).prop_map(|(kind, taxable)| Line { kind, taxable })
    }

    fn any_rules() -> impl Strategy<Value = Rules> {
        (
            proptest::option::of((0i64..2_000, 0i64..10_000, any::<bool>())),
            0i64..2_500,
        )
            .prop_map(|(supplies, tax)| Rules {
                shop_supplies: supplies.map(|(rate, cap, taxable)| ShopSupplies {
                    rate: Decimal::new(rate, 4),
                    cap,
                    taxable,
                }),
                tax_rate: Decimal::new(tax, 4),
                prices_include_tax: false,
            })
    }

    proptest! {
        #[test]
        fn totals_are_the_sum_of_their_parts(lines in proptest::collection::vec(any_line(), 0..30), rules in any_rules()) {
            let t = totals(&lines, &rules);
            prop_assert_eq!(t.total, t.subtotal + t.tax);
            prop_assert_eq!(t.gross_profit, t.subtotal - t.cost);
            prop_assert!(t.subtotal >= 0 && t.tax >= 0);
            let sum = t.labour + t.parts + t.fees + t.shop_supplies - t.discounts;
            prop_assert_eq!(t.subtotal, sum.max(0));
            if let Some(s) = &rules.shop_supplies {
                prop_assert!(t.shop_supplies <= s.cap.max(0));
            }
            prop_assert_eq!(t.cost, lines.iter().map(Line::cost).sum::<i64>());
        }

        #[test]
        fn the_order_of_lines_does_not_matter(lines in proptest::collection::vec(any_line(), 0..20), rules in any_rules()) {
            let mut reversed = lines.clone();
            reversed.reverse();
            prop_assert_eq!(totals(&lines, &rules), totals(&reversed, &rules));
        }

        #[test]
        fn tax_is_within_half_a_minor_unit_of_exact(lines in proptest::collection::vec(any_line(), 0..20), rules in any_rules()) {
            let t = totals(&lines, &rules);
            let mut base: i64 = lines.iter().filter(|l| l.taxable).map(Line::amount).sum();
            if rules.shop_supplies.as_ref().is_some_and(|s| s.taxable) {
                base += t.shop_supplies;
            }
            let exact = Decimal::from(base.max(0)) * rules.tax_rate;
            prop_assert!((Decimal::from(t.tax) - exact).abs() <= dec("0.5"));
        }
    }
}
