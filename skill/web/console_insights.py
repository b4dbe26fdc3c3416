"""The console's insights page (what shoppers said that the skill did not understand, with
one-click fixes, and the purchase funnel as charts) and the callback requests (registered
on the console blueprint by ``skill.web.console``)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from skill import money
from skill.db import utcnow
from skill.errors import InvalidInput, NotAllowed, NotFound, VoiceCartError
from skill.insight_report import add_synonym, build_report
from skill.runtime import Runtime
from skill.support import list_requests, mark_handled
from skill.templates import add_phrase, load_templates
from skill.web.charts import fallback_chart, funnel_chart

PERIODS = (7, 30, 90)
REBUILD_OFFER = "Now rebuild the interaction model (the button below) so that Alexa hears it too."


def register_insight_pages(console: Blueprint, runtime: Runtime,
                           signed_in: Callable[[Callable], Callable]) -> None:
    """Add ``/admin/insights`` and ``/admin/support`` to the console."""

    @console.get("/insights")
    @signed_in
    def insights():  # noqa: ANN202
        try:
            days = int(request.args.get("days", "30"))
        except ValueError:
            days = 0
        if days < 1 or days > 3660:
            flash("Choose a period of 1 to 3660 days.", "error")
            return redirect(url_for("console.insights"))
        with runtime.transaction() as db:
            report = build_report(db, days=days, now=utcnow(), currency=runtime.store.currency,
                                  resolver=runtime.resolver)
        intents = [name for name in load_templates() if name != "AMAZON.FallbackIntent"]
        return render_template("admin/insights.html", report=report, totals=report.totals(),
                               days=days, periods=PERIODS, intents=intents, money=money,
                               funnel_svg=funnel_chart(report) if report.daily else None,
                               fallback_svg=fallback_chart(report) if report.daily else None)

    def apply(add: Callable[[], str], what: str):  # noqa: ANN202
        """Apply a suggestion, say what came of it, and offer the model rebuild."""
        try:
            flash(f"Added '{add()}' as {what}. {REBUILD_OFFER}")
        except VoiceCartError as exc:
            flash(f"Not added: {exc}", "error")
        return redirect(url_for("console.insights", days=request.form.get("days", 30)))

    @console.post("/insights/synonym")
    @signed_in
    def insights_synonym():  # noqa: ANN202
        sku, phrase = request.form.get("sku", ""), request.form.get("phrase", "")

        def add() -> str:
            with runtime.transaction() as db:
                return add_synonym(db, sku, phrase, runtime.store.currency)
        return apply(add, f"a synonym of {sku}")

    @console.post("/insights/phrase")
    @signed_in
    def insights_phrase():  # noqa: ANN202
        intent, phrase = request.form.get("intent", ""), request.form.get("phrase", "")
        return apply(lambda: add_phrase(intent, phrase), f"a sample phrase of {intent}")

    @console.get("/support")
    @signed_in
    def support():  # noqa: ANN202
        status = request.args.get("status", "open")
        if status not in ("open", "handled", "all"):
            abort(404)
        with runtime.transaction() as db:
            found = list_requests(db, None if status == "all" else status)
        return render_template("admin/support.html", requests=found, status=status)

    @console.post("/support/<int:request_id>/handle")
    @signed_in
    def support_handle(request_id: int):  # noqa: ANN202
        try:
            with runtime.transaction() as db:
                mark_handled(db, request_id, note=request.form.get("note", ""),
                             by=session["admin"])
            flash(f"Support request {request_id} is handled.")
        except NotFound:
            abort(404)
        except (InvalidInput, NotAllowed) as exc:
            flash(f"Request {request_id}: {exc}", "error")
        return redirect(url_for("console.support"))
