//! A line of text into positioned glyphs: split into directional runs (the Unicode
//! bidirectional algorithm, so an Arabic name reads right to left inside English text), each
//! run into pieces of one face (per-character fallback), each piece shaped by rustybuzz
//! (Arabic letters joined, marks placed, kerning).
//!
//! Nothing is recorded here: wrapping measures many candidate lines, and only the lines drawn
//! reach the document's font subsets.

use std::collections::BTreeSet;
use std::ops::Range;

use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::{BidiInfo, Level};

use crate::fonts::{self, FaceId, Weight};

/// One glyph as the shaper placed it, in the face's font units.
pub(crate) struct Glyph {
    /// The glyph's id in the whole face.
    pub id: u16,
    pub advance: i32,
    pub dx: i32,
    pub dy: i32,
    /// What the glyph stands for: its cluster's text on the cluster's first glyph (in logical
    /// order), empty on the others.
    pub text: String,
}

/// Glyphs of one face, in visual order (left to right).
pub(crate) struct Run {
    pub face: FaceId,
    pub glyphs: Vec<Glyph>,
}

/// One directional run: its logical text and its glyph runs in visual order.
pub(crate) struct Segment {
    pub rtl: bool,
    pub text: String,
    pub runs: Vec<Run>,
}

/// A shaped line, ready to draw.
pub(crate) struct Line {
    pub segments: Vec<Segment>,
    pub weight: Weight,
    pub size: f32,
    /// In points.
    pub width: f32,
}

impl Line {
    pub(crate) fn has_right_to_left(&self) -> bool {
        self.segments.iter().any(|segment| segment.rtl)
    }
}

/// Shapes one line (no line breaks inside) at a weight and size. The paragraph direction is
/// left to right: the documents are laid out for left-to-right languages, with right-to-left
/// text inside them reordered and shaped.
pub(crate) fn shape(text: &str, weight: Weight, size: f32) -> Line {
    let text = clean(text);
    let mut segments = Vec::new();
    let bidi = BidiInfo::new(&text, Some(Level::ltr()));
    for paragraph in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for range in runs {
            let rtl = levels[range.start].is_rtl();
            let logical = &text[range];
            let mut runs: Vec<Run> = pieces(logical, weight)
                .into_iter()
                .map(|(face, piece)| shape_piece(face, &logical[piece], rtl))
                .collect();
            // The first piece of a right-to-left run is its rightmost.
            if rtl {
                runs.reverse();
            }
            segments.push(Segment {
                rtl,
                text: logical.to_owned(),
                runs,
            });
        }
    }
    let width = segments
        .iter()
        .flat_map(|segment| &segment.runs)
        .map(|run| {
            let advance: i32 = run.glyphs.iter().map(|glyph| glyph.advance).sum();
            advance as f32 * size / fonts::units_per_em(run.face)
        })
        .sum();
    Line {
        segments,
        weight,
        size,
        width,
    }
}

/// How wide a text would be set, in points.
pub(crate) fn measure(text: &str, weight: Weight, size: f32) -> f32 {
    shape(text, weight, size).width
}

/// Tabs and other control characters become spaces: a font has no glyph for them.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A run's text split where the face drawing it changes, in logical order.
fn pieces(text: &str, weight: Weight) -> Vec<(FaceId, Range<usize>)> {
    let mut pieces: Vec<(FaceId, Range<usize>)> = Vec::new();
    for (at, c) in text.char_indices() {
        let face = fonts::face_for(c, weight, pieces.last().map(|(face, _)| *face));
        let end = at + c.len_utf8();
        match pieces.last_mut() {
            Some((last, range)) if *last == face => range.end = end,
            _ => pieces.push((face, at..end)),
        }
    }
    pieces
}

fn shape_piece(face: FaceId, text: &str, rtl: bool) -> Run {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    let shaped = rustybuzz::shape(fonts::face(face), &[], buffer);
    let infos = shaped.glyph_infos();
    let positions = shaped.glyph_positions();

    // A cluster's text runs from its start to the next cluster's start.
    let starts: BTreeSet<usize> = infos.iter().map(|info| info.cluster as usize).collect();
    let cluster_text = |start: usize| {
        let end = starts
            .range(start + 1..)
            .next()
            .copied()
            .unwrap_or(text.len());
        text.get(start..end).unwrap_or_default().to_owned()
    };
    let mut glyphs: Vec<Glyph> = infos
        .iter()
        .zip(positions)
        .map(|(info, position)| Glyph {
            id: u16::try_from(info.glyph_id).unwrap_or(0),
            advance: position.x_advance,
            dx: position.x_offset,
            dy: position.y_offset,
            text: String::new(),
        })
        .collect();
    // Right-to-left glyphs come out in visual order, so the logical first glyph of a cluster
    // is its last here.
    let mut seen = BTreeSet::new();
    let order: Vec<usize> = if rtl {
        (0..glyphs.len()).rev().collect()
    } else {
        (0..glyphs.len()).collect()
    };
    for i in order {
        let start = infos[i].cluster as usize;
        if seen.insert(start) {
            glyphs[i].text = cluster_text(start);
        }
    }
    Run { face, glyphs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logical_text(line: &Line) -> String {
        line.segments.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn arabic_inside_latin_is_its_own_right_to_left_segment() {
        let line = shape("Bill to محمد العلي.", Weight::Regular, 10.0);
        let directions: Vec<bool> = line.segments.iter().map(|s| s.rtl).collect();
        assert_eq!(directions, [false, true, false]);
        assert_eq!(line.segments[1].text, "محمد العلي");
        assert_eq!(logical_text(&line), "Bill to محمد العلي.");
        assert!(line.width > 50.0 && line.width < 120.0, "{}", line.width);
    }

    #[test]
    fn arabic_letters_are_joined() {
        // Joined, each letter takes its initial, medial or final form: the glyphs of the
        // word differ from those of its letters set apart.
        let word = shape("محمد", Weight::Regular, 10.0);
        let apart = shape("م ح م د", Weight::Regular, 10.0);
        let ids = |line: &Line| -> Vec<u16> {
            line.segments[0].runs[0]
                .glyphs
                .iter()
                .map(|g| g.id)
                .filter(|&id| Some(id) != fonts::face(2).glyph_index(' ').map(|g| g.0))
                .collect()
        };
        assert_ne!(ids(&word), ids(&apart));
        // Visual order: the first letter (meem) is drawn last, at the right.
        let glyphs = &word.segments[0].runs[0].glyphs;
        assert_eq!(glyphs.last().map(|g| g.text.as_str()), Some("م"));
        assert_eq!(glyphs.first().map(|g| g.text.as_str()), Some("د"));
    }

    #[test]
    fn a_line_falls_back_per_character() {
        let line = shape("Ζ Д 王小明 田中 太郎", Weight::Regular, 10.0);
        let faces: Vec<FaceId> = line.segments[0].runs.iter().map(|r| r.face).collect();
        assert_eq!(faces, [0, 3]);
        assert_eq!(logical_text(&line), "Ζ Д 王小明 田中 太郎");
        assert_eq!(measure("", Weight::Bold, 10.0), 0.0);
    }
}
