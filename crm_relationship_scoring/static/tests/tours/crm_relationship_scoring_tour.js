/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_scoring_menu_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Relationships application",
            trigger: '.o_app[data-menu-xmlid="crm_relationship.crm_relationship_menu_root"]',
            run: "click",
        },
        {
            content: "Open the Reporting menu",
            trigger: '.o_main_navbar button[data-menu-xmlid="crm_relationship.crm_relationship_menu_reporting"]',
            run: "click",
        },
        {
            content: "Open Revenue by Customer",
            trigger: '.dropdown-item[data-menu-xmlid="crm_relationship_scoring.sale_report_menu_customer_value"]',
            run: "click",
        },
        {
            content: "The pivot view groups revenue by customer",
            trigger: '.o_pivot .o_pivot_header_cell_closed:contains("Harbour Tea Traders"), .o_pivot th:contains("Harbour Tea Traders")',
        },
    ],
});
