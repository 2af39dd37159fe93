-- Processes that use cached API tokens with no database read while they hold a lease
-- (src/sql/access_lease.rs): each renews `expires_at` every half second and writes in `epoch`
-- the access epoch it has applied; a change of API access waits until no live holder is behind.
CREATE TABLE access_holders (
    holder      TEXT PRIMARY KEY,
    epoch       BIGINT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
