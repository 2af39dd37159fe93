-- Token requests locked after repeated failures, per claimed client and address: kept in the
-- database so that an operator can lift a lock (`verity clients unlock`) and every process sees it.
CREATE TABLE login_locks (
    client_id    TEXT NOT NULL,
    address      TEXT NOT NULL,
    locked_until BIGINT NOT NULL,
    PRIMARY KEY (client_id, address)
);
