//! The built-in face matcher measured on real photographs, as the engine decides: for each
//! degradation a document portrait suffers (greyscale, a 40-pixel face, JPEG quality 30, the blur
//! and noise of a printed photo photographed again, all of them at once), every photo, degraded,
//! is compared with every other photo, clean, as a selfie: pairs of the same person (genuine) and
//! of different people (impostor). Prints, per level, the genuine pass rate, the false matches,
//! the inconclusive share and the distances, then milliseconds per face on one core.
//!
//! Usage: cargo run --release -p verity-service --example face_match_benchmark -- DIR
//! where DIR holds one folder per person with their photos (bench/faces/run.sh fetches a set).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use image::{DynamicImage, RgbImage};
use verity_domain::engine::biometrics::{BUILT_IN_THRESHOLDS, MatchVerdict, judge};
use verity_service::biometrics::{self, ScannedFaces, Side};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Level {
    Clean,
    Grey,
    Small,
    Jpeg30,
    Printed,
    All,
}

const LEVELS: [Level; 6] = [
    Level::Clean,
    Level::Grey,
    Level::Small,
    Level::Jpeg30,
    Level::Printed,
    Level::All,
];

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Clean => "clean",
            Level::Grey => "greyscale",
            Level::Small => "40-pixel face",
            Level::Jpeg30 => "JPEG quality 30",
            Level::Printed => "printed and photographed",
            Level::All => "all of them",
        }
    }
}

/// A deterministic noise source (the figures must not change from run to run).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

fn grey(image: &RgbImage) -> RgbImage {
    DynamicImage::ImageLuma8(DynamicImage::ImageRgb8(image.clone()).to_luma8()).to_rgb8()
}

/// Shrinks the photo so that its face is about 40 pixels wide (16 pixels between the eyes).
fn small(image: &RgbImage, eye_distance: f64) -> RgbImage {
    let scale = (16.0 / eye_distance).min(1.0);
    let (w, h) = (
        ((image.width() as f64 * scale).round() as u32).max(1),
        ((image.height() as f64 * scale).round() as u32).max(1),
    );
    image::imageops::resize(image, w, h, image::imageops::FilterType::Triangle)
}

fn jpeg(image: &RgbImage, quality: u8) -> RgbImage {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .expect("encode");
    image::load_from_memory(&out).expect("decode").to_rgb8()
}

/// A print photographed: blur in proportion to the face, lower contrast, a warm cast, noise.
fn printed(image: &RgbImage, eye_distance: f64, seed: u64) -> RgbImage {
    let blurred = image::imageops::blur(image, (eye_distance / 40.0).max(0.8) as f32);
    let mut noise = Noise(seed | 1);
    let mut out = blurred;
    for p in out.pixels_mut() {
        for (c, v) in p.0.iter_mut().enumerate() {
            let cast = [8.0, 2.0, -6.0][c];
            let x = 128.0 + (*v as f32 - 128.0) * 0.8 + cast + noise.next() * 12.0;
            *v = x.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

fn degrade(image: &RgbImage, level: Level, eye_distance: f64, seed: u64) -> RgbImage {
    match level {
        Level::Clean => image.clone(),
        Level::Grey => grey(image),
        Level::Small => small(image, eye_distance),
        Level::Jpeg30 => jpeg(image, 30),
        Level::Printed => printed(image, eye_distance, seed),
        Level::All => {
            let shrunk = small(image, eye_distance);
            let factor = shrunk.width() as f64 / image.width() as f64;
            jpeg(&grey(&printed(&shrunk, eye_distance * factor, seed)), 30)
        }
    }
}

struct Photo {
    person: String,
    file: PathBuf,
    image: RgbImage,
    clean: ScannedFaces,
}

fn load(dir: &Path) -> Vec<Photo> {
    let mut photos = Vec::new();
    let mut people: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.path())
        .collect();
    people.sort();
    for person in people {
        let mut files: Vec<_> = std::fs::read_dir(&person)
            .expect("read person")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()).map(str::to_lowercase).as_deref(),
                    Some("jpg" | "jpeg" | "png" | "webp")
                )
            })
            .collect();
        files.sort();
        for file in files {
            let Ok(image) = image::open(&file) else {
                eprintln!("skipped (not an image): {}", file.display());
                continue;
            };
            let image = image.to_rgb8();
            let clean =
                biometrics::scan(&DynamicImage::ImageRgb8(image.clone()), Side::Selfie).expect("a matcher is built in");
            if clean.measures.is_empty() {
                eprintln!("skipped (no face found): {}", file.display());
                continue;
            }
            photos.push(Photo {
                person: person.file_name().unwrap().to_string_lossy().into_owned(),
                file,
                image,
                clean,
            });
        }
    }
    photos
}

#[derive(Default)]
struct Tally {
    genuine: usize,
    genuine_pass: usize,
    genuine_unsure: usize,
    genuine_distances: Vec<f32>,
    impostor: usize,
    impostor_pass: usize,
    impostor_unsure: usize,
    impostor_distances: Vec<f32>,
    reasons: BTreeMap<&'static str, usize>,
    /// Document faces' sharpness and eye distance, once per photo.
    sharpness: Vec<f32>,
    eyes: Vec<f32>,
}

fn percentile(values: &mut [f32], p: f64) -> f32 {
    if values.is_empty() {
        return f32::NAN;
    }
    values.sort_by(f32::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| {
        eprintln!("usage: face_match_benchmark DIR (one folder of photos per person)");
        std::process::exit(2);
    });
    let photos = load(&dir);
    let people: std::collections::BTreeSet<_> = photos.iter().map(|p| p.person.as_str()).collect();
    println!(
        "{} photos of {} people in {}; thresholds {:?}",
        photos.len(),
        people.len(),
        dir.display(),
        BUILT_IN_THRESHOLDS
    );
    let t = BUILT_IN_THRESHOLDS;
    for level in LEVELS {
        let mut tally = Tally::default();
        for (i, doc) in photos.iter().enumerate() {
            let eye = doc.clean.measures[0].eye_distance;
            let degraded = degrade(&doc.image, level, eye, i as u64 + 7);
            let scanned = biometrics::scan(&DynamicImage::ImageRgb8(degraded), Side::Document).expect("matcher");
            if let Some(m) = scanned.measures.first() {
                tally.sharpness.push(m.sharpness as f32);
                tally.eyes.push(m.eye_distance as f32);
            }
            for (j, selfie) in photos.iter().enumerate() {
                if i == j {
                    continue;
                }
                let comparison = biometrics::compare(&scanned, &selfie.clean);
                let verdict = judge(&comparison, &t);
                let same = doc.person == selfie.person;
                if let MatchVerdict::Inconclusive(why) = verdict {
                    *tally.reasons.entry(why.code()).or_default() += 1;
                }
                if same {
                    tally.genuine += 1;
                    tally.genuine_pass += (verdict == MatchVerdict::Pass) as usize;
                    tally.genuine_unsure += matches!(verdict, MatchVerdict::Inconclusive(_)) as usize;
                    tally.genuine_distances.extend(comparison.distance);
                } else {
                    tally.impostor += 1;
                    if verdict == MatchVerdict::Pass {
                        tally.impostor_pass += 1;
                        eprintln!(
                            "FALSE MATCH at {}: {} vs {} ({:?})",
                            level.name(),
                            doc.file.display(),
                            selfie.file.display(),
                            comparison.distance
                        );
                    }
                    tally.impostor_unsure += matches!(verdict, MatchVerdict::Inconclusive(_)) as usize;
                    tally.impostor_distances.extend(comparison.distance);
                }
            }
        }
        let pct = |n: usize, d: usize| 100.0 * n as f64 / d.max(1) as f64;
        let mut g = tally.genuine_distances.clone();
        let mut im = tally.impostor_distances.clone();
        let (mut sh, mut eyes) = (tally.sharpness.clone(), tally.eyes.clone());
        println!(
            "{:<26} document faces: sharpness p5 {:.1} p50 {:.1}, eye distance p50 {:.1}",
            level.name(),
            percentile(&mut sh, 0.05),
            percentile(&mut sh, 0.5),
            percentile(&mut eyes, 0.5)
        );
        println!(
            "{:<26} genuine pass {:5.1}% ({}/{}), inconclusive {:4.1}% | impostor false matches {} of {}, inconclusive {:4.1}% | genuine distance median {:.3} p95 {:.3} max {:.3} | impostor distance min {:.3} p5 {:.3} | reasons {:?}",
            level.name(),
            pct(tally.genuine_pass, tally.genuine),
            tally.genuine_pass,
            tally.genuine,
            pct(tally.genuine_unsure, tally.genuine),
            tally.impostor_pass,
            tally.impostor,
            pct(tally.impostor_unsure, tally.impostor),
            percentile(&mut g, 0.5),
            percentile(&mut g, 0.95),
            percentile(&mut g, 1.0),
            percentile(&mut im, 0.0),
            percentile(&mut im, 0.05),
            tally.reasons,
        );
    }
    // Speed: every photo once more, one core, split by stage, as a selfie and as a document.
    for (side, photo) in [
        ("selfie", verity_faces::Photo::Selfie),
        ("document", verity_faces::Photo::Document),
    ] {
        let mut total = verity_faces::ScanTimings::default();
        let mut faces = 0;
        let started = Instant::now();
        for p in &photos {
            let scan = verity_faces::scan(&p.image, photo).expect("matcher");
            faces += scan.faces.len();
            total.detect_ms += scan.timings.detect_ms;
            total.landmarks_ms += scan.timings.landmarks_ms;
            total.align_ms += scan.timings.align_ms;
            total.describe_ms += scan.timings.describe_ms;
        }
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        let n = photos.len().max(1) as f64;
        println!(
            "speed, one core, as a {side}: {:.1} ms per image end to end (detect {:.1}, landmarks {:.2}, align {:.2}, describe {:.1} per face; {} faces in {} images)",
            wall / n,
            total.detect_ms / n,
            total.landmarks_ms / faces.max(1) as f64,
            total.align_ms / faces.max(1) as f64,
            total.describe_ms / faces.max(1) as f64,
            faces,
            photos.len()
        );
    }
    // Phone-sized photos: the corpus's passports (carrying the bundled real portrait) as
    // documents, its selfies as selfies, decoding included.
    let painter = verity_corpus::Painter::new();
    let portrait = verity_corpus::portrait();
    let today = verity_corpus::Date {
        year: 2026,
        month: 11,
        day: 29,
    };
    for (side, photo) in [("document", Side::Document), ("selfie", Side::Selfie)] {
        let files: Vec<Vec<u8>> = (0..5u64)
            .map(|seed| match photo {
                Side::Document => {
                    verity_corpus::Specimen::generate(
                        &painter,
                        seed,
                        verity_corpus::Kind::Passport,
                        today,
                        verity_corpus::Flaw::None,
                        Some(&portrait),
                    )
                    .photograph(verity_corpus::Level::Light, seed)
                    .0
                }
                Side::Selfie => verity_corpus::selfie(seed),
            })
            .collect();
        let started = Instant::now();
        let mut size = (0, 0);
        for bytes in &files {
            let image = verity_reader::decode_image(bytes).expect("decodes");
            size = (image.width(), image.height());
            let found = biometrics::scan(&image, photo).expect("matcher");
            assert_eq!(found.measures.len(), 1, "one face in each corpus photo");
        }
        println!(
            "speed, one core, corpus {side} photos ({}x{} JPEG): {:.1} ms per image, decoding included",
            size.0,
            size.1,
            started.elapsed().as_secs_f64() * 1000.0 / files.len() as f64
        );
    }
}
