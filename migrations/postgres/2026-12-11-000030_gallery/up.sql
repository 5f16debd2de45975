-- Issue 17 part 5, the local gallery (engine/src/gallery.rs): app packages (kumiki-app/1 JSON, checked
-- with packages::definition_of when added) that an administrator added from files, with the name and
-- description the gallery shows. Every user who may create apps sees them beside the shipped templates.
CREATE TABLE gallery_packages (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    package TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
