//! The reviewer's workspace: the queue with its filters and search, assignment and release of
//! claims, the next session to work, internal notes and a session's timeline.

use verity_domain::search::SearchQuery;
use verity_store::{Claim, Note, QueueEntry, QueueFilter};

use super::*;

/// How long an assignment holds a session for its reviewer, in seconds.
pub const ASSIGNMENT_SECONDS: i64 = 24 * 3600;
/// The longest internal note, in characters.
pub const NOTE_LENGTH: usize = 4000;
/// Timeline entries shown at most of each kind.
const TIMELINE_LENGTH: u32 = 500;

/// A page of the queue and how many sessions match in all.
#[derive(Clone, Debug)]
pub struct QueuePage {
    pub entries: Vec<QueueEntry>,
    pub total: u64,
}

/// How an assignment ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assigned {
    Done,
    /// Only leads assign.
    NotAllowed,
    /// No enabled staff member who decides sessions has that username.
    NoSuchReviewer,
    /// The session is not in REVIEW.
    NotInReview,
}

/// How adding a note ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteAdded {
    Done,
    Empty,
    TooLong,
}

/// What a timeline entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelineKind {
    /// An event of the session (sent to the platform's hooks).
    Event,
    /// A staff action or view, from the audit log.
    Staff,
    /// An internal note.
    Note,
}

/// One line of a session's timeline.
#[derive(Clone, Debug)]
pub struct TimelineEntry {
    pub at: i64,
    pub kind: TimelineKind,
    /// Who: a staff member's username, or "Verity" for the service's own events.
    pub actor: String,
    /// What, in plain words.
    pub text: String,
}

/// The plain words of an audit action on a session.
fn audit_words(entry: &verity_store::AuditEntry) -> String {
    let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap_or_default();
    let field = |k: &str| detail[k].as_str().unwrap_or("").to_owned();
    match entry.action.as_str() {
        "view_session" => "opened the session".into(),
        "view_file" => format!("viewed the file {}", field("slot")),
        "decide" if field("verdict") == "approve" => "approved the session".into(),
        "decide" => format!("refused the session: {} ({})", field("reason"), field("comment")),
        "claim" => "took the session".into(),
        "assign" => format!("assigned the session to {}", field("to")),
        "release" => "released the session".into(),
        "note" => "added a note".into(),
        "redact" => "redacted the session's personal data".into(),
        "decision_refused" => "tried to decide without the right role".into(),
        "forged_request" => format!("sent a form without its anti-forgery token ({})", field("form")),
        other => other.replace('_', " "),
    }
}

impl Services {
    /// One page of the queue, oldest waiting first. A search is recorded in the audit log by
    /// the kind of text searched, never the text itself.
    pub async fn workspace_queue(
        &self,
        staff: &StaffMember,
        filter: &QueueFilter,
        page: u32,
        per_page: u32,
    ) -> Result<QueuePage, ServiceError> {
        if let Some(q) = filter.search.as_ref().filter(|q| !q.is_empty()) {
            let kind = if q.exact_terms.iter().any(|t| t.starts_with("email:")) {
                "email"
            } else if q.document_number.is_some() {
                "number or id"
            } else {
                "name or id"
            };
            self.audit(staff, "search", None, None, serde_json::json!({ "kind": kind }))
                .await?;
        }
        let offset = u64::from(page.saturating_sub(1)) * u64::from(per_page);
        let (entries, total) = self.store.queue(filter, now(), offset, per_page).await?;
        Ok(QueuePage { entries, total })
    }

    /// Indexes, in batches, the users written before search existed (their search terms are
    /// keyed hashes the database cannot compute itself); how many there were.
    pub async fn index_users_for_search(&self) -> Result<u64, ServiceError> {
        let mut total = 0;
        loop {
            let n = self.store.index_pending_users(500).await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// The search box's text as the terms it matches.
    pub fn search_query(text: &str) -> Option<SearchQuery> {
        let q = SearchQuery::parse(text);
        (!q.is_empty()).then_some(q)
    }

    /// The live claim on a session.
    pub async fn review_claim(&self, session: &SessionId) -> Result<Option<Claim>, ServiceError> {
        Ok(self.store.claim_of(session, now()).await?)
    }

    /// A lead gives a session in REVIEW to a reviewer for a day; audited.
    pub async fn assign_review(
        &self,
        lead: &StaffMember,
        client: &ClientId,
        id: &SessionId,
        to_username: &str,
    ) -> Result<Assigned, ServiceError> {
        if !lead.role.can_assign() {
            return Ok(Assigned::NotAllowed);
        }
        let session = self.session(client, id).await?;
        if session.status != verity_domain::session::SessionStatus::Review {
            return Ok(Assigned::NotInReview);
        }
        let assignee = self.store.staff_by_username(to_username).await?;
        let Some(assignee) = assignee.filter(|s| !s.disabled && Role::parse(&s.role).is_some_and(Role::can_decide))
        else {
            return Ok(Assigned::NoSuchReviewer);
        };
        let detail = serde_json::json!({ "to": assignee.username });
        self.audit(lead, "assign", Some(client.as_str()), Some(id.as_str()), detail)
            .await?;
        let now = now();
        self.store
            .assign_review(id, &assignee.id, &lead.record.username, now, now + ASSIGNMENT_SECONDS)
            .await?;
        Ok(Assigned::Done)
    }

    /// Gives back a staff member's claim on a session; audited.
    pub async fn release_review(
        &self,
        staff: &StaffMember,
        client: &ClientId,
        id: &SessionId,
    ) -> Result<(), ServiceError> {
        self.audit(
            staff,
            "release",
            Some(client.as_str()),
            Some(id.as_str()),
            serde_json::json!({}),
        )
        .await?;
        Ok(self.store.release_review(id, &staff.record.id).await?)
    }

    /// The session a reviewer should work next: their own claims first, then the oldest
    /// unclaimed one.
    pub async fn next_in_queue(
        &self,
        staff: &StaffMember,
        after: Option<&SessionId>,
    ) -> Result<Option<(ClientId, SessionId)>, ServiceError> {
        Ok(self.store.next_in_queue(&staff.record.id, now(), after).await?)
    }

    /// Adds an internal note to a session (sealed at rest, never sent to the platform); the
    /// audit entry names the note, not its text.
    pub async fn add_note(
        &self,
        staff: &StaffMember,
        client: &ClientId,
        id: &SessionId,
        body: &str,
    ) -> Result<NoteAdded, ServiceError> {
        let body = body.trim();
        if body.is_empty() {
            return Ok(NoteAdded::Empty);
        }
        if body.chars().count() > NOTE_LENGTH {
            return Ok(NoteAdded::TooLong);
        }
        let session = self.session(client, id).await?;
        let note = Note {
            id: new_id("note_"),
            session_id: session.id.clone(),
            client_id: client.clone(),
            staff_id: staff.record.id.clone(),
            username: staff.record.username.clone(),
            body: body.to_owned(),
            at: now(),
        };
        let detail = serde_json::json!({ "note": note.id });
        self.audit(staff, "note", Some(client.as_str()), Some(id.as_str()), detail)
            .await?;
        self.store.insert_note(&note).await?;
        Ok(NoteAdded::Done)
    }

    /// Everything that happened to a session, oldest first: its events, every staff action and
    /// view, and the internal notes.
    pub async fn timeline(&self, record: &SessionRecord) -> Result<Vec<TimelineEntry>, ServiceError> {
        let id = &record.session.id;
        let mut entries: Vec<TimelineEntry> = record
            .history
            .iter()
            .map(|e| TimelineEntry {
                at: e.date,
                kind: TimelineKind::Event,
                actor: "Verity".into(),
                text: verity_domain::event::describe(e.event_type),
            })
            .collect();
        entries.extend(
            self.store
                .audit_of(id.as_str(), TIMELINE_LENGTH)
                .await?
                .iter()
                .filter(|a| a.action != "note")
                .map(|a| TimelineEntry {
                    at: a.at,
                    kind: TimelineKind::Staff,
                    actor: a.username.clone(),
                    text: audit_words(a),
                }),
        );
        entries.extend(self.store.notes(id).await?.into_iter().map(|n| TimelineEntry {
            at: n.at,
            kind: TimelineKind::Note,
            actor: n.username,
            text: n.body,
        }));
        entries.sort_by_key(|e| e.at);
        Ok(entries)
    }
}
