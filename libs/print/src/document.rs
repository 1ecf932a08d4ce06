//! A document of A4 pages: blocks laid out top to bottom (headings, paragraphs, tables),
//! breaking to a new page when the next line or row does not fit. Every text line is tagged:
//! marked content (`BDC` with an `/MCID`) bound to an element of the structure tree
//! (`Document` > `H1`, `H2`, `P`, `Table` > `TR` > `TH`/`TD`), so a screen reader reads the
//! document in order and a table as a table. What only decorates (the brand band, the rules,
//! a table header repeated on the next page, page numbers) is an `/Artifact`.
//!
//! Right-to-left text is shown in visual order, glyph by glyph with its `ToUnicode` text, as
//! viewers expect it (pdf.js and poppler reorder it by position into logical text); the
//! element holding it carries its logical text as `/ActualText` for assistive technology.
//! A marked-content `ActualText` would be the other place, but poppler spreads that text
//! left to right over the glyphs and then reverses it as right-to-left.

use pdf_writer::types::{StructRole, TabOrder, TableHeaderScope, TextRenderingMode};
use pdf_writer::writers::StructTreeRoot;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use rustybuzz::ttf_parser::GlyphId;

use crate::fonts::{self, Fonts, Weight};
use crate::shape::{self, Line, Run};

const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const CONTENT_WIDTH: f32 = WIDTH - 2.0 * MARGIN;
/// The brand band along the top of every page, and where the content starts below it.
const BAND: f32 = 18.0;
const TOP: f32 = 60.0;
/// The lowest a line may reach; the page number sits below.
const BOTTOM: f32 = 56.0;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.4;
/// Inside a table cell: space left and right of the text, and below each row.
const CELL_PADDING: f32 = 4.0;
const ROW_GAP: f32 = 3.0;
const TABLE_SIZE: f32 = 9.0;

const TEXT: Rgb = Rgb(0x1a, 0x1a, 0x1a);
/// Secondary text; still 7:1 against white.
const MUTED: Rgb = Rgb(0x4d, 0x4d, 0x4d);

/// A colour, as the workshop's brand colour is stored (`#rrggbb`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Reads `#rrggbb` (the `#` optional).
    pub fn from_hex(hex: &str) -> Option<Rgb> {
        let hex = hex.trim().trim_start_matches('#');
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let part = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb(part(0)?, part(2)?, part(4)?))
    }

    fn floats(self) -> (f32, f32, f32) {
        let f = |v: u8| f32::from(v) / 255.0;
        (f(self.0), f(self.1), f(self.2))
    }

    /// The WCAG contrast ratio of this colour against white paper.
    fn contrast_on_white(self) -> f32 {
        let linear = |v: u8| {
            let c = f32::from(v) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2);
        1.05 / (luminance + 0.05)
    }
}

/// Where a table column sets its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    #[default]
    Left,
    /// For amounts and quantities, so their digits line up.
    Right,
}

/// A table column: its header (empty for none), its share of the page's width (relative to
/// the other columns'), and its alignment.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub share: f32,
    pub align: Align,
}

impl Column {
    pub fn left(header: impl Into<String>, share: f32) -> Column {
        Column {
            header: header.into(),
            share,
            align: Align::Left,
        }
    }

    pub fn right(header: impl Into<String>, share: f32) -> Column {
        Column {
            align: Align::Right,
            ..Column::left(header, share)
        }
    }
}

/// A table row; a strong row (a total) is set in bold.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub cells: Vec<String>,
    pub strong: bool,
}

impl Row {
    pub fn new<S: Into<String>>(cells: impl IntoIterator<Item = S>) -> Row {
        Row {
            cells: cells.into_iter().map(Into::into).collect(),
            strong: false,
        }
    }

    pub fn strong(self) -> Row {
        Row {
            strong: true,
            ..self
        }
    }
}

/// How a block's text is set.
#[derive(Clone, Copy)]
struct Style {
    weight: Weight,
    size: f32,
    colour: Rgb,
}

/// A structure element: its role, its parent (an index into `Document::elements`), its kids
/// in reading order, for a header cell what it heads, and for text with right-to-left runs
/// the text in logical order.
struct Element {
    role: StructRole,
    parent: usize,
    kids: Vec<Kid>,
    scope: Option<TableHeaderScope>,
    actual_text: Option<String>,
}

enum Kid {
    Element(usize),
    /// A marked-content sequence on a page.
    Marked {
        page: usize,
        mcid: i32,
    },
}

/// The `Document` element, the root of every other.
const ROOT: usize = 0;

struct Page {
    content: Content,
    /// The element each marked-content id on this page belongs to (the page's entry in the
    /// parent tree), indexed by MCID.
    marks: Vec<usize>,
}

/// A table's columns laid out on the page, and the size of its text.
struct Grid {
    lefts: Vec<f32>,
    widths: Vec<f32>,
    aligns: Vec<Align>,
    size: f32,
}

/// The element a cell becomes, and for a header cell what it heads.
type CellRole = (StructRole, Option<TableHeaderScope>);

/// A printable document. Blocks are added in reading order; [`Document::finish`] writes the
/// PDF.
pub struct Document {
    title: String,
    lang: String,
    brand: Rgb,
    fonts: Fonts,
    pages: Vec<Page>,
    /// The top of the next line on the current page, in points from the bottom edge.
    y: f32,
    elements: Vec<Element>,
}

impl Document {
    /// A document with its title (the PDF's title, shown by viewers instead of the file
    /// name) and its language, a BCP 47 tag such as `en` or `pl-PL` (what a screen reader
    /// reads it in).
    pub fn new(title: &str, lang: &str) -> Document {
        Document {
            title: title.to_owned(),
            lang: lang.to_owned(),
            brand: Rgb(0x33, 0x41, 0x55),
            fonts: Fonts::default(),
            pages: Vec::new(),
            y: 0.0,
            elements: vec![Element {
                role: StructRole::Document,
                parent: ROOT,
                kids: Vec::new(),
                scope: None,
                actual_text: None,
            }],
        }
    }

    /// The brand colour of the band along the top of each page, the rules and, when it
    /// contrasts enough with white (4.5:1), the main heading. Set it before the first block.
    pub fn set_brand(&mut self, colour: Rgb) {
        self.brand = colour;
    }

    /// The main heading (`H1`): large, bold, in the brand colour.
    pub fn heading(&mut self, text: &str) {
        let colour = if self.brand.contrast_on_white() >= 4.5 {
            self.brand
        } else {
            TEXT
        };
        self.block(
            StructRole::H1,
            Style {
                weight: Weight::Bold,
                size: 18.0,
                colour,
            },
            text,
        );
        self.y -= 4.0;
    }

    /// A section heading (`H2`).
    pub fn subheading(&mut self, text: &str) {
        self.space(4.0);
        self.block(
            StructRole::H2,
            Style {
                weight: Weight::Bold,
                size: 12.0,
                colour: TEXT,
            },
            text,
        );
        self.y -= 2.0;
    }

    /// A paragraph (`P`), wrapped to the page's width; a line break in `text` starts a new
    /// line.
    pub fn paragraph(&mut self, text: &str) {
        self.block(
            StructRole::P,
            Style {
                weight: Weight::Regular,
                size: 10.0,
                colour: TEXT,
            },
            text,
        );
    }

    /// A paragraph in small, muted print: an address, a footer, a remark.
    pub fn note(&mut self, text: &str) {
        self.block(
            StructRole::P,
            Style {
                weight: Weight::Regular,
                size: 8.0,
                colour: MUTED,
            },
            text,
        );
    }

    /// Vertical space, in points.
    pub fn space(&mut self, points: f32) {
        self.ensure_page();
        self.y -= points;
    }

    /// A table across the page's width: a header row when any column has a header (repeated
    /// at the top of each page the table continues on), then one row per entry, cells wrapped
    /// within their column. A row is never split across pages.
    pub fn table(&mut self, columns: &[Column], rows: &[Row]) {
        self.ensure_page();
        let total: f32 = columns.iter().map(|c| c.share.max(0.0)).sum();
        let mut grid = Grid {
            lefts: Vec::new(),
            widths: Vec::new(),
            aligns: Vec::new(),
            size: TABLE_SIZE,
        };
        let mut left = MARGIN;
        for column in columns {
            let width = if total > 0.0 {
                column.share.max(0.0) / total * CONTENT_WIDTH
            } else {
                CONTENT_WIDTH / columns.len() as f32
            };
            grid.lefts.push(left);
            grid.widths.push(width);
            grid.aligns.push(column.align);
            left += width;
        }
        let table = self.element(StructRole::Table, ROOT);
        let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
        let has_header = headers.iter().any(|h| !h.is_empty());
        if has_header {
            let header = Row::new(headers.iter().copied()).strong();
            let header_height = self.row_height(&grid, &header);
            // A header row alone at the foot of a page is no use: keep it with a row.
            self.room(header_height + grid.size * LEADING + ROW_GAP);
            let roles = vec![(StructRole::TH, Some(TableHeaderScope::Column)); columns.len()];
            self.row(Some((table, &roles)), &grid, &header);
            self.rule(&grid);
        }
        let roles = vec![(StructRole::TD, None); columns.len()];
        for row in rows {
            let height = self.row_height(&grid, row);
            if self.room(height) && has_header {
                // The header again on the new page, as an artifact: it is already tagged once.
                self.row(None, &grid, &Row::new(headers.iter().copied()).strong());
                self.rule(&grid);
            }
            self.row(Some((table, &roles)), &grid, row);
        }
        self.y -= 6.0;
    }

    /// Labelled figures on the right half of the page, as under an invoice's lines (net, tax,
    /// total, paid, due) or beside its header (issued, due): each row a label and a value,
    /// right-aligned. Tagged as a table whose first column heads its row.
    pub fn summary(&mut self, rows: &[Row]) {
        self.ensure_page();
        let value = 120.0;
        let label = CONTENT_WIDTH * 0.55 - value;
        let grid = Grid {
            lefts: vec![WIDTH - MARGIN - value - label, WIDTH - MARGIN - value],
            widths: vec![label, value],
            aligns: vec![Align::Right, Align::Right],
            // Read more than a table's lines: a size larger.
            size: 10.0,
        };
        let table = self.element(StructRole::Table, ROOT);
        let roles = [
            (StructRole::TH, Some(TableHeaderScope::Row)),
            (StructRole::TD, None),
        ];
        for row in rows {
            let height = self.row_height(&grid, row);
            self.room(height);
            self.row(Some((table, &roles)), &grid, row);
        }
        self.y -= 6.0;
    }

    /// Writes the PDF.
    pub fn finish(mut self) -> Vec<u8> {
        self.ensure_page();
        self.number_pages();
        let mut pdf = Pdf::new();
        let mut last = 0;
        let mut next = || {
            last += 1;
            Ref::new(last)
        };
        let catalog = next();
        let page_tree = next();
        let struct_root = next();
        let info = next();
        let page_refs: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (next(), next())).collect();
        let parent_arrays: Vec<Ref> = self.pages.iter().map(|_| next()).collect();
        let element_refs: Vec<Ref> = self.elements.iter().map(|_| next()).collect();
        let fonts = self.fonts.write(&mut pdf, &mut next);

        let mut cat = pdf.catalog(catalog);
        cat.pages(page_tree).lang(TextStr(&self.lang));
        cat.pair(Name(b"StructTreeRoot"), struct_root);
        cat.mark_info().marked(true);
        cat.viewer_preferences().display_doc_title(true);
        cat.finish();

        pdf.pages(page_tree)
            .kids(page_refs.iter().map(|(page, _)| *page))
            .count(self.pages.len() as i32);
        for (i, page) in self.pages.into_iter().enumerate() {
            let (page_ref, content_ref) = page_refs[i];
            let mut writer = pdf.page(page_ref);
            writer
                .media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
                .parent(page_tree)
                .contents(content_ref)
                .struct_parents(i as i32)
                .tab_order(TabOrder::StructureOrder);
            let mut resources = writer.resources();
            let mut font_names = resources.fonts();
            for &(face, font) in &fonts {
                font_names.pair(fonts::resource_name(face), font);
            }
            font_names.finish();
            resources.finish();
            writer.finish();
            pdf.stream(content_ref, &fonts::deflate(&page.content.finish()))
                .filter(Filter::FlateDecode);
            pdf.indirect(parent_arrays[i])
                .array()
                .items(page.marks.iter().map(|&element| element_refs[element]));
        }

        let mut root = pdf.indirect(struct_root).start::<StructTreeRoot>();
        root.child(element_refs[ROOT]);
        let mut parent_tree = root.parent_tree();
        let mut nums = parent_tree.nums();
        for (i, array) in parent_arrays.iter().enumerate() {
            nums.insert(i as i32, *array);
        }
        nums.finish();
        parent_tree.finish();
        root.parent_tree_next_key(parent_arrays.len() as i32);
        root.finish();

        for (i, element) in self.elements.iter().enumerate() {
            let mut writer = pdf.struct_element(element_refs[i]);
            writer.kind(element.role).parent(if i == ROOT {
                struct_root
            } else {
                element_refs[element.parent]
            });
            if let Some(text) = &element.actual_text {
                writer.actual_text(TextStr(text));
            }
            if let Some(scope) = element.scope {
                writer.attributes().push().table().scope(scope);
            }
            let mut kids = writer.children();
            for kid in &element.kids {
                match *kid {
                    Kid::Element(child) => {
                        kids.struct_element(element_refs[child]);
                    }
                    Kid::Marked { page, mcid } => {
                        kids.marked_content_ref()
                            .marked_content_id(mcid)
                            .page(page_refs[page].0);
                    }
                }
            }
        }

        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("Pitlane"));
        pdf.finish()
    }

    fn ensure_page(&mut self) {
        if self.pages.is_empty() {
            self.new_page();
        }
    }

    fn new_page(&mut self) {
        let mut content = Content::new();
        let (r, g, b) = self.brand.floats();
        content.begin_marked_content(Name(b"Artifact"));
        content
            .set_fill_rgb(r, g, b)
            .rect(0.0, HEIGHT - BAND, WIDTH, BAND)
            .fill_nonzero();
        content.end_marked_content();
        self.pages.push(Page {
            content,
            marks: Vec::new(),
        });
        self.y = HEIGHT - TOP;
    }

    /// Starts a new page unless `height` more fits on this one; says whether it did.
    fn room(&mut self, height: f32) -> bool {
        self.ensure_page();
        // On a fresh page it goes on anyway: it would not fit on the next one either.
        if self.y - height < BOTTOM && self.y < HEIGHT - TOP {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn element(&mut self, role: StructRole, parent: usize) -> usize {
        let id = self.elements.len();
        self.elements.push(Element {
            role,
            parent,
            kids: Vec::new(),
            scope: None,
            actual_text: None,
        });
        self.elements[parent].kids.push(Kid::Element(id));
        id
    }

    /// A block element of wrapped lines, each line its own marked content on the page it
    /// lands on.
    fn block(&mut self, role: StructRole, style: Style, text: &str) {
        self.ensure_page();
        let element = self.element(role, ROOT);
        let height = style.size * LEADING;
        // A heading keeps a few lines of what follows it on its page.
        let keep = if matches!(role, StructRole::H1 | StructRole::H2) {
            3.0 * 10.0 * LEADING
        } else {
            0.0
        };
        let lines = wrap(text, style.weight, style.size, CONTENT_WIDTH);
        if lines.iter().any(Line::has_right_to_left) {
            self.elements[element].actual_text = Some(text.to_owned());
        }
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            self.room(height + if i + 1 == count { keep } else { 0.0 });
            let baseline = self.y - style.size;
            self.draw(Some(element), &line, MARGIN, baseline, style.colour);
            self.y -= height;
        }
    }

    fn row_height(&self, grid: &Grid, row: &Row) -> f32 {
        let weight = if row.strong {
            Weight::Bold
        } else {
            Weight::Regular
        };
        let size = grid.size;
        let lines = row
            .cells
            .iter()
            .zip(&grid.widths)
            .map(|(cell, width)| wrap(cell, weight, size, width - 2.0 * CELL_PADDING).len())
            .max()
            .unwrap_or(1);
        lines as f32 * size * LEADING + ROW_GAP
    }

    /// Draws a table row at the cursor and moves below it. Tagged, it becomes a `TR` of
    /// `table` with a cell element per column (`roles`); untagged, an artifact.
    fn row(&mut self, tagged: Option<(usize, &[CellRole])>, grid: &Grid, row: &Row) {
        let weight = if row.strong {
            Weight::Bold
        } else {
            Weight::Regular
        };
        let size = grid.size;
        let tr = tagged.map(|(table, _)| self.element(StructRole::TR, table));
        let top = self.y;
        let mut bottom = top;
        for (column, cell) in row.cells.iter().enumerate().take(grid.widths.len()) {
            let cell_element = match (tr, tagged) {
                (Some(tr), Some((_, roles))) => {
                    let (role, scope) = roles[column.min(roles.len() - 1)];
                    let element = self.element(role, tr);
                    self.elements[element].scope = scope;
                    Some(element)
                }
                _ => None,
            };
            let width = grid.widths[column];
            let lines = wrap(cell, weight, size, width - 2.0 * CELL_PADDING);
            if let Some(element) = cell_element
                && lines.iter().any(Line::has_right_to_left)
            {
                self.elements[element].actual_text = Some(cell.clone());
            }
            let mut y = top;
            for line in lines {
                let x = match grid.aligns[column] {
                    Align::Left => grid.lefts[column] + CELL_PADDING,
                    Align::Right => grid.lefts[column] + width - CELL_PADDING - line.width,
                };
                self.draw(cell_element, &line, x, y - size, TEXT);
                y -= size * LEADING;
            }
            bottom = bottom.min(y);
        }
        self.y = bottom.min(top - size * LEADING) - ROW_GAP;
    }

    /// A thin line in the brand colour under a table's header.
    fn rule(&mut self, grid: &Grid) {
        let y = self.y + ROW_GAP / 2.0;
        self.y -= ROW_GAP;
        let (r, g, b) = self.brand.floats();
        let left = grid.lefts.first().copied().unwrap_or(MARGIN);
        let right = grid.lefts.last().copied().unwrap_or(MARGIN)
            + grid.widths.last().copied().unwrap_or(0.0);
        let content = &mut self.current().content;
        content.begin_marked_content(Name(b"Artifact"));
        content
            .save_state()
            .set_stroke_rgb(r, g, b)
            .set_line_width(0.8)
            .move_to(left, y)
            .line_to(right, y)
            .stroke()
            .restore_state();
        content.end_marked_content();
    }

    fn current(&mut self) -> &mut Page {
        self.ensure_page();
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Draws a line with its left end at `x` on the baseline `y`: as marked content of
    /// `element`, or as an artifact.
    fn draw(&mut self, element: Option<usize>, line: &Line, x: f32, y: f32, colour: Rgb) {
        self.ensure_page();
        let page_index = self.pages.len() - 1;
        let page = &mut self.pages[page_index];
        match element {
            Some(element) => {
                let mcid = page.marks.len() as i32;
                page.marks.push(element);
                self.elements[element].kids.push(Kid::Marked {
                    page: page_index,
                    mcid,
                });
                page.content
                    .begin_marked_content_with_properties(self.elements[element].role.to_name())
                    .properties()
                    .identify(mcid);
            }
            None => {
                page.content.begin_marked_content(Name(b"Artifact"));
            }
        }
        write_line(&mut page.content, &mut self.fonts, line, x, y, colour);
        page.content.end_marked_content();
    }

    /// "1 / 3" at the foot of every page.
    fn number_pages(&mut self) {
        let count = self.pages.len();
        for i in 0..count {
            let line = shape::shape(&format!("{} / {count}", i + 1), Weight::Regular, 8.0);
            let page = &mut self.pages[i];
            page.content.begin_marked_content(Name(b"Artifact"));
            write_line(
                &mut page.content,
                &mut self.fonts,
                &line,
                WIDTH - MARGIN - line.width,
                30.0,
                MUTED,
            );
            page.content.end_marked_content();
        }
    }
}

/// Breaks a text into shaped lines no wider than `width`: at spaces, at line breaks in the
/// text, and between characters inside a word that alone is too wide (a long reference, or
/// Chinese and Japanese, which have no spaces).
fn wrap(text: &str, weight: Weight, size: f32, width: f32) -> Vec<Line> {
    let fits = |candidate: &str| shape::measure(candidate, weight, size) <= width;
    let mut lines = Vec::new();
    for hard in text.split('\n') {
        let mut current = String::new();
        for word in hard.split(' ') {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || fits(&candidate) {
                current = candidate;
            } else {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            }
            while current.chars().count() > 1 && !fits(&current) {
                // The longest start that fits, one character at least.
                let first = current.chars().next().map_or(0, char::len_utf8);
                let cut = current
                    .char_indices()
                    .map(|(at, _)| at)
                    .filter(|&at| at >= first)
                    .take_while(|&at| fits(&current[..at]))
                    .last()
                    .unwrap_or(first);
                let rest = current.split_off(cut);
                lines.push(std::mem::replace(&mut current, rest));
            }
        }
        lines.push(current);
    }
    lines
        .iter()
        .map(|line| shape::shape(line, weight, size))
        .collect()
}

/// Writes a shaped line as one text object. A left-to-right segment whose glyphs cannot give
/// its text back through the fonts' `ToUnicode` maps (a glyph for two characters, a glyph
/// shown for two different texts, a character no font has) is wrapped in a `Span` with
/// `ActualText`, the text a reader extracts instead. Right-to-left segments are not: see the
/// module's comment.
fn write_line(content: &mut Content, fonts: &mut Fonts, line: &Line, x: f32, y: f32, colour: Rgb) {
    let (r, g, b) = colour.floats();
    content.begin_text();
    content.set_fill_rgb(r, g, b).set_stroke_rgb(r, g, b);
    content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]);
    let mut stroking = false;
    for segment in &line.segments {
        let mut readable = true;
        let cids: Vec<Vec<u16>> = segment
            .runs
            .iter()
            .map(|run| {
                run.glyphs
                    .iter()
                    .map(|glyph| {
                        let (cid, mapped) = fonts.record(run.face, glyph.id, &glyph.text);
                        readable &= mapped;
                        cid
                    })
                    .collect()
            })
            .collect();
        let span = !readable && !segment.rtl;
        if span {
            content
                .begin_marked_content_with_properties(Name(b"Span"))
                .properties()
                .actual_text(TextStr(&segment.text));
        }
        for (run, cids) in segment.runs.iter().zip(&cids) {
            let bold = fonts::synthetic_bold(run.face, line.weight);
            if bold != stroking {
                if bold {
                    content
                        .set_text_rendering_mode(TextRenderingMode::FillStroke)
                        .set_line_width(line.size / 30.0);
                } else {
                    content.set_text_rendering_mode(TextRenderingMode::Fill);
                }
                stroking = bold;
            }
            content.set_font(fonts::resource_name(run.face), line.size);
            write_glyphs(content, run, cids, line.size);
        }
        if span {
            content.end_marked_content();
        }
    }
    if stroking {
        content.set_text_rendering_mode(TextRenderingMode::Fill);
    }
    content.end_text();
}

enum Item {
    Glyphs(Vec<u8>),
    Adjust(f32),
}

/// Shows a run's glyphs where the shaper put them. The viewer advances by each glyph's width
/// in the font; where the shaper's advance (kerning, Arabic joining) or offset differs, a `TJ`
/// adjustment moves the pen, and a vertical offset (a mark above a letter) a text rise.
fn write_glyphs(content: &mut Content, run: &Run, cids: &[u16], size: f32) {
    let face = fonts::face(run.face);
    // Font units to thousandths of the font size, the unit of widths and adjustments.
    let per_mille = 1000.0 / fonts::units_per_em(run.face);
    let mut items: Vec<Item> = Vec::new();
    let flush = |content: &mut Content, items: &mut Vec<Item>| {
        if items.is_empty() {
            return;
        }
        let mut show = content.show_positioned();
        let mut array = show.items();
        for item in items.drain(..) {
            match item {
                Item::Glyphs(bytes) => array.show(Str(&bytes)),
                Item::Adjust(amount) => array.adjust(amount),
            };
        }
    };
    // Where the next glyph's origin belongs, and where the viewer's pen is.
    let (mut pen, mut at) = (0.0_f32, 0.0_f32);
    let mut rise = 0;
    for (glyph, &cid) in run.glyphs.iter().zip(cids) {
        if glyph.dy != rise {
            flush(content, &mut items);
            rise = glyph.dy;
            content.set_rise(rise as f32 * per_mille * size / 1000.0);
        }
        let target = pen + glyph.dx as f32 * per_mille;
        if (target - at).abs() > 0.01 {
            // A positive adjustment moves left.
            items.push(Item::Adjust(at - target));
        }
        match items.last_mut() {
            Some(Item::Glyphs(bytes)) => bytes.extend(cid.to_be_bytes()),
            _ => items.push(Item::Glyphs(cid.to_be_bytes().to_vec())),
        }
        let width = face.glyph_hor_advance(GlyphId(glyph.id)).unwrap_or(0);
        at = target + f32::from(width) * per_mille;
        pen += glyph.advance as f32 * per_mille;
    }
    if (pen - at).abs() > 0.01 {
        items.push(Item::Adjust(at - pen));
    }
    flush(content, &mut items);
    if rise != 0 {
        content.set_rise(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_read_from_hex() {
        assert_eq!(Rgb::from_hex("#ff0000"), Some(Rgb(255, 0, 0)));
        assert_eq!(Rgb::from_hex("1e40af"), Some(Rgb(0x1e, 0x40, 0xaf)));
        assert_eq!(Rgb::from_hex("#fff"), None);
        assert_eq!(Rgb::from_hex("#zzzzzz"), None);
    }

    #[test]
    fn only_a_dark_enough_brand_colours_the_heading() {
        assert!(Rgb(0x1e, 0x40, 0xaf).contrast_on_white() > 4.5);
        assert!(Rgb(0xfa, 0xcc, 0x15).contrast_on_white() < 4.5);
    }

    #[test]
    fn text_wraps_at_spaces_and_inside_long_words() {
        let lines = wrap("one two three four five six", Weight::Regular, 10.0, 60.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.width <= 60.0));
        let cjk = wrap(&"王".repeat(40), Weight::Regular, 10.0, 100.0);
        assert_eq!(cjk.len(), 4);
        assert_eq!(wrap("a\nb", Weight::Regular, 10.0, 100.0).len(), 2);
        assert_eq!(wrap("", Weight::Regular, 10.0, 100.0).len(), 1);
    }
}
