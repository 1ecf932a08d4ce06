//! A tenant's brand: colours that stay readable (WCAG AA) whatever the tenant picks.
//!
//! A tenant may choose any colour. We never refuse one for being hard to read; instead the
//! page uses derived variants: the text colour on a brand-coloured button is whichever of
//! black and white contrasts more, and brand-coloured text (links) is darkened or lightened
//! until it reaches 4.5:1 against the theme's background.

use std::fmt;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ColorError {
    #[error("must be a colour like #1f6feb")]
    BadHex,
}

/// An sRGB colour, written `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

/// The minimum contrast for normal text in WCAG 2.x level AA.
pub const AA_TEXT: f64 = 4.5;

pub const WHITE: Color = Color {
    r: 255,
    g: 255,
    b: 255,
};
pub const BLACK: Color = Color { r: 0, g: 0, b: 0 };
/// The backgrounds text is hardest to read on in each theme (`--surface` in app.css):
/// a colour readable on these is readable on the plain page background too.
pub const LIGHT_BACKGROUND: Color = Color {
    r: 0xf6,
    g: 0xf8,
    b: 0xfa,
};
pub const DARK_BACKGROUND: Color = Color {
    r: 0x1c,
    g: 0x21,
    b: 0x28,
};

impl Color {
    pub fn parse(raw: &str) -> Result<Self, ColorError> {
        let hex = raw.trim().strip_prefix('#').ok_or(ColorError::BadHex)?;
        let hex = match hex.len() {
            3 => hex.chars().flat_map(|c| [c, c]).collect::<String>(),
            6 => hex.to_owned(),
            _ => return Err(ColorError::BadHex),
        };
        let channel =
            |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| ColorError::BadHex);
        Ok(Self {
            r: channel(0)?,
            g: channel(2)?,
            b: channel(4)?,
        })
    }

    /// Relative luminance as WCAG defines it.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    pub fn contrast(self, other: Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }

    /// Black or white, whichever is easier to read on this colour.
    pub fn text_on(self) -> Color {
        if self.contrast(BLACK) >= self.contrast(WHITE) {
            BLACK
        } else {
            WHITE
        }
    }

    fn mix(self, toward: Color, amount: f64) -> Color {
        let channel = |a: u8, b: u8| {
            let mixed = f64::from(a) + (f64::from(b) - f64::from(a)) * amount;
            // Clamped to 0..=255 first, so the cast cannot truncate.
            mixed.round().clamp(0.0, 255.0) as u8
        };
        Color {
            r: channel(self.r, toward.r),
            g: channel(self.g, toward.g),
            b: channel(self.b, toward.b),
        }
    }

    /// This colour, moved toward black or white just enough to be readable as text on `background`.
    pub fn readable_on(self, background: Color) -> Color {
        if self.contrast(background) >= AA_TEXT {
            return self;
        }
        let toward = background.text_on();
        (1..=20)
            .map(|step| self.mix(toward, f64::from(step) * 0.05))
            .find(|c| c.contrast(background) >= AA_TEXT)
            .unwrap_or(toward)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// Which theme a page starts in: the visitor's system setting, or one the tenant fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemePreference {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemePreference {
    pub fn parse(raw: &str) -> Result<Self, ThemeError> {
        match raw.trim() {
            "system" => Ok(Self::System),
            "light" => Ok(Self::Light),
            "dark" => Ok(Self::Dark),
            _ => Err(ThemeError),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be one of system, light or dark")]
pub struct ThemeError;

/// The colours a page needs, derived once from the tenant's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    pub primary: Color,
    pub on_primary: Color,
    pub accent: Color,
    pub on_accent: Color,
    pub link_light: Color,
    pub link_dark: Color,
}

impl Palette {
    pub fn new(primary: Color, accent: Color) -> Self {
        Self {
            primary,
            on_primary: primary.text_on(),
            accent,
            on_accent: accent.text_on(),
            link_light: primary.readable_on(LIGHT_BACKGROUND),
            link_dark: primary.readable_on(DARK_BACKGROUND),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(Color::parse("#1F6FEB").unwrap().to_string(), "#1f6feb");
        assert_eq!(Color::parse("#fff").unwrap(), WHITE);
        for bad in ["", "1f6feb", "#12345", "#gggggg", "#1f6feb00"] {
            assert_eq!(Color::parse(bad), Err(ColorError::BadHex), "{bad}");
        }
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((BLACK.contrast(WHITE) - 21.0).abs() < 1e-9);
        let grey = Color::parse("#767676").unwrap();
        assert!(grey.contrast(WHITE) >= 4.5 && grey.contrast(WHITE) < 4.6);
    }

    #[test]
    fn every_palette_is_readable_in_both_themes() {
        // A coarse sweep of the colour cube, including the worst cases (yellow, mid grey).
        let steps = [0u8, 51, 102, 119, 136, 153, 204, 255];
        for &r in &steps {
            for &g in &steps {
                for &b in &steps {
                    let c = Color { r, g, b };
                    let p = Palette::new(c, c);
                    assert!(
                        p.primary.contrast(p.on_primary) >= AA_TEXT
                            || c.contrast(BLACK).max(c.contrast(WHITE)) < AA_TEXT,
                        "{c}: button text"
                    );
                    assert!(
                        p.link_light.contrast(LIGHT_BACKGROUND) >= AA_TEXT,
                        "{c}: link on light"
                    );
                    assert!(
                        p.link_dark.contrast(DARK_BACKGROUND) >= AA_TEXT,
                        "{c}: link on dark"
                    );
                }
            }
        }
    }
}
