//! The invoice as a PDF, from the same [`InvoiceView`] as its page: A4, the workshop's brand
//! colour and name, the lines, tax per rate, payments and what is still due. Written with
//! `pdf-writer` and the standard Helvetica fonts (nothing to embed), so it renders anywhere.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use pitlane_domain::quantity::format_quantity;

use crate::invoice::InvoiceView;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Windows-1252, which the standard fonts' WinAnsi encoding reads; what it lacks becomes `?`.
fn ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// Roughly how wide Helvetica sets a text: enough to right-align figures.
fn width(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * size * 0.556
}

fn hex_colour(hex: &str) -> (f32, f32, f32) {
    let hex = hex.trim_start_matches('#');
    let part = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|p| u8::from_str_radix(p, 16).ok())
            .map_or(0.2, |v| f32::from(v) / 255.0)
    };
    (part(0), part(2), part(4))
}

struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl Writer {
    fn page(&mut self) -> &mut Content {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = HEIGHT - MARGIN;
    }

    fn text(&mut self, x: f32, font: Name<'static>, size: f32, text: &str) {
        let y = self.y;
        let bytes = ansi(text);
        let page = self.page();
        page.begin_text();
        page.set_font(font, size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    fn right(&mut self, right_edge: f32, font: Name<'static>, size: f32, text: &str) {
        self.text(right_edge - width(text, size), font, size, text);
    }

    fn down(&mut self, by: f32) {
        self.y -= by;
        if self.y < MARGIN + 40.0 {
            self.new_page();
        }
    }
}

/// The invoice's PDF.
pub fn render(view: &InvoiceView) -> Vec<u8> {
    let inv = &view.invoice;
    let mut w = Writer {
        pages: Vec::new(),
        y: 0.0,
    };
    w.new_page();
    let (r, g, b) = hex_colour(&view.workshop.brand_primary);
    w.page()
        .set_fill_rgb(r, g, b)
        .rect(0.0, HEIGHT - 18.0, WIDTH, 18.0)
        .fill_nonzero()
        .set_fill_rgb(0.0, 0.0, 0.0);
    w.down(10.0);
    w.text(MARGIN, BOLD, 18.0, &view.workshop.name);
    let title = if inv.number.is_some() {
        format!("Invoice {}", view.title())
    } else {
        view.title()
    };
    w.right(WIDTH - MARGIN, BOLD, 14.0, &title);
    w.down(16.0);
    let address: Vec<String> = [
        view.branch.address_line1.clone(),
        view.branch.city.clone(),
        view.branch.postal_code.clone(),
        view.branch.phone.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    w.text(
        MARGIN,
        REGULAR,
        9.0,
        &format!("{} · {}", view.branch.name, address.join(", ")),
    );
    if let Some(issued) = inv.issued_at {
        w.right(
            WIDTH - MARGIN,
            REGULAR,
            9.0,
            &format!("Issued {}", issued.format("%Y-%m-%d")),
        );
    }
    w.down(12.0);
    if let Some(due) = inv.due_at {
        w.right(
            WIDTH - MARGIN,
            REGULAR,
            9.0,
            &format!("Due {}", due.format("%Y-%m-%d")),
        );
    }
    w.down(28.0);
    w.text(MARGIN, BOLD, 10.0, "Bill to");
    w.down(13.0);
    w.text(MARGIN, REGULAR, 10.0, &inv.customer_name);
    if let Some(email) = &inv.customer_email {
        w.down(12.0);
        w.text(MARGIN, REGULAR, 9.0, email);
    }
    if !inv.vehicle_label.is_empty() {
        w.down(12.0);
        w.text(
            MARGIN,
            REGULAR,
            9.0,
            &format!("Vehicle: {}", inv.vehicle_label),
        );
    }
    w.down(28.0);
    let (qty_x, unit_x, tax_x, amount_x) = (340.0, 420.0, 480.0, WIDTH - MARGIN);
    w.text(MARGIN, BOLD, 9.0, "Description");
    w.right(qty_x, BOLD, 9.0, "Qty");
    w.right(unit_x, BOLD, 9.0, "Unit price");
    w.right(tax_x, BOLD, 9.0, "Tax");
    w.right(amount_x, BOLD, 9.0, "Amount");
    w.down(6.0);
    let y = w.y;
    w.page()
        .move_to(MARGIN, y)
        .line_to(WIDTH - MARGIN, y)
        .stroke();
    w.down(13.0);
    for line in &view.lines {
        let description: String = line.description.chars().take(52).collect();
        w.text(MARGIN, REGULAR, 9.0, &description);
        w.right(qty_x, REGULAR, 9.0, &format_quantity(line.quantity_milli));
        w.right(
            unit_x,
            REGULAR,
            9.0,
            &view.amount(line.unit_price_minor).to_string(),
        );
        w.right(
            tax_x,
            REGULAR,
            9.0,
            &pitlane_domain::quantity::format_percent(line.tax_rate_bp),
        );
        w.right(
            amount_x,
            REGULAR,
            9.0,
            &view.amount(line.amount_minor).to_string(),
        );
        w.down(13.0);
    }
    w.down(8.0);
    let label_x = 420.0;
    let figure = |w: &mut Writer, label: &str, minor: i64, bold: bool| {
        let font = if bold { BOLD } else { REGULAR };
        w.right(label_x, font, 10.0, label);
        w.right(amount_x, font, 10.0, &view.amount(minor).to_string());
        w.down(14.0);
    };
    figure(&mut w, "Net", view.totals.net, false);
    for group in &view.totals.groups {
        let label = format!(
            "Tax {} on {}",
            pitlane_domain::quantity::format_percent(group.rate_bp),
            view.amount(group.net)
        );
        figure(&mut w, &label, group.tax, false);
    }
    figure(&mut w, "Total", inv.total_minor, true);
    let money = view.money();
    if money.credited > 0 {
        figure(&mut w, "Credited", -money.credited, false);
    }
    if money.paid > 0 {
        figure(&mut w, "Paid", -money.paid, false);
    }
    if money.refunded > 0 {
        figure(&mut w, "Refunded", money.refunded, false);
    }
    figure(&mut w, "Balance due", money.balance_due().max(0), true);
    if view.mode() == pitlane_domain::invoicing::TaxMode::Inclusive {
        w.down(6.0);
        w.text(MARGIN, REGULAR, 8.0, "Prices include tax.");
    }
    if let Some(footer) = view
        .workshop
        .invoice_footer
        .as_deref()
        .or(inv.notes.as_deref())
    {
        w.down(18.0);
        for chunk in footer.lines().take(6) {
            let text: String = chunk.chars().take(100).collect();
            w.text(MARGIN, REGULAR, 8.0, &text);
            w.down(11.0);
        }
    }
    assemble(w.pages, &title)
}

fn assemble(pages: Vec<Content>, title: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let mut next = 6;
    let mut page_refs = Vec::new();
    let mut content_refs = Vec::new();
    for _ in &pages {
        page_refs.push(Ref::new(next));
        content_refs.push(Ref::new(next + 1));
        next += 2;
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().copied())
        .count(pages.len() as i32);
    for (i, content) in pages.into_iter().enumerate() {
        let mut page = pdf.page(page_refs[i]);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(content_refs[i]);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(REGULAR, regular);
        fonts.pair(BOLD, bold);
        fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_refs[i], &content.finish());
    }
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = ansi(title);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&String::from_utf8_lossy(&title)))
        .producer(pdf_writer::TextStr("Pitlane"));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_windows_1252() {
        assert_eq!(ansi("€5 – café"), b"\x805 \x96 caf\xe9".to_vec());
        assert_eq!(ansi("日本"), b"??".to_vec());
    }

    #[test]
    fn colours_read_from_hex() {
        assert_eq!(hex_colour("#ff0000"), (1.0, 0.0, 0.0));
    }
}
