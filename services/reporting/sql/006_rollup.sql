-- The processing table's roll-up: what every dossier contributes to every count, summed by
-- day, month and year and by group (agency, level, field, procedure), kept in the same
-- statement as the facts. A period's table then sums a few rows per group (its whole years,
-- months and days), whatever the history held: a year of a province is a few hundred rows,
-- not a million dossiers.
--
-- README "Definitions" say, for a period [s, e), which counts a dossier is in. Each count is
-- either a flow (something that happened in [s, e): a receipt, an ending) or a stock at an
-- instant (pending at e; carried over = pending at s). A dossier is in a stock at the instant
-- m exactly when m lies in one of its spans (since, until] (until null: still). So:
--   a flow at instant t          contributes +1 to the bucket of t's day,
--   a span (since, until]        contributes +1 to since's day and -1 to until's day,
-- and a stock at a day's start e is the sum of every bucket before e's day (t < e exactly when
-- t's day is before e's: periods start at midnight in Asia/Ho_Chi_Minh). When a dossier's facts
-- change, its old contribution is taken away and its new one added (merge_dossiers).
--
-- A dossier ended before its own receipt (no desk does that, but a log may say so) is not
-- rolled up: the processing table counts it with the definitions of 001 (its life meets the
-- period), read through the index `dossier_ended_before_receipt`.

CREATE TABLE @schema@.rollup (
    grain "char" NOT NULL,            -- 'D' a day, 'M' a month, 'Y' a year
    bucket date NOT NULL,             -- its first day
    agency text NOT NULL,
    level text NOT NULL,              -- '' when the facts had none
    field text NOT NULL,
    procedure text NOT NULL,
    new_online int NOT NULL DEFAULT 0,
    new_counter int NOT NULL DEFAULT 0,
    new_postal int NOT NULL DEFAULT 0,
    refused_at_receipt int NOT NULL DEFAULT 0,
    resolved_total int NOT NULL DEFAULT 0,
    resolved_early int NOT NULL DEFAULT 0,
    resolved_on_time int NOT NULL DEFAULT 0,
    resolved_late int NOT NULL DEFAULT 0,
    late_with_apology int NOT NULL DEFAULT 0,
    withdrawn int NOT NULL DEFAULT 0,
    stopped int NOT NULL DEFAULT 0,
    pending int NOT NULL DEFAULT 0,   -- the stocks' changes: pending_total
    overdue int NOT NULL DEFAULT 0,   -- pending_overdue
    paused int NOT NULL DEFAULT 0,    -- paused (and not overdue)
    PRIMARY KEY (grain, bucket, agency, level, field, procedure)
);

CREATE INDEX dossier_ended_before_receipt ON @schema@.dossier (code)
    WHERE ended_at < received_at AND ending <> 'refused_at_receipt';

-- Rolled up: received, and not ended before its receipt. (Refused at receipt: its own flow.)
CREATE FUNCTION @schema@.rolled_up(
    received_at timestamptz, ended_at timestamptz, ending text
) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT received_at IS NOT NULL AND ending IS DISTINCT FROM 'refused_at_receipt'
           AND (ended_at IS NULL OR ended_at >= received_at)
$$;

-- The flows: at which instant the dossier enters which count.
--   refused_at_receipt: at the refusal (never received, so in no other count);
--   new_online, new_postal, new_counter: at the receipt, by channel (new_total is their sum);
--   resolved_total (and resolved_early, resolved_on_time, resolved_late by the deadline
--   service's classification, late_with_apology), withdrawn, stopped: at the first ending.
CREATE FUNCTION @schema@.flows(
    received_at timestamptz, ended_at timestamptz, ending text, channel text,
    classification text, apology boolean
) RETURNS TABLE (at timestamptz, count text) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ended_at, 'refused_at_receipt'
        WHERE received_at IS NOT NULL AND ending = 'refused_at_receipt'
    UNION ALL
    SELECT received_at, CASE channel WHEN 'online' THEN 'new_online'
                                     WHEN 'postal' THEN 'new_postal' ELSE 'new_counter' END
        WHERE @schema@.rolled_up(received_at, ended_at, ending)
    UNION ALL
    SELECT ended_at, ending
        WHERE @schema@.rolled_up(received_at, ended_at, ending) AND ended_at IS NOT NULL
    UNION ALL
    SELECT ended_at, 'resolved_' || classification
        WHERE @schema@.rolled_up(received_at, ended_at, ending) AND ending = 'resolved'
              AND classification IN ('early', 'on_time', 'late')
    UNION ALL
    SELECT ended_at, 'late_with_apology'
        WHERE @schema@.rolled_up(received_at, ended_at, ending) AND ending = 'resolved'
              AND classification = 'late' AND apology
$$;

-- Pending at the end (pending_total): from the receipt to the first ending.
CREATE FUNCTION @schema@.pending_spans(
    received_at timestamptz, ended_at timestamptz, ending text
) RETURNS TABLE (since timestamptz, until timestamptz)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT received_at, ended_at WHERE @schema@.rolled_up(received_at, ended_at, ending)
$$;

-- pending_overdue: past a due instant by the end, even if paused since: pending, from the
-- first instant past a due instant while running.
CREATE FUNCTION @schema@.overdue_spans(
    received_at timestamptz, ended_at timestamptz, ending text, late_since timestamptz
) RETURNS TABLE (since timestamptz, until timestamptz)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT greatest(received_at, late_since), ended_at
    WHERE @schema@.rolled_up(received_at, ended_at, ending) AND late_since IS NOT NULL
          AND (ended_at IS NULL OR greatest(received_at, late_since) < ended_at)
$$;

-- paused: waiting for a supplement or a payment at the end, not overdue: pending, paused, and
-- not yet past a due instant (each pause (p, r] cut to the receipt, the ending and lateness).
CREATE FUNCTION @schema@.paused_spans(
    received_at timestamptz, ended_at timestamptz, ending text, late_since timestamptz,
    paused tstzmultirange
) RETURNS TABLE (since timestamptz, until timestamptz)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT since, until FROM (
        SELECT greatest(received_at, lower(pause)) AS since,
               least(ended_at, late_since, upper(pause)) AS until  -- least() skips nulls
        FROM unnest(paused) AS pause
        WHERE @schema@.rolled_up(received_at, ended_at, ending)
    ) AS cut WHERE until IS NULL OR since < until
$$;

-- A dossier's contribution: +1 at each flow; +1 at a span's start and -1 at its end.
CREATE FUNCTION @schema@.contributions(
    received_at timestamptz, ended_at timestamptz, ending text, channel text,
    classification text, apology boolean, late_since timestamptz, paused tstzmultirange
) RETURNS TABLE (day date, count text, delta int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, count, change FROM (
        SELECT at, count, 1 AS change
            FROM @schema@.flows(received_at, ended_at, ending, channel, classification, apology)
        UNION ALL
        SELECT moment, stock, change FROM (
            SELECT 'pending' AS stock, since, until
                FROM @schema@.pending_spans(received_at, ended_at, ending)
            UNION ALL
            SELECT 'overdue', since, until
                FROM @schema@.overdue_spans(received_at, ended_at, ending, late_since)
            UNION ALL
            SELECT 'paused', since, until
                FROM @schema@.paused_spans(received_at, ended_at, ending, late_since, paused)
        ) AS spans
        CROSS JOIN LATERAL (VALUES (since, 1), (until, -1)) AS edge(moment, change)
        WHERE moment IS NOT NULL
    ) AS contributed
$$;

-- A change to the roll-up: one count of one group moved by `delta` on `day`.
CREATE TYPE @schema@.rollup_change AS (
    agency text, level text, field text, procedure text, day date, count text, delta int
);

-- Changes summed per bucket and group (each lands in its day, its month and its year), one
-- column per count, added to the roll-up; it returns how many rows it wrote. Only sums that
-- moved are written, in key order: two writers lock the rows they share in the same order,
-- so they never deadlock.
CREATE FUNCTION @schema@.roll_up(changes @schema@.rollup_change[]) RETURNS bigint
LANGUAGE sql AS $$
    WITH written AS (
    INSERT INTO @schema@.rollup AS r
    SELECT * FROM (
        SELECT g.grain, g.bucket, c.agency, c.level, c.field, c.procedure,
               coalesce(sum(delta) FILTER (WHERE count = 'new_online'), 0) AS new_online,
               coalesce(sum(delta) FILTER (WHERE count = 'new_counter'), 0) AS new_counter,
               coalesce(sum(delta) FILTER (WHERE count = 'new_postal'), 0) AS new_postal,
               coalesce(sum(delta) FILTER (WHERE count = 'refused_at_receipt'), 0) AS refused,
               coalesce(sum(delta) FILTER (WHERE count = 'resolved'), 0) AS resolved,
               coalesce(sum(delta) FILTER (WHERE count = 'resolved_early'), 0) AS early,
               coalesce(sum(delta) FILTER (WHERE count = 'resolved_on_time'), 0) AS on_time,
               coalesce(sum(delta) FILTER (WHERE count = 'resolved_late'), 0) AS late,
               coalesce(sum(delta) FILTER (WHERE count = 'late_with_apology'), 0) AS apology,
               coalesce(sum(delta) FILTER (WHERE count = 'withdrawn'), 0) AS withdrawn,
               coalesce(sum(delta) FILTER (WHERE count = 'stopped'), 0) AS stopped,
               coalesce(sum(delta) FILTER (WHERE count = 'pending'), 0) AS pending,
               coalesce(sum(delta) FILTER (WHERE count = 'overdue'), 0) AS overdue,
               coalesce(sum(delta) FILTER (WHERE count = 'paused'), 0) AS paused
        FROM unnest(changes) AS c
        CROSS JOIN LATERAL (VALUES ('D'::"char", c.day),
                                   ('M'::"char", date_trunc('month', c.day)::date),
                                   ('Y'::"char", date_trunc('year', c.day)::date))
             AS g(grain, bucket)
        GROUP BY 1, 2, 3, 4, 5, 6
    ) AS summed
    WHERE (new_online, new_counter, new_postal, refused, resolved, early, on_time, late,
           apology, withdrawn, stopped, pending, overdue, paused)
          <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY grain, bucket, agency, level, field, procedure
    ON CONFLICT (grain, bucket, agency, level, field, procedure) DO UPDATE SET
        new_online = r.new_online + excluded.new_online,
        new_counter = r.new_counter + excluded.new_counter,
        new_postal = r.new_postal + excluded.new_postal,
        refused_at_receipt = r.refused_at_receipt + excluded.refused_at_receipt,
        resolved_total = r.resolved_total + excluded.resolved_total,
        resolved_early = r.resolved_early + excluded.resolved_early,
        resolved_on_time = r.resolved_on_time + excluded.resolved_on_time,
        resolved_late = r.resolved_late + excluded.resolved_late,
        late_with_apology = r.late_with_apology + excluded.late_with_apology,
        withdrawn = r.withdrawn + excluded.withdrawn,
        stopped = r.stopped + excluded.stopped,
        pending = r.pending + excluded.pending,
        overdue = r.overdue + excluded.overdue,
        paused = r.paused + excluded.paused
    RETURNING 1
    ) SELECT count(*) FROM written  -- the rows written
$$;

-- A dossier row's changes to the roll-up, `sign` -1 to take its contribution away.
CREATE FUNCTION @schema@.changes_of(d @schema@.dossier, sign int)
RETURNS SETOF @schema@.rollup_change LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT d.agency, coalesce(d.level, ''), coalesce(d.field, ''), coalesce(d.procedure, ''),
           c.day, c.count, sign * c.delta
    FROM @schema@.contributions(d.received_at, d.ended_at, d.ending, d.channel,
                                d.classification, d.apology, d.late_since, d.paused) AS c
    WHERE d.agency IS NOT NULL
$$;

-- A batch's facts merged into the dossiers (`facts || new facts`) and the roll-up moved from
-- each dossier's old contribution to its new one, in one statement: the old rows are read
-- (and locked, in code order) before the merge, the new ones as the merge wrote them. The
-- projection's path: one roll-up statement per batch (`reporting.merging` keeps the per-row
-- trigger below out of it).
--
-- Rows the statement's snapshot holds are updated, the others inserted; never an upsert. The
-- service applies each topic's batches on its own connection, so two batches of one dossier
-- (its receipt from one topic, its due instant from another) may be merged at the same moment.
-- An upsert that met a row committed after its statement began would update it with no old row
-- read, and count that row's contribution twice. The plain INSERT fails there instead, and the
-- statement is run again on a fresh snapshot, which reads the row as old.
CREATE FUNCTION @schema@.merge_dossiers(codes text[], new_facts jsonb[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    written bigint;
BEGIN
    IF cardinality(codes) <> (SELECT count(DISTINCT code) FROM unnest(codes) AS code) THEN
        RAISE EXCEPTION 'merge_dossiers: a dossier code is given twice; merge its facts first';
    END IF;
    PERFORM set_config('reporting.merging', 'on', true);
    LOOP
        BEGIN
            WITH batch AS (
                SELECT * FROM unnest(codes, new_facts) AS b(code, facts)
            ), old AS (
                SELECT d.* FROM @schema@.dossier d WHERE d.code = ANY(codes)
                ORDER BY d.code FOR UPDATE
            ), updated AS (
                UPDATE @schema@.dossier AS d SET facts = d.facts || b.facts
                FROM batch b WHERE d.code = b.code AND d.code IN (SELECT code FROM old)
                RETURNING d.*
            ), inserted AS (
                INSERT INTO @schema@.dossier (code, facts)
                SELECT b.code, b.facts FROM batch b
                WHERE b.code NOT IN (SELECT code FROM old)
                RETURNING *
            ), both_sides AS (
                SELECT -1 AS sign, * FROM old
                UNION ALL SELECT 1, * FROM updated
                UNION ALL SELECT 1, * FROM inserted
            )
            -- contributions in FROM, so the planner inlines the definitions (not a call per row)
            SELECT @schema@.roll_up(array_agg(ROW(
                       s.agency, coalesce(s.level, ''), coalesce(s.field, ''),
                       coalesce(s.procedure, ''), c.day, c.count, s.sign * c.delta
                   )::@schema@.rollup_change)) INTO written
            FROM both_sides s
            CROSS JOIN LATERAL @schema@.contributions(
                s.received_at, s.ended_at, s.ending, s.channel, s.classification, s.apology,
                s.late_since, s.paused) AS c
            WHERE s.agency IS NOT NULL;
            EXIT;
        EXCEPTION WHEN unique_violation THEN
            -- another batch inserted one of these dossiers after this statement began
        END;
    END LOOP;
    PERFORM set_config('reporting.merging', 'off', true);
END $$;

-- Any other write to the dossiers (an operator's UPDATE, a test writing behind the services'
-- back, a copy) moves the roll-up too, a row at a time: the roll-up is always the sum of the
-- dossiers' contributions, whoever writes them.
CREATE FUNCTION @schema@.rollup_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM @schema@.roll_up(array_agg(change)) FROM (
        SELECT @schema@.changes_of(OLD, -1) AS change WHERE TG_OP <> 'INSERT'
        UNION ALL
        SELECT @schema@.changes_of(NEW, 1) WHERE TG_OP <> 'DELETE'
    ) AS changes;
    RETURN NULL;
END $$;
CREATE TRIGGER dossier_rollup AFTER INSERT OR UPDATE OR DELETE ON @schema@.dossier
    FOR EACH ROW WHEN (current_setting('reporting.merging', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION @schema@.rollup_follow();

-- Emptying the dossiers (tests, a wipe) empties their roll-up.
CREATE FUNCTION @schema@.rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE @schema@.rollup;
    RETURN NULL;
END $$;
CREATE TRIGGER dossier_truncate AFTER TRUNCATE ON @schema@.dossier
    FOR EACH STATEMENT EXECUTE FUNCTION @schema@.rollup_truncate();

-- The dossiers already held, rolled up once, an agency at a time.
DO $$
DECLARE
    one text;
BEGIN
    FOR one IN SELECT DISTINCT agency FROM @schema@.dossier WHERE agency IS NOT NULL LOOP
        PERFORM @schema@.roll_up(array_agg(change)) FROM (
            SELECT @schema@.changes_of(d, 1) AS change FROM @schema@.dossier d
            WHERE d.agency = one
        ) AS changes;
    END LOOP;
END $$;
