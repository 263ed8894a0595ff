-- +goose Up
-- Retro-hunts select events by the event's own time ('event', the
-- default for new hunts) or by when the log stored them ('stored', what
-- every hunt did before).
ALTER TABLE hunts ADD COLUMN time_basis TEXT NOT NULL DEFAULT 'stored';

-- +goose Down
ALTER TABLE hunts DROP COLUMN time_basis;
