-- KYC Documents (the legacy verification API): the document, its decision, and its pages (blob
-- references) sealed in `data`; a sandbox Tag's outcome due at `scripted_at`.
CREATE TABLE kyc_documents (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id),
    user_id          TEXT NOT NULL REFERENCES users(id),
    kind             TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    processed_at     BIGINT,
    data             TEXT NOT NULL,
    scripted_outcome TEXT,
    scripted_at      BIGINT,
    version          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kyc_documents_by_user ON kyc_documents (client_id, user_id, created_at, id);
CREATE INDEX kyc_documents_by_client ON kyc_documents (client_id, created_at, id);
CREATE INDEX kyc_documents_due ON kyc_documents (status, scripted_at);
-- The sealed files of KYC documents' pages (the hosted sessions' files are in `blobs`).
CREATE TABLE kyc_pages (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients(id),
    kyc_document_id TEXT NOT NULL REFERENCES kyc_documents(id),
    slot            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    wrapped_key     TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX kyc_pages_by_document ON kyc_pages (kyc_document_id);
