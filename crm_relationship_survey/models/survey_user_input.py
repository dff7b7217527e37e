import logging
from statistics import mean

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .satisfaction_data import (
    NPS_CATEGORIES,
    acsi_index,
    ces_score,
    csat_satisfied,
    csat_score,
    is_unhappy,
    kano_category,
    nps_category,
    nps_points,
    satisfaction_ratio,
)
from .survey_question import ROLE_SCALES

_logger = logging.getLogger(__name__)

ANSWER_SCORE_FIELDS = (
    "csat_score",
    "csat_satisfied",
    "nps_score",
    "nps_category",
    "nps_points",
    "ces_score",
    "acsi_index",
    "acsi_answered",
    "satisfaction_ratio",
    "share_of_wallet",
    "share_of_wallet_answered",
    "competitor_consideration",
    "competitor_answered",
)
#: fields of an answer the system sets (indices, customer snapshot, company,
#: follow-up): users never write them, not even with write access on answers
#: what an existing satisfaction answer is about (see
#: _relationship_check_answer_write)
ANSWER_FIELDS = frozenset(
    {
        "partner_id",
        "survey_id",
        "state",
        "test_entry",
        "sale_order_id",
        "complaint_id",
        "end_datetime",
    }
)
SYSTEM_FIELDS = (
    *ANSWER_SCORE_FIELDS,
    "relationship_kind",
    "relationship_partner_id",
    "relationship_company_id",
    "relationship_owner_id",
    "value_tier_id",
    "relationship_stage_id",
    "followup_done",
    "followup_activity_id",
    "followup_complaint_id",
)


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    sale_order_id = fields.Many2one(
        "sale.order", string="Sales Order", index="btree_not_null", ondelete="set null"
    )
    complaint_id = fields.Many2one(
        "crm.relationship.complaint",
        index="btree_not_null",
        ondelete="set null",
    )
    relationship_kind = fields.Selection(
        related="survey_id.relationship_kind", store=True
    )
    relationship_partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_relationship_partner_id",
        store=True,
        index="btree_not_null",
        ondelete="set null",
    )
    relationship_company_id = fields.Many2one(
        "res.company",
        string="Satisfaction Company",
        readonly=True,
        copy=False,
        index="btree_not_null",
        # an answer is customer data: a company that has some is archived
        ondelete="restrict",
        help="The company the answer counts for (customer roll-up): that of "
        "its order or complaint, else that of the customer, else the company "
        "that sent the invitation.",
    )
    # snapshot of the customer when the answer is completed
    relationship_owner_id = fields.Many2one(
        "res.users",
        compute="_compute_relationship_snapshot",
        store=True,
        ondelete="set null",
    )
    value_tier_id = fields.Many2one(
        "crm.relationship.tier",
        compute="_compute_relationship_snapshot",
        store=True,
        ondelete="set null",
    )
    relationship_stage_id = fields.Many2one(
        "crm.relationship.stage",
        compute="_compute_relationship_snapshot",
        store=True,
        ondelete="set null",
    )
    # indices, computed when the answer is done (0 / empty while not answered)
    csat_score = fields.Float(
        string="CSAT",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        help="Mean of the CSAT answers (1-5).",
    )
    csat_satisfied = fields.Float(
        string="CSAT %",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        help="100 when the CSAT answer is 4 or 5, else 0: its average is the "
        "share of satisfied customers.",
    )
    nps_score = fields.Float(
        string="NPS Answer",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
    )
    nps_category = fields.Selection(
        NPS_CATEGORIES,
        string="NPS Category",
        compute="_compute_relationship_scores",
        store=True,
    )
    nps_points = fields.Float(
        string="NPS",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        help="+100 for a promoter, 0 for a passive, -100 for a detractor: its "
        "average is the Net Promoter Score (% promoters - % detractors).",
    )
    ces_score = fields.Float(
        string="CES",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        help="Mean of the customer effort answers (1-7).",
    )
    acsi_index = fields.Float(
        string="ACSI Index",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        help="Mean of the ACSI satisfaction items (1-10) rescaled to 0-100.",
    )
    acsi_answered = fields.Boolean(
        string="ACSI Answered", compute="_compute_relationship_scores", store=True
    )
    satisfaction_ratio = fields.Float(
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        digits=(16, 3),
        help="c = b / a: mean perceived quality divided by mean expectation.",
    )
    share_of_wallet = fields.Float(
        string="Share of Wallet (%)",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="The customer's own estimate of the share of their spending on such "
        "products that goes to us (a loyalty factor).",
    )
    share_of_wallet_answered = fields.Boolean(
        compute="_compute_relationship_scores", store=True
    )
    competitor_consideration = fields.Float(
        string="Would Consider Another Supplier (0-10)",
        compute="_compute_relationship_scores",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="0: would never consider another supplier; 10: certainly would (the "
        "attitude towards competitors, a loyalty factor).",
    )
    competitor_answered = fields.Boolean(
        compute="_compute_relationship_scores", store=True
    )
    kano_result_ids = fields.One2many(
        "crm.relationship.kano.result", "user_input_id", string="Kano Results"
    )
    followup_done = fields.Boolean(
        string="Follow-up Created", copy=False, readonly=True
    )
    followup_activity_id = fields.Many2one(
        "mail.activity",
        string="Follow-up Activity",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    followup_complaint_id = fields.Many2one(
        "crm.relationship.complaint",
        string="Follow-up Complaint",
        copy=False,
        readonly=True,
        ondelete="set null",
    )

    @api.depends("partner_id.commercial_partner_id")
    def _compute_relationship_partner_id(self):
        for user_input in self:
            user_input.relationship_partner_id = (
                user_input.partner_id.commercial_partner_id
            )

    @api.depends("state", "relationship_partner_id")
    def _compute_relationship_snapshot(self):
        for user_input in self:
            customer = user_input.relationship_partner_id.sudo()
            user_input.relationship_owner_id = customer.relationship_owner_id
            user_input.value_tier_id = customer.value_tier_id
            user_input.relationship_stage_id = customer.relationship_stage_id

    @api.depends(
        "state",
        "user_input_line_ids.value_scale",
        "user_input_line_ids.value_numerical_box",
        "user_input_line_ids.suggested_answer_id",
        "user_input_line_ids.skipped",
    )
    def _compute_relationship_scores(self):
        for user_input in self:
            values = dict.fromkeys(ANSWER_SCORE_FIELDS, False)
            if user_input.state == "done":
                values.update(user_input._relationship_scores())
            user_input.update(values)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self._relationship_check_system_write(vals_list)
        vals_list = [
            dict(vals, relationship_company_id=self._relationship_company_of(vals).id)
            if not vals.get("relationship_company_id")
            else vals
            for vals in vals_list
        ]
        return super().create(vals_list)

    def write(self, vals):
        self._relationship_check_system_write([vals])
        self._relationship_check_answer_write(vals)
        return super().write(vals)

    def _relationship_check_answer_write(self, vals):
        """A satisfaction answer belongs to its customer: once it exists, who
        answered, about what and whether it counts (``ANSWER_FIELDS``) are
        not rewritten by users (survey officers have write access on answers:
        moving a detractor to another customer or marking it a test would
        rewrite the NPS). The survey's own flow writes them as superuser;
        survey administrators, who may delete answers anyway, may correct
        them."""
        if self.env.su or not ANSWER_FIELDS & set(vals):
            return
        if self.env.user.has_group("survey.group_survey_manager"):
            return
        if self.filtered("relationship_kind"):
            raise AccessError(
                _(
                    "A satisfaction answer keeps its customer, its subject and "
                    "its state: %(fields)s cannot be changed by hand.",
                    fields=", ".join(
                        sorted(
                            self._fields[name].get_description(self.env)["string"]
                            for name in ANSWER_FIELDS & set(vals)
                        )
                    ),
                )
            )

    @api.model
    def _relationship_check_system_write(self, vals_list):
        """Refuse users' writes of the fields the system sets (SYSTEM_FIELDS):
        survey officers have write access on answers (survey's ACL), but the
        indices feed the customer roll-up and the reports. Only code running
        as superuser (sudo()) writes them; no context key lifts the check."""
        if self.env.su:
            return
        protected = {
            fname for vals in vals_list for fname in vals if fname in SYSTEM_FIELDS
        }
        if protected:
            labels = ", ".join(
                sorted(
                    self._fields[fname].get_description(self.env)["string"]
                    for fname in protected
                )
            )
            raise AccessError(
                _(
                    "%(fields)s are computed by the system and cannot be changed "
                    "by hand.",
                    fields=labels,
                )
            )

    # ------------------------------------------------------------------
    # Answer extraction
    # ------------------------------------------------------------------
    @api.model
    def _relationship_line_value(self, line):
        """Numeric value of an answer line: the scale or numerical box value,
        or the score of the chosen answer of a single choice question."""
        if line.skipped:
            return None
        if line.answer_type == "scale":
            return float(line.value_scale)
        if line.answer_type == "numerical_box":
            return line.value_numerical_box
        if line.answer_type == "suggestion" and line.suggested_answer_id:
            return line.suggested_answer_id.answer_score
        return None

    @api.model
    def _relationship_choice_position(self, line):
        """Position (1-based, by sequence) of the chosen suggested answer."""
        if line.skipped or not line.suggested_answer_id:
            return 0
        answers = line.question_id.suggested_answer_ids.sorted(
            lambda a: (a.sequence, a.id)
        )
        return list(answers).index(line.suggested_answer_id) + 1

    def _relationship_values_by_role(self):
        self.ensure_one()
        by_role = {}
        for line in self.user_input_line_ids:
            role = line.question_id.relationship_role
            if not role or role not in ROLE_SCALES:
                continue
            value = self._relationship_line_value(line)
            low, high = ROLE_SCALES[role]
            if value is None or not low <= value <= high:
                continue
            by_role.setdefault(role, []).append(value)
        return by_role

    def _relationship_scores(self):
        self.ensure_one()
        by_role = self._relationship_values_by_role()
        values = {}
        if by_role.get("csat"):
            csat = csat_score(by_role["csat"])
            values["csat_score"] = csat
            values["csat_satisfied"] = csat_satisfied(csat)
        if by_role.get("nps"):
            # one NPS question per survey; the last one answered wins
            score = by_role["nps"][-1]
            values.update(
                nps_score=score,
                nps_category=nps_category(score),
                nps_points=nps_points(score),
            )
        if by_role.get("ces"):
            values["ces_score"] = ces_score(by_role["ces"])
        if by_role.get("acsi_satisfaction"):
            values["acsi_index"] = acsi_index(by_role["acsi_satisfaction"])
            values["acsi_answered"] = True
        if by_role.get("acsi_quality") and by_role.get("acsi_expectation"):
            values["satisfaction_ratio"] = satisfaction_ratio(
                mean(by_role["acsi_quality"]), mean(by_role["acsi_expectation"])
            )
        # loyalty factors (crm_relationship_scoring): the last answer wins
        if by_role.get("share_of_wallet"):
            values["share_of_wallet"] = by_role["share_of_wallet"][-1]
            values["share_of_wallet_answered"] = True
        if by_role.get("competitor"):
            values["competitor_consideration"] = by_role["competitor"][-1]
            values["competitor_answered"] = True
        return values

    def _relationship_kano_answers(self):
        """{feature: (functional position, dysfunctional position)}"""
        self.ensure_one()
        pairs = {}
        for line in self.user_input_line_ids:
            question = line.question_id
            role = question.relationship_role
            if role not in ("kano_functional", "kano_dysfunctional"):
                continue
            feature = (question.kano_feature or "").strip()
            position = self._relationship_choice_position(line)
            if not feature or not position:
                continue
            pair = pairs.setdefault(feature, [0, 0])
            pair[0 if role == "kano_functional" else 1] = position
        return {feature: tuple(pair) for feature, pair in pairs.items() if all(pair)}

    def _relationship_update_kano_results(self):
        Result = self.env["crm.relationship.kano.result"].sudo()
        Result.search([("user_input_id", "in", self.ids)]).unlink()
        vals_list = []
        for user_input in self.filtered(lambda ui: ui.state == "done"):
            for feature, (
                functional,
                dysfunctional,
            ) in user_input._relationship_kano_answers().items():
                vals_list.append(
                    {
                        "user_input_id": user_input.id,
                        "feature": feature,
                        "functional_answer": functional,
                        "dysfunctional_answer": dysfunctional,
                        "category": kano_category(functional, dysfunctional),
                    }
                )
        return Result.create(vals_list)

    # ------------------------------------------------------------------
    # Completion
    # ------------------------------------------------------------------
    def _mark_done(self):
        res = super()._mark_done()
        self._relationship_on_done()
        return res

    def _relationship_on_done(self):
        answers = self.sudo().filtered(
            lambda ui: ui.relationship_kind and not ui.test_entry
        )
        if not answers:
            return
        answers._relationship_update_kano_results()
        answers.relationship_partner_id._survey_recompute_rollup()
        answers._relationship_create_followups()

    # ------------------------------------------------------------------
    # Closing the loop
    # ------------------------------------------------------------------
    def _relationship_needs_followup(self):
        self.ensure_one()
        return self.state == "done" and is_unhappy(self.nps_category, self.csat_score)

    def _relationship_create_followups(self):
        """A detractor NPS or a CSAT of 2 or less creates a follow-up for the
        relationship owner (an activity or a complaint, per company), once."""
        for user_input in self.sudo():
            if user_input.followup_done or not user_input.relationship_partner_id:
                continue
            if not user_input._relationship_needs_followup():
                continue
            company = user_input._relationship_company()
            mode = company.survey_followup_mode
            if mode == "none":
                continue
            vals = {"followup_done": True}
            if mode == "complaint":
                vals["followup_complaint_id"] = (
                    user_input._relationship_followup_complaint(company).id
                )
            else:
                vals["followup_activity_id"] = (
                    user_input._relationship_followup_activity().id
                )
            user_input.write(vals)

    def _relationship_company(self):
        self.ensure_one()
        return self.relationship_company_id or (
            self.sale_order_id.company_id
            or self.complaint_id.company_id
            or self.relationship_partner_id.company_id
            or self.env.company
        )

    @api.model
    def _relationship_company_of(self, vals):
        """The company a new answer counts for, from its create values: that
        of its order, of its complaint, of its customer, else the current
        company (the one sending the invitation)."""
        env = self.sudo().env
        company = env["sale.order"].browse(vals.get("sale_order_id")).company_id
        company = (
            company
            or env["crm.relationship.complaint"]
            .browse(vals.get("complaint_id"))
            .company_id
        )
        partner = env["res.partner"].browse(vals.get("partner_id"))
        company = company or partner.commercial_partner_id.company_id
        return company or self.env.company

    def _relationship_fill_company(self):
        """Set the company of the answers that have none (answers older than
        the field: migration, reinstallation), the same way as create() does,
        with the creator's company for the current company. One query."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE survey_user_input ui
                   SET relationship_company_id = COALESCE(
                           (SELECT company_id FROM sale_order
                             WHERE id = ui.sale_order_id),
                           (SELECT company_id FROM crm_relationship_complaint
                             WHERE id = ui.complaint_id),
                           (SELECT c.company_id FROM res_partner p
                              JOIN res_partner c ON c.id = p.commercial_partner_id
                             WHERE p.id = ui.partner_id),
                           (SELECT company_id FROM res_users
                             WHERE id = ui.create_uid),
                           %(fallback)s)
                 WHERE ui.relationship_company_id IS NULL
                """,
                fallback=self.env.company.id,
            )
        )
        count = self.env.cr.rowcount
        self.invalidate_model(["relationship_company_id"])
        return count

    def _relationship_restore(self):
        """Recompute what satisfaction answers kept from an earlier
        installation lost with the module's columns: their company, indices,
        Kano results and the roll-up of their customers."""
        answers = self.sudo()
        answers._relationship_fill_company()
        for fname in ANSWER_SCORE_FIELDS:
            self.env.add_to_compute(self._fields[fname], answers)
        answers._recompute_recordset(list(ANSWER_SCORE_FIELDS))
        answers._relationship_update_kano_results()
        answers.relationship_partner_id._survey_recompute_rollup()

    def _relationship_followup_summary(self):
        self.ensure_one()
        parts = []
        if self.nps_category:
            parts.append(_("NPS %(score)s", score=int(self.nps_score)))
        if self.csat_score:
            parts.append(_("CSAT %(score)s", score=round(self.csat_score, 1)))
        return _(
            "Unhappy customer on %(survey)s (%(scores)s)",
            survey=self.survey_id.title,
            scores=", ".join(parts),
        )

    def _relationship_followup_note(self):
        self.ensure_one()
        comments = [
            line.value_text_box or line.value_char_box
            for line in self.user_input_line_ids
            if not line.skipped and (line.value_text_box or line.value_char_box)
        ]
        # Markup.join escapes the summary and the customer's comments
        return Markup("<br/>").join([self._relationship_followup_summary(), *comments])

    def _relationship_followup_activity(self):
        self.ensure_one()
        customer = self.relationship_partner_id
        owner = self.relationship_owner_id or customer.relationship_owner_id
        return customer.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self._relationship_followup_summary(),
            note=self._relationship_followup_note(),
            user_id=(owner or self.env.user).id,
        )

    def _relationship_followup_complaint(self, company):
        self.ensure_one()
        customer = self.relationship_partner_id
        owner = self.relationship_owner_id or customer.relationship_owner_id
        return (
            self.env["crm.relationship.complaint"]
            .sudo()
            .create(
                {
                    "subject": self._relationship_followup_summary(),
                    "partner_id": customer.id,
                    "contact_id": self.partner_id.id
                    if self.partner_id != customer
                    else False,
                    "sale_order_id": self.sale_order_id.id,
                    "channel": "portal",
                    "user_id": owner.id,
                    "company_id": company.id,
                    "description": self._relationship_followup_note(),
                }
            )
        )

    def action_view_followup(self):
        self.ensure_one()
        self.env["res.partner"]._survey_check_user_access(self)
        if self.followup_complaint_id:
            return {
                "type": "ir.actions.act_window",
                "res_model": "crm.relationship.complaint",
                "res_id": self.followup_complaint_id.id,
                "view_mode": "form",
                "views": [(False, "form")],
            }
        return self.relationship_partner_id.get_formview_action()
