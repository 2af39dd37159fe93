//! The one error type of the service layer: what a use case can answer besides its result. The
//! HTTP layers and the CLI map it to their own words in one place each.

use verity_domain::FieldErrors;
use verity_domain::lifecycle::TransitionError;
use verity_domain::session::SessionRefusal;
use verity_domain::user::UserRuleError;
use verity_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such object: what kind (`session`, `user`, `client`, `hook`) and which id.
    #[error("no {resource} with id {id}")]
    NotFound { resource: &'static str, id: String },
    /// Input refused field by field.
    #[error("invalid input: {0:?}")]
    Params(FieldErrors),
    #[error("{0}")]
    Transition(TransitionError),
    #[error("user rule: {0:?}")]
    Rule(UserRuleError),
    /// The user cannot have a session.
    #[error("session refused: {0:?}")]
    Refused(SessionRefusal),
    /// A sandbox-only action asked by a production client.
    #[error("only sandbox clients may do this")]
    SandboxOnly,
    #[error("{0}")]
    Invalid(String),
    #[error("too much contention on this object, try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub fn not_found(resource: &'static str, id: impl std::fmt::Display) -> Self {
        ServiceError::NotFound {
            resource,
            id: id.to_string(),
        }
    }

    /// One field refused with one message.
    pub fn param(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, message);
        ServiceError::Params(e)
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(e: FieldErrors) -> Self {
        ServiceError::Params(e)
    }
}

/// The former name, while the hosted pages move over.
pub type LifecycleError = ServiceError;
