-- The retention scan reads, per client, the sessions not yet redacted from the oldest decision
-- on, and stops at the first one not yet due (bench/scale/run.sh: flat from 20 to 1,000,000
-- sessions). Partial indexes: sessions already redacted leave them.
CREATE INDEX idv_sessions_files_retention ON idv_sessions (client_id, (COALESCE(updated_at, created_at))) WHERE files_redacted_at IS NULL;
CREATE INDEX idv_sessions_data_retention ON idv_sessions (client_id, (COALESCE(updated_at, created_at))) WHERE data_redacted_at IS NULL;
