-- Public disclosures (công khai): documents the commune publishes for residents.
-- A publication is never deleted: withdrawing it records who, when and why, hides it from
-- residents and keeps it listed for staff. The trigger below refuses a DELETE outright.

CREATE TABLE publications (
    id                INTEGER PRIMARY KEY,
    category          TEXT NOT NULL
                      CHECK (category IN ('budget', 'land-use', 'poor-households', 'dialogue',
                                          'investment', 'other')),
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL,
    published_by      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    published_by_name TEXT NOT NULL,     -- kept as written at the time
    published_at      TEXT NOT NULL,
    pushed            INTEGER NOT NULL DEFAULT 0,  -- announced to subscribers
    withdrawn_at      TEXT,
    withdrawn_by      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    withdrawn_by_name TEXT,
    withdraw_reason   TEXT,
    CHECK ((withdrawn_at IS NULL) = (withdraw_reason IS NULL))
);
CREATE INDEX publications_shown ON publications (category, published_at) WHERE withdrawn_at IS NULL;
CREATE INDEX publications_published ON publications (published_at);
CREATE INDEX publications_withdrawn ON publications (withdrawn_at) WHERE withdrawn_at IS NOT NULL;

CREATE TRIGGER publications_never_deleted BEFORE DELETE ON publications
BEGIN
    SELECT RAISE(ABORT, 'publications are never deleted: withdraw them instead');
END;

-- The files of a publication (a PDF, or photos of the posted pages), in order. While an
-- official is still composing, a file has no publication yet and belongs to its uploader.
CREATE TABLE publication_files (
    id             INTEGER PRIMARY KEY,
    publication_id INTEGER REFERENCES publications (id),
    uploader       TEXT,                 -- "channel:user_id" while the draft is unsent
    position       INTEGER NOT NULL DEFAULT 0,
    kind           TEXT NOT NULL CHECK (kind IN ('document', 'photo')),
    filename       TEXT NOT NULL,
    size           INTEGER NOT NULL,
    data           BLOB NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX publication_files_of ON publication_files (publication_id, position);
CREATE INDEX publication_files_draft ON publication_files (uploader) WHERE publication_id IS NULL;

-- Residents who opened a publication (first time only): "residents reached with disclosures".
CREATE TABLE publication_views (
    publication_id INTEGER NOT NULL REFERENCES publications (id),
    resident_id    INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    first_at       TEXT NOT NULL,
    PRIMARY KEY (publication_id, resident_id)
);
CREATE INDEX publication_views_when ON publication_views (first_at);
