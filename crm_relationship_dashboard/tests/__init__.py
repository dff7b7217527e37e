from . import test_relationships_dashboard
