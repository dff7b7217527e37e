import importlib
import re

from odoo import api, fields, models

#: the demo generators the demo data may run: ``<addon>.<module>`` of the
#: suite's ``demo/`` packages (see crm_relationship/demo/shop.py)
DEMO_GENERATOR = re.compile(r"^(crm_relationship(?:_[a-z]+)?)\.([a-z_]+)$")


class ResCompany(models.Model):
    _inherit = "res.company"

    relationship_stability_min_orders = fields.Integer(
        string="Orders for Stability", default=2
    )
    relationship_stability_min_days = fields.Integer(
        string="Repeat Span for Stability (days)", default=90
    )
    relationship_decline_factor = fields.Float(
        string="Decline after x Median Interval", default=3.0
    )
    relationship_decline_days = fields.Integer(
        string="Default Decline Delay (days)", default=120
    )
    relationship_churn_days = fields.Integer(string="Churn Horizon (days)", default=365)
    relationship_require_reason = fields.Boolean(
        string="Reason Required for Decline/Churn", default=True
    )

    _sql_constraints = [
        (
            "relationship_thresholds_positive",
            "CHECK(relationship_stability_min_orders >= 2 "
            "AND relationship_stability_min_days >= 0 "
            "AND relationship_decline_factor > 0 "
            "AND relationship_decline_days > 0 "
            "AND relationship_churn_days > relationship_decline_days)",
            "Relationship thresholds: stability needs at least 2 orders, the "
            "decline factor and delay must be positive and the churn horizon "
            "longer than the decline delay.",
        ),
    ]

    @api.model
    def _relationship_demo_generate(self, generator):
        """Run the demo generator ``generator`` (``"<addon>.<module>"``): the
        ``generate(env)`` function of the plain module ``<addon>/demo/<module>.py``.

        Called only by the ``<function>`` of the addons' demo data, so the
        generators are imported by databases loading demo data and by no
        other; private (no RPC)."""
        match = DEMO_GENERATOR.match(generator or "")
        if not match:
            raise ValueError(f"Not a demo generator of the suite: {generator!r}")
        addon, module = match.groups()
        demo = importlib.import_module(f"odoo.addons.{addon}.demo.{module}")
        return demo.generate(self.env)
