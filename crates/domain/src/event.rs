//! Events: what happened to which resource, recorded for `GET /events` and sent to hooks.

use crate::{ClientId, UnixTime};

/// Every event type Verity emits, plus the other Mangopay types a hook may subscribe to.
pub const IDV_PENDING: &str = "IDENTITY_VERIFICATION_PENDING";
pub const IDV_VALIDATED: &str = "IDENTITY_VERIFICATION_VALIDATED";
pub const IDV_FAILED: &str = "IDENTITY_VERIFICATION_FAILED";
pub const IDV_INCONCLUSIVE: &str = "IDENTITY_VERIFICATION_INCONCLUSIVE";
pub const IDV_EXPIRED: &str = "IDENTITY_VERIFICATION_EXPIRED";
pub const IDV_OUTDATED: &str = "IDENTITY_VERIFICATION_OUTDATED";
pub const USER_KYC_REGULAR: &str = "USER_KYC_REGULAR";
pub const USER_KYC_LIGHT: &str = "USER_KYC_LIGHT";
pub const IDV_PENDING_PSC_ACTION: &str = "IDENTITY_VERIFICATION_PENDING_PSC_ACTION";
pub const PSC_PENDING: &str = "IDENTITY_VERIFICATION_PSC_PENDING";
pub const PSC_VALIDATED: &str = "IDENTITY_VERIFICATION_PSC_VALIDATED";
pub const PSC_REJECTED: &str = "IDENTITY_VERIFICATION_PSC_REJECTED";
pub const PSC_ABANDONED: &str = "IDENTITY_VERIFICATION_PSC_ABANDONED";
/// Mangopay's notes also spell `PSC_REJECTED` this way: a hook registered under this name gets
/// the `PSC_REJECTED` events, under this name.
pub const PSC_FAILED_ALIAS: &str = "IDENTITY_VERIFICATION_PSC_FAILED";

/// Event types a hook can be registered for.
pub const HOOK_EVENT_TYPES: &[&str] = &[
    IDV_PENDING,
    IDV_VALIDATED,
    IDV_FAILED,
    IDV_INCONCLUSIVE,
    IDV_EXPIRED,
    IDV_OUTDATED,
    "IDENTITY_VERIFICATION_TIMEOUT",
    IDV_PENDING_PSC_ACTION,
    PSC_PENDING,
    PSC_VALIDATED,
    PSC_REJECTED,
    PSC_FAILED_ALIAS,
    PSC_ABANDONED,
    USER_KYC_REGULAR,
    USER_KYC_LIGHT,
    "USER_KYC_RENEWAL_REQUIRED",
    "USER_KYC_RENEWED",
    "USER_ACCOUNT_VALIDATION_ASKED",
    "USER_ACCOUNT_ACTIVATED",
    "USER_ACCOUNT_CLOSED",
    "USER_CATEGORY_UPDATED_TO_OWNER",
    "USER_CATEGORY_UPDATED_TO_PAYER",
    "USER_CATEGORY_UPDATED_TO_PLATFORM",
    "SCA_ENROLLMENT_SUCCEEDED",
    "SCA_ENROLLMENT_FAILED",
    "SCA_ENROLLMENT_EXPIRED",
    "KYC_CREATED",
    "KYC_VALIDATION_ASKED",
    "KYC_SUCCEEDED",
    "KYC_FAILED",
    "KYC_OUTDATED",
    "UBO_DECLARATION_CREATED",
    "UBO_DECLARATION_VALIDATION_ASKED",
    "UBO_DECLARATION_REFUSED",
    "UBO_DECLARATION_VALIDATED",
    "UBO_DECLARATION_INCOMPLETE",
];

/// The event type a hook may be registered for, as registered (the `..._PSC_FAILED` alias is
/// kept: its hook gets `..._PSC_REJECTED` events under that name).
pub fn hook_event_type(raw: &str) -> Option<&'static str> {
    HOOK_EVENT_TYPES.iter().copied().find(|t| *t == raw)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Internal identifier (`evt_<ULID>`); not part of Mangopay's event object.
    pub id: String,
    pub client_id: ClientId,
    pub event_type: &'static str,
    pub resource_id: String,
    pub date: UnixTime,
}

/// An event a rule decided on, before it gets its identity and date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Happened {
    pub event_type: &'static str,
    pub resource_id: String,
}

impl Happened {
    pub fn new(event_type: &'static str, resource_id: impl ToString) -> Self {
        Happened {
            event_type,
            resource_id: resource_id.to_string(),
        }
    }
}

/// An event type in plain words, for the console's timeline.
pub fn describe(event_type: &str) -> String {
    let words = match event_type {
        IDV_PENDING => "submitted: checks started (IDENTITY_VERIFICATION_PENDING)",
        IDV_VALIDATED => "validated (IDENTITY_VERIFICATION_VALIDATED)",
        IDV_FAILED => "refused (IDENTITY_VERIFICATION_FAILED)",
        IDV_INCONCLUSIVE => "inconclusive: sent to review (IDENTITY_VERIFICATION_INCONCLUSIVE)",
        IDV_EXPIRED => "expired before it was finished (IDENTITY_VERIFICATION_EXPIRED)",
        IDV_OUTDATED => "no longer current (IDENTITY_VERIFICATION_OUTDATED)",
        IDV_PENDING_PSC_ACTION => {
            "waiting for its persons of significant control (IDENTITY_VERIFICATION_PENDING_PSC_ACTION)"
        }
        USER_KYC_REGULAR => "the user became KYC REGULAR (USER_KYC_REGULAR)",
        USER_KYC_LIGHT => "the user went back to KYC LIGHT (USER_KYC_LIGHT)",
        other => return other.to_owned(),
    };
    words.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psc_failed_is_a_hook_type_of_its_own_name() {
        assert_eq!(hook_event_type(PSC_FAILED_ALIAS), Some(PSC_FAILED_ALIAS));
        assert_eq!(hook_event_type(IDV_VALIDATED), Some(IDV_VALIDATED));
        assert_eq!(hook_event_type("NOPE"), None);
    }
}
