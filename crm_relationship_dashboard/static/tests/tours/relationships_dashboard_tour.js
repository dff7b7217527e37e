/** @odoo-module **/

import { registry } from "@web/core/registry";

// Only step keys of the May 2025 build of 18.0 (trigger, run, content).
registry.category("web_tour.tours").add("crm_relationship_dashboard_tour", {
    url: "/odoo/dashboards",
    steps: () => [
        {
            content: "The Relationships group lists the Relationships dashboard",
            trigger: '.o_spreadsheet_dashboard_search_panel li[data-name="Relationships"]',
            run: "click",
        },
        {
            content: "The dashboard is selected",
            trigger: '.o_spreadsheet_dashboard_search_panel li.active[data-name="Relationships"]',
        },
        {
            content: "The spreadsheet is loaded: its scorecards are drawn",
            trigger: ".o_renderer .o-spreadsheet .o-figure-canvas.o-scorecard",
        },
        {
            content: "and its charts",
            trigger: ".o_renderer .o-spreadsheet .o-figure canvas",
        },
    ],
});
