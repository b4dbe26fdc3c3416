"""The ``voicecart`` command line: merchants' catalog and orders, owners' account settings."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
from functools import partial
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from skill import admins, interaction_model, money, notify
from skill.accounts import (
    Account,
    find_account,
    get_account,
    restrict_category,
    set_email,
    set_limits,
    set_pin,
)
from skill.catalog import catalog_categories, create_item, list_items, remove_item, spec_of
from skill.catalog import update_item as update_catalog_item
from skill.catalog_io import export_catalog, json_record, load_file
from skill.cli_insights import register as register_insights
from skill.db import make_engine, resolve_db_url, schema_revision, upgrade, utcnow
from skill.errors import ImportFailed, VoiceCartError
from skill.import_jobs import import_in_stages
from skill.orders import (
    OrderStatus,
    advance_order,
    approve_order,
    get_order,
    list_orders,
    order_summary,
    reject_order,
)
from skill.progress_bar import TerminalProgress
from skill.runtime import Runtime


class _Group(click.Group):
    """Turns every expected failure into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ImportFailed as exc:
            click.echo(f"error: import rejected, nothing changed "
                       f"({len(exc.problems)} problem(s)):", err=True)
            for line, reason in exc.problems:
                click.echo(f"  line {line}: {reason}", err=True)
            ctx.exit(1)
        except VoiceCartError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            click.echo(f"error: database: {reason}", err=True)
            ctx.exit(1)


def _runtime(ctx: click.Context) -> Runtime:
    obj = ctx.find_root().obj
    if "runtime" not in obj:
        # The embedded SQLite database migrates itself; a server database (PostgreSQL) is
        # migrated deliberately, with `voicecart db upgrade`.
        url = resolve_db_url(obj["db_url"])
        obj["runtime"] = Runtime.open(url, migrate=url.startswith("sqlite"))
    return obj["runtime"]


@click.group(cls=_Group)
@click.option("--db", "db_url", envvar="VOICECART_DB_URL", metavar="URL",
              help="Database URL (default: SQLite in the user data directory).")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """VoiceCart: voice-commerce assistant backend."""
    ctx.obj = {"db_url": db_url}


@cli.command()
@click.option("--demo/--no-demo", default=True, help="Load the demo catalog and account.")
@click.pass_context
def init(ctx: click.Context, demo: bool) -> None:
    """Create the database tables (and the demo data on an empty catalog)."""
    runtime = _runtime(ctx)
    seeded = runtime.seed_demo() if demo else False
    click.echo(f"database ready at {runtime.engine.url.render_as_string(hide_password=True)}"
               + ("; demo catalog and account 'demo' loaded" if seeded else ""))


# --- catalog -------------------------------------------------------------------------------

@cli.group(cls=_Group)
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database to the code's schema (safe to run again)."""
    engine = make_engine(ctx.find_root().obj["db_url"])
    before, _ = schema_revision(engine)
    upgrade(engine, revision)
    after, head = schema_revision(engine)
    click.echo(f"database schema: {before or 'empty'} -> {after}" if before != after
               else f"database schema already at {after} (head {head})")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision and the code's."""
    current, head = schema_revision(make_engine(ctx.find_root().obj["db_url"]))
    click.echo(f"database: {current or 'empty'}; code: {head}"
               + ("" if current == head else " (run `voicecart db upgrade`)"))


@cli.group(cls=_Group)
def catalog() -> None:
    """The reorderable items a merchant sells."""


@catalog.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--set-stock", is_flag=True,
              help="Set the stock of items already in the catalog from the file's non-empty "
                   "stock cells (without it, only new items take the file's stock).")
@click.pass_context
def catalog_import(ctx: click.Context, file: Path, set_stock: bool) -> None:
    """Add or update items from a CSV or JSON FILE, all or nothing (a progress bar on a
    terminal: every row is checked first, then everything is written at once)."""
    runtime = _runtime(ctx)
    raw, fmt = load_file(file)
    bar = TerminalProgress()
    try:
        added, updated = import_in_stages(runtime, raw, fmt, set_stock=set_stock, progress=bar)
    finally:
        bar.finish()
    kept = "" if set_stock or not updated else " (their stock kept: --set-stock sets it)"
    click.echo(f"imported {file}: {added} added, {updated} updated{kept}")


@catalog.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def catalog_list(ctx: click.Context, as_json: bool) -> None:
    """Every item."""
    with _runtime(ctx).transaction() as session:
        specs = [spec_of(item) for item in list_items(session)]
    if as_json:
        click.echo(json.dumps([json_record(spec) for spec in specs], indent=2,
                              ensure_ascii=False))
        return
    records = [spec.as_record() for spec in specs]
    if not records:
        click.echo("the catalog is empty: add items with 'voicecart catalog import FILE'")
        return
    for r in records:
        flags = [f"by the {r['unit']}"] if r["unit"] else []
        flags += [] if r["reorderable"] == "true" else ["not reorderable"]
        if r["restriction"] != "none":
            flags.append(f"restriction {r['restriction']}")
        click.echo(f"{r['sku']:<14} {r['name']:<28} {r['price']:>9} {r['currency']}  "
                   f"{r['category']:<14} max {r['max_quantity']}"
                   + (f"  ({', '.join(flags)})" if flags else ""))


@catalog.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File (default: stdout).")
@click.pass_context
def catalog_export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """The whole catalog in the import format."""
    with _runtime(ctx).transaction() as session:
        text = export_catalog(session, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


def _item_options(required: bool):  # noqa: ANN202 (a decorator)
    """The item fields as options; for ``add`` the essential ones are required."""
    def decorate(func):  # noqa: ANN001, ANN202
        options = [
            click.option("--name", required=required),
            click.option("--synonyms", help="Separated by '|'."),
            click.option("--price", required=required, help="Decimal, e.g. 24.99."),
            click.option("--currency", help="Default: the store's currency."),
            click.option("--category", required=required),
            click.option("--reorderable/--not-reorderable", default=None),
            click.option("--max-quantity", type=int, default=None),
            click.option("--restriction", type=click.Choice(["none", "pin", "approval",
                                                              "blocked"])),
            click.option("--stock", help="Units on hand; 'none' to stop tracking stock."),
            click.option("--unit", help="What one is called when counted, e.g. pack, box, "
                                        "bottle; '' for none."),
            click.option("--unit-plural", help="Default: the regular plural of --unit."),
        ]
        for option in reversed(options):
            func = option(func)
        return func
    return decorate


def _changes(**fields: object) -> dict:
    changes = {k: v for k, v in fields.items() if v is not None}
    for key in ("reorderable", "max_quantity"):
        if key in changes:
            changes[key] = str(changes[key]).lower()
    return changes


@catalog.command("add")
@click.argument("sku")
@_item_options(required=True)
@click.pass_context
def catalog_add(ctx: click.Context, sku: str, **fields: object) -> None:
    """Add a new item SKU."""
    runtime = _runtime(ctx)
    with runtime.transaction() as session:
        item = create_item(session, {"sku": sku, **_changes(**fields)}, runtime.store.currency)
        added = f"{item.sku} ({item.name})"
    click.echo(f"added {added}")


@catalog.command("update")
@click.argument("sku")
@_item_options(required=False)
@click.option("--add-synonym", "add_synonyms", multiple=True, metavar="PHRASE",
              help="Add a synonym, keeping the others (repeatable); e.g. from the insights.")
@click.pass_context
def catalog_update(ctx: click.Context, sku: str, add_synonyms: tuple[str, ...],
                   **fields: object) -> None:
    """Change some fields of item SKU."""
    from skill.insight_report import add_synonym

    changes = _changes(**fields)
    if not changes and not add_synonyms:
        raise click.UsageError("nothing to change: give at least one option")
    runtime = _runtime(ctx)
    with runtime.transaction() as session:
        item = (update_catalog_item(session, sku, changes, currency=runtime.store.currency)
                if changes else None)
        for phrase in add_synonyms:
            add_synonym(session, sku, phrase, runtime.store.currency)
        name = (item.name if item else None) or sku
    click.echo(f"updated {sku} ({name})" + ("; rebuild the interaction model: voicecart "
                                            "model build" if add_synonyms else ""))


@catalog.command("remove")
@click.argument("sku")
@click.pass_context
def catalog_remove(ctx: click.Context, sku: str) -> None:
    """Remove item SKU (past orders keep their lines)."""
    with _runtime(ctx).transaction() as session:
        remove_item(session, sku)
    click.echo(f"removed {sku}")


@catalog.command("resolve")
@click.argument("text")
@click.pass_context
def catalog_resolve(ctx: click.Context, text: str) -> None:
    """Show which items spoken TEXT would resolve to."""
    runtime = _runtime(ctx)
    with runtime.transaction() as session:
        result = runtime.resolver.resolve(session, text)
    click.echo(f"{result.status}: " + (", ".join(f"{c.name} [{c.sku}] {c.score:.0f}"
                                                  for c in result.candidates) or "no candidates"))


# --- orders --------------------------------------------------------------------------------

_STATUSES = [s.value for s in OrderStatus]


@cli.group(cls=_Group)
def orders() -> None:
    """Orders placed by shoppers."""


@orders.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--status", type=click.Choice(_STATUSES), help="Only orders in this status.")
@click.option("--account", "user_id", help="Only this account's orders.")
@click.pass_context
def orders_list(ctx: click.Context, as_json: bool, status: str | None,
                user_id: str | None) -> None:
    """Orders, newest first."""
    with _runtime(ctx).transaction() as session:
        account = find_account(session, user_id) if user_id else None
        found = [] if user_id and account is None else [order_summary(o) for o in list_orders(
            session, account=account, status=OrderStatus(status) if status else None)]
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("no orders")
    for o in found:
        items = ", ".join(f"{ln['quantity']} x {ln['name']}" for ln in o["lines"])
        click.echo(f"#{o['id']:<5} {o['created_at'][:16]}  {o['account']:<16} {o['status']:<18}"
                   f" {o['total']:>9} {o['currency']}  {items}")


@orders.command("show")
@click.argument("order_id", type=int)
@click.pass_context
def orders_show(ctx: click.Context, order_id: int) -> None:
    """One order with its status history, as JSON."""
    with _runtime(ctx).transaction() as session:
        summary = order_summary(get_order(session, order_id))
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False))


@orders.command("advance")
@click.argument("order_id", type=int)
@click.argument("status", type=click.Choice(_STATUSES))
@click.option("--note", default="", help="Kept in the status history.")
@click.option("--expected-delivery", type=click.DateTime(["%Y-%m-%d"]),
              help="New expected delivery date (YYYY-MM-DD).")
@click.pass_context
def orders_advance(ctx: click.Context, order_id: int, status: str, note: str,
                   expected_delivery: object) -> None:
    """Move order ORDER_ID to STATUS."""
    when: date | None = expected_delivery.date() if expected_delivery else None  # type: ignore[attr-defined]
    with _runtime(ctx).transaction() as session:
        order = advance_order(session, order_id, OrderStatus(status), note=note,
                              expected_delivery=when)
        click.echo(f"order {order.id} is now {order.status}")


# --- accounts ------------------------------------------------------------------------------

@cli.group(cls=_Group)
def account() -> None:
    """Shopper accounts: voice PIN and spending rules (created on first use)."""


def _read_secret(prompt: str) -> str:
    """A secret from a hidden prompt, or one line of standard input (never an argument)."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True).strip()
    return sys.stdin.readline().strip()


def _read_pin() -> str:
    return _read_secret("New four-digit voice PIN")


@account.command("set-email")
@click.argument("user_id")
@click.argument("email", required=False)
@click.option("--clear", is_flag=True, help="Remove the address instead.")
@click.pass_context
def account_set_email(ctx: click.Context, user_id: str, email: str | None, clear: bool) -> None:
    """Where USER_ID's order confirmations are e-mailed."""
    if not clear and not email:
        raise click.UsageError("give an e-mail address, or --clear")
    with _runtime(ctx).transaction() as session:
        set_email(session, user_id, None if clear else email)
    click.echo(f"{user_id}: order e-mails {'off' if clear else 'to ' + str(email)}")


@account.command("set-pin")
@click.argument("user_id")
@click.option("--clear", is_flag=True, help="Remove the PIN instead.")
@click.pass_context
def account_set_pin(ctx: click.Context, user_id: str, clear: bool) -> None:
    """Set USER_ID's voice PIN, read from a prompt or standard input (never an argument)."""
    pin = None if clear else _read_pin()
    with _runtime(ctx).transaction() as session:
        set_pin(session, user_id, pin)
    click.echo(f"voice PIN {'removed' if clear else 'set'} for {user_id}")


def _amount(value: str | None, currency: str) -> int | None | type[...]:
    if value is None:
        return ...
    if value.strip().lower() in ("none", "off", ""):
        return None
    try:
        return money.parse_amount(value, currency)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@account.command("set-limits")
@click.argument("user_id")
@click.option("--per-order", metavar="AMOUNT", help="Most one order may cost, or 'none'.")
@click.option("--per-day", metavar="AMOUNT", help="Most a day's orders may cost, or 'none'.")
@click.option("--approval/--no-approval", default=None,
              help="Whether every voice purchase waits for the owner's approval.")
@click.option("--pin-always/--pin-when-needed", default=None,
              help="Whether every voice purchase needs the PIN, or only restricted items and "
                   "orders of 100 or more.")
@click.pass_context
def account_set_limits(ctx: click.Context, user_id: str, per_order: str | None,
                       per_day: str | None, approval: bool | None,
                       pin_always: bool | None) -> None:
    """Set USER_ID's spending limits, approval rule and PIN rule."""
    runtime = _runtime(ctx)
    currency = runtime.store.currency
    with runtime.transaction() as session:
        acct = set_limits(session, user_id, per_order_minor=_amount(per_order, currency),
                          per_day_minor=_amount(per_day, currency), approval_required=approval,
                          pin_required=pin_always)
        click.echo(_describe_account(acct, currency))


@account.command("restrict")
@click.argument("user_id")
@click.argument("category")
@click.argument("level", type=click.Choice(["none", "pin", "approval", "blocked"]))
@click.pass_context
def account_restrict(ctx: click.Context, user_id: str, category: str, level: str) -> None:
    """Make USER_ID's voice purchases in CATEGORY need LEVEL (e.g. toys approval)."""
    runtime = _runtime(ctx)
    with runtime.transaction() as session:
        categories = catalog_categories(session)
        acct = restrict_category(session, user_id, category, level)
        click.echo(_describe_account(acct, runtime.store.currency))
    if category.strip().lower() not in categories:
        click.echo(f"warning: the catalog has no category {category.strip().lower()!r} "
                   f"(it has: {', '.join(categories) or 'none'}); the rule applies once items "
                   "in it are added", err=True)


@account.command("show")
@click.argument("user_id")
@click.pass_context
def account_show(ctx: click.Context, user_id: str) -> None:
    """USER_ID's purchase settings (an unknown USER_ID is an error: nothing is created)."""
    runtime = _runtime(ctx)
    with runtime.transaction() as session:
        click.echo(_describe_account(get_account(session, user_id), runtime.store.currency))


def _describe_account(acct: Account, currency: str) -> str:
    def limit(minor: int | None) -> str:
        return "none" if minor is None else money.display(minor, currency)

    pin = "off" if not acct.has_pin else ("on, every purchase" if acct.pin_required else "on")
    rules = ", ".join(f"{c} {lvl}" for c, lvl in sorted((acct.restricted_categories or {}
                                                         ).items())) or "none"
    locked = (f", voice purchases locked until {acct.voice_locked_until:%Y-%m-%d %H:%M} UTC"
              if acct.voice_locked_until and acct.voice_locked_until > utcnow() else "")
    return (f"{acct.user_id}: PIN {pin}, "
            f"per order {limit(acct.per_order_limit_minor)}, "
            f"per day {limit(acct.per_day_limit_minor)}, "
            f"approval {'required' if acct.approval_required else 'not required'}, "
            f"restricted categories {rules}, "
            f"order e-mails {'to ' + acct.email if acct.email else 'off'}{locked}")


# --- console admins and API tokens --------------------------------------------------------

@cli.group(cls=_Group)
def admin() -> None:
    """Who may use the web console (/admin) and the JSON API (/api/v1)."""


@admin.command("create")
@click.argument("username")
@click.pass_context
def admin_create(ctx: click.Context, username: str) -> None:
    """Create a console admin; the password is read from a prompt or standard input."""
    password = _read_secret(f"Password for {username}")
    with _runtime(ctx).transaction() as session:
        admins.create_admin(session, username, password)
    click.echo(f"created admin {username}: sign in at /admin/login")


@admin.command("password")
@click.argument("username")
@click.pass_context
def admin_password(ctx: click.Context, username: str) -> None:
    """Set a new password for USERNAME (prompt or standard input)."""
    password = _read_secret(f"New password for {username}")
    with _runtime(ctx).transaction() as session:
        admins.set_password(session, username, password)
    click.echo(f"changed the password of {username}")


@admin.group("token", cls=_Group)
def admin_token() -> None:
    """API tokens (Authorization: Bearer TOKEN)."""


@admin_token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. shop-sync.")
@click.pass_context
def admin_token_create(ctx: click.Context, username: str, name: str) -> None:
    """Create an API token for USERNAME; it is shown this once only."""
    with _runtime(ctx).transaction() as session:
        token = admins.create_token(session, username, name)
    click.echo(token)


@admin_token.command("revoke")
@click.argument("username")
@click.argument("name")
@click.pass_context
def admin_token_revoke(ctx: click.Context, username: str, name: str) -> None:
    """Revoke USERNAME's tokens called NAME."""
    with _runtime(ctx).transaction() as session:
        count = admins.revoke_token(session, username, name)
    if not count:
        raise click.ClickException(f"{username} has no token called {name!r}")
    click.echo(f"revoked {count} token(s)")


# --- approvals -----------------------------------------------------------------------------

@cli.group(cls=_Group)
def approvals() -> None:
    """Voice purchases waiting for the account owner's approval."""


@approvals.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--account", "user_id", help="Only this account's requests.")
@click.pass_context
def approvals_list(ctx: click.Context, as_json: bool, user_id: str | None) -> None:
    """Orders awaiting approval, newest first."""
    ctx.invoke(orders_list, as_json=as_json, status=OrderStatus.AWAITING_APPROVAL.value,
               user_id=user_id)


@approvals.command("approve")
@click.argument("order_id", type=int)
@click.option("--note", default="approved by the account owner")
@click.pass_context
def approvals_approve(ctx: click.Context, order_id: int, note: str) -> None:
    """Approve ORDER_ID: it is placed (and its confirmation e-mail queued)."""
    _decide(ctx, partial(approve_order, store=_runtime(ctx).store), order_id, note,
            "approved and placed")


@approvals.command("reject")
@click.argument("order_id", type=int)
@click.option("--note", default="rejected by the account owner")
@click.pass_context
def approvals_reject(ctx: click.Context, order_id: int, note: str) -> None:
    """Reject ORDER_ID: nothing is bought."""
    _decide(ctx, reject_order, order_id, note, "rejected")


def _decide(ctx: click.Context, decide, order_id: int, note: str, done: str) -> None:  # noqa: ANN001
    with _runtime(ctx).transaction() as session:
        order = decide(session, order_id, note=note)
        click.echo(f"order {order.id} {done}")


# --- order e-mails ------------------------------------------------------------------------

@cli.group(cls=_Group)
def outbox() -> None:
    """Order confirmation e-mails waiting to be sent (VOICECART_SMTP_URL says where)."""


@outbox.command("send")
@click.option("--watch", type=click.IntRange(min=1), metavar="SECONDS",
              help="Keep sending, checking every SECONDS (run it beside the server).")
@click.pass_context
def outbox_send(ctx: click.Context, watch: int | None) -> None:
    """Deliver waiting e-mails; failures stay queued and are retried later."""
    settings = notify.SmtpSettings.from_env()
    if settings is None:
        raise click.UsageError("set VOICECART_SMTP_URL, e.g. smtp://user:password@mail:587")
    runtime = _runtime(ctx)
    send_rounds(lambda: notify.send_pending(runtime.sessions, settings), watch)


def send_rounds(send_round: Callable[[], tuple[int, int]], watch: int | None) -> None:
    """Run ``send_round`` (it returns ``(sent, failed)``) once, or every ``watch`` seconds;
    once only, a failure is exit status 1."""
    import time

    while True:
        sent, failed = send_round()
        if sent or failed or not watch:
            click.echo(f"sent {sent}, failed {failed} (they are retried later)")
        if not watch:
            if failed:
                raise SystemExit(1)
            return
        time.sleep(watch)


@outbox.command("list")
@click.option("--all", "show_all", is_flag=True, help="Sent messages too.")
@click.pass_context
def outbox_list(ctx: click.Context, show_all: bool) -> None:
    """Messages waiting (or failed), oldest first."""
    with _runtime(ctx).transaction() as session:
        query = select(notify.OutboxMessage).order_by(notify.OutboxMessage.id)
        if not show_all:
            query = query.where(notify.OutboxMessage.sent_at.is_(None))
        for m in session.scalars(query):
            state = (f"sent {m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else
                     f"waiting, {m.attempts} attempt(s)" + (f": {m.last_error}"
                                                          if m.last_error else ""))
            click.echo(f"{m.id:>5}  {m.to_address:<30} {m.subject}  [{state}]")


# --- the Alexa skill -----------------------------------------------------------------------

@cli.group(cls=_Group)
def model() -> None:
    """The Alexa interaction model (interaction_models/LOCALE.json)."""


@model.command("build")
@click.option("--locale", default="en-US", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Where to write (default: the model file itself).")
@click.pass_context
def model_build(ctx: click.Context, locale: str, output: Path | None) -> None:
    """Regenerate the item slot type from the catalog."""
    with _runtime(ctx).transaction() as session:
        built = interaction_model.build_file(session, locale, output)
    click.echo(f"wrote {built.path} with {built.count} items")
    if built.left_out:
        shown = ", ".join(built.left_out[:5])
        click.echo(f"left out {len(built.left_out)} items bought least, to stay within "
                   f"Alexa's limits ({shown}{', ...' if len(built.left_out) > 5 else ''}); "
                   "each shopper's own items are sent at launch as dynamic entities")


@model.command("check")
@click.option("--locale", default="en-US", show_default=True)
def model_check(locale: str) -> None:
    """Check the model for what the Alexa console would reject."""
    problems = interaction_model.check_model(interaction_model.load_model(locale))
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("interaction model is valid")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--skill-id", envvar="VOICECART_SKILL_ID", help="The Alexa skill id to accept.")
@click.option("--no-verify", is_flag=True,
              help="Accept unsigned requests (local development only).")
@click.option("--demo/--no-demo", default=None,
              help="Load the demo catalog into an empty database (default: only on the "
                   "embedded SQLite database).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run under gunicorn with this many worker processes (production). "
                   "Without it: Flask's development server, for local use only.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Threads per gunicorn worker.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, skill_id: str | None, no_verify: bool,
          demo: bool | None, workers: int | None, threads: int) -> None:
    """Serve the Alexa endpoint (POST /alexa), the merchant console (/admin), the JSON API
    (/api/v1) and the health check (GET /health)."""
    import logging

    from skill.web import AppConfig, create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    runtime = _runtime(ctx)
    if demo or (demo is None and not ctx.find_root().obj["db_url"]):
        runtime.seed_demo()
    if not no_verify and not skill_id:
        raise click.UsageError("give --skill-id (or VOICECART_SKILL_ID) so that only your "
                               "skill's requests are accepted, or --no-verify for local "
                               "development")
    config = AppConfig(skill_id=skill_id, verify=not no_verify,
                       linking_required=AppConfig.from_env().linking_required)
    where = (f"VoiceCart listening on http://{host}:{port}/alexa "
             f"(verification {'OFF' if no_verify else 'on'}")
    if workers:
        from skill.web.server import GunicornServer

        url = str(runtime.engine.url.render_as_string(hide_password=False))
        runtime.engine.dispose()  # the master keeps no connections into the fork
        click.echo(f"{where}, gunicorn, {workers} workers x {threads} threads)")
        GunicornServer(url, config, host=host, port=port, workers=workers,
                       threads=threads).run()
        return
    app = create_app(runtime, config)
    click.echo(f"{where}, Flask development server: use --workers N in production)")
    app.run(host=host, port=port, threaded=True)


@cli.command()
@click.option("--text", "source", flag_value="text", help="Typed turns, one per line (also "
              "from a pipe). The default.")
@click.option("--wav", "source", flag_value="wav", help="Each FILE is one spoken turn.")
@click.option("--mic", "source", flag_value="mic", help="Live microphone, 16 kHz mono; end "
              "of speech ends each turn.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--push-to-talk", is_flag=True, help="With --mic: Enter starts and stops "
              "each turn instead of end-of-speech detection.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False),
              help="Vosk model folder (else VOSK_MODEL_PATH, else Vosk's cache, else "
                   "PocketSphinx's en-US model).")
@click.option("--say/--no-say", default=None,
              help="Speak replies with pyttsx3 (default: on with --mic).")
@click.option("--save-replies", type=click.Path(file_okay=False, path_type=Path),
              help="Write each reply as reply-NN.wav in this folder.")
@click.option("--user", default="demo", show_default=True,
              help="The local account to shop as.")
@click.option("--person", default=None, help="Speak as this recognized voice (Alexa's "
              "personId); without it, as a voice Alexa does not recognize.")
@click.pass_context
def talk(ctx: click.Context, source: str | None, files: tuple[Path, ...], push_to_talk: bool,
         model_dir: str | None, say: bool | None, save_replies: Path | None,
         user: str, person: str | None) -> None:
    """Talk to the skill offline, through the very same skill handler.

    Each turn prints what was heard, the intent and slots, and the reply.
    """
    from voice_local import talk as loop
    from voice_local.audio import AudioError, Microphone
    from voice_local.recognition import RecognizerError, open_recognizer
    from voice_local.session import LocalConversation
    from voice_local.speaker import Speaker, SpeechError

    source = source or "text"
    if files and source != "wav":
        raise click.UsageError("audio files go with --wav")
    if source == "wav" and not files:
        raise click.UsageError("--wav needs one or more WAV files")
    runtime = _runtime(ctx)
    if not ctx.find_root().obj["db_url"]:
        runtime.seed_demo()
    aloud = source == "mic" if say is None else say
    try:
        speaker = Speaker() if aloud or save_replies else None
        conversation = LocalConversation(runtime, user, person=person)
        microphone = None
        if source == "text":
            turns = loop.text_turns(sys.stdin)
        else:
            audio = loop.read_wavs(list(files)) if source == "wav" else None
            microphone = Microphone() if source == "mic" else None
            recognizer = open_recognizer(
                loop.build_grammar(runtime), model_dir,
                notice=lambda line: click.echo(line, err=True),
                understand=lambda text, expecting: conversation.matcher.match(
                    text, expecting=expecting, spoken=True).intent)
            click.echo(f"Listening with {recognizer.name}.", err=True)
            expecting = conversation.expecting
            if audio is not None:
                turns = loop.wav_turns(audio, recognizer, expecting)
            elif push_to_talk:
                turns = loop.push_to_talk_turns(microphone, recognizer, _wait_for_enter,
                                                expecting)
            else:
                turns = loop.stream_turns(microphone.frames(), recognizer, expecting)
        loop.run_dialog(conversation, turns, click.echo, speaker, aloud=aloud,
                        save_dir=save_replies,
                        while_answering=microphone.muted if microphone else nullcontext)
    except (AudioError, RecognizerError, SpeechError) as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        click.echo("")


def _wait_for_enter(prompt: str) -> str | None:
    """A line from the keyboard, or None at end of input."""
    click.echo(prompt, err=True)
    line = sys.stdin.readline()
    return line if line else None


def _add_linking_commands() -> None:
    from skill.linking_cli import events, linking

    cli.add_command(linking)
    cli.add_command(events)


_add_linking_commands()

register_insights(cli, _Group, _runtime)


def main() -> None:
    """Entry point of the ``voicecart`` command."""
    cli(prog_name="voicecart")
