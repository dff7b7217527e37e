from . import test_install_and_menus
from . import test_extraction
from . import test_scoring_job
from . import test_transitions
from . import test_access_rights
from . import test_demo_data
from . import test_rpc_access
from . import test_migration
