#!/usr/bin/env python3
"""Screenshots of the product for the README and the addons' descriptions.

Run ``make screenshots`` while ``make run`` serves the demo database (it calls
this script with the project's virtual environment). It drives a headless
Chromium through the DevTools protocol (``websocket-client``, already an Odoo
test dependency), logs in as the administrator and as the demo portal
customer, and writes PNG files:

* ``docs/screenshots/<name>.png`` in English,
* ``docs/screenshots/zh_CN/<name>.png`` in Chinese (the administrator's and
  the portal user's language are switched to ``zh_CN`` for the second pass,
  then restored).

Options: ``--url`` (default ``http://localhost:$HTTP_PORT``), ``--db``,
``--only name[,name]`` and ``--lang en_US|zh_CN`` to redo a few pictures.
"""

from __future__ import annotations

import argparse
import base64
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket  # websocket-client, installed with Odoo's test requirements

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
ADMIN = ("admin", "admin")
PORTAL = ("portal.customer@example.com", "portal")
VIEWPORT = (1440, 900)


class ScreenshotError(Exception):
    pass


# --------------------------------------------------------------------------
# JSON-RPC (sessions and a few reads)
# --------------------------------------------------------------------------
class Session:
    def __init__(self, url: str, db: str, login: str, password: str):
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )
        result = self.rpc(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        self.uid = result["uid"]
        self.partner_id = result.get("partner_id")

    def rpc(self, path: str, params: dict):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params})
        request = urllib.request.Request(
            self.url + path,
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=120) as response:
            reply = json.loads(response.read())
        if reply.get("error"):
            data = reply["error"].get("data", {})
            raise ScreenshotError(f"{path}: {data.get('message') or reply['error']}")
        return reply["result"]

    def call(self, model: str, method: str, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def cookie(self) -> str:
        for cookie in self.jar:
            if cookie.name == "session_id":
                return cookie.value
        raise ScreenshotError("no session cookie after login")


# --------------------------------------------------------------------------
# Chromium through the DevTools protocol
# --------------------------------------------------------------------------
def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise ScreenshotError("Chromium is not installed (apt-get install chromium).")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="crm-shots-")
        port = free_port()
        self.proc = subprocess.Popen(
            [
                find_chromium(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        target = self._page_target(port)
        self.ws = websocket.create_connection(
            target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self.next_id = 0
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=VIEWPORT[0],
            height=VIEWPORT[1],
            deviceScaleFactor=1,
            mobile=False,
        )

    def _page_target(self, port: int) -> dict:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/json/list", timeout=2
                ) as response:
                    pages = [
                        t for t in json.loads(response.read()) if t["type"] == "page"
                    ]
                if pages:
                    return pages[0]
            except OSError:
                pass
            time.sleep(0.3)
        raise ScreenshotError("Chromium did not start its DevTools endpoint")

    def send(self, method: str, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise ScreenshotError(f"{method}: {message['error']}")
                return message.get("result", {})

    def set_session(self, url: str, session_id: str):
        self.send("Network.clearBrowserCookies")
        self.send(
            "Network.setCookie",
            name="session_id",
            value=session_id,
            url=url,
            path="/",
        )

    def evaluate(self, expression: str):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def goto(self, url: str, selector: str, timeout: float = 45.0):
        self.send("Page.navigate", url=url)
        deadline = time.time() + timeout
        check = f"!!document.querySelector({json.dumps(selector)})"
        while time.time() < deadline:
            time.sleep(0.4)
            if self.evaluate(check):
                # let late renderers (charts, counters) and fonts settle
                time.sleep(1.5)
                return
        raise ScreenshotError(f"{url}: '{selector}' did not appear in {timeout:.0f} s")

    def click(self, selector: str, wait_for: str | None = None):
        found = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (!el) return false; el.click(); return true; })()"
        )
        if not found:
            raise ScreenshotError(f"nothing to click at '{selector}'")
        time.sleep(1.0)
        if wait_for:
            deadline = time.time() + 20
            check = f"!!document.querySelector({json.dumps(wait_for)})"
            while time.time() < deadline and not self.evaluate(check):
                time.sleep(0.3)

    def save(self, path: Path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


# --------------------------------------------------------------------------
# The pictures
# --------------------------------------------------------------------------
def first_id(session: Session, model: str, domain: list, order: str) -> int:
    ids = session.call(model, "search", domain, limit=1, order=order)
    if not ids:
        raise ScreenshotError(
            f"no {model} matches {domain}: is the demo data installed "
            "(make run creates the database with it)?"
        )
    return ids[0]


def admin_shots(session: Session) -> list[tuple]:
    """``(name, path, selector to wait for, selector to click first[,
    selector scrolled to the middle])``."""
    act = "/odoo/action-"
    # the most valuable champion with an expected next order (the scores are
    # a table of their own: sorted there, not on the partner)
    best = first_id(
        session,
        "crm.relationship.score",
        [("rfm_segment", "=", "champions"), ("next_order_date", "!=", False)],
        "clv_value desc",
    )
    [row] = session.call("crm.relationship.score", "read", [best], ["partner_id"])
    customer = row["partner_id"][0]
    # a loyal customer whose six loyalty factors were all measured
    loyal = first_id(
        session,
        "crm.relationship.score",
        [
            ("loyalty_factors_used", "=", 63),
            ("loyalty_class", "in", ["loyal", "advocate"]),
        ],
        "loyalty_index desc",
    )
    [row] = session.call("crm.relationship.score", "read", [loyal], ["partner_id"])
    loyal_customer = row["partner_id"][0]
    quotation = first_id(
        session,
        "sale.order",
        [
            ("state", "in", ["draft", "sent"]),
            (
                "partner_id.commercial_partner_id.relationship_suggestion_ids",
                "!=",
                False,
            ),
        ],
        "id desc",
    )
    # the Relationships dashboard (by its XML id: its name is translated)
    [dashboard] = session.call(
        "ir.model.data",
        "search_read",
        [
            ("module", "=", "crm_relationship_dashboard"),
            ("name", "=", "spreadsheet_dashboard_relationships"),
        ],
        fields=["res_id"],
    ) or [{"res_id": 0}]
    dashboard = dashboard["res_id"]
    run = first_id(
        session,
        "crm.relationship.score.run",
        [("state", "=", "done"), ("calibration_method", "!=", False)],
        "date desc, id desc",
    )
    complaint = first_id(
        session,
        "crm.relationship.complaint",
        [
            ("sla_status", "=", "breached"),
            ("state", "in", ["new", "acknowledged", "in_progress"]),
        ],
        "id desc",
    )
    return [
        (
            "pipeline",
            act + "crm_relationship.res_partner_action_relationship",
            ".o_kanban_renderer .o_kanban_record",
            None,
        ),
        (
            "partner-scores",
            f"{act}crm_relationship.res_partner_action_relationship/{customer}",
            ".o_form_view .o_notebook",
            "a[name='relationship_scores']",
        ),
        (
            "rfm-matrix",
            act + "crm_relationship_scoring.res_partner_action_rfm_matrix",
            ".o_pivot table",
            None,
        ),
        (
            "at-risk",
            act + "crm_relationship_scoring.res_partner_action_at_risk",
            ".o_list_renderer .o_data_row",
            None,
        ),
        (
            "partner-loyalty",
            f"{act}crm_relationship.res_partner_action_relationship/{loyal_customer}",
            ".o_form_view .o_notebook",
            "a[name='relationship_scores']",
            ".o_field_widget[name='score_explanation']",
        ),
        (
            "loyalty-ladder",
            act + "crm_relationship_scoring.res_partner_action_loyalty",
            ".o_graph_renderer canvas",
            None,
        ),
        (
            "satisfaction-trap",
            act + "crm_relationship_scoring.res_partner_action_satisfaction_trap",
            ".o_pivot table",
            None,
        ),
        (
            "bought-together",
            act + "crm_relationship_scoring.crm_relationship_product_affinity_action",
            ".o_list_renderer .o_data_row",
            None,
        ),
        (
            "quotation-suggestions",
            f"/odoo/action-sale.action_quotations_with_onboarding/{quotation}",
            ".o_form_view .o_notebook",
            "a[name='relationship_suggestions']",
        ),
        (
            "holdout-check",
            f"{act}crm_relationship_scoring.crm_relationship_score_run_action/{run}",
            ".o_form_view .o_notebook",
            "a[name='calibration']",
            ".o_field_widget[name='calibration_verdict']",
        ),
        (
            "cohort-retention",
            act + "crm_relationship.crm_relationship_cohort_action",
            ".o_pivot table",
            None,
        ),
        (
            "dashboard",
            f"/odoo/dashboards?dashboard_id={dashboard}",
            ".o_renderer .o-spreadsheet .o-figure canvas",
            None,
        ),
        (
            "transitions",
            act + "crm_relationship.crm_relationship_transition_action",
            ".o_list_renderer .o_data_row",
            None,
        ),
        (
            "complaint-sla",
            f"{act}crm_relationship.crm_relationship_complaint_action/{complaint}",
            ".o_form_view .o_form_sheet",
            None,
        ),
        (
            "complaints-kanban",
            act + "crm_relationship.crm_relationship_complaint_action",
            ".o_kanban_renderer .o_kanban_record",
            None,
        ),
        (
            "nps-report",
            act + "crm_relationship_survey.survey_user_input_action_nps",
            ".o_graph_renderer canvas, .o_pivot table",
            None,
        ),
    ]


PORTAL_SHOTS = [
    ("portal-complaints", "/my/complaints", "table, .o_portal_wrap"),
    ("portal-surveys", "/my/surveys", "table, .o_portal_wrap"),
]


def set_lang(session: Session, user_ids: list[int], lang: str) -> dict:
    before = {
        row["id"]: row["lang"]
        for row in session.call("res.users", "read", user_ids, ["lang"])
    }
    session.call("res.users", "write", user_ids, {"lang": lang})
    return before


def take(args) -> int:
    url = args.url.rstrip("/")
    admin = Session(url, args.db, *ADMIN)
    portal = Session(url, args.db, *PORTAL)
    installed = {
        row["code"]
        for row in admin.call("res.lang", "search_read", [], fields=["code"])
    }
    langs = [args.lang] if args.lang else ["en_US", "zh_CN"]
    if "zh_CN" in langs and "zh_CN" not in installed:
        raise ScreenshotError(
            "Chinese is not installed in the database: 'make run' loads it; "
            "or install it under Settings > Languages."
        )
    only = set(filter(None, (args.only or "").split(",")))
    shots = admin_shots(admin)
    user_ids = [admin.uid, portal.uid]
    restore = set_lang(admin, user_ids, "en_US")
    browser = Browser()
    written = []
    try:
        for lang in langs:
            admin.call("res.users", "write", user_ids, {"lang": lang})
            # a session keeps the language of its login: log in again
            admin_lang = Session(url, args.db, *ADMIN)
            portal_lang = Session(url, args.db, *PORTAL)
            folder = OUT if lang == "en_US" else OUT / lang
            browser.set_session(url, admin_lang.cookie())
            for name, path, selector, click, *scroll in shots:
                if only and name not in only:
                    continue
                browser.goto(url + path, selector)
                if click:
                    # a form's tab, or a dashboard's charts
                    browser.click(
                        click,
                        ".o_notebook .tab-pane.active, "
                        ".o_renderer .o-spreadsheet .o-figure canvas",
                    )
                    time.sleep(1.5)
                if scroll:
                    # the part of a long form shown, in the middle of the window
                    browser.evaluate(
                        f"document.querySelector({json.dumps(scroll[0])})"
                        "?.scrollIntoView({block: 'start'})"
                    )
                    time.sleep(0.8)
                browser.save(folder / f"{name}.png")
                written.append(folder / f"{name}.png")
            browser.set_session(url, portal_lang.cookie())
            for name, path, selector in PORTAL_SHOTS:
                if only and name not in only:
                    continue
                browser.goto(url + path, selector)
                browser.save(folder / f"{name}.png")
                written.append(folder / f"{name}.png")
    finally:
        browser.close()
        for uid, lang in restore.items():
            admin.call("res.users", "write", [uid], {"lang": lang})
    for path in written:
        print(path.relative_to(REPO))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    port = os.environ.get("HTTP_PORT", "8069")
    parser.add_argument("--url", default=f"http://localhost:{port}")
    parser.add_argument("--db", default="crm_relationship")
    parser.add_argument("--only", help="comma-separated picture names")
    parser.add_argument("--lang", choices=["en_US", "zh_CN"])
    args = parser.parse_args(argv)
    try:
        return take(args)
    except (ScreenshotError, OSError) as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
