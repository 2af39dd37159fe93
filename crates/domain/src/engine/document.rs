//! The identity document itself: declared type, machine-readable zone, check digits, expiry.

use serde_json::json;

use super::identity::IdentityFacts;
use super::inputs::Inputs;
use super::outcome::{Evidence, Verdict, ev};
use crate::UnixTime;
use crate::hosted::{DocumentType, card_state_accepted, format_date, parse_date};

/// ICAO's fictional state, used on specimens: never a real person's document.
const SPECIMEN_STATE: &str = "UTO";

/// `YYMMDD` to a date, choosing the century: birth dates are in the past, expiry dates near.
pub(crate) fn mrz_date(yymmdd: &str, birth: bool, now: UnixTime) -> Option<i64> {
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i64 = yymmdd[0..2].parse().ok()?;
    let this_year: i64 = format_date(now)[0..4].parse().ok()?;
    let century = if birth {
        if 2000 + yy > this_year { 1900 } else { 2000 }
    } else if yy >= 70 {
        1900
    } else {
        2000
    };
    parse_date(&format!("{}-{}-{}", century + yy, &yymmdd[2..4], &yymmdd[4..6]))
}

/// The document stage of the identity check: the declared type, the best-read zone, the accepted
/// types, check digits, field consistency, both sides and expiry. `Err` is the refusal reason.
pub(super) fn read_document(inputs: &Inputs, evidence: &mut Vec<Evidence>) -> Result<IdentityFacts, &'static str> {
    let declared = inputs.progress.document.as_ref();
    if let Some(choice) = declared {
        evidence.push(ev(
            "declared_document",
            Verdict::Info,
            json!({"type": choice.kind.as_str(), "country": choice.country}),
        ));
        if choice.kind == DocumentType::DrivingLicence {
            evidence.push(ev(
                "document_type_accepted",
                Verdict::Fail,
                json!({"reason": "driving licences carry no machine-readable zone and are not accepted for automatic verification"}),
            ));
            return Err("DOCUMENT_NOT_ACCEPTED");
        }
    }
    for page in &inputs.pages {
        evidence.push(ev(
            "page_read",
            Verdict::Info,
            json!({"slot": page.slot, "mrz_lines": page.mrz_lines, "mrz_score": page.mrz_score,
                   "corrections": page.corrections, "quality": page.quality, "faces": page.faces}),
        ));
    }
    // The page whose zone read best carries the document's data.
    let Some(page) = inputs
        .pages
        .iter()
        .filter(|p| p.mrz.is_some() && p.mrz_score >= 0.45)
        .max_by(|a, b| a.mrz_score.total_cmp(&b.mrz_score))
    else {
        let quality: Vec<&String> = inputs.pages.iter().flat_map(|p| &p.quality).collect();
        evidence.push(ev("mrz_readable", Verdict::Fail, json!({"quality_findings": quality})));
        return Err("DOCUMENT_UNREADABLE");
    };
    let mrz = page.mrz.as_ref().expect("filtered on mrz");
    evidence.push(ev(
        "mrz_readable",
        Verdict::Pass,
        json!({"slot": page.slot, "format": mrz.format}),
    ));

    // Accepted document type for its issuing state.
    let code = mrz.document_code.chars().next().unwrap_or('?');
    let state = mrz.issuing_state.as_str();
    let accepted = match code {
        'P' => state != SPECIMEN_STATE,
        'I' | 'A' | 'C' => card_state_accepted(state),
        _ => false,
    };
    evidence.push(ev(
        "document_type_accepted",
        if accepted { Verdict::Pass } else { Verdict::Fail },
        json!({"document_code": mrz.document_code, "issuing_state": state}),
    ));
    if !accepted {
        return Err("DOCUMENT_NOT_ACCEPTED");
    }

    // Check digits: a digit that does not verify is a finding.
    let failed: Vec<&str> = mrz.check_digits.iter().filter(|c| !c.ok()).map(|c| c.field).collect();
    evidence.push(ev(
        "check_digits",
        if failed.is_empty() { Verdict::Pass } else { Verdict::Fail },
        json!({"digits": mrz.check_digits.iter().map(|c| json!({"field": c.field, "printed": c.printed.to_string(), "computed": c.computed.to_string()})).collect::<Vec<_>>(),
               "failed": failed}),
    ));
    let birth = mrz_date(&mrz.birth_date, true, inputs.now);
    let expiry = mrz_date(&mrz.expiry_date, false, inputs.now);
    let consistent = birth.is_some()
        && expiry.is_some()
        && birth < expiry
        && birth.is_some_and(|b| b <= inputs.now)
        && matches!(mrz.sex, 'M' | 'F' | 'X' | '<')
        && !mrz.surname.is_empty()
        && !mrz.nationality.is_empty();
    evidence.push(ev(
        "field_consistency",
        if consistent { Verdict::Pass } else { Verdict::Fail },
        json!({"birth_date": mrz.birth_date, "expiry_date": mrz.expiry_date, "sex": mrz.sex.to_string(), "nationality": mrz.nationality}),
    ));
    // Both sides of a card must be the same document.
    let zones: Vec<&Vec<String>> = inputs
        .pages
        .iter()
        .filter(|p| p.mrz.is_some() && p.mrz_score >= 0.45)
        .map(|p| &p.mrz_lines)
        .collect();
    let sides_agree = zones.windows(2).all(|w| w[0] == w[1]);
    if zones.len() > 1 {
        evidence.push(ev(
            "sides_consistent",
            if sides_agree { Verdict::Pass } else { Verdict::Fail },
            json!({"zones": zones}),
        ));
    }
    if !failed.is_empty() || !consistent || !sides_agree {
        return Err("DOCUMENT_FALSIFIED");
    }
    if let Some(choice) = declared
        && choice.country.len() == 2
    {
        evidence.push(ev(
            "declared_country",
            Verdict::Info,
            json!({"declared": choice.country, "issuing_state": state}),
        ));
    }
    let expired = expiry.is_some_and(|e| e < inputs.now);
    evidence.push(ev(
        "not_expired",
        if expired { Verdict::Fail } else { Verdict::Pass },
        json!({"expiry": expiry.map(format_date)}),
    ));
    if expired {
        return Err("DOCUMENT_HAS_EXPIRED");
    }
    Ok(IdentityFacts {
        first: mrz.given_names.clone(),
        last: mrz.surname.clone(),
        birth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrz_dates_pick_their_century() {
        let now = parse_date("2026-11-25").unwrap();
        assert_eq!(
            mrz_date("850312", true, now).map(format_date).as_deref(),
            Some("1985-03-12")
        );
        assert_eq!(
            mrz_date("100101", true, now).map(format_date).as_deref(),
            Some("2010-01-01")
        );
        assert_eq!(
            mrz_date("300101", false, now).map(format_date).as_deref(),
            Some("2030-01-01")
        );
        assert_eq!(mrz_date("991301", false, now), None);
        assert_eq!(mrz_date("85O312", true, now), None);
    }
}
