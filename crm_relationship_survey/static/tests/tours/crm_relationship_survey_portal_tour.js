/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_survey_portal_tour", {
    url: "/my",
    steps: () => [
        {
            content: "Open the satisfaction surveys from the portal home",
            trigger: 'a[href="/my/surveys"]',
            run: "click",
        },
        {
            content: "Answer the post-purchase survey waiting for us",
            trigger:
                'tr.o_satisfaction_pending:contains("Post-purchase satisfaction") a.o_satisfaction_answer',
            run: "click",
        },
        {
            content: "Start the survey",
            trigger: 'button.btn:contains("Start")',
            run: "click",
        },
        {
            content: "CSAT: 3 out of 5",
            trigger:
                'div.js_question-wrapper:contains("How satisfied are you with your order") label:has(input[value="3"])',
            run: "click",
        },
        {
            content: "Next question",
            trigger: 'button[value="next"]',
            run: "click",
        },
        {
            content: "NPS: 4 out of 10, a detractor",
            trigger:
                'div.js_question-wrapper:contains("How likely are you to recommend us") label:has(input[value="4"])',
            run: "click",
        },
        {
            content: "Next question",
            trigger: 'button[value="next"]',
            run: "click",
        },
        {
            content: "Say what went wrong",
            trigger: 'div.js_question-wrapper:contains("What could we do better") textarea',
            run: "edit The parcel arrived two weeks late",
        },
        {
            content: "Submit the survey",
            trigger: 'button[value="finish"]',
            run: "click",
        },
        {
            content: "The survey is answered",
            trigger: ".o_survey_finished",
        },
    ],
});
