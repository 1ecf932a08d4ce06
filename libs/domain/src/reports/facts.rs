//! What each document adds to the daily figures: the one place that decides it, used both
//! when a document changes (in its own transaction) and when the figures are rebuilt from
//! scratch. A voided invoice takes back exactly what its issue added ([`negate`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::figures::Figures;
use crate::invoicing::{self, PricedLine, TaxMode, TotalsError};

/// What a row of figures is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    /// The branch's whole day (key '').
    All,
    /// The service advisor of the repair order invoiced (a membership id, '' for none).
    Advisor,
    /// The mechanic whose job a line was for ('' for lines of no job).
    Technician,
    /// The work category of a line: the skill of the job it was for ('' for none).
    Category,
    /// The tax on an invoice line or credit note, by its name on the document.
    TaxRate,
    /// How a payment was made (`cash`, `card_online`…); refunds go back the same way.
    Method,
    /// Estimate answers, by the service advisor of the repair order (a membership id, ''
    /// for none).
    Estimates,
    /// Inspections and their findings, by the name the inspector was recorded under ('' for
    /// none).
    Inspector,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Dimension::All,
        Dimension::Advisor,
        Dimension::Technician,
        Dimension::Category,
        Dimension::TaxRate,
        Dimension::Method,
        Dimension::Estimates,
        Dimension::Inspector,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Dimension::All => "all",
            Dimension::Advisor => "advisor",
            Dimension::Technician => "technician",
            Dimension::Category => "category",
            Dimension::TaxRate => "tax_rate",
            Dimension::Method => "method",
            Dimension::Estimates => "estimates",
            Dimension::Inspector => "inspector",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.key() == key)
    }
}

/// Which row of `daily_figures` a delta goes to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FigureKey {
    pub branch_id: Uuid,
    pub day: NaiveDate,
    pub dimension: Dimension,
    pub key: String,
}

/// Changes to the daily figures, one per row, in the rows' order: written in this order,
/// two transactions touching the same rows lock them in the same order.
pub type Deltas = BTreeMap<FigureKey, Figures>;

/// Adds `from` into `into`, dropping rows that come to nothing.
pub fn merge(into: &mut Deltas, from: Deltas) {
    for (key, figures) in from {
        let entry = into.entry(key.clone()).or_default();
        *entry += figures;
        if entry.is_zero() {
            into.remove(&key);
        }
    }
}

/// The deltas that undo `deltas`.
pub fn negate(deltas: Deltas) -> Deltas {
    deltas.into_iter().map(|(k, f)| (k, -f)).collect()
}

fn add(deltas: &mut Deltas, at: (Uuid, NaiveDate), dimension: Dimension, key: &str, f: Figures) {
    let row = FigureKey {
        branch_id: at.0,
        day: at.1,
        dimension,
        key: key.to_owned(),
    };
    *deltas.entry(row).or_default() += f;
}

/// One line of an issued invoice, as the figures read it.
#[derive(Debug, Clone)]
pub struct InvoiceLineFacts {
    /// `labour`, `part`, `fee`, `discount` or `other`.
    pub kind: String,
    pub quantity_milli: i64,
    /// Negative for a discount.
    pub unit_price: i64,
    pub tax_rate_bp: i32,
    pub tax_name: String,
    pub unit_cost: i64,
    pub billed_hours_milli: i64,
    pub category: String,
    pub technician_id: Option<Uuid>,
}

/// An issued invoice, as the figures read it.
#[derive(Debug, Clone)]
pub struct InvoiceFacts {
    pub branch_id: Uuid,
    /// The branch-local day it was issued.
    pub day: NaiveDate,
    pub has_vehicle: bool,
    pub advisor_id: Option<Uuid>,
    pub mode: TaxMode,
    pub lines: Vec<InvoiceLineFacts>,
}

/// Each line's net amount and tax, summing exactly to the invoice's totals. With prices
/// that exclude tax a line's net is its amount; with prices that include it, each rate's
/// net (from the invoice's totals) is shared among its lines in proportion to their
/// amounts, the last minor units going to the largest lines.
pub fn split_lines(lines: &[PricedLine], mode: TaxMode) -> Result<Vec<(i64, i64)>, TotalsError> {
    let totals = invoicing::totals(lines, mode)?;
    let amounts: Vec<i64> = lines.iter().map(PricedLine::amount).collect();
    let mut out: Vec<(i64, i64)> = vec![(0, 0); lines.len()];
    for group in &totals.groups {
        let members: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].tax_rate_bp == group.rate_bp)
            .collect();
        let sum: i64 = members.iter().map(|&i| amounts[i]).sum();
        let mut given = 0;
        for &i in &members {
            let net = if sum == 0 {
                0
            } else {
                i64::try_from(i128::from(amounts[i]) * i128::from(group.net) / i128::from(sum))
                    .unwrap_or(0)
            };
            out[i].0 = net;
            given += net;
        }
        let mut by_size = members.clone();
        by_size.sort_by_key(|&i| std::cmp::Reverse(amounts[i].abs()));
        let mut left = group.net - given;
        for &i in by_size.iter().cycle().take(by_size.len() * 4) {
            if left == 0 {
                break;
            }
            let step = left.signum();
            out[i].0 += step;
            left -= step;
        }
        if left != 0
            && let Some(&first) = by_size.first()
        {
            out[first].0 += left;
        }
        for &i in &members {
            out[i].1 = amounts[i] - out[i].0;
            if mode == TaxMode::Exclusive {
                out[i].1 = 0;
            }
        }
        if mode == TaxMode::Exclusive {
            // Tax is charged per rate, not per line: it goes to the rate's largest line.
            if let Some(&first) = by_size.first() {
                out[first].1 = group.tax;
            }
        }
    }
    Ok(out)
}

fn cost_of(quantity_milli: i64, unit_cost: i64) -> i64 {
    PricedLine {
        quantity_milli,
        unit_price: unit_cost,
        tax_rate_bp: 0,
    }
    .amount()
}

/// What issuing an invoice adds, on its issue day.
pub fn of_invoice(invoice: &InvoiceFacts) -> Result<Deltas, TotalsError> {
    let priced: Vec<PricedLine> = invoice
        .lines
        .iter()
        .map(|l| PricedLine {
            quantity_milli: l.quantity_milli,
            unit_price: l.unit_price,
            tax_rate_bp: l.tax_rate_bp,
        })
        .collect();
    let split = split_lines(&priced, invoice.mode)?;
    let at = (invoice.branch_id, invoice.day);
    let mut deltas = Deltas::new();
    let mut whole = Figures {
        invoices: 1,
        cars: i64::from(invoice.has_vehicle),
        ..Figures::default()
    };
    for (line, (net, tax)) in invoice.lines.iter().zip(split) {
        let mut f = Figures {
            net_minor: net,
            tax_minor: tax,
            ..Figures::default()
        };
        match line.kind.as_str() {
            "labour" => {
                f.labour_minor = net;
                f.billed_hours_milli = line.billed_hours_milli;
                f.labour_cost_minor = cost_of(line.billed_hours_milli, line.unit_cost);
            }
            "part" => {
                f.parts_minor = net;
                f.parts_cost_minor = cost_of(line.quantity_milli, line.unit_cost);
            }
            "fee" => f.fees_minor = net,
            "discount" => f.discounts_minor = -net,
            _ => f.other_minor = net,
        }
        let tax_only = Figures {
            net_minor: net,
            tax_minor: tax,
            ..Figures::default()
        };
        add(
            &mut deltas,
            at,
            Dimension::TaxRate,
            &line.tax_name,
            tax_only,
        );
        let by_line = Figures { tax_minor: 0, ..f };
        add(
            &mut deltas,
            at,
            Dimension::Category,
            &line.category,
            by_line,
        );
        let technician = line
            .technician_id
            .map(|t| t.to_string())
            .unwrap_or_default();
        add(&mut deltas, at, Dimension::Technician, &technician, by_line);
        whole += f;
    }
    let advisor = invoice
        .advisor_id
        .map(|a| a.to_string())
        .unwrap_or_default();
    add(&mut deltas, at, Dimension::All, "", whole);
    add(&mut deltas, at, Dimension::Advisor, &advisor, whole);
    Ok(deltas)
}

/// A credit note, as the figures read it: its lines' amounts include tax.
#[derive(Debug, Clone)]
pub struct CreditNoteFacts {
    pub branch_id: Uuid,
    pub day: NaiveDate,
    /// The advisor of the invoice it corrects.
    pub advisor_id: Option<Uuid>,
    /// Each line: amount with tax, the rate, the tax's name.
    pub lines: Vec<(i64, i32, String)>,
}

/// What a credit note adds, on the day it was written.
pub fn of_credit_note(note: &CreditNoteFacts) -> Result<Deltas, TotalsError> {
    let priced: Vec<PricedLine> = note
        .lines
        .iter()
        .map(|(amount, rate, _)| PricedLine {
            quantity_milli: 1000,
            unit_price: *amount,
            tax_rate_bp: *rate,
        })
        .collect();
    let split = split_lines(&priced, TaxMode::Inclusive)?;
    let at = (note.branch_id, note.day);
    let mut deltas = Deltas::new();
    let mut whole = Figures {
        credit_notes: 1,
        ..Figures::default()
    };
    for ((_, _, name), (net, tax)) in note.lines.iter().zip(split) {
        let f = Figures {
            credited_net_minor: net,
            credited_tax_minor: tax,
            ..Figures::default()
        };
        add(&mut deltas, at, Dimension::TaxRate, name, f);
        whole += f;
    }
    let advisor = note.advisor_id.map(|a| a.to_string()).unwrap_or_default();
    add(&mut deltas, at, Dimension::All, "", whole);
    add(&mut deltas, at, Dimension::Advisor, &advisor, whole);
    Ok(deltas)
}

/// Estimate lines of one repair order answered one way on one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFacts {
    pub branch_id: Uuid,
    /// The branch-local day the customer answered.
    pub day: NaiveDate,
    pub advisor_id: Option<Uuid>,
    pub approved: bool,
    pub lines: i64,
    /// What the lines ask before tax, each priced as the repair order prices it.
    pub value_minor: i64,
}

/// What answered estimate lines add, by the order's advisor, on the day they were answered.
pub fn of_answers(answers: &AnswerFacts) -> Deltas {
    let approved = i64::from(answers.approved);
    let f = Figures {
        answered_lines: answers.lines,
        approved_lines: approved * answers.lines,
        answered_value_minor: answers.value_minor,
        approved_value_minor: approved * answers.value_minor,
        ..Figures::default()
    };
    let advisor = answers
        .advisor_id
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut deltas = Deltas::new();
    add(
        &mut deltas,
        (answers.branch_id, answers.day),
        Dimension::Estimates,
        &advisor,
        f,
    );
    deltas
}

/// An inspection as the figures read it: who started it, on which day, and its points'
/// ratings as they stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionFacts {
    pub branch_id: Uuid,
    /// The branch-local day it was started.
    pub day: NaiveDate,
    /// The name the inspector was recorded under ('' for none).
    pub inspector: String,
    pub completed: bool,
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
    pub unrated: i64,
}

/// What an inspection adds, by its inspector, on the day it was started. A change to it
/// adds the difference: [`of_inspection`] after, [`negate`]d before.
pub fn of_inspection(inspection: &InspectionFacts) -> Deltas {
    let f = Figures {
        inspections: 1,
        inspections_completed: i64::from(inspection.completed),
        findings_green: inspection.green,
        findings_yellow: inspection.yellow,
        findings_red: inspection.red,
        findings_unrated: inspection.unrated,
        ..Figures::default()
    };
    let mut deltas = Deltas::new();
    add(
        &mut deltas,
        (inspection.branch_id, inspection.day),
        Dimension::Inspector,
        &inspection.inspector,
        f,
    );
    deltas
}

/// What a payment adds, on the day it was received.
pub fn of_payment(branch_id: Uuid, day: NaiveDate, method: &str, amount: i64) -> Deltas {
    let f = Figures {
        payments: 1,
        payments_minor: amount,
        ..Figures::default()
    };
    let mut deltas = Deltas::new();
    add(&mut deltas, (branch_id, day), Dimension::All, "", f);
    add(&mut deltas, (branch_id, day), Dimension::Method, method, f);
    deltas
}

/// What a succeeded refund adds, on the day it was asked for, by its payment's method.
pub fn of_refund(branch_id: Uuid, day: NaiveDate, method: &str, amount: i64) -> Deltas {
    let f = Figures {
        refunds: 1,
        refunds_minor: amount,
        ..Figures::default()
    };
    let mut deltas = Deltas::new();
    add(&mut deltas, (branch_id, day), Dimension::All, "", f);
    add(&mut deltas, (branch_id, day), Dimension::Method, method, f);
    deltas
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_changed_inspection_adds_only_its_difference() {
        let branch = Uuid::now_v7();
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).expect("day");
        let started = InspectionFacts {
            branch_id: branch,
            day,
            inspector: "Ana".into(),
            completed: false,
            green: 0,
            yellow: 0,
            red: 0,
            unrated: 3,
        };
        let done = InspectionFacts {
            completed: true,
            green: 2,
            red: 1,
            unrated: 0,
            ..started.clone()
        };
        let mut change = of_inspection(&done);
        merge(&mut change, negate(of_inspection(&started)));
        let (key, f) = change.into_iter().next().expect("one row");
        assert_eq!(key.dimension, Dimension::Inspector);
        assert_eq!(key.key, "Ana");
        assert_eq!(
            (f.inspections, f.inspections_completed, f.findings_green),
            (0, 1, 2)
        );
        assert_eq!((f.findings_red, f.findings_unrated), (1, -3));
    }

    #[test]
    fn answers_count_for_the_advisor_and_approved_ones_twice() {
        let (branch, advisor) = (Uuid::now_v7(), Uuid::now_v7());
        let day = NaiveDate::from_ymd_opt(2026, 4, 1).expect("day");
        let answers = |approved, value| AnswerFacts {
            branch_id: branch,
            day,
            advisor_id: Some(advisor),
            approved,
            lines: 1,
            value_minor: value,
        };
        let mut all = of_answers(&answers(true, 4_000));
        merge(&mut all, of_answers(&answers(false, 2_500)));
        let f = all.values().copied().sum::<Figures>();
        assert_eq!((f.answered_lines, f.approved_lines), (2, 1));
        assert_eq!(
            (f.answered_value_minor, f.approved_value_minor),
            (6_500, 4_000)
        );
        assert!(all.keys().all(|k| k.key == advisor.to_string()));
    }

    fn line(kind: &str, quantity: i64, price: i64, rate: i32) -> InvoiceLineFacts {
        InvoiceLineFacts {
            kind: kind.into(),
            quantity_milli: quantity,
            unit_price: price,
            tax_rate_bp: rate,
            tax_name: format!("Tax {rate}"),
            unit_cost: 0,
            billed_hours_milli: 0,
            category: String::new(),
            technician_id: None,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
    }

    #[test]
    fn an_invoice_adds_its_lines_by_kind_with_costs() {
        let mechanic = Uuid::now_v7();
        let mut labour = line("labour", 1500, 10_000, 2000);
        labour.billed_hours_milli = 1500;
        labour.unit_cost = 4_000;
        labour.technician_id = Some(mechanic);
        labour.category = "brakes".into();
        let mut part = line("part", 2000, 2_500, 2000);
        part.unit_cost = 1_000;
        let invoice = InvoiceFacts {
            branch_id: Uuid::nil(),
            day: day(),
            has_vehicle: true,
            advisor_id: None,
            mode: TaxMode::Exclusive,
            lines: vec![labour, part, line("discount", 1000, -1_000, 2000)],
        };
        let deltas = of_invoice(&invoice).unwrap();
        let all = deltas
            .iter()
            .find(|(k, _)| k.dimension == Dimension::All)
            .unwrap()
            .1;
        assert_eq!(all.labour_minor, 15_000);
        assert_eq!(all.parts_minor, 5_000);
        assert_eq!(all.discounts_minor, 1_000);
        assert_eq!(all.net_minor, 19_000);
        assert_eq!(all.tax_minor, 3_800);
        assert_eq!(all.labour_cost_minor, 6_000);
        assert_eq!(all.parts_cost_minor, 2_000);
        assert_eq!((all.invoices, all.cars), (1, 1));
        let brakes = deltas
            .iter()
            .find(|(k, _)| k.dimension == Dimension::Category && k.key == "brakes")
            .unwrap()
            .1;
        assert_eq!(brakes.labour_minor, 15_000);
        let tech = deltas
            .iter()
            .find(|(k, _)| k.dimension == Dimension::Technician && k.key == mechanic.to_string())
            .unwrap()
            .1;
        assert_eq!(tech.billed_hours_milli, 1500);
    }

    #[test]
    fn void_takes_back_what_issuing_added() {
        let invoice = InvoiceFacts {
            branch_id: Uuid::nil(),
            day: day(),
            has_vehicle: false,
            advisor_id: Some(Uuid::now_v7()),
            mode: TaxMode::Inclusive,
            lines: vec![line("fee", 1000, 999, 2000)],
        };
        let mut deltas = of_invoice(&invoice).unwrap();
        merge(&mut deltas, negate(of_invoice(&invoice).unwrap()));
        assert!(deltas.is_empty());
    }

    proptest! {
        /// However the lines fall, their nets and taxes add up to the invoice's totals, to
        /// the minor unit.
        #[test]
        fn split_lines_sums_to_the_totals(
            lines in proptest::collection::vec((1i64..5_000, 1i64..100_000, prop_oneof![Just(0), Just(700), Just(2000)]), 1..8),
            inclusive in any::<bool>(),
        ) {
            let mode = if inclusive { TaxMode::Inclusive } else { TaxMode::Exclusive };
            let priced: Vec<PricedLine> = lines
                .iter()
                .map(|&(q, p, r)| PricedLine { quantity_milli: q, unit_price: p, tax_rate_bp: r })
                .collect();
            let totals = invoicing::totals(&priced, mode).unwrap();
            let split = split_lines(&priced, mode).unwrap();
            prop_assert_eq!(split.iter().map(|s| s.0).sum::<i64>(), totals.net);
            prop_assert_eq!(split.iter().map(|s| s.1).sum::<i64>(), totals.tax);
        }
    }
}
