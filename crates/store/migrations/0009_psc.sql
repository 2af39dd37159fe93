-- The 2026 PSC flow: the flow each session belongs to, the persons of significant control a main
-- session declared (their personal data sealed in `data`), and the per-client switch.
ALTER TABLE idv_sessions ADD COLUMN flow TEXT NOT NULL DEFAULT 'SINGLE';
ALTER TABLE idv_sessions ADD COLUMN psc_id TEXT;
-- The `SessionLanguage` asked for at creation, if any.
ALTER TABLE idv_sessions ADD COLUMN language TEXT;
CREATE TABLE pscs (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    main_session_id TEXT NOT NULL REFERENCES idv_sessions(id),
    session_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_update     BIGINT NOT NULL,
    data            TEXT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pscs_by_user ON pscs (client_id, user_id, created_at, id);
CREATE INDEX pscs_by_main ON pscs (main_session_id, created_at, id);
ALTER TABLE client_policies ADD COLUMN psc_flow BIGINT NOT NULL DEFAULT 0;
