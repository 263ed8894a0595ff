-- +goose Up
-- Alerts carry the system their host belongs to (registry's hostname
-- lookup, when the system is of the alert's agency; '' when none), and
-- level_rank moves to the one severity ranking (package severity:
-- informational 1 … critical 5; it was 0 … 4).
ALTER TABLE alerts ADD COLUMN system_id TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_system ON alerts (system_id, id);
UPDATE alerts SET level_rank = level_rank + 1;

-- +goose Down
UPDATE alerts SET level_rank = level_rank - 1;
DROP INDEX alerts_system;
ALTER TABLE alerts DROP COLUMN system_id;
