-- Master key rotation. Every sealed value names its key (`v2.KEYID.`); the database keeps the
-- other master keys a process may need, each sealed under another master key, and the fingerprint
-- key (which must outlive any master key: fingerprints are compared with stored ones).

-- `id` sealed under `wrapped_by`: during a rotation the new key under the old and the old under
-- the new, so a process configured with either opens everything; afterwards neither under the old.
CREATE TABLE master_keys (
    id          TEXT NOT NULL,
    wrapped_by  TEXT NOT NULL,
    sealed      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (id, wrapped_by)
);

-- One row (id = 1), written at start-up by the first process of this version. `version` moves with
-- every change processes must load; `sealing_key` NULL: each seals under its configured key.
CREATE TABLE keyring (
    id               BIGINT PRIMARY KEY,
    version          BIGINT NOT NULL,
    sealing_key      TEXT,
    rotating_to      TEXT,
    rotation_phase   TEXT,
    fingerprint_key  TEXT NOT NULL,
    updated_at       BIGINT NOT NULL
);

-- Where a rotation's sweep of each sealed column has reached (resumable after a crash).
CREATE TABLE key_rotation_progress (
    sealed_column  TEXT PRIMARY KEY,
    pass           BIGINT NOT NULL,
    after_key      TEXT NOT NULL,
    resealed       BIGINT NOT NULL,
    done           BIGINT NOT NULL
);

-- Each running process's last keyring load: a rotation waits until every live one has the new key.
CREATE TABLE key_holders (
    holder           TEXT PRIMARY KEY,
    keyring_version  BIGINT NOT NULL,
    seen_at          BIGINT NOT NULL
);
