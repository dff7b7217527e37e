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
                '.o_kanban_group:contains("Prospect") .o_kanban_record:contains("Harbour Tea Traders")',
        },
        {
            content: "Drag the customer to Decline",
            trigger:
                '.o_kanban_group:contains("Prospect") .o_kanban_record:contains("Harbour Tea Traders")',
            async run(helpers) {
                // drop inside the column body, below its header
                await helpers.drag_and_drop(
                    ".o_kanban_group:has(.o_column_title:contains('Decline'))",
                    { position: { top: 150, left: 40 }, relative: true }
                );
            },
        },
        {
            content: "The reason wizard opens on the Decline stage",
            trigger: '.modal .o_field_widget[name="stage_id"] input',
            run: () => {
                const stage = document.querySelector(
                    '.modal .o_field_widget[name="stage_id"] input'
                );
                if (stage.value !== "Decline") {
                    throw new Error(`Wizard opened on ${stage.value}, not Decline`);
                }
            },
        },
        {
            content: "Type a reason",
            trigger: '.modal .o_field_widget[name="reason_id"] input',
            run: "edit cheaper",
        },
        {
            content: "Choose the reason",
            trigger: '.o-autocomplete--dropdown-item:contains("Found a cheaper supplier")',
            run: "click",
        },
        {
            content: "Explain what happened",
            trigger: '.modal .o_field_widget[name="note"] textarea',
            run: "edit Asked for a discount twice",
        },
        {
            content: "Confirm the move",
            trigger: '.modal button[name="action_apply"]',
            run: "click",
        },
        {
            content: "The customer now sits in Decline",
            trigger:
                '.o_kanban_group:contains("Decline") .o_kanban_record:contains("Harbour Tea Traders") .fw-bold',
            run: "click",
        },
        {
            content: "The customer's form opens",
            trigger: '.o_breadcrumb .active:contains("Harbour Tea Traders")',
        },
        {
            content: "Open the Relationship tab",
            trigger: '.o_notebook .nav-link:contains("Relationship")',
            run: "click",
        },
        {
            content: "The history shows the manual move and its reason",
            trigger:
                '.o_field_widget[name="relationship_history_ids"] .o_data_row:contains("Decline"):contains("Found a cheaper supplier")',
        },
    ],
});
