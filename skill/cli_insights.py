"""``voicecart insights`` and ``voicecart support``: what shoppers said that the skill did not
understand, the purchase funnel, and callback requests (registered by ``skill.cli``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from skill import insight_report, insights, money, support
from skill.db import utcnow
from skill.runtime import Runtime

REBUILD_HINT = "then rebuild the interaction model: voicecart model build"


def register(cli: click.Group, group_class: type[click.Group],
             runtime_of: Callable[[click.Context], Runtime]) -> None:
    """Add the ``insights`` and ``support`` commands to ``cli``."""

    @cli.group("insights", cls=group_class, invoke_without_command=True)
    @click.option("--since", "days", type=click.IntRange(min=1), default=30, show_default=True,
                  help="Look back this many days.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def insights_group(ctx: click.Context, days: int, as_json: bool) -> None:
        """What shoppers said that the skill did not understand (grouped, with a suggested
        fix), the purchase funnel per day, the Fallback rate and the top items."""
        if ctx.invoked_subcommand is not None:
            return
        runtime = runtime_of(ctx)
        with runtime.transaction() as session:
            report = insight_report.build_report(
                session, days=days, now=utcnow(), currency=runtime.store.currency,
                resolver=runtime.resolver)
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2))
        else:
            _print_report(report)

    @insights_group.command("add-phrase")
    @click.argument("intent")
    @click.argument("phrase")
    def insights_add_phrase(intent: str, phrase: str) -> None:
        """Add PHRASE as a sample phrase of INTENT (the model build picks it up)."""
        from skill.templates import add_phrase

        added = add_phrase(intent, phrase)
        click.echo(f"added '{added}' to {intent}; {REBUILD_HINT}")

    @insights_group.command("purge")
    @click.option("--days", type=int, default=None,
                  help="Keep this many days (default: VOICECART_INSIGHTS_RETENTION_DAYS, 90).")
    @click.pass_context
    def insights_purge(ctx: click.Context, days: int | None) -> None:
        """Delete dialog records older than the retention."""
        with runtime_of(ctx).transaction() as session:
            gone = insights.purge_events(session, days)
        click.echo(f"deleted {gone} record(s) older than "
                   f"{days or insights.retention_days()} days")

    @cli.group("support", cls=group_class)
    def support_group() -> None:
        """Callback requests from shoppers."""

    @support_group.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.option("--all", "show_all", is_flag=True, help="Handled requests too.")
    @click.pass_context
    def support_list(ctx: click.Context, as_json: bool, show_all: bool) -> None:
        """Open callback requests, newest first, with their transcript."""
        with runtime_of(ctx).transaction() as session:
            found = support.list_requests(session, None if show_all else "open")
            if as_json:
                click.echo(json.dumps({"requests": [support.request_summary(r)
                                                    for r in found]}, indent=2))
                return
            if not found:
                click.echo("no open requests" if not show_all else "no requests")
            for request in found:
                state = ("open" if request.status == "open" else
                         f"handled by {request.handled_by}: {request.note}")
                click.echo(f"[{state}]")
                click.echo(support.request_text(request))

    @support_group.command("handle")
    @click.argument("request_id", type=int)
    @click.option("--note", required=True, help="What was done.")
    @click.option("--by", default="cli", show_default=True, help="Who handled it.")
    @click.pass_context
    def support_handle(ctx: click.Context, request_id: int, note: str, by: str) -> None:
        """Mark request REQUEST_ID handled, with a note."""
        with runtime_of(ctx).transaction() as session:
            support.mark_handled(session, request_id, note=note, by=by)
        click.echo(f"support request {request_id} handled")


def _print_report(report: insight_report.Report) -> None:
    echo = click.echo
    echo(f"Insights since {report.since:%Y-%m-%d} ({report.days} days)")
    total = report.totals()
    echo(f"turns {total.turns}, not understood {total.fallbacks} "
         f"({total.fallback_rate:.0%}), again right after a miss {report.repeated_misses}, "
         f"names fitting several items {report.asked_which}, callbacks asked {report.handoffs}")
    for title, groups in (("Phrases not understood", report.phrases),
                          ("Item names not found", report.unknown_items)):
        echo(f"\n{title}:")
        for group in groups:
            also = f" (also: {', '.join(group.variants[1:4])})" if len(group.variants) > 1 else ""
            echo(f"  {group.count:>4} x '{group.phrase}'{also}")
            if group.candidates:
                echo("         near: " + ", ".join(f"{c['name']} [{c['sku']}] {c['score']:.0f}"
                                                  for c in group.candidates))
            if group.suggestion is not None:
                echo(f"         suggest: {group.suggestion.text}" + _how(group.suggestion))
        if not groups:
            echo("  none")
    echo("\nPer day: turns, fallbacks, restated, confirmed, declined, refused, PIN failed, "
         "approvals asked/approved/rejected, orders, revenue")
    for d in [*report.daily, total]:
        echo(f"  {d.day or 'total':<10} {d.turns:>5} {d.fallbacks:>4} {d.restatements:>4} "
             f"{d.confirmations:>4} {d.declines:>4} {sum(d.refusals.values()):>4} "
             f"{d.pin_failures:>4} {d.approval_requests:>3}/{d.approved}/{d.rejected} "
             f"{d.orders:>4} {money.display(d.revenue_minor, report.currency):>10}")
    if total.refusals:
        echo("Refusals by reason: " + ", ".join(f"{r} {n}" for r, n in total.refusals.items()))
    if report.abandoned:
        echo("Questions left open: " + ", ".join(f"{q} {n}" for q, n in
                                                 report.abandoned.items()))
    echo("\nTop items by voice:")
    for item in report.top_items:
        echo(f"  {item['quantity']:>4} x {item['name']} [{item['sku']}] in {item['orders']} "
             "order(s)")
    if not report.top_items:
        echo("  none")


def _how(suggestion: insight_report.Suggestion) -> str:
    """The command that applies a suggestion."""
    if suggestion.action == "add_synonym":
        return (f"\n         apply: voicecart catalog update {suggestion.sku} "
                f"--add-synonym '{suggestion.phrase}'; {REBUILD_HINT}")
    if suggestion.action == "add_phrase":
        intent = suggestion.intent or "INTENT"
        return (f"\n         apply: voicecart insights add-phrase {intent} "
                f"'{suggestion.phrase}'; {REBUILD_HINT}")
    return (f"\n         apply: voicecart catalog add SKU --name '{suggestion.phrase}' "
            f"--price ... --category ...; {REBUILD_HINT}")
