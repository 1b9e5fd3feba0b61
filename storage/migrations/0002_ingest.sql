-- A counter bumped by every change that can alter which rules apply to which channel, so the
-- pipeline reloads rules and scopes only when something changed (one cheap read per batch).

CREATE TABLE watchlist_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO watchlist_version (id, version) VALUES (1, 0);

CREATE TRIGGER watchlist_rules_insert AFTER INSERT ON rules BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
CREATE TRIGGER watchlist_rules_update AFTER UPDATE ON rules BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
CREATE TRIGGER watchlist_rules_delete AFTER DELETE ON rules BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
CREATE TRIGGER watchlist_scopes_insert AFTER INSERT ON rule_scopes BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
CREATE TRIGGER watchlist_scopes_delete AFTER DELETE ON rule_scopes BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
CREATE TRIGGER watchlist_tags_insert AFTER INSERT ON channel_tags BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
CREATE TRIGGER watchlist_tags_delete AFTER DELETE ON channel_tags BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
CREATE TRIGGER watchlist_channel_keys AFTER UPDATE OF ref, username, telegram_id ON channels
WHEN old.ref IS NOT new.ref OR old.username IS NOT new.username
     OR old.telegram_id IS NOT new.telegram_id
BEGIN
    UPDATE watchlist_version SET version = version + 1;
END;
