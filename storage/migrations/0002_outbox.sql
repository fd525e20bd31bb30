-- The outbox: every push (notification, broadcast, campaign, digest, alert, survey) is a row
-- here before anything is sent. bot/delivery.py claims due rows by priority then id, sends
-- them through the channel and records the outcome. Times are UTC ISO 8601 with milliseconds
-- (backoff and retry_after are finer than a second).

CREATE TABLE outbox (
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
                                  'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,               -- NULL = due at once
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    UNIQUE (source, channel, chat_id)   -- also serves progress(source prefix) and cancel(source)
);

-- The claim: due pending rows of one channel in (priority, id) order.
CREATE INDEX outbox_claim ON outbox (channel, priority, id) WHERE status = 'pending';
-- When the next postponed row falls due.
CREATE INDEX outbox_due ON outbox (channel, not_before) WHERE status = 'pending';
-- Rows claimed and not settled: start-up recovery and drain().
CREATE INDEX outbox_sending ON outbox (channel) WHERE status = 'sending';
