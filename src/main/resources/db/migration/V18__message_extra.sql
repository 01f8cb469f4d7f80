-- What a message carries beside its text: an answer's reasoning (a thinking model's <think> text,
-- kept apart) and its tool calls; a tool result's call id and function name.
-- {reasoning?, toolCalls?: [{id, type, function: {name, arguments}}], toolCallId?, name?}
ALTER TABLE messages ADD COLUMN extra jsonb;
