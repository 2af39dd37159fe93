-- The hosted flow: autosaved progress, uploaded files, client branding, and a probe that tells a
-- wrong master key from a right one at start-up.
CREATE TABLE hosted_progress (
    session_id  TEXT PRIMARY KEY REFERENCES idv_sessions(id),
    data        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE blobs (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES clients(id),
    session_id    TEXT NOT NULL REFERENCES idv_sessions(id),
    slot          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    wrapped_key   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX blobs_by_session ON blobs (session_id);

CREATE TABLE key_check (
    id     BIGINT PRIMARY KEY,
    probe  TEXT NOT NULL
);

ALTER TABLE clients ADD COLUMN branding TEXT;
