-- The Zalo Official Account's OAuth pair. Each refresh token works once: the pair a refresh
-- returns is written here in the same step that receives it, before the access token is
-- used, so a crash right after a refresh never loses the only refresh token that still works.
-- One row per OA (one OA per commune today).

CREATE TABLE zalo_oa_tokens (
    oa          TEXT PRIMARY KEY,    -- the app id the pair belongs to
    access_token   TEXT NOT NULL,   -- '' until the first refresh
    refresh_token  TEXT NOT NULL,
    expires_at  TEXT,                -- when the access token expires (UTC); NULL: none yet
    seed        TEXT NOT NULL,       -- SHA-256 of LOAXA_ZALO_OA_REFRESH_TOKEN it came from
    updated_at  TEXT NOT NULL
);
