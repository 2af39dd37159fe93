//! Uploaded documents and selfies are hostile input: the type is read from the content, images
//! are decoded with hard limits and re-encoded from pixels (dropping EXIF, GPS and anything
//! hidden after the image data), and PDFs are parsed and refused when they carry active
//! content. Nothing is stored until a file passes.
//!
//! Memory is bounded before anything is allocated: an image's header says how large its pixels
//! will be, the decoder's own working memory is estimated from its format, and every decode in
//! the process draws that estimate from one shared budget ([`DECODE_BUDGET_MIB`]). A file that
//! could never fit is refused at once; others wait their turn.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use tokio::sync::Semaphore;

use super::pdf;

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;
/// Largest image side accepted before decoding (a "decompression bomb" has small bytes and huge
/// dimensions).
const MAX_SIDE: u32 = 12_000;
/// Most pixels an image may have: 40 megapixels is above any phone camera's default output.
const MAX_PIXELS: u64 = 40_000_000;
/// Memory all image decodes of the process may use at once, in MiB.
pub const DECODE_BUDGET_MIB: u32 = 384;
/// Longest side of a stored image: enough to read an MRZ, small enough to keep storage sane.
const STORED_SIDE: u32 = 2_400;
/// Standard deviation of brightness (0-255) below which a photo shows nothing.
const BLANK_SPREAD: f64 = 2.0;

static DECODE_BUDGET: Semaphore = Semaphore::const_new(DECODE_BUDGET_MIB as usize);

/// Uploads of one hosted session being cleaned at once: one link cannot fill the queue.
const IN_FLIGHT_PER_SESSION: u32 = 2;
static IN_FLIGHT: std::sync::Mutex<Vec<(String, u32)>> = std::sync::Mutex::new(Vec::new());

/// A hosted session's place among the uploads being cleaned; given back when dropped.
pub struct InFlight(String);

impl InFlight {
    /// Takes a place for `session`, or `None` when it already has as many as it may.
    pub fn take(session: &str) -> Option<InFlight> {
        let mut all = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        match all.iter_mut().find(|(s, _)| s == session) {
            Some((_, n)) if *n >= IN_FLIGHT_PER_SESSION => return None,
            Some((_, n)) => *n += 1,
            None => all.push((session.to_owned(), 1)),
        }
        Some(InFlight(session.to_owned()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut all = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = all.iter().position(|(s, _)| *s == self.0) {
            all[i].1 -= 1;
            if all[i].1 == 0 {
                all.swap_remove(i);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    TooLarge,
    /// Not JPEG, PNG, WebP or PDF by its content.
    UnsupportedType,
    /// A PDF where only a photo makes sense.
    ImageOnly,
    /// Truncated, corrupt or over the limits.
    Unreadable,
    /// An image of one flat colour: nothing was photographed.
    Blank,
    /// A PDF with scripts, actions, attachments, forms or encryption.
    ActivePdf,
}

impl Rejection {
    /// Its name in `verity_uploads_refused_total`.
    pub fn metric_label(self) -> &'static str {
        match self {
            Rejection::TooLarge => "too_large",
            Rejection::UnsupportedType => "unsupported_type",
            Rejection::ImageOnly => "pdf_not_allowed",
            Rejection::Unreadable => "unreadable",
            Rejection::Blank => "blank",
            Rejection::ActivePdf => "active_pdf",
        }
    }

    /// The translation key of the message shown to the user.
    pub fn message_key(self) -> &'static str {
        match self {
            Rejection::TooLarge => "error-file-too-large",
            Rejection::UnsupportedType => "error-file-type",
            Rejection::ImageOnly => "error-file-image-only",
            Rejection::Unreadable => "error-file-unreadable",
            Rejection::Blank => "error-file-blank",
            Rejection::ActivePdf => "error-file-pdf-active",
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

/// Checks and cleans an upload off the async runtime, within the process's decode budget.
/// `allow_pdf` is false for photos of identity documents and selfies.
pub async fn clean_async(bytes: axum::body::Bytes, allow_pdf: bool) -> Result<Cleaned, Rejection> {
    let cleaned = clean_within_budget(bytes, allow_pdf).await;
    if let Err(rejection) = &cleaned {
        verity_service::metrics::UPLOADS_REFUSED.add(rejection.metric_label());
    }
    cleaned
}

async fn clean_within_budget(bytes: axum::body::Bytes, allow_pdf: bool) -> Result<Cleaned, Rejection> {
    let cost = cost_mib(&bytes, allow_pdf)?;
    let _permit = DECODE_BUDGET
        .acquire_many(cost)
        .await
        .map_err(|_| Rejection::Unreadable)?;
    tokio::task::spawn_blocking(move || clean(&bytes, allow_pdf))
        .await
        .map_err(|_| Rejection::Unreadable)?
}

/// What cleaning this file may cost in memory, in MiB, read from its header alone; a file that
/// could never fit the budget is refused here.
fn cost_mib(bytes: &[u8], allow_pdf: bool) -> Result<u32, Rejection> {
    if bytes.len() > MAX_UPLOAD {
        return Err(Rejection::TooLarge);
    }
    let cost = match sniff(bytes).ok_or(Rejection::UnsupportedType)? {
        Sniffed::Pdf if !allow_pdf => return Err(Rejection::ImageOnly),
        Sniffed::Pdf => pdf::MEMORY_BOUND,
        Sniffed::Image(format) => decode_plan(bytes, format)?.1,
    };
    Ok(cost.div_ceil(1024 * 1024).max(1) as u32)
}

/// Checks and cleans an upload on the calling thread. `allow_pdf` is false for photos of
/// identity documents and selfies.
pub fn clean(bytes: &[u8], allow_pdf: bool) -> Result<Cleaned, Rejection> {
    if bytes.len() > MAX_UPLOAD {
        return Err(Rejection::TooLarge);
    }
    match sniff(bytes).ok_or(Rejection::UnsupportedType)? {
        Sniffed::Pdf if !allow_pdf => Err(Rejection::ImageOnly),
        Sniffed::Pdf => pdf::check(bytes).map(|()| Cleaned {
            bytes: bytes.to_vec(),
            content_type: "application/pdf",
        }),
        Sniffed::Image(format) => reencode(bytes, format),
    }
}

/// A decoder for the file, after its header passed the limits, and the memory its decode may
/// take in bytes: the pixels, plus the decoder's own working memory (a progressive JPEG keeps
/// 16-bit coefficients for every sample; WebP keeps a canvas besides the output).
fn decode_plan(bytes: &[u8], format: ImageFormat) -> Result<(impl ImageDecoder + '_, u64), Rejection> {
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Rejection::Unreadable);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(|_| Rejection::Unreadable)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Rejection::Unreadable);
    }
    let pixels = decoder.total_bytes();
    let working = match format {
        ImageFormat::Jpeg => 2 * pixels,
        ImageFormat::WebP => u64::from(w) * u64::from(h) * 4,
        _ => 0,
    };
    let cost = pixels + working;
    if cost > u64::from(DECODE_BUDGET_MIB) * 1024 * 1024 {
        return Err(Rejection::Unreadable);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(cost);
    decoder.set_limits(limits).map_err(|_| Rejection::Unreadable)?;
    Ok((decoder, cost))
}

/// A JPEG ends with an end-of-image marker after its first scan; one that does not was cut
/// short, and the decoder would paint the missing part grey rather than fail. Inside scan data
/// every 0xFF byte is followed by 0x00 or a restart marker, so the search cannot be fooled.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(scan) = bytes.windows(2).position(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

fn reencode(bytes: &[u8], format: ImageFormat) -> Result<Cleaned, Rejection> {
    let (mut decoder, _) = decode_plan(bytes, format)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| Rejection::Unreadable)?;
    // Shrink before anything else: `thumbnail` averages areas straight into the small image,
    // with no full-size intermediate.
    if img.width().max(img.height()) > STORED_SIDE {
        img = img.thumbnail(STORED_SIDE, STORED_SIDE);
    }
    // Phones store portrait photos sideways with an EXIF flag: bake it into the pixels, since
    // the flag itself is dropped with the rest of the metadata.
    img.apply_orientation(orientation);
    let rgb = img.to_rgb8();
    drop(img);
    if is_blank(&rgb) {
        return Err(Rejection::Blank);
    }
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    DynamicImage::ImageRgb8(rgb)
        .write_with_encoder(encoder)
        .map_err(|_| Rejection::Unreadable)?;
    Ok(Cleaned {
        bytes: out,
        content_type: "image/jpeg",
    })
}

/// Whether an image is one flat colour (all black, all white, a zero-filled buffer): the
/// standard deviation of its brightness is under [`BLANK_SPREAD`].
fn is_blank(rgb: &image::RgbImage) -> bool {
    let (mut sum, mut sum_sq, mut n) = (0f64, 0f64, 0f64);
    for p in rgb.pixels() {
        let y = 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
        sum += y;
        sum_sq += y * y;
        n += 1.0;
    }
    if n == 0.0 {
        return true;
    }
    let mean = sum / n;
    (sum_sq / n - mean * mean).max(0.0).sqrt() < BLANK_SPREAD
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG with something in it.
    fn png(w: u32, h: u32) -> Vec<u8> {
        encode_png(&textured(w, h))
    }

    fn black_png(w: u32, h: u32) -> Vec<u8> {
        encode_png(&DynamicImage::new_rgb8(w, h))
    }

    fn encode_png(img: &DynamicImage) -> Vec<u8> {
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
        assert_eq!(
            clean(b"%PDF-1.7\n<< /JavaScript (app.alert(1)) >>\nxref\n%%EOF", true).unwrap_err(),
            Rejection::ActivePdf
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

    fn jpeg(img: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg).unwrap();
        out
    }

    fn textured(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 7 % 256) as u8, (y * 13 % 256) as u8, ((x + y) % 256) as u8])
        }))
    }

    #[test]
    fn truncated_jpegs_are_refused() {
        let full = jpeg(&textured(300, 200));
        assert!(clean(&full, false).is_ok());
        for cut in [full.len() - 2, full.len() * 2 / 3, full.len() / 2] {
            assert_eq!(
                clean(&full[..cut], false).unwrap_err(),
                Rejection::Unreadable,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn blank_images_are_refused() {
        // A zero-filled buffer, a white page and a flat grey photo show nothing.
        assert_eq!(clean(&black_png(640, 480), false).unwrap_err(), Rejection::Blank);
        let white = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(640, 480, image::Rgb([255, 255, 255])));
        assert_eq!(clean(&jpeg(&white), false).unwrap_err(), Rejection::Blank);
        let gray = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(300, 300, image::Luma([30_000u16])));
        let mut out = Vec::new();
        gray.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        assert_eq!(clean(&out, false).unwrap_err(), Rejection::Blank);
        assert!(clean(&jpeg(&textured(640, 480)), false).is_ok());
    }

    /// Headers that declare huge pixels in a small file: refused from the header, before any
    /// pixel memory is taken, so the cost never reaches the budget.
    #[test]
    fn bombs_are_refused_from_their_header() {
        // PNG, 11999 x 11999 RGBA16: 1.15 GB of pixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&11_999u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&11_999u32.to_be_bytes());
        bomb[24] = 16;
        bomb[25] = 6;
        assert_eq!(cost_mib(&bomb, false).unwrap_err(), Rejection::Unreadable);
        assert_eq!(clean(&bomb, false).unwrap_err(), Rejection::Unreadable);
        // JPEG whose frame header says 11999 x 11999.
        let mut small = jpeg(&textured(64, 48));
        let sof = small.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        small[sof + 5..sof + 7].copy_from_slice(&11_999u16.to_be_bytes());
        small[sof + 7..sof + 9].copy_from_slice(&11_999u16.to_be_bytes());
        assert_eq!(cost_mib(&small, false).unwrap_err(), Rejection::Unreadable);
        // A real 12-megapixel photo fits, at a cost the budget can hold.
        let photo = jpeg(&textured(4000, 3000));
        let cost = cost_mib(&photo, false).unwrap();
        assert!((100..=DECODE_BUDGET_MIB).contains(&cost), "{cost} MiB");
    }

    #[test]
    fn large_photos_are_scaled_down() {
        let cleaned = clean(&jpeg(&textured(4000, 3000)), false).unwrap();
        let img = image::load_from_memory(&cleaned.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (2400, 1800));
    }
}
