# Reports of crm_relationship_survey (SQL views); one file per model.
from . import crm_relationship_satisfaction_report
