"""``/api/v1/insights`` and ``/api/v1/support``: the insights report and callback requests
for programs (registered on the API blueprint by ``skill.web.api``; documented in
``openapi.json`` like every route)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from skill.db import utcnow
from skill.insight_report import build_report
from skill.runtime import Runtime
from skill.support import list_requests, mark_handled, request_summary
from skill.web.api import ApiError, _body

MAX_DAYS = 3660


def register_insight_routes(api: Blueprint, runtime: Runtime) -> None:
    """Add the insights and support routes to ``api``."""

    @api.get("/insights")
    def insights_report():  # noqa: ANN202
        try:
            days = int(request.args.get("days", "30"))
        except ValueError:
            raise ApiError(400, "days must be a whole number") from None
        if not 1 <= days <= MAX_DAYS:
            raise ApiError(400, f"days must be between 1 and {MAX_DAYS}")
        with runtime.transaction() as db:
            report = build_report(db, days=days, now=utcnow(), currency=runtime.store.currency,
                                  resolver=runtime.resolver)
        return jsonify(report.to_dict())

    @api.get("/support")
    def support_list():  # noqa: ANN202
        status = request.args.get("status", "open")
        if status not in ("open", "handled", "all"):
            raise ApiError(400, "status must be open, handled or all")
        with runtime.transaction() as db:
            found = list_requests(db, None if status == "all" else status)
            return jsonify(requests=[request_summary(r) for r in found])

    @api.post("/support/<int:request_id>/handle")
    def support_handle(request_id: int):  # noqa: ANN202
        note = _body(dict).get("note")
        if not isinstance(note, str):
            raise ApiError(422, "note must be text saying what was done",
                           fields={"note": "required"})
        with runtime.transaction() as db:
            return jsonify(request_summary(mark_handled(db, request_id, note=note,
                                                        by=g.admin)))
