-- UBO declarations (the legacy API): the declaration, and its UBOs and decision sealed in `data`
-- (names, birth dates and addresses of people); a sandbox outcome due at `scripted_at`.
CREATE TABLE ubo_declarations (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id),
    user_id          TEXT NOT NULL REFERENCES users(id),
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    data             TEXT NOT NULL,
    scripted_outcome TEXT,
    scripted_at      BIGINT,
    version          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ubo_declarations_by_user ON ubo_declarations (client_id, user_id, created_at, id);
CREATE INDEX ubo_declarations_due ON ubo_declarations (status, scripted_at);
