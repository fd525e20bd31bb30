-- Outreach: residents' own quiet hours, campaign deliveries of library items, and
-- officials' broadcasts.

-- A resident's chosen quiet hours (local "HH:MM"); no row = the commune's.
CREATE TABLE resident_quiet_hours (
    resident_id INTEGER PRIMARY KEY REFERENCES residents (id) ON DELETE CASCADE,
    quiet_start TEXT NOT NULL CHECK (quiet_start GLOB '[0-2][0-9]:[0-5][0-9]'),
    quiet_end   TEXT NOT NULL CHECK (quiet_end GLOB '[0-2][0-9]:[0-5][0-9]'),
    updated_at  TEXT NOT NULL
);

-- Each library item reaches a resident through a campaign at most once. A row is written in
-- the same transaction as the item's outbox row; `firing` names the campaign firing that
-- enqueued it, so a firing run twice (a crash, a catch-up) gives nobody a second item.
CREATE TABLE content_deliveries (
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    item_id     TEXT NOT NULL,
    campaign    TEXT NOT NULL,
    firing      TEXT NOT NULL,      -- e.g. "dan-chu@2026-11-26T19:00"
    enqueued_at TEXT NOT NULL,
    PRIMARY KEY (resident_id, item_id)
);
CREATE INDEX content_deliveries_firing ON content_deliveries (firing, resident_id);
CREATE INDEX content_deliveries_item ON content_deliveries (item_id);

-- Officials' broadcasts. A draft holds what is being composed (an attachment's bytes too);
-- confirming it enqueues one outbox row per recipient (source "broadcast:<id>:") in the same
-- transaction that marks it queued. A queued broadcast whose rows are all settled gets its
-- delivery report sent to the author once, and is then done.
CREATE TABLE broadcasts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: outbox sources name it
    author_id      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    author_name    TEXT NOT NULL,      -- kept as written at the time
    author_channel TEXT NOT NULL,
    author_chat    TEXT NOT NULL,
    language       TEXT NOT NULL DEFAULT 'vi',
    text           TEXT NOT NULL DEFAULT '',
    media_kind     TEXT CHECK (media_kind IN ('photo', 'document')),
    media_name     TEXT,
    media_data     BLOB,
    audience       TEXT NOT NULL DEFAULT 'all' CHECK (audience IN ('all', 'hamlets', 'topic')),
    audience_arg   TEXT NOT NULL DEFAULT '',   -- JSON list of hamlets, or a topic
    status         TEXT NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'queued', 'cancelled', 'done')),
    recipients     INTEGER NOT NULL DEFAULT 0,
    send_at        TEXT,               -- when it goes out (UTC); quiet hours may hold some later
    created_at     TEXT NOT NULL,
    queued_at      TEXT,
    cancelled_at   TEXT,
    reported_at    TEXT
);
CREATE INDEX broadcasts_status ON broadcasts (status, send_at);
