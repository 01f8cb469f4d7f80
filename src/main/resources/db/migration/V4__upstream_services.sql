-- Upstream OpenAI-compatible services that serve models beside the local ones. The API key is
-- stored encrypted (AES-GCM with a key kept beside the JWT secret, or SERVICES_KEY).
CREATE TABLE upstream_services (
    id              uuid PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9-]+$'),
    base_url        text NOT NULL,
    api_key_enc     text,
    enabled         boolean NOT NULL DEFAULT true,
    models          jsonb,
    timeout_ms      integer NOT NULL DEFAULT 60000,
    max_concurrent  integer NOT NULL DEFAULT 8,
    headers         jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
