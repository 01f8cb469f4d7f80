-- Sign-in through OpenID Connect providers.
-- An account's identities at providers: linked by (issuer, subject), never by e-mail.
CREATE TABLE user_identities (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    text NOT NULL,
    email       text,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_login  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- A sign-in on its way through a provider: its state, nonce and PKCE verifier (used once, for 10 minutes);
-- link_user: an account that asked to link this identity (the person was logged in already).
CREATE TABLE oidc_logins (
    state       text PRIMARY KEY,
    provider    text NOT NULL,
    nonce       text NOT NULL,
    verifier    text NOT NULL,
    link_user   uuid REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The one-time code a finished sign-in hands to the page (by its hash), traded once, within 60 s, for a session.
CREATE TABLE oidc_codes (
    code_hash   text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
