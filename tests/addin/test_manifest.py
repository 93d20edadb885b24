"""The Outlook add-in manifest: structure (lxml), Microsoft's converter and schema, serving."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from lxml import etree

from backend.addin.manifest import render_manifest

ROOT = Path(__file__).resolve().parents[2]
NPM_BIN = ROOT / "addin" / "node_modules" / ".bin"
BASE = "https://sync.contoso.test"
NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "v10": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "v11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
}
XSI_TYPE = f"{{{NS['xsi']}}}type"


@pytest.fixture(scope="module")
def manifest() -> etree._Element:
    return etree.fromstring(render_manifest(BASE).encode())


def test_it_is_a_mail_app_for_reading_messages_and_appointments(manifest) -> None:
    assert manifest.tag == f"{{{NS['o']}}}OfficeApp"
    assert manifest.get(XSI_TYPE) == "MailApp"
    uuid.UUID(manifest.findtext("o:Id", namespaces=NS))
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", manifest.findtext("o:Version", namespaces=NS))
    assert manifest.findtext("o:Permissions", namespaces=NS) == "ReadWriteItem"
    rules = manifest.findall("o:Rule/o:Rule", NS)
    assert {(r.get("ItemType"), r.get("FormType")) for r in rules} == {
        ("Message", "Read"), ("Appointment", "Read"),
    }  # fmt: skip


def test_both_version_overrides_open_the_task_pane_and_only_1_1_pins(manifest) -> None:
    outer = manifest.find("v10:VersionOverrides", NS)
    inner = outer.find("v11:VersionOverrides", NS)
    assert (outer.get(XSI_TYPE), inner.get(XSI_TYPE)) == (
        "VersionOverridesV1_0", "VersionOverridesV1_1",
    )  # fmt: skip
    for overrides, prefix, pinning in ((outer, "v10", []), (inner, "v11", ["true"])):
        points = overrides.findall(f"{prefix}:Hosts/{prefix}:Host/{prefix}:DesktopFormFactor/"
                                   f"{prefix}:ExtensionPoint", NS)  # fmt: skip
        assert [p.get(XSI_TYPE) for p in points] == [
            "MessageReadCommandSurface", "AppointmentAttendeeCommandSurface",
        ]  # fmt: skip
        for point in points:
            [action] = point.iter(f"{{{NS[prefix]}}}Action")
            assert action.get(XSI_TYPE) == "ShowTaskpane"
            pins = [e.text for e in action.iter(f"{{{NS[prefix]}}}SupportsPinning")]
            assert pins == pinning


def test_every_resource_is_defined_short_and_every_url_is_under_the_base(manifest) -> None:
    for overrides in manifest.iter(f"{{{NS['v10']}}}VersionOverrides",
                                   f"{{{NS['v11']}}}VersionOverrides"):  # fmt: skip
        resources = overrides.find("{*}Resources")
        defined = {e.get("id") for e in resources.iter() if e.get("id")}
        assert all(len(name) <= 32 for name in defined)
        used = {
            e.get("resid")
            for host in overrides.findall("{*}Hosts")
            for e in host.iter()
            if e.get("resid")
        }
        assert used and used <= defined
    urls = [v for e in manifest.iter() for v in (e.get("DefaultValue"), e.text) if v and "://" in v]
    assert urls and all(url.startswith(BASE) for url in urls), urls
    for url in urls:
        if "/static/" in url:
            assert (ROOT / url.removeprefix(BASE + "/")).is_file(), url


def test_the_base_url_must_be_https() -> None:
    with pytest.raises(ValueError, match="https"):
        render_manifest("http://sync.contoso.test")
    with pytest.raises(ValueError, match="absolute"):
        render_manifest("sync.contoso.test")
    assert 'DefaultValue="https://a.test/x/addin/taskpane"' in render_manifest("https://a.test/x/")


def test_the_cli_prints_it_and_refuses_a_bad_base_url(runner) -> None:
    printed = runner.invoke(args=["addin", "manifest", "--base-url", BASE])
    assert printed.exit_code == 0, printed.output
    assert printed.output == render_manifest(BASE)
    refused = runner.invoke(args=["addin", "manifest", "--base-url", "http://insecure.test"])
    assert refused.exit_code == 2 and "https only" in refused.output


def test_the_server_answers_its_own_manifest(client) -> None:
    answer = client.get("/addin/manifest.xml")
    assert answer.mimetype == "application/xml"
    assert b'"http://127.0.0.1:8000/addin/taskpane"' in answer.data


NPM_TOOLS = (NPM_BIN / "office-addin-manifest").exists() and shutil.which("node")


@pytest.mark.skipif(not NPM_TOOLS, reason="needs Node and `npm ci --prefix addin` (make test)")
def test_microsofts_tools_convert_it_and_validate_the_result(tmp_path: Path) -> None:
    xml = tmp_path / "manifest.xml"
    xml.write_text(render_manifest(BASE))
    converted = subprocess.run(
        [NPM_BIN / "office-addin-manifest-converter", "convert", xml, "-o", tmp_path / "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert converted.returncode == 0, converted.stdout + converted.stderr
    unified = tmp_path / "json" / "manifest.json"
    data = json.loads(unified.read_text())
    [extension] = data["extensions"]
    pages = {runtime["code"]["page"] for runtime in extension["runtimes"]}
    assert pages == {f"{BASE}/addin/taskpane"}

    def validate(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([NPM_BIN / "office-addin-manifest", "validate", path],
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    valid = validate(unified)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    data["name"]["short"] = "x" * 31
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    refused = validate(broken)
    assert refused.returncode != 0 and "/name/short" in refused.stdout + refused.stderr
