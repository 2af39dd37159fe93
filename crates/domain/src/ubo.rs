//! UBO declarations: a Business or Partnership user declares its ultimate beneficial owners
//! outside the hosted flow (the legacy API the SDKs still call). A declaration is `CREATED`,
//! gets up to four UBOs, is submitted (`VALIDATION_ASKED`) and ends `VALIDATED`, `REFUSED`
//! (with a `Reason`) or `INCOMPLETE` (to be completed and submitted again). One state machine,
//! the input rules, and the sandbox's magic first names.

use serde::{Deserialize, Serialize};

use crate::event::Happened;
use crate::user::{Address, LegalPersonType, User};
use crate::validation::{FieldErrors, is_country_code};
use crate::{ClientId, UnixTime, UserId};

/// UBOs a declaration may hold.
pub const MAX_UBOS: usize = 4;

pub const CREATED: &str = "UBO_DECLARATION_CREATED";
pub const VALIDATION_ASKED: &str = "UBO_DECLARATION_VALIDATION_ASKED";
pub const REFUSED: &str = "UBO_DECLARATION_REFUSED";
pub const VALIDATED: &str = "UBO_DECLARATION_VALIDATED";
pub const INCOMPLETE: &str = "UBO_DECLARATION_INCOMPLETE";

/// `Reason` values of a refused or incomplete declaration.
pub const REASONS: [&str; 8] = [
    "MISSING_UBO",
    "WRONG_UBO_INFORMATION",
    "UBO_IDENTITY_NEEDED",
    "SHAREHOLDERS_DECLARATION_NEEDED",
    "ORGANIZATION_CHART_NEEDED",
    "DOCUMENTS_NEEDED",
    "DECLARATION_DO_NOT_MATCH_UBO_INFORMATION",
    "SPECIFIC_CASE",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UboStatus {
    Created,
    ValidationAsked,
    Incomplete,
    Validated,
    Refused,
}

impl UboStatus {
    pub const ALL: [UboStatus; 5] = [
        UboStatus::Created,
        UboStatus::ValidationAsked,
        UboStatus::Incomplete,
        UboStatus::Validated,
        UboStatus::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UboStatus::Created => "CREATED",
            UboStatus::ValidationAsked => "VALIDATION_ASKED",
            UboStatus::Incomplete => "INCOMPLETE",
            UboStatus::Validated => "VALIDATED",
            UboStatus::Refused => "REFUSED",
        }
    }

    pub fn parse(raw: &str) -> Option<UboStatus> {
        UboStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Submitted (again, once completed), then decided; nothing else.
    pub fn can_become(self, next: UboStatus) -> bool {
        use UboStatus::*;
        matches!(
            (self, next),
            (Created | Incomplete, ValidationAsked) | (ValidationAsked, Validated | Refused | Incomplete)
        )
    }

    /// Whether UBOs can be added or changed.
    pub fn editable(self) -> bool {
        matches!(self, UboStatus::Created | UboStatus::Incomplete)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birthplace {
    pub city: String,
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ubo {
    pub id: String,
    pub created_at: UnixTime,
    pub first_name: String,
    pub last_name: String,
    pub address: Address,
    pub nationality: String,
    pub birthday: UnixTime,
    pub birthplace: Birthplace,
    /// Set false to drop a UBO from the declaration (for good).
    pub is_active: bool,
}

/// The fields of a UBO sent on create or update; absent ones keep their value on update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UboInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<Address>,
    pub nationality: Option<String>,
    pub birthday: Option<UnixTime>,
    pub birthplace: Option<Birthplace>,
    pub is_active: Option<bool>,
}

/// How a declaration is decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UboOutcome {
    Validate,
    Refuse { reason: String, message: Option<String> },
    Incomplete { reason: String, message: Option<String> },
}

impl UboOutcome {
    /// The sandbox's magic values: the first UBO's `FirstName`.
    pub fn from_sandbox(first_name: &str) -> Option<UboOutcome> {
        match first_name {
            "AcceptUBO" => Some(UboOutcome::Validate),
            // The documentation spells it both ways.
            "RefusedUBO" | "RefuseUBO" => Some(UboOutcome::Refuse {
                reason: "SPECIFIC_CASE".into(),
                message: Some("Refused by the sandbox (RefusedUBO).".into()),
            }),
            "IncompleteUBO" => Some(UboOutcome::Incomplete {
                reason: "MISSING_UBO".into(),
                message: Some("Incomplete in the sandbox (IncompleteUBO).".into()),
            }),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UboError {
    /// Only Business and Partnership users declare UBOs.
    NotForUser,
    NotAllowed {
        from: UboStatus,
        to: UboStatus,
    },
    /// UBOs change while `CREATED` or `INCOMPLETE` only.
    NotEditable(UboStatus),
    TooManyUbos,
    /// A UBO set inactive stays inactive.
    Reactivated,
}

impl std::fmt::Display for UboError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UboError::NotForUser => {
                f.write_str("UBO declarations are only for legal users of type BUSINESS or PARTNERSHIP.")
            }
            UboError::NotAllowed { from, to } => write!(
                f,
                "The UBO declaration is {} and cannot become {}.",
                from.as_str(),
                to.as_str()
            ),
            UboError::NotEditable(s) => write!(
                f,
                "UBOs can be added or changed only while the declaration is CREATED or INCOMPLETE; it is {}.",
                s.as_str()
            ),
            UboError::TooManyUbos => write!(f, "A UBO declaration holds at most {MAX_UBOS} UBOs."),
            UboError::Reactivated => f.write_str("A UBO set inactive cannot be made active again."),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UboDeclaration {
    pub id: String,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub status: UboStatus,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub ubos: Vec<Ubo>,
    pub created_at: UnixTime,
    /// When it was decided.
    pub processed_at: Option<UnixTime>,
    /// A sandbox outcome (set on submission) and when it applies.
    pub scripted: Option<(UboOutcome, UnixTime)>,
    pub version: i64,
}

fn check_ubo(u: &Ubo, errors: &mut FieldErrors) {
    for (field, value) in [("FirstName", &u.first_name), ("LastName", &u.last_name)] {
        if value.trim().is_empty() {
            errors.required(field);
        } else if value.chars().count() > 100 {
            errors.max_len(field, 100);
        }
    }
    if !is_country_code(&u.nationality) {
        errors.add(
            "Nationality",
            "The Nationality field must be a two-letter ISO 3166 country code.",
        );
    }
    let a = &u.address;
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    if blank(&a.address_line1) || blank(&a.city) || blank(&a.postal_code) {
        errors.add(
            "Address",
            "The Address needs its AddressLine1, City, PostalCode and Country.",
        );
    }
    if !a.country.as_deref().is_some_and(is_country_code) {
        errors.add(
            "Address.Country",
            "The Country field must be a two-letter ISO 3166 country code.",
        );
    }
    if u.birthplace.city.trim().is_empty() {
        errors.required("Birthplace.City");
    }
    if !is_country_code(&u.birthplace.country) {
        errors.add(
            "Birthplace.Country",
            "The Country field must be a two-letter ISO 3166 country code.",
        );
    }
}

impl UboDeclaration {
    /// A new declaration for a Business or Partnership user, and its event.
    pub fn create(id: String, user: &User, now: UnixTime) -> Result<(UboDeclaration, Vec<Happened>), UboError> {
        if !matches!(
            user.legal_person_type(),
            Some(LegalPersonType::Business | LegalPersonType::Partnership)
        ) {
            return Err(UboError::NotForUser);
        }
        let d = UboDeclaration {
            id,
            client_id: user.client_id.clone(),
            user_id: user.id.clone(),
            status: UboStatus::Created,
            reason: None,
            message: None,
            ubos: Vec::new(),
            created_at: now,
            processed_at: None,
            scripted: None,
            version: 0,
        };
        let events = vec![Happened::new(CREATED, &d.id)];
        Ok((d, events))
    }

    /// Adds a UBO: every field required and valid.
    pub fn add_ubo(
        &mut self,
        id: String,
        input: &UboInput,
        now: UnixTime,
    ) -> Result<Result<Ubo, FieldErrors>, UboError> {
        if !self.status.editable() {
            return Err(UboError::NotEditable(self.status));
        }
        if self.ubos.iter().filter(|u| u.is_active).count() >= MAX_UBOS {
            return Err(UboError::TooManyUbos);
        }
        let ubo = Ubo {
            id,
            created_at: now,
            first_name: input.first_name.clone().unwrap_or_default(),
            last_name: input.last_name.clone().unwrap_or_default(),
            address: input.address.clone().unwrap_or_default(),
            nationality: input.nationality.clone().unwrap_or_default(),
            birthday: input.birthday.unwrap_or_default(),
            birthplace: input.birthplace.clone().unwrap_or_default(),
            is_active: input.is_active.unwrap_or(true),
        };
        let mut errors = FieldErrors::new();
        check_ubo(&ubo, &mut errors);
        // A whole missing object is said as such, rather than field by field.
        let mut missing = FieldErrors::new();
        if input.birthday.is_none() {
            missing.required("Birthday");
        }
        if input.address.is_none() {
            missing.required("Address");
        }
        if input.birthplace.is_none() {
            missing.required("Birthplace");
        }
        for (field, object) in [
            ("Address", input.address.is_none()),
            ("Birthplace", input.birthplace.is_none()),
        ] {
            if object {
                errors.remove_prefixed(field);
            }
        }
        errors.merge(missing);
        if let Err(e) = errors.into_result() {
            return Ok(Err(e));
        }
        self.ubos.push(ubo.clone());
        Ok(Ok(ubo))
    }

    /// Changes a UBO's fields; `None` when the declaration has no such UBO.
    pub fn update_ubo(&mut self, ubo_id: &str, input: &UboInput) -> Result<Option<Result<Ubo, FieldErrors>>, UboError> {
        if !self.status.editable() {
            return Err(UboError::NotEditable(self.status));
        }
        let Some(ubo) = self.ubos.iter_mut().find(|u| u.id == ubo_id) else {
            return Ok(None);
        };
        if !ubo.is_active && input.is_active == Some(true) {
            return Err(UboError::Reactivated);
        }
        let mut changed = ubo.clone();
        if let Some(v) = &input.first_name {
            changed.first_name = v.clone();
        }
        if let Some(v) = &input.last_name {
            changed.last_name = v.clone();
        }
        if let Some(v) = &input.address {
            changed.address = v.clone();
        }
        if let Some(v) = &input.nationality {
            changed.nationality = v.clone();
        }
        if let Some(v) = input.birthday {
            changed.birthday = v;
        }
        if let Some(v) = &input.birthplace {
            changed.birthplace = v.clone();
        }
        if let Some(v) = input.is_active {
            changed.is_active = v;
        }
        let mut errors = FieldErrors::new();
        check_ubo(&changed, &mut errors);
        if let Err(e) = errors.into_result() {
            return Ok(Some(Err(e)));
        }
        *ubo = changed.clone();
        Ok(Some(Ok(changed)))
    }

    /// Submission; in the sandbox the first UBO's magic name scripts the decision.
    pub fn submit(&mut self, sandbox_delay: Option<i64>, now: UnixTime) -> Result<Vec<Happened>, UboError> {
        if !self.status.can_become(UboStatus::ValidationAsked) {
            return Err(UboError::NotAllowed {
                from: self.status,
                to: UboStatus::ValidationAsked,
            });
        }
        self.status = UboStatus::ValidationAsked;
        self.reason = None;
        self.message = None;
        self.scripted = sandbox_delay.and_then(|delay| {
            self.ubos
                .iter()
                .find(|u| u.is_active)
                .and_then(|u| UboOutcome::from_sandbox(&u.first_name))
                .map(|o| (o, now + delay))
        });
        Ok(vec![Happened::new(VALIDATION_ASKED, &self.id)])
    }

    /// The decision on a submitted declaration.
    pub fn decide(&mut self, outcome: &UboOutcome, now: UnixTime) -> Result<Vec<Happened>, UboError> {
        let (to, event, reason, message) = match outcome {
            UboOutcome::Validate => (UboStatus::Validated, VALIDATED, None, None),
            UboOutcome::Refuse { reason, message } => (UboStatus::Refused, REFUSED, Some(reason), message.as_ref()),
            UboOutcome::Incomplete { reason, message } => {
                (UboStatus::Incomplete, INCOMPLETE, Some(reason), message.as_ref())
            }
        };
        if !self.status.can_become(to) {
            return Err(UboError::NotAllowed { from: self.status, to });
        }
        self.status = to;
        self.reason = reason.cloned();
        self.message = message.cloned();
        self.processed_at = Some(now);
        self.scripted = None;
        Ok(vec![Happened::new(event, &self.id)])
    }
}

/// What the registry says of a submitted declaration (production): every registered owner
/// declared and every declared UBO registered validates it; a registered owner missing makes it
/// incomplete; anything else (a UBO the registry does not list, a registry listing no owners) is
/// for a reviewer (`None`).
pub fn registry_outcome(declaration: &UboDeclaration, record: &crate::company::RegistryRecord) -> Option<UboOutcome> {
    if record.owners.is_empty() {
        return None;
    }
    let active: Vec<&Ubo> = declaration.ubos.iter().filter(|u| u.is_active).collect();
    let declared: Vec<String> = active
        .iter()
        .map(|u| format!("{} {}", u.first_name, u.last_name))
        .collect();
    let missing: Vec<&String> = record
        .owners
        .iter()
        .filter(|owner| {
            let words: Vec<&str> = owner.split_whitespace().collect();
            !(1..words.len()).any(|i| {
                let (a, b) = (words[..i].join(" "), words[i..].join(" "));
                crate::matching::among(&a, &b, &declared) || crate::matching::among(&b, &a, &declared)
            })
        })
        .collect();
    if !missing.is_empty() {
        return Some(UboOutcome::Incomplete {
            reason: "MISSING_UBO".into(),
            message: Some(format!(
                "The company's register lists owners not declared: {}.",
                missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            )),
        });
    }
    let all_registered = active
        .iter()
        .all(|u| crate::matching::among(&u.first_name, &u.last_name, &record.owners));
    all_registered.then_some(UboOutcome::Validate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psc::tests_support::legal_business;

    fn input(first: &str) -> UboInput {
        UboInput {
            first_name: Some(first.into()),
            last_name: Some("Doe".into()),
            address: Some(Address {
                address_line1: Some("1 rue de la Paix".into()),
                city: Some("Paris".into()),
                postal_code: Some("75002".into()),
                country: Some("FR".into()),
                ..Default::default()
            }),
            nationality: Some("FR".into()),
            birthday: Some(188_301_600),
            birthplace: Some(Birthplace {
                city: "Paris".into(),
                country: "FR".into(),
            }),
            is_active: None,
        }
    }

    #[test]
    fn the_registry_decides_where_it_lists_owners() {
        let (mut d, _) = UboDeclaration::create("ubo_d".into(), &legal_business(), 1).unwrap();
        d.add_ubo("u0".into(), &input("Jane"), 2).unwrap().unwrap();
        let record = |owners: &[&str]| crate::company::RegistryRecord {
            country: "FR".into(),
            number: "1".into(),
            name: "ACME".into(),
            active: true,
            officers: vec![],
            owners: owners.iter().map(|o| o.to_string()).collect(),
        };
        assert_eq!(registry_outcome(&d, &record(&["DOE Jane"])), Some(UboOutcome::Validate));
        assert!(matches!(
            registry_outcome(&d, &record(&["Jane Doe", "Paul Martin"])),
            Some(UboOutcome::Incomplete { reason, message: Some(m) }) if reason == "MISSING_UBO" && m.contains("Paul Martin")
        ));
        assert_eq!(
            registry_outcome(&d, &record(&["Other Person", "Jane Doe"]))
                .map(|o| matches!(o, UboOutcome::Incomplete { .. })),
            Some(true)
        );
        assert_eq!(registry_outcome(&d, &record(&[])), None);
        d.add_ubo("u1".into(), &input("Unlisted"), 2).unwrap().unwrap();
        assert_eq!(
            registry_outcome(&d, &record(&["Jane Doe"])),
            None,
            "a UBO the register does not list"
        );
    }

    #[test]
    fn only_documented_transitions_exist() {
        use UboStatus::*;
        let allowed = [
            (Created, ValidationAsked),
            (Incomplete, ValidationAsked),
            (ValidationAsked, Validated),
            (ValidationAsked, Refused),
            (ValidationAsked, Incomplete),
        ];
        for from in UboStatus::ALL {
            for to in UboStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn a_declaration_is_filled_submitted_and_completed() {
        let (mut d, events) = UboDeclaration::create("ubo_d".into(), &legal_business(), 1).unwrap();
        assert_eq!(events, vec![Happened::new(CREATED, "ubo_d")]);
        let bad = d.add_ubo("u0".into(), &UboInput::default(), 2).unwrap().unwrap_err();
        assert!(bad.contains("Birthday") && bad.contains("Address"));
        for n in 0..MAX_UBOS {
            let first = if n == 0 { "IncompleteUBO" } else { "Jane" };
            d.add_ubo(format!("u{n}"), &input(first), 2).unwrap().unwrap();
        }
        assert_eq!(d.add_ubo("u9".into(), &input("Too"), 2), Err(UboError::TooManyUbos));
        // Dropping one frees a place; it cannot come back.
        let drop = UboInput {
            is_active: Some(false),
            ..Default::default()
        };
        d.update_ubo("u3", &drop).unwrap().unwrap().unwrap();
        let back = UboInput {
            is_active: Some(true),
            ..Default::default()
        };
        assert_eq!(d.update_ubo("u3", &back), Err(UboError::Reactivated));
        assert!(d.update_ubo("nope", &drop).unwrap().is_none());
        d.submit(Some(3), 10).unwrap();
        assert_eq!(
            d.add_ubo("u5".into(), &input("Late"), 11),
            Err(UboError::NotEditable(UboStatus::ValidationAsked))
        );
        let (outcome, at) = d.scripted.clone().unwrap();
        assert_eq!(at, 13);
        assert_eq!(
            d.decide(&outcome, 14).unwrap(),
            vec![Happened::new(INCOMPLETE, "ubo_d")]
        );
        assert_eq!(d.reason.as_deref(), Some("MISSING_UBO"));
        // Completed and submitted again.
        d.update_ubo("u0", &input("AcceptUBO")).unwrap().unwrap().unwrap();
        d.submit(Some(0), 20).unwrap();
        assert_eq!(d.scripted.as_ref().map(|s| &s.0), Some(&UboOutcome::Validate));
        assert!(d.reason.is_none());
    }
}
