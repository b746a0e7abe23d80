-- Reserved for issue 11 part 1 (consent), whose migration 0013 is written in parallel with
-- 0014: migrations must be contiguous, so this file holds the number until that branch is
-- merged; the merge drops it for the real 0013.
SELECT 1;
