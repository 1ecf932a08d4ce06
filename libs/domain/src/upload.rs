//! Checking an uploaded photo before it is kept: the type is read from the bytes (never from
//! the name or the browser's claim), the size is limited, and a file that also reads as a web
//! page or script (a polyglot) is refused, whatever image it holds.

/// The largest photo kept: a phone camera's JPEG is 2–6 MB.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("the file is empty")]
    Empty,
    #[error("the photo is larger than {} MB", MAX_PHOTO_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("only JPEG, PNG, WebP or HEIC photos can be uploaded")]
    NotAnImage,
    #[error("the file contains web page or script content and was refused")]
    Markup,
}

/// The image type of `bytes`, from its signature.
pub fn sniff_image(bytes: &[u8]) -> Result<&'static str, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(UploadError::TooLarge);
    }
    let kind = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"mif1" | b"heim" | b"heis"
        )
    {
        "image/heic"
    } else {
        return Err(UploadError::NotAnImage);
    };
    if contains_markup(bytes) {
        return Err(UploadError::Markup);
    }
    Ok(kind)
}

/// Whether the bytes hold something a browser would run if it ever read them as a page.
fn contains_markup(bytes: &[u8]) -> bool {
    const NEEDLES: [&[u8]; 7] = [
        b"<script",
        b"<html",
        b"<svg",
        b"<iframe",
        b"<object",
        b"javascript:",
        b"<?php",
    ];
    let lower = bytes.to_ascii_lowercase();
    NEEDLES
        .iter()
        .any(|needle| lower.windows(needle.len()).any(|w| w == *needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0,
    ];

    #[test]
    fn photos_are_known_by_their_bytes() {
        assert_eq!(sniff_image(JPEG), Ok("image/jpeg"));
        assert_eq!(
            sniff_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Ok("image/png")
        );
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert_eq!(sniff_image(b"\0\0\0\x18ftypheic\0\0\0\0"), Ok("image/heic"));
        assert_eq!(sniff_image(b"GIF89a"), Err(UploadError::NotAnImage));
        assert_eq!(
            sniff_image(b"<svg onload=alert(1)>"),
            Err(UploadError::NotAnImage)
        );
        assert_eq!(sniff_image(b""), Err(UploadError::Empty));
        assert_eq!(
            sniff_image(&vec![0xFF; MAX_PHOTO_BYTES + 1]),
            Err(UploadError::TooLarge)
        );
    }

    #[test]
    fn an_image_carrying_a_script_is_refused() {
        let mut polyglot = JPEG.to_vec();
        polyglot.extend_from_slice(b"comment <SCRIPT>alert(document.cookie)</script>");
        assert_eq!(sniff_image(&polyglot), Err(UploadError::Markup));
        let mut tail = JPEG.to_vec();
        tail.extend_from_slice(b"<svg");
        assert_eq!(sniff_image(&tail), Err(UploadError::Markup));
    }
}
