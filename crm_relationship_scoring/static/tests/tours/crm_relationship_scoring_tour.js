/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openRelationshipsReporting } from "@crm_relationship_scoring/../tests/tours/tour_steps";

registry.category("web_tour.tours").add("crm_relationship_scoring_menu_tour", {
    url: "/odoo",
    steps: () => [
        ...openRelationshipsReporting(),
        {
            content: "Open Revenue by Customer",
            trigger: '.dropdown-item[data-menu-xmlid="crm_relationship_scoring.sale_report_menu_customer_value"]',
            run: "click",
        },
        {
            content: "The pivot view groups revenue by customer",
            trigger: '.o_pivot .o_pivot_header_cell_closed:contains("Harbour Tea Traders"), .o_pivot th:contains("Harbour Tea Traders")',
        },
        {
            content: "Open the Reporting menu again",
            trigger: '.o_main_navbar button[data-menu-xmlid="crm_relationship.crm_relationship_menu_reporting"]',
            run: "click",
        },
        {
            content: "Open the RFM matrix",
            trigger: '.dropdown-item[data-menu-xmlid="crm_relationship_scoring.res_partner_menu_rfm_matrix"]',
            run: "click",
        },
        {
            content: "The RFM matrix crosses R and F scores",
            trigger: ".o_pivot .o_pivot_header_cell_opened",
        },
        {
            content: "Open the Reporting menu for the at-risk list",
            trigger: '.o_main_navbar button[data-menu-xmlid="crm_relationship.crm_relationship_menu_reporting"]',
            run: "click",
        },
        {
            content: "Open the at-risk customers",
            trigger: '.dropdown-item[data-menu-xmlid="crm_relationship_scoring.res_partner_menu_at_risk"]',
            run: "click",
        },
        {
            content: "The at-risk list is displayed",
            trigger: ".o_list_view, .o_view_nocontent",
        },
    ],
});
