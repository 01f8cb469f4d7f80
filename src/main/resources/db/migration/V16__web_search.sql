-- Web search: a chat's default (answers search the web unless a request says otherwise), and an
-- answer's sources ({sources: [{index, title, url, snippet}], searchError?}).
ALTER TABLE chats ADD COLUMN web_search boolean NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN web jsonb;
