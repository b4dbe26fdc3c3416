"""The insights page's charts, drawn by pygal as SVG on the server: readable with no
JavaScript (pygal's own script, for tooltips only, is left out)."""

from __future__ import annotations

import re

import pygal
from markupsafe import Markup
from pygal.style import Style

from skill.insight_report import Report

_STYLE = Style(background="white", plot_background="white", font_family="system-ui, sans-serif",
               colors=("#2b6cb0", "#38a169", "#d69e2e", "#b02b3a", "#805ad5", "#1d3557"))


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart: pygal.Graph) -> Markup:
    """The chart as inline SVG, without the configuration script pygal always writes (no
    JavaScript runs on the console)."""
    return Markup(_SCRIPT.sub("", chart.render(is_unicode=True)))


def _chart(kind: type, title: str, days: list[str]) -> pygal.Graph:
    chart = kind(js=[], disable_xml_declaration=True, style=_STYLE, width=900, height=320,
                 title=title, x_label_rotation=30, legend_at_bottom=True,
                 show_minor_x_labels=len(days) <= 14, print_values=False)
    chart.x_labels = days
    return chart


def funnel_chart(report: Report) -> Markup:
    """Restated, confirmed, declined, refused, PIN failures and orders, per day."""
    days = [d.day for d in report.daily]
    chart = _chart(pygal.Bar, "Voice purchases per day", days)
    for label, values in (
            ("restated", [d.restatements for d in report.daily]),
            ("confirmed", [d.confirmations for d in report.daily]),
            ("declined", [d.declines for d in report.daily]),
            ("refused", [sum(d.refusals.values()) for d in report.daily]),
            ("PIN failed", [d.pin_failures for d in report.daily]),
            ("orders", [d.orders for d in report.daily])):
        chart.add(label, values)
    return _svg(chart)


def fallback_chart(report: Report) -> Markup:
    """The share of turns not understood, per day, in percent."""
    days = [d.day for d in report.daily]
    chart = _chart(pygal.Line, "Turns not understood (Fallback rate, %)", days)
    chart.add("Fallback rate", [round(100 * d.fallback_rate, 1) for d in report.daily])
    return _svg(chart)
