from . import controllers
from . import models
from . import report
from . import wizard


def _post_init_hook(env):
    """Place the existing customers in their stage and tier at once."""
    env["res.partner"]._relationship_run_rules()
