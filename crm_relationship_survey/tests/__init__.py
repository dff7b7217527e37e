from . import test_foundation
from . import test_satisfaction_indices
from . import test_satisfaction_rollup
from . import test_satisfaction_followup
from . import test_satisfaction_invitations
from . import test_satisfaction_portal
from . import test_satisfaction_security
from . import test_demo_data
