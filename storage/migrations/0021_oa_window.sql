-- The Zalo OA's 7-day window (shared/reference/zalo-oa.md §3): a consultation message may go
-- only to a follower who interacted with the OA lately. The outbox learns each follower's
-- last interaction, and a push outside the window is 'held' (neither retried nor failed)
-- until the follower writes again. `billing` says whether a sent OA push fell in the free
-- hours after the interaction or after them (billable), for the weekly digest.
--
-- SQLite cannot change a CHECK in place: the outbox is rebuilt with its indexes.

CREATE TABLE oa_interactions (
    chat_id  TEXT PRIMARY KEY,      -- the OA-scoped user id (outbox.chat_id of channel zalo_oa)
    last_at  TEXT NOT NULL          -- UTC ISO 8601, Zalo's timestamp of the event
);

CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL
                CHECK (kind IN ('notify', 'broadcast', 'campaign', 'digest', 'alert', 'survey',
                                'reply')),
    source      TEXT NOT NULL,      -- idempotency key, e.g. 'broadcast:12'
    priority    INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 0 AND 9),  -- 0 = most urgent
    payload     TEXT NOT NULL,      -- JSON of bot.messages.reply_to_dict
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable',
                                  'cancelled', 'held')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,               -- NULL = due at once
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    billing     TEXT CHECK (billing IN ('free', 'paid')),  -- sent OA pushes only
    UNIQUE (source, channel, chat_id)   -- also serves progress(source prefix) and cancel(source)
);
INSERT INTO outbox_new (id, channel, chat_id, resident_id, kind, source, priority, payload,
                        status, attempts, not_before, last_error, created_at, sent_at)
    SELECT id, channel, chat_id, resident_id, kind, source, priority, payload, status,
           attempts, not_before, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

CREATE INDEX outbox_claim ON outbox (channel, priority, id) WHERE status = 'pending';
CREATE INDEX outbox_due ON outbox (channel, not_before) WHERE status = 'pending';
CREATE INDEX outbox_sending ON outbox (channel) WHERE status = 'sending';
CREATE INDEX outbox_delivered ON outbox (sent_at, kind, resident_id) WHERE status = 'sent';
CREATE INDEX outbox_unreachable ON outbox (created_at) WHERE status = 'unreachable';
-- A follower's held rows, oldest first, when they write again.
CREATE INDEX outbox_held ON outbox (chat_id, id) WHERE status = 'held';
-- Sent OA pushes per billing, for the digest.
CREATE INDEX outbox_billed ON outbox (sent_at, billing) WHERE billing IS NOT NULL;
