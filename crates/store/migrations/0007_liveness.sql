-- Whether a client requires natural users' selfies to pass the active liveness check
-- (0: optional, 1: required).
ALTER TABLE client_policies ADD COLUMN liveness_required BIGINT NOT NULL DEFAULT 0;
