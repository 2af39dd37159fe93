//! The built-in face matcher, when this build has it (the `biometrics` feature): scans an image
//! for faces and turns two scans into the domain's [`FaceComparison`], which the domain judges.

use verity_domain::engine::biometrics::{BUILT_IN_MATCHER, FaceComparison, FaceMeasure};

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
            landmarks: found
                .faces
                .iter()
                .map(|f| f.landmarks.map(|p| [p.x, p.y]))
                .collect(),
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

/// The comparison of the document's largest face with the selfie's.
pub fn compare(document: &ScannedFaces, selfie: &ScannedFaces) -> FaceComparison {
    let distance = match (document.descriptors.first(), selfie.descriptors.first()) {
        (Some(a), Some(b)) => Some(
            (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt() * 10_000.0).round() / 10_000.0,
        ),
        _ => None,
    };
    FaceComparison {
        matcher: BUILT_IN_MATCHER.to_owned(),
        document: document.measures.clone(),
        selfie: selfie.measures.clone(),
        distance,
    }
}
