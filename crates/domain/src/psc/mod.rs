//! Persons of Significant Control: the 2026 multi-session KYB flow. A legal user's main session
//! declares its legal representative and owners; once it is VALIDATED, each of them proves who
//! they are in a hosted session of their own (document, selfie, liveness), and the user becomes
//! REGULAR when the last one is validated. This module holds the PSC object, its one state
//! machine, and what each change of a PSC session does to the PSC and the user.

use serde::{Deserialize, Serialize};

use crate::session::TypedValue;
use crate::user::{NaturalData, Person, User};
use crate::{ClientId, SessionId, UnixTime, UserId};

mod changes;
mod declaration;
#[cfg(test)]
mod tests;

pub use changes::{PscCorrection, PscError, Retry, abandon, retry, session_decided};
pub use declaration::{NewPscSession, declared, open_psc_sessions};
#[cfg(test)]
pub(crate) use tests::tests_support;

/// A PSC session expires this long after it was created...
pub const PSC_SESSION_LIFETIME: i64 = 7 * 86_400;
/// ...or this long after its liveness step started, whichever comes first.
pub const PSC_LIVENESS_WINDOW: i64 = 3_600;

pub const PSC_ROLE_CHECK: &str = "PSC_ROLE_CHECK";
pub const PSC_CONSISTENCY_CHECK: &str = "PSC_CONSISTENCY_CHECK";

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PscId(String);

impl PscId {
    pub const PREFIX: &'static str = "psc_x_";

    pub fn generate(unix_millis: u64, random: u128) -> Self {
        PscId(format!(
            "{}{}",
            Self::PREFIX,
            ulid::Ulid::from_parts(unix_millis, random)
        ))
    }

    pub fn from_raw(raw: impl Into<String>) -> Self {
        PscId(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PscId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PscStatus {
    /// A link was generated; the person has not been validated yet.
    PendingValidation,
    Validated,
    /// A check failed, or the session expired.
    Rejected,
    /// Set aside by an operator (a duplicate, a person who left): no longer required.
    Abandoned,
}

impl PscStatus {
    pub const ALL: [PscStatus; 4] = [
        Self::PendingValidation,
        Self::Validated,
        Self::Rejected,
        Self::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingValidation => "PENDING_VALIDATION",
            Self::Validated => "VALIDATED",
            Self::Rejected => "REJECTED",
            Self::Abandoned => "ABANDONED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The only transitions that exist: decided, retried (back to pending with a new link), or
    /// abandoned while not validated. An abandoned PSC stays abandoned.
    pub fn can_become(self, next: PscStatus) -> bool {
        use PscStatus::*;
        matches!(
            (self, next),
            (PendingValidation, Validated | Rejected | Abandoned)
                | (Validated | Rejected, PendingValidation)
                | (Rejected, Abandoned)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PscType {
    LegalRepresentative,
    /// A beneficial owner: 25% or more of the shares or votes, or control by other means.
    Ubo,
}

impl PscType {
    pub fn as_str(self) -> &'static str {
        match self {
            PscType::LegalRepresentative => "LEGAL_REPRESENTATIVE",
            PscType::Ubo => "UBO",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [PscType::LegalRepresentative, PscType::Ubo]
            .into_iter()
            .find(|t| t.as_str() == raw)
    }
}

/// Who the PSC is, as declared (and as corrected by a retry).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscIdentity {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub birthday: Option<UnixTime>,
    /// Country of residence.
    pub country: Option<String>,
    pub nationality: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Psc {
    pub id: PscId,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The IDV session under which the PSC was declared.
    pub main_session_id: SessionId,
    /// The PSC's own hosted session (the latest one after a retry).
    pub session_id: SessionId,
    pub tag: Option<String>,
    pub identity: PscIdentity,
    pub kind: PscType,
    /// Shares or votes held, when declared.
    pub ownership: Option<u8>,
    pub status: PscStatus,
    pub validation_date: Option<UnixTime>,
    /// What the PSC's validated document says (`FIRST_NAME`, `LAST_NAME`, `BIRTHDATE`).
    pub verified: Vec<TypedValue>,
    pub created_at: UnixTime,
    pub last_update: UnixTime,
    pub version: i64,
}

impl Psc {
    /// `Data[]` on the wire: the declared share, then what validation read from the document.
    pub fn data(&self) -> Vec<TypedValue> {
        let mut data: Vec<TypedValue> = self
            .ownership
            .map(|share| TypedValue {
                kind: "OWNERSHIP_PERCENTAGE".into(),
                value: Some(share.to_string()),
            })
            .into_iter()
            .collect();
        data.extend(self.verified.iter().cloned());
        data
    }

    /// The person this PSC's session verifies, as a natural user: the hosted pages and the engine
    /// see the PSC exactly as they would see a natural user, so one flow and one set of rules
    /// serve both. Never stored.
    pub fn as_subject(&self, user: &User) -> User {
        let mut subject = user.clone();
        subject.person = Person::Natural(NaturalData {
            first_name: self.identity.first_name.clone(),
            last_name: self.identity.last_name.clone(),
            birthday: self.identity.birthday,
            nationality: self.identity.nationality.clone(),
            country_of_residence: self.identity.country.clone(),
            email: self.identity.email.clone(),
            ..Default::default()
        });
        subject
    }
}
