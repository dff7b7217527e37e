/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_survey_menu_tour", {
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
            content: "Open Satisfaction Surveys",
            trigger: '.o_main_navbar [data-menu-xmlid="crm_relationship_survey.survey_survey_menu_satisfaction"]',
            run: "click",
        },
        {
            content: "The satisfaction survey is listed",
            trigger: '.o_kanban_record:contains("Post-purchase satisfaction")',
        },
        {
            content: "Live sessions are not satisfaction surveys",
            trigger: 'body:not(:has(.o_kanban_record:contains("Live quiz night")))',
        },
    ],
});
