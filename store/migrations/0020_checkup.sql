-- Issue 12, part 4: the periodic security check-up (store/checkup.go). Org scope, written on
-- owner devices; business columns only: codes, ids, dates, counts.

-- One run: when, what it covered (configuration changes since the run before), who or what
-- started it, on which device and Spoke version, and its findings (a JSON array of findings:
-- key, source, kind, severity, arguments that are ids, codes, dates and numbers, status).
CREATE TABLE checkup_runs (
    id        TEXT PRIMARY KEY,
    at        INTEGER NOT NULL,
    since     INTEGER NOT NULL DEFAULT 0,   -- the previous run's time; 0 for the first
    run_by    TEXT NOT NULL,                -- a user id
    device_id TEXT NOT NULL,
    trigger   TEXT NOT NULL,                -- manual, scheduled
    version   TEXT NOT NULL,                -- the Spoke version that ran it
    findings  TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX checkup_runs_at ON checkup_runs(at);

-- The owner's decision on a finding of a run: fixed or accepted. Insert-only. The note a
-- person typed is not here: it is the sealed reason of the decision's audit entry
-- (device_id, note_seq), under a key of its own wrapped under the org key (reasons.go).
CREATE TABLE checkup_decisions (
    id         TEXT PRIMARY KEY,
    run_id     TEXT NOT NULL,
    finding    TEXT NOT NULL,               -- the finding's key
    decision   TEXT NOT NULL,               -- fixed, accepted
    decided_by TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    device_id  TEXT NOT NULL,
    note_seq   INTEGER NOT NULL DEFAULT 0   -- 0: no note
) STRICT;
CREATE INDEX checkup_decisions_finding ON checkup_decisions(finding, decided_at);
CREATE INDEX checkup_decisions_run ON checkup_decisions(run_id);
