-- The range of a dossier's hand-offs, read right: a step's facts are a JSON document held as a
-- string (002 read them as an object, found no instant, and gave every dossier an unbounded
-- range, which met every period: the steps table then read every dossier). A dossier without
-- closed steps has no range.

CREATE FUNCTION @schema@.step_ends(facts jsonb) RETURNS tstzrange
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN count(*) = 0 THEN NULL ELSE tstzrange(min(ended), max(ended), '[]') END
    FROM (SELECT ((value #>> '{}')::jsonb ->> 'ended_at')::timestamptz AS ended
          FROM jsonb_each(facts) WHERE key LIKE 'step:%') AS steps
$$;

CREATE OR REPLACE FUNCTION @schema@.dossier_derive_payments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.paid := @schema@.instants(NEW.facts, false);
    NEW.paid_online := @schema@.instants(NEW.facts, true);
    NEW.step_ends := @schema@.step_ends(NEW.facts);
    RETURN NEW;
END $$;

-- only that column changes: the rows are not derived again
ALTER TABLE @schema@.dossier DISABLE TRIGGER USER;
UPDATE @schema@.dossier SET step_ends = @schema@.step_ends(facts)
    WHERE step_ends IS NOT NULL OR facts::text LIKE '%"step:%';
ALTER TABLE @schema@.dossier ENABLE TRIGGER USER;
