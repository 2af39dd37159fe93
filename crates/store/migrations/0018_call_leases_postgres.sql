-- Shared rate-limit counters, taken in blocks: a process takes up to p_want calls of a caller at
-- once (a lease it spends in memory) instead of one round trip per call; calls of one caller
-- queued on its rows' locks one by one (about 4,400 calls/s at most here, all of PostgreSQL's
-- CPU). A grant is at most a sixteenth of what the fullest window has left (at least one), so
-- near a limit every call is counted here, one at a time, and never more than the limit passes.
--
-- p_unused calls of the process's previous lease, taken in windows that started at
-- 'p_unused_started,...', are given back first (a window that has started again since keeps its
-- new count). A window that is over counts as empty. Nothing is granted when a window is full.
-- Returns per window, in the order asked, its start and its count after the grant, the grant,
-- and the access epoch (cached tokens are checked against it).
CREATE FUNCTION verity_take_calls(p_key TEXT, p_now BIGINT, p_seconds TEXT, p_limits TEXT,
                                  p_want BIGINT, p_unused BIGINT, p_unused_started TEXT)
RETURNS TABLE (window_seconds BIGINT, window_started BIGINT, window_count BIGINT, granted BIGINT, current_epoch BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    secs BIGINT[] := string_to_array(p_seconds, ',')::BIGINT[];
    lims BIGINT[] := string_to_array(p_limits, ',')::BIGINT[];
    olds BIGINT[] := string_to_array(p_unused_started, ',')::BIGINT[];
    room BIGINT;
    present INT;
    g BIGINT;
BEGIN
    FOR attempt IN 1..2 LOOP
        -- Locked in one order, so two takes of one caller queue instead of deadlocking.
        SELECT min(l.lim - CASE WHEN p_now >= r.started + r.seconds THEN 0
                                ELSE greatest(r.count - CASE WHEN r.started = l.old THEN p_unused ELSE 0 END, 0) END),
               count(*)
            INTO room, present
            FROM (SELECT * FROM rate_counters c WHERE c.key = p_key AND c.seconds = ANY (secs)
                  ORDER BY c.seconds FOR UPDATE) r
            JOIN unnest(secs, lims, olds) AS l(sec, lim, old) ON r.seconds = l.sec;
        EXIT WHEN present = array_length(secs, 1);
        INSERT INTO rate_counters (key, seconds, started, count)
            SELECT p_key, s, p_now, 0 FROM unnest(secs) AS s
            ON CONFLICT (key, seconds) DO NOTHING;
    END LOOP;
    g := CASE WHEN room > 0 THEN least(greatest(p_want, 1), greatest(room / 16, 1)) ELSE 0 END;
    RETURN QUERY
    WITH counted AS (
        UPDATE rate_counters r SET
            started = CASE WHEN p_now >= r.started + r.seconds THEN p_now ELSE r.started END,
            count = CASE WHEN p_now >= r.started + r.seconds THEN 0
                         ELSE greatest(r.count - CASE WHEN r.started = l.old THEN p_unused ELSE 0 END, 0) END + g
        FROM unnest(secs, olds) AS l(sec, old)
        WHERE r.key = p_key AND r.seconds = l.sec
        RETURNING r.seconds, r.started, r.count
    )
    SELECT c.seconds, c.started, c.count, g, (SELECT a.epoch FROM access_epoch a WHERE a.id = 1)
        FROM counted c ORDER BY array_position(secs, c.seconds);
END $$;
