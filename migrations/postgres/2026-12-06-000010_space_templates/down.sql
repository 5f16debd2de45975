DROP TABLE space_templates;
