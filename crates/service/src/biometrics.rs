//! The built-in face matcher, when this build has it (the `biometrics` feature): scans an image
//! for faces and turns two scans into the domain's [`FaceComparison`], which the domain judges.

use verity_domain::engine::biometrics::{BUILT_IN_MATCHER, FaceComparison, FaceMeasure};
use verity_domain::engine::liveness::FrameMeasure;

/// Whether the built-in face matcher is compiled in.
pub const BUILT_IN: bool = cfg!(feature = "biometrics");

/// The faces found in one image: how many the detector saw, and the largest ones measured and
/// described (largest first).
#[derive(Clone, Debug)]
pub struct ScannedFaces {
    pub detected: usize,
    pub measures: Vec<FaceMeasure>,
    /// Each measured face's box (left, top, right, bottom; inclusive) and its five landmarks.
    pub boxes: Vec<[i64; 4]>,
    pub landmarks: Vec<[[f64; 2]; 5]>,
    /// The largest face's aligned chip, as PNG: what the descriptor saw, for reviewers.
    pub chip_png: Option<Vec<u8>>,
    descriptors: Vec<[f32; 128]>,
}

/// Which side of the comparison an image is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Document,
    Selfie,
}

/// Scans `image`; `None` when no matcher is built in.
pub fn scan(image: &image::DynamicImage, side: Side) -> Option<ScannedFaces> {
    #[cfg(feature = "biometrics")]
    {
        let photo = match side {
            Side::Document => verity_faces::Photo::Document,
            Side::Selfie => verity_faces::Photo::Selfie,
        };
        let found = verity_faces::scan(&image.to_rgb8(), photo)?;
        Some(ScannedFaces {
            detected: found.detected,
            measures: found
                .faces
                .iter()
                .map(|f| FaceMeasure {
                    eye_distance: round(f.eye_distance, 1),
                    sharpness: round(f.sharpness, 1),
                    yaw: round(f.yaw, 3),
                })
                .collect(),
            boxes: found
                .faces
                .iter()
                .map(|f| [f.detected.left, f.detected.top, f.detected.right, f.detected.bottom])
                .collect(),
            landmarks: found.faces.iter().map(|f| f.landmarks.map(|p| [p.x, p.y])).collect(),
            chip_png: found.faces.first().and_then(|f| {
                let mut png = Vec::new();
                f.chip
                    .to_image()
                    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                    .ok()
                    .map(|()| png)
            }),
            descriptors: found.faces.iter().map(|f| f.descriptor.0).collect(),
        })
    }
    #[cfg(not(feature = "biometrics"))]
    {
        let _ = (image, side);
        None
    }
}

#[cfg_attr(not(feature = "biometrics"), allow(dead_code))]
fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

impl ScannedFaces {
    /// Descriptor distance between the largest faces of two scans.
    pub fn distance_to(&self, other: &ScannedFaces) -> Option<f32> {
        match (self.descriptors.first(), other.descriptors.first()) {
            (Some(a), Some(b)) => Some(
                (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt() * 10_000.0).round() / 10_000.0,
            ),
            _ => None,
        }
    }
}

/// A 32x32 grey thumbnail, to tell consecutive frames apart from copies of each other.
fn thumbnail(image: &image::DynamicImage) -> Vec<u8> {
    image
        .resize_exact(32, 32, image::imageops::FilterType::Triangle)
        .to_luma8()
        .into_raw()
}

/// Measures the frames of a liveness attempt (`None` when no matcher is built in): faces,
/// turn and size of the largest, its distance to the first frame's face, and how much each frame
/// differs from the one before.
pub fn measure_frames(frames: &[(image::DynamicImage, i64)]) -> Option<Vec<FrameMeasure>> {
    let scans = frames
        .iter()
        .map(|(image, _)| scan(image, Side::Selfie))
        .collect::<Option<Vec<_>>>()?;
    let thumbs: Vec<Vec<u8>> = frames.iter().map(|(image, _)| thumbnail(image)).collect();
    Some(
        scans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let change = if i == 0 {
                    0.0
                } else {
                    thumbs[i]
                        .iter()
                        .zip(&thumbs[i - 1])
                        .map(|(a, b)| (*a as f64 - *b as f64).abs())
                        .sum::<f64>()
                        / thumbs[i].len().max(1) as f64
                };
                FrameMeasure {
                    faces: s.detected,
                    yaw: s.measures.first().map_or(0.0, |m| m.yaw),
                    eye_distance: s.measures.first().map_or(0.0, |m| m.eye_distance),
                    distance_to_first: if i == 0 { Some(0.0) } else { s.distance_to(&scans[0]) },
                    change_from_previous: (change * 100.0).round() / 100.0,
                    captured_ms: frames[i].1,
                }
            })
            .collect(),
    )
}

/// The comparison of the document's largest face with the selfie's.
pub fn compare(document: &ScannedFaces, selfie: &ScannedFaces) -> FaceComparison {
    let distance = document.distance_to(selfie);
    FaceComparison {
        matcher: BUILT_IN_MATCHER.to_owned(),
        document: document.measures.clone(),
        selfie: selfie.measures.clone(),
        distance,
    }
}
