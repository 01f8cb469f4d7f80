-- Files on a chat, kept in PostgreSQL so that every API node of a cluster serves them with no
-- shared disk, backups hold them, and deleting a chat deletes its files. text: what the model is
-- given (extracted once at upload; null for images). message_id: the user message they were
-- attached to (null until then).
CREATE TABLE chat_files (
  id            uuid PRIMARY KEY,
  chat_id       uuid NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  message_id    uuid REFERENCES messages(id) ON DELETE SET NULL,
  name          text NOT NULL,
  content_type  text NOT NULL,
  size          bigint NOT NULL,
  data          bytea NOT NULL,
  text          text,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX chat_files_chat ON chat_files (chat_id, created_at);
CREATE INDEX chat_files_message ON chat_files (message_id) WHERE message_id IS NOT NULL;
