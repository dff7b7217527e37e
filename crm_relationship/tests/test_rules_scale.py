"""The stage rules' number of queries does not grow with the customers."""

from .common import RelationshipCase


class TestScale(RelationshipCase):
    def test_rule_queries_do_not_grow_with_partners(self):
        def queries(partners):
            partners._relationship_apply_rules(today=self.today)  # first placement
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            partners._relationship_apply_rules(today=self.today)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        few = self.env["res.partner"].create([{"name": f"few {i}"} for i in range(20)])
        many = self.env["res.partner"].create(
            [{"name": f"many {i}"} for i in range(400)]
        )
        self.assertLessEqual(queries(many), queries(few) + 3)
        self.assertEqual(
            set(many.mapped("relationship_stage_id")), {self.stage["prospect"]}
        )
