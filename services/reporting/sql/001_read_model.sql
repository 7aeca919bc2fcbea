-- Reporting's read model: the facts each event sets, and the definitions of README's
-- "Definitions" written once, as SQL functions named after the columns.
-- `@schema@` is the keyspace's schema (a rebuild fills a fresh one, then switches to it).

-- A dossier's facts, keyed by what set them, exactly as the events set them (the same keys as
-- services/reporting/dossier_facts.py `update_of`): "agency", "received_at", "due:<epoch the
-- due instant took effect>", "pause:<epoch>" ("p" paused, "r" resumed), "ended:<kind>",
-- "classification", "apology", "held_by", "step:<index>", "paid:<epoch>", the service index's
-- flags. An event's effect is `facts || its facts`: an order-free, idempotent merge.
-- The other columns are derived from `facts` on every write (dossier_derive), so a query never
-- parses the facts.
CREATE TABLE @schema@.dossier (
    code text PRIMARY KEY,
    facts jsonb NOT NULL,
    agency text,
    level text,
    field text,
    procedure text,
    channel text,
    received_at timestamptz,          -- null until the receipt is known: not a dossier yet
    ended_at timestamptz,             -- the first ending (the earliest wins)
    ending text,                      -- its kind: resolved, withdrawn, stopped, refused_at_receipt
    classification text,              -- deadline's: early, on_time, late
    apology boolean NOT NULL DEFAULT false,
    late_since timestamptz,           -- the first instant past a due instant while running
    paused tstzmultirange NOT NULL DEFAULT '{}',  -- instants m with "paused just before m"
    life tstzrange                    -- [received, ended]: the periods the dossier counts in
);
CREATE INDEX dossier_life ON @schema@.dossier USING gist (life);
CREATE INDEX dossier_agency_code ON @schema@.dossier (agency, code);

-- The due instant in force at `moment`: set by the last change that took effect by then.
CREATE FUNCTION @schema@.due_at(facts jsonb, moment timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT (value #>> '{}')::timestamptz FROM jsonb_each(facts)
    WHERE key LIKE 'due:%' AND to_timestamp(substr(key, 5)::double precision) <= moment
    ORDER BY to_timestamp(substr(key, 5)::double precision) DESC LIMIT 1
$$;

-- Paused just before `moment` (or just after it, changes at `moment` included): the state the
-- last pause or resume before it left. At one instant a resume sorts before a pause.
CREATE FUNCTION @schema@.paused_at(facts jsonb, moment timestamptz, including boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((
        SELECT value #>> '{}' = 'p' FROM jsonb_each(facts)
        WHERE key LIKE 'pause:%' AND (to_timestamp(substr(key, 7)::double precision) < moment
              OR including AND to_timestamp(substr(key, 7)::double precision) = moment)
        ORDER BY to_timestamp(substr(key, 7)::double precision) DESC, value #>> '{}' = 'p' DESC
        LIMIT 1), false)
$$;

-- Lateness cannot be undone: the first instant the dossier was past its due instant while
-- running, whatever came after (a restart, a resume, a pause). Walks the instants at which the
-- due instant or the pause state changed; from each running one, the due instant in force is
-- crossed at max(change, due); the first crossing before the next change is the answer.
CREATE FUNCTION @schema@.late_since(facts jsonb) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    changes timestamptz[];
    due timestamptz;
    crossed timestamptz;
BEGIN
    SELECT array_agg(DISTINCT to_timestamp(substr(key, strpos(key, ':') + 1)::double precision)
                     ORDER BY to_timestamp(substr(key, strpos(key, ':') + 1)::double precision))
      INTO changes FROM jsonb_each(facts) WHERE key LIKE 'due:%' OR key LIKE 'pause:%';
    IF changes IS NULL THEN RETURN NULL; END IF;
    FOR i IN 1 .. array_length(changes, 1) LOOP
        due := @schema@.due_at(facts, changes[i]);
        CONTINUE WHEN due IS NULL OR @schema@.paused_at(facts, changes[i], true);
        crossed := greatest(changes[i], due);
        IF i = array_length(changes, 1) OR crossed < changes[i + 1] THEN RETURN crossed; END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- The instants m at which the dossier was paused just before m: (pause, resume] ranges.
CREATE FUNCTION @schema@.paused_ranges(facts jsonb) RETURNS tstzmultirange
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    change record;
    since timestamptz;
    ranges tstzrange[] := '{}';
BEGIN
    FOR change IN
        SELECT to_timestamp(substr(key, 7)::double precision) AS at, value #>> '{}' = 'p' AS paused
        FROM jsonb_each(facts) WHERE key LIKE 'pause:%' ORDER BY 1, 2
    LOOP
        IF change.paused AND since IS NULL THEN
            since := change.at;
        ELSIF NOT change.paused AND since IS NOT NULL THEN
            ranges := ranges || tstzrange(since, change.at, '(]');
            since := NULL;
        END IF;
    END LOOP;
    IF since IS NOT NULL THEN ranges := ranges || tstzrange(since, NULL, '()'); END IF;
    RETURN tstzmultirange(VARIADIC ranges);
END $$;

CREATE FUNCTION @schema@.dossier_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.agency := NEW.facts ->> 'agency';
    NEW.level := NEW.facts ->> 'level';
    NEW.field := NEW.facts ->> 'field';
    NEW.procedure := NEW.facts ->> 'procedure';
    NEW.channel := NEW.facts ->> 'channel';
    NEW.received_at := (NEW.facts ->> 'received_at')::timestamptz;
    -- the first ending: the earliest instant (then the kind, as the Python facts sort them)
    SELECT (value #>> '{}')::timestamptz, substr(key, 7) INTO NEW.ended_at, NEW.ending
      FROM jsonb_each(NEW.facts) WHERE key LIKE 'ended:%' ORDER BY 1, 2 LIMIT 1;
    NEW.classification := NEW.facts ->> 'classification';
    NEW.apology := coalesce(NEW.facts ->> 'apology' = '1', false);
    NEW.late_since := @schema@.late_since(NEW.facts);
    NEW.paused := @schema@.paused_ranges(NEW.facts);
    NEW.life := CASE
        WHEN NEW.received_at IS NULL THEN NULL
        WHEN NEW.ending = 'refused_at_receipt' THEN tstzrange(NEW.ended_at, NEW.ended_at, '[]')
        WHEN NEW.ended_at IS NULL THEN tstzrange(NEW.received_at, NULL, '[)')  -- open
        ELSE tstzrange(NEW.received_at, greatest(NEW.received_at, NEW.ended_at), '[]') END;
    RETURN NEW;
END $$;

CREATE TRIGGER dossier_derive BEFORE INSERT OR UPDATE ON @schema@.dossier
    FOR EACH ROW EXECUTE FUNCTION @schema@.dossier_derive();

-- README "Definitions", one function per count column of the processing table, for a period
-- [s, e). Each is a plain expression, so PostgreSQL inlines it into the queries.

-- Refused at receipt: never received, so in no other column; counted in the period of the
-- refusal.
CREATE FUNCTION @schema@.refused_at_receipt(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT d.received_at IS NOT NULL AND d.ending IS NOT DISTINCT FROM 'refused_at_receipt'
           AND d.ended_at >= s AND d.ended_at < e
$$;

-- Received (received_total): received before the end and not ended before the start.
CREATE FUNCTION @schema@.received_total(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT d.received_at IS NOT NULL AND d.ending IS DISTINCT FROM 'refused_at_receipt'
           AND d.received_at < e AND (d.ended_at IS NULL OR d.ended_at >= s)
$$;

-- carried_over: received before the period and not ended before it.
CREATE FUNCTION @schema@.carried_over(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received_total(d, s, e) AND d.received_at < s
$$;

-- new_total: received in the period; = new_online + new_counter + new_postal.
CREATE FUNCTION @schema@.new_total(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received_total(d, s, e) AND d.received_at >= s
$$;

CREATE FUNCTION @schema@.new_online(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.new_total(d, s, e) AND d.channel = 'online'
$$;

CREATE FUNCTION @schema@.new_postal(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.new_total(d, s, e) AND d.channel = 'postal'
$$;

-- new_counter: every other channel (the counter).
CREATE FUNCTION @schema@.new_counter(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.new_total(d, s, e) AND d.channel NOT IN ('online', 'postal')
$$;

-- Ended in the period: resolved_total (of which early, on time, late by the deadline
-- service's classification, and late_with_apology), withdrawn, stopped.
CREATE FUNCTION @schema@.ended_in(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received_total(d, s, e) AND d.ended_at < e
$$;

CREATE FUNCTION @schema@.resolved_total(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.ended_in(d, s, e) AND d.ending = 'resolved'
$$;

CREATE FUNCTION @schema@.resolved_early(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.resolved_total(d, s, e) AND d.classification = 'early'
$$;

CREATE FUNCTION @schema@.resolved_on_time(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.resolved_total(d, s, e) AND d.classification = 'on_time'
$$;

CREATE FUNCTION @schema@.resolved_late(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.resolved_total(d, s, e) AND d.classification = 'late'
$$;

CREATE FUNCTION @schema@.late_with_apology(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.resolved_late(d, s, e) AND d.apology
$$;

CREATE FUNCTION @schema@.withdrawn(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.ended_in(d, s, e) AND d.ending = 'withdrawn'
$$;

CREATE FUNCTION @schema@.stopped(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.ended_in(d, s, e) AND d.ending = 'stopped'
$$;

-- Pending at the end (pending_total) = pending_overdue + paused + pending_within.
CREATE FUNCTION @schema@.pending_total(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received_total(d, s, e) AND (d.ended_at IS NULL OR d.ended_at >= e)
$$;

-- pending_overdue: past a due instant by the end, even if paused since.
CREATE FUNCTION @schema@.pending_overdue(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.pending_total(d, s, e) AND coalesce(d.late_since < e, false)
$$;

-- paused: waiting for a supplement or a payment at the end, not overdue.
CREATE FUNCTION @schema@.paused(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.pending_total(d, s, e) AND NOT coalesce(d.late_since < e, false)
           AND d.paused @> e
$$;

CREATE FUNCTION @schema@.pending_within(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.pending_total(d, s, e) AND NOT coalesce(d.late_since < e, false)
           AND NOT d.paused @> e
$$;

-- Each dossier's latest rating (the later one wins, whatever the order).
CREATE TABLE @schema@.rating (
    code text PRIMARY KEY,
    rated_at timestamptz NOT NULL,
    facts jsonb NOT NULL
);
CREATE INDEX rating_rated_at ON @schema@.rating (rated_at);

-- Periodic surveys, keyed by their event id (a redelivery is the same survey).
CREATE TABLE @schema@.survey (
    survey_id text PRIMARY KEY,
    answered_at timestamptz NOT NULL,
    facts jsonb NOT NULL
);
CREATE INDEX survey_answered_at ON @schema@.survey (answered_at);

-- Feedback's facts, merged as the dossiers' are; `closed_at`: the earliest answer.
CREATE TABLE @schema@.feedback (
    code text PRIMARY KEY,
    facts jsonb NOT NULL,
    closed_at timestamptz
);
CREATE INDEX feedback_closed_at ON @schema@.feedback (closed_at);

-- Each running instance's marker: gone (the database or the schema dropped) means the read
-- model was lost, and the instance replays its topics (shared/state_guard.py).
CREATE TABLE @schema@.alive (instance text PRIMARY KEY);
