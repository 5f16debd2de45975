DROP TABLE survey_lists;
DROP TABLE survey_answer_events;
DROP TABLE survey_answer_files;
DROP TABLE survey_answers;
DROP TABLE survey_files;
DROP TABLE surveys;
