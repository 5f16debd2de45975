DROP TABLE mail_planner;
DROP TABLE mail_deliveries;
DROP TABLE mail_preferences;
