-- The saved persona a chat was started with (its text is copied into system_message, as before),
-- so that chats can be listed and deleted by persona; the link goes when the persona does.
ALTER TABLE chats ADD COLUMN persona_id uuid REFERENCES personas (id) ON DELETE SET NULL;
CREATE INDEX chats_user_persona ON chats (user_id, persona_id);
