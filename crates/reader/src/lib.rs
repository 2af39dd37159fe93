//! Document image analysis for Verity, in pure Rust: finds and reads the machine-readable zone of
//! passports, identity cards and visas (ICAO 9303) in phone photos, measures image quality and
//! computes perceptual hashes. No C libraries, no models to download: the OCR-B font is bundled.

mod decode;
pub mod face;
mod gray;
mod locate;
mod ocr;
pub use ocr::OCR_B;
pub mod phash;
pub mod quality;

use std::time::Instant;

use serde::Serialize;
use verity_domain::mrz::{self, Mrz};

pub use decode::Correction;
pub use gray::Gray;
pub use quality::Quality;

/// Longest side of the reduced copy the MRZ is searched in.
const WORK_SIDE: usize = 1100;
/// Pixels per cell band beyond which cells are read from a reduced copy.
const READ_CAP_HEIGHT: f32 = 36.0;
/// Largest image accepted, in pixels.
const MAX_PIXELS: u64 = 40_000_000;

#[derive(Clone, Debug, Serialize)]
pub struct MrzReading {
    pub lines: Vec<String>,
    pub fields: Mrz,
    pub corrections: Vec<Correction>,
    /// Mean and lowest character scores (about 1.0 for clean print; below 0.5 is doubtful).
    pub mean_score: f32,
    pub lowest_score: f32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Timings {
    pub decode_ms: f64,
    pub locate_ms: f64,
    pub read_ms: f64,
    pub total_ms: f64,
}

/// Everything the engine reads from one document image.
#[derive(Clone, Debug, Serialize)]
pub struct Reading {
    pub mrz: Option<MrzReading>,
    pub quality: Quality,
    pub phash: String,
    /// 256-bit perceptual hash, for near-duplicate detection.
    pub phash256: String,
    pub timings: Timings,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file is not an image this reader decodes (JPEG, PNG or WebP): {0}")]
    Decode(String),
    #[error("the image is too large ({0} pixels)")]
    TooLarge(u64),
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Decodes an image file (JPEG, PNG or WebP) to grayscale, within size limits.
pub fn decode(bytes: &[u8]) -> Result<Gray, ReadError> {
    Ok(Gray::from_image(&decode_image(bytes)?))
}

/// Decodes an image file (JPEG, PNG or WebP), within size limits.
pub fn decode_image(bytes: &[u8]) -> Result<image::DynamicImage, ReadError> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ReadError::Decode(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let (w, h) = reader.into_dimensions().map_err(|e| ReadError::Decode(e.to_string()))?;
    if w as u64 * h as u64 > MAX_PIXELS {
        return Err(ReadError::TooLarge(w as u64 * h as u64));
    }
    image::load_from_memory(bytes).map_err(|e| ReadError::Decode(e.to_string()))
}

/// Decodes and reads one image file.
pub fn read(bytes: &[u8]) -> Result<Reading, ReadError> {
    let start = Instant::now();
    let gray = decode(bytes)?;
    let decode_ms = ms(start);
    let mut reading = read_gray(&gray);
    reading.timings.decode_ms = decode_ms;
    reading.timings.total_ms += decode_ms;
    Ok(reading)
}

/// Reads a decoded grayscale image.
pub fn read_gray(image: &Gray) -> Reading {
    let start = Instant::now();
    let factor = image.width.max(image.height).div_ceil(WORK_SIDE).max(1);
    let work = image.shrink(factor);
    let candidates = locate::candidates(&work, factor as f32);
    let locate_ms = ms(start);
    let read_start = Instant::now();
    let mut best: Option<(f32, MrzReading, ocr::CellStats)> = None;
    let mut reduced: Vec<(usize, Gray)> = Vec::new();
    for candidate in candidates {
        // Read large characters from a reduced copy: faster, and it averages out noise.
        let height = candidate.lines[0].cell(&candidate.frame, 0).height;
        let shrink = ((height / READ_CAP_HEIGHT).floor() as usize).max(1);
        let mut candidate = candidate;
        let source = if shrink > 1 {
            if !reduced.iter().any(|(f, _)| *f == shrink) {
                reduced.push((shrink, image.shrink(shrink)));
            }
            candidate.frame.scale /= shrink as f32;
            &reduced.iter().find(|(f, _)| *f == shrink).expect("just added").1
        } else {
            image
        };
        let (cells, mut stats) = ocr::read_cells(source, &candidate);
        if std::env::var_os("VERITY_READER_DEBUG").is_some() {
            let c0 = candidate.lines[0].cell(&candidate.frame, 0);
            let cn = candidate.lines[0].cell(&candidate.frame, candidate.cells - 1);
            eprintln!(
                "candidate: {} lines x {} cells, first {:?} last {:?}, shrink {shrink}",
                candidate.lines.len(),
                candidate.cells,
                c0,
                cn
            );
        }
        stats.cap_height *= shrink as f32;
        let Some(decoded) = decode::decode(&cells) else {
            continue;
        };
        if std::env::var_os("VERITY_READER_DEBUG").is_some() {
            eprintln!("  read {:?} mean {:.2}", decoded.lines, decoded.mean_score);
        }
        let line_refs: Vec<&str> = decoded.lines.iter().map(String::as_str).collect();
        let Ok(fields) = mrz::parse(&line_refs) else { continue };
        // Formats have different numbers of check digits: compare the share that verifies.
        let verified =
            fields.check_digits.iter().filter(|c| c.ok()).count() as f32 / fields.check_digits.len().max(1) as f32;
        let plausible = matches!(fields.document_code.chars().next(), Some('P' | 'I' | 'A' | 'C' | 'V'));
        // How well the glyphs match counts most: a clear reading of a tampered document must
        // beat noise whose digits happen to verify.
        let score = verified * 4.0 + decoded.mean_score * 12.0 + if plausible { 2.0 } else { 0.0 }
            - 0.25 * decoded.corrections.len() as f32;
        let all_verified = fields.valid();
        let reading = MrzReading {
            lines: decoded.lines,
            fields,
            corrections: decoded.corrections,
            mean_score: decoded.mean_score,
            lowest_score: decoded.lowest_score,
        };
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, reading, stats));
        }
        // A fully verified, confident reading will not be beaten.
        if all_verified && plausible && best.as_ref().is_some_and(|(_, r, _)| r.mean_score > 0.6) {
            break;
        }
    }
    let read_ms = ms(read_start);
    let mut quality = quality::measure(image, &work);
    let mrz = best.map(|(_, reading, stats)| {
        quality.mrz_cap_height = Some(stats.cap_height);
        quality.mrz_blur = Some(stats.mid_tones as f32 / stats.inked.max(1) as f32);
        reading
    });
    quality.assess();
    Reading {
        mrz,
        quality,
        phash: format!("{:016x}", phash::phash(&work)),
        phash256: phash::phash256(&work),
        timings: Timings {
            decode_ms: 0.0,
            locate_ms,
            read_ms,
            total_ms: ms(start),
        },
    }
}
