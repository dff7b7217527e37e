from odoo import api, fields, models

from ..engine.calibration import BUCKETS


class CrmRelationshipScoreCalibration(models.Model):
    """One row of a scoring run's holdout check: the customers who had
    ``bucket`` repeat purchase days before the holdout (the last bucket: that
    many or more), and the purchase days the model predicted for them in the
    holdout against those they made (means per customer).

    Written by the scoring job only, in one batch per run
    (``ScoreJob.store_calibration``, ``engine/calibration.py``): relationship
    users read them with their run, nobody writes them over RPC; deleted with
    the run.
    """

    _name = "crm.relationship.score.calibration"
    _description = "Holdout Check of a Scoring Run"
    _order = "run_id desc, bucket"

    run_id = fields.Many2one(
        "crm.relationship.score.run",
        string="Scoring Run",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        related="run_id.company_id", store=True, index=True, readonly=True
    )
    bucket = fields.Integer(
        string="Repeat Purchases",
        required=True,
        readonly=True,
        help="Repeat purchase days before the holdout; the last bucket holds the "
        "customers with this many or more.",
    )
    bucket_label = fields.Char(
        string="Repeat Purchases Before", compute="_compute_bucket_label"
    )
    customer_count = fields.Integer(string="Customers", readonly=True)
    predicted_mean = fields.Float(
        string="Predicted per Customer", digits=(16, 3), readonly=True
    )
    actual_mean = fields.Float(
        string="Made per Customer", digits=(16, 3), readonly=True
    )

    _sql_constraints = [
        (
            "run_bucket_uniq",
            "UNIQUE(run_id, bucket)",
            "A scoring run has one holdout row per bucket.",
        ),
    ]

    @api.depends("bucket")
    def _compute_bucket_label(self):
        for row in self:
            last = row.bucket >= BUCKETS - 1
            row.bucket_label = f"{row.bucket}+" if last else str(row.bucket)
