-- Payments as ranges the index operators read (an array unnested per row cost the digital table
-- most of its time), and "late while held by" as a query.

ALTER TABLE @schema@.dossier
    ADD COLUMN paid tstzmultirange NOT NULL DEFAULT '{}',         -- each payment with a method
    ADD COLUMN paid_online tstzmultirange NOT NULL DEFAULT '{}';  -- of them, made online

-- The instants of the payments recorded (or of those made online), as one-instant ranges.
CREATE FUNCTION @schema@.instants(facts jsonb, online_only boolean) RETURNS tstzmultirange
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(range_agg(tstzrange(at, at, '[]')), '{}')
    FROM (SELECT to_timestamp(substr(key, 6)::double precision) AS at FROM jsonb_each(facts)
          WHERE key LIKE 'paid:%' AND (NOT online_only OR value #>> '{}' = 'online')) AS paid
$$;

CREATE FUNCTION @schema@.dossier_derive_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.paid := @schema@.instants(NEW.facts, false);
    NEW.paid_online := @schema@.instants(NEW.facts, true);
    RETURN NEW;
END $$;

-- after dossier_derive (triggers of one event fire in name order)
CREATE TRIGGER dossier_derive_payments BEFORE INSERT OR UPDATE ON @schema@.dossier
    FOR EACH ROW EXECUTE FUNCTION @schema@.dossier_derive_payments();

UPDATE @schema@.dossier SET facts = facts WHERE facts::text LIKE '%"paid:%';

-- paid_recorded / paid_online: dossiers with a fee paid in the period with its method
-- recorded, and those with a payment made online.
CREATE OR REPLACE FUNCTION @schema@.paid_recorded(d @schema@.dossier, s timestamptz,
                                                  e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT d.paid && tstzrange(s, e, '[)')
$$;

CREATE OR REPLACE FUNCTION @schema@.paid_online(d @schema@.dossier, s timestamptz,
                                                e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT d.paid_online && tstzrange(s, e, '[)')
$$;

-- Late while held by: the agencies a late dossier's lateness is attributed to (deadline's
-- late_held_by; when it names none, the receiving agency).
CREATE FUNCTION @schema@.held_by(d @schema@.dossier) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN coalesce(d.facts ->> 'held_by', '') = '' THEN ARRAY[d.agency]
                ELSE string_to_array(d.facts ->> 'held_by', ',') END
$$;

-- A late dossier's steps of one agency that overran: how many, and their working minutes past
-- the steps' due instants.
CREATE FUNCTION @schema@.overran(facts jsonb, agency text, OUT steps bigint, OUT minutes bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT count(*), coalesce(sum((step ->> 'overrun_minutes')::bigint), 0)
    FROM (SELECT (value #>> '{}')::jsonb AS step FROM jsonb_each(facts)
          WHERE key LIKE 'step:%') AS steps
    WHERE step ->> 'agency_code' = agency AND NOT (step ->> 'on_time')::boolean
$$;
