#!/usr/bin/env python3
"""Build ``data/files/relationships_dashboard.json``, the Relationships dashboard.

How to use
----------
Run it after changing this file and commit both files::

    python3 crm_relationship_dashboard/tools/build_dashboard.py

Plain Python (standard library only), never imported by Odoo. The output is
the same for the same script: identifiers are derived from names.

How it works
------------
The file is an o-spreadsheet workbook in the format of Odoo 18.0's own
dashboards (``spreadsheet_dashboard_sale/data/files/sales_dashboard.json``:
``version`` 21, ``odooVersion`` 12, the same in the May 2025 build; newer
builds migrate it when they load it). It has two sheets:

- *Dashboard*: scorecards (figures reading the *Data* sheet), Odoo charts
  (``odoo_bar``, ``odoo_line``: a ``read_group`` each), tables of
  ``PIVOT.HEADER`` / ``PIVOT.VALUE`` formulas over the pivots below and an
  ``ODOO.LIST`` of the at-risk customers nobody works on;
- *Data*: the scorecards' figures.

Every data source reads one of the suite's models with its real, stored or
searchable fields; the tests resolve every model, field and menu referenced
(``spreadsheet/utils/validate_data.py``) as a relationship user. Texts are
``=_t("...")`` formulas, chart titles and filter labels: Odoo's translation
export takes them from this file (``*_dashboard.json`` under ``data/``) into
``i18n/crm_relationship_dashboard.pot`` as JavaScript terms, and the web client
translates them when the dashboard is displayed.

Three global filters: *Period* (default: last 30 days) for the stage moves,
the satisfaction scorecards and the complaints resolved; *Value Tier* and
*Owner* (the customer's relationship owner) for every data source.

The satisfaction figures (NPS and CSAT % scorecards, NPS by month) read
``crm.relationship.satisfaction.report``, the counts of the answers that
every relationship user may read (the answers themselves are the survey
officers'): its NPS and CSAT % are computed per group from the counts, and
its rows are aggregates, so its charts measure ``nps_count`` (answers), not
``__count`` (rows).
"""

import json
import uuid
from pathlib import Path

OUT = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "files"
    / "relationships_dashboard.json"
)
NAMESPACE = uuid.UUID("6f1f5d1e-3a55-4f43-9a83-0c1d2b1e7a17")

# --- global filters -----------------------------------------------------------


def uid(name):
    """A stable identifier for ``name``."""
    return str(uuid.uuid5(NAMESPACE, name))


PERIOD = uid("filter:period")
TIER = uid("filter:tier")
OWNER = uid("filter:owner")
GLOBAL_FILTERS = [
    {
        "id": PERIOD,
        "type": "date",
        "label": "Period",
        "defaultValue": "last_month",
        "rangeType": "relative",
    },
    {
        "id": TIER,
        "type": "relation",
        "label": "Value Tier",
        "modelName": "crm.relationship.tier",
        "defaultValue": [],
        "defaultValueDisplayNames": [],
        "rangeType": "year",
    },
    {
        "id": OWNER,
        "type": "relation",
        "label": "Owner",
        "modelName": "res.users",
        "defaultValue": [],
        "defaultValueDisplayNames": [],
        "rangeType": "year",
    },
]

#: per model: the field chains the Value Tier and Owner filters apply to, and
#: the date the Period filter applies to when the data source is periodic
MATCHING = {
    "res.partner": ("value_tier_id", "relationship_owner_id"),
    "crm.relationship.transition": ("value_tier_id", "user_id"),
    "crm.relationship.score": ("value_tier_id", "relationship_owner_id"),
    "crm.relationship.satisfaction.report": ("value_tier_id", "relationship_owner_id"),
    "crm.relationship.complaint": (
        "partner_id.value_tier_id",
        "partner_id.relationship_owner_id",
    ),
}


#: the type of each date the Period filter applies to (default: datetime)
DATE_TYPES = {("crm.relationship.satisfaction.report", "date"): "date"}


def field_matching(model, period=None):
    tier, owner = MATCHING[model]
    matching = {
        TIER: {"chain": tier, "type": "many2one"},
        OWNER: {"chain": owner, "type": "many2one"},
    }
    if period:
        matching[PERIOD] = {
            "chain": period,
            "type": DATE_TYPES.get((model, period), "datetime"),
            "offset": 0,
        }
    return matching


# --- data sources -------------------------------------------------------------

CUSTOMERS = [["parent_id", "=", False], ["relationship_stage_id", "!=", False]]
TIERED = [["parent_id", "=", False], ["value_tier_id", "!=", False]]
STAGE_MOVES = [["kind", "=", "stage"]]
SATISFACTION = "crm.relationship.satisfaction.report"
SATISFACTION_MENU = "crm_relationship_survey.crm_relationship_satisfaction_report_menu"
NPS_ANSWERS = [["nps_count", ">", 0]]
CSAT_ANSWERS = [["csat_count", ">", 0]]
RESOLVED = [["state", "in", ["resolved", "closed"]]]
OPEN = [["state", "in", ["new", "acknowledged", "in_progress"]]]
AT_RISK_IDLE = [
    ["parent_id", "=", False],
    ["churn_risk_level", "=", "high"],
    ["activity_ids", "=", False],
]

PIVOTS = {}


def pivot(pid, name, model, domain, measures=(), rows=(), columns=(), period=None):
    PIVOTS[str(pid)] = {
        "type": "ODOO",
        "fieldMatching": field_matching(model, period),
        "context": {},
        "domain": domain,
        "id": str(pid),
        "measures": [{"id": m, "fieldName": m} for m in ("__count", *measures)],
        "model": model,
        "name": name,
        "formulaId": str(pid),
        "columns": [{"fieldName": c} for c in columns],
        "rows": [{"fieldName": r} for r in rows],
    }
    return pid


P_CUSTOMERS = pivot(
    1, "Customers by Stage", "res.partner", CUSTOMERS, rows=["relationship_stage_id"]
)
P_MOVES = pivot(
    2,
    "Stage Moves",
    "crm.relationship.transition",
    STAGE_MOVES,
    rows=["to_stage_id"],
    period="date",
)
P_TIERS = pivot(
    3,
    "Customers by Value Tier",
    "res.partner",
    TIERED,
    measures=["relationship_revenue_12m"],
    rows=["value_tier_id"],
)
P_SEGMENTS = pivot(
    4,
    "RFM Segments",
    "crm.relationship.score",
    [],
    measures=["value_at_risk", "clv_value"],
    rows=["rfm_segment"],
)
P_NPS = pivot(
    5,
    "NPS Answers",
    SATISFACTION,
    NPS_ANSWERS,
    measures=["nps", "nps_count"],
    period="date",
)
P_CSAT = pivot(
    6,
    "CSAT Answers",
    SATISFACTION,
    CSAT_ANSWERS,
    measures=["csat_percent", "csat_count"],
    period="date",
)
P_RESOLVED = pivot(
    7,
    "Complaints Resolved by Severity",
    "crm.relationship.complaint",
    RESOLVED,
    measures=["sla_compliance"],
    rows=["severity"],
    period="date_resolved",
)
P_OPEN = pivot(
    8,
    "Open Complaints by Severity and SLA Status",
    "crm.relationship.complaint",
    OPEN,
    rows=["severity"],
    columns=["sla_status"],
)
P_IDLE = pivot(9, "At-Risk Customers Without an Activity", "res.partner", AT_RISK_IDLE)

LIST_COLUMNS = [
    ("name", "Customer"),
    ("relationship_owner_id", "Owner"),
    ("value_tier_id", "Tier"),
    ("relationship_stage_id", "Stage"),
    ("relationship_last_order_date", "Last Order"),
    ("value_at_risk", "Value at Risk"),
    ("clv_value", "Lifetime Value"),
]
LIST_ROWS = 10
LISTS = {
    "1": {
        "columns": [name for name, _label in LIST_COLUMNS],
        "domain": AT_RISK_IDLE,
        "model": "res.partner",
        "context": {},
        # the most recently lapsed first (value at risk is not sortable on the
        # partner: read from the score table)
        "orderBy": [{"name": "relationship_last_order_date", "asc": False}],
        "id": "1",
        "name": "At-Risk Customers Without an Activity",
        "fieldMatching": field_matching("res.partner"),
    }
}

# --- layout -------------------------------------------------------------------

COLS = "ABCDEFGH"
COL_SIZES = [180, 90, 115, 115, 30, 200, 135, 135]
DEFAULT_ROW = 23
TITLE_ROW = 40
STYLES = {
    "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
    "2": {"textColor": "#434343", "fontSize": 11, "bold": True},
    "3": {"textColor": "#434343", "verticalAlign": "middle"},
    "4": {"textColor": "#434343", "fontSize": 11, "bold": True, "align": "center"},
    "5": {"bold": True},
    "6": {"fillColor": "#f2f2f2"},
}
FORMATS = {"1": "0%", "2": "#,##0"}
BORDERS = {"1": {"bottom": {"style": "thin", "color": "#CCCCCC"}}}


class Sheet:
    def __init__(self, sheet_id, name):
        self.id, self.name = sheet_id, name
        self.cells, self.styles, self.formats, self.borders = {}, {}, {}, {}
        self.rows, self.figures = {}, []

    def text(self, ref, label, style=None):
        self.formula(ref, f'_t("{label}")', style)

    def formula(self, ref, content, style=None, fmt=None):
        self.cells[ref] = {"content": f"={content}"}
        if style:
            self.styles[ref] = style
        if fmt:
            self.formats[ref] = fmt

    def title(self, row, col, label, menu):
        """A section title linking to the menu of the full report."""
        ref = f"{col}{row + 1}"
        self.cells[ref] = {"content": f"[{label}](odoo://ir_menu_xml_id/{menu})"}
        self.styles[ref] = "1"
        end = "D" if col == "A" else "H"
        self.borders[f"{col}{row + 1}:{end}{row + 1}"] = "1"
        self.rows[str(row)] = {"size": TITLE_ROW}

    def y(self, row):
        """Top of ``row`` (0-based) in pixels."""
        return sum(
            self.rows.get(str(r), {}).get("size", DEFAULT_ROW) for r in range(row)
        )

    def dump(self, col_number, row_number, cols=None):
        return {
            "id": self.id,
            "name": self.name,
            "colNumber": col_number,
            "rowNumber": row_number,
            "rows": self.rows,
            "cols": cols or {},
            "merges": [],
            "cells": dict(sorted(self.cells.items(), key=lambda kv: _cell_key(kv[0]))),
            "styles": self.styles,
            "formats": self.formats,
            "borders": self.borders,
            "conditionalFormats": [],
            "figures": self.figures,
            "tables": [],
            "areGridLinesVisible": True,
            "isVisible": True,
            "headerGroups": {"ROW": [], "COL": []},
            "dataValidationRules": [],
            "comments": {},
        }


def _cell_key(ref):
    col = ref.rstrip("0123456789")
    return (col, int(ref[len(col) :]))


MENUS = {}


def scorecard(sheet, name, title, row, x, y, menu, background):
    fid = uid(f"figure:{name}")
    MENUS[fid] = menu
    sheet.figures.append(
        {
            "id": fid,
            "x": x,
            "y": y,
            "width": 240,
            "height": 101,
            "tag": "chart",
            "data": {
                "baselineColorDown": "#DC6965",
                "baselineColorUp": "#00A04A",
                "baselineMode": "difference",
                "title": {"text": title, "bold": True, "color": "#434343"},
                "type": "scorecard",
                "background": background,
                "keyValue": f"Data!C{row}",
                "humanize": False,
            },
        }
    )


def odoo_chart(
    sheet,
    name,
    chart_type,
    model,
    domain,
    group_by,
    measure,
    x,
    y,
    menu,
    period=None,
    width=500,
    height=300,
    stacked=False,
):
    fid = uid(f"figure:{name}")
    MENUS[fid] = menu
    data = {
        "title": {"text": ""},  # the section title above the chart names it
        "background": "#FFFFFF",
        "legendPosition": "top" if len(group_by) > 1 else "none",
        "metaData": {
            "groupBy": group_by,
            "measure": measure,
            "order": None,
            "resModel": model,
            "mode": chart_type.removeprefix("odoo_"),
        },
        "searchParams": {
            "comparison": None,
            "context": {},
            "domain": domain,
            "groupBy": group_by,
            "orderBy": [],
        },
        "type": chart_type,
        "verticalAxisPosition": "left",
        "stacked": stacked,
        "fieldMatching": field_matching(model, period),
    }
    if chart_type == "odoo_line":
        data["fillArea"] = False
    sheet.figures.append(
        {
            "id": fid,
            "x": x,
            "y": y,
            "width": width,
            "height": height,
            "tag": "chart",
            "data": data,
        }
    )


def build():
    dash = Sheet("sheet1", "Dashboard")
    data = Sheet(uid("sheet:data"), "Data")
    left_x, right_x = 0, sum(COL_SIZES[:5])

    # Data sheet: the scorecards' figures (B: value, C: shown)
    data.text("A1", "KPI", "5")
    data.text("B1", "Value", "5")
    data.text("C1", "Shown", "5")
    kpis = [
        (
            "Customers",
            f'PIVOT.VALUE({P_CUSTOMERS},"__count")',
            "FORMAT.LARGE.NUMBER(B{r})",
        ),
        (
            "Stage moves in the period",
            f'PIVOT.VALUE({P_MOVES},"__count")',
            "FORMAT.LARGE.NUMBER(B{r})",
        ),
        (
            "Value at risk",
            f'PIVOT.VALUE({P_SEGMENTS},"value_at_risk")',
            "FORMAT.LARGE.NUMBER(B{r})",
        ),
        (
            "At-risk customers without an activity",
            f'PIVOT.VALUE({P_IDLE},"__count")',
            "FORMAT.LARGE.NUMBER(B{r})",
        ),
        (
            "Net Promoter Score",
            f'PIVOT.VALUE({P_NPS},"nps")',
            f'IF(PIVOT.VALUE({P_NPS},"nps_count"),ROUND(B{{r}},0),"-")',
        ),
        (
            "CSAT %",
            f'PIVOT.VALUE({P_CSAT},"csat_percent")',
            f'IF(PIVOT.VALUE({P_CSAT},"csat_count"),ROUND(B{{r}},0),"-")',
        ),
        (
            "SLA compliance %",
            f'PIVOT.VALUE({P_RESOLVED},"sla_compliance")',
            f'IF(PIVOT.VALUE({P_RESOLVED},"__count"),ROUND(B{{r}},0),"-")',
        ),
        (
            "Open complaints",
            f'PIVOT.VALUE({P_OPEN},"__count")',
            "FORMAT.LARGE.NUMBER(B{r})",
        ),
    ]
    for i, (label, value, shown) in enumerate(kpis):
        r = i + 2
        data.text(f"A{r}", label)
        data.formula(f"B{r}", value)
        data.formula(f"C{r}", shown.format(r=r), fmt="2")
    data.styles[f"B2:C{len(kpis) + 1}"] = "6"

    # scorecards: two rows of four
    cards = [
        ("customers", "Customers", "crm_relationship.res_partner_menu_relationship"),
        ("moves", "Stage Moves", "crm_relationship.crm_relationship_transition_menu"),
        (
            "value_at_risk",
            "Value at Risk",
            "crm_relationship_scoring.res_partner_menu_at_risk",
        ),
        (
            "idle",
            "At Risk, No Activity",
            "crm_relationship_scoring.res_partner_menu_at_risk",
        ),
        ("nps", "Net Promoter Score", SATISFACTION_MENU),
        ("csat", "CSAT %", SATISFACTION_MENU),
        (
            "sla",
            "SLA Compliance %",
            "crm_relationship.crm_relationship_complaint_menu_analysis",
        ),
        ("open", "Open Complaints", "crm_relationship.crm_relationship_complaint_menu"),
    ]
    for i, (name, title, menu) in enumerate(cards):
        scorecard(
            dash,
            name,
            title,
            i + 2,
            x=(i % 4) * 253,
            y=11 + (i // 4) * 111,
            menu=menu,
            background="#EFF6FF" if i < 4 else "#FFF7ED",
        )
    row = 11  # below the scorecards (0-based)

    # lifecycle: customers by stage and the moves of the period
    dash.title(
        row, "A", "Customers by Stage", "crm_relationship.res_partner_menu_relationship"
    )
    dash.title(
        row,
        "F",
        "Stage Moves in the Period",
        "crm_relationship.crm_relationship_transition_menu",
    )
    y = dash.y(row + 1) + 5
    odoo_chart(
        dash,
        "stages",
        "odoo_bar",
        "res.partner",
        CUSTOMERS,
        ["relationship_stage_id"],
        "__count",
        left_x,
        y,
        "crm_relationship.res_partner_menu_relationship",
    )
    odoo_chart(
        dash,
        "moves_chart",
        "odoo_bar",
        "crm.relationship.transition",
        STAGE_MOVES,
        ["to_stage_id"],
        "__count",
        right_x,
        y,
        "crm_relationship.crm_relationship_transition_menu",
        period="date",
        width=470,
    )
    row += 15

    # value: tiers (80/20) and RFM segments
    dash.title(
        row,
        "A",
        "Value Tiers (80/20)",
        "crm_relationship.res_partner_menu_relationship_analysis",
    )
    dash.title(
        row, "F", "RFM Segments", "crm_relationship_scoring.res_partner_menu_segments"
    )
    head = row + 1
    for col, label in zip(
        "ABCD",
        ["Tier", "Customers", "% of Customers", "% of Revenue"],
        strict=True,
    ):
        dash.text(f"{col}{head + 1}", label, "2" if col == "A" else "4")
    for i in range(1, 6):
        r = head + 1 + i
        p, pos = P_TIERS, f'"#value_tier_id",{i}'
        dash.formula(f"A{r}", f"PIVOT.HEADER({p},{pos})")
        dash.formula(f"B{r}", f'PIVOT.VALUE({p},"__count",{pos})', fmt="2")
        dash.formula(
            f"C{r}",
            f'IF(B{r},B{r}/PIVOT.VALUE({p},"__count"),"")',
            fmt="1",
        )
        dash.formula(
            f"D{r}",
            f'IF(B{r},IFERROR(PIVOT.VALUE({p},"relationship_revenue_12m",{pos})'
            f'/PIVOT.VALUE({p},"relationship_revenue_12m"),""),"")',
            fmt="1",
        )
    dash.styles[f"A{head + 2}:D{head + 6}"] = "3"
    for col, label in zip(
        "FGH", ["Segment", "Customers", "Value at Risk"], strict=True
    ):
        dash.text(f"{col}{head + 1}", label, "2" if col == "F" else "4")
    # fixed rows, in the order of the engine (engine/rfm.py SEGMENTS) with
    # its labels: a segment without customers keeps its row
    segments = [
        ("champions", "Champions"),
        ("loyal", "Loyal"),
        ("potential_loyalist", "Potential Loyalist"),
        ("new", "New Customers"),
        ("promising", "Promising"),
        ("need_attention", "Need Attention"),
        ("about_to_sleep", "About to Sleep"),
        ("at_risk", "At Risk"),
        ("cannot_lose", "Cannot Lose Them"),
        ("hibernating", "Hibernating"),
        ("lost", "Lost"),
    ]
    for i, (code, label) in enumerate(segments):
        r = head + 2 + i
        p, key = P_SEGMENTS, f'"rfm_segment","{code}"'
        dash.text(f"F{r}", label)
        dash.formula(f"G{r}", f'PIVOT.VALUE({p},"__count",{key})', fmt="2")
        dash.formula(f"H{r}", f'PIVOT.VALUE({p},"value_at_risk",{key})', fmt="2")
    dash.styles[f"F{head + 2}:H{head + 1 + len(segments)}"] = "3"
    row = head + 2 + len(segments) + 1

    # satisfaction: NPS by month, answers by category
    dash.title(
        row,
        "A",
        "Net Promoter Score by Month",
        SATISFACTION_MENU,
    )
    dash.title(
        row,
        "F",
        "NPS Answers by Category",
        SATISFACTION_MENU,
    )
    y = dash.y(row + 1) + 5
    odoo_chart(
        dash,
        "nps_trend",
        "odoo_line",
        SATISFACTION,
        NPS_ANSWERS,
        ["date:month"],
        "nps",
        left_x,
        y,
        SATISFACTION_MENU,
    )
    odoo_chart(
        dash,
        "nps_categories",
        "odoo_bar",
        SATISFACTION,
        NPS_ANSWERS,
        ["date:month", "nps_category"],
        "nps_count",
        right_x,
        y,
        SATISFACTION_MENU,
        width=470,
        stacked=True,
    )
    row += 15

    # complaints: open ones by severity and SLA status, compliance of the period
    dash.title(
        row,
        "A",
        "Open Complaints by Severity",
        "crm_relationship.crm_relationship_complaint_menu",
    )
    dash.title(
        row,
        "F",
        "SLA Compliance in the Period",
        "crm_relationship.crm_relationship_complaint_menu_analysis",
    )
    head = row + 1
    for col, label in zip(
        "ABCD", ["Severity", "All Open", "At Risk", "Breached"], strict=True
    ):
        dash.text(f"{col}{head + 1}", label, "2" if col == "A" else "4")
    for col, label in zip(
        "FGH", ["Severity", "Resolved", "SLA Compliance"], strict=True
    ):
        dash.text(f"{col}{head + 1}", label, "2" if col == "F" else "4")
    severities = [
        ("critical", "Critical"),
        ("high", "High"),
        ("normal", "Normal"),
        ("low", "Low"),
    ]
    for i, (severity, label) in enumerate(severities):
        r = head + 2 + i
        key = f'"severity","{severity}"'
        dash.text(f"A{r}", label)
        dash.formula(f"B{r}", f'PIVOT.VALUE({P_OPEN},"__count",{key})', fmt="2")
        for col, status in (("C", "at_risk"), ("D", "breached")):
            dash.formula(
                f"{col}{r}",
                f'PIVOT.VALUE({P_OPEN},"__count",{key},"sla_status","{status}")',
                fmt="2",
            )
        dash.text(f"F{r}", label)
        dash.formula(f"G{r}", f'PIVOT.VALUE({P_RESOLVED},"__count",{key})', fmt="2")
        dash.formula(
            f"H{r}",
            f'IF(PIVOT.VALUE({P_RESOLVED},"__count",{key}),'
            f'PIVOT.VALUE({P_RESOLVED},"sla_compliance",{key})/100,"")',
            fmt="1",
        )
    dash.styles[f"A{head + 2}:D{head + 5}"] = "3"
    dash.styles[f"F{head + 2}:H{head + 5}"] = "3"
    row = head + 7

    # next actions: valuable customers at high risk that nobody works on
    dash.title(
        row,
        "A",
        "At-Risk Customers Without an Activity",
        "crm_relationship_scoring.res_partner_menu_at_risk",
    )
    head = row + 1
    list_cols = "ABCDFGH"  # E is the gutter
    for col, (_field, label) in zip(list_cols, LIST_COLUMNS, strict=True):
        dash.text(f"{col}{head + 1}", label, "2" if col == "A" else "4")
    for i in range(1, LIST_ROWS + 1):
        r = head + 1 + i
        for col, (field, _label) in zip(list_cols, LIST_COLUMNS, strict=True):
            fmt = "2" if field in ("value_at_risk", "clv_value") else None
            dash.formula(f"{col}{r}", f'ODOO.LIST(1,{i},"{field}")', fmt=fmt)
    dash.styles[f"A{head + 2}:H{head + 1 + LIST_ROWS}"] = "3"
    last_row = head + 2 + LIST_ROWS

    return {
        "version": 21,
        "sheets": [
            dash.dump(
                len(COLS),
                last_row + 2,
                {str(i): {"size": s} for i, s in enumerate(COL_SIZES)},
            ),
            data.dump(3, len(kpis) + 2, {"0": {"size": 260}}),
        ],
        "styles": STYLES,
        "formats": FORMATS,
        "borders": BORDERS,
        "revisionId": "START_REVISION",
        "uniqueFigureIds": True,
        "settings": {
            "locale": {
                "name": "English (US)",
                "code": "en_US",
                "thousandsSeparator": ",",
                "decimalSeparator": ".",
                "dateFormat": "mm/dd/yyyy",
                "timeFormat": "hh:mm:ss",
                "formulaArgSeparator": ",",
                "weekStart": 7,
            }
        },
        "pivots": PIVOTS,
        "pivotNextId": len(PIVOTS) + 1,
        "customTableStyles": {},
        "odooVersion": 12,
        "globalFilters": GLOBAL_FILTERS,
        "lists": LISTS,
        "listNextId": len(LISTS) + 1,
        "chartOdooMenusReferences": MENUS,
    }


def main():
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=4, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
