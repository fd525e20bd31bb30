-- The audit of staff actions: one row per action an official or a supervisor takes on an
-- item, from the chat or the web console (`via`), with who did it. The item's own history
-- (feedback_events) says what happened to the item; this says who acted, where and when.
CREATE TABLE staff_actions (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    staff_id INTEGER,
    staff_name TEXT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('chat', 'web')),
    action TEXT NOT NULL,
    item_code TEXT NOT NULL
);
CREATE INDEX staff_actions_item ON staff_actions (item_code, id);
