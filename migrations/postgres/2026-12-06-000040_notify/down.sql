DROP INDEX notifications_unread;
DELETE FROM change_consumers WHERE name = 'notify';
