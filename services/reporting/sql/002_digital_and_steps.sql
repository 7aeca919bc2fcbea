-- The facts the digital table and the steps read, derived like the rest; the digital table's
-- definitions (services/reporting/digital_reports.py) as SQL functions named after its columns.

ALTER TABLE @schema@.dossier
    ADD COLUMN fully_online boolean,          -- the receipt's, when it recorded it
    ADD COLUMN digitised boolean,             -- papers digitised at receipt, when recorded
    ADD COLUMN electronic_result boolean,     -- the resolution's, when recorded
    ADD COLUMN paid_at timestamptz[] NOT NULL DEFAULT '{}',         -- payments with a method
    ADD COLUMN paid_online_at timestamptz[] NOT NULL DEFAULT '{}',  -- of them, made online
    ADD COLUMN step_ends tstzrange;           -- [first, last] hand-off of its closed steps
CREATE INDEX dossier_step_ends ON @schema@.dossier USING gist (step_ends)
    WHERE step_ends IS NOT NULL;

CREATE OR REPLACE FUNCTION @schema@.dossier_derive() RETURNS trigger LANGUAGE plpgsql AS $$
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
    NEW.fully_online := (NEW.facts ->> 'fully_online') = '1';
    NEW.digitised := (NEW.facts ->> 'digitised') = '1';
    NEW.electronic_result := (NEW.facts ->> 'electronic_result') = '1';
    SELECT coalesce(array_agg(to_timestamp(substr(key, 6)::double precision)), '{}'),
           coalesce(array_agg(to_timestamp(substr(key, 6)::double precision))
                    FILTER (WHERE value #>> '{}' = 'online'), '{}')
      INTO NEW.paid_at, NEW.paid_online_at
      FROM jsonb_each(NEW.facts) WHERE key LIKE 'paid:%';
    SELECT tstzrange(min((value ->> 'ended_at')::timestamptz),
                     max((value ->> 'ended_at')::timestamptz), '[]')
      INTO NEW.step_ends FROM jsonb_each(NEW.facts) WHERE key LIKE 'step:%';
    RETURN NEW;
END $$;

UPDATE @schema@.dossier SET facts = facts;  -- derive the new columns of the rows held

-- received: dossiers received in the period.
CREATE FUNCTION @schema@.received(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT d.received_at >= s AND d.received_at < e
$$;

-- online_recorded / fully_online: of them, those whose receipt says whether they were filed
-- fully online, and those that were.
CREATE FUNCTION @schema@.online_recorded(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received(d, s, e) AND d.fully_online IS NOT NULL
$$;

CREATE FUNCTION @schema@.fully_online(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received(d, s, e) AND coalesce(d.fully_online, false)
$$;

-- digitised_recorded / papers_digitised: the same for the papers digitised at receipt.
CREATE FUNCTION @schema@.digitised_recorded(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received(d, s, e) AND d.digitised IS NOT NULL
$$;

CREATE FUNCTION @schema@.papers_digitised(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.received(d, s, e) AND coalesce(d.digitised, false)
$$;

-- paid_recorded / paid_online: dossiers with a fee paid in the period with its method
-- recorded, and those with a payment made online.
CREATE FUNCTION @schema@.paid_recorded(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT EXISTS (SELECT 1 FROM unnest(d.paid_at) AS at WHERE at >= s AND at < e)
$$;

CREATE FUNCTION @schema@.paid_online(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT EXISTS (SELECT 1 FROM unnest(d.paid_online_at) AS at WHERE at >= s AND at < e)
$$;

-- resolved_recorded / electronic_results: dossiers resolved in the period whose resolution
-- says whether the result was electronic, and those whose result was.
CREATE FUNCTION @schema@.resolved_recorded(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT d.ending = 'resolved' AND d.ended_at >= s AND d.ended_at < e
           AND d.electronic_result IS NOT NULL
$$;

CREATE FUNCTION @schema@.electronic_results(d @schema@.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT @schema@.resolved_recorded(d, s, e) AND d.electronic_result
$$;

-- Codes and groups in byte order whatever the database's locale, as Python sorts them (a page's
-- keyset and a table's row order are the same on every deployment).
ALTER TABLE @schema@.dossier
    ALTER COLUMN code TYPE text COLLATE "C",
    ALTER COLUMN agency TYPE text COLLATE "C",
    ALTER COLUMN level TYPE text COLLATE "C",
    ALTER COLUMN field TYPE text COLLATE "C",
    ALTER COLUMN procedure TYPE text COLLATE "C";
ALTER TABLE @schema@.rating ALTER COLUMN code TYPE text COLLATE "C";
ALTER TABLE @schema@.survey ALTER COLUMN survey_id TYPE text COLLATE "C";
ALTER TABLE @schema@.feedback ALTER COLUMN code TYPE text COLLATE "C";
