//! Uploaded documents and selfies are hostile input: the type is read from the content, images
//! are decoded with hard limits and re-encoded from pixels (dropping EXIF, GPS and anything
//! hidden after the image data), and PDFs are checked for shape. Nothing is stored until a file
//! passes.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;
/// Largest image side accepted before decoding (a "decompression bomb" has small bytes and huge
/// dimensions).
const MAX_SIDE: u32 = 12_000;
/// Memory an image decode may take.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// Longest side of a stored image: enough to read an MRZ, small enough to keep storage sane.
const STORED_SIDE: u32 = 2_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    TooLarge,
    /// Not JPEG, PNG, WebP or PDF by its content.
    UnsupportedType,
    /// A PDF where only a photo makes sense.
    ImageOnly,
    /// Truncated, corrupt or over the limits.
    Unreadable,
}

impl Rejection {
    /// The translation key of the message shown to the user.
    pub fn message_key(self) -> &'static str {
        match self {
            Rejection::TooLarge => "error-file-too-large",
            Rejection::UnsupportedType => "error-file-type",
            Rejection::ImageOnly => "error-file-image-only",
            Rejection::Unreadable => "error-file-unreadable",
        }
    }
}

/// A file that passed, ready to be sealed and stored.
#[derive(Debug)]
pub struct Cleaned {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sniffed {
    Image(ImageFormat),
    Pdf,
}

fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    if bytes.starts_with(b"%PDF-") {
        return Some(Sniffed::Pdf);
    }
    match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Some(Sniffed::Image(f)),
        _ => None,
    }
}

/// Checks and cleans an upload. `allow_pdf` is false for photos of identity documents and selfies.
pub fn clean(bytes: &[u8], allow_pdf: bool) -> Result<Cleaned, Rejection> {
    if bytes.len() > MAX_UPLOAD {
        return Err(Rejection::TooLarge);
    }
    match sniff(bytes).ok_or(Rejection::UnsupportedType)? {
        Sniffed::Pdf if !allow_pdf => Err(Rejection::ImageOnly),
        Sniffed::Pdf => check_pdf(bytes).map(|()| Cleaned {
            bytes: bytes.to_vec(),
            content_type: "application/pdf",
        }),
        Sniffed::Image(format) => reencode(bytes, format),
    }
}

/// A PDF must have a header, a cross-reference and an end marker, and must not be encrypted
/// (a reviewer could not read it) nor carry JavaScript or embedded files.
fn check_pdf(bytes: &[u8]) -> Result<(), Rejection> {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    if !contains(tail, b"%%EOF") || !(contains(bytes, b"xref") || contains(bytes, b"/XRef")) {
        return Err(Rejection::Unreadable);
    }
    if contains(bytes, b"/Encrypt")
        || contains(bytes, b"/JavaScript")
        || contains(bytes, b"/JS")
        || contains(bytes, b"/EmbeddedFile")
    {
        return Err(Rejection::UnsupportedType);
    }
    Ok(())
}

fn reencode(bytes: &[u8], format: ImageFormat) -> Result<Cleaned, Rejection> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| Rejection::Unreadable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| Rejection::Unreadable)?;
    // Phones store portrait photos sideways with an EXIF flag: bake it into the pixels, since
    // the flag itself is dropped with the rest of the metadata.
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > STORED_SIDE {
        img = img.resize(STORED_SIDE, STORED_SIDE, image::imageops::FilterType::Triangle);
    }
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    rgb.write_with_encoder(encoder).map_err(|_| Rejection::Unreadable)?;
    Ok(Cleaned {
        bytes: out,
        content_type: "image/jpeg",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgb8(w, h);
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn images_are_reencoded_as_jpeg_without_trailing_data() {
        let mut polyglot = png(40, 30);
        polyglot.extend_from_slice(b"PK\x03\x04 hidden zip payload <script>alert(1)</script>");
        let cleaned = clean(&polyglot, false).unwrap();
        assert_eq!(cleaned.content_type, "image/jpeg");
        assert!(cleaned.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(!cleaned.bytes.windows(6).any(|w| w == b"hidden"));
    }

    #[test]
    fn hostile_files_are_refused() {
        assert_eq!(clean(b"hello world", true).unwrap_err(), Rejection::UnsupportedType);
        assert_eq!(
            clean(b"<svg xmlns='http://www.w3.org/2000/svg'/>", true).unwrap_err(),
            Rejection::UnsupportedType
        );
        let full = png(50, 50);
        assert_eq!(
            clean(&full[..full.len() / 2], false).unwrap_err(),
            Rejection::Unreadable,
            "truncated"
        );
        assert_eq!(
            clean(&vec![0u8; MAX_UPLOAD + 1], true).unwrap_err(),
            Rejection::TooLarge
        );
        assert_eq!(
            clean(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\ntrailer\n%%EOF", false).unwrap_err(),
            Rejection::ImageOnly
        );
        assert!(clean(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\ntrailer\n%%EOF", true).is_ok());
        assert_eq!(
            clean(b"%PDF-1.7\n<< /JavaScript (app.alert(1)) >>\nxref\n%%EOF", true).unwrap_err(),
            Rejection::UnsupportedType
        );
        assert_eq!(clean(b"%PDF-1.7 truncated", true).unwrap_err(), Rejection::Unreadable);
    }

    #[test]
    fn decompression_bombs_are_refused_before_decoding() {
        // A valid PNG header claiming 50000 x 50000 pixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        assert_eq!(clean(&bomb, false).unwrap_err(), Rejection::Unreadable);
    }

    #[test]
    fn large_photos_are_scaled_down() {
        let cleaned = clean(&png(4000, 3000), false).unwrap();
        let img = image::load_from_memory(&cleaned.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (2400, 1800));
    }
}
