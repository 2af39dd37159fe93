-- The verification engine: durable check jobs, sealed evidence per session, fingerprints of
-- submitted documents for fraud signals, the local company registry and per-client policy.
CREATE TABLE check_jobs (
    session_id       TEXT PRIMARY KEY REFERENCES idv_sessions(id),
    client_id        TEXT NOT NULL REFERENCES clients(id),
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    run_after_ms     BIGINT NOT NULL,
    locked_until_ms  BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT
);
CREATE INDEX check_jobs_due ON check_jobs (state, run_after_ms);

CREATE TABLE session_evidence (
    session_id  TEXT PRIMARY KEY REFERENCES idv_sessions(id),
    client_id   TEXT NOT NULL REFERENCES clients(id),
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE document_fingerprints (
    client_id   TEXT NOT NULL REFERENCES clients(id),
    user_id     TEXT NOT NULL,
    session_id  TEXT NOT NULL REFERENCES idv_sessions(id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (session_id, kind, value)
);
CREATE INDEX document_fingerprints_lookup ON document_fingerprints (client_id, kind, value);

CREATE TABLE registry_companies (
    country      TEXT NOT NULL,
    number       TEXT NOT NULL,
    data         TEXT NOT NULL,
    imported_at  BIGINT NOT NULL,
    PRIMARY KEY (country, number)
);

CREATE TABLE client_policies (
    client_id      TEXT PRIMARY KEY REFERENCES clients(id),
    minimum_age    BIGINT NOT NULL,
    fraud_routing  TEXT NOT NULL
);
