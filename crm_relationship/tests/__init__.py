from . import test_foundation
from . import test_lifecycle
from . import test_tiers_access
from . import test_complaints
from . import test_complaint_portal
from . import test_demo_data
from . import test_rpc_access
