-- Feedback about a whole chat (one per user and chat; sending again replaces it). It outlives
-- the chat, so admins still see it after the chat is deleted.
CREATE TABLE chat_feedback (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  chat_id     uuid REFERENCES chats(id) ON DELETE SET NULL,
  chat_title  text NOT NULL,
  rating      smallint NOT NULL CHECK (rating IN (-1, 1)),
  comment     text,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX chat_feedback_one ON chat_feedback (user_id, chat_id) WHERE chat_id IS NOT NULL;
CREATE INDEX chat_feedback_time ON chat_feedback (created_at DESC);

-- Tickets about a chat, with a snapshot of the messages they are about (kept when the chat is
-- deleted), and the replies of the user and the admins.
CREATE TABLE tickets (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  chat_id     uuid REFERENCES chats(id) ON DELETE SET NULL,
  chat_title  text NOT NULL,
  subject     text NOT NULL,
  description text NOT NULL,
  messages    jsonb NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX tickets_user ON tickets (user_id, created_at DESC);
CREATE INDEX tickets_status ON tickets (status, updated_at DESC);

CREATE TABLE ticket_replies (
  id          uuid PRIMARY KEY,
  ticket_id   uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  author_id   uuid REFERENCES users(id) ON DELETE SET NULL,
  from_admin  boolean NOT NULL,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ticket_replies_ticket ON ticket_replies (ticket_id, created_at);
