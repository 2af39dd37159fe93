-- The back office: staff accounts, their console sessions, review claims and the audit log.
CREATE TABLE staff (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    totp_secret     TEXT,
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    disabled        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash    TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff(id),
    csrf          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);

CREATE TABLE review_claims (
    session_id  TEXT PRIMARY KEY REFERENCES idv_sessions(id),
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    claimed_at  BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    staff_id   TEXT,
    username   TEXT NOT NULL,
    action     TEXT NOT NULL,
    client_id  TEXT,
    target     TEXT,
    detail     TEXT NOT NULL,
    address    TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- Retention and redaction: per-client periods, and when a session's files and data were erased.
ALTER TABLE client_policies ADD COLUMN retention_files_days BIGINT;
ALTER TABLE client_policies ADD COLUMN retention_data_days BIGINT;
ALTER TABLE idv_sessions ADD COLUMN files_redacted_at BIGINT;
ALTER TABLE idv_sessions ADD COLUMN data_redacted_at BIGINT;
