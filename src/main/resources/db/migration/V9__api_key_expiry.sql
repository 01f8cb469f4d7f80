-- An API key may expire (optional); an expired key works nowhere.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
