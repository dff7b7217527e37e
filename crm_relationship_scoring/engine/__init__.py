"""Pure scoring engine of crm_relationship_scoring.

numpy arrays in, numpy arrays out; no Odoo import and no I/O, so that the
package can be loaded by path and tested with plain pytest.
"""

ENGINE_VERSION = "1"
