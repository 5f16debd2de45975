DROP INDEX record_values_text_walk;
