-- Users, sessions (refresh tokens), personas, chats and their message trees.

CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    username           text NOT NULL,
    password_hash      text NOT NULL,
    role               text NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
    nickname           text,
    system_prompt      text,
    preferred_model    text,
    settings           jsonb NOT NULL DEFAULT '{}'::jsonb,
    terms_accepted_at  timestamptz,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- One row per login; the refresh token is stored only as its SHA-256.
CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash  text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE personas (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL,
    content     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX personas_user ON personas (user_id, created_at);

CREATE TABLE chats (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            text NOT NULL,
    system_message   text,
    favorite         boolean NOT NULL DEFAULT false,
    current_leaf_id  uuid,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    search           tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED
);
CREATE INDEX chats_user_updated ON chats (user_id, updated_at DESC);
CREATE INDEX chats_search ON chats USING gin (search);

-- A chat is a tree: parent_id NULL marks a root; siblings are alternative branches.
CREATE TABLE messages (
    id              uuid PRIMARY KEY,
    seq             bigserial NOT NULL,
    chat_id         uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    parent_id       uuid REFERENCES messages (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content         text NOT NULL,
    status          text NOT NULL DEFAULT 'done' CHECK (status IN ('streaming', 'done', 'stopped', 'error')),
    model           text,
    usage           jsonb,
    rating          smallint CHECK (rating IN (-1, 0, 1)),
    rating_comment  text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    search          tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED
);
CREATE INDEX messages_chat ON messages (chat_id, created_at, seq);
CREATE INDEX messages_parent ON messages (parent_id);
CREATE INDEX messages_search ON messages USING gin (search);
