{
    "name": "Customer Relationships",
    "version": "18.0.1.4.0",
    "category": "Sales/CRM",
    "summary": "Customer lifecycle stages, value tiers and complaints for e-commerce",
    "description": """
Customer relationship management for e-commerce companies
=========================================================
Work every customer through the relationship lifecycle (exploration, formation,
stability, decline, churn), tier customers by value (80/20) and handle their
complaints, on top of Odoo's partners and sale orders.
""",
    "author": "crm_relationship contributors",
    "maintainers": [],
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": [
        "sale_management",
        "contacts",
        "mail",
        "portal",
        "resource",
        "base_automation",
    ],
    "external_dependencies": {"python": ["numpy"]},
    "data": [
        "security/crm_relationship_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_relationship_security.xml",
        "data/crm_relationship_stage_data.xml",
        "data/crm_relationship_complaint_data.xml",
        "data/ir_cron_data.xml",
        "views/res_partner_views.xml",
        "views/crm_relationship_config_views.xml",
        "views/res_config_settings_views.xml",
        "views/sale_order_views.xml",
        "views/crm_relationship_complaint_views.xml",
        "views/crm_relationship_complaint_config_views.xml",
        "views/crm_relationship_complaint_portal_templates.xml",
        "report/crm_relationship_stage_duration_views.xml",
        "views/crm_relationship_job_failure_views.xml",
        "views/crm_relationship_transition_views.xml",
        "data/crm_relationship_automation_data.xml",
        "report/crm_relationship_cohort_views.xml",
        "views/crm_relationship_menus.xml",
    ],
    "demo": ["demo/crm_relationship_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "crm_relationship/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_relationship/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "_post_init_hook",
    "application": True,
    "installable": True,
}
