ALTER TABLE files DROP COLUMN scanned_at;
ALTER TABLE files DROP COLUMN scan_verdict;
