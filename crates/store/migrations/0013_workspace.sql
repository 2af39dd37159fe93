-- The reviewer's workspace: search through keyed hashes, queue filters on plain codes, claims
-- that expire at a stored time (assignments last longer than a reviewer's own claim), and
-- internal notes on sessions.

-- Keyed hashes (HMAC, the master key's fingerprint key) of a user's searchable words: name
-- words, e-mail, company number. Never the words themselves.
CREATE TABLE search_terms (
    term       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    PRIMARY KEY (term, user_id)
);
CREATE INDEX search_terms_by_user ON search_terms (user_id);

-- NATURAL, SOLETRADER, BUSINESS or ORGANIZATION (the legal type is inside the sealed data);
-- search_version < 1: not indexed yet (rows written before this migration).
ALTER TABLE users ADD COLUMN user_type TEXT;
ALTER TABLE users ADD COLUMN search_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX users_search_pending ON users (search_version);

-- " CHECK_KIND:STATUS REASON_TYPE ... ": check kinds, statuses and reason codes (no personal
-- data) of a session, for the queue's filters; NULL on rows written before this migration.
ALTER TABLE idv_sessions ADD COLUMN review_codes TEXT;
CREATE INDEX idv_sessions_queue ON idv_sessions (status, updated_at, id);

ALTER TABLE review_claims ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE review_claims ADD COLUMN assigned_by TEXT;
UPDATE review_claims SET expires_at = claimed_at + 900;
CREATE INDEX review_claims_by_staff ON review_claims (staff_id, expires_at);

-- Internal notes: for staff only, never sent to the platform; the text is sealed.
CREATE TABLE session_notes (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES idv_sessions(id),
    client_id   TEXT NOT NULL,
    staff_id    TEXT NOT NULL,
    username    TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX session_notes_by_session ON session_notes (session_id, at);

CREATE INDEX audit_log_by_target ON audit_log (target, at);
-- A session page lists the session's events (client and resource, in date order): without
-- this index SQLite walks every event of the client in date order.
CREATE INDEX events_by_client_resource ON events (client_id, resource_id, date, id);
-- A search over every status finds sessions by their user.
CREATE INDEX idv_sessions_by_user_id ON idv_sessions (user_id);
CREATE INDEX document_fingerprints_by_value ON document_fingerprints (kind, value);
