-- The staff console (bot/web/): one-time sign-in links, browser sessions, an audit log, and the
-- indexes the console's inbox pages need. Secrets are never stored, only their SHA-256:
-- a copy of the database does not sign anyone in.
CREATE TABLE web_tokens (
    token_hash  TEXT PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX web_tokens_expiry ON web_tokens (expires_at);

CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX web_sessions_staff ON web_sessions (staff_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- Who did what on the web, by name (kept when the staff member is later removed).
CREATE TABLE web_audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    staff_id    INTEGER,
    staff_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT,
    address     TEXT
);
CREATE INDEX web_audit_at ON web_audit (at);

-- The console's inbox is sorted by (deadline, id) and paged by keyset on it; each filter
-- column leads an index that ends in the same order, so a filtered page is one index range.
CREATE INDEX feedback_by_deadline ON feedback (deadline, id);
CREATE INDEX feedback_hamlet_deadline ON feedback (hamlet, deadline, id);
CREATE INDEX feedback_category_deadline ON feedback (category, deadline, id);
CREATE INDEX feedback_kind_deadline ON feedback (kind, deadline, id);
CREATE INDEX feedback_assignee_deadline ON feedback (assignee_id, deadline, id);
CREATE INDEX feedback_status_deadline ON feedback (status, deadline, id);
