-- The server's mode, one row for the whole cluster: normal, maintenance (no new answers) or
-- read-only (no writes at all), with the message people see and since when.
CREATE TABLE system_status (
  id          smallint PRIMARY KEY CHECK (id = 1),
  mode        text NOT NULL CHECK (mode IN ('normal', 'maintenance', 'read-only')),
  message     text NOT NULL DEFAULT '',
  since       timestamptz NOT NULL DEFAULT clock_timestamp(),
  changed_by  uuid REFERENCES users(id) ON DELETE SET NULL
);
INSERT INTO system_status (id, mode) VALUES (1, 'normal');
