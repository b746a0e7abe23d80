-- Issue 12, part 2: staff security training. One row per quiz taken, never updated (a pass or
-- a failed attempt); business columns only: ids, a lesson code, a language code, counts and a
-- time. A row lives in its trainee's shop's scope (shop_id), or in the org scope for org-wide
-- staff (shop_id = ''), so a shop's device records its own staff's training and no one else's.
CREATE TABLE training_results (
    id       TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL REFERENCES users(id),
    shop_id  TEXT NOT NULL DEFAULT '',
    lesson   TEXT NOT NULL CHECK (length(lesson) BETWEEN 1 AND 40),
    lang     TEXT NOT NULL CHECK (length(lang) BETWEEN 1 AND 16),
    passed   INTEGER NOT NULL CHECK (passed IN (0, 1)),
    correct  INTEGER NOT NULL CHECK (correct >= 0),
    total    INTEGER NOT NULL CHECK (total > 0 AND correct <= total),
    taken_at INTEGER NOT NULL
) STRICT;
CREATE INDEX training_results_user ON training_results(user_id, passed, lesson, taken_at);
