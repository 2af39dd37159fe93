-- Portable between SQLite and PostgreSQL: TEXT and BIGINT columns only, JSON kept as TEXT.
CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    environment   TEXT NOT NULL,
    api_key_hash  TEXT NOT NULL,
    idv_enabled   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE access_tokens (
    token_hash  TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients(id),
    expires_at  BIGINT NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES clients(id),
    person_type  TEXT NOT NULL,
    category     TEXT NOT NULL,
    status       TEXT NOT NULL,
    kyc_level    TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    sca_token    TEXT UNIQUE,
    data         TEXT NOT NULL
);
CREATE INDEX users_by_client ON users (client_id, created_at, id);

CREATE TABLE idv_sessions (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES clients(id),
    user_id       TEXT NOT NULL REFERENCES users(id),
    status        TEXT NOT NULL,
    hosted_token  TEXT NOT NULL UNIQUE,
    return_url    TEXT NOT NULL,
    tag           TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT,
    checks        TEXT NOT NULL
);
CREATE INDEX idv_sessions_by_user ON idv_sessions (client_id, user_id, created_at, id);

CREATE TABLE idempotency_keys (
    client_id     TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    status_code   BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    body          TEXT NOT NULL,
    request_url   TEXT NOT NULL,
    PRIMARY KEY (client_id, idem_key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
