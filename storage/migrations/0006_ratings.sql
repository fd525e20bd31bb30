-- Satisfaction ratings of public services (SIPAS components) and PAPI pulse surveys.

CREATE TABLE ratings (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    desk        TEXT NOT NULL,
    service     TEXT NOT NULL,
    visit_day   TEXT NOT NULL,        -- local date: one rating per resident, desk, service, day
    visit_key   TEXT,                 -- resident|desk|service|day
    mode        TEXT NOT NULL CHECK (mode IN ('full', 'quick')),
    c1          INTEGER CHECK (c1 BETWEEN 1 AND 5),  -- access to the service
    c2          INTEGER CHECK (c2 BETWEEN 1 AND 5),  -- the procedure
    c3          INTEGER CHECK (c3 BETWEEN 1 AND 5),  -- the officials who served
    c4          INTEGER CHECK (c4 BETWEEN 1 AND 5),  -- the result
    c5          INTEGER CHECK (c5 BETWEEN 1 AND 5),  -- how feedback is received and handled
    overall     INTEGER CHECK (overall BETWEEN 1 AND 5),
    comment     TEXT,
    contact_ok  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ratings_visit ON ratings (visit_key) WHERE visit_key IS NOT NULL;
CREATE INDEX ratings_created ON ratings (created_at);

CREATE TABLE survey_answers (
    round_id    TEXT NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    hamlet      TEXT,                 -- copied at answer time
    value       INTEGER NOT NULL,     -- 1-5, or 1 (yes) / 0 (no)
    answered_at TEXT NOT NULL,
    PRIMARY KEY (round_id, resident_id, question_id)
);

CREATE TABLE survey_done (
    round_id     TEXT NOT NULL,
    resident_id  INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    completed_at TEXT NOT NULL,
    PRIMARY KEY (round_id, resident_id)
);
