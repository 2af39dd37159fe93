//! Checks, reasons and rules in plain words, for reviewers: the console shows these next to the
//! codes the platform sees, so a reviewer never has to look a code up.

use crate::psc::{PSC_CONSISTENCY_CHECK, PSC_ROLE_CHECK};
use crate::sandbox::{
    BUSINESS_INSIGHTS_MATCH, BUSINESS_NAME_MATCH, BUSINESS_VERIFICATION, IDENTITY_DOCUMENT_VERIFICATION, IDV_AGE_CHECK,
    IDV_NAME_MATCH_CHECK,
};

/// What a check establishes.
pub fn check(kind: &str) -> &'static str {
    match kind {
        IDENTITY_DOCUMENT_VERIFICATION => {
            "The identity document is genuine-looking, readable, unexpired, and shows the person of the selfie"
        }
        IDV_NAME_MATCH_CHECK => "The names on the document are the names the user declared",
        IDV_AGE_CHECK => "The person is old enough, by the birth date on the document",
        BUSINESS_VERIFICATION => "The company exists in its registry, is active, and its documents are acceptable",
        BUSINESS_NAME_MATCH => "The declared company name is the registered one",
        BUSINESS_INSIGHTS_MATCH => "The representative and owners declared are those the registry lists",
        PSC_CONSISTENCY_CHECK => "The persons of significant control declared are complete and coherent",
        PSC_ROLE_CHECK => "Each person of significant control holds the role declared, by the registry",
        _ => "A check of this session",
    }
}

/// What a reason code means, for the reviewer choosing one and the one reading it.
pub fn reason(code: &str) -> &'static str {
    match code {
        "DOCUMENT_NOT_ACCEPTED" => {
            "The document cannot be accepted (wrong person, wrong type, or data that do not agree)"
        }
        "FACE_MATCH_FAIL" => "The selfie does not show the person on the document",
        "DOCUMENT_FALSIFIED" => "The document shows signs of falsification or was used by someone else",
        "DOCUMENT_UNREADABLE" => "The document cannot be read (blurred, cropped, glare or too small)",
        "DOCUMENT_HAS_EXPIRED" => "The document has expired",
        "DOCUMENT_TYPE_NOT_SUPPORTED" => "This kind of document is not accepted for this check",
        "DOCUMENT_INCOMPLETE" => "Pages or information are missing from the document",
        "BUSINESS_INSIGHTS_MATCH_FAILED" => "The representative or owners are not those the registry lists",
        "BUSINESS_NAME_MATCH_FAILED" => "The company name is not the registered one",
        "UNDERAGE_PERSON" => "The person is under the minimum age",
        _ => "",
    }
}

/// What an evidence rule compares.
pub fn rule(name: &str) -> &'static str {
    match name {
        "page_read" => "Each page was decoded and read",
        "mrz_readable" => "The machine-readable zone was found and read",
        "check_digits" => "The machine-readable zone's check digits are right (a typo or an edit breaks them)",
        "field_consistency" => "The fields of the machine-readable zone agree with one another",
        "sides_consistent" => "The front and back belong to the same document",
        "declared_document" => "The document is of the type and country the user chose",
        "declared_country" => "The document's country is the one the user chose",
        "document_type_accepted" => "This type of document is accepted for the user",
        "not_expired" => "The document has not expired",
        "names_match" => "The declared names agree with the document's (case, accents, transliteration ignored)",
        "minimum_age" => "The age by the document's birth date is at least the minimum",
        "document_face_present" => "One face was found on the document",
        "selfie_face_present" => "One face was found on the selfie",
        "face_match" => "The selfie's face against the document portrait (distance of face descriptors)",
        "active_liveness" => "The person turned their head as asked, in time (a printed photo cannot)",
        "fraud_signals" => "The document number or images were not seen with another user",
        "registry_lookup" => "The company was found in its registry",
        "company_number_valid" => "The registration number has the country's format and check digits",
        "company_active" => "The registry lists the company as active",
        "declared_company" => "The company declared is the company of the user",
        "company_name_match" => "The declared company name agrees with the registered one",
        "holder_in_registered_name" => "A sole trader's name is in the registered name",
        "psc_declaration_coherent" => "The persons declared cover the roles the company needs",
        "psc_roles_in_registry" => "The registry lists each person in the role declared",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason a reviewer can choose has words, and so has every check they can refuse.
    #[test]
    fn every_refusal_reason_and_check_is_explained() {
        for (check_kind, reasons) in crate::sandbox::REASONS {
            assert_ne!(check(check_kind), "A check of this session", "{check_kind}");
            for r in *reasons {
                assert!(!reason(r).is_empty(), "{r}");
            }
        }
    }
}
