-- A channel's first catch-up (its backfill) has committed. Until then its mark means nothing
-- and a catch-up reads the configured backfill; from then on the mark, even 0 (a channel that
-- was empty, or BACKFILL=0 on a channel whose top was 0), means "everything above it is new".
-- Before this column a mark of 0 stood for both, so BACKFILL=0 never left the backfill and
-- dropped every live post.

ALTER TABLE channels ADD COLUMN backfilled INTEGER NOT NULL DEFAULT 0;
UPDATE channels SET backfilled = 1 WHERE high_water > 0;
