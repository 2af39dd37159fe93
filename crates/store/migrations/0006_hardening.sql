-- Hooks turn INVALID only after many failed events over a long time: when the current run of
-- failures began, and which deliveries were already counted as a failed event.
ALTER TABLE hooks ADD COLUMN failing_since BIGINT;
ALTER TABLE webhook_deliveries ADD COLUMN counted_failure BIGINT NOT NULL DEFAULT 0;
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (hook_id, state);
