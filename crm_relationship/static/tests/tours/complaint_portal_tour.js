/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Steps that load another page say so where the tour service knows the key
// (`expectUnloadPage`); builds of 18.0 before mid-2025 reject unknown keys,
// and there the next step simply waits for the new page.
const UNLOAD = "expectUnloadPage" in stepUtils.goToUrl("/") ? { expectUnloadPage: true } : {};

// Relies on the data of crm_relationship/tests/test_complaint_portal.py: the
// portal customer has one confirmed order with a "Porcelain teapot" line.
registry.category("web_tour.tours").add("crm_relationship_complaint_portal_tour", {
    url: "/my/orders",
    steps: () => [
        {
            content: "Open the confirmed order",
            trigger: ".o_portal_my_doc_table a[href^='/my/orders/']",
            run: "click",
            ...UNLOAD,
        },
        {
            content: "Report a problem with the order",
            trigger: "a.o_complaint_report_problem",
            run: "click",
            ...UNLOAD,
        },
        {
            content: "Choose the category",
            trigger: "#o_complaint_form select[name='category_id']",
            run: "selectByLabel Delivery",
        },
        {
            content: "Choose the product",
            trigger: "#o_complaint_form select[name='sale_order_line_id']",
            run: "selectByLabel Porcelain teapot",
        },
        {
            content: "Give a subject",
            trigger: "#o_complaint_form input[name='subject']",
            run: "edit Teapot arrived broken",
        },
        {
            content: "Describe the problem",
            trigger: "#o_complaint_form textarea[name='description']",
            run: "edit The lid was in pieces when the parcel arrived.",
        },
        {
            content: "Send the complaint",
            trigger: "#o_complaint_submit",
            run: "click",
            ...UNLOAD,
        },
        {
            content: "The complaint page shows the new complaint",
            trigger:
                "#complaint_content .o_complaint_description:contains('The lid was in pieces')",
        },
        {
            content: "It is new",
            trigger: ".o_complaint_status[data-state='new']",
        },
        {
            content: "Go to the list of complaints",
            trigger: ".o_portal_submenu a[href='/my/complaints']",
            run: "click",
            ...UNLOAD,
        },
        {
            content: "The list shows the complaint and its reference",
            trigger:
                ".o_portal_complaint_row:contains('Teapot arrived broken') a:contains('CMP/')",
        },
    ],
});

registry.category("web_tour.tours").add("crm_relationship_complaint_resolved_tour", {
    url: "/my/complaints",
    steps: () => [
        {
            content: "The list shows the complaint as resolved",
            trigger:
                ".o_portal_complaint_row:contains('Teapot arrived broken') .o_complaint_status[data-state='resolved']",
        },
        {
            content: "Open the complaint",
            trigger: ".o_portal_complaint_row:contains('Teapot arrived broken') a",
            run: "click",
            ...UNLOAD,
        },
        {
            content: "The status is Resolved",
            trigger: "#complaint_info .o_complaint_state:contains('Resolved')",
        },
        {
            content: "The resolution is shown",
            trigger: "#complaint_resolution:contains('A new teapot is on its way')",
        },
        {
            content: "The team's message is in the communication history",
            trigger:
                "#chatterRoot:shadow .o-mail-Message:contains('A replacement ships today')",
        },
        {
            content: "Reply to the team",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit Thank you, it arrived safely.",
        },
        {
            content: "Send the reply",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The reply is in the communication history",
            trigger:
                "#chatterRoot:shadow .o-mail-Message:contains('Thank you, it arrived safely.')",
        },
        {
            content: "Accept the resolution",
            trigger: "#complaint_acceptance button.o_complaint_accept",
            run: "click",
            ...UNLOAD,
        },
        {
            content: "The acceptance is recorded",
            trigger: "#complaint_resolution .o_complaint_acceptance.text-success",
        },
    ],
});
