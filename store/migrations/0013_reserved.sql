-- PLACEHOLDER in the retention worktree only: number 0013 belongs to another helper's part of
-- issue 11 (consent, requests, erasure). Drop this file at merge; the real one takes its place.
SELECT 1;
