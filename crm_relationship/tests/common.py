from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user


class RelationshipCase(TransactionCase):
    """Fixtures: a salesman, a product, helpers to place dated orders.

    Dates are relative to ``cls.today`` and rules are applied with that date,
    so tests never depend on the wall clock.
    """

    @classmethod
    def _reset_job_progress(cls):
        """Forget where the daily jobs stopped today (a scheduled action of
        the test server may have run them): the next call starts over."""
        cls.env["ir.config_parameter"].search(
            [("key", "=like", "crm_relationship.progress.%")]
        ).unlink()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.company = cls.env.company
        cls._reset_job_progress()
        cls.company.write(
            {
                "relationship_stability_min_orders": 2,
                "relationship_stability_min_days": 90,
                "relationship_decline_factor": 3.0,
                "relationship_decline_days": 120,
                "relationship_churn_days": 365,
                "relationship_require_reason": True,
            }
        )
        cls.salesman = new_test_user(
            cls.env,
            login="rel_rules_salesman",
            groups="sales_team.group_sale_salesman",
            name="Rules Salesman",
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Jasmine tea 100 g", "list_price": 100.0, "type": "consu"}
        )
        cls.stage = {
            phase: cls.env["crm.relationship.stage"]._stage_for_phase(phase)
            for phase in (
                "prospect",
                "exploration",
                "formation",
                "stability",
                "decline",
                "churned",
            )
        }

    @classmethod
    def _customer(cls, name="Lotus Home Goods", **vals):
        return cls.env["res.partner"].create(
            dict({"name": name, "is_company": True, "user_id": cls.salesman.id}, **vals)
        )

    @classmethod
    def _order(cls, partner, days_ago=0, qty=1, confirm=True, price=None, **vals):
        line = {"product_id": cls.product.id, "product_uom_qty": qty}
        if price is not None:
            line["price_unit"] = price
        order = cls.env["sale.order"].create(
            dict(
                {
                    "partner_id": partner.id,
                    "order_line": [(0, 0, line)],
                },
                **vals,
            )
        )
        if confirm:
            order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def _apply(self, partners, days_later=0):
        return partners._relationship_apply_rules(
            today=self.today + timedelta(days=days_later)
        )


#: the people an access matrix is written for
MATRIX_ROLES = (
    "public",
    "portal",
    "employee",
    "salesman_own",
    "salesman_all",
    "manager",
)
MATRIX_OPERATIONS = ("read", "write", "create", "unlink")


class AccessMatrixCase:
    """An ACL × record-rule matrix, written as a table, checked as each user.

    A mixin for a ``TransactionCase`` (``class TestX(AccessMatrixCase,
    TransactionCase)``), so that the empty table itself is never collected as
    a test.

    Subclasses set ``ADDON`` and ``MATRIX``: ``{model: {role: (acl, record)}}``
    where ``acl`` says what the user may do on the model (``"rwcu"`` letters,
    ``-`` for a refused operation: read, write, create, unlink) and ``record``
    what the user may do on the sample record of :meth:`_matrix_samples`
    (access rights and record rules together; ``None`` when the model has no
    sample). Every model the addon defines must have a row, for all six roles
    (``MATRIX_ROLES``): a new model without one fails the test.
    """

    ADDON = None
    MATRIX = {}

    def __init_subclass__(cls, **kwargs):
        if not issubclass(cls, TransactionCase):
            raise TypeError(
                f"{cls.__name__}: write class {cls.__name__}(AccessMatrixCase, "
                "TransactionCase)"
            )
        return super().__init_subclass__(**kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.matrix_users = {
            "public": cls.env.ref("base.public_user"),
            "portal": new_test_user(
                cls.env, login="matrix_portal", groups="base.group_portal"
            ),
            "employee": new_test_user(
                cls.env, login="matrix_employee", groups="base.group_user"
            ),
            "salesman_own": new_test_user(
                cls.env,
                login="matrix_salesman_own",
                groups="sales_team.group_sale_salesman",
            ),
            "salesman_all": new_test_user(
                cls.env,
                login="matrix_salesman_all",
                groups="sales_team.group_sale_salesman_all_leads",
            ),
            "manager": new_test_user(
                cls.env,
                login="matrix_manager",
                groups="crm_relationship.crm_relationship_group_manager",
            ),
        }

    def _matrix_samples(self):
        """``{model: record}``: the record each row's second column is about."""
        return {}

    def _matrix_letters(self, target):
        letters = {"read": "r", "write": "w", "create": "c", "unlink": "u"}
        return "".join(
            letters[op] if target.has_access(op) else "-" for op in MATRIX_OPERATIONS
        )

    def test_every_model_of_the_addon_has_a_row(self):
        defined = {
            name
            for name, model in self.env.registry.items()
            if model._original_module == self.ADDON
        }
        self.assertTrue(defined, f"no model found for {self.ADDON}")
        missing = sorted(defined - set(self.MATRIX))
        self.assertFalse(
            missing, f"models of {self.ADDON} without a row in the access matrix"
        )
        for model, row in self.MATRIX.items():
            self.assertEqual(
                set(row), set(MATRIX_ROLES), f"{model}: one entry per role"
            )

    def test_access_matrix(self):
        samples = self._matrix_samples()
        found, expected = {}, {}
        for model, row in self.MATRIX.items():
            sample = samples.get(model)
            for role, (acl, on_record) in row.items():
                user = self.matrix_users[role]
                found[model, role, "acl"] = self._matrix_letters(
                    self.env[model].with_user(user)
                )
                expected[model, role, "acl"] = acl
                if on_record is not None:
                    self.assertTrue(sample, f"{model}: no sample record")
                    found[model, role, "record"] = self._matrix_letters(
                        sample.with_user(user)
                    )
                    expected[model, role, "record"] = on_record
        differences = {
            key: f"expected {expected[key]}, found {found[key]}"
            for key in expected
            if expected[key] != found[key]
        }
        self.assertFalse(differences, "access matrix differences")
