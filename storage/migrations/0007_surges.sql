-- Surge and corroboration alerts (bot/trends).
--
-- rules.surge: the watchlist's `surge = true`, surges of this rule go to its subscribers
-- (a chat may also ask with `/subscribe surge:RULE`, a subscriptions target).
-- subscribers.surges: `/settings surges on|off` (surge and corroboration alerts).
ALTER TABLE rules ADD COLUMN surge INTEGER NOT NULL DEFAULT 0 CHECK (surge IN (0, 1));
ALTER TABLE subscribers ADD COLUMN surges INTEGER NOT NULL DEFAULT 1 CHECK (surges IN (0, 1));

-- A surge alert's chart (PNG), sent as a photo with the body as its caption where the chat
-- takes media; NULL for every other row.
ALTER TABLE outbox ADD COLUMN chart BLOB;

-- One row per surge episode of a rule: the alert is queued with the row, in one transaction,
-- and no other is raised while the episode is open (ended_at NULL). observed/expected are
-- the window's count and the baseline's prediction when it was raised.
CREATE TABLE surge_episodes (
    id          INTEGER PRIMARY KEY,
    rule_id     INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    observed    INTEGER NOT NULL,
    expected    REAL NOT NULL,
    UNIQUE (rule_id, started_at)
);
CREATE INDEX surge_episodes_open ON surge_episodes (rule_id) WHERE ended_at IS NULL;

-- The posts of every story a corroboration alert was raised for, per rule: a story that
-- holds any of them was told already, however it grows (its later posts are added too).
-- channel_id is Telegram's bare channel id, as in DigestHit.
CREATE TABLE corroborated_posts (
    rule_id     INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    alerted_at  INTEGER NOT NULL,
    PRIMARY KEY (rule_id, channel_id, message_id)
) WITHOUT ROWID;
CREATE INDEX corroborated_posts_at ON corroborated_posts (alerted_at);
