from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

USER_GROUP = "crm_relationship.crm_relationship_group_user"
#: states in which suggested products can be added: quotations
QUOTATION_STATES = ("draft", "sent")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    relationship_suggestion_ids = fields.One2many(
        "crm.relationship.product.suggestion",
        compute="_compute_relationship_suggestion_ids",
        string="Suggested Products",
        groups=USER_GROUP,
        help="Products often bought with what the customer bought, except the "
        "products already on this order.",
    )

    @api.depends("partner_id", "company_id", "order_line.product_id")
    def _compute_relationship_suggestion_ids(self):
        """The suggestions of the order's customer (commercial partner) in the
        order's company, without the products already on the order; read
        with the user's rights, in one search for all the orders."""
        Suggestion = self.env["crm.relationship.product.suggestion"]
        customers = self.partner_id.commercial_partner_id._origin
        suggestions = Suggestion.search(
            [
                ("partner_id", "in", customers.ids),
                ("company_id", "in", self.company_id._origin.ids),
            ]
        )
        for order in self:
            on_order = order.order_line.product_id
            order.relationship_suggestion_ids = suggestions.filtered(
                lambda s, order=order, on_order=on_order: (
                    s.partner_id == order.partner_id.commercial_partner_id._origin
                    and s.company_id == order.company_id._origin
                    and s.product_id not in on_order
                )
            )

    def action_add_suggested_product(self, product_id):
        """Add ``product_id`` to this quotation as a new line (quantity 1,
        price and taxes as Odoo computes them for the customer).

        Checked first, with the caller's rights and never sudo: the caller is
        a relationship user who can write this order, and the order is still
        a quotation (draft or sent). A product already on the order is not
        added twice: nothing is done and ``False`` returned (the *Suggested
        Products* tab hides such suggestions). Returns ``True`` when a line
        was added.
        """
        self.ensure_one()
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(
                self.env._("Only relationship users can use suggested products.")
            )
        self.check_access("write")
        if self.state not in QUOTATION_STATES:
            raise UserError(
                self.env._(
                    "%(order)s is no longer a quotation: suggested products can only "
                    "be added to a quotation.",
                    order=self.name,
                )
            )
        product = self.env["product.product"].browse(int(product_id)).exists()
        if (
            not product
            or not product.sale_ok
            or (product.company_id and product.company_id != self.company_id)
        ):
            raise UserError(
                self.env._("This product cannot be sold on %(order)s.", order=self.name)
            )
        if product in self.order_line.product_id:
            return False
        self.env["sale.order.line"].create(
            {"order_id": self.id, "product_id": product.id, "product_uom_qty": 1.0}
        )
        return True
