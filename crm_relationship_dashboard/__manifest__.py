{
    "name": "Customer Relationships: Dashboard",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "A Relationships dashboard in the Dashboards app: stages, tiers, "
    "RFM segments, NPS, complaints and the next actions",
    "description": """
Relationships dashboard
=======================
A spreadsheet dashboard in Odoo's Dashboards app for the relationship users:
customers by lifecycle stage and their moves, value tiers and their revenue
(80/20), RFM segments and value at risk, NPS and CSAT by month, complaint SLA
compliance and the at-risk customers nobody is working on.
""",
    "author": "crm_relationship contributors",
    "maintainers": [],
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": [
        "crm_relationship_scoring",
        "crm_relationship_survey",
        "spreadsheet_dashboard",
    ],
    "data": ["data/spreadsheet_dashboard_data.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_relationship_dashboard/static/tests/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
}
