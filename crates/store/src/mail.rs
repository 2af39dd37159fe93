//! The e-mail outbox's capability and its jobs.

use async_trait::async_trait;
use verity_domain::psc::PscId;
use verity_domain::{ClientId, SessionId, UnixTime};

use crate::StoreResult;

/// What an e-mail is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// A PSC's link to their own session.
    PscLink,
    /// A reminder of it, before the session expires.
    PscReminder,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::PscLink => "psc_link",
            MailKind::PscReminder => "psc_reminder",
        }
    }

    pub fn parse(raw: &str) -> Option<MailKind> {
        [MailKind::PscLink, MailKind::PscReminder]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// An e-mail queued in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailJob {
    pub id: String,
    pub client: ClientId,
    pub psc: PscId,
    /// The PSC session the message is about: a message about a session the PSC no longer uses
    /// is not sent.
    pub session: SessionId,
    pub kind: MailKind,
    pub due_at: UnixTime,
    pub attempts: i64,
    pub created_at: UnixTime,
}

/// How an attempt to send an e-mail ended.
#[derive(Clone, Debug)]
pub enum MailOutcome<'a> {
    Sent {
        at: UnixTime,
    },
    /// No longer worth sending (the session was done, replaced or expired).
    Skipped {
        why: &'a str,
    },
    Retry {
        error: &'a str,
        at: UnixTime,
    },
    Failed {
        error: &'a str,
    },
}

/// One queued e-mail as an operator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRecord {
    pub job: MailJob,
    /// `pending`, `sent`, `skipped` or `failed`.
    pub state: String,
    pub last_error: Option<String>,
    pub sent_at: Option<UnixTime>,
}

/// The e-mail outbox (jobs are written through [`crate::SessionStore::commit`]'s changesets).
#[async_trait]
pub trait MailStore: Send + Sync + 'static {
    /// Leases up to `limit` due jobs until `lease_until`.
    async fn claim_mails(&self, now: UnixTime, lease_until: UnixTime, limit: u32) -> StoreResult<Vec<MailJob>>;
    async fn finish_mail(&self, id: &str, outcome: MailOutcome<'_>) -> StoreResult<()>;
    /// The e-mails queued about a PSC, oldest first.
    async fn mails_of_psc(&self, client: &ClientId, psc: &PscId) -> StoreResult<Vec<MailRecord>>;
}
