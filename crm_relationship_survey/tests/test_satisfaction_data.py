"""The doctests of models/satisfaction_data.py (the satisfaction formulas).

``load_tests`` adds them to a plain unittest run, as OCA's mis_builder does;
neither Odoo 18's test loader nor pytest-odoo calls ``load_tests``, so
``TestSatisfactionDataDoctests`` runs them too, under both.
"""

import doctest
import inspect
import io
from contextlib import redirect_stdout

from odoo.tests import BaseCase, tagged

from ..models import satisfaction_data


def load_tests(loader, tests, ignore):
    tests.addTests(doctest.DocTestSuite(satisfaction_data))
    return tests


@tagged("post_install", "-at_install")
class TestSatisfactionDataDoctests(BaseCase):
    def test_doctests(self):
        out = io.StringIO()
        with redirect_stdout(out):
            failed, attempted = doctest.testmod(satisfaction_data, verbose=False)
        # the failed examples (expected and got) are the failure message
        self.assertEqual(failed, 0, out.getvalue())
        self.assertGreater(attempted, 0)

    def test_public_functions_have_examples(self):
        finder = doctest.DocTestFinder()
        functions = [
            name
            for name, obj in inspect.getmembers(satisfaction_data, inspect.isfunction)
            if not name.startswith("_") and obj.__module__ == satisfaction_data.__name__
        ]
        self.assertTrue(functions)
        for name in functions:
            with self.subTest(function=name):
                examples = finder.find(getattr(satisfaction_data, name), name)
                self.assertTrue(examples and examples[0].examples)
