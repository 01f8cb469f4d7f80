-- Read-only links to a snapshot of a chat's branch. The token is the link (256 random bits);
-- a revoked link answers 404 like an unknown one. Deleting the chat deletes its links.
CREATE TABLE chat_shares (
  token       text PRIMARY KEY,
  chat_id     uuid NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title       text NOT NULL,
  messages    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  revoked_at  timestamptz
);
CREATE INDEX chat_shares_chat ON chat_shares (chat_id) WHERE revoked_at IS NULL;
