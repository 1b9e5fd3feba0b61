-- chanwatch schema, version 1. Times are INTEGER unix seconds (UTC).

CREATE TABLE channels (
    id           INTEGER PRIMARY KEY,
    telegram_id  INTEGER UNIQUE,            -- bare positive channel id (Telethon's Channel.id)
    ref          TEXT UNIQUE,               -- canonical reference the operator gave; NULL for channels only seen in exports
    username     TEXT,
    title        TEXT,
    access_hash  INTEGER,
    watched      INTEGER NOT NULL DEFAULT 0 CHECK (watched IN (0, 1)),
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'ok', 'joining', 'waiting', 'failed')),
    state_detail TEXT,
    wait_until   INTEGER,
    high_water   INTEGER NOT NULL DEFAULT 0,  -- highest message id committed
    last_post_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX channels_username ON channels (username);

CREATE TABLE channel_tags (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    PRIMARY KEY (channel_id, tag)
) WITHOUT ROWID;
CREATE INDEX channel_tags_tag ON channel_tags (tag);

CREATE TABLE rules (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    query      TEXT NOT NULL,
    priority   TEXT NOT NULL DEFAULT 'digest' CHECK (priority IN ('instant', 'digest')),
    paused     INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE rule_scopes (
    rule_id INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    scope   TEXT NOT NULL,                  -- a canonical channel ref or 'tag:NAME'
    PRIMARY KEY (rule_id, scope)
) WITHOUT ROWID;

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    channel_id         INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    message_id         INTEGER NOT NULL,
    date               INTEGER NOT NULL,
    edit_date          INTEGER,
    text               TEXT NOT NULL DEFAULT '',
    forward_from       TEXT,
    forward_channel_id INTEGER,
    forward_message_id INTEGER,
    grouped_id         INTEGER,
    reply_to           INTEGER,
    has_media          INTEGER NOT NULL DEFAULT 0,
    deleted            INTEGER NOT NULL DEFAULT 0,
    ingested_at        INTEGER NOT NULL,
    UNIQUE (channel_id, message_id)
);
CREATE INDEX messages_date ON messages (date);
CREATE INDEX messages_grouped ON messages (channel_id, grouped_id) WHERE grouped_id IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE hits (
    id         INTEGER PRIMARY KEY,
    message_pk INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    rule_id    INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    matched    TEXT NOT NULL DEFAULT '{}',  -- JSON: {"spans": [[s, e], ...], "words": [...]}
    date       INTEGER NOT NULL,            -- the message's date, copied so digests need no join to filter
    created_at INTEGER NOT NULL,
    after_edit INTEGER NOT NULL DEFAULT 0,  -- 1 when the hit appeared only after an edit
    UNIQUE (message_pk, rule_id)
);
CREATE INDEX hits_rule_date ON hits (rule_id, date);
CREATE INDEX hits_date ON hits (date);

CREATE TABLE subscribers (
    chat_id         INTEGER PRIMARY KEY,    -- Telegram marked peer id (users > 0, groups < 0)
    kind            TEXT NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'group', 'channel')),
    title           TEXT,
    active          INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    timezone        TEXT,
    quiet_start     TEXT,                   -- 'HH:MM' local, NULL when no quiet hours
    quiet_end       TEXT,
    instant         INTEGER NOT NULL DEFAULT 1,
    digest_schedule TEXT NOT NULL DEFAULT 'daily 08:00,20:00',
    digest_empty    INTEGER NOT NULL DEFAULT 0,  -- send "nothing new" for an empty period
    last_digest_at  INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE allowed_users (
    user_id    INTEGER PRIMARY KEY,
    username   TEXT,
    added_by   TEXT NOT NULL,
    added_at   INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    chat_id    INTEGER NOT NULL REFERENCES subscribers (chat_id) ON DELETE CASCADE,
    target     TEXT NOT NULL,               -- 'rule:NAME', 'tag:NAME' or 'all'
    created_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, target)
) WITHOUT ROWID;

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    dedup_key   TEXT NOT NULL UNIQUE,       -- e.g. 'alert:<chat>:<hit>' or 'digest:<chat>:<since>:<until>'
    chat_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('alert', 'digest', 'notice')),
    body        TEXT NOT NULL,              -- Telegram HTML, at most 4096 characters
    not_before  INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    telegram_message_id INTEGER
);
CREATE INDEX outbox_pending ON outbox (status, not_before, chat_id, id);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,                   -- 'cli' or a Telegram user id
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'       -- JSON
);

CREATE TABLE service_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
