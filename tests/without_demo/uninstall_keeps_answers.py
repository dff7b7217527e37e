"""Run by ``make test`` (setup/dev.py) through ``odoo-bin shell`` on the
database installed without demo data, after its checks: a real uninstall and
reinstall of crm_relationship_survey keep partners, orders and every customer
answer (issue 12, hole 11). Exits with status 1 and says why otherwise.

Not collected by pytest (the name does not start with test_). Runs as a
script in Odoo's shell, where ``env`` is given; it commits: the database is a
scratch one.
"""

import sys

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

MODULE = "crm_relationship_survey"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def fresh_env(dbname):
    registry = Registry(dbname)
    cr = registry.cursor()
    return api.Environment(cr, SUPERUSER_ID, {})


dbname = env.cr.dbname  # noqa: F821 - given by odoo-bin shell

# 1. a customer, a confirmed order and a completed satisfaction answer
product = env["product.product"].create({"name": "Uninstall check tea"})  # noqa: F821
customer = env["res.partner"].create(  # noqa: F821
    {"name": "Uninstall Check Customer", "is_company": True, "email": "u@example.com"}
)
order = env["sale.order"].create(  # noqa: F821
    {"partner_id": customer.id, "order_line": [(0, 0, {"product_id": product.id})]}
)
order.action_confirm()
survey = env.ref(f"{MODULE}.survey_post_purchase")  # noqa: F821
answer = survey._create_answer(
    partner=customer, check_attempts=False, sale_order_id=order.id
)
answer._mark_done()
survey_title = survey.title
ids = {"customer": customer.id, "order": order.id, "answer": answer.id}
company_id = answer.relationship_company_id.id
env.cr.commit()  # noqa: F821

# 2. uninstall
env["ir.module.module"].search([("name", "=", MODULE)]).button_immediate_uninstall()  # noqa: F821
env.cr.commit()  # noqa: F821
env = fresh_env(dbname)
check(
    env["ir.module.module"].search([("name", "=", MODULE)]).state == "uninstalled",
    "the module is not uninstalled",
)
check(env["res.partner"].browse(ids["customer"]).exists(), "the customer is gone")
check(env["sale.order"].browse(ids["order"]).exists(), "the order is gone")
kept = env["survey.user_input"].browse(ids["answer"]).exists()
check(kept, "the customer's answer is gone")
check(kept.survey_id.title == survey_title, "the answer lost its survey")
check(kept.state == "done", "the answer is no longer completed")
env.cr.close()

# 3. reinstall
env = fresh_env(dbname)
env["ir.module.module"].search([("name", "=", MODULE)]).button_immediate_install()
env.cr.commit()
env.cr.close()
env = fresh_env(dbname)
back = env["survey.user_input"].browse(ids["answer"]).exists()
check(back, "the answer is gone after the reinstall")
check(back.sale_order_id.id == ids["order"], "the answer lost its order")
check(back.relationship_company_id.id == company_id, "the answer lost its company")
check(back.relationship_kind, "the answer lost its satisfaction kind")
check(
    env["survey.survey"].search_count([("title", "=", survey_title)]) == 1,
    "the reinstall duplicated the shipped survey",
)
env.cr.close()

if failures:
    print("uninstall check FAILED: " + "; ".join(failures), file=sys.stderr)
    sys.exit(1)
print("uninstall check: partners, orders and answers kept; reinstall works")
