-- Issue 13, threads: which uploaded files are attached to which thread post. A file attached to a
-- post is downloaded only by those who may enter the post's space (checked through the acting
-- context); the files row itself stays as the upload left it (no app, no record).
CREATE TABLE thread_post_files (
    file_key TEXT PRIMARY KEY,
    post_id BIGINT NOT NULL,
    thread_id BIGINT NOT NULL,
    space_id BIGINT NOT NULL
);
CREATE INDEX thread_post_files_by_post ON thread_post_files (post_id);

-- Replies of a page of posts are found by their parent without scanning the thread.
CREATE INDEX thread_posts_by_parent ON thread_posts (thread_id, parent_id, id);
