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
    /// A document's portrait is about a fifth of the card's width: 6% of the photo's long side
    /// is a card filling under a third of the frame, whose portrait is too small to compare.
    Document,
    /// A selfie's face spans a third of the frame or more; 12% leaves room for a step back.
    Selfie,
}

impl Photo {
    /// The smallest faces looked for, in order: a search for small faces costs four times one
    /// for faces twice their size, and a document photographed as the hosted page asks (the
    /// card filling the frame) has a portrait face of 15-20% of the long side, so documents are
    /// searched for large faces first and for small ones only when none was found.
    fn smallest_faces(self) -> &'static [f64] {
        match self {
            Photo::Document => &[0.12, 0.06],
            Photo::Selfie => &[0.12],
        }
    }
}

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
    let mut boxes = Vec::new();
    for &smallest in photo.smallest_faces() {
        boxes = verity_reader::face::detect_large(&grey, smallest)?;
        if !boxes.is_empty() {
            break;
        }
    }
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
