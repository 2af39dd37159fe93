//! KYC Documents: the legacy verification API Mangopay still uses for "additional documents"
//! asked for after hosted verification. A document is created for a user with its type, gets up
//! to five pages while `CREATED`, is submitted (`VALIDATION_ASKED`) and is then validated or
//! refused; a downgrade makes it `OUT_OF_DATE`. This module holds the object, its one state
//! machine, the type rules per user and the sandbox's `Tag` outcomes.

use serde::{Deserialize, Serialize};

use crate::event::Happened;
use crate::hosted::FileRef;
use crate::user::{LegalPersonType, Person, User};
use crate::validation::FieldErrors;
use crate::{ClientId, UnixTime, UserId};

/// Pages a document may have.
pub const MAX_PAGES: usize = 5;
/// Longest `RefusedReasonMessage`.
pub const REASON_MESSAGE_MAX: usize = 255;

pub const KYC_CREATED: &str = "KYC_CREATED";
pub const KYC_VALIDATION_ASKED: &str = "KYC_VALIDATION_ASKED";
pub const KYC_SUCCEEDED: &str = "KYC_SUCCEEDED";
pub const KYC_FAILED: &str = "KYC_FAILED";
pub const KYC_OUTDATED: &str = "KYC_OUTDATED";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KycType {
    IdentityProof,
    RegistrationProof,
    ArticlesOfAssociation,
    ShareholderDeclaration,
    AddressProof,
}

impl KycType {
    pub const ALL: [KycType; 5] = [
        KycType::IdentityProof,
        KycType::RegistrationProof,
        KycType::ArticlesOfAssociation,
        KycType::ShareholderDeclaration,
        KycType::AddressProof,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KycType::IdentityProof => "IDENTITY_PROOF",
            KycType::RegistrationProof => "REGISTRATION_PROOF",
            KycType::ArticlesOfAssociation => "ARTICLES_OF_ASSOCIATION",
            KycType::ShareholderDeclaration => "SHAREHOLDER_DECLARATION",
            KycType::AddressProof => "ADDRESS_PROOF",
        }
    }

    pub fn parse(raw: &str) -> Option<KycType> {
        KycType::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Whether users of this kind submit documents of this type: natural users an identity or an
    /// address proof; legal users no address proof; sole traders no articles of association.
    pub fn allowed_for(self, user: &User) -> bool {
        match (&user.person, self) {
            (Person::Natural(_), t) => matches!(t, KycType::IdentityProof | KycType::AddressProof),
            (Person::Legal(_), KycType::AddressProof) => false,
            (Person::Legal(l), KycType::ArticlesOfAssociation) => l.legal_person_type != LegalPersonType::Soletrader,
            (Person::Legal(_), _) => true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KycStatus {
    Created,
    ValidationAsked,
    Validated,
    Refused,
    OutOfDate,
}

impl KycStatus {
    pub const ALL: [KycStatus; 5] = [
        KycStatus::Created,
        KycStatus::ValidationAsked,
        KycStatus::Validated,
        KycStatus::Refused,
        KycStatus::OutOfDate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KycStatus::Created => "CREATED",
            KycStatus::ValidationAsked => "VALIDATION_ASKED",
            KycStatus::Validated => "VALIDATED",
            KycStatus::Refused => "REFUSED",
            KycStatus::OutOfDate => "OUT_OF_DATE",
        }
    }

    pub fn parse(raw: &str) -> Option<KycStatus> {
        KycStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The only transitions: submitted, decided, and made out of date by a downgrade once
    /// validated (an identity proof also while it waits for its decision).
    pub fn can_become(self, next: KycStatus, kind: KycType) -> bool {
        use KycStatus::*;
        match (self, next) {
            (Created, ValidationAsked) | (ValidationAsked, Validated | Refused) | (Validated, OutOfDate) => true,
            (ValidationAsked, OutOfDate) => kind == KycType::IdentityProof,
            _ => false,
        }
    }
}

/// `RefusedReasonType` values, most critical first (Mangopay's hierarchy).
pub const REFUSED_REASONS: [&str; 9] = [
    "DOCUMENT_FALSIFIED",
    "DOCUMENT_HAS_EXPIRED",
    "DOCUMENT_NOT_ACCEPTED",
    "DOCUMENT_UNREADABLE",
    "DOCUMENT_INCOMPLETE",
    "DOCUMENT_DO_NOT_MATCH_USER_DATA",
    "UNDERAGE_PERSON",
    "DOCUMENT_MISSING",
    "SPECIFIC_CASE",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KycDocument {
    pub id: String,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub kind: KycType,
    pub status: KycStatus,
    pub tag: Option<String>,
    pub created_at: UnixTime,
    /// When it was decided.
    pub processed_at: Option<UnixTime>,
    pub refused_reason_type: Option<String>,
    pub refused_reason_message: Option<String>,
    /// Identity-proof refusal codes (`009000`...).
    pub flags: Vec<String>,
    pub pages: Vec<FileRef>,
    /// A sandbox outcome scripted by the `Tag`, and when it applies (set on submission).
    pub scripted: Option<(KycOutcome, UnixTime)>,
    pub version: i64,
}

/// How a document is decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KycOutcome {
    Validate,
    Refuse { reason: String, message: Option<String> },
}

impl KycOutcome {
    /// The sandbox's documented `Tag` values (case-sensitive, the whole Tag).
    pub fn from_sandbox_tag(tag: &str) -> Option<KycOutcome> {
        let reason = match tag {
            "accept" => return Some(KycOutcome::Validate),
            // Mangopay's sandbox answers this one without the DOCUMENT_ prefix.
            "refuse_unreadable" => "UNREADABLE",
            "refuse_not_accepted" => "DOCUMENT_NOT_ACCEPTED",
            "refuse_expired" => "DOCUMENT_HAS_EXPIRED",
            "refuse_incomplete" => "DOCUMENT_INCOMPLETE",
            "refuse_missing" => "DOCUMENT_MISSING",
            "refuse_no_user_data_match" => "DOCUMENT_DO_NOT_MATCH_USER_DATA",
            "refuse_falsified" => "DOCUMENT_FALSIFIED",
            "refuse_underage" => "UNDERAGE_PERSON",
            "refuse_specific_case" => "SPECIFIC_CASE",
            _ => return None,
        };
        Some(KycOutcome::Refuse {
            reason: reason.to_owned(),
            message: None,
        })
    }
}

/// Why a change was refused, each with its Mangopay error body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KycError {
    /// The state machine has no such edge.
    NotAllowed {
        from: KycStatus,
        to: KycStatus,
    },
    /// Pages are added while `CREATED` only.
    NotCreated(KycStatus),
    TooManyPages,
    /// Submitted without a page.
    NoPage,
}

impl std::fmt::Display for KycError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KycError::NotAllowed { from, to } => write!(
                f,
                "The KYC document is {} and cannot become {}.",
                from.as_str(),
                to.as_str()
            ),
            KycError::NotCreated(s) => write!(
                f,
                "Pages can be added only while the KYC document is CREATED; it is {}.",
                s.as_str()
            ),
            KycError::TooManyPages => write!(f, "A KYC document has at most {MAX_PAGES} pages."),
            KycError::NoPage => f.write_str("A KYC document needs at least one page before it is submitted."),
        }
    }
}

/// A validated create request.
pub fn parse_new(user: &User, kind: Option<&str>, tag: Option<&str>) -> Result<(KycType, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = match kind {
        None => {
            errors.required("Type");
            None
        }
        Some(raw) => match KycType::parse(raw) {
            None => {
                errors.add(
                    "Type",
                    format!("Error converting value \"{raw}\" to type 'KycDocumentType'."),
                );
                None
            }
            Some(t) if !t.allowed_for(user) => {
                errors.add(
                    "Type",
                    format!(
                        "The document type {} is not accepted for this type of user.",
                        t.as_str()
                    ),
                );
                None
            }
            Some(t) => Some(t),
        },
    };
    if tag.is_some_and(|t| t.chars().count() > crate::session::TAG_MAX) {
        errors.max_len("Tag", crate::session::TAG_MAX);
    }
    errors.into_result()?;
    Ok((kind.expect("checked"), tag.map(str::to_owned)))
}

impl KycDocument {
    /// A new document and its `KYC_CREATED` event.
    pub fn create(
        id: String,
        user: &User,
        kind: KycType,
        tag: Option<String>,
        now: UnixTime,
    ) -> (KycDocument, Vec<Happened>) {
        let doc = KycDocument {
            id,
            client_id: user.client_id.clone(),
            user_id: user.id.clone(),
            kind,
            status: KycStatus::Created,
            tag,
            created_at: now,
            processed_at: None,
            refused_reason_type: None,
            refused_reason_message: None,
            flags: Vec::new(),
            pages: Vec::new(),
            scripted: None,
            version: 0,
        };
        let events = vec![Happened::new(KYC_CREATED, &doc.id)];
        (doc, events)
    }

    pub fn add_page(&mut self, page: FileRef) -> Result<(), KycError> {
        if self.status != KycStatus::Created {
            return Err(KycError::NotCreated(self.status));
        }
        if self.pages.len() >= MAX_PAGES {
            return Err(KycError::TooManyPages);
        }
        self.pages.push(page);
        Ok(())
    }

    /// Submission; a sandbox `Tag` scripts the decision `delay` seconds later.
    pub fn submit(&mut self, sandbox_delay: Option<i64>, now: UnixTime) -> Result<Vec<Happened>, KycError> {
        if !self.status.can_become(KycStatus::ValidationAsked, self.kind) {
            return Err(KycError::NotAllowed {
                from: self.status,
                to: KycStatus::ValidationAsked,
            });
        }
        if self.pages.is_empty() {
            return Err(KycError::NoPage);
        }
        self.status = KycStatus::ValidationAsked;
        if let Some(delay) = sandbox_delay {
            self.scripted = self
                .tag
                .as_deref()
                .and_then(KycOutcome::from_sandbox_tag)
                .map(|o| (o, now + delay));
        }
        Ok(vec![Happened::new(KYC_VALIDATION_ASKED, &self.id)])
    }

    /// The decision: validated, or refused with a reason type and message.
    pub fn decide(&mut self, outcome: &KycOutcome, now: UnixTime) -> Result<Vec<Happened>, KycError> {
        let to = match outcome {
            KycOutcome::Validate => KycStatus::Validated,
            KycOutcome::Refuse { .. } => KycStatus::Refused,
        };
        if !self.status.can_become(to, self.kind) {
            return Err(KycError::NotAllowed { from: self.status, to });
        }
        self.status = to;
        self.processed_at = Some(now);
        self.scripted = None;
        Ok(match outcome {
            KycOutcome::Validate => vec![Happened::new(KYC_SUCCEEDED, &self.id)],
            KycOutcome::Refuse { reason, message } => {
                self.refused_reason_type = Some(reason.clone());
                self.refused_reason_message = message.clone();
                vec![Happened::new(KYC_FAILED, &self.id)]
            }
        })
    }

    /// A downgrade of the user: validated documents (and identity proofs awaiting their decision)
    /// become `OUT_OF_DATE`.
    pub fn outdate(&mut self, now: UnixTime) -> Option<Happened> {
        if !self.status.can_become(KycStatus::OutOfDate, self.kind) {
            return None;
        }
        self.status = KycStatus::OutOfDate;
        self.processed_at = Some(now);
        self.scripted = None;
        Some(Happened::new(KYC_OUTDATED, &self.id))
    }
}

/// An identity proof read by the engine (production): what its machine-readable zone says of the
/// holder, against the user (a legal user's representative). `None` when no zone could be read
/// and verified by its check digits: a reviewer then decides.
pub fn identity_proof_outcome(
    user: &User,
    mrz: Option<&crate::mrz::Mrz>,
    minimum_age: i64,
    now: UnixTime,
) -> Option<KycOutcome> {
    let mrz = mrz.filter(|m| m.valid())?;
    let refuse = |reason: &str, message: &str| {
        Some(KycOutcome::Refuse {
            reason: reason.to_owned(),
            message: Some(message.to_owned()),
        })
    };
    let expiry = crate::engine::mrz_date(&mrz.expiry_date, false, now);
    if expiry.is_some_and(|e| e < now - 86_400) {
        return refuse("DOCUMENT_HAS_EXPIRED", "The document has expired.");
    }
    let (first, last) = match &user.person {
        Person::Natural(n) => (n.first_name.as_str(), n.last_name.as_str()),
        Person::Legal(l) => (
            l.legal_representative.first_name.as_str(),
            l.legal_representative.last_name.as_str(),
        ),
    };
    let given = mrz.given_names.replace('<', " ");
    let surname = mrz.surname.replace('<', " ");
    if !crate::matching::names_match(first, last, given.trim(), surname.trim()) {
        return refuse(
            "DOCUMENT_DO_NOT_MATCH_USER_DATA",
            "The name on the document is not the user's.",
        );
    }
    let birth = crate::engine::mrz_date(&mrz.birth_date, true, now);
    if birth.is_some_and(|b| crate::matching::age_at(b, now) < minimum_age) {
        return refuse("UNDERAGE_PERSON", "The person on the document is under age.");
    }
    Some(KycOutcome::Validate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psc::tests_support::legal_business;

    fn page(n: u8) -> FileRef {
        FileRef {
            blob_id: format!("blob_{n}"),
            content_type: "image/png".into(),
            size: 10,
            sample: false,
        }
    }

    #[test]
    fn only_documented_transitions_exist() {
        use KycStatus::*;
        for kind in KycType::ALL {
            for from in KycStatus::ALL {
                for to in KycStatus::ALL {
                    let allowed = matches!(
                        (from, to),
                        (Created, ValidationAsked) | (ValidationAsked, Validated | Refused) | (Validated, OutOfDate)
                    ) || (kind == KycType::IdentityProof && (from, to) == (ValidationAsked, OutOfDate));
                    assert_eq!(from.can_become(to, kind), allowed, "{kind:?} {from:?} -> {to:?}");
                }
            }
        }
    }

    #[test]
    fn an_identity_proof_is_read_against_the_user() {
        use crate::mrz::parse;
        let user = legal_business(); // represented by Sanne Jansen
        let zone = |surname: &str, given: &str, birth: &str, expiry: &str| {
            let names = format!("{surname}<<{given}");
            let line1 = format!("P<NLD{names:<<39}");
            let number = "XN1234567";
            let cd = |s: &str| crate::mrz::check_digit(s);
            let body = format!("{number}{}NLD{birth}{}F{expiry}{}", cd(number), cd(birth), cd(expiry));
            let optional = "<<<<<<<<<<<<<<";
            let composite = format!(
                "{number}{}{birth}{}{expiry}{}{optional}{}",
                cd(number),
                cd(birth),
                cd(expiry),
                cd(optional)
            );
            let line2 = format!("{body}{optional}{}{}", cd(optional), cd(&composite));
            parse(&[&line1[..44], &line2]).unwrap()
        };
        let now = crate::hosted::parse_date("2026-11-25").unwrap();
        let ok = zone("JANSEN", "SANNE", "800102", "300101");
        assert_eq!(
            identity_proof_outcome(&user, Some(&ok), 18, now),
            Some(KycOutcome::Validate)
        );
        let other = zone("DOE", "JANE", "800102", "300101");
        assert!(
            matches!(identity_proof_outcome(&user, Some(&other), 18, now), Some(KycOutcome::Refuse { reason, .. }) if reason == "DOCUMENT_DO_NOT_MATCH_USER_DATA")
        );
        let expired = zone("JANSEN", "SANNE", "800102", "200101");
        assert!(
            matches!(identity_proof_outcome(&user, Some(&expired), 18, now), Some(KycOutcome::Refuse { reason, .. }) if reason == "DOCUMENT_HAS_EXPIRED")
        );
        let minor = zone("JANSEN", "SANNE", "150102", "300101");
        assert!(
            matches!(identity_proof_outcome(&user, Some(&minor), 18, now), Some(KycOutcome::Refuse { reason, .. }) if reason == "UNDERAGE_PERSON")
        );
        assert_eq!(identity_proof_outcome(&user, None, 18, now), None);
    }

    #[test]
    fn types_follow_the_user() {
        let business = legal_business();
        assert!(KycType::ArticlesOfAssociation.allowed_for(&business));
        assert!(!KycType::AddressProof.allowed_for(&business));
        let err = parse_new(&business, Some("ADDRESS_PROOF"), None).unwrap_err();
        assert!(err.contains("Type"));
        assert!(parse_new(&business, None, None).unwrap_err().contains("Type"));
        assert!(
            parse_new(&business, Some("PASSPORT"), None)
                .unwrap_err()
                .contains("Type")
        );
    }

    #[test]
    fn pages_then_submission_then_the_sandbox_outcome() {
        let user = legal_business();
        let (mut doc, events) = KycDocument::create(
            "kyc_1".into(),
            &user,
            KycType::RegistrationProof,
            Some("refuse_expired".into()),
            10,
        );
        assert_eq!(events, vec![Happened::new(KYC_CREATED, "kyc_1")]);
        assert_eq!(doc.submit(Some(3), 11), Err(KycError::NoPage));
        for n in 0..5 {
            doc.add_page(page(n)).unwrap();
        }
        assert_eq!(doc.add_page(page(9)), Err(KycError::TooManyPages));
        assert_eq!(
            doc.submit(Some(3), 20).unwrap(),
            vec![Happened::new(KYC_VALIDATION_ASKED, "kyc_1")]
        );
        assert_eq!(
            doc.add_page(page(9)),
            Err(KycError::NotCreated(KycStatus::ValidationAsked))
        );
        let (outcome, at) = doc.scripted.clone().unwrap();
        assert_eq!(at, 23);
        assert_eq!(
            doc.decide(&outcome, 23).unwrap(),
            vec![Happened::new(KYC_FAILED, "kyc_1")]
        );
        assert_eq!(doc.refused_reason_type.as_deref(), Some("DOCUMENT_HAS_EXPIRED"));
        assert_eq!(doc.processed_at, Some(23));
        // A refused document is not made out of date by a downgrade.
        assert_eq!(doc.outdate(30), None);
        assert_eq!(
            KycOutcome::from_sandbox_tag("refuse_unreadable"),
            Some(KycOutcome::Refuse {
                reason: "UNREADABLE".into(),
                message: None
            })
        );
        assert_eq!(KycOutcome::from_sandbox_tag("Accept"), None);
    }
}
