/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_menu_tour", {
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
            content: "The application is open on its customers",
            trigger: '.o_menu_brand:contains("Relationships")',
        },
        {
            content: "The pipeline shows the customer in its stage",
            trigger:
                '.o_kanban_group:contains("Prospect") .o_kanban_record:contains("Harbour Tea Traders") .fw-bold',
            run: "click",
        },
        {
            content: "The customer's form opens",
            trigger: '.o_breadcrumb .active:contains("Harbour Tea Traders")',
        },
    ],
});
