-- What a received medium is: a photo, or a voice note a resident spoke instead of typing
-- (kept with the item like a photo, sent to officials as audio when they open it).
ALTER TABLE media ADD COLUMN kind TEXT NOT NULL DEFAULT 'photo' CHECK (kind IN ('photo', 'voice'));
ALTER TABLE media ADD COLUMN seconds INTEGER;  -- a voice note's length, as the channel said
