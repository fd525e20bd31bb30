-- What a resident wrote or sent lives no longer than it must.

-- A draft's files (the `media` rows not yet attached to a feedback item) live exactly as
-- long as the draft that lists them: a conversation's draft names its files' ids under
-- "media" (a JSON list). Whenever a person's conversation is saved, the unattached files
-- it no longer lists go (a flow restarted, another flow started, a file that failed to
-- download); when it is deleted (finished, cancelled, expired and purged, erased), all of
-- them go. Triggers, so that every way a conversation changes keeps the rule, at no extra
-- round trip on the path of every message.
CREATE INDEX media_draft ON media (channel, user_id) WHERE feedback_id IS NULL;

CREATE TRIGGER sessions_new_draft_media AFTER INSERT ON sessions
BEGIN
    DELETE FROM media WHERE feedback_id IS NULL AND channel = NEW.channel
        AND user_id = NEW.user_id
        AND id NOT IN (SELECT value FROM json_each(NEW.draft, '$.media'));
END;

CREATE TRIGGER sessions_changed_draft_media AFTER UPDATE OF draft ON sessions
BEGIN
    DELETE FROM media WHERE feedback_id IS NULL AND channel = NEW.channel
        AND user_id = NEW.user_id
        AND id NOT IN (SELECT value FROM json_each(NEW.draft, '$.media'));
END;

CREATE TRIGGER sessions_gone_draft_media AFTER DELETE ON sessions
BEGIN
    DELETE FROM media WHERE feedback_id IS NULL AND channel = OLD.channel
        AND user_id = OLD.user_id;
END;

-- When the sender of an item erased their data (/xoadulieu): its text, place and photos are
-- gone, and staff see "the sender deleted their data" instead (storage/erasure.py).
ALTER TABLE feedback ADD COLUMN erased_at TEXT;
