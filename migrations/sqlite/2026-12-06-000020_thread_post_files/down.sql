DROP INDEX thread_posts_by_parent;
DROP TABLE thread_post_files;
