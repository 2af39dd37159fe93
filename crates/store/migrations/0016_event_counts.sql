-- Events per client, type and hour, for hours that are over, so that counting a long range of
-- events (the API's X-Number-Of-Items) reads one row per hour and counts only the range's ragged
-- edges in `events` itself: the count follows the range's length in hours, not its events.
-- Events are never deleted, and are dated when written (a process's clock may lag by minutes:
-- an hour is rolled up ten minutes after it ends).
CREATE TABLE event_counts (
    client_id   TEXT NOT NULL,
    hour        BIGINT NOT NULL,
    event_type  TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (client_id, hour, event_type)
);

-- One row (id = 1): every hour before `until` (Unix seconds) is in event_counts.
CREATE TABLE event_rollup (
    id     BIGINT PRIMARY KEY,
    until  BIGINT NOT NULL
);
