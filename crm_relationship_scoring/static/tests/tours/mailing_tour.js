/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openRelationshipsReporting } from "@crm_relationship_scoring/../tests/tours/tour_steps";

// Relies on the data of crm_relationship_scoring/tests/test_mailing.py: three
// customers at high churn risk on top of the list, Tour Mailing Beta's
// address blacklisted. Only the step keys every 18.0 build knows.
const ROW = (name) => `.o_data_row:contains('Tour Mailing ${name}') .o_list_record_selector input`;

registry.category("web_tour.tours").add("crm_relationship_scoring_mailing_tour", {
    url: "/odoo",
    steps: () => [
        ...openRelationshipsReporting(),
        {
            content: "Open the at-risk customers",
            trigger: '.dropdown-item[data-menu-xmlid="crm_relationship_scoring.res_partner_menu_at_risk"]',
            run: "click",
        },
        {
            content: "Select Alpha",
            trigger: ROW("Alpha"),
            run: "click",
        },
        {
            content: "Select Beta (blacklisted)",
            trigger: ROW("Beta"),
            run: "click",
        },
        {
            content: "Select Gamma",
            trigger: ROW("Gamma"),
            run: "click",
        },
        {
            content: "Send a mailing to the selection",
            trigger: ".o_list_selection_container button[name='action_send_mailing']",
            run: "click",
        },
        {
            content: "A new mailing on Contacts opens",
            trigger: ".o_form_view .o_field_widget[name='mailing_model_id'] input",
            run() {
                if (this.anchor.value !== "Contact") {
                    throw new Error(`Recipients: ${this.anchor.value}, expected Contact`);
                }
            },
        },
        {
            content: "Its recipients are the two customers not blacklisted",
            trigger:
                ".o_field_widget[name='mailing_domain'] .o_domain_show_selection_button:contains('2 record(s)')",
        },
    ],
});
