-- Strangers the bot has refused, so each gets one polite refusal per long window even across
-- restarts, and writing to the bot again only meets silence.

CREATE TABLE refusals (
    user_id    INTEGER PRIMARY KEY,
    refused_at INTEGER NOT NULL
);
