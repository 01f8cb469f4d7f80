-- Refresh tokens that were rotated away, by hash: presenting one again means the token leaked
-- (or was stolen), so the whole session (the token's family) is revoked (OAuth 2.0 Security BCP).
CREATE TABLE refresh_history (
    hash        text PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rotated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX refresh_history_session ON refresh_history (session_id);
