from odoo import api, models

MODULE = "crm_relationship_scoring"


class CrmRelationshipDemo(models.AbstractModel):
    _inherit = "crm.relationship.demo"

    @api.model
    def _demo_generate_scores(self):
        """Score the demo shop at install (demo/crm_relationship_scoring_demo.xml).

        One run of the scoring job for the main company: RFM segments, lifetime
        values, churn risk, tiers by lifetime value and the stage rules refined
        with P(alive).
        """
        if not self._demo_done("customer_0001") or self._demo_done(
            "score_run_0001", module=MODULE
        ):
            return False
        demo = self._demo_env()
        company = demo.env.ref("base.main_company")
        runs = demo.env["crm.relationship.score.run"]._compute_scores(
            company, force=True
        )
        if runs:
            demo._demo_register(runs, "score_run", module=MODULE)
        return bool(runs)
