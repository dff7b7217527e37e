"""Demo data: the scores of the demo shop of crm_relationship, computed at
install (demo/crm_relationship_scoring_demo.xml, see
crm_relationship/demo/shop.py)."""

from odoo.addons.crm_relationship.demo.shop import DemoShop

MODULE = "crm_relationship_scoring"


def generate(env):
    """Score the demo shop at install.

    One run of the scoring job for the main company: RFM segments, lifetime
    values, churn risk, tiers by lifetime value and the stage rules refined
    with P(alive).
    """
    demo = DemoShop(env)
    if not demo._demo_done("customer_0001") or demo._demo_done(
        "score_run_0001", module=MODULE
    ):
        return False
    demo = demo._demo_env()
    company = demo.env.ref("base.main_company")
    runs = demo.env["crm.relationship.score.run"]._compute_scores(company, force=True)
    if runs:
        demo._demo_register(runs, "score_run", module=MODULE)
    demo.env["crm.relationship.product.affinity"]._refresh_affinities(company)
    return bool(runs)
