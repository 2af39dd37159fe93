//! The built-in face match's rule: from what the matcher measured of the document portrait and
//! the selfie, `pass`, `fail` or `inconclusive` with its reason. Pure, so that the engine and
//! `verity compare-faces` decide exactly alike. The thresholds are calibrated by
//! `bench/faces` (see docs/engine.md for the figures they leave).

use serde::{Deserialize, Serialize};

/// What the matcher measured of one face.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaceMeasure {
    /// Distance between the eye centres, in image pixels.
    pub eye_distance: f64,
    /// Variance of the Laplacian of the aligned chip (low: blurred).
    pub sharpness: f64,
    /// Head turn in eye distances (0 facing the camera).
    pub yaw: f64,
}

/// The faces of the document's front and of the selfie, largest first, and the distance between
/// the two largest descriptors when both exist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaceComparison {
    pub matcher: String,
    pub document: Vec<FaceMeasure>,
    pub selfie: Vec<FaceMeasure>,
    pub distance: Option<f32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MatchThresholds {
    /// Same person below this descriptor distance.
    pub pass_below: f32,
    /// Different people above this one; between the two a human decides.
    pub fail_above: f32,
    /// Faces with fewer pixels between the eyes carry too little detail to compare.
    pub min_eye_distance: f64,
    /// A face smaller than this may still match (a short distance stays meaningful), but a long
    /// distance is not enough to call two people different: degradation lengthens it too.
    pub min_eye_distance_to_fail: f64,
    /// Chips of faces at least `min_eye_distance_to_fail` large and blurrier than this are too
    /// degraded to compare.
    pub min_sharpness: f64,
    /// A selfie turned further than this is not compared (the descriptor drifts with the pose).
    pub max_selfie_yaw: f64,
    /// A second face at least this fraction of the largest one's size counts as another person
    /// in the picture (ID cards' small ghost portraits stay under it).
    pub second_face_ratio: f64,
}

/// The built-in matcher (dlib's ResNet on 5-point aligned chips) and its calibrated thresholds.
pub const BUILT_IN_MATCHER: &str = "verity-dlib-resnet-v1";
pub const BUILT_IN_THRESHOLDS: MatchThresholds = MatchThresholds {
    pass_below: 0.50,
    fail_above: 0.60,
    min_eye_distance: 14.0,
    min_eye_distance_to_fail: 24.0,
    min_sharpness: 8.0,
    max_selfie_yaw: 0.25,
    second_face_ratio: 0.6,
};

/// Why a comparison could not conclude.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unsure {
    NoFaceOnDocument,
    NoFaceInSelfie,
    SeveralFacesOnDocument,
    SeveralFacesInSelfie,
    DocumentFaceTooSmall,
    SelfieFaceTooSmall,
    DocumentFaceBlurred,
    SelfieFaceBlurred,
    SelfieTurned,
    /// Far apart, but the document's face is too small to call them different people.
    DocumentFaceSmall,
    SelfieFaceSmall,
    BetweenThresholds,
}

impl Unsure {
    pub fn code(self) -> &'static str {
        match self {
            Unsure::NoFaceOnDocument => "no_face_on_document",
            Unsure::NoFaceInSelfie => "no_face_in_selfie",
            Unsure::SeveralFacesOnDocument => "several_faces_on_document",
            Unsure::SeveralFacesInSelfie => "several_faces_in_selfie",
            Unsure::DocumentFaceTooSmall => "document_face_too_small",
            Unsure::SelfieFaceTooSmall => "selfie_face_too_small",
            Unsure::DocumentFaceBlurred => "document_face_blurred",
            Unsure::SelfieFaceBlurred => "selfie_face_blurred",
            Unsure::SelfieTurned => "selfie_turned",
            Unsure::DocumentFaceSmall => "document_face_small_for_a_mismatch",
            Unsure::SelfieFaceSmall => "selfie_face_small_for_a_mismatch",
            Unsure::BetweenThresholds => "distance_between_thresholds",
        }
    }

    /// In plain words, for reviewers and operators.
    pub fn explain(self) -> &'static str {
        match self {
            Unsure::NoFaceOnDocument => "no face was found on the document",
            Unsure::NoFaceInSelfie => "no face was found in the selfie",
            Unsure::SeveralFacesOnDocument => "the document shows more than one face of similar size",
            Unsure::SeveralFacesInSelfie => "the selfie shows more than one person",
            Unsure::DocumentFaceTooSmall => "the document's portrait is too small to compare",
            Unsure::SelfieFaceTooSmall => "the face in the selfie is too small to compare",
            Unsure::DocumentFaceBlurred => "the document's portrait is too blurred to compare",
            Unsure::SelfieFaceBlurred => "the selfie is too blurred to compare",
            Unsure::SelfieTurned => "the face in the selfie is turned too far from the camera",
            Unsure::DocumentFaceSmall => {
                "the faces look different, but the document's portrait is too small to be sure they are different people"
            }
            Unsure::SelfieFaceSmall => {
                "the faces look different, but the selfie's face is too small to be sure they are different people"
            }
            Unsure::BetweenThresholds => "the faces are neither clearly the same person nor clearly different",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum MatchVerdict {
    Pass,
    Fail,
    Inconclusive(Unsure),
}

/// The faces that count as people in the picture: the largest and any of comparable size.
fn people(faces: &[FaceMeasure], ratio: f64) -> usize {
    let largest = faces.iter().map(|f| f.eye_distance).fold(0.0, f64::max);
    faces.iter().filter(|f| f.eye_distance >= ratio * largest).count()
}

/// The rule. Whether a face can be compared is judged before the distance: a distance between
/// unusable faces means nothing, in either direction.
pub fn judge(c: &FaceComparison, t: &MatchThresholds) -> MatchVerdict {
    use MatchVerdict::Inconclusive as Unsure_;
    let (Some(document), Some(selfie)) = (c.document.first(), c.selfie.first()) else {
        return Unsure_(if c.document.is_empty() {
            Unsure::NoFaceOnDocument
        } else {
            Unsure::NoFaceInSelfie
        });
    };
    if people(&c.selfie, t.second_face_ratio) > 1 {
        return Unsure_(Unsure::SeveralFacesInSelfie);
    }
    if people(&c.document, t.second_face_ratio) > 1 {
        return Unsure_(Unsure::SeveralFacesOnDocument);
    }
    if document.eye_distance < t.min_eye_distance {
        return Unsure_(Unsure::DocumentFaceTooSmall);
    }
    if selfie.eye_distance < t.min_eye_distance {
        return Unsure_(Unsure::SelfieFaceTooSmall);
    }
    let large = |f: &FaceMeasure| f.eye_distance >= t.min_eye_distance_to_fail;
    if large(document) && document.sharpness < t.min_sharpness {
        return Unsure_(Unsure::DocumentFaceBlurred);
    }
    if large(selfie) && selfie.sharpness < t.min_sharpness {
        return Unsure_(Unsure::SelfieFaceBlurred);
    }
    if selfie.yaw.abs() > t.max_selfie_yaw {
        return Unsure_(Unsure::SelfieTurned);
    }
    match c.distance {
        Some(d) if d < t.pass_below => MatchVerdict::Pass,
        Some(d) if d > t.fail_above && large(document) && large(selfie) => MatchVerdict::Fail,
        Some(d) if d > t.fail_above => Unsure_(if large(document) {
            Unsure::SelfieFaceSmall
        } else {
            Unsure::DocumentFaceSmall
        }),
        _ => Unsure_(Unsure::BetweenThresholds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(eye_distance: f64) -> FaceMeasure {
        FaceMeasure {
            eye_distance,
            sharpness: 100.0,
            yaw: 0.0,
        }
    }

    fn comparison(distance: f32) -> FaceComparison {
        FaceComparison {
            matcher: BUILT_IN_MATCHER.into(),
            document: vec![face(40.0)],
            selfie: vec![face(80.0)],
            distance: Some(distance),
        }
    }

    #[test]
    fn distance_decides_between_usable_faces() {
        let t = BUILT_IN_THRESHOLDS;
        assert_eq!(judge(&comparison(t.pass_below - 0.01), &t), MatchVerdict::Pass);
        assert_eq!(judge(&comparison(t.fail_above + 0.01), &t), MatchVerdict::Fail);
        let between = (t.pass_below + t.fail_above) / 2.0;
        assert_eq!(
            judge(&comparison(between), &t),
            MatchVerdict::Inconclusive(Unsure::BetweenThresholds)
        );
    }

    #[test]
    fn unusable_faces_are_inconclusive_whatever_the_distance() {
        let t = BUILT_IN_THRESHOLDS;
        let mut c = comparison(0.1);
        c.selfie.push(face(70.0));
        assert_eq!(judge(&c, &t), MatchVerdict::Inconclusive(Unsure::SeveralFacesInSelfie));
        let mut c = comparison(0.9);
        c.document[0].eye_distance = t.min_eye_distance - 1.0;
        assert_eq!(judge(&c, &t), MatchVerdict::Inconclusive(Unsure::DocumentFaceTooSmall));
        let mut c = comparison(0.1);
        c.selfie[0].sharpness = t.min_sharpness / 2.0;
        assert_eq!(judge(&c, &t), MatchVerdict::Inconclusive(Unsure::SelfieFaceBlurred));
        let mut c = comparison(0.1);
        c.selfie[0].yaw = -(t.max_selfie_yaw + 0.1);
        assert_eq!(judge(&c, &t), MatchVerdict::Inconclusive(Unsure::SelfieTurned));
        let mut c = comparison(0.1);
        c.document.clear();
        assert_eq!(judge(&c, &t), MatchVerdict::Inconclusive(Unsure::NoFaceOnDocument));
    }

    #[test]
    fn a_small_face_can_match_but_not_fail() {
        let t = BUILT_IN_THRESHOLDS;
        let mut c = comparison(t.pass_below - 0.05);
        c.document[0].eye_distance = t.min_eye_distance_to_fail - 1.0;
        c.document[0].sharpness = 0.0;
        assert_eq!(judge(&c, &t), MatchVerdict::Pass);
        c.distance = Some(t.fail_above + 0.2);
        assert_eq!(judge(&c, &t), MatchVerdict::Inconclusive(Unsure::DocumentFaceSmall));
    }

    #[test]
    fn a_small_ghost_portrait_is_not_a_second_person() {
        let t = BUILT_IN_THRESHOLDS;
        let mut c = comparison(0.3);
        c.document.push(face(40.0 * (t.second_face_ratio - 0.2)));
        assert_eq!(judge(&c, &t), MatchVerdict::Pass);
    }
}
