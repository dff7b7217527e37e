from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

USER_GROUP = "crm_relationship.crm_relationship_group_user"


class CrmRelationshipProductSuggestion(models.Model):
    """A product suggested to a customer: often bought with a product the
    customer bought in the scoring window, never one the customer bought.

    Computed every night by the job of ``crm.relationship.product.affinity``
    (engine/affinity.py: the score is the best confidence of the rules
    "bought product → suggested product", the reason that bought product) and
    written by it only, by SQL. Relationship users and administrators read
    the suggestions of their companies (the customer's form, the quotation's
    *Suggested Products* tab); the only thing they do with one is
    :meth:`action_add_to_order`.
    """

    _name = "crm.relationship.product.suggestion"
    _description = "Suggested Product"
    _order = "partner_id, sequence, id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    product_id = fields.Many2one(
        "product.product",
        string="Suggested Product",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    reason_product_id = fields.Many2one(
        "product.product",
        string="Often Bought With",
        required=True,
        readonly=True,
        ondelete="cascade",
        help="The product the customer bought whose buyers most often also buy "
        "the suggested product.",
    )
    score = fields.Float(
        digits=(16, 4),
        readonly=True,
        help="Share of the orders holding the product the customer bought that "
        "also hold the suggested product (confidence).",
    )
    sequence = fields.Integer(
        string="Rank", readonly=True, help="1 for the strongest suggestion."
    )
    reason = fields.Char(compute="_compute_reason")

    _sql_constraints = [
        (
            "company_partner_product_uniq",
            "UNIQUE(company_id, partner_id, product_id)",
            "A product is suggested once to a customer.",
        ),
    ]

    @api.depends("reason_product_id")
    def _compute_reason(self):
        for suggestion in self:
            suggestion.reason = self.env._(
                "Often bought with %(product)s",
                product=suggestion.reason_product_id.display_name,
            )

    @api.depends("product_id", "partner_id")
    def _compute_display_name(self):
        for suggestion in self:
            suggestion.display_name = suggestion.product_id.display_name

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_add_to_order(self, order_id=None):
        """Add the suggested product to the quotation ``order_id`` of the
        suggestion's customer (the *Add* button of the quotation's *Suggested
        Products* tab passes it as ``relationship_order_id`` in the context,
        an RPC caller as the parameter). The caller must read the suggestion
        and write the quotation (checked with the caller's rights, see
        ``sale.order.action_add_suggested_product``). Returns whether a line
        was added."""
        self.ensure_one()
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(
                self.env._("Only relationship users can use suggested products.")
            )
        self.check_access("read")
        order_id = order_id or self.env.context.get("relationship_order_id")
        order = self.env["sale.order"].browse(order_id).exists() if order_id else None
        if not order:
            raise UserError(
                self.env._("Open the quotation to add a suggested product to it.")
            )
        order.check_access("read")
        if (
            order.partner_id.commercial_partner_id != self.partner_id
            or order.company_id != self.company_id
        ):
            raise UserError(
                self.env._(
                    "%(product)s is suggested to %(customer)s, not to the customer "
                    "of %(order)s.",
                    product=self.product_id.display_name,
                    customer=self.partner_id.display_name,
                    order=order.name,
                )
            )
        return order.action_add_suggested_product(self.product_id.id)

    # ------------------------------------------------------------------
    # Write-back (the job of crm.relationship.product.affinity)
    # ------------------------------------------------------------------
    @api.model
    def _suggestion_replace_range(self, company, low, high, partners, products, found):
        """Replace the suggestions of ``company`` for the customers with
        ``low < id <= high`` (no upper bound when ``high`` is ``None``) by
        ``found``: one DELETE of the range and one ``INSERT ... SELECT
        unnest``.

        ``partners`` are the ids of the rows of ``found`` (an
        ``engine.affinity.Suggestions`` of the customers of the range, or
        ``None`` for no suggestion) and ``products`` the ids of the product
        index. The range covers every id, not only the customers with
        orders: the suggestions of a customer who left the window go too.

        Delete + insert rather than only what changed: a customer has at
        most a few rows, and their scores move with the sliding window every
        night, so comparing would rewrite most of them after reading them;
        the range is replaced in the transaction that commits the job's
        progress, so a crash never leaves a customer half written.
        """
        cr = self.env.cr
        upper = SQL("AND partner_id <= %s", high) if high is not None else SQL()
        cr.execute(
            SQL(
                """
                DELETE FROM crm_relationship_product_suggestion
                 WHERE company_id = %s AND partner_id > %s %s
                """,
                company.id,
                low or 0,
                upper,
            )
        )
        if found is not None and len(found):
            cr.execute(
                SQL(
                    """
                    INSERT INTO crm_relationship_product_suggestion
                           (company_id, partner_id, product_id, reason_product_id,
                            score, sequence,
                            create_uid, create_date, write_uid, write_date)
                    SELECT %(company)s, s.partner_id, s.product_id, s.reason_id,
                           s.score, s.sequence, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM unnest(%(partner)s::int[], %(product)s::int[],
                                  %(reason)s::int[], %(score)s::float8[],
                                  %(sequence)s::int[])
                           AS s(partner_id, product_id, reason_id, score, sequence)
                    """,
                    company=company.id,
                    uid=self.env.uid,
                    now=fields.Datetime.now(),
                    partner=partners[found.customer].tolist(),
                    product=products[found.product].tolist(),
                    reason=products[found.reason].tolist(),
                    score=found.score.tolist(),
                    sequence=found.rank.tolist(),
                )
            )
        self.invalidate_model()
