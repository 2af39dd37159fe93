//! Face recognition for Verity in pure Rust, offline: dlib's 5-point landmark model, the aligned
//! 150-pixel face chip and dlib's ResNet face descriptor (Davis King; the models are public domain,
//! converted from PyPI's `face_recognition_models` by `tools/faces/convert.py`, provenance in
//! `assets/PROVENANCE.md`). Two chips of the same person give descriptors a short euclidean
//! distance apart (dlib: under 0.6 for 99.38% of LFW pairs).

mod align;
mod analyse;
mod geometry;
mod landmarks;
mod network;
mod weights;

use serde::Serialize;

pub use align::{Chip, PADDING, align};
pub use analyse::{FaceScan, FoundFace, Photo, ScanTimings, pose, scan};
pub use geometry::Point;
pub use landmarks::{FaceBox, Intensities, Landmarks, ShapePredictor, intensities};
pub use network::{CHIP_SIZE, FaceNet, Map};
pub use weights::WeightsError;

/// A face's 128-dimensional descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Descriptor(#[serde(with = "descriptor_values")] pub [f32; 128]);

impl Descriptor {
    /// Euclidean distance between two descriptors.
    pub fn distance(&self, other: &Descriptor) -> f32 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f32>()
            .sqrt()
    }
}

mod descriptor_values {
    pub fn serialize<S: serde::Serializer>(v: &[f32; 128], s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&v[..], s)
    }
}
