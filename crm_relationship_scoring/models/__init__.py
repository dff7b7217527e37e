# Models of crm_relationship_scoring; one file per model (see STYLE.md).
