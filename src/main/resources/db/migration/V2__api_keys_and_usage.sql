-- Per-user API keys (only their SHA-256 is stored) and token usage per user, model and day.

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    prefix        text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE usage_daily (
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    model              text NOT NULL,
    day                date NOT NULL,
    requests           bigint NOT NULL DEFAULT 0,
    prompt_tokens      bigint NOT NULL DEFAULT 0,
    completion_tokens  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, model, day)
);

-- Messages still marked 'streaming' whose job is gone are found by this.
CREATE INDEX messages_streaming ON messages (updated_at) WHERE status = 'streaming';
