-- Failed logins (and refreshes, registrations) per account and per client address, shared by every
-- API node: after too many in 15 minutes the key is locked for a while that grows, capped at 15 minutes.
CREATE TABLE login_failures (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);
