//! Faces and providers: faces present, provider verdicts (authenticity, liveness) and the face match.

use serde_json::json;

use super::biometrics::{BUILT_IN_THRESHOLDS, MatchVerdict, judge};
use super::inputs::{FaceMatch, Inputs, Liveness, ProviderOutcome};
use super::outcome::{Evidence, Outcome, Verdict, ev};

/// Faces: one or more on the document, exactly one in the selfie. `Err` is the refusal reason.
pub(super) fn faces_present(inputs: &Inputs, evidence: &mut Vec<Evidence>) -> Result<(), &'static str> {
    let document_faces: Option<usize> = inputs
        .pages
        .iter()
        .map(|p| p.faces)
        .try_fold(0, |acc, f| f.map(|n| acc + n));
    match document_faces {
        None => evidence.push(ev(
            "document_face_present",
            Verdict::NotChecked,
            json!({"reason": "no face detector built in"}),
        )),
        Some(0) => {
            evidence.push(ev("document_face_present", Verdict::Fail, json!({"faces": 0})));
            return Err("DOCUMENT_UNREADABLE");
        }
        Some(n) => evidence.push(ev("document_face_present", Verdict::Pass, json!({"faces": n}))),
    }
    match inputs.selfie_faces {
        None => evidence.push(ev(
            "selfie_face_present",
            Verdict::NotChecked,
            json!({"reason": "no face detector built in"}),
        )),
        Some(1) => evidence.push(ev("selfie_face_present", Verdict::Pass, json!({"faces": 1}))),
        // The built-in matcher judges the selfie's faces itself: none, or a second person, leaves
        // the face match inconclusive (a human can tell), rather than refusing here.
        Some(n) if matches!(inputs.face_match, FaceMatch::BuiltIn(_)) => evidence.push(ev(
            "selfie_face_present",
            Verdict::Info,
            json!({"faces": n, "expected": 1, "judged_by": "face_match"}),
        )),
        Some(n) => {
            evidence.push(ev(
                "selfie_face_present",
                Verdict::Fail,
                json!({"faces": n, "expected": 1}),
            ));
            return Err("FACE_MATCH_FAIL");
        }
    }
    Ok(())
}

/// The other configured providers' verdicts: a failure refuses, an unsure or unreachable provider
/// leaves the check inconclusive.
pub(super) fn provider_verdicts(inputs: &Inputs, evidence: &mut Vec<Evidence>) -> Result<Outcome, &'static str> {
    let mut outcome = Outcome::Passed;
    for verdict in &inputs.providers {
        let rule = if verdict.check == "liveness" {
            "liveness"
        } else {
            "document_authenticity"
        };
        let detail = json!({"provider": verdict.provider, "score": verdict.score, "message": verdict.message});
        match verdict.outcome {
            ProviderOutcome::Pass => evidence.push(ev(rule, Verdict::Pass, detail)),
            ProviderOutcome::Fail => {
                evidence.push(ev(rule, Verdict::Fail, detail));
                let reason = if rule == "liveness" {
                    "FACE_MATCH_FAIL"
                } else {
                    "DOCUMENT_FALSIFIED"
                };
                return Err(reason);
            }
            ProviderOutcome::Inconclusive | ProviderOutcome::Unavailable => {
                evidence.push(ev(rule, Verdict::Inconclusive, detail));
                outcome = Outcome::Inconclusive;
            }
        }
    }
    Ok(outcome)
}

/// The face match between the selfie and the document portrait.
pub(super) fn face_match(inputs: &Inputs, evidence: &mut Vec<Evidence>) -> Result<Outcome, &'static str> {
    let mut outcome = Outcome::Passed;
    match &inputs.face_match {
        FaceMatch::BuiltIn(comparison) => {
            let t = BUILT_IN_THRESHOLDS;
            let verdict = judge(comparison, &t);
            let mut detail = json!({
                "matcher": comparison.matcher,
                "distance": comparison.distance,
                "pass_below": t.pass_below,
                "fail_above": t.fail_above,
                "document_faces": comparison.document,
                "selfie_faces": comparison.selfie,
            });
            match verdict {
                MatchVerdict::Pass => evidence.push(ev("face_match", Verdict::Pass, detail)),
                MatchVerdict::Fail => {
                    evidence.push(ev("face_match", Verdict::Fail, detail));
                    return Err("FACE_MATCH_FAIL");
                }
                MatchVerdict::Inconclusive(why) => {
                    detail["reason"] = json!(why.code());
                    detail["explanation"] = json!(why.explain());
                    evidence.push(ev("face_match", Verdict::Inconclusive, detail));
                    outcome = Outcome::Inconclusive;
                }
            }
        }
        FaceMatch::Matched { provider, score } => evidence.push(ev(
            "face_match",
            Verdict::Pass,
            json!({"provider": provider, "score": score}),
        )),
        FaceMatch::Mismatch { provider, score } => {
            evidence.push(ev(
                "face_match",
                Verdict::Fail,
                json!({"provider": provider, "score": score}),
            ));
            return Err("FACE_MATCH_FAIL");
        }
        // Never pretend a match was checked: a human compares the faces.
        FaceMatch::NotConfigured => {
            evidence.push(ev(
                "face_match",
                Verdict::NotChecked,
                json!({"reason": "no face matcher is built in and no face-match provider is configured"}),
            ));
            outcome = Outcome::Inconclusive;
        }
        FaceMatch::Unavailable { provider, message } => {
            evidence.push(ev(
                "face_match",
                Verdict::Inconclusive,
                json!({"provider": provider, "error": message}),
            ));
            outcome = Outcome::Inconclusive;
        }
    }
    Ok(outcome)
}

/// The built-in active liveness check.
pub(super) fn active_liveness(inputs: &Inputs, evidence: &mut Vec<Evidence>) -> Result<Outcome, &'static str> {
    use super::liveness::{LIVENESS_THRESHOLDS, LivenessVerdict, judge_liveness};
    let required = inputs.policy.liveness_required;
    match &inputs.liveness {
        Liveness::Attempted(attempt) => {
            let verdict = judge_liveness(attempt, &LIVENESS_THRESHOLDS);
            let mut detail = json!({
                "challenge": attempt.challenge.actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                "frames": attempt.frames,
                "thresholds": LIVENESS_THRESHOLDS,
                "establishes": "a person who turned and came closer as asked; not proof against a replayed video or a mask",
            });
            match verdict {
                LivenessVerdict::Pass => evidence.push(ev("active_liveness", Verdict::Pass, detail)),
                LivenessVerdict::Fail(why) => {
                    detail["reason"] = json!(why);
                    detail["explanation"] = json!(why.explain());
                    evidence.push(ev("active_liveness", Verdict::Fail, detail));
                    return Err("FACE_MATCH_FAIL");
                }
            }
            Ok(Outcome::Passed)
        }
        Liveness::NotAttempted | Liveness::NotBuiltIn => {
            let reason = if matches!(inputs.liveness, Liveness::NotBuiltIn) {
                "no liveness check is built in"
            } else {
                "the selfie was sent without the camera's liveness challenge"
            };
            if required {
                // The client asks for liveness: a human decides (or the session is refused).
                evidence.push(ev(
                    "active_liveness",
                    Verdict::NotChecked,
                    json!({"reason": reason, "required": true}),
                ));
                Ok(Outcome::Inconclusive)
            } else {
                evidence.push(ev(
                    "active_liveness",
                    Verdict::Info,
                    json!({"reason": reason, "required": false}),
                ));
                Ok(Outcome::Passed)
            }
        }
    }
}
