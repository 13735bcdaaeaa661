"""`rltheory check` end to end: table, report files, exit codes, --list.

The machinery is exercised on synthetic claims registered for one test (the registered claims
themselves run once, in test_claims.py); --list reads the real registry.
"""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import strategies as st

from rltheory.cli import main
from rltheory.proofs_checks import CheckResult, Claim, Slack, property_claim
from rltheory.proofs_checks._registry import _REGISTRY
from rltheory.proofs_checks.rates import fit_power_law


def _rate_check(ctx):
    x = np.array([10.0, 20.0, 40.0, 80.0])
    fit = fit_power_law(x, 3.0 * x**-0.5 * np.array([1.01, 0.99, 1.0, 1.02]), seed=0)
    slack = min(-0.5 - fit.ci[0], fit.ci[1] + 0.5)
    return CheckResult(
        "test.cli.rate",
        slack >= 0,
        4,
        slack,
        None,
        0.0,
        fitted_exponent=fit.exponent,
        exponent_ci=fit.ci,
        claimed_exponent=-0.5,
        rate=fit,
        message="synthetic x^-1/2",
    )


@pytest.fixture
def synthetic(monkeypatch):
    """Three throw-away claims, tagged 'test-cli': an inequality, a rate (with a plot) and a counterexample."""
    claims = [
        property_claim(
            id="test.cli.square",
            statement="x^2 >= x for integers",
            latex="x^2 \\ge x",
            source="arithmetic",
            kind="inequality",
            tags=("test-cli",),
            strategy=lambda: st.integers(-10, 10),
            registry=False,
        )(lambda x: Slack(float(x * x - x), scale=float(x * x) + 1.0)),
        Claim(
            "test.cli.rate",
            "y ~ x^-1/2",
            "y \\propto x^{-1/2}",
            "arithmetic",
            "rate",
            ("test-cli",),
            check=_rate_check,
            published_form="y = 3 x^-1/2",
            claimed_exponent=-0.5,
        ),
        property_claim(
            id="test.cli.some-large",
            statement="not every integer in [0, 100] is < 50",
            latex="\\exists x \\ge 50",
            source="arithmetic",
            kind="counterexample",
            tags=("test-cli",),
            strategy=lambda: st.integers(0, 100),
            registry=False,
        )(lambda x: Slack(49.5 - x, scale=49.5)),
    ]
    for c in claims:
        monkeypatch.setitem(_REGISTRY, c.id, c)
    return claims


def test_check_writes_markdown_report(tmp_path, capsys, synthetic):
    report = tmp_path / "out.md"
    code = main(
        [
            "check",
            "--claim",
            "test.cli.square",
            "--claim",
            "test.cli.rate",
            "--examples",
            "5",
            "--report",
            str(report),
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "test.cli.square" in out and "2 passed, 0 failed" in out
    text = report.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert len(rows) == 2 and all(line.count("|") == 8 for line in rows)  # 7 cells per row
    assert "| PASS |" in rows[0]
    assert "Slack convention: slack >= 0 means the claim holds" in text
    # the rate claim has its plot next to the report, linked from it
    png = tmp_path / "out_test_cli_rate.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](out_test_cli_rate.png)" in text


class _TagBalance(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <x ... /> is balanced by itself

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def test_html_report_is_well_formed(tmp_path, synthetic):
    report = tmp_path / "out.html"
    assert main(["check", "--tag", "test-cli", "--examples", "30", "--report", str(report), "--no-progress"]) == 0
    text = report.read_text()
    parser = _TagBalance()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    root = ET.fromstring(text.replace("<!DOCTYPE html>", ""))  # also well-formed XML
    cells = [td.text for tr in root.iter("tr") for td in tr.findall("td")]
    assert "PASS" in cells
    assert root.find(".//img").get("src") == "out_test_cli_rate.png"


def test_failing_claim_exits_nonzero_and_prints_counterexample(tmp_path, monkeypatch, capsys):
    c = property_claim(
        id="test.cli-false",
        statement="every integer in [0, 100] is < 50",
        latex="x < 50",
        source="none: deliberately false",
        kind="inequality",
        strategy=lambda: st.integers(0, 100),
        registry=False,
    )(lambda x: 49.5 - x)
    monkeypatch.setitem(_REGISTRY, c.id, c)
    report = tmp_path / "fail.md"
    code = main(["check", "--claim", c.id, "--examples", "20", "--report", str(report), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "FAIL" in captured.out and "test.cli-false FAILED" in captured.err and "reproduce_failure" in captured.err
    text = report.read_text()
    assert "Counterexample (slack -0.5" in text and "\n50\n" in text


def test_list_and_bad_arguments(capsys, tmp_path):
    assert main(["check", "--list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^bellman\.optimality\.contraction\s+\[inequality; .*\]\s+M\. L\. Puterman", out, re.M)
    assert main(["check", "--list", "--tag", "concentration"]) == 0
    listed = capsys.readouterr().out.splitlines()
    # every listed claim carries the tag (claims of other families may carry it too), and the family is there
    assert listed and all(re.search(r"\[[a-z-]+; [^]]*\bconcentration\b", line) for line in listed)
    assert any(line.startswith("concentration.") for line in listed)
    assert main(["check", "--claim", "no.such.claim", "--no-progress"]) == 2
    assert "no claim with id" in capsys.readouterr().err
    # --list with an unknown id or tag is the same usage error (it used to print nothing and exit 0)
    assert main(["check", "--list", "--claim", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "no claim with id 'nope'" in captured.err
    assert main(["check", "--list", "--tag", "nope"]) == 2
    assert "no claim has tag 'nope'" in capsys.readouterr().err
    assert main(["check", "--list", "--claim", "vi.linear-rate", "--claim", "vi.linear-rate"]) == 0
    assert capsys.readouterr().out.count("vi.linear-rate") == 1
    assert main(["check", "--tag", "concentration", "--report", str(tmp_path / "r.txt")]) == 2
    assert main(["check", "--tag", "concentration", "--report", str(tmp_path / "missing" / "r.md")]) == 2


def test_counterexample_claim_reports_a_positive_slack_and_its_witness(tmp_path, capsys, synthetic):
    # issue 11: the table showed a negative "worst slack" next to PASS for a counterexample claim
    report = tmp_path / "cx.md"
    assert (
        main(["check", "--claim", "test.cli.some-large", "--examples", "30", "--report", str(report), "--no-progress"])
        == 0
    )
    (row,) = [line for line in report.read_text().splitlines() if line.startswith("| [")]
    cells = [c.strip() for c in row.split("|")[1:-1]]
    slack, rel, verdict = float(cells[3]), float(cells[4]), cells[5]
    assert verdict == "PASS" and slack > 0 and rel > 0
    assert "Witness (a counterexample to the refuted statement; its slack -" in report.read_text()
    table_row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("test.cli.")][0]
    m = re.search(r"\s(\d+)\s+(\S+)\s+(\S+)\s+PASS", table_row)  # instances, slack, rel. slack, verdict
    assert m and float(m.group(2)) > 0 and float(m.group(3)) > 0
