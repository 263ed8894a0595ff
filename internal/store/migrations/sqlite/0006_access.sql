-- +goose Up
-- An attachment belongs to the message it came with (none: it came with the
-- report itself) and is seen by whoever may see that message: the files of
-- a triager's internal note are never the reporter's to list or fetch.
-- (No REFERENCES here: SQLite cannot drop a column that has one.)
ALTER TABLE report_attachments ADD COLUMN message_id TEXT;

-- Files uploaded before this by someone other than the reporter came with
-- a staff message or note by the same person, whose body ends "Attached:
-- NAME, …": link each to the message naming it, nearest in time.
UPDATE report_attachments SET message_id = (
    SELECT m.id FROM report_messages m
    WHERE m.report_id = report_attachments.report_id AND m.author_id = report_attachments.uploaded_by
    ORDER BY CASE WHEN instr(m.body, report_attachments.filename) > 0 THEN 0 ELSE 1 END, ABS(m.created_at - report_attachments.created_at), m.id
    LIMIT 1)
WHERE uploaded_by <> 'anonymous'
  AND uploaded_by <> (SELECT COALESCE(r.researcher_id, '') FROM reports r WHERE r.id = report_attachments.report_id);

CREATE INDEX report_attachments_message ON report_attachments (message_id);

-- +goose Down
DROP INDEX report_attachments_message;
ALTER TABLE report_attachments DROP COLUMN message_id;
