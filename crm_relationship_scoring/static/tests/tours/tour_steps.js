/** @odoo-module **/

// Steps shared by the tours of this addon (only the step keys every 18.0
// build knows: content, trigger, run).

/** From the home page to the Reporting menu of the Relationships app. */
export function openRelationshipsReporting() {
    return [
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
    ];
}
