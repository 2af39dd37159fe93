
-- API rate limits shared by every process on this database: one row per caller and window.
-- UNLOGGED: counters are not worth a WAL write per request; after a crash they start again
-- from zero.
CREATE UNLOGGED TABLE rate_counters (
    key      TEXT NOT NULL,
    seconds  BIGINT NOT NULL,
    started  BIGINT NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (key, seconds)
);

-- The access epoch: bumped in the transaction of every change to API access (a key rotated, a
-- client's settings changed); every process checks its cached tokens against it.
CREATE TABLE access_epoch (
    id     INTEGER PRIMARY KEY,
    epoch  BIGINT NOT NULL
);
INSERT INTO access_epoch (id, epoch) VALUES (1, 0);

-- Counts one call of p_key at p_now against windows 'seconds,...' / 'limit,...', all or none:
-- a refused call is not counted. One round trip; concurrent calls of one caller queue on its
-- rows' locks, so no two of them both take the last place. Also returns the access epoch, so
-- the request checks its cached token in the same round trip.
CREATE FUNCTION verity_count_call(p_key TEXT, p_now BIGINT, p_seconds TEXT, p_limits TEXT)
RETURNS TABLE (window_seconds BIGINT, window_started BIGINT, window_count BIGINT, allowed BOOLEAN, current_epoch BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    secs BIGINT[] := string_to_array(p_seconds, ',')::BIGINT[];
    lims BIGINT[] := string_to_array(p_limits, ',')::BIGINT[];
    ok BOOLEAN;
BEGIN
    INSERT INTO rate_counters AS r (key, seconds, started, count)
        SELECT p_key, s, p_now, 0 FROM unnest(secs) AS s
        ON CONFLICT (key, seconds) DO NOTHING;
    PERFORM 1 FROM rate_counters r WHERE r.key = p_key AND r.seconds = ANY (secs) ORDER BY r.seconds FOR UPDATE;
    UPDATE rate_counters r SET started = p_now, count = 0
        WHERE r.key = p_key AND r.seconds = ANY (secs) AND p_now >= r.started + r.seconds;
    SELECT bool_and(r.count < l.lim) INTO ok FROM rate_counters r
        JOIN unnest(secs, lims) AS l(sec, lim) ON r.seconds = l.sec WHERE r.key = p_key;
    IF ok THEN
        UPDATE rate_counters r SET count = r.count + 1 WHERE r.key = p_key AND r.seconds = ANY (secs);
    END IF;
    RETURN QUERY SELECT r.seconds, r.started, r.count, ok, (SELECT a.epoch FROM access_epoch a WHERE a.id = 1) FROM rate_counters r
        WHERE r.key = p_key AND r.seconds = ANY (secs) ORDER BY array_position(secs, r.seconds);
END $$;
