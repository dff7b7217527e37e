# Models of crm_relationship_survey; one file per model (see STYLE.md).
from . import crm_relationship_kano_result
from . import survey_survey
from . import survey_question
from . import survey_user_input
from . import res_company
from . import res_config_settings
from . import res_partner
from . import sale_order
from . import crm_relationship_complaint
