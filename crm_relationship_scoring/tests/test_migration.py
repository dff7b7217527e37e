"""Upgrade from 18.0.1.x: the scores stored on res_partner move to their own
table (migrations/18.0.2.0.0/post-migration.py, run on the layout of the
previous version recreated in the test transaction)."""

import importlib.util
from pathlib import Path

from odoo.tools import SQL

from ..models import crm_relationship_score as score_model
from .common import ScoringCase

MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "18.0.2.0.0"
    / "post-migration.py"
)
#: the score columns of res_partner in 18.0.1.x and their types
LEGACY = {
    "rfm_recency_days": "int4",
    "rfm_frequency": "int4",
    "rfm_monetary": "numeric",
    "rfm_r_score": "int4",
    "rfm_f_score": "int4",
    "rfm_m_score": "int4",
    "rfm_code": "varchar",
    "rfm_segment": "varchar",
    "purchase_gap_days": "numeric",
    "clv_value": "numeric",
    "clv_method": "varchar",
    "p_alive": "numeric",
    "expected_purchases": "numeric",
    "churn_risk": "numeric",
    "churn_risk_level": "varchar",
    "value_at_risk": "numeric",
    "health_score": "numeric",
    "score_date": "date",
    "score_model_id": "int4",
    "score_currency_id": "int4",
}


def _load_migration():
    spec = importlib.util.spec_from_file_location("post_migration_2_0_0", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestUpgradeKeepsScores(ScoringCase):
    def _legacy_layout(self):
        for name, kind in LEGACY.items():
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE res_partner ADD COLUMN %s %s",
                    SQL.identifier(name),
                    SQL(kind),
                )
            )

    def test_scores_stored_on_partners_move_to_their_table(self):
        champion = self._customer("Old Layout Champion")
        lost = self._customer("Old Layout Lost")
        never = self._customer("Old Layout Never Scored")
        run = self.Run.create(
            {
                "company_id": self.company.id,
                "date": self.today,
                "state": "done",
                "customer_count": 2,
            }
        )
        self.env["crm.relationship.score.snapshot"].create(
            {
                "run_id": run.id,
                "partner_id": champion.id,
                "company_id": self.company.id,
                "date": self.today,
                "rfm_segment": "champions",
            }
        )
        self.env.flush_all()
        self._legacy_layout()
        values = {
            champion.id: ("champions", "555", 5, 1234.5, 0.9312, "low", 3, 88.5),
            lost.id: ("lost", "111", 1, 10.0, 0.0412, "high", 400, 12.0),
        }
        for pid, (
            segment,
            code,
            score,
            clv_value,
            p_alive,
            level,
            idle,
            health,
        ) in values.items():
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner
                       SET rfm_segment = %s, rfm_code = %s, rfm_r_score = %s,
                           rfm_f_score = %s, rfm_m_score = %s, clv_value = %s,
                           clv_method = 'bgnbd_gamma_gamma', p_alive = %s,
                           churn_risk = 1 - %s, churn_risk_level = %s,
                           rfm_recency_days = %s, health_score = %s,
                           rfm_frequency = 4, rfm_monetary = 500,
                           purchase_gap_days = 30, expected_purchases = 1.5,
                           value_at_risk = %s * (1 - %s), score_date = %s,
                           score_model_id = %s, score_currency_id = %s
                     WHERE id = %s
                    """,
                    segment,
                    code,
                    score,
                    score,
                    score,
                    clv_value,
                    p_alive,
                    p_alive,
                    level,
                    idle,
                    health,
                    clv_value,
                    p_alive,
                    self.today,
                    run.id,
                    self.company.currency_id.id,
                    pid,
                )
            )
        migration = _load_migration()
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()
        # every scored customer keeps its scores, read on the partner as before
        Partner = self.env["res.partner"].with_company(self.company)
        for pid, (
            segment,
            code,
            score,
            clv_value,
            p_alive,
            level,
            idle,
            health,
        ) in values.items():
            partner = Partner.browse(pid)
            with self.subTest(customer=partner.name):
                self.assertEqual(partner.rfm_segment, segment)
                self.assertEqual(partner.rfm_code, code)
                self.assertEqual(partner.rfm_r_score, score)
                self.assertAlmostEqual(partner.clv_value, clv_value, places=2)
                self.assertAlmostEqual(partner.p_alive, p_alive, places=4)
                self.assertEqual(partner.churn_risk_level, level)
                self.assertAlmostEqual(partner.health_score, health, places=1)
                self.assertEqual(partner.rfm_recency_days, idle)
                self.assertEqual(partner.score_run_id, run)
                self.assertEqual(partner.score_date, self.today)
                self.assertEqual(partner.clv_method, "bgnbd_gamma_gamma")
        self.assertFalse(Partner.browse(never.id).score_date)
        row = self.env["crm.relationship.score"].search(
            [("partner_id", "=", champion.id)]
        )
        self.assertEqual(row.company_id, self.company)
        # the history carries on from the last snapshot: no spurious change
        self.assertEqual(row.history_segment, "champions")
        self.assertEqual(row.history_date, self.today)
        # the partner columns are gone, and a second pass is harmless
        self.env.cr.execute(
            SQL(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'res_partner' AND column_name = ANY(%s)",
                list(LEGACY),
            )
        )
        self.assertFalse(self.env.cr.fetchall())
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.assertEqual(
            self.env["crm.relationship.score"].search_count(
                [("partner_id", "in", [champion.id, lost.id, never.id])]
            ),
            2,
        )


FILL_MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "18.0.2.2.1"
    / "post-migration.py"
)


class TestScoreTableFill(ScoringCase):
    def _fillfactor(self):
        self.env.cr.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'crm_relationship_score'"
        )
        return self.env.cr.fetchone()[0]

    def test_score_table_leaves_room_for_nightly_updates(self):
        """The table is filled to 45 % (``init``); an upgrade from a table
        filled to 70 % rewrites it with the new fill factor, every row kept."""
        self.assertIn("fillfactor=45", self._fillfactor())
        customer = self._customer("Fill Factor Teas")
        self._orders([(customer, 40, 30.0), (customer, 10, 45.0)])
        self._score()
        Score = self.env["crm.relationship.score"]
        before = Score.search_read([], ["partner_id", "clv_value", "rfm_segment"])
        self.assertTrue(before)
        self.env.cr.execute("ALTER TABLE crm_relationship_score SET (fillfactor = 70)")
        spec = importlib.util.spec_from_file_location(
            "post_migration_2_2_1", FILL_MIGRATION
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.2.2.0")
        self.assertIn("fillfactor=45", self._fillfactor())
        Score.invalidate_model()
        after = Score.search_read([], ["partner_id", "clv_value", "rfm_segment"])
        self.assertEqual(
            sorted(after, key=lambda r: r["id"]), sorted(before, key=lambda r: r["id"])
        )
        migration.migrate(self.env.cr, False)  # a new install: nothing to do


FLOAT_MIGRATION = (
    Path(__file__).parent.parent / "migrations" / "18.0.2.2.2" / "pre-migration.py"
)


class TestScoreFloatColumns(ScoringCase):
    def _types(self):
        self.env.cr.execute(
            SQL(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'crm_relationship_score' AND column_name IN %s",
                score_model.FLOAT_FIGURES,
            )
        )
        return dict(self.env.cr.fetchall())

    def test_figures_without_money_are_float8(self):
        """The figures that are not money are float8 columns; an upgrade from
        numeric columns converts them in one statement, every value kept."""
        self.assertEqual(
            set(self._types().values()), {"double precision"}, self._types()
        )
        customer = self._customer("Float Figures Teas")
        self._orders([(customer, 40, 30.0), (customer, 10, 45.0)])
        self._score()
        Score = self.env["crm.relationship.score"]
        names = ["partner_id", *score_model.FLOAT_FIGURES]
        before = Score.search_read([], names)
        self.assertTrue(before)
        self.assertTrue(any(row["p_alive"] for row in before))
        self.env.cr.execute(
            SQL(
                "ALTER TABLE crm_relationship_score %s",
                SQL(", ").join(
                    SQL("ALTER COLUMN %s TYPE numeric", SQL.identifier(name))
                    for name in score_model.FLOAT_FIGURES
                ),
            )
        )
        self.assertEqual(set(self._types().values()), {"numeric"})
        spec = importlib.util.spec_from_file_location(
            "pre_migration_2_2_2", FLOAT_MIGRATION
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.2.2.1")
        self.assertEqual(set(self._types().values()), {"double precision"})
        self.assertEqual(set(migration.FLOAT_COLUMNS), set(score_model.FLOAT_FIGURES))
        Score.invalidate_model()
        self.assertEqual(Score.search_read([], names), before)
        self.assertIn("fillfactor=45", self._fillfactor())
        migration.migrate(self.env.cr, "18.0.2.2.1")  # done: nothing to do
        migration.migrate(self.env.cr, False)  # a new install: nothing to do

    def _fillfactor(self):
        self.env.cr.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'crm_relationship_score'"
        )
        return " ".join(self.env.cr.fetchone()[0])

    def test_run_reference_without_foreign_key(self):
        """The run that last changed a row is an integer without a foreign key
        (``run_id`` computed and searched from it); an upgrade renames the
        former key column in place and drops its key, every value kept."""
        customer = self._customer("Run Reference Teas")
        self._orders([(customer, 40, 30.0), (customer, 10, 45.0)])
        run = self._score()
        Score = self.env["crm.relationship.score"]
        row = Score.search([("partner_id", "=", customer.id)])
        self.assertEqual(row.run_ref, run.id)
        self.assertEqual(row.run_id, run)
        self.assertEqual(Score.search([("run_id", "=", run.id)]), row)
        self.assertEqual(Score.search([("run_id", "in", run.ids)]), row)
        self.assertEqual(Score.search([("run_id", "=", run)]), row)
        self.assertNotIn(row, Score.search([("run_id", "!=", run.id)]))
        self.assertNotIn(row, Score.search([("run_id", "not in", run.ids)]))
        self.assertNotIn(row, Score.search([("run_id", "=", False)]))
        self.assertIn(row, Score.search([("run_id", "!=", False)]))
        # through the run, as for a stored many2one
        self.assertEqual(
            Score.search(
                [("partner_id", "=", customer.id), ("run_id.state", "=", "done")]
            ),
            row,
        )
        self.assertFalse(
            Score.search(
                [("partner_id", "=", customer.id), ("run_id.state", "=", "failed")]
            )
        )
        self.assertFalse(self._run_keys())
        # the layout of 18.0.2.2.1: run_id, a foreign key to the runs
        self.env.cr.execute(
            "ALTER TABLE crm_relationship_score RENAME COLUMN run_ref TO run_id"
        )
        self.env.cr.execute(
            "ALTER TABLE crm_relationship_score ADD CONSTRAINT "
            "crm_relationship_score_run_id_fkey FOREIGN KEY (run_id) "
            "REFERENCES crm_relationship_score_run (id) ON DELETE SET NULL"
        )
        self.assertTrue(self._run_keys())
        # Odoo's record of the key (removed with it)
        self.env["ir.model.constraint"].create(
            {
                "name": "crm_relationship_score_run_id_fkey",
                "definition": "run_id",
                "type": "f",
                "model": self.env["ir.model"]._get_id("crm.relationship.score"),
                "module": self.env.ref("base.module_crm_relationship_scoring").id,
            }
        )
        spec = importlib.util.spec_from_file_location(
            "pre_migration_2_2_2_run", FLOAT_MIGRATION
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.assertTrue(migration.run_reference(self.env.cr))
        self.assertFalse(self._run_keys())
        self.assertFalse(
            self.env["ir.model.constraint"].search(
                [("name", "=", "crm_relationship_score_run_id_fkey")]
            )
        )
        self.assertFalse(migration.run_reference(self.env.cr))  # done already
        Score.invalidate_model()
        self.assertEqual(row.run_ref, run.id)
        self.assertEqual(row.run_id, run)
        # a run deleted by the retention leaves its id, read as no run
        self.env.cr.execute(
            "DELETE FROM crm_relationship_score_run WHERE id = %s", [run.id]
        )
        self.env.invalidate_all()
        self.assertEqual(row.run_ref, run.id)
        self.assertFalse(row.run_id)
        # searched as it reads: no run
        self.assertIn(row, Score.search([("run_id", "=", False)]))
        self.assertNotIn(row, Score.search([("run_id", "!=", False)]))
        self.assertNotIn(row, Score.search([("run_id", "=", run.id)]))
        self.assertIn(row, Score.search([("run_id", "!=", run.id)]))

    def _run_keys(self):
        self.env.cr.execute(
            """
            SELECT con.conname FROM pg_constraint con
              JOIN pg_attribute att ON att.attrelid = con.conrelid
                                   AND att.attnum = ANY(con.conkey)
             WHERE con.conrelid = 'crm_relationship_score'::regclass
               AND con.contype = 'f' AND att.attname IN ('run_id', 'run_ref')
            """
        )
        return self.env.cr.fetchall()
