"""Demo data: satisfaction surveys of the demo shop of crm_relationship.

Invitations after orders (two years of them), after closed complaints, the
annual relationship survey of stable customers and a Kano survey, answered or
not, with scores drawn from a seeded generator: the NPS improves over the
months, customers who complained or left answer worse, and every NPS category
appears. Loaded only with demo data (demo/crm_relationship_survey_demo.xml, see
crm_relationship/demo/shop.py).
"""

import random
from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from odoo.addons.crm_relationship.demo.shop import DemoShop

MODULE = "crm_relationship_survey"
SEED = 76
NPS_MONTHS = 24
COMMENTS = {
    "promoter": (
        ("Fast delivery and lovely packaging.", "发货很快，包装很精美。"),
        ("The tea is excellent, I will order again.", "茶叶品质很好，会再次购买。"),
        ("Great service from the team.", "客服很专业，很满意。"),
    ),
    "passive": (
        ("Good, but shipping could be cheaper.", "还不错，运费可以再便宜些。"),
        ("Nice products, the website is a bit slow.", "产品不错，网站有点慢。"),
    ),
    "detractor": (
        ("The parcel arrived late and damaged.", "包裹晚到了，而且有破损。"),
        ("Too expensive for the quality.", "性价比不高。"),
        ("Nobody answered my questions.", "咨询问题没有人回复。"),
    ),
}
# Kano answers by position (1 like, 2 expect, 3 neutral, 4 live with, 5 dislike)
KANO_PROFILES = {
    "same_day": (((1, 3), 6), ((1, 4), 2), ((3, 3), 2), ((1, 5), 1)),
    "tracking": (((2, 5), 6), ((1, 5), 3), ((3, 5), 2), ((3, 3), 1)),
}


def generate(env):
    """Entry point of ``demo/crm_relationship_survey_demo.xml``."""
    return SurveyDemo(env)._demo_generate_surveys()


class SurveyDemo(DemoShop):
    """The demo shop's satisfaction surveys."""

    def _demo_generate_surveys(self):
        """Invitations and answers of the demo shop's customers."""
        if not self._demo_done("customer_0001") or self._demo_done(
            "answer_0001", module=MODULE
        ):
            return False
        demo = self._demo_env()
        company = demo.env.ref("base.main_company")
        demo = demo.with_company(company)
        return demo._demo_surveys(company)

    def _demo_surveys(self, company):
        rng = random.Random(SEED)
        ref = self.env.ref
        surveys = {
            "order": ref(f"{MODULE}.survey_post_purchase"),
            "complaint": ref(f"{MODULE}.survey_complaint_resolution"),
            "annual": ref(f"{MODULE}.survey_annual_relationship"),
            "kano": ref(f"{MODULE}.survey_kano_example"),
        }
        company.write(
            {
                "survey_order_survey_id": surveys["order"].id,
                "survey_complaint_survey_id": surveys["complaint"].id,
                "survey_periodic_survey_id": surveys["annual"].id,
            }
        )
        customers = self._demo_records("customer", "res.partner")
        orders = self._demo_records("order", "sale.order")
        complaints = self._demo_records("complaint", "crm.relationship.complaint")
        unhappy = set(complaints.partner_id.ids)
        now = fields.Datetime.now().replace(microsecond=0)
        plans = []  # (vals, answer values or None, invitation date, answer date)

        # after orders: two years of invitations, one order in three
        horizon = now - timedelta(days=NPS_MONTHS * 30.4)
        for order in orders.sorted("date_order"):
            if order.date_order < horizon or rng.random() > 0.55:
                continue
            invited = order.date_order + timedelta(days=7)
            if invited > now:
                continue
            customer = order.partner_id.commercial_partner_id
            months_ago = (now - invited).days / 30.4
            # the customer was active when it ordered
            category = self._demo_nps_category(
                rng, months_ago, customer, unhappy, "stability"
            )
            nps = self._demo_nps_score(rng, category)
            csat = {
                "promoter": rng.choice((4, 5, 5)),
                "passive": rng.choice((3, 4, 4)),
                "detractor": rng.choice((1, 2, 2, 3)),
            }[category]
            comment = None
            if rng.random() < 0.35:
                comment = rng.choice(COMMENTS[category])[
                    1 if customer.lang == "zh_CN" else 0
                ]
            plans.append(
                self._demo_invitation(
                    rng,
                    surveys["order"],
                    order.partner_id,
                    invited,
                    now,
                    {"csat": csat, "nps": nps, "text": comment},
                    answer_rate=0.65,
                    sale_order=order,
                )
            )
        # after closed complaints
        for complaint in complaints.filtered(lambda c: c.state == "closed"):
            invited = complaint.date_closed + timedelta(hours=2)
            happy = complaint.customer_acceptance == "yes"
            plans.append(
                self._demo_invitation(
                    rng,
                    surveys["complaint"],
                    complaint.contact_id or complaint.partner_id,
                    invited,
                    now,
                    {
                        "csat": rng.choice((4, 5)) if happy else rng.choice((1, 2)),
                        "ces": rng.choice((5, 6, 7)) if happy else rng.choice((2, 3)),
                    },
                    answer_rate=0.75,
                    complaint=complaint,
                )
            )
        # the annual relationship survey of stable customers; its loyalty
        # questions from a generator of their own (the other draws stay as
        # they were): a third of the promoters still buy much elsewhere and
        # would switch (satisfied but not loyal: the trap)
        loyalty_rng = random.Random(SEED + 1)
        stable = customers.filtered(
            lambda c: c.relationship_phase in ("stability", "decline")
        )
        for customer in stable:
            invited = now - timedelta(days=rng.randint(3, 330), hours=rng.randint(0, 8))
            category = self._demo_nps_category(
                rng,
                (now - invited).days / 30.4,
                customer,
                unhappy,
                customer.relationship_phase,
            )
            base = {"promoter": 8, "passive": 7, "detractor": 5}[category]
            plans.append(
                self._demo_invitation(
                    rng,
                    surveys["annual"],
                    customer,
                    invited,
                    now,
                    {
                        "acsi_expectation": min(10, rng.randint(6, 9)),
                        "acsi_quality": min(10, base + rng.randint(-1, 2)),
                        "acsi_value": min(10, base + rng.randint(-2, 1)),
                        "acsi_satisfaction": min(10, base + rng.randint(-1, 2)),
                        "acsi_repurchase": min(10, base + rng.randint(0, 2)),
                        "acsi_complaint": 1 if customer.id in unhappy else 2,
                        "nps": self._demo_nps_score(rng, category),
                        **self._demo_loyalty_answers(loyalty_rng, category),
                    },
                    answer_rate=0.55,
                )
            )
        # the portal customer has a survey waiting for its last order
        portal = self.env.ref(
            "crm_relationship.demo_portal_user_0001", raise_if_not_found=False
        )
        last_order = orders.filtered(
            lambda o: portal and o.partner_id == portal.partner_id
        ).sorted("date_order")[-1:]
        if last_order:
            vals, _values, _invited, _answered = self._demo_invitation(
                rng, surveys["order"], portal.partner_id, now, now, {}, 0.0, last_order
            )
            plans.append((vals, None, now - timedelta(days=1), None))
        # a Kano survey of two candidate features
        for customer in rng.sample(list(customers), 30):
            invited = now - timedelta(days=rng.randint(10, 60))
            values = {}
            for feature, profile in KANO_PROFILES.items():
                pairs, weights = zip(*profile, strict=True)
                values[feature] = rng.choices(pairs, weights)[0]
            plans.append(
                self._demo_invitation(
                    rng, surveys["kano"], customer, invited, now, values, 0.8
                )
            )
        return self._demo_create_answers(plans, surveys, orders, complaints, customers)

    # ------------------------------------------------------------------
    # score models
    # ------------------------------------------------------------------
    def _demo_nps_category(self, rng, months_ago, customer, unhappy, phase):
        """Promoters grow from 38 % to 62 % over two years, detractors shrink
        from 30 % to 10 %; complaints and lapsed customers weigh down."""
        progress = max(0.0, min(1.0, 1.0 - months_ago / NPS_MONTHS))
        promoter = 0.38 + 0.24 * progress
        detractor = 0.30 - 0.20 * progress
        if customer.id in unhappy:
            promoter, detractor = promoter - 0.1, detractor + 0.15
        if phase in ("decline", "churned"):
            promoter, detractor = promoter - 0.1, detractor + 0.1
        draw = rng.random()
        if draw < detractor:
            return "detractor"
        if draw < detractor + max(promoter, 0.05):
            return "promoter"
        return "passive"

    def _demo_loyalty_answers(self, rng, category):
        """Share of wallet (%) and "would consider another supplier" (0-10)."""
        if category == "promoter" and rng.random() < 0.35:
            category = "trap"
        low, high, consider = {
            "promoter": (60, 95, (0, 1, 2, 3)),
            "trap": (10, 35, (6, 7, 8, 9)),
            "passive": (30, 70, (3, 4, 5, 6)),
            "detractor": (10, 45, (5, 7, 8, 10)),
        }[category]
        return {
            "share_of_wallet": 5 * (rng.randint(low, high) // 5),
            "competitor": rng.choice(consider),
        }

    def _demo_nps_score(self, rng, category):
        if category == "promoter":
            return rng.choice((9, 9, 10, 10, 10))
        if category == "passive":
            return rng.choice((7, 8, 8))
        return rng.choice((0, 2, 3, 4, 5, 5, 6, 6, 6))

    def _demo_invitation(
        self,
        rng,
        survey,
        contact,
        invited,
        now,
        values,
        answer_rate,
        sale_order=None,
        complaint=None,
    ):
        answered = None
        if rng.random() < answer_rate:
            answered = invited + timedelta(
                hours=rng.randint(1, 96), minutes=rng.randint(0, 59)
            )
            if answered >= now:
                answered = None
        deadline = invited + timedelta(days=14)
        vals = {
            "survey_id": survey.id,
            "partner_id": contact.id,
            "email": contact.email,
            "deadline": deadline,
            "sale_order_id": sale_order.id if sale_order else False,
            "complaint_id": complaint.id if complaint else False,
            # unhappy answers older than a month were followed up back then
            "followup_done": bool(answered and now - answered > timedelta(days=30)),
        }
        return vals, values if answered else None, invited, answered

    # ------------------------------------------------------------------
    # bulk creation
    # ------------------------------------------------------------------
    def _demo_answer_lines(self, user_input, questions, values):
        lines = []
        for question in questions:
            role = question.relationship_role
            key = role or (question.question_type == "text_box" and "text")
            if question.kano_feature:
                feature = (
                    "same_day"
                    if "same" in question.kano_feature.lower()
                    else ("tracking")
                )
                pair = values.get(feature)
                position = pair and pair[0 if role == "kano_functional" else 1]
            else:
                position = None
            vals = {"user_input_id": user_input.id, "question_id": question.id}
            if question.question_type == "scale" and values.get(key) is not None:
                vals.update(answer_type="scale", value_scale=values[key])
            elif (
                question.question_type == "numerical_box"
                and values.get(key) is not None
            ):
                vals.update(
                    answer_type="numerical_box", value_numerical_box=values[key]
                )
            elif question.question_type == "text_box" and values.get(key):
                vals.update(answer_type="text_box", value_text_box=values[key])
            elif question.question_type == "simple_choice" and (
                position or values.get(key)
            ):
                answers = question.suggested_answer_ids.sorted(
                    lambda a: (a.sequence, a.id)
                )
                vals.update(
                    answer_type="suggestion",
                    suggested_answer_id=answers[(position or values[key]) - 1].id,
                )
            else:
                vals["skipped"] = True
            lines.append(vals)
        return lines

    def _demo_create_answers(self, plans, surveys, orders, complaints, customers):
        UserInput = self.env["survey.user_input"]
        questions = {
            survey.id: survey.question_ids.filtered(lambda q: not q.is_page).sorted(
                lambda q: (q.sequence, q.id)
            )
            for survey in surveys.values()
        }
        inputs = UserInput.create(
            [
                dict(
                    vals,
                    predefined_question_ids=[(6, 0, questions[vals["survey_id"]].ids)],
                )
                for vals, _values, _invited, _answered in plans
            ]
        )
        line_vals = []
        for user_input, (_vals, values, _invited, _answered) in zip(
            inputs, plans, strict=True
        ):
            if values is not None:
                line_vals += self._demo_answer_lines(
                    user_input, questions[user_input.survey_id.id], values
                )
        self.env["survey.user_input.line"].create(line_vals)
        UserInput.browse(
            [
                ui.id
                for ui, plan in zip(inputs, plans, strict=True)
                if plan[1] is not None
            ]
        )._mark_done()
        # dates: invitations and answers happened over the months
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE survey_user_input ui
                   SET create_date = v.invited,
                       start_datetime = v.answered - interval '3 minutes',
                       end_datetime = v.answered,
                       deadline = v.invited + interval '14 days'
                  FROM unnest(%s::int[], %s::timestamp[], %s::timestamp[])
                       AS v(id, invited, answered)
                 WHERE ui.id = v.id
                """,
                inputs.ids,
                [invited for _vals, _values, invited, _answered in plans],
                [answered for _vals, _values, _invited, answered in plans],
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET survey_last_invite_date = v.invited
                  FROM (SELECT pp.commercial_partner_id AS id,
                               MAX(ui.create_date) AS invited
                          FROM survey_user_input ui
                          JOIN res_partner pp ON pp.id = ui.partner_id
                         WHERE ui.id = ANY(%s)
                         GROUP BY pp.commercial_partner_id) v
                 WHERE p.id = v.id
                """,
                inputs.ids,
            )
        )
        # everything before today was processed by the invitation job
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET satisfaction_invite_done = TRUE "
                "WHERE id = ANY(%s) AND state = 'sale'",
                orders.ids,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE crm_relationship_complaint SET satisfaction_invite_done = TRUE "
                "WHERE id = ANY(%s)",
                complaints.ids,
            )
        )
        self.env.invalidate_all()
        customers._survey_recompute_rollup()
        self._demo_register(inputs, "answer", module=MODULE)
        self._demo_rescore()
        return True

    def _demo_rescore(self):
        """Score again with satisfaction when the scoring demo ran first."""
        if "crm.relationship.score.run" not in self.env or not self._demo_done(
            "score_run_0001", module="crm_relationship_scoring"
        ):
            return
        company = self.env.ref("base.main_company")
        self.env["crm.relationship.score.run"]._compute_scores(company, force=True)
