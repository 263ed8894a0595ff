-- +goose Up
-- Hostnames become records of their own (issue 8 item 7): each name, or
-- wildcard "*.example.gov", has exactly one owning system, kept unique by
-- the primary key. Who may claim which name is decided in
-- internal/registry (hostname.go); the hostname → system lookup is there too.
CREATE TABLE hostnames (
    name       TEXT PRIMARY KEY,
    system_id  TEXT NOT NULL REFERENCES systems(id),
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX hostnames_system ON hostnames (system_id, position);

-- Names that several systems listed before this version. The system
-- registered first (then the smallest id) keeps each such name; every
-- other claim is dropped from its system and recorded here, so that a
-- central administrator can see what the upgrade decided
-- (GET /api/v1/hostnames/conflicts; kubu serve logs the count at start).
CREATE TABLE hostname_conflicts (
    name      TEXT NOT NULL,
    system_id TEXT NOT NULL REFERENCES systems(id),
    kept_by   TEXT NOT NULL REFERENCES systems(id),
    noted_at  INTEGER NOT NULL,
    PRIMARY KEY (name, system_id)
);

CREATE TEMPORARY TABLE hostname_claims AS
    SELECT name, system_id, MIN(pos) AS pos, created_at FROM (
        SELECT rtrim(lower(trim(j.value)), '.') AS name, s.id AS system_id, CAST(j.key AS INTEGER) AS pos, s.created_at
        FROM systems s, json_each(s.hostnames) j
        WHERE j.type = 'text'
    ) WHERE name <> '' GROUP BY name, system_id, created_at;

INSERT INTO hostnames (name, system_id, position, created_at)
    SELECT name, system_id, pos, created_at FROM (
        SELECT c.*, ROW_NUMBER() OVER (PARTITION BY name ORDER BY created_at, system_id) AS rn FROM hostname_claims c
    ) WHERE rn = 1;

INSERT INTO hostname_conflicts (name, system_id, kept_by, noted_at)
    SELECT c.name, c.system_id, h.system_id, CAST(strftime('%s', 'now') AS INTEGER) * 1000
    FROM hostname_claims c JOIN hostnames h ON h.name = c.name
    WHERE h.system_id <> c.system_id;

DROP TABLE hostname_claims;
ALTER TABLE systems DROP COLUMN hostnames;

-- +goose Down
ALTER TABLE systems ADD COLUMN hostnames TEXT NOT NULL DEFAULT '[]';
UPDATE systems SET hostnames = COALESCE((SELECT json_group_array(name) FROM
    (SELECT name FROM hostnames h WHERE h.system_id = systems.id ORDER BY position, name)), '[]');
DROP TABLE hostname_conflicts;
DROP INDEX hostnames_system;
DROP TABLE hostnames;
