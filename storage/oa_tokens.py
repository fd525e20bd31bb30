"""The Zalo OA's OAuth pair (table zalo_oa_tokens): written in the step that receives it.

Zalo's refresh tokens are single-use: the old one dies the moment a refresh answers, so the
new pair must be durable before it is used (shared/reference/zalo-oa.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, from_db_time, to_db_time, utcnow


@dataclass(frozen=True, slots=True)
class TokenPair:
    """The OA's access token, its expiry, and the refresh token that replaces it."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None
    seed: str  # SHA-256 of the operator's seed refresh token the chain started from

    def __repr__(self) -> str:  # never the tokens
        return f"<TokenPair expires_at={self.expires_at}>"


class OaTokens:
    """Repository of the OA's token pair."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, oa: str) -> TokenPair | None:
        """Return the stored pair of an OA (its app id), or None."""
        row = await self.db.fetchone(
            "SELECT access_token, refresh_token, expires_at, seed FROM zalo_oa_tokens WHERE oa = ?",
            (oa,),
        )
        if row is None:
            return None
        expires = from_db_time(row["expires_at"]) if row["expires_at"] else None
        return TokenPair(row["access_token"], row["refresh_token"], expires, row["seed"])

    async def save(self, oa: str, pair: TokenPair) -> None:
        """Store a pair, replacing the OA's previous one, committed before returning."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO zalo_oa_tokens"
                " (oa, access_token, refresh_token, expires_at, seed, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (oa) DO UPDATE SET"
                " access_token = excluded.access_token,"
                " refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,"
                " seed = excluded.seed, updated_at = excluded.updated_at",
                (
                    oa,
                    pair.access_token,
                    pair.refresh_token,
                    to_db_time(pair.expires_at) if pair.expires_at else None,
                    pair.seed,
                    to_db_time(utcnow()),
                ),
            )
