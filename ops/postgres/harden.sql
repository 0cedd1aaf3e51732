-- Make the event store append-only for the application's database role (issue 5, R-AUDIT-IMMUTABLE).
--
-- Run as the role that owns the tables (never the application's role), after the tables exist:
--   psql "$OWNER_URL" -v app_role=jiebang_app -v schema=public -f ops/postgres/harden.sql
-- ops/postgres-harden.sh does all of it. The application then runs as app_role with
-- JIEBANG_CREATE_TABLES=false: it can read and append; it cannot update, delete or truncate.
\set ON_ERROR_STOP on

BEGIN;

-- The library's table lock (LOCK TABLE ... IN EXCLUSIVE MODE, which keeps commit order equal to
-- notification order) needs UPDATE privilege on the events table. So the role is granted UPDATE
-- there, and a trigger refuses every UPDATE, DELETE and TRUNCATE on the tables of record, for
-- every role; only the owner could drop the trigger, and the seals would still show the change.
CREATE OR REPLACE FUNCTION :"schema".jiebang_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'R-AUDIT-IMMUTABLE: % on %.% is refused: the record is append-only',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- The tables of record, each with both triggers: the events, seals and checkpoints; the store's
-- cryptography mode (docs/cryptography.md), written once when the store is created; and the
-- documents (docs/documents.md): content-addressed, kept once, never replaced or deleted; and the
-- log's keys (jiebang_event_keys: which events a question needs, src/jiebang_es/event_keys.py),
-- added with their events and never changed — a key deleted would hide its event.
-- One pair of statements per table, run by psql's \gexec.
SELECT format(
    'DROP TRIGGER IF EXISTS jiebang_append_only ON %1$I.%2$I; '
    'CREATE TRIGGER jiebang_append_only BEFORE UPDATE OR DELETE ON %1$I.%2$I '
    'FOR EACH ROW EXECUTE FUNCTION %1$I.jiebang_refuse_change(); '
    'DROP TRIGGER IF EXISTS jiebang_append_only_truncate ON %1$I.%2$I; '
    'CREATE TRIGGER jiebang_append_only_truncate BEFORE TRUNCATE ON %1$I.%2$I '
    'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.jiebang_refuse_change()',
    :'schema', record)
FROM unnest(ARRAY['jiebang_events', 'jiebang_seals', 'jiebang_checkpoints', 'jiebang_store',
                  'jiebang_event_keys', 'jiebang_documents', 'jiebang_document_chunks',
                  'jiebang_document_refs', 'jiebang_document_uploads'])
    AS record \gexec

-- Privileges: nothing by default, then exactly what appending and reading need.
REVOKE ALL ON :"schema".jiebang_events, :"schema".jiebang_seals, :"schema".jiebang_checkpoints,
    :"schema".jiebang_requests, :"schema".jiebang_store, :"schema".jiebang_event_keys
    FROM PUBLIC, :"app_role";
GRANT SELECT ON :"schema".jiebang_store TO :"app_role";
GRANT USAGE ON SCHEMA :"schema" TO :"app_role";
GRANT SELECT, INSERT, UPDATE ON :"schema".jiebang_events TO :"app_role";
GRANT SELECT, INSERT ON :"schema".jiebang_seals, :"schema".jiebang_checkpoints,
    :"schema".jiebang_requests, :"schema".jiebang_event_keys TO :"app_role";
REVOKE ALL ON :"schema".jiebang_documents, :"schema".jiebang_document_chunks,
    :"schema".jiebang_document_refs, :"schema".jiebang_document_uploads FROM PUBLIC, :"app_role";
GRANT SELECT, INSERT ON :"schema".jiebang_documents, :"schema".jiebang_document_chunks,
    :"schema".jiebang_document_refs, :"schema".jiebang_document_uploads TO :"app_role";
-- SELECT too: a backup made as this role (pg_dump) reads the sequence's last value.
GRANT USAGE, SELECT ON SEQUENCE :"schema".jiebang_events_notification_id_seq TO :"app_role";
-- The data subjects' keys (docs/personal-information.md) are not a table of record: a key is
-- added when a subject's first datum is recorded, and erasure sets it to NULL (crypto-shredding).
GRANT SELECT, INSERT, UPDATE ON :"schema".jiebang_subject_keys TO :"app_role";

-- The read models are derived and rebuildable: the role owns their schema outright.
SELECT CASE WHEN :'schema' = 'public' THEN 'jiebang_read' ELSE :'schema' || '_read' END
    AS read_schema \gset
CREATE SCHEMA IF NOT EXISTS :"read_schema" AUTHORIZATION :"app_role";

-- The read models' runner LISTENs on "<read schema>_events"; the role may not put a trigger on
-- the events table, so the owner installs the one that announces committed inserts.
SELECT :'read_schema' || '_events' AS channel \gset
CREATE OR REPLACE FUNCTION :"schema".jiebang_read_announce() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS jiebang_read_announce ON :"schema".jiebang_events;
CREATE TRIGGER jiebang_read_announce AFTER INSERT ON :"schema".jiebang_events
    FOR EACH STATEMENT EXECUTE FUNCTION :"schema".jiebang_read_announce(:'channel');

COMMIT;
