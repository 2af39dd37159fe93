//! The back office's use cases: staff sign-in and console sessions, review claims and decisions
//! with their audit entries, and what the console and the admin API read.
//!
//! Rules: five failed sign-ins lock an account for 15 minutes (each attempt is counted before
//! its password is checked); console sessions end after 30 idle minutes or 12 hours; a
//! reviewer's claim on a session keeps others from deciding it for 15 minutes; every sign-in,
//! decision and refusal is written to the append-only audit log.

mod accounts;
mod platforms;
mod reviews;
mod staff;
mod workspace;

use SortDirection::{Asc, Desc};
pub use accounts::{NewStaff, PasswordChange};
use verity_common::hashing::sha256_hex;
use verity_common::secrets::{hash_password, password_matches, random_token};
use verity_common::totp;
use verity_domain::event::Event;
use verity_domain::hook::Hook;
use verity_domain::hosted::{FileRef, Progress};
use verity_domain::{Client, ClientId, IdvSession, SessionId, User, UserId};
use verity_store::{
    AttemptRecord, AuditEntry, BlobMeta, DeliverySummary, EventFilter, InvalidHook, Page, PageRequest, SortDirection,
    StaffRecord, StaffSession,
};
pub use workspace::{ASSIGNMENT_SECONDS, Assigned, NOTE_LENGTH, NoteAdded, QueuePage, TimelineEntry, TimelineKind};

use crate::lifecycle::Verdict;
use crate::redaction::{Redacted, Scope};
use crate::{ServiceError, Services, new_id, now};

/// Idle time after which a console session ends, in seconds.
pub const IDLE_TIMEOUT: i64 = 30 * 60;
/// Longest life of a console session, in seconds.
pub const MAX_SESSION: i64 = 12 * 3600;
/// Failed sign-ins that lock an account.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked account stays locked, in seconds.
pub const LOCK_SECONDS: i64 = 15 * 60;
/// How long a reviewer's claim on a session keeps others from deciding it, in seconds.
pub const CLAIM_SECONDS: i64 = 15 * 60;

/// What a staff member may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Reviewer,
    /// A reviewer who also hands sessions to other reviewers.
    Lead,
    Operator,
    Auditor,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "reviewer" => Some(Role::Reviewer),
            "lead" => Some(Role::Lead),
            "operator" => Some(Role::Operator),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Lead => "lead",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    pub const ALL: [Role; 4] = [Role::Reviewer, Role::Lead, Role::Operator, Role::Auditor];

    /// Reviewers and leads decide sessions.
    pub fn can_decide(self) -> bool {
        matches!(self, Role::Reviewer | Role::Lead)
    }

    /// Leads assign sessions to reviewers.
    pub fn can_assign(self) -> bool {
        self == Role::Lead
    }

    /// What the role may do, for the staff page.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Reviewer => "decides sessions in review",
            Role::Lead => "decides sessions and assigns them to reviewers",
            Role::Operator => "manages platforms, staff and redaction; reads the audit log",
            Role::Auditor => "reads sessions and the audit log; changes nothing",
        }
    }

    /// Operators and auditors read the audit log.
    pub fn can_read_audit(self) -> bool {
        matches!(self, Role::Operator | Role::Auditor)
    }

    /// Only operators change platforms and users, and redact sessions.
    pub fn can_operate(self) -> bool {
        self == Role::Operator
    }
}

/// A signed-in staff member, as their audit entries name them.
#[derive(Clone, Debug)]
pub struct StaffMember {
    pub record: StaffRecord,
    pub role: Role,
    /// The address their request came from.
    pub address: Option<String>,
}

/// A console session found by its cookie's token.
#[derive(Clone, Debug)]
pub struct ConsoleSession {
    pub staff: StaffMember,
    /// The anti-forgery token every form of the session carries.
    pub csrf: String,
}

/// How a sign-in ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: the new console session's token, for the cookie (only its hash is kept).
    SignedIn { token: String },
    /// Wrong username, password or code, or a disabled account.
    Refused,
    /// Too many failed attempts: the account is locked.
    Locked,
    /// Everything matched but the audit log refused the entry: not signed in.
    Unrecorded,
}

/// A reviewer's choice as the console's form sends it: `approve`, or `refuse` with a
/// `REASON@CHECK` and a comment.
#[derive(Clone, Copy, Debug)]
pub struct ReviewChoice<'a> {
    pub action: &'a str,
    pub reason: &'a str,
    pub comment: &'a str,
}

/// How a reviewer's decision ended.
#[derive(Debug)]
pub enum Decided {
    /// Decided and recorded.
    Done,
    /// The staff member's role cannot decide (recorded as `decision_refused`).
    NotAllowed,
    /// Another reviewer holds the claim on the session: nothing was done.
    ClaimedByOther,
    /// A refusal without a comment: nothing was done.
    NeedsComment,
    /// Neither `approve` nor `refuse`: nothing was done.
    UnknownAction,
    /// The session's rules refused the decision (not in REVIEW, unknown reason, a race lost).
    Rejected(ServiceError),
    /// Decided, but the audit log refused the entry.
    Unrecorded,
}

/// Everything the console shows of a session.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub session: IdvSession,
    pub user: User,
    /// What was entered in the hosted pages.
    pub progress: Option<Progress>,
    /// The engine's evidence record.
    pub evidence: Option<verity_domain::engine::EvidenceRecord>,
    /// The session's events, oldest first.
    pub history: Vec<Event>,
}

/// A file of a session, looked up by its slot.
#[derive(Clone, Debug)]
pub enum SessionFile {
    NoSession,
    NoFile,
    Found(FileRef),
}

/// A platform's page: its latest users and deliveries, and its hooks.
#[derive(Clone, Debug)]
pub struct PlatformOverview {
    pub client: Client,
    pub users: Vec<User>,
    pub deliveries: Vec<DeliverySummary>,
    pub hooks: Vec<Hook>,
}

/// A platform's user with their sessions, newest first.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub user: User,
    pub sessions: Vec<IdvSession>,
}

pub use verity_domain::search::user_type;

/// The first `n` items, in `direction` of their creation.
fn first(n: u32, direction: SortDirection) -> PageRequest {
    PageRequest {
        page: 1,
        per_page: n,
        direction,
    }
}

/// Whom an audit entry names: a staff member, or a username no one has.
#[derive(Clone, Copy)]
struct Who<'a> {
    staff: Option<&'a StaffRecord>,
    username: &'a str,
    address: Option<&'a str>,
}

/// Checks a password on a blocking thread: Argon2 takes tens of milliseconds of CPU, which must
/// not stall the threads serving other requests.
async fn verify_off_runtime(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .unwrap_or(false)
}
