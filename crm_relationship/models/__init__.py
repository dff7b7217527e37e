from . import crm_relationship_stage
from . import crm_relationship_reason
from . import crm_relationship_tier
from . import crm_relationship_stage_history
from . import res_company
from . import res_config_settings
from . import res_partner
from . import sale_order
