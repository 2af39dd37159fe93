-- The shared rate-limit call in two statements instead of six: the caller's rows locked and
-- checked in one (a window that is over counts as empty), then updated in one, which returns
-- them. Rows are created (the slow path) only on a caller's first call in a window size.
CREATE OR REPLACE FUNCTION verity_count_call(p_key TEXT, p_now BIGINT, p_seconds TEXT, p_limits TEXT)
RETURNS TABLE (window_seconds BIGINT, window_started BIGINT, window_count BIGINT, allowed BOOLEAN, current_epoch BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    secs BIGINT[] := string_to_array(p_seconds, ',')::BIGINT[];
    lims BIGINT[] := string_to_array(p_limits, ',')::BIGINT[];
    ok BOOLEAN;
    present INT;
BEGIN
    FOR attempt IN 1..2 LOOP
        -- Locked in one order, so two calls of one caller queue instead of deadlocking.
        SELECT bool_and(CASE WHEN p_now >= r.started + r.seconds THEN 0 ELSE r.count END < l.lim), count(*)
            INTO ok, present
            FROM (SELECT * FROM rate_counters c WHERE c.key = p_key AND c.seconds = ANY (secs)
                  ORDER BY c.seconds FOR UPDATE) r
            JOIN unnest(secs, lims) AS l(sec, lim) ON r.seconds = l.sec;
        EXIT WHEN present = array_length(secs, 1);
        INSERT INTO rate_counters (key, seconds, started, count)
            SELECT p_key, s, p_now, 0 FROM unnest(secs) AS s
            ON CONFLICT (key, seconds) DO NOTHING;
    END LOOP;
    RETURN QUERY
    WITH counted AS (
        UPDATE rate_counters r SET
            started = CASE WHEN p_now >= r.started + r.seconds THEN p_now ELSE r.started END,
            count = CASE WHEN p_now >= r.started + r.seconds THEN 0 ELSE r.count END + CASE WHEN ok THEN 1 ELSE 0 END
        WHERE r.key = p_key AND r.seconds = ANY (secs)
        RETURNING r.seconds, r.started, r.count
    )
    SELECT c.seconds, c.started, c.count, ok, (SELECT a.epoch FROM access_epoch a WHERE a.id = 1)
        FROM counted c ORDER BY array_position(secs, c.seconds);
END $$;
