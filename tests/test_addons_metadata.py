"""Static checks of the addons: manifests, icons, i18n, security, packaging."""

import ast
import csv
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parent.parent
#: the three addons of the suite (and of the meta package)
CORE_ADDONS = [
    "crm_relationship",
    "crm_relationship_scoring",
    "crm_relationship_survey",
]
#: every addon, the bridges included
ADDONS = [*CORE_ADDONS, "crm_relationship_dashboard"]
DEPENDS = {
    "crm_relationship": {"sale_management", "contacts", "mail", "portal"},
    "crm_relationship_scoring": {"crm_relationship"},
    "crm_relationship_survey": {"crm_relationship", "survey"},
    "crm_relationship_dashboard": {
        "crm_relationship_scoring",
        "crm_relationship_survey",
        "spreadsheet_dashboard",
    },
}


def manifest(addon):
    return ast.literal_eval((REPO / addon / "__manifest__.py").read_text())


def test_top_level_layout():
    for name in [
        *ADDONS,
        "tests",
        "setup",
        "requirements.txt",
        "README.md",
        "Makefile",
        ".ci/run",
        ".gitignore",
        ".ruff.toml",
        ".pylintrc-mandatory",
    ]:
        assert (REPO / name).exists(), name
    assert "\nmake test\n" in (REPO / ".ci" / "run").read_text()


@pytest.mark.parametrize("addon", ADDONS)
def test_manifest_is_complete(addon):
    m = manifest(addon)
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", m["version"])
    assert m["license"] == "LGPL-3"
    assert m["category"] == "Sales/CRM"
    for key in ("name", "summary", "description", "author", "website"):
        assert m[key].strip(), key
    assert DEPENDS[addon] <= set(m["depends"])
    assert m["installable"] is True
    for path in m["data"]:
        assert (REPO / addon / path).is_file(), path
    if not (REPO / addon / "models").is_dir():
        # a bridge without models nor menus (the dashboard)
        assert m.get("auto_install") is True
        assert not any(p.startswith("security/") for p in m["data"])
        return
    assert "security/ir.model.access.csv" in m["data"]
    # groups before the ACL rows that use them, actions before menus
    groups = [i for i, p in enumerate(m["data"]) if p.endswith("_groups.xml")]
    assert all(i < m["data"].index("security/ir.model.access.csv") for i in groups)
    menus = [i for i, p in enumerate(m["data"]) if p.endswith("_menus.xml")]
    assert menus and menus[0] == len(m["data"]) - 1


def test_scoring_declares_numpy():
    assert (
        "numpy"
        in manifest("crm_relationship_scoring")["external_dependencies"]["python"]
    )


def test_dashboard_is_a_bridge_over_the_dashboards_app():
    m = manifest("crm_relationship_dashboard")
    assert m["auto_install"] is True
    assert m["version"] == "18.0.1.0.0"
    for addon in CORE_ADDONS:
        assert "crm_relationship_dashboard" not in manifest(addon)["depends"]


def test_scoring_and_survey_never_depend_on_each_other():
    assert (
        "crm_relationship_survey" not in manifest("crm_relationship_scoring")["depends"]
    )
    assert (
        "crm_relationship_scoring" not in manifest("crm_relationship_survey")["depends"]
    )


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("addon", ADDONS)
def test_apps_menu_presentation(addon):
    desc = REPO / addon / "static" / "description"
    width, height = png_size(desc / "icon.png")
    assert width == height >= 128
    html = (desc / "index.html").read_text()
    assert "<section" in html and manifest(addon)["name"] in html
    assert (REPO / addon / "README.rst").is_file()
    assert (REPO / addon / "readme" / "DESCRIPTION.md").is_file()


def test_icons_are_one_family_but_distinct():
    icons = [(REPO / a / "static/description/icon.png").read_bytes() for a in ADDONS]
    assert len(set(icons)) == len(ADDONS)
    assert (
        len({png_size(REPO / a / "static/description/icon.png") for a in ADDONS}) == 1
    )


@pytest.mark.parametrize(
    "addon",
    [a for a in ADDONS if (REPO / a / "security" / "ir.model.access.csv").exists()],
)
def test_security_csv_header(addon):
    with open(REPO / addon / "security" / "ir.model.access.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "id",
        "name",
        "model_id:id",
        "group_id:id",
        "perm_read",
        "perm_write",
        "perm_create",
        "perm_unlink",
    ]


@pytest.mark.parametrize("addon", ADDONS)
def test_i18n_template_is_valid(addon):
    pot = polib.pofile(str(REPO / addon / "i18n" / f"{addon}.pot"))
    assert f"* {addon}" in pot.header
    assert len(pot) > 0
    for entry in pot:
        assert entry.msgstr == "", entry.msgid
        assert any(
            f"{addon}." in ref or f"addons/{addon}/" in ref
            for ref, _line in entry.occurrences
        ), entry.msgid


@pytest.mark.parametrize("addon", ADDONS)
def test_zh_cn_translation_is_complete(addon):
    pot = polib.pofile(str(REPO / addon / "i18n" / f"{addon}.pot"))
    po = polib.pofile(str(REPO / addon / "i18n" / "zh_CN.po"))
    assert po.metadata["Language"] == "zh_CN"
    translated = {e.msgid: e.msgstr for e in po if e.msgstr and "fuzzy" not in e.flags}
    missing = [e.msgid for e in pot if e.msgid not in translated]
    assert not missing, f"untranslated in {addon}/i18n/zh_CN.po: {missing}"
    assert po.percent_translated() == 100


@pytest.mark.parametrize("addon", ADDONS)
def test_addon_builds_a_wheel_with_whool(addon, tmp_path):
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO / addon),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith(f"odoo_addon_{addon}-{manifest(addon)['version']}")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert f"odoo/addons/{addon}/__manifest__.py" in names
        assert f"odoo/addons/{addon}/static/description/icon.png" in names
        meta = zf.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Dist: odoo==18.0.*" in meta or "Requires-Dist: odoo>=18.0a" in meta
    if addon != "crm_relationship":
        assert "Requires-Dist: odoo-addon-crm_relationship" in meta.replace(
            "odoo-addon-crm-relationship", "odoo-addon-crm_relationship"
        )


def test_metapackage_installs_every_addon():
    text = (REPO / "setup" / "_metapackage" / "pyproject.toml").read_text()
    for addon in ADDONS:
        assert f'"odoo-addon-{addon}>=18.0dev,<18.1dev"' in text
