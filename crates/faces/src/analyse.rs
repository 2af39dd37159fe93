//! From a photo to its faces: detect (the reader's SeetaFace cascade), place the five landmarks
//! (on the detector's box, then again on the box the landmark model itself expects, so that the
//! result does not depend on the detector's box convention), cut the aligned chip, describe it,
//! and measure what decides whether the face can be compared at all.

use std::time::Instant;

use image::RgbImage;
use serde::Serialize;
use verity_reader::Gray;

use crate::Descriptor;
use crate::align::{Chip, align};
use crate::geometry::Point;
use crate::landmarks::{FaceBox, Intensities, Landmarks, ShapePredictor, intensities};
use crate::network::FaceNet;

/// What kind of photo is scanned: it decides the smallest face looked for, as a share of the
/// image's long side (the detector's cost grows with the square of its inverse).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Photo {
    /// A photo of a document ([`verity_reader::face::DOCUMENT_FACE_SHARE`]).
    Document,
    /// A selfie ([`verity_reader::face::SELFIE_FACE_SHARE`]).
    Selfie,
}

impl Photo {
    /// The smallest face looked for, as a share of the image's long side.
    fn smallest_face(self) -> f64 {
        match self {
            Photo::Document => verity_reader::face::DOCUMENT_FACE_SHARE,
            Photo::Selfie => verity_reader::face::SELFIE_FACE_SHARE,
        }
    }
}

/// Faces are first looked for at this size: a search for faces half as large costs four times
/// more, and a document photographed as the hosted page asks (the card filling the frame) has a
/// portrait face of 15-20% of the long side.
const FIRST_LOOK: f64 = 0.12;

/// At most this many faces are described per image (the largest); the rest are only counted.
const MAX_DESCRIBED: usize = 4;

/// A face found and described.
#[derive(Clone, Serialize)]
pub struct FoundFace {
    /// The detector's box.
    pub detected: FaceBox,
    pub detector_score: f64,
    pub landmarks: Landmarks,
    /// Distance between the two eye centres, in image pixels: the face's real resolution.
    pub eye_distance: f64,
    /// Head turn: the nose's offset from the eyes' midpoint along the eye line, in eye distances
    /// (0 facing the camera; about +-0.15 or more turned; the sign says which way).
    pub yaw: f64,
    /// Variance of the Laplacian of the aligned chip's grey levels: low means blurred.
    pub sharpness: f64,
    pub descriptor: Descriptor,
    #[serde(skip)]
    pub chip: Chip,
}

/// What was found in one image.
#[derive(Clone, Serialize)]
pub struct FaceScan {
    /// Faces the detector found (all of them, described or not).
    pub detected: usize,
    /// The largest faces, described, largest first.
    pub faces: Vec<FoundFace>,
    pub timings: ScanTimings,
}

/// Where the time went, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ScanTimings {
    pub detect_ms: f64,
    pub landmarks_ms: f64,
    pub align_ms: f64,
    pub describe_ms: f64,
}

/// Finds, aligns and describes the faces of `image`. `None` if no detector is built in.
pub fn scan(image: &RgbImage, photo: Photo) -> Option<FaceScan> {
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    let mut timings = ScanTimings::default();
    let started = Instant::now();
    // One grey copy serves both the detector and the landmarks.
    let grey = Gray::new(image.width() as usize, image.height() as usize, intensities(image));
    let (width, height) = (image.width() as usize, image.height() as usize);
    let mut boxes = find_faces(&grey, photo)?;
    timings.detect_ms = ms(started);
    let view = Intensities {
        width,
        height,
        pixels: &grey.pixels,
    };
    boxes.sort_by_key(|b| std::cmp::Reverse(b.width as u64 * b.height as u64));
    let predictor = ShapePredictor::builtin();
    let net = FaceNet::builtin();
    let mut faces = Vec::new();
    for b in boxes.iter().take(MAX_DESCRIBED) {
        let detected = FaceBox {
            left: b.x as i64,
            top: b.y as i64,
            right: (b.x + b.width) as i64 - 1,
            bottom: (b.y + b.height) as i64 - 1,
        };
        let t = Instant::now();
        let first = predictor.predict(&view, detected);
        let landmarks = predictor.predict(&view, predictor.box_for(&first));
        timings.landmarks_ms += ms(t);
        let t = Instant::now();
        let chip = align(image, &landmarks);
        timings.align_ms += ms(t);
        let t = Instant::now();
        let descriptor = net.describe(&chip);
        timings.describe_ms += ms(t);
        let (eye_distance, yaw) = pose(&landmarks);
        faces.push(FoundFace {
            detected,
            detector_score: b.score,
            landmarks,
            eye_distance,
            yaw,
            sharpness: sharpness(&chip),
            descriptor,
            chip,
        });
    }
    Some(FaceScan {
        detected: boxes.len(),
        faces,
        timings,
    })
}

/// The detector's boxes at the resolution `photo` calls for. Small faces are looked for in the
/// whole image only when none was found at [`FIRST_LOOK`]; faces found there are found again at
/// the full resolution in a window around each, so that their boxes (which the landmarks start
/// from) are as precise as a search of the whole image would make them.
fn find_faces(grey: &Gray, photo: Photo) -> Option<Vec<verity_reader::face::Face>> {
    let fine = photo.smallest_face();
    let long = grey.width.max(grey.height) as f64;
    let pixels = |share: f64| (share * long).max(verity_reader::face::SMALLEST_FACE as f64);
    // In a small image both looks search the same sizes: one is enough.
    if pixels(FIRST_LOOK) < 1.5 * pixels(fine) {
        return verity_reader::face::detect_large(grey, fine);
    }
    let coarse = verity_reader::face::detect_large(grey, FIRST_LOOK)?;
    if coarse.is_empty() {
        return verity_reader::face::detect_large(grey, fine);
    }
    // Windows twice each face's size: when together they cover much of the image (a portrait
    // filling the frame), one search of the whole image costs less than a search per window.
    let windows: f64 = coarse
        .iter()
        .take(MAX_DESCRIBED)
        .map(|f| {
            let side = 2.0 * f.width.max(f.height) as f64;
            side.min(grey.width as f64) * side.min(grey.height as f64)
        })
        .sum();
    if windows > 0.4 * (grey.width * grey.height) as f64 {
        return verity_reader::face::detect_large(grey, fine);
    }
    let mut refined = Vec::with_capacity(coarse.len());
    for face in coarse.iter().take(MAX_DESCRIBED) {
        let side = face.width.max(face.height) as usize * 2;
        let (cx, cy) = (
            face.x as usize + face.width as usize / 2,
            face.y as usize + face.height as usize / 2,
        );
        let x0 = cx.saturating_sub(side / 2);
        let y0 = cy.saturating_sub(side / 2);
        let x1 = (x0 + side).min(grey.width);
        let y1 = (y0 + side).min(grey.height);
        let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            pixels.extend_from_slice(&grey.pixels[y * grey.width + x0..y * grey.width + x1]);
        }
        let window = Gray::new(x1 - x0, y1 - y0, pixels);
        // The same scale as a search of the whole image for faces of `fine` size.
        let fraction = fine * long / (x1 - x0).max(y1 - y0) as f64;
        let again = verity_reader::face::detect_large(&window, fraction).unwrap_or_default();
        let centre =
            |f: &verity_reader::face::Face| (f.x as f64 + f.width as f64 / 2.0, f.y as f64 + f.height as f64 / 2.0);
        let (wx, wy) = (cx as f64 - x0 as f64, cy as f64 - y0 as f64);
        let best = again.into_iter().min_by(|a, b| {
            let d = |f: &verity_reader::face::Face| {
                let (x, y) = centre(f);
                (x - wx).powi(2) + (y - wy).powi(2)
            };
            d(a).total_cmp(&d(b))
        });
        refined.push(match best {
            Some(mut f) => {
                f.x += x0 as u32;
                f.y += y0 as u32;
                f
            }
            None => face.clone(),
        });
    }
    // Faces beyond those described are only counted.
    refined.extend(coarse.into_iter().skip(MAX_DESCRIBED));
    Some(refined)
}

fn mid(a: Point, b: Point) -> Point {
    Point {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    }
}

/// Eye distance and yaw from the five landmarks (dlib's order: the eye on the image's right,
/// outer then inner corner; the eye on the image's left, outer then inner; the nose).
pub fn pose(l: &Landmarks) -> (f64, f64) {
    let (right, left) = (mid(l[0], l[1]), mid(l[2], l[3]));
    let eyes = mid(left, right);
    let (ex, ey) = (right.x - left.x, right.y - left.y);
    let distance = (ex * ex + ey * ey).sqrt();
    if distance == 0.0 {
        return (0.0, 0.0);
    }
    let along = ((l[4].x - eyes.x) * ex + (l[4].y - eyes.y) * ey) / distance;
    (distance, along / distance)
}

/// Variance of the 4-neighbour Laplacian over the aligned chip's central part (the face, not
/// the background the padding brings in): low means blurred. A small face's chip is enlarged and
/// so soft by construction: the rule reads this only for faces large enough to carry detail.
fn sharpness(chip: &Chip) -> f64 {
    let side = crate::network::CHIP_SIZE;
    let rgb = chip.rgb();
    let g = |x: usize, y: usize| {
        let p = &rgb[(y * side + x) * 3..][..3];
        (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0
    };
    let (from, to) = (side / 4, side * 3 / 4);
    let mut values = Vec::with_capacity((to - from) * (to - from));
    for y in from..to {
        for x in from..to {
            values.push(4.0 * g(x, y) - g(x - 1, y) - g(x + 1, y) - g(x, y - 1) - g(x, y + 1));
        }
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n
}
