-- Destinations: places beyond Telegram that receive alerts and digests (a JSON webhook, or a
-- notification service through Apprise: ntfy, Matrix, Slack, Discord, email). A destination
-- is a subscriber of its own kind; its rows go through the same outbox as Telegram's.
--
-- url is kept as the operator wrote it: secrets appear in it only as ${VARIABLE} references,
-- expanded from the environment when sending, so the database, export and status never hold
-- them. failing_since is the first failure of the current run of failures (NULL after a
-- success): a destination failing for a day is made inactive with the reason.

CREATE TABLE destinations (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    url             TEXT NOT NULL,
    format          TEXT NOT NULL DEFAULT 'markdown' CHECK (format IN ('markdown', 'html', 'text')),
    secret_env      TEXT,                   -- webhooks: the variable holding the HMAC key
    instant         INTEGER NOT NULL DEFAULT 1 CHECK (instant IN (0, 1)),
    digest_schedule TEXT,                   -- NULL: no digests
    per_minute      INTEGER NOT NULL DEFAULT 30 CHECK (per_minute > 0),
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    inactive_reason TEXT,
    failing_since   INTEGER,
    last_error      TEXT,
    last_digest_at  INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE destination_targets (
    destination_id INTEGER NOT NULL REFERENCES destinations (id) ON DELETE CASCADE,
    target         TEXT NOT NULL,           -- 'rule:NAME', 'tag:NAME' or 'all'
    PRIMARY KEY (destination_id, target)
) WITHOUT ROWID;

-- A destination's outbox rows name it here (chat_id is 0: no Telegram chat); the Telegram
-- deliverer takes only rows without one. Removing a destination removes its rows.
ALTER TABLE outbox ADD COLUMN destination_id INTEGER REFERENCES destinations (id) ON DELETE CASCADE;
CREATE INDEX outbox_destination ON outbox (destination_id, status, id) WHERE destination_id IS NOT NULL;
