-- +goose Up
-- Issue 15 (several nodes on a NATS cluster).
-- The correlation's saved position is a stream sequence, meaningful only in
-- the stream incarnation it was read from (eventlog.Log.StreamID): when the
-- stream is replaced the position starts over instead of skipping the new
-- stream's first batches. '' (saved before this migration) adopts the
-- stream found at the next start.
ALTER TABLE correlation_state ADD COLUMN stream_id TEXT NOT NULL DEFAULT '';

-- HEC indexer acknowledgement, shared by every node: a channel's ack ids
-- come from one counter (unique across nodes and restarts), and an id
-- issued by one node is answered true by any node, once. A channel belongs
-- to the intake token that used it.
CREATE TABLE hec_ack_channels (
    token_id TEXT NOT NULL,
    channel  TEXT NOT NULL,
    next_id  INTEGER NOT NULL,
    used_at  INTEGER NOT NULL,
    PRIMARY KEY (token_id, channel)
);
CREATE INDEX hec_ack_channels_used ON hec_ack_channels (used_at);
CREATE TABLE hec_acks (
    token_id   TEXT NOT NULL,
    channel    TEXT NOT NULL,
    ack_id     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, channel, ack_id)
);
CREATE INDEX hec_acks_created ON hec_acks (created_at);

-- +goose Down
DROP TABLE hec_acks;
DROP TABLE hec_ack_channels;
ALTER TABLE correlation_state DROP COLUMN stream_id;
