-- The evidence-grade record: what a post said before each edit, when and how its deletion was
-- learned, and its reach.
--
-- message_versions holds the SUPERSEDED texts of a post, oldest first; the post's current
-- text stays in messages.text (what matching, search and digests read). A post never edited
-- has no rows here and is its own version 1, so an upgraded database's current texts are
-- every post's version 1 with no copying, and ingest of new posts writes nothing extra.
-- Rows go with their post (retention, a channel's removal) by the foreign key.

CREATE TABLE message_versions (
    message_pk INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,            -- 1 for the original text
    text       TEXT NOT NULL,
    edit_date  INTEGER,                     -- Telegram's edit date of this version; NULL for the original
    seen_at    INTEGER NOT NULL,            -- when chanwatch first stored this version
    PRIMARY KEY (message_pk, version)
) WITHOUT ROWID;

-- When the current version was stored, if an edit brought it (else ingested_at).
ALTER TABLE messages ADD COLUMN edit_seen_at INTEGER;
-- When chanwatch learned of the deletion, and how: 'live' (an update), 'check' (the
-- periodic or catch-up GetMessages check found the post gone).
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_via TEXT CHECK (deleted_via IN ('live', 'check'));
-- Reach as Telegram last gave it: views, forwards, and all reactions added up.
ALTER TABLE messages ADD COLUMN views INTEGER;
ALTER TABLE messages ADD COLUMN forwards INTEGER;
ALTER TABLE messages ADD COLUMN reactions INTEGER;
ALTER TABLE messages ADD COLUMN engagement_at INTEGER;

-- Deleted posts flagged before this version keep their flag; their time was never kept.
CREATE INDEX messages_deleted ON messages (deleted_at) WHERE deleted_at IS NOT NULL;

-- '/settings changes on|off': notices when an alerted post is deleted or edited away.
ALTER TABLE subscribers ADD COLUMN changes INTEGER NOT NULL DEFAULT 1;
