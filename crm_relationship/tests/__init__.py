from . import test_foundation
from . import test_lifecycle
from . import test_tiers_access
