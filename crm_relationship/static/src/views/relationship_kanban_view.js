/** @odoo-module **/

import { registry } from "@web/core/registry";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { RelationalModel } from "@web/model/relational_model/relational_model";

/**
 * Pipeline kanban of customers.
 *
 * Dropping a customer on another stage asks the server to move it (the move
 * is checked there: salespeople need no write access on contacts). A stage
 * that needs a reason (decline, churned) answers with the reason wizard (as
 * crm's lost reason), and the pipeline reloads when the wizard closes, so a
 * cancelled wizard leaves the customer where it was.
 */
export class RelationshipKanbanDynamicGroupList extends RelationalModel.DynamicGroupList {
    async moveRecord(dataRecordId, dataGroupId, refId, targetGroupId) {
        const sourceGroup = this.groups.find((g) => g.id === dataGroupId);
        const targetGroup = this.groups.find((g) => g.id === targetGroupId);
        if (
            dataGroupId !== targetGroupId &&
            sourceGroup &&
            targetGroup &&
            targetGroup.groupByField.name === "relationship_stage_id" &&
            targetGroup.value
        ) {
            const record = sourceGroup.list.records.find((r) => r.id === dataRecordId);
            const action = await this.model.orm.call(
                "res.partner",
                "action_relationship_drop_on_stage",
                [[record.resId], targetGroup.value]
            );
            if (action) {
                await this.model.action.doAction(action, {
                    onClose: () => this.model.load(),
                });
            } else {
                await this.model.load();
            }
            return;
        }
        return super.moveRecord(...arguments);
    }
}

export class RelationshipKanbanModel extends RelationalModel {
    setup(params, { action }) {
        super.setup(...arguments);
        this.action = action;
    }
}
RelationshipKanbanModel.DynamicGroupList = RelationshipKanbanDynamicGroupList;
RelationshipKanbanModel.services = [...RelationalModel.services, "action"];

export const relationshipKanbanView = {
    ...kanbanView,
    Model: RelationshipKanbanModel,
};

registry.category("views").add("crm_relationship_kanban", relationshipKanbanView);
