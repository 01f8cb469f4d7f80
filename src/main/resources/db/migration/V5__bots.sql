-- Admin-defined assistants: a system prompt, a model (local or upstream), sampling defaults,
-- starter prompts and an image. Chats started with a bot keep a link to it; deleting the bot
-- keeps the chats (the link becomes null).
CREATE TABLE bots (
    id             uuid PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{1,50}$'),
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    system_prompt  text,
    model          text,
    settings       jsonb NOT NULL DEFAULT '{}'::jsonb,
    starters       jsonb NOT NULL DEFAULT '[]'::jsonb,
    start          boolean NOT NULL DEFAULT false,
    enabled        boolean NOT NULL DEFAULT true,
    image          bytea,
    image_type     text,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE chats ADD COLUMN bot_id uuid REFERENCES bots (id) ON DELETE SET NULL;
CREATE INDEX chats_user_bot ON chats (user_id, bot_id);
