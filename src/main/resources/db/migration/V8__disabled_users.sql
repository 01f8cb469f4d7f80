-- An admin can disable an account: it cannot log in, its sessions and API keys stop working,
-- its data stays (enable it again to give it back).
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
