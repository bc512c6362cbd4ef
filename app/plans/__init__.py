"""Plans: submit, validate, follow, cancel and re-plan; capacity plans; a finished plan's files
(the registry of formats) and its voyage papers; the JSON Schemas of plan documents."""
