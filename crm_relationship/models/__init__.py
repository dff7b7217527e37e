# Models of crm_relationship; one file per model (see STYLE.md).
