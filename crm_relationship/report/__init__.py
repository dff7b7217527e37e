from . import crm_relationship_stage_duration
from . import crm_relationship_cohort
