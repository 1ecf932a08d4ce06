//! Whole documents, read back with an independent parser (lopdf): the text of every script
//! comes back, the structure tree is bound to the page content, and the fonts are subsets.

use std::collections::BTreeMap;

use lopdf::content::Content;
use lopdf::{Dictionary, Object, ObjectId};

use crate::{Column, Document, Rgb, Row};

const NAMES: [&str; 6] = [
    "Zażółć Gęślą Jaźń",
    "Αλέξανδρος Παπαδόπουλος",
    "Дмитрий Иванов",
    "محمد العلي",
    "王小明",
    "田中 太郎",
];

fn customers() -> Vec<u8> {
    let mut doc = Document::new("Customers in every script", "en");
    doc.set_brand(Rgb(0x1e, 0x40, 0xaf));
    doc.heading("Customers");
    doc.note("Kowalski Auto Serwis · ul. Długa 5, 00-001 Warszawa");
    for name in NAMES {
        doc.paragraph(&format!("Bill to: {name}"));
    }
    doc.subheading("Vehicles");
    let rows: Vec<Row> = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| Row::new([name.to_string(), format!("WX {i}000"), format!("€{i}9.00")]))
        .collect();
    doc.table(
        &[
            Column::left("Customer", 3.0),
            Column::left("Plate", 1.0),
            Column::right("Amount", 1.0),
        ],
        &rows,
    );
    doc.summary(&[
        Row::new(["Net", "€100.00"]),
        Row::new(["Total", "€123.00"]).strong(),
    ]);
    doc.finish()
}

fn load(pdf: &[u8]) -> lopdf::Document {
    lopdf::Document::load_mem(pdf).expect("the PDF parses")
}

fn dict<'a>(doc: &'a lopdf::Document, object: &'a Object) -> &'a Dictionary {
    match object {
        Object::Reference(id) => doc
            .get_dictionary(*id)
            .expect("a reference to a dictionary"),
        object => object.as_dict().expect("a dictionary"),
    }
}

fn name(object: &Object) -> String {
    String::from_utf8_lossy(object.as_name().expect("a name")).into_owned()
}

/// The text shown on a page, piece by piece in content-stream order, each piece with the
/// marked-content id it belongs to. Glyphs are decoded through their fonts' `ToUnicode` CMaps
/// (by lopdf); a marked-content sequence with `ActualText` reads as that text instead of its
/// glyphs; the end of each text object (a line) reads as a line break.
fn page_text(doc: &lopdf::Document, page: ObjectId) -> Vec<(Option<i64>, String)> {
    let fonts = doc.get_page_fonts(page).expect("fonts");
    let encodings: BTreeMap<Vec<u8>, lopdf::Encoding> = fonts
        .into_iter()
        .map(|(name, font)| (name, font.get_font_encoding(doc).expect("an encoding")))
        .collect();
    let content = Content::decode(&doc.get_page_content(page)).expect("content");
    let mut pieces = Vec::new();
    let mut font = None;
    // Each open marked-content sequence: its MCID, and whether its ActualText replaces it.
    let mut open: Vec<(Option<i64>, bool)> = Vec::new();
    let mcid = |open: &[(Option<i64>, bool)]| open.iter().rev().find_map(|(mcid, _)| *mcid);
    let replaced = |open: &[(Option<i64>, bool)]| open.iter().any(|(_, replaced)| *replaced);
    for op in &content.operations {
        match op.operator.as_str() {
            "Tf" => font = encodings.get(op.operands[0].as_name().expect("a font name")),
            "BMC" => open.push((None, false)),
            "BDC" => {
                let properties = op.operands.get(1).and_then(|p| p.as_dict().ok());
                let id = properties.and_then(|p| p.get(b"MCID").and_then(Object::as_i64).ok());
                let actual = properties
                    .and_then(|p| p.get(b"ActualText").ok())
                    .map(|actual| lopdf::decode_text_string(actual).expect("text"));
                if let Some(actual) = &actual
                    && !replaced(&open)
                {
                    pieces.push((mcid(&open), actual.clone()));
                }
                open.push((id, actual.is_some()));
            }
            "EMC" => {
                open.pop();
            }
            "Tj" | "TJ" if !replaced(&open) => {
                let encoding = font.expect("a font is set");
                let strings: Vec<&Object> = match &op.operands[0] {
                    Object::Array(items) => items.iter().collect(),
                    string => vec![string],
                };
                for string in strings {
                    if let Object::String(bytes, _) = string {
                        let text = lopdf::Document::decode_text(encoding, bytes).expect("decodes");
                        pieces.push((mcid(&open), text));
                    }
                }
            }
            "ET" => pieces.push((mcid(&open), "\n".to_owned())),
            _ => {}
        }
    }
    pieces
}

/// All pages' text in content-stream order, as a reader that knows no structure extracts it.
fn extract(doc: &lopdf::Document) -> String {
    doc.get_pages()
        .into_values()
        .flat_map(|page| page_text(doc, page))
        .map(|(_, text)| text)
        .collect()
}

/// The document as assistive technology reads it: the structure tree in order, an element
/// with `ActualText` read as that, else its marked-content sequences, a line each.
fn read_tagged(doc: &lopdf::Document) -> String {
    let mut marked = BTreeMap::<(ObjectId, i64), String>::new();
    for page in doc.get_pages().into_values() {
        for (mcid, text) in page_text(doc, page) {
            if let Some(mcid) = mcid {
                marked.entry((page, mcid)).or_default().push_str(&text);
            }
        }
    }
    fn walk(
        doc: &lopdf::Document,
        id: ObjectId,
        marked: &BTreeMap<(ObjectId, i64), String>,
        out: &mut String,
    ) {
        let element = doc.get_dictionary(id).expect("element");
        if let Ok(actual) = element.get(b"ActualText") {
            out.push_str(&lopdf::decode_text_string(actual).expect("text"));
            out.push('\n');
            return;
        }
        for kid in element.get(b"K").and_then(Object::as_array).expect("K") {
            match kid {
                Object::Reference(child) => walk(doc, *child, marked, out),
                Object::Dictionary(mcr) => {
                    let page = mcr.get(b"Pg").and_then(Object::as_reference).expect("Pg");
                    let mcid = mcr.get(b"MCID").and_then(Object::as_i64).expect("MCID");
                    out.push_str(marked[&(page, mcid)].trim_end_matches('\n'));
                    out.push('\n');
                }
                other => panic!("unexpected kid {other:?}"),
            }
        }
    }
    let root = doc
        .catalog()
        .and_then(|catalog| catalog.get(b"StructTreeRoot"))
        .and_then(Object::as_reference)
        .and_then(|root| doc.get_dictionary(root))
        .expect("a structure tree");
    let mut out = String::new();
    walk(
        doc,
        root.get(b"K").and_then(Object::as_reference).expect("K"),
        &marked,
        &mut out,
    );
    out
}

#[test]
fn every_script_is_read_back_exactly() {
    let pdf = customers();
    let doc = load(&pdf);

    // Read through the structure tree, every name comes back in logical order.
    let tagged = read_tagged(&doc);
    assert!(tagged.starts_with("Customers\nKowalski Auto Serwis · ul. Długa 5, 00-001 Warszawa\n"));
    for (i, name) in NAMES.iter().enumerate() {
        assert!(
            tagged.contains(&format!("\nBill to: {name}\n")),
            "{name} in\n{tagged}"
        );
        assert!(
            tagged.contains(&format!("\n{name}\nWX {i}000\n€{i}9.00\n")),
            "{name} in the table in\n{tagged}"
        );
    }
    assert!(
        tagged.ends_with("Net\n€100.00\nTotal\n€123.00\n"),
        "{tagged}"
    );

    // Read glyph by glyph in the order they are drawn, the left-to-right scripts come back
    // too; the Arabic glyphs stand in visual order, right to left, each mapped to its letter
    // (a viewer that orders text by position reads them back into logical order).
    let drawn = extract(&doc);
    let visual: String = "محمد العلي".chars().rev().collect();
    for name in NAMES {
        let name = if name.contains('م') {
            visual.as_str()
        } else {
            name
        };
        assert!(
            drawn.contains(&format!("Bill to: {name}\n")),
            "{name} in\n{drawn}"
        );
    }
    // So does lopdf's own extraction, which knows neither ActualText nor structure.
    let plain = doc.extract_text(&[1]).expect("text");
    for name in NAMES {
        let name = if name.contains('م') {
            visual.as_str()
        } else {
            name
        };
        assert!(plain.contains(name), "{name} in\n{plain}");
    }
}

#[test]
fn the_fonts_are_embedded_subsets() {
    let pdf = customers();
    assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    let doc = load(&pdf);
    let mut base_fonts = Vec::new();
    for object in doc.objects.values() {
        let Ok(font) = object.as_dict() else { continue };
        if font.get(b"Subtype").map(name).ok().as_deref() != Some("Type0") {
            continue;
        }
        assert_eq!(name(font.get(b"Encoding").expect("encoding")), "Identity-H");
        assert!(font.get(b"ToUnicode").is_ok());
        let descendants = font.get(b"DescendantFonts").expect("descendant");
        let cid_font = dict(&doc, &descendants.as_array().expect("array")[0]);
        assert!(cid_font.get(b"W").is_ok(), "widths");
        let descriptor = dict(&doc, cid_font.get(b"FontDescriptor").expect("descriptor"));
        assert!(descriptor.get(b"FontFile2").is_ok(), "embedded");
        base_fonts.push(name(font.get(b"BaseFont").expect("base font")));
    }
    let mut families: Vec<&str> = base_fonts.iter().map(|f| &f[7..]).collect();
    families.sort();
    assert_eq!(
        families,
        [
            "NotoNaskhArabic-Regular",
            "NotoSans-Bold",
            "NotoSans-Regular",
            "WenQuanYiMicroHei",
        ]
    );
    assert!(
        base_fonts
            .iter()
            .all(|f| f.as_bytes()[6] == b'+' && f[..6].bytes().all(|b| b.is_ascii_uppercase()))
    );
}

#[test]
fn the_document_is_tagged() {
    let pdf = customers();
    let doc = load(&pdf);
    let catalog = doc.catalog().expect("catalog");
    assert!(
        dict(&doc, catalog.get(b"MarkInfo").expect("MarkInfo"))
            .get(b"Marked")
            .and_then(Object::as_bool)
            .expect("Marked")
    );
    assert_eq!(
        lopdf::decode_text_string(catalog.get(b"Lang").expect("Lang")).expect("text"),
        "en"
    );
    let preferences = dict(
        &doc,
        catalog.get(b"ViewerPreferences").expect("preferences"),
    );
    assert!(
        preferences
            .get(b"DisplayDocTitle")
            .and_then(Object::as_bool)
            .expect("shown")
    );
    let info = dict(&doc, doc.trailer.get(b"Info").expect("Info"));
    assert_eq!(
        lopdf::decode_text_string(info.get(b"Title").expect("Title")).expect("text"),
        "Customers in every script"
    );

    // The tree: Document > H1, P …, H2, Table > TR > TH / TD.
    let root_id = catalog
        .get(b"StructTreeRoot")
        .and_then(Object::as_reference)
        .expect("StructTreeRoot, indirect");
    let root = doc.get_dictionary(root_id).expect("root");
    let document_id = root.get(b"K").and_then(Object::as_reference).expect("K");
    let mut roles = BTreeMap::<String, usize>::new();
    // Each marked-content id on the page, with the role of the element it belongs to.
    let mut marked = BTreeMap::<i64, String>::new();
    let mut stack = vec![(document_id, root_id)];
    while let Some((id, parent)) = stack.pop() {
        let element = doc.get_dictionary(id).expect("element");
        let role = name(element.get(b"S").expect("S"));
        assert_eq!(
            element.get(b"P").and_then(Object::as_reference).ok(),
            Some(parent)
        );
        *roles.entry(role.clone()).or_default() += 1;
        for kid in element.get(b"K").and_then(Object::as_array).expect("K") {
            match kid {
                Object::Reference(child) => stack.push((*child, id)),
                Object::Dictionary(mcr) => {
                    assert_eq!(name(mcr.get(b"Type").expect("Type")), "MCR");
                    let mcid = mcr.get(b"MCID").and_then(Object::as_i64).expect("MCID");
                    assert!(
                        marked.insert(mcid, role.clone()).is_none(),
                        "one element per MCID"
                    );
                }
                other => panic!("unexpected kid {other:?}"),
            }
        }
    }
    assert_eq!(roles["Document"], 1);
    assert_eq!(roles["H1"], 1);
    assert_eq!(roles["H2"], 1);
    assert_eq!(roles["P"], 1 + NAMES.len());
    assert_eq!(roles["Table"], 2);
    assert_eq!(roles["TR"], 1 + NAMES.len() + 2);
    assert_eq!(roles["TH"], 3 + 2);
    assert_eq!(roles["TD"], 3 * NAMES.len() + 2);

    // The page's content marks exactly those ids, each with its element's role, and the
    // parent tree leads from each id back to its element.
    let (_, page_id) = doc.get_pages().into_iter().next().expect("a page");
    let page = doc.get_dictionary(page_id).expect("page");
    let key = page
        .get(b"StructParents")
        .and_then(Object::as_i64)
        .expect("StructParents");
    let content = Content::decode(&doc.get_page_content(page_id)).expect("content");
    let mut in_content = BTreeMap::new();
    for op in content.operations.iter().filter(|op| op.operator == "BDC") {
        let properties = op.operands[1].as_dict().expect("properties");
        if let Ok(mcid) = properties.get(b"MCID").and_then(Object::as_i64) {
            in_content.insert(mcid, name(&op.operands[0]));
        }
    }
    assert_eq!(in_content, marked);
    let parent_tree = dict(&doc, root.get(b"ParentTree").expect("ParentTree"));
    let nums = parent_tree
        .get(b"Nums")
        .and_then(Object::as_array)
        .expect("Nums");
    assert_eq!(nums[0].as_i64().expect("key"), key);
    let parents = match &nums[1] {
        Object::Reference(id) => doc
            .get_object(*id)
            .and_then(Object::as_array)
            .expect("array"),
        other => other.as_array().expect("array"),
    };
    assert_eq!(parents.len(), marked.len());
    for (mcid, parent) in parents.iter().enumerate() {
        let element = dict(&doc, parent);
        assert_eq!(name(element.get(b"S").expect("S")), marked[&(mcid as i64)]);
    }
    // Column headers say so.
    let th_scopes = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"S").map(name).ok().as_deref() == Some("TH"))
        .map(|th| {
            let attributes = th.get(b"A").and_then(Object::as_array).expect("A");
            name(dict(&doc, &attributes[0]).get(b"Scope").expect("Scope"))
        })
        .collect::<Vec<_>>();
    assert_eq!(th_scopes.iter().filter(|s| *s == "Column").count(), 3);
    assert_eq!(th_scopes.iter().filter(|s| *s == "Row").count(), 2);
}

#[test]
fn a_long_table_breaks_across_pages_with_its_header() {
    let mut doc = Document::new("Parts", "pl");
    doc.heading("Części");
    let rows: Vec<Row> = (1..=120)
        .map(|i| Row::new([format!("Część nr {i}"), format!("{i},00 zł")]))
        .collect();
    doc.table(
        &[Column::left("Nazwa", 3.0), Column::right("Cena", 1.0)],
        &rows,
    );
    let doc = load(&doc.finish());
    let pages = doc.get_pages();
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let text = extract(&doc);
    for i in 1..=120 {
        assert!(
            text.contains(&format!("Część nr {i}\n{i},00 zł\n")),
            "row {i}"
        );
    }
    // The header on every page, the page number at the foot of each.
    assert_eq!(text.matches("Nazwa\nCena\n").count(), pages.len());
    assert!(text.contains(&format!("2 / {}\n", pages.len())));
    for page in pages.values() {
        let page = doc.get_dictionary(*page).expect("page");
        assert!(page.get(b"StructParents").is_ok());
    }
}

#[test]
fn bold_arabic_and_characters_no_font_has_still_read_back() {
    let mut doc = Document::new("Edge cases", "ar");
    doc.heading("ورشة السيارات");
    doc.paragraph("Car 🚗 and ☃ and fi: ﬁ");
    doc.paragraph("王小明 (Wang) and 山田 & 一郎, 김민준");
    let text = read_tagged(&load(&doc.finish()));
    assert!(text.contains("ورشة السيارات\n"), "{text}");
    assert!(text.contains("Car 🚗 and ☃ and fi: ﬁ\n"), "{text}");
    assert!(
        text.contains("王小明 (Wang) and 山田 & 一郎, 김민준\n"),
        "{text}"
    );
}

#[test]
fn an_empty_document_is_one_page() {
    let doc = load(&Document::new("Nothing", "en").finish());
    assert_eq!(doc.get_pages().len(), 1);
}
