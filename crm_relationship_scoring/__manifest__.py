{
    "name": "Customer Relationships: Scoring",
    "version": "18.0.2.2.2",
    "category": "Sales/CRM",
    "summary": "RFM, lifetime value, churn risk, loyalty and products bought "
    "together, recomputed nightly",
    "description": """
Customer value scoring
======================
A pure numpy engine computes RFM scores, probabilistic customer lifetime value
(BG/NBD + Gamma-Gamma) and churn risk from confirmed sale orders; scheduled
jobs write the scores back on customers in batches, and owners are warned about
valuable customers slipping away.
""",
    "author": "crm_relationship contributors",
    "maintainers": [],
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship"],
    "external_dependencies": {"python": ["numpy", "scipy"]},
    "data": [
        "security/ir.model.access.csv",
        "security/crm_relationship_scoring_security.xml",
        "data/ir_cron_data.xml",
        "data/crm_relationship_scoring_automation_data.xml",
        "views/sale_report_views.xml",
        "views/res_partner_views.xml",
        "views/crm_relationship_score_views.xml",
        "views/crm_relationship_score_run_views.xml",
        "views/crm_relationship_score_snapshot_views.xml",
        "views/crm_relationship_transition_views.xml",
        "views/res_config_settings_views.xml",
        "data/ir_cron_affinity_data.xml",
        "views/crm_relationship_product_affinity_views.xml",
        "views/sale_order_views.xml",
        "views/crm_relationship_scoring_menus.xml",
    ],
    "demo": ["demo/crm_relationship_scoring_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_relationship_scoring/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
