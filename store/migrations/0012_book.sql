-- No table changes: from this version the integrity state also sums the kept conflicts (its v2
-- form) and meta holds the book, a MAC for every header value that has none of its own
-- (store/book.go). The version is raised so an older Spoke, which would write header values
-- without their MACs, refuses the database instead of making it look tampered.
SELECT 1;
