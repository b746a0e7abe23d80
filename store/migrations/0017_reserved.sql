-- Reserved for another part of issue 12 (its own 0017). This branch needs the number taken so
-- 0018 applies in sequence; at merge the other part's 0017 replaces this file.
SELECT 1;
