# Models of crm_relationship_scoring; one file per model.
from . import crm_relationship_score
from . import crm_relationship_score_run
from . import crm_relationship_score_calibration
from . import crm_relationship_score_snapshot
from . import crm_relationship_transition
from . import crm_relationship_product_affinity
from . import crm_relationship_product_suggestion
from . import res_company
from . import res_config_settings
from . import res_partner
from . import sale_order
