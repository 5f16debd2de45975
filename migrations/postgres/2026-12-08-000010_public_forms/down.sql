DROP TABLE public_form_tallies;
DROP TABLE public_form_answers;
DROP TABLE public_form_links;
DROP TABLE public_forms;
