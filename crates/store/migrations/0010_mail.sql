-- E-mails to send (the PSC flow's links and reminders): written in the transaction of the change
-- that calls for them, sent by a leased worker. Nothing personal is stored here: the recipient and
-- the text are taken from the PSC when the message is sent.
CREATE TABLE mail_outbox (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    psc_id      TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    due_at      BIGINT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    sent_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, due_at);
CREATE INDEX mail_outbox_by_psc ON mail_outbox (psc_id, created_at);
-- Whether Verity e-mails each PSC its link (1), or the platform does (0).
ALTER TABLE client_policies ADD COLUMN psc_emails BIGINT NOT NULL DEFAULT 1;
