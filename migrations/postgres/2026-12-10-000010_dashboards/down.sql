DROP TABLE dashboard_pins;
