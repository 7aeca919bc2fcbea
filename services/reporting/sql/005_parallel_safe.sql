-- The definitions are plain expressions, safe in parallel workers: so marked, a long period's
-- table is scanned by parallel workers (a function not marked so, even one inlined, keeps the
-- planner from a parallel plan).

ALTER FUNCTION @schema@.received_total(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.carried_over(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.new_total(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.new_online(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.new_counter(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.new_postal(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.refused_at_receipt(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.resolved_total(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.resolved_early(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.resolved_on_time(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.resolved_late(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.late_with_apology(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.withdrawn(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.stopped(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.pending_total(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.pending_within(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.pending_overdue(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.paused(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.ended_in(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.received(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.online_recorded(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.fully_online(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.digitised_recorded(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.papers_digitised(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.paid_recorded(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.paid_online(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.resolved_recorded(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.electronic_results(@schema@.dossier, timestamptz, timestamptz) PARALLEL SAFE;
ALTER FUNCTION @schema@.held_by(@schema@.dossier) PARALLEL SAFE;
ALTER FUNCTION @schema@.overran(jsonb, text) PARALLEL SAFE;
