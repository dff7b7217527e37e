{
    "name": "Customer Relationships: Satisfaction Surveys",
    "version": "18.0.1.3.0",
    "category": "Sales/CRM",
    "summary": "CSAT, NPS and CES surveys customers answer from portal links",
    "description": """
Customer satisfaction surveys
=============================
A bridge over Odoo's Survey app: satisfaction surveys (CSAT, NPS, CES) sent
after orders and complaints, answered from portal links, rolled up on the
customer.
""",
    "author": "crm_relationship contributors",
    "maintainers": [],
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship", "survey"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_relationship_survey_security.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "data/survey_survey_data.xml",
        "views/survey_survey_views.xml",
        "views/survey_user_input_views.xml",
        "views/crm_relationship_kano_result_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/crm_relationship_complaint_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_relationship_survey_portal_templates.xml",
        "report/crm_relationship_satisfaction_report_views.xml",
        "views/crm_relationship_survey_menus.xml",
    ],
    "demo": ["demo/crm_relationship_survey_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_relationship_survey/static/tests/tours/*.js",
        ],
    },
    "pre_init_hook": "pre_init_hook",
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}
