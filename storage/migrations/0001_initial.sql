-- Residents, staff and conversation sessions: the foundation's aggregates.

CREATE TABLE residents (
    id           INTEGER PRIMARY KEY,
    channel      TEXT,              -- NULL once the resident deleted their data
    user_id      TEXT,
    chat_id      TEXT,
    display_name TEXT,
    hamlet       TEXT,              -- kept after deletion: anonymous counts by hamlet
    language     TEXT NOT NULL DEFAULT 'vi',
    status       TEXT NOT NULL DEFAULT 'active'
                 CHECK (status IN ('active', 'stopped', 'blocked', 'deleted')),
    consent_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);
CREATE UNIQUE INDEX residents_identity ON residents (channel, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX residents_hamlet ON residents (hamlet, status);

CREATE TABLE subscriptions (
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    topic       TEXT NOT NULL,
    PRIMARY KEY (resident_id, topic)
);

CREATE TABLE staff (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL
               CHECK (role IN ('hamlet_head', 'supervisor', 'official', 'leader', 'admin')),
    hamlet     TEXT,
    source     TEXT NOT NULL DEFAULT 'cli' CHECK (source IN ('cli', 'config')),
    created_at TEXT NOT NULL,
    UNIQUE (channel, user_id)
);

CREATE TABLE sessions (
    channel    TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    flow       TEXT NOT NULL,
    step       TEXT NOT NULL,
    draft      TEXT NOT NULL DEFAULT '{}',
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id, user_id)
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
