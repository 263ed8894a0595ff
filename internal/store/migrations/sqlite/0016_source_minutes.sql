-- +goose Up
-- Events per minute of each log source, for the analyst's home: the
-- detection consumer adds each batch's count under the minute it was
-- received (a batch delivered again after a crash counts again: a rate to
-- watch, not a ledger). Rows older than a day are pruned.
CREATE TABLE source_minutes (
    agency    TEXT NOT NULL,
    protocol  TEXT NOT NULL,
    host      TEXT NOT NULL,
    minute    INTEGER NOT NULL,
    agency_id TEXT NOT NULL,
    events    INTEGER NOT NULL,
    PRIMARY KEY (agency, protocol, host, minute)
);
CREATE INDEX source_minutes_minute ON source_minutes (minute);

-- +goose Down
DROP TABLE source_minutes;
