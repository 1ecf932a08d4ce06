//! Reports and repair histories on paper: the same tables as their pages, written as tagged
//! PDFs by `pitlane-print` (embedded Unicode fonts, so every name prints in its own script;
//! headings and tables a screen reader can follow).

use pitlane_domain::text::CurrencyCode;
use pitlane_print::{Column, Document, Rgb, Row};

use crate::{
    history::History,
    report::{Report, Table, Unit, Value},
    text,
};

/// The labels are English, so is the document's language.
const LANG: &str = "en";

/// The brand band's colour when the stored one does not read as `#rrggbb`.
const FALLBACK_BRAND: Rgb = Rgb(0x33, 0x33, 0x33);

/// Whose paper it is: the workshop's name and brand colour (`#rrggbb`).
#[derive(Debug, Clone, Copy)]
pub struct Letterhead<'a> {
    pub workshop: &'a str,
    pub brand: &'a str,
}

impl<'a> Letterhead<'a> {
    /// The workshop's own paper.
    pub fn of(workshop: &'a pitlane_store::entity::tenant::Model) -> Self {
        Letterhead {
            workshop: &workshop.name,
            brand: &workshop.brand_primary,
        }
    }

    fn start(&self, title: &str) -> Document {
        let mut doc = Document::new(title, LANG);
        doc.set_brand(Rgb::from_hex(self.brand).unwrap_or(FALLBACK_BRAND));
        doc.heading(self.workshop);
        doc
    }
}

/// What a report's PDF is saved as: `sales-2026-03-01-to-2026-03-31.pdf`.
pub fn report_file_name(report: &Report) -> String {
    format!(
        "{}-{}-to-{}.pdf",
        report.kind.key(),
        report.period.from,
        report.period.to
    )
}

/// A report's PDF: its headlines against the earlier periods, then every table.
pub fn report(report: &Report, head: Letterhead<'_>) -> Vec<u8> {
    let currency = text::currency(&report.currency);
    let title = report.kind.title();
    let mut doc = head.start(title);
    doc.subheading(title);
    doc.paragraph(&format!(
        "{} · {}",
        report
            .branch
            .as_ref()
            .map_or("All branches", |b| b.1.as_str()),
        text::period(report)
    ));
    if !report.headlines.is_empty() {
        doc.space(6.0);
        let columns = [
            Column::left("Figure", 2.2),
            Column::right(text::days(&report.period), 1.4),
            Column::right(text::days(&report.previous), 1.4),
            Column::right("Change", 0.8),
            Column::right(text::days(&report.last_year), 1.4),
            Column::right("Change", 0.8),
        ];
        let rows: Vec<Row> = report
            .headlines
            .iter()
            .map(|h| {
                let value = |n: Option<i64>| text::shown(h.unit, &Value::maybe(n), &currency);
                Row::new([
                    h.label.to_owned(),
                    value(h.current),
                    value(h.previous),
                    text::change(h.current, h.previous).unwrap_or_default(),
                    value(h.last_year),
                    text::change(h.current, h.last_year).unwrap_or_default(),
                ])
            })
            .collect();
        doc.table(&columns, &rows);
    }
    for table in &report.tables {
        section(&mut doc, table, &currency);
    }
    doc.finish()
}

/// A repair history's PDF: who or what it is of, then its tables.
pub fn history(history: &History, head: Letterhead<'_>) -> Vec<u8> {
    let currency = text::currency(&history.currency);
    let mut doc = head.start(&history.title);
    doc.subheading(&history.title);
    if !history.facts.is_empty() {
        let facts: Vec<Row> = history
            .facts
            .iter()
            .map(|(label, value)| Row::new([(*label).to_owned(), value.clone()]))
            .collect();
        doc.summary(&facts);
    }
    for table in &history.tables {
        section(&mut doc, table, &currency);
    }
    doc.finish()
}

/// One table under its heading: text columns get more of the width than figures, figures
/// line up on the right, the totals row is bold.
fn section(doc: &mut Document, table: &Table, currency: &CurrencyCode) {
    doc.subheading(&table.title);
    doc.note(&table.description);
    if table.rows.is_empty() {
        doc.paragraph("Nothing in this period.");
        return;
    }
    let columns: Vec<Column> = table
        .columns
        .iter()
        .map(|c| match c.unit {
            Unit::Text => Column::left(c.label, 2.0),
            Unit::Date => Column::left(c.label, 1.2),
            _ => Column::right(c.label, 1.0),
        })
        .collect();
    let row = |values: &[Value]| {
        Row::new(
            table
                .columns
                .iter()
                .zip(values)
                .map(|(c, v)| text::shown(c.unit, v, currency)),
        )
    };
    let mut rows: Vec<Row> = table.rows.iter().map(|r| row(r)).collect();
    if let Some(totals) = &table.totals {
        rows.push(row(totals).strong());
    }
    doc.table(&columns, &rows);
}

#[cfg(test)]
mod tests {
    use pitlane_domain::ids::CustomerId;
    use uuid::Uuid;

    use super::*;
    use crate::{
        history::Subject,
        report::{Table, col},
    };

    fn text_of(pdf: &[u8]) -> String {
        let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        let text = doc.extract_text(&pages).expect("text");
        // lopdf puts a space after each `TJ`: compare with whitespace collapsed.
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_repair_history_prints_every_script_and_reads_back() {
        let name = "Zofia Wójcik · Γιώργος · Дмитрий · 王小明";
        let mut orders = Table::new(
            "orders",
            "Repair orders",
            "Every repair order.",
            vec![
                col("order", "Order", Unit::Text),
                col("opened", "Opened", Unit::Date),
                col("approved", "Approved work", Unit::Money),
            ],
        );
        orders.rows.push(vec![
            Value::text("RO-1001"),
            Value::text("2026-03-29"),
            Value::Number(12_345),
        ]);
        orders.totals = Some(vec![
            Value::text("1 orders"),
            Value::Empty,
            Value::Number(12_345),
        ]);
        let history = History {
            subject: Subject::Customer(CustomerId(Uuid::nil())),
            title: format!("Repair history of {name}"),
            facts: vec![("Phone", "+48 22 123 45 67".to_owned())],
            currency: "EUR".into(),
            tables: vec![orders],
        };
        let pdf = super::history(
            &history,
            Letterhead {
                workshop: "Kowalski Auto Serwis",
                brand: "#0a5",
            },
        );
        let text = text_of(&pdf);
        for expected in [
            "Kowalski Auto Serwis",
            name,
            "Phone +48 22 123 45 67",
            "RO-1001 2026-03-29 123.45 EUR",
            "1 orders",
        ] {
            let expected = expected.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(text.contains(&expected), "{expected} in\n{text}");
        }
        assert!(
            String::from_utf8_lossy(&pdf).contains("/StructTreeRoot"),
            "tagged"
        );
    }
}
