-- The outreach library's reads and quiz answers, per resident and item.
-- Items live in content/ files, not here: rows keep the item id and its topic as text, so
-- counts by topic survive an edit of the library. A resident row is kept (anonymised) when
-- someone deletes their data, so these rows then count anonymously.

CREATE TABLE content_reads (
    resident_id   INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    item_id       TEXT NOT NULL,
    topic         TEXT NOT NULL,
    read_count    INTEGER NOT NULL DEFAULT 1 CHECK (read_count >= 1),
    first_read_at TEXT NOT NULL,
    last_read_at  TEXT NOT NULL,
    PRIMARY KEY (resident_id, item_id)
);
CREATE INDEX content_reads_topic ON content_reads (topic, last_read_at);

-- One answer per resident per item; answering again replaces it.
CREATE TABLE content_answers (
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    item_id     TEXT NOT NULL,
    topic       TEXT NOT NULL,
    answer      TEXT NOT NULL,
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (resident_id, item_id)
);
CREATE INDEX content_answers_topic ON content_answers (topic, answered_at);
