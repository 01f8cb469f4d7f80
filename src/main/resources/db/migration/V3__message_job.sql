-- The generation job that is writing an assistant message, so a client that reloads (or another
-- device) can re-attach to the running stream. Meaningful only while status = 'streaming'.
ALTER TABLE messages ADD COLUMN job_id text;
