"""Plain-text tables and Markdown / HTML reports of claim checks."""

from __future__ import annotations

import datetime
import html
import math
import os
import re
from pathlib import Path

__all__ = ["format_table", "write_report"]


def _verdict(result) -> str:
    return "PASS" if result.passed else "FAIL"


def _slack(x: float) -> str:
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def _relative(x) -> str:
    return "-" if x is None else _slack(x)


#: The slack convention, stated once for the table, Markdown and HTML reports (see rltheory.proofs_checks._registry).
CONVENTION = (
    "Slack convention: slack >= 0 means the claim holds, < 0 that it is violated; PASS always has slack >= 0 and "
    "FAIL slack <= 0. The slack is in the claim's units after the stated floating-point allowance: the minimum over "
    "the instances for a claim 'for all x, P(x)', and for a counterexample claim 'some x violates P' minus P's slack "
    "at the best witness. Rel. slack divides it by the size of what is compared (the bound; an identity's allowance): "
    "1 far inside, 0 tight, '-' when the check reports no scale."
)


def _cx_label(c) -> str:
    if c.kind == "counterexample":
        return "Witness (a counterexample to the refuted statement; its slack"
    return "Counterexample (slack"


def _short_source(source: str, width: int = 48) -> str:
    return source if len(source) <= width else source[: width - 3] + "..."


def _rows(results):
    from rltheory.proofs_checks._catalog import get_claim

    for r in results:
        c = get_claim(r.claim_id)
        rate = ""
        if r.fitted_exponent is not None:
            lo, hi = r.exponent_ci
            rate = f"{r.fitted_exponent:.4g} [{lo:.4g}, {hi:.4g}] vs {r.claimed_exponent:.4g}"
        yield c, r, rate


def format_table(results) -> str:
    """A fixed-width table: claim, source, instances, slack, relative slack, verdict (and the rate fit, if any).

    Examples
    --------
    >>> from rltheory.proofs_checks import run_claims, format_table
    >>> results = run_claims(["bellman.optimality.monotone", "bellman.optimality.not-gamma-squared"], examples=3)
    >>> table = format_table(results)
    >>> table.splitlines()[0].split()
    ['claim', 'source', 'instances', 'slack', 'rel.', 'slack', 'verdict', 'rate']
    >>> [(r.passed, r.worst_slack >= 0) for r in results]  # one sign convention, counterexample claims included
    [(True, True), (True, True)]
    >>> table.splitlines()[-1]
    '2 passed, 0 failed'
    """
    header = ("claim", "source", "instances", "slack", "rel. slack", "verdict", "rate")
    rows = [
        (
            c.id,
            _short_source(c.source),
            str(r.n_instances),
            _slack(r.worst_slack),
            _relative(r.relative_slack),
            _verdict(r),
            rate,
        )
        for c, r, rate in _rows(results)
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    widths[0] = max(widths[0], 28)
    fmt = lambda cells: "  ".join(cell.ljust(w) for cell, w in zip(cells, widths)).rstrip()  # noqa: E731
    lines = [fmt(header), fmt(["-" * w for w in widths])]
    lines += [fmt(row) for row in rows]
    n_fail = sum(not r.passed for r in results)
    lines.append(f"{len(results) - n_fail} passed, {n_fail} failed")
    return "\n".join(lines)


def _plot_rate(result, path: Path) -> None:
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fit = result.rate
    fig = Figure(figsize=(5, 3.4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.asarray(fit.x, dtype=float)
    xs = np.linspace(x.min(), x.max(), 200) if fit.kind == "exponential" else np.geomspace(x.min(), x.max(), 200)
    ax.plot(x, fit.y, "o", label="measured")
    ax.plot(xs, fit.predict(xs), "-", label=f"fit: {fit.exponent:.3g} [{fit.ci[0]:.3g}, {fit.ci[1]:.3g}]")
    if fit.kind == "power":
        ax.set_xscale("log")
        ax.set_yscale("log")
    elif fit.kind == "exponential":
        ax.set_yscale("log")
    else:
        ax.set_xscale("log")
    ax.set_title(f"{result.claim_id} (claimed {result.claimed_exponent:.3g})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _safe(claim_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-]", "_", claim_id)


def write_report(path, results, *, title: str = "rltheory claim check") -> Path:
    """Write a Markdown (``.md``) or HTML (``.html``/``.htm``) report; rate plots go next to it as PNG.

    Each claim gets its statement, LaTeX, source, verdict, instances, worst
    slack, the check's message, the counterexample (full-precision text and
    hypothesis reproduction decorator) and, for rate claims, the fitted
    exponent with its CI against the published form, plus a plot
    ``<report stem>_<claim id>.png``.

    Returns
    -------
    pathlib.Path
        The report path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from rltheory.proofs_checks import run_claims, write_report
    >>> results = run_claims(["vi.error-bound", "vi.linear-rate"], examples=3)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_report(pathlib.Path(d) / "check.md", results)
    ...     text = path.read_text()
    ...     plots = sorted(p.name for p in path.parent.glob("*.png"))
    >>> text.splitlines()[0], "2 passed, 0 failed" in text, plots
    ('# rltheory claim check', True, ['check_vi_linear-rate.png'])
    """
    path = Path(os.fspath(path))
    suffix = path.suffix.lower()
    if suffix not in (".md", ".html", ".htm"):
        raise ValueError(f"report file {str(path)!r} must end in .md, .html or .htm")
    if not path.parent.exists():
        raise ValueError(f"report directory {str(path.parent)!r} does not exist")
    plots = {}
    for r in results:
        if r.rate is not None:
            png = path.with_name(f"{path.stem}_{_safe(r.claim_id)}.png")
            _plot_rate(r, png)
            plots[r.claim_id] = png.name
    text = _markdown(results, plots, title) if suffix == ".md" else _html(results, plots, title)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _markdown(results, plots, title) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    n_fail = sum(not r.passed for r in results)
    out = [f"# {title}", "", f"{len(results) - n_fail} passed, {n_fail} failed ({stamp}).", ""]
    out += [
        CONVENTION,
        "",
        "| claim | source | instances | slack | rel. slack | verdict | rate (fit [CI] vs claimed) |",
        "|---|---|---|---|---|---|---|",
    ]
    for c, r, rate in _rows(results):
        out.append(
            f"| [{c.id}](#{_safe(c.id)}) | {_md_cell(c.source)} | {r.n_instances} | {_slack(r.worst_slack)} | "
            f"{_relative(r.relative_slack)} | {_verdict(r)} | {_md_cell(rate)} |"
        )
    out.append("")
    for c, r, rate in _rows(results):
        out += [f'<a id="{_safe(c.id)}"></a>', "", f"## {c.id}: {_verdict(r)}", ""]
        out += [c.statement, "", f"$$ {c.latex} $$", "", f"- **source**: {c.source}", f"- **kind**: {c.kind}"]
        out += [
            f"- **instances**: {r.n_instances}, **slack**: {_slack(r.worst_slack)}, "
            f"**relative slack**: {_relative(r.relative_slack)}, **time**: {r.seconds:.2f} s"
        ]
        if c.published_form:
            out.append(f"- **published form**: {c.published_form}")
        if rate:
            out.append(
                f"- **rate**: {r.rate.describe() if r.rate is not None else rate} (claimed {r.claimed_exponent:.4g})"
            )
        if r.message:
            out.append(f"- **detail**: {r.message}")
        if r.counterexample is not None:
            cx = r.counterexample
            out += ["", f"{_cx_label(c)} {_slack(cx.slack)}, seed {cx.seed}):", "", "```python", cx.text, "```"]
            if cx.reproduction:
                out += ["", f"Reproduce with `{cx.reproduction}`."]
        if c.id in plots:
            out += ["", f"![{c.id} rate]({plots[c.id]})"]
        out.append("")
    return "\n".join(out)


def _html(results, plots, title) -> str:
    e = html.escape
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    n_fail = sum(not r.passed for r in results)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        f"<title>{e(title)}</title>",
        "<style>table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 6px}"
        ".PASS{color:#070}.FAIL{color:#b00;font-weight:bold}pre{background:#f4f4f4;overflow-x:auto}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{len(results) - n_fail} passed, {n_fail} failed ({e(stamp)}).</p>",
        f"<p>{e(CONVENTION)}</p>",
        "<table>",
        "<tr><th>claim</th><th>source</th><th>instances</th><th>slack</th><th>rel. slack</th><th>verdict</th>"
        "<th>rate</th></tr>",
    ]
    for c, r, rate in _rows(results):
        v = _verdict(r)
        out.append(
            f'<tr><td><a href="#{_safe(c.id)}">{e(c.id)}</a></td><td>{e(c.source)}</td><td>{r.n_instances}</td>'
            f"<td>{e(_slack(r.worst_slack))}</td><td>{e(_relative(r.relative_slack))}</td>"
            f'<td class="{v}">{v}</td><td>{e(rate)}</td></tr>'
        )
    out.append("</table>")
    for c, r, rate in _rows(results):
        v = _verdict(r)
        out += [f'<h2 id="{_safe(c.id)}">{e(c.id)}: <span class="{v}">{v}</span></h2>', f"<p>{e(c.statement)}</p>"]
        out += [
            f"<p><code>{e(c.latex)}</code></p>",
            "<ul>",
            f"<li><b>source</b>: {e(c.source)}</li>",
            f"<li><b>kind</b>: {e(c.kind)}</li>",
        ]
        out.append(
            f"<li><b>instances</b>: {r.n_instances}, <b>slack</b>: {e(_slack(r.worst_slack))}, "
            f"<b>relative slack</b>: {e(_relative(r.relative_slack))}, <b>time</b>: {r.seconds:.2f} s</li>"
        )
        if c.published_form:
            out.append(f"<li><b>published form</b>: {e(c.published_form)}</li>")
        if rate:
            out.append(
                f"<li><b>rate</b>: {e(r.rate.describe() if r.rate is not None else rate)} (claimed "
                f"{r.claimed_exponent:.4g})</li>"
            )
        if r.message:
            out.append(f"<li><b>detail</b>: {e(r.message)}</li>")
        out.append("</ul>")
        if r.counterexample is not None:
            cx = r.counterexample
            out.append(f"<p>{e(_cx_label(c))} {e(_slack(cx.slack))}, seed {e(str(cx.seed))}):</p>")
            out.append(f"<pre>{e(cx.text)}</pre>")
            if cx.reproduction:
                out.append(f"<p>Reproduce with <code>{e(cx.reproduction)}</code>.</p>")
        if c.id in plots:
            out.append(f'<p><img src="{e(plots[c.id])}" alt="{e(c.id)} rate plot" /></p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
