//! The fonts a document can draw with, which of them draws a character, and what a document
//! used of each, so that only a subset of each font is embedded.
//!
//! Every face is written as a CID-keyed Type0 font with Identity-H encoding: the two bytes
//! shown in the content stream are the glyph's id in the subset, its `ToUnicode` CMap gives
//! the text back to a reader, and its widths array the advances.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use rustybuzz::Face;
use rustybuzz::ttf_parser::GlyphId;
use subsetter::GlyphRemapper;

/// The weight a text is set in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// An index into [`FILES`].
pub(crate) type FaceId = usize;

struct FontFile {
    /// The PostScript name, which the embedded subset is named after.
    name: &'static str,
    data: &'static [u8],
    /// The face's index in a collection (`.ttc`), else 0.
    index: u32,
    bold: bool,
}

/// The vendored fonts (fonts/README.md says where they come from and under which licence).
/// All have TrueType outlines, which is what [`Fonts::write`] embeds.
const FILES: [FontFile; 4] = [
    FontFile {
        name: "NotoSans-Regular",
        data: include_bytes!("../fonts/NotoSans-Regular.ttf"),
        index: 0,
        bold: false,
    },
    FontFile {
        name: "NotoSans-Bold",
        data: include_bytes!("../fonts/NotoSans-Bold.ttf"),
        index: 0,
        bold: true,
    },
    FontFile {
        name: "NotoNaskhArabic-Regular",
        data: include_bytes!("../fonts/NotoNaskhArabic-Regular.ttf"),
        index: 0,
        bold: false,
    },
    FontFile {
        name: "WenQuanYiMicroHei",
        data: include_bytes!("../fonts/WenQuanYiMicroHei.ttc"),
        index: 0,
        bold: false,
    },
];

const SANS: FaceId = 0;
const SANS_BOLD: FaceId = 1;
const ARABIC: FaceId = 2;
const CJK: FaceId = 3;

/// The resource names the faces go by on every page.
const RESOURCE_NAMES: [&[u8]; 4] = [b"F0", b"F1", b"F2", b"F3"];

/// Parsed once: parsing reads the tables' directories and layout lookups, not the glyphs.
static FACES: LazyLock<Vec<Face<'static>>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|file| Face::from_slice(file.data, file.index).expect("a vendored font parses"))
        .collect()
});

pub(crate) fn face(id: FaceId) -> &'static Face<'static> {
    &FACES[id]
}

/// A face's units per em: what its metrics and the shaper's positions are counted in.
pub(crate) fn units_per_em(id: FaceId) -> f32 {
    f32::from(face(id).as_ref().units_per_em())
}

pub(crate) fn resource_name(id: FaceId) -> Name<'static> {
    Name(RESOURCE_NAMES[id])
}

/// The faces tried for a character, in order: the sans first, then Arabic, then CJK.
fn fallback(weight: Weight) -> [FaceId; 3] {
    match weight {
        Weight::Regular => [SANS, ARABIC, CJK],
        Weight::Bold => [SANS_BOLD, ARABIC, CJK],
    }
}

/// Whether bold text in this face has to be emboldened by stroking its outlines, as the
/// Arabic and CJK fonts come in one weight only (each bold file would add its whole size).
pub(crate) fn synthetic_bold(id: FaceId, weight: Weight) -> bool {
    weight == Weight::Bold && !FILES[id].bold
}

fn covers(id: FaceId, c: char) -> bool {
    face(id).glyph_index(c).is_some()
}

/// Characters every script uses (spaces, digits, punctuation, combining marks, joiners):
/// they stay in the face of the text before them, so an Arabic or CJK name is not cut into a
/// run per word and shaped without its spaces.
fn shared(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_digit()
        || c.is_ascii_punctuation()
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{2000}'..='\u{206F}' | '\u{00A0}'..='\u{00BF}')
}

/// The face that draws `c`: the face before it for a shared character that face has, else the
/// first face in the fallback order that has it, else the sans (which shows a missing glyph;
/// the text still reaches a reader through `ActualText`).
pub(crate) fn face_for(c: char, weight: Weight, previous: Option<FaceId>) -> FaceId {
    if let Some(previous) = previous
        && shared(c)
        && covers(previous, c)
    {
        return previous;
    }
    let order = fallback(weight);
    order
        .into_iter()
        .find(|&id| covers(id, c))
        .unwrap_or(order[0])
}

/// What a document used of one face.
#[derive(Default)]
struct Used {
    /// Original glyph id to the id in the subset, which is also the CID shown.
    glyphs: GlyphRemapper,
    /// The text each CID stands for, for the `ToUnicode` CMap.
    text: BTreeMap<u16, String>,
}

/// The glyphs a document used, per face.
#[derive(Default)]
pub(crate) struct Fonts {
    used: BTreeMap<FaceId, Used>,
}

impl Fonts {
    /// The CID of a glyph of a face, keeping the glyph for the subset, and whether `text`
    /// (what the glyph stands for, or nothing for the second glyph of a cluster) can be read
    /// back through the `ToUnicode` CMap. A glyph keeps the first text it was shown for; when
    /// it stands for something else here, or for nothing, the caller adds `ActualText`.
    pub(crate) fn record(&mut self, id: FaceId, glyph: u16, text: &str) -> (u16, bool) {
        let used = self.used.entry(id).or_default();
        let cid = used.glyphs.remap(glyph);
        // A glyph standing for nothing (the second glyph of a cluster) would read as nothing,
        // or as the text it stood for elsewhere.
        let readable =
            !text.is_empty() && used.text.entry(cid).or_insert_with(|| text.to_owned()) == text;
        (cid, readable)
    }

    /// Writes each used face as a Type0 font with its subset, widths and `ToUnicode` CMap;
    /// `next` hands out object ids. Returns each face's font object.
    pub(crate) fn write(
        &self,
        pdf: &mut Pdf,
        next: &mut impl FnMut() -> Ref,
    ) -> Vec<(FaceId, Ref)> {
        let mut written = Vec::new();
        for (&id, used) in &self.used {
            let file = &FILES[id];
            let face = face(id);
            let (type0, cid_font, descriptor, cmap, font_file) =
                (next(), next(), next(), next(), next());
            // The vendored files are fixed and a test subsets each of them, so this cannot
            // depend on the text printed.
            let subset = subsetter::subset(file.data, file.index, &used.glyphs)
                .expect("a vendored font subsets");
            let base_name = format!("{}+{}", subset_tag(&used.glyphs), file.name);
            let base_name = Name(base_name.as_bytes());
            let per_mille = 1000.0 / units_per_em(id);
            let scale = |v: i16| f32::from(v) * per_mille;

            pdf.type0_font(type0)
                .base_font(base_name)
                .encoding_predefined(Name(b"Identity-H"))
                .descendant_font(cid_font)
                .to_unicode(cmap);

            let mut cid = pdf.cid_font(cid_font);
            cid.subtype(CidFontType::Type2)
                .base_font(base_name)
                .system_info(system_info(b"Identity"))
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            // The subset numbers its glyphs 0, 1, 2 … in the order they were first used, so
            // one run of widths covers them all.
            let widths = used.glyphs.remapped_gids().map(|glyph| {
                f32::from(face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0)) * per_mille
            });
            cid.widths().consecutive(0, widths);
            cid.finish();

            let bbox = face.global_bounding_box();
            pdf.font_descriptor(descriptor)
                .name(base_name)
                // Symbolic: the glyphs are addressed by CID, not by a standard Latin encoding.
                .flags(FontFlags::SYMBOLIC)
                .bbox(Rect::new(
                    scale(bbox.x_min),
                    scale(bbox.y_min),
                    scale(bbox.x_max),
                    scale(bbox.y_max),
                ))
                .italic_angle(face.italic_angle())
                .ascent(scale(face.ascender()))
                .descent(scale(face.descender()))
                .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
                .stem_v(if file.bold { 140.0 } else { 80.0 })
                .font_file2(font_file);

            let compressed = deflate(&subset);
            pdf.stream(font_file, &compressed)
                .filter(Filter::FlateDecode)
                .pair(
                    Name(b"Length1"),
                    i32::try_from(subset.len()).unwrap_or(i32::MAX),
                );

            let mut unicode =
                pdf_writer::types::UnicodeCmap::new(Name(b"Pitlane-UCS"), system_info(b"UCS"));
            for (&cid, text) in &used.text {
                unicode.pair_with_multiple(cid, text.chars());
            }
            pdf.stream(cmap, &deflate(&unicode.finish()))
                .filter(Filter::FlateDecode);
            written.push((id, type0));
        }
        written
    }
}

fn system_info(ordering: &'static [u8]) -> SystemInfo<'static> {
    SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(ordering),
        supplement: 0,
    }
}

/// The six capital letters a subset's name starts with (ISO 32000-1, 9.6.4), derived from
/// the glyphs it keeps so that two different subsets of one font are named apart.
fn subset_tag(glyphs: &GlyphRemapper) -> String {
    // FNV-1a: small, stable across builds and platforms.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for glyph in glyphs.remapped_gids() {
        for byte in glyph.to_be_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|_| {
            let letter = char::from(b'A' + (hash % 26) as u8);
            hash /= 26;
            letter
        })
        .collect()
}

/// Compresses a stream for `/FlateDecode`.
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_font_parses_has_truetype_outlines_and_subsets() {
        for (id, file) in FILES.iter().enumerate() {
            let face = face(id);
            assert!(
                face.tables().glyf.is_some(),
                "{} has TrueType outlines",
                file.name
            );
            let mut glyphs = GlyphRemapper::new();
            glyphs.remap(face.glyph_index(' ').map_or(1, |g| g.0));
            let subset = subsetter::subset(file.data, file.index, &glyphs).expect("subsets");
            assert!(
                subset.len() < file.data.len() / 4,
                "{} subset is small",
                file.name
            );
        }
    }

    #[test]
    fn each_script_falls_to_a_face_that_has_it() {
        let regular = |c| face_for(c, Weight::Regular, None);
        assert_eq!(regular('Ż'), SANS);
        assert_eq!(regular('Ω'), SANS);
        assert_eq!(regular('Д'), SANS);
        assert_eq!(regular('م'), ARABIC);
        assert_eq!(regular('王'), CJK);
        assert_eq!(regular('た'), CJK);
        assert_eq!(regular('한'), CJK);
        assert_eq!(face_for('D', Weight::Bold, None), SANS_BOLD);
        // A space between two CJK names stays with them.
        assert_eq!(face_for(' ', Weight::Regular, Some(CJK)), CJK);
        assert_eq!(face_for(' ', Weight::Regular, Some(ARABIC)), ARABIC);
    }

    #[test]
    fn a_glyph_keeps_the_first_text_it_stood_for() {
        let mut fonts = Fonts::default();
        let (a, readable) = fonts.record(SANS, 36, "A");
        assert!(readable);
        assert_eq!(fonts.record(SANS, 36, "A"), (a, true));
        assert_eq!(fonts.record(SANS, 36, "Å"), (a, false));
        assert!(!fonts.record(SANS, 37, "").1);
        assert_eq!(subset_tag(&fonts.used[&SANS].glyphs).len(), 6);
    }
}
