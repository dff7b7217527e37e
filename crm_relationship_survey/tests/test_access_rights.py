"""Access rights through the ORM: the model access rows and record rules of
every user profile on answers, Kano results and the satisfaction figures
(what a user may read or change; the RPC surface is test_rpc_access.py, the
portal links test_portal_answer_links.py)."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import SatisfactionCase

MODES = ("read", "write", "create", "unlink")
NONE = dict.fromkeys(MODES, False)
READ = dict(NONE, read=True)
ALL = dict.fromkeys(MODES, True)
INDICES = ["last_nps_score", "last_nps_category", "csat_avg_12m", "acsi_index"]


class SatisfactionAccessCase(SatisfactionCase):
    """Users of every profile, two companies, customers of each company and of
    both, and answers (with their Kano results) of each customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env["res.company"].create({"name": "Survey Access A"})
        cls.company_b = cls.env["res.company"].create({"name": "Survey Access B"})

        def user(login, groups, companies=None, **kw):
            companies = companies or cls.company_a
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=companies[0].id,
                company_ids=[Command.set(companies.ids)],
                **kw,
            )

        cls.public = cls.env.ref("base.public_user")
        cls.portal = user(
            "rel_acc_portal", "base.group_portal", partner_id=cls.contact.id
        )
        cls.other_portal = user("rel_acc_portal2", "base.group_portal")
        cls.other_portal.partner_id.parent_id = cls.other_customer
        cls.employee = user("rel_acc_employee", "base.group_user")
        cls.rel_user = user(
            "rel_acc_rel_user", "crm_relationship.crm_relationship_group_user"
        )
        cls.rel_manager = user(
            "rel_acc_rel_manager", "crm_relationship.crm_relationship_group_manager"
        )
        cls.salesman = user("rel_acc_salesman", "sales_team.group_sale_salesman")
        cls.salesman_all = user(
            "rel_acc_salesman_all", "sales_team.group_sale_salesman_all_leads"
        )
        cls.sale_manager = user("rel_acc_sale_manager", "sales_team.group_sale_manager")
        cls.officer = user(
            "rel_acc_officer",
            "crm_relationship.crm_relationship_group_user,survey.group_survey_user",
        )
        cls.survey_manager = user(
            "rel_acc_survey_manager",
            "crm_relationship.crm_relationship_group_user,survey.group_survey_manager",
        )
        cls.officer_b = user(
            "rel_acc_officer_b", "survey.group_survey_user", cls.company_b
        )
        cls.officer_ab = user(
            "rel_acc_officer_ab",
            "survey.group_survey_user",
            cls.company_b | cls.company_a,
        )
        cls.rel_user_b = user(
            "rel_acc_rel_user_b",
            "crm_relationship.crm_relationship_group_user",
            cls.company_b,
        )

        Partner = cls.env["res.partner"]
        cls.customer_a = Partner.create(
            {"name": "Shop of A", "is_company": True, "company_id": cls.company_a.id}
        )
        cls.customer_b = Partner.create(
            {"name": "Shop of B", "is_company": True, "company_id": cls.company_b.id}
        )
        kano = {cls.q_kano_f: 1, cls.q_kano_d: 5}  # one-dimensional
        # customers of no company answer to company A (the roll-up is per
        # company: the users below work in A)
        cls.input_shared = cls.answer(
            {cls.q_nps: 9, cls.q_csat: 5, **kano}, company=cls.company_a
        )
        cls.input_other = cls.answer(
            {cls.q_nps: 8, **kano},
            partner=cls.other_portal.partner_id,
            company=cls.company_a,
        )
        cls.input_a = cls.answer({cls.q_nps: 10, **kano}, partner=cls.customer_a)
        cls.input_b = cls.answer({cls.q_nps: 10, **kano}, partner=cls.customer_b)
        cls.inputs = cls.input_shared | cls.input_other | cls.input_a | cls.input_b
        cls.Kano = cls.env["crm.relationship.kano.result"]
        cls.kano_shared = cls.input_shared.kano_result_ids
        cls.kano_a = cls.input_a.kano_result_ids
        cls.kano_b = cls.input_b.kano_result_ids
        cls.kano_all = cls.inputs.kano_result_ids

    def kano_values(self, user_input=None):
        return {
            "user_input_id": (user_input or self.input_shared).id,
            "feature": "Access test feature",
            "functional_answer": 2,
            "dysfunctional_answer": 5,
            "category": "M",
        }

    def kano_operation(self, user, mode, record):
        if mode == "read":
            return record.with_user(user).read(["feature", "category"])
        if mode == "write":
            return record.with_user(user).write({"category": "A"})
        if mode == "create":
            return self.Kano.with_user(user).create(self.kano_values())
        return record.with_user(user).unlink()

    def check_kano_access(self, user, expected):
        """Try each operation on the Kano results as user; expected maps each
        mode to whether it must succeed."""
        for mode in MODES:
            with self.subTest(user=user.login, mode=mode):
                record = self.Kano.create(self.kano_values())
                if not expected[mode]:
                    with self.assertRaises(AccessError):
                        self.kano_operation(user, mode, record)
                    self.assertTrue(record.exists())
                    self.assertEqual(record.category, "M")
                    continue
                result = self.kano_operation(user, mode, record)
                if mode == "read":
                    self.assertEqual(result[0]["feature"], "Access test feature")
                elif mode == "write":
                    self.assertEqual(record.category, "A")
                elif mode == "create":
                    self.assertEqual(result.partner_id, self.customer)
                else:
                    self.assertFalse(record.exists())


class TestKanoResultAccess(SatisfactionAccessCase):
    """T8 / T10 on crm.relationship.kano.result."""

    def test_every_model_has_access_rows(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", "crm_relationship_survey"), ("model", "=", "ir.model")]
        )
        models = self.env["ir.model"].browse(data.mapped("res_id"))
        own = models.filtered(
            lambda m: (
                self.env[m.model]._original_module == "crm_relationship_survey"
                and not self.env[m.model]._abstract
                and not self.env[m.model]._transient
            )
        )
        self.assertEqual(
            set(own.mapped("model")),
            {"crm.relationship.kano.result", "crm.relationship.satisfaction.report"},
        )
        for model in own:
            with self.subTest(model=model.model):
                self.assertTrue(model.access_ids.filtered("perm_read"))
                self.assertTrue(model.rule_ids)

    def test_matrix(self):
        matrix = [
            (self.public, NONE),
            (self.portal, NONE),
            (self.employee, NONE),
            (self.rel_user, NONE),
            (self.rel_manager, NONE),
            (self.salesman, NONE),
            (self.salesman_all, NONE),
            (self.sale_manager, NONE),
            (self.officer, READ),
            (self.survey_manager, ALL),
        ]
        for user, expected in matrix:
            self.check_kano_access(user, expected)

    def test_portal_never_searches_kano_results(self):
        for user in (self.portal, self.other_portal, self.public):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Kano.with_user(user).search([("id", "in", self.kano_all.ids)])
        with self.assertRaises(AccessError):
            self.input_shared.with_user(self.portal).read(["kano_result_ids"])

    def test_officer_reads_results_of_every_customer(self):
        found = self.Kano.with_user(self.officer).search(
            [("id", "in", (self.kano_shared | self.kano_a).ids)]
        )
        self.assertEqual(found, self.kano_shared | self.kano_a)
        self.assertEqual(set(found.mapped("category")), {"O"})

    def test_restricted_survey_hides_its_results(self):
        """The results of a survey restricted to other officers are hidden
        like its answers (survey's own rule on survey.user_input)."""
        allowed = new_test_user(
            self.env,
            login="rel_acc_allowed",
            groups="survey.group_survey_user",
            company_id=self.company_a.id,
            company_ids=[Command.set(self.company_a.ids)],
        )
        self.survey.restrict_user_ids = [Command.set(allowed.ids)]
        scope = [("id", "in", self.kano_shared.ids)]
        self.assertFalse(self.Kano.with_user(self.officer).search(scope))
        with self.assertRaises(AccessError):
            self.kano_shared.with_user(self.officer).read(["feature"])
        with self.assertRaises(AccessError):
            self.input_shared.with_user(self.officer).read(["nps_score"])
        self.assertEqual(self.Kano.with_user(allowed).search(scope), self.kano_shared)
        self.assertEqual(
            self.Kano.with_user(self.survey_manager).search(scope), self.kano_shared
        )


class TestSatisfactionAnswerAccess(SatisfactionAccessCase):
    """T8 on the satisfaction fields added to survey.user_input."""

    def test_only_survey_officers_read_answers(self):
        for user in (
            self.public,
            self.portal,
            self.other_portal,
            self.employee,
            self.rel_user,
            self.rel_manager,
            self.sale_manager,
        ):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.input_shared.with_user(user).read(["nps_score", "csat_score"])
                with self.assertRaises(AccessError):
                    self.env["survey.user_input"].with_user(user).search(
                        [("relationship_partner_id", "=", self.customer.id)]
                    )
        values = self.input_shared.with_user(self.officer).read(
            ["nps_score", "nps_category", "csat_score", "relationship_partner_id"]
        )[0]
        self.assertEqual(values["nps_score"], 9)
        self.assertEqual(values["nps_category"], "promoter")
        self.assertEqual(values["csat_score"], 5)
        self.assertEqual(values["relationship_partner_id"][0], self.customer.id)

    def test_answer_lines_read_by_officers_changed_by_managers(self):
        """Officers may read the answer lines, only managers change them
        (survey ACL, kept for satisfaction answers); the indices follow."""
        line = self.input_shared.user_input_line_ids.filtered(
            lambda ln: ln.question_id == self.q_csat
        )
        self.assertEqual(
            line.with_user(self.officer).read(["value_scale"])[0]["value_scale"], 5
        )
        with self.assertRaises(AccessError):
            line.with_user(self.officer).write({"value_scale": 1})
        self.assertEqual(line.value_scale, 5)
        line.with_user(self.survey_manager).write({"value_scale": 4})
        self.assertEqual(self.input_shared.csat_score, 4)


class TestSatisfactionPartnerAccess(SatisfactionAccessCase):
    """The satisfaction roll-up on res.partner: read by Relationships users,
    never by another customer's portal user; configured by administrators."""

    def test_rollup_is_filled(self):
        customer = self.customer.with_company(self.company_a)
        self.assertEqual(customer.last_nps_score, 9)
        self.assertEqual(customer.csat_avg_12m, 5)
        self.assertEqual(
            self.other_customer.with_company(self.company_a).last_nps_score, 8
        )

    def test_portal_never_reads_satisfaction_figures(self):
        """Satisfaction figures are internal: a portal user reads neither
        another customer's nor their own, and cannot search on them."""
        for user, other in (
            (self.portal, self.other_customer),
            (self.other_portal, self.customer),
        ):
            with self.subTest(user=user.login):
                for partner in (other, user.commercial_partner_id):
                    with self.assertRaises(AccessError):
                        partner.with_user(user).read(INDICES)
                with self.assertRaises(AccessError):
                    self.env["res.partner"].with_user(user).search(
                        [("survey_response_count", ">", 0)]
                    )
                # the rest of their own partner stays readable
                self.assertEqual(
                    user.commercial_partner_id.with_user(user).read(["name"])[0][
                        "name"
                    ],
                    user.commercial_partner_id.name,
                )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.public).read(INDICES)

    def test_relationship_users_read_indices(self):
        for user in (self.rel_user, self.rel_manager, self.salesman):
            with self.subTest(user=user.login):
                values = self.customer.with_user(user).read(INDICES)[0]
                self.assertEqual(values["last_nps_score"], 9)
                self.assertEqual(values["last_nps_category"], "promoter")
                self.assertEqual(values["csat_avg_12m"], 5)

    def test_relationship_user_sets_opt_out_not_portal(self):
        # the opt-out is a field of the contact: written with Odoo's contact
        # rights (Contact Creation), which the addon no longer grants to
        # every salesperson
        self.rel_user.groups_id = [
            Command.link(self.env.ref("base.group_partner_manager").id)
        ]
        self.customer.with_user(self.rel_user).survey_opt_out = True
        self.assertTrue(self.customer.survey_opt_out)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.portal).write({"survey_opt_out": False})
        self.assertTrue(self.customer.survey_opt_out)

    def test_only_administrators_configure(self):
        """Survey settings live on the company: a Relationships manager without
        the Settings rights cannot change them; the satisfaction surveys
        themselves need the survey rights."""
        for user in (self.rel_user, self.rel_manager, self.officer):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.company_a.with_user(user).write({"survey_throttle_days": 1})
        admin = new_test_user(
            self.env,
            login="rel_acc_admin",
            groups="base.group_system",
            company_id=self.company_a.id,
            company_ids=[Command.set(self.company_a.ids)],
        )
        self.company_a.with_user(admin).write({"survey_throttle_days": 1})
        self.assertEqual(self.company_a.survey_throttle_days, 1)
        with self.assertRaises(AccessError):
            self.env["survey.survey"].with_user(self.rel_manager).create(
                {"title": "Not allowed", "relationship_kind": "nps"}
            )
        survey = (
            self.env["survey.survey"]
            .with_user(self.officer)
            .create({"title": "Officer NPS", "relationship_kind": "nps"})
        )
        self.assertEqual(survey.relationship_kind, "nps")


class TestSatisfactionMultiCompany(SatisfactionAccessCase):
    """T9: answers and Kano results of a customer of company A are invisible
    from company B (search and read), like the customer itself."""

    def test_kano_results_of_other_company_invisible(self):
        scope = [("id", "in", self.kano_all.ids)]
        found = self.Kano.with_user(self.officer_b).search(scope)
        self.assertEqual(found, self.kano_all - self.kano_a)
        self.assertIn(self.kano_b, found)
        self.assertIn(self.kano_shared, found)
        with self.assertRaises(AccessError):
            self.kano_a.with_user(self.officer_b).read(["feature", "category"])
        found = self.Kano.with_user(self.officer).search(scope)
        self.assertEqual(found, self.kano_all - self.kano_b)
        [(count,)] = self.Kano.with_user(self.officer)._read_group(
            scope, aggregates=["__count"]
        )
        self.assertEqual(count, len(found))

    def test_kano_results_follow_active_companies(self):
        Kano = self.Kano.with_user(self.officer_ab)
        scope = [("id", "in", (self.kano_a | self.kano_b).ids)]
        self.assertEqual(Kano.search(scope), self.kano_a | self.kano_b)
        only_b = Kano.with_context(allowed_company_ids=self.company_b.ids)
        self.assertEqual(only_b.search(scope), self.kano_b)
        with self.assertRaises(AccessError):
            self.kano_a.with_user(self.officer_ab).with_context(
                allowed_company_ids=self.company_b.ids
            ).read(["feature"])

    def test_answers_of_other_company_invisible(self):
        UserInput = self.env["survey.user_input"]
        scope = [("id", "in", self.inputs.ids)]
        found = UserInput.with_user(self.officer_b).search(scope)
        # the answers of customers shared by every company count for company
        # A (where they were asked): company B sees only its own
        company_a_answers = self.inputs.filtered(
            lambda ui: ui.relationship_company_id == self.company_a
        )
        self.assertIn(self.input_a, company_a_answers)
        self.assertEqual(found, self.inputs - company_a_answers)
        self.assertIn(self.input_b, found)
        with self.assertRaises(AccessError):
            self.input_a.with_user(self.officer_b).read(["nps_score"])
        self.assertEqual(
            UserInput.with_user(self.officer).search(scope), self.inputs - self.input_b
        )
        # the NPS report of company B leaves company A's answers out
        [(count, nps)] = UserInput.with_user(self.officer_b)._read_group(
            scope, aggregates=["__count", "nps_points:avg"]
        )
        self.assertEqual(count, len(found))
        self.assertAlmostEqual(
            nps, sum(found.mapped("nps_points")) / len(found), places=2
        )

    def test_answer_lines_of_other_company_invisible(self):
        Line = self.env["survey.user_input.line"]
        lines_a = self.input_a.user_input_line_ids
        lines_b = self.input_b.user_input_line_ids
        self.assertTrue(lines_a and lines_b)
        scope = [("id", "in", (lines_a | lines_b).ids)]
        self.assertEqual(Line.with_user(self.officer_b).search(scope), lines_b)
        with self.assertRaises(AccessError):
            lines_a.with_user(self.officer_b).read(["value_scale"])

    def test_other_surveys_are_left_to_the_survey_app(self):
        """Only satisfaction answers are isolated: an answer of another survey
        by the same customer stays visible, as in the survey app."""
        other_survey = self.env["survey.survey"].create({"title": "Not satisfaction"})
        other_input = other_survey._create_answer(
            partner=self.customer_a, check_attempts=False
        )
        self.assertFalse(other_input.relationship_kind)
        self.assertEqual(
            self.env["survey.user_input"]
            .with_user(self.officer_b)
            .search([("id", "=", other_input.id)]),
            other_input,
        )

    def test_customer_indices_of_other_company_invisible(self):
        Partner = self.env["res.partner"]
        scope = [("id", "in", (self.customer_a | self.customer_b).ids)]
        self.assertEqual(
            Partner.with_user(self.rel_user_b).search(scope), self.customer_b
        )
        with self.assertRaises(AccessError):
            self.customer_a.with_user(self.rel_user_b).read(INDICES)
        values = self.customer_b.with_user(self.rel_user_b).read(INDICES)[0]
        self.assertEqual(values["last_nps_score"], 10)
