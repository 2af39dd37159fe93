//! The built-in active liveness check's rule. The hosted selfie step issues a challenge (turn
//! left, turn right, come closer, in a random order, within two minutes); the page captures a
//! frame facing the camera, then one after each instruction. The matcher measures each frame and
//! this rule judges them: one face per frame, facing first, the head turned as asked (yaw, from
//! the five landmarks), the face larger on "closer", the same person throughout, frames that are
//! not copies of each other, and a plausible timing.
//!
//! This defeats a printed photo or a still image held up to the camera: neither turns. It does
//! not defeat a replayed video of the person following the same instructions, or a mask: that
//! takes certified presentation-attack detection (the `liveness` provider).

use serde::{Deserialize, Serialize};

/// What the person is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Turn the head to the person's own left: the nose moves towards the image's right (the
    /// camera's frames are not mirrored), so the yaw grows.
    TurnLeft,
    /// The other way: the yaw falls.
    TurnRight,
    /// Bring the face closer: it grows in the frame.
    Closer,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::TurnLeft => "turn_left",
            Action::TurnRight => "turn_right",
            Action::Closer => "closer",
        }
    }
}

/// How long a challenge stays valid.
pub const CHALLENGE_TTL_MS: i64 = 120_000;

/// A challenge issued to one hosted session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub id: String,
    pub actions: Vec<Action>,
    pub issued_at_ms: i64,
}

impl Challenge {
    /// The three actions, in the order `order` picks among the six (callers draw it at random).
    pub fn new(id: String, order: u8, issued_at_ms: i64) -> Challenge {
        use Action::*;
        const ORDERS: [[Action; 3]; 6] = [
            [TurnLeft, TurnRight, Closer],
            [TurnLeft, Closer, TurnRight],
            [TurnRight, TurnLeft, Closer],
            [TurnRight, Closer, TurnLeft],
            [Closer, TurnLeft, TurnRight],
            [Closer, TurnRight, TurnLeft],
        ];
        Challenge {
            id,
            actions: ORDERS[order as usize % ORDERS.len()].to_vec(),
            issued_at_ms,
        }
    }

    pub fn expires_at_ms(&self) -> i64 {
        self.issued_at_ms + CHALLENGE_TTL_MS
    }
}

/// What the matcher measured of one frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameMeasure {
    /// Faces found in the frame.
    pub faces: usize,
    /// Head turn of the largest face, in eye distances (see `Action`).
    pub yaw: f64,
    /// Pixels between its eyes.
    pub eye_distance: f64,
    /// Descriptor distance to the first frame's face (0 for the first frame).
    pub distance_to_first: Option<f32>,
    /// Mean absolute difference of grey levels from the previous frame, on small thumbnails
    /// (0 to 255; a camera's own noise alone gives a little).
    pub change_from_previous: f64,
    /// When the page captured it (the browser's clock).
    pub captured_ms: i64,
}

/// A liveness attempt as the engine sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LivenessAttempt {
    pub challenge: Challenge,
    /// The facing frame, then one per action.
    pub frames: Vec<FrameMeasure>,
    /// When the server received the frames (its clock).
    pub received_at_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LivenessThresholds {
    /// The first frame faces the camera: |yaw| at most this.
    pub max_facing_yaw: f64,
    /// A turn moves the yaw by at least this from the first frame, the right way.
    pub min_turn: f64,
    /// "Closer" grows the eye distance by at least this factor.
    pub min_closer: f64,
    /// Every frame's face is the first frame's person: descriptor distance under this (looser
    /// than the face match's, as a turned face describes less well).
    pub max_distance_to_first: f32,
    /// Consecutive frames differ by at least this much (grey levels).
    pub min_change: f64,
    /// At least this long between consecutive frames, and per action in all.
    pub min_interval_ms: i64,
}

pub const LIVENESS_THRESHOLDS: LivenessThresholds = LivenessThresholds {
    max_facing_yaw: 0.15,
    min_turn: 0.12,
    min_closer: 1.15,
    max_distance_to_first: 0.6,
    min_change: 1.0,
    min_interval_ms: 300,
};

/// Why an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LivenessFailure {
    /// Not one frame per action plus the facing one.
    WrongFrameCount,
    /// A frame without exactly one face.
    FaceCount,
    NotFacingFirst,
    DidNotTurnLeft,
    DidNotTurnRight,
    DidNotComeCloser,
    /// A frame shows someone else than the first.
    PersonChanged,
    /// Two consecutive frames are copies of each other.
    StillImage,
    /// Captured out of order, too fast to be a person, or after the challenge expired.
    ImplausibleTiming,
}

impl LivenessFailure {
    pub fn explain(self) -> &'static str {
        match self {
            LivenessFailure::WrongFrameCount => "the frames do not answer the challenge",
            LivenessFailure::FaceCount => "a frame does not show exactly one face",
            LivenessFailure::NotFacingFirst => "the first frame does not face the camera",
            LivenessFailure::DidNotTurnLeft => "the head did not turn left when asked",
            LivenessFailure::DidNotTurnRight => "the head did not turn right when asked",
            LivenessFailure::DidNotComeCloser => "the face did not come closer when asked",
            LivenessFailure::PersonChanged => "the frames do not all show the same person",
            LivenessFailure::StillImage => "consecutive frames are identical, as a still image gives",
            LivenessFailure::ImplausibleTiming => {
                "the frames were captured out of order, too fast, or after the challenge expired"
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum LivenessVerdict {
    Pass,
    Fail(LivenessFailure),
}

/// The rule.
pub fn judge_liveness(a: &LivenessAttempt, t: &LivenessThresholds) -> LivenessVerdict {
    use LivenessFailure::*;
    let fail = LivenessVerdict::Fail;
    let frames = &a.frames;
    if frames.len() != a.challenge.actions.len() + 1 {
        return fail(WrongFrameCount);
    }
    // Timing: in order, spaced as a person moves, inside the challenge's life on both clocks.
    let ordered = frames
        .windows(2)
        .all(|w| w[1].captured_ms - w[0].captured_ms >= t.min_interval_ms);
    let quick = a.received_at_ms - a.challenge.issued_at_ms < t.min_interval_ms * a.challenge.actions.len() as i64;
    let late = a.received_at_ms > a.challenge.expires_at_ms()
        || frames
            .last()
            .is_some_and(|f| f.captured_ms - frames[0].captured_ms > CHALLENGE_TTL_MS);
    if !ordered || quick || late {
        return fail(ImplausibleTiming);
    }
    if frames.iter().any(|f| f.faces != 1) {
        return fail(FaceCount);
    }
    let first = &frames[0];
    if first.yaw.abs() > t.max_facing_yaw {
        return fail(NotFacingFirst);
    }
    if frames.iter().skip(1).any(|f| f.change_from_previous < t.min_change) {
        return fail(StillImage);
    }
    if frames
        .iter()
        .skip(1)
        .any(|f| f.distance_to_first.is_none_or(|d| d > t.max_distance_to_first))
    {
        return fail(PersonChanged);
    }
    for (action, frame) in a.challenge.actions.iter().zip(&frames[1..]) {
        let turn = frame.yaw - first.yaw;
        let ok = match action {
            Action::TurnLeft => turn >= t.min_turn,
            Action::TurnRight => turn <= -t.min_turn,
            Action::Closer => frame.eye_distance >= t.min_closer * first.eye_distance,
        };
        if !ok {
            return fail(match action {
                Action::TurnLeft => DidNotTurnLeft,
                Action::TurnRight => DidNotTurnRight,
                Action::Closer => DidNotComeCloser,
            });
        }
    }
    LivenessVerdict::Pass
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(yaw: f64, eye: f64, at: i64) -> FrameMeasure {
        FrameMeasure {
            faces: 1,
            yaw,
            eye_distance: eye,
            distance_to_first: Some(0.3),
            change_from_previous: 12.0,
            captured_ms: at,
        }
    }

    /// A person following "turn left, turn right, closer".
    fn followed() -> LivenessAttempt {
        LivenessAttempt {
            challenge: Challenge::new("c".into(), 0, 1_000),
            frames: vec![
                frame(0.02, 60.0, 2_000),
                frame(0.25, 58.0, 4_000),
                frame(-0.22, 59.0, 6_000),
                frame(0.03, 80.0, 8_000),
            ],
            received_at_ms: 9_000,
        }
    }

    #[test]
    fn a_person_following_the_challenge_passes() {
        assert_eq!(judge_liveness(&followed(), &LIVENESS_THRESHOLDS), LivenessVerdict::Pass);
    }

    #[test]
    fn a_still_photo_held_up_fails() {
        // A print held in front of the camera: the same face, no turn, no growth, frames alike.
        let mut a = followed();
        for (i, f) in a.frames.iter_mut().enumerate() {
            *f = frame(0.01, 60.0, 2_000 + 2_000 * i as i64);
            f.change_from_previous = 0.4;
        }
        assert_eq!(
            judge_liveness(&a, &LIVENESS_THRESHOLDS),
            LivenessVerdict::Fail(LivenessFailure::StillImage)
        );
        // Even shaken enough to change the pixels, it does not turn.
        for f in &mut a.frames {
            f.change_from_previous = 6.0;
        }
        assert_eq!(
            judge_liveness(&a, &LIVENESS_THRESHOLDS),
            LivenessVerdict::Fail(LivenessFailure::DidNotTurnLeft)
        );
    }

    #[test]
    fn each_instruction_is_checked_in_its_order() {
        let t = LIVENESS_THRESHOLDS;
        let mut a = followed();
        a.frames[2].yaw = 0.1; // turned left again instead of right
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::DidNotTurnRight)
        );
        let mut a = followed();
        a.frames[3].eye_distance = 62.0;
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::DidNotComeCloser)
        );
        let mut a = followed();
        a.frames[0].yaw = 0.3;
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::NotFacingFirst)
        );
    }

    #[test]
    fn another_person_or_a_second_face_fails() {
        let t = LIVENESS_THRESHOLDS;
        let mut a = followed();
        a.frames[2].distance_to_first = Some(0.8);
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::PersonChanged)
        );
        let mut a = followed();
        a.frames[1].faces = 2;
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::FaceCount)
        );
    }

    #[test]
    fn timing_must_be_a_persons() {
        let t = LIVENESS_THRESHOLDS;
        let mut a = followed();
        a.frames[2].captured_ms = a.frames[1].captured_ms + 50;
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::ImplausibleTiming)
        );
        let mut a = followed();
        a.received_at_ms = a.challenge.expires_at_ms() + 1;
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::ImplausibleTiming)
        );
        let mut a = followed();
        a.received_at_ms = a.challenge.issued_at_ms + 200;
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::ImplausibleTiming)
        );
        let mut a = followed();
        a.frames.pop();
        assert_eq!(
            judge_liveness(&a, &t),
            LivenessVerdict::Fail(LivenessFailure::WrongFrameCount)
        );
    }
}
