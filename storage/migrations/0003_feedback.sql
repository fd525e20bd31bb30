-- Residents' feedback and petitions, their photos and their history.

CREATE TABLE media (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    user_id     TEXT,                -- uploader, until the media is attached or discarded
    ref         TEXT NOT NULL,       -- the channel's file id or URL
    data        BLOB,                -- NULL when the download failed
    size        INTEGER,
    feedback_id INTEGER REFERENCES feedback (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
);
CREATE INDEX media_feedback ON media (feedback_id);

CREATE TABLE feedback (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    channel        TEXT NOT NULL,
    resident_id    INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    notify_channel TEXT,             -- where answers go; never shown to staff
    notify_chat_id TEXT,
    submitted_by   INTEGER REFERENCES staff (id) ON DELETE SET NULL,  -- hamlet head on behalf
    on_behalf_of   TEXT,             -- who the hamlet head submitted for
    kind           TEXT NOT NULL
                   CHECK (kind IN ('question', 'petition', 'complaint', 'denunciation')),
    category       TEXT NOT NULL,
    description    TEXT NOT NULL,
    hamlet         TEXT,
    address        TEXT,
    latitude       REAL,
    longitude      REAL,
    anonymous      INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL DEFAULT 'new'
                   CHECK (status IN ('new', 'acknowledged', 'in_progress', 'answered',
                                     'resolved', 'reopened', 'transferred', 'rejected')),
    assignee_id    INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    escalated      INTEGER NOT NULL DEFAULT 0,
    deadline       TEXT NOT NULL,    -- local date, YYYY-MM-DD
    last_answer    TEXT,
    transferred_to TEXT,
    rating         INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment TEXT,
    rated_at       TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    resolved_at    TEXT
);
CREATE INDEX feedback_status ON feedback (status, deadline);
CREATE INDEX feedback_resident ON feedback (resident_id, created_at);
CREATE INDEX feedback_assignee ON feedback (assignee_id, status);

CREATE TABLE feedback_events (
    id          INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL CHECK (actor IN ('resident', 'staff', 'system')),
    staff_id    INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    staff_name  TEXT,                -- kept as written at the time
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    text        TEXT,
    internal    INTEGER NOT NULL DEFAULT 0   -- internal notes are never shown to residents
);
CREATE INDEX feedback_events_item ON feedback_events (feedback_id, id);
