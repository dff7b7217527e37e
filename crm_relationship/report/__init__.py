from . import crm_relationship_stage_duration
