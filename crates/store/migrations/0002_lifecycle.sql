-- Session lifecycle, events, hooks and the webhook outbox. Portable between SQLite and PostgreSQL.

-- Optimistic concurrency: every write of a user or a session checks and bumps its version.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE idv_sessions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
-- When a PENDING session expires.
ALTER TABLE idv_sessions ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
-- A sandbox outcome scripted by a Tag directive, and when it applies.
ALTER TABLE idv_sessions ADD COLUMN scripted_outcome TEXT;
ALTER TABLE idv_sessions ADD COLUMN scripted_at BIGINT;
CREATE INDEX idv_sessions_pending_expiry ON idv_sessions (status, expires_at);
CREATE INDEX idv_sessions_scripted ON idv_sessions (status, scripted_at);

-- Secret for Standard Webhooks signatures; NULL means deliveries are unsigned.
ALTER TABLE clients ADD COLUMN webhook_secret TEXT;

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES clients(id),
    event_type   TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    date         BIGINT NOT NULL
);
CREATE INDEX events_by_client ON events (client_id, date, id);
CREATE INDEX events_by_type ON events (client_id, event_type, date, id);

CREATE TABLE hooks (
    id                    TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL REFERENCES clients(id),
    event_type            TEXT NOT NULL,
    url                   TEXT NOT NULL,
    status                TEXT NOT NULL,
    validity              TEXT NOT NULL,
    tag                   TEXT,
    created_at            BIGINT NOT NULL,
    consecutive_failures  BIGINT NOT NULL DEFAULT 0,
    UNIQUE (client_id, event_type)
);

-- The outbox: one row per (event, hook), written in the same transaction as the event.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id),
    event_id         TEXT NOT NULL REFERENCES events(id),
    hook_id          TEXT NOT NULL REFERENCES hooks(id),
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    -- Milliseconds: retry delays of a second or less must be honoured.
    next_attempt_ms  BIGINT NOT NULL,
    locked_until_ms  BIGINT,
    created_at       BIGINT NOT NULL,
    UNIQUE (event_id, hook_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_ms);
CREATE INDEX webhook_deliveries_by_client ON webhook_deliveries (client_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries(id),
    attempt      BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    http_status  BIGINT,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

ALTER TABLE clients ADD COLUMN natural_review BIGINT NOT NULL DEFAULT 0;
