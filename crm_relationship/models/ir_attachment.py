from odoo import _, api, models
from odoo.exceptions import AccessError

from .crm_relationship_complaint import COMPLAINT_MODEL


class IrAttachment(models.Model):
    """Customers add files to a complaint only with a message.

    ``/mail/attachment/upload`` without ``is_pending`` attaches a file straight
    to the thread, in sudo, for anyone who may read it: for a complaint that
    would skip the limits of :meth:`CrmRelationshipComplaint._check_customer_files`
    (the portal chatter uploads pending files, then posts them).
    """

    _inherit = "ir.attachment"

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.user._is_internal() and any(
            vals.get("res_model") == COMPLAINT_MODEL and vals.get("res_id")
            for vals in vals_list
        ):
            raise AccessError(_("Files are added to a complaint with a message."))
        return super().create(vals_list)
