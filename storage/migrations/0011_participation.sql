-- Dân bàn, dân kiểm tra, dân giám sát: consultations on public works, dialogues with
-- residents, and remarks of the people's supervision boards on feedback items.

CREATE TABLE consultations (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    hamlets      TEXT NOT NULL,       -- JSON list of hamlet names it concerns
    options      TEXT NOT NULL,       -- JSON list of answer labels
    closes_on    TEXT NOT NULL,       -- local date, inclusive
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'concluded')),
    conclusion   TEXT,
    created_by   INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    closed_at    TEXT,
    concluded_at TEXT
);
CREATE INDEX consultations_status ON consultations (status, closes_on);

CREATE TABLE consultation_answers (
    consultation_id INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    resident_id     INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    hamlet          TEXT,
    choice          INTEGER NOT NULL,  -- index into options
    comment         TEXT,
    answered_at     TEXT NOT NULL,
    PRIMARY KEY (consultation_id, resident_id)
);

CREATE TABLE dialogues (
    id         INTEGER PRIMARY KEY,
    topic      TEXT NOT NULL,
    place      TEXT NOT NULL,
    held_at    TEXT NOT NULL,         -- as the official typed it, e.g. "08:00 ngày 15/12/2026"
    status     TEXT NOT NULL DEFAULT 'announced' CHECK (status IN ('announced', 'published')),
    created_by INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE dialogue_questions (
    id          INTEGER PRIMARY KEY,
    dialogue_id INTEGER NOT NULL REFERENCES dialogues (id) ON DELETE CASCADE,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    hamlet      TEXT,
    text        TEXT NOT NULL,
    answer      TEXT,
    answered_by INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    answered_at TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX dialogue_questions_dialogue ON dialogue_questions (dialogue_id, id);

CREATE TABLE supervision_remarks (
    id              INTEGER PRIMARY KEY,
    feedback_id     INTEGER NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    staff_id        INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    staff_name      TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    acknowledged_by TEXT,             -- the official's name, as written at the time
    acknowledged_at TEXT
);
CREATE INDEX supervision_remarks_item ON supervision_remarks (feedback_id, id);
