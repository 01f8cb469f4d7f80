-- The catalog personality a chat was started with (its system prompt is copied into the chat),
-- and a user's default personality for new chats. Ids of conf/personalities files.
ALTER TABLE chats ADD COLUMN personality text;
ALTER TABLE users ADD COLUMN default_personality text;
