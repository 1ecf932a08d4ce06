//! Printable documents for every customer's name: a small writer of tagged PDFs on top of
//! `pdf-writer`, shared by the invoice and the reports.
//!
//! - **Any script.** Text is set in embedded Unicode fonts, a subset of each (only the glyphs
//!   used): Noto Sans (Latin, Greek, Cyrillic; regular and bold), Noto Naskh Arabic and WenQuanYi
//!   Micro Hei (Chinese, Japanese, Korean), chosen per character. Each is a CID-keyed
//!   Type0 font with a `ToUnicode` CMap, so text can be copied and searched. The standard PDF
//!   fonts it replaces read Windows-1252 only.
//! - **Shaped.** rustybuzz shapes each run (Arabic letters joined, right-to-left runs
//!   reordered with the Unicode bidirectional algorithm). `ActualText` keeps the logical text
//!   where the glyphs alone would not give it back: on the structure element for
//!   right-to-left text, on a marked span where a glyph cannot say what it stands for.
//! - **Tagged.** A structure tree (`Document`, `H1`, `H2`, `P`, `Table`, `TR`, `TH`, `TD`)
//!   bound to the page content, the document's language and title: what screen readers and
//!   PDF/UA checkers look for.
//!
//! ```
//! use pitlane_print::{Column, Document, Row};
//!
//! let mut doc = Document::new("Invoice 2025-0001", "en");
//! doc.heading("Kowalski Auto Serwis");
//! doc.paragraph("Bill to: Zażółć Gęślą Jaźń");
//! doc.table(
//!     &[Column::left("Description", 3.0), Column::right("Amount", 1.0)],
//!     &[Row::new(["Oil change", "€89.00"])],
//! );
//! doc.summary(&[Row::new(["Total", "€89.00"]).strong()]);
//! let pdf: Vec<u8> = doc.finish();
//! assert!(pdf.starts_with(b"%PDF-"));
//! ```

mod document;
mod fonts;
mod shape;

pub use document::{Align, Column, Document, Rgb, Row};

#[cfg(test)]
mod tests;
