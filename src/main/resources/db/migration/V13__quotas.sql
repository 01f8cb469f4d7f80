-- Per-user answer quotas set by admins; NULL = the default of the user's role (from the config).
ALTER TABLE users ADD COLUMN quota_tokens_per_day integer CHECK (quota_tokens_per_day > 0);
ALTER TABLE users ADD COLUMN quota_requests_per_minute integer CHECK (quota_requests_per_minute > 0);
