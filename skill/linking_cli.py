"""``voicecart linking ...`` and ``voicecart events send``: register the Alexa skill as an
OAuth client for account linking, and send the order updates queued for Alexa."""

from __future__ import annotations

import json

import click

from skill.approval_links import PUBLIC_URL_ENV, public_url
from skill.errors import VoiceCartError


@click.group("linking")
def linking() -> None:
    """Alexa account linking (the skill is an OAuth 2.0 client of this server)."""


@linking.group("client")
def client() -> None:
    """Registered clients."""


@client.command("create")
@click.argument("name")
@click.option("--vendor-id", help="Your Alexa vendor id: the redirect URLs are Alexa's "
              "documented ones for it (skill/data/alexa.json).")
@click.option("--redirect-uri", "redirect_uris", multiple=True,
              help="A redirect URL exactly as the Alexa console lists it (repeatable).")
@click.option("--public-url", "base_url", default=None,
              help=f"Where this server is reached over HTTPS (default: ${PUBLIC_URL_ENV}).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def client_create(ctx: click.Context, name: str, vendor_id: str | None,
                  redirect_uris: tuple[str, ...], base_url: str | None,
                  as_json: bool) -> None:
    """Register the skill; prints its client id, its secret (this once only), the
    authorization and token URLs and the redirect URLs it accepts."""
    from skill.cli import _runtime
    from skill.linking import create_client, redirect_uris_for

    base = (base_url or public_url()).rstrip("/")
    uris = list(redirect_uris)
    try:
        if vendor_id:
            uris += redirect_uris_for(vendor_id)
        with _runtime(ctx).transaction() as session:
            new = create_client(session, name, uris)
    except VoiceCartError as exc:
        raise click.ClickException(str(exc)) from None
    values = {"name": new.name, "client_id": new.client_id, "client_secret": new.client_secret,
              "authorization_url": f"{base}/oauth/authorize", "token_url": f"{base}/oauth/token",
              "client_authentication": "HTTP Basic (recommended)",
              "redirect_uris": new.redirect_uris}
    if as_json:
        click.echo(json.dumps(values, indent=2))
        return
    click.echo(f"client {new.name} registered; the secret is shown this once only:")
    for key, value in values.items():
        if key != "redirect_uris":
            click.echo(f"  {key.replace('_', ' ')}: {value}")
    click.echo("  redirect URIs accepted:")
    for uri in new.redirect_uris:
        click.echo(f"    {uri}")


@click.group("events")
def events() -> None:
    """Alexa proactive events (order updates) waiting to be sent."""


@events.command("send")
@click.option("--watch", type=click.IntRange(min=1), metavar="SECONDS",
              help="Keep sending, checking every SECONDS.")
@click.pass_context
def events_send(ctx: click.Context, watch: int | None) -> None:
    """Send waiting order updates to Alexa with the skill's client credentials."""
    from skill.cli import _runtime, send_rounds
    from skill.order_updates import EventSettings, send_pending_events

    settings = EventSettings.from_env()
    if settings is None:
        raise click.UsageError("set VOICECART_ALEXA_CLIENT_ID and VOICECART_ALEXA_CLIENT_SECRET "
                               "(Alexa console: Build > Permissions > Alexa Skill Messaging)")
    runtime = _runtime(ctx)
    send_rounds(lambda: send_pending_events(runtime.sessions, settings), watch)
