-- Updates received from a channel that has no library to queue them for us (Zalo): each is
-- stored here, durably, before the webhook answers 200 (or right after getUpdates returned
-- it), then handled by the channel's worker. Once handled, the payload is erased at once and
-- the row is kept only as a tombstone of its message_id, so that a redelivered update is
-- recognised and ignored; tombstones are pruned after a few days.

CREATE TABLE inbound_queue (
    -- AUTOINCREMENT: ids never go back, even after pruning the newest rows, so the worker
    -- can read onwards from the last id it took.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT NOT NULL,
    message_id  TEXT NOT NULL,       -- the service's id of the message: duplicates share it
    chat_id     TEXT NOT NULL,
    payload     TEXT,                -- the update as received (JSON); NULL once handled
    received_at TEXT NOT NULL,
    handled_at  TEXT,                -- NULL = still to handle
    UNIQUE (channel, message_id)
);

-- The worker: unhandled updates of one channel, oldest first.
CREATE INDEX inbound_queue_pending ON inbound_queue (channel, id) WHERE handled_at IS NULL;
-- Pruning old tombstones.
CREATE INDEX inbound_queue_handled ON inbound_queue (handled_at) WHERE handled_at IS NOT NULL;
