# Models of crm_relationship_survey; one file per model (see STYLE.md).
