//! The invoice as a PDF, from the same [`InvoiceView`] as its page: A4, the workshop's brand
//! colour and name, the branch's address, the number and dates, who is billed, the lines,
//! tax per rate, credit notes, payments and refunds, what is still due, and the footer.
//! Written by `pitlane-print`: embedded Unicode font subsets, so every customer's name prints
//! in its own script (Polish, Greek, Cyrillic, Arabic, Chinese, Japanese, Korean), and a
//! tagged PDF (headings, paragraphs, tables) that screen readers can follow.

use pitlane_domain::invoicing::TaxMode;
use pitlane_domain::quantity::{format_percent, format_quantity};
use pitlane_print::{Column, Document, Rgb, Row};

use crate::invoice::InvoiceView;

/// The labels are English, so is the document's language.
const LANG: &str = "en";

/// The brand band's colour when the stored one does not read as `#rrggbb`.
const FALLBACK_BRAND: Rgb = Rgb(0x33, 0x33, 0x33);

/// The invoice's PDF.
pub fn render(view: &InvoiceView) -> Vec<u8> {
    let inv = &view.invoice;
    let title = if inv.number.is_some() {
        format!("Invoice {}", view.title())
    } else {
        view.title()
    };
    let mut doc = Document::new(&title, LANG);
    doc.set_brand(Rgb::from_hex(&view.workshop.brand_primary).unwrap_or(FALLBACK_BRAND));

    doc.heading(&view.workshop.name);
    let address: Vec<&str> = [
        &view.branch.address_line1,
        &view.branch.city,
        &view.branch.postal_code,
        &view.branch.phone,
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect();
    doc.note(&format!("{} · {}", view.branch.name, address.join(", ")));

    doc.subheading(&title);
    let dates: Vec<Row> = [("Issued", inv.issued_at), ("Due", inv.due_at)]
        .into_iter()
        .filter_map(|(label, at)| {
            Some(Row::new([
                label.to_owned(),
                at?.format("%Y-%m-%d").to_string(),
            ]))
        })
        .collect();
    if !dates.is_empty() {
        doc.summary(&dates);
    }

    doc.subheading("Bill to");
    doc.paragraph(&inv.customer_name);
    if let Some(email) = &inv.customer_email {
        doc.paragraph(email);
    }
    if !inv.vehicle_label.is_empty() {
        doc.paragraph(&format!("Vehicle: {}", inv.vehicle_label));
    }

    doc.space(8.0);
    let lines: Vec<Row> = view
        .lines
        .iter()
        .map(|line| {
            Row::new([
                line.description.clone(),
                format_quantity(line.quantity_milli),
                view.amount(line.unit_price_minor).to_string(),
                format_percent(line.tax_rate_bp),
                view.amount(line.amount_minor).to_string(),
            ])
        })
        .collect();
    doc.table(
        &[
            Column::left("Description", 5.0),
            Column::right("Qty", 1.0),
            Column::right("Unit price", 1.6),
            Column::right("Tax", 1.0),
            Column::right("Amount", 1.6),
        ],
        &lines,
    );

    let figure = |label: String, minor: i64| Row::new([label, view.amount(minor).to_string()]);
    let mut figures = vec![figure("Net".into(), view.totals.net)];
    for group in &view.totals.groups {
        let label = format!(
            "Tax {} on {}",
            format_percent(group.rate_bp),
            view.amount(group.net)
        );
        figures.push(figure(label, group.tax));
    }
    figures.push(figure("Total".into(), inv.total_minor).strong());
    let money = view.money();
    if money.credited > 0 {
        figures.push(figure("Credited".into(), -money.credited));
    }
    if money.paid > 0 {
        figures.push(figure("Paid".into(), -money.paid));
    }
    if money.refunded > 0 {
        figures.push(figure("Refunded".into(), money.refunded));
    }
    figures.push(figure("Balance due".into(), money.balance_due().max(0)).strong());
    doc.summary(&figures);

    if view.mode() == TaxMode::Inclusive {
        doc.note("Prices include tax.");
    }
    if let Some(footer) = view
        .workshop
        .invoice_footer
        .as_deref()
        .or(inv.notes.as_deref())
    {
        doc.space(10.0);
        doc.note(footer);
    }
    doc.finish()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use pitlane_domain::invoicing::{InvoiceTotals, TaxGroup};
    use pitlane_store::entity::{branch, invoice, invoice_line, tenant};
    use uuid::Uuid;

    use super::*;

    /// An issued invoice for `customer`, half paid, with a line in another script.
    fn view(customer: &str) -> InvoiceView {
        let at = Utc
            .with_ymd_and_hms(2025, 3, 14, 9, 30, 0)
            .single()
            .expect("a date");
        let tenant_id = Uuid::nil();
        let invoice_id = Uuid::from_u128(1);
        InvoiceView {
            invoice: invoice::Model {
                tenant_id,
                id: invoice_id,
                number: Some("2025-0042".into()),
                branch_id: Uuid::from_u128(2),
                customer_id: Uuid::from_u128(3),
                vehicle_id: None,
                repair_order_id: None,
                advisor_id: None,
                status: "issued".into(),
                currency: "EUR".into(),
                prices_include_tax: false,
                customer_name: customer.into(),
                customer_email: Some("kunde@example.com".into()),
                customer_phone: None,
                vehicle_label: "Škoda Octavia · WX 12345".into(),
                notes: None,
                net_minor: 10_000,
                tax_minor: 2_300,
                total_minor: 12_300,
                credited_minor: 0,
                paid_minor: 5_000,
                refunded_minor: 0,
                issued_at: Some(at),
                due_at: Some(at + chrono::Duration::days(14)),
                voided_at: None,
                void_reason: None,
                created_by: None,
                created_at: at,
                updated_at: at,
            },
            lines: vec![invoice_line::Model {
                tenant_id,
                id: Uuid::from_u128(4),
                invoice_id,
                position: 1,
                kind: "labour".into(),
                description: "Wymiana oleju — 換油 — замена масла".into(),
                quantity_milli: 1_000,
                unit_price_minor: 10_000,
                tax_rate_bp: 2_300,
                tax_name: "VAT".into(),
                amount_minor: 10_000,
                unit_cost_minor: 0,
                billed_hours_milli: 0,
                category: String::new(),
                technician_id: None,
            }],
            totals: InvoiceTotals {
                groups: vec![TaxGroup {
                    rate_bp: 2_300,
                    net: 10_000,
                    tax: 2_300,
                }],
                discounts: 0,
                net: 10_000,
                tax: 2_300,
                total: 12_300,
            },
            payments: Vec::new(),
            refunds: Vec::new(),
            credit_notes: Vec::new(),
            branch: branch::Model {
                tenant_id,
                id: Uuid::from_u128(2),
                name: "Śródmieście".into(),
                address_line1: Some("ul. Długa 5".into()),
                address_line2: None,
                city: Some("Warszawa".into()),
                postal_code: Some("00-001".into()),
                region: None,
                country: Some("PL".into()),
                phone: Some("+48 22 123 45 67".into()),
                time_zone: "Europe/Warsaw".into(),
                business_hours: serde_json::json!({}),
                labour_rate_minor: 10_000,
                labour_cost_minor: 5_000,
                tax_rate_bp: 2_300,
                weekly_sales_goal_minor: 0,
                digest_hour: 7,
                created_at: at,
                updated_at: at,
            },
            workshop: tenant::Model {
                id: tenant_id,
                slug: "kowalski".into(),
                name: "Kowalski Auto Serwis".into(),
                status: "active".into(),
                plan: "pro".into(),
                brand_primary: "#1e40af".into(),
                brand_accent: "#f59e0b".into(),
                brand_logo_url: None,
                default_theme: "light".into(),
                email_sender_name: None,
                email_reply_to: None,
                sms_sender: None,
                country: Some("PL".into()),
                currency: "EUR".into(),
                trial_ends_at: None,
                require_sso: false,
                require_two_factor: false,
                sso_trusts_mfa: false,
                booking_auto_confirm: false,
                booking_cutoff_hours: 2,
                reminder_offsets: String::new(),
                parts_markup_bp: 0,
                price_matrix: None,
                shop_supplies_bp: 0,
                shop_supplies_cap_minor: 0,
                allow_negative_stock: false,
                pay_period: "weekly".into(),
                prices_include_tax: false,
                invoice_due_days: 14,
                invoice_footer: Some("Dziękujemy! IBAN PL61 1090 1014 0000 0712 1981 2874".into()),
                stripe_account_id: None,
                stripe_charges_enabled: false,
                stripe_details_submitted: false,
                stripe_customer_id: None,
                stripe_subscription_id: None,
                billing_status: "active".into(),
                past_due_since: None,
                trial_warned_at: None,
                figures_version: 2,
                awaiting_owner: false,
                created_at: at,
                updated_at: at,
            },
            last_checkout: None,
        }
    }

    /// Every structure element's `ActualText`: where right-to-left text keeps its logical
    /// order.
    fn actual_texts(doc: &lopdf::Document) -> Vec<String> {
        doc.objects
            .values()
            .filter_map(|object| object.as_dict().ok())
            .filter_map(|dict| dict.get(b"ActualText").ok())
            .filter_map(|text| lopdf::decode_text_string(text).ok())
            .collect()
    }

    #[test]
    fn a_customer_named_in_any_script_prints_and_reads_back() {
        for name in [
            "Zażółć Gęślą Jaźń",
            "Αλέξανδρος Παπαδόπουλος",
            "Дмитрий Иванов",
            "王小明",
            "田中 太郎",
            "김민준",
        ] {
            let pdf = render(&view(name));
            let doc = lopdf::Document::load_mem(&pdf).expect("the PDF parses");
            // lopdf puts a space after each `TJ`, so a line set in several fonts reads with
            // doubled spaces: compare with whitespace collapsed.
            let collapse = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
            let text = collapse(&doc.extract_text(&[1]).expect("text"));
            for expected in [
                name,
                "Kowalski Auto Serwis",
                "Śródmieście · ul. Długa 5, Warszawa, 00-001, +48 22 123 45 67",
                "Invoice 2025-0042",
                "2025-03-28",
                "Vehicle: Škoda Octavia · WX 12345",
                "Wymiana oleju — 換油 — замена масла",
                "Tax 23% on 100.00 EUR 23.00 EUR",
                "Total 123.00 EUR",
                "Paid -50.00 EUR",
                "Balance due 73.00 EUR",
                "Dziękujemy!",
            ] {
                assert!(text.contains(&collapse(expected)), "{expected} in\n{text}");
            }
            assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        }
        // Arabic is drawn right to left; its element keeps the name in logical order.
        let pdf = render(&view("محمد العلي"));
        let doc = lopdf::Document::load_mem(&pdf).expect("the PDF parses");
        assert!(actual_texts(&doc).contains(&"محمد العلي".to_owned()));
    }
}
