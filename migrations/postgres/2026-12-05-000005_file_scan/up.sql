-- The virus scanner's verdict on an accepted upload (`--clamd-socket`): 'clean', or NULL when no
-- scanner was configured at upload time. Infected files and failed scans are refused, so they only
-- appear in the audit log (`file.scan`), with the signature.
ALTER TABLE files ADD COLUMN scan_verdict TEXT;
ALTER TABLE files ADD COLUMN scanned_at BIGINT;
