"""Alerts: a run that failed, or a company whose report changed materially, told to the people who own
the portfolio by e-mail (SMTP) and/or a webhook in Slack's incoming-webhook format.

Configuration (environment; nothing is sent when no channel is configured):

CONSULTANTOS_ALERT_EMAIL_TO        comma-separated recipients (turns e-mail on)
CONSULTANTOS_ALERT_EMAIL_FROM      sender (default consultantos@<SMTP host>)
CONSULTANTOS_ALERT_SMTP_HOST       SMTP server (required for e-mail)
CONSULTANTOS_ALERT_SMTP_PORT       default 587
CONSULTANTOS_ALERT_SMTP_SECURITY   starttls (default) | ssl | none
CONSULTANTOS_ALERT_SMTP_USER / CONSULTANTOS_ALERT_SMTP_PASSWORD   login, when the server needs one
CONSULTANTOS_ALERT_WEBHOOK_URL     a Slack incoming webhook (or any receiver of its format; a secret)
CONSULTANTOS_ALERT_ATTEMPTS        tries per channel and alert on a transient failure (default 3)
CONSULTANTOS_UI_URL                the Dagster UI's address, for links in alerts

dagster-slack posts with a bot token (chat.postMessage); an incoming webhook is a single URL, so it is
posted with httpx. Retries use the providers' policy (sources/retry.py Guard: exponential backoff with
jitter, Retry-After honoured, bounded in attempts and total time). Every alert's text is scrubbed of
keys before it leaves the process: the configured secrets, every key registered with
consultantos_assets.redact, and anything shaped like a Google or Tavily key.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

import dagster as dg

from ..redact import MASK
from ..redact import mask as mask_registered
from ..settings import ConfigError
from ..sources.base import ServiceUnavailable
from ..sources.retry import Guard, RetryPolicy, Transient, http_transient, network_transient

log = logging.getLogger(__name__)

# key shapes masked even when not configured here: Google API keys, Tavily keys, key=... query parameters
KEY_SHAPES = re.compile(r"AIza[0-9A-Za-z_\-]{30,}|tvly-[0-9A-Za-z_\-]{16,}|(?<=key=)[^&\s'\"]{8,}")
SECRET_ENV = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TAVILY_API_KEY", "CONSULTANTOS_ALERT_SMTP_PASSWORD",
              "CONSULTANTOS_ALERT_WEBHOOK_URL", "DAGSTER_PG_PASSWORD", "CONSULTANTOS_LEDGER_DSN")


@dataclass
class Alert:
    """What is told: a subject line and lines of text (plain; no markup from data is interpreted)."""

    subject: str
    lines: list[str] = field(default_factory=list)
    link: str | None = None

    def text(self) -> str:
        return "\n".join([self.subject, "", *self.lines, *(["", f"Open: {self.link}"] if self.link else [])])


@dataclass
class Delivery:
    channel: str
    ok: bool
    detail: str
    attempts: int


class DeliveryRefused(Exception):
    """The receiver answered and refused the alert (never retried: the same alert would be refused again)."""


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` without any key: configured secrets, registered ones, and key-shaped strings."""
    values = [s for s in (*secrets, *(os.environ.get(n, "") for n in SECRET_ENV)) if s and len(s) >= 8]
    for s in sorted(values, key=len, reverse=True):
        text = text.replace(s, MASK)
    return KEY_SHAPES.sub(MASK, mask_registered(text))


class AlertsResource(dg.ConfigurableResource):
    """Where alerts go (see the module docstring for the environment variables that set it)."""

    email_to: str = ""
    email_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    webhook_url: str | None = None
    attempts: int = 3
    timeout_s: float = 10.0
    backoff_s: float = 1.0
    ui_url: str | None = None

    def channels(self) -> list[str]:
        out = []
        if self.email_to.strip():
            if not self.smtp_host:
                raise ConfigError("CONSULTANTOS_ALERT_EMAIL_TO is set but CONSULTANTOS_ALERT_SMTP_HOST is not: "
                                  "name the SMTP server that sends the alerts")
            out.append("email")
        if self.webhook_url:
            out.append("webhook")
        return out

    def link(self, path: str) -> str | None:
        return f"{self.ui_url.rstrip('/')}/{path.lstrip('/')}" if self.ui_url else None

    def _secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.smtp_password, self.webhook_url) if s)

    def _guard(self, service: str) -> Guard:
        return Guard(service, RetryPolicy(attempts=max(1, self.attempts), backoff_s=self.backoff_s,
                                          backoff_max_s=max(self.backoff_s, 10.0), timeout_s=self.timeout_s,
                                          budget_s=max(1, self.attempts) * (self.timeout_s + 10.0)))

    def send(self, alert: Alert, only: list[str] | None = None) -> list[Delivery]:
        """Deliver to every configured channel (or the `only` ones); one Delivery per channel, never raises
        for a receiver's failure. The text is scrubbed of keys first."""
        secrets = self._secrets()
        clean = Alert(subject=scrub(alert.subject, secrets), lines=[scrub(x, secrets) for x in alert.lines],
                      link=alert.link)
        senders: dict[str, Callable[[Alert], None]] = {"email": self._email, "webhook": self._webhook}
        out = []
        for channel in self.channels():
            if only is not None and channel not in only:
                continue
            guard = self._guard(f"alert {channel}")
            try:
                guard.call(lambda ch=channel: senders[ch](clean))
                out.append(Delivery(channel, True, "delivered", guard.attempts_made))
            except (ServiceUnavailable, DeliveryRefused) as exc:
                detail = scrub(str(exc), secrets)
                log.error("alert %r not delivered by %s: %s", clean.subject, channel, detail)
                out.append(Delivery(channel, False, detail, guard.attempts_made))
        return out

    # ---- channels ---------------------------------------------------------------------------------
    def _email(self, alert: Alert) -> None:
        msg = EmailMessage()
        msg["Subject"] = alert.subject
        msg["From"] = self.email_from or f"consultantos@{self.smtp_host}"
        msg["To"] = ", ".join(a.strip() for a in self.email_to.split(",") if a.strip())
        msg.set_content(alert.text())
        security = (self.smtp_security or "starttls").strip().lower()
        if security not in ("starttls", "ssl", "none"):
            raise ConfigError(f"CONSULTANTOS_ALERT_SMTP_SECURITY={self.smtp_security!r} is not one of starttls, "
                              "ssl, none")
        cls = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
        try:
            with cls(self.smtp_host, self.smtp_port, timeout=self.timeout_s) as smtp:
                if security == "starttls":
                    smtp.starttls()
                if self.smtp_user:
                    smtp.login(self.smtp_user, self.smtp_password or "")
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            # RFC 5321 section 4.2.1: 4yz replies are transient (try again later), 5yz permanent
            reason = f"SMTP {exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
            if 400 <= exc.smtp_code < 500:
                raise Transient(reason) from None
            raise DeliveryRefused(reason) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryRefused(f"SMTP server: {exc} (set CONSULTANTOS_ALERT_SMTP_SECURITY)") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryRefused(f"SMTP refused the recipients {sorted(exc.recipients)}") from None
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            raise network_transient(exc) or Transient("service unreachable") from None

    def _webhook(self, alert: Alert) -> None:
        import httpx

        # Slack incoming-webhook format: {"text": fallback, "blocks": [...]}; https://api.slack.com/messaging/webhooks
        text = alert.text()
        payload = {"text": text[:3000], "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": alert.subject[:150]}},
            {"type": "section", "text": {"type": "plain_text", "text": ("\n".join(alert.lines) or "-")[:3000]}},
        ]}
        if alert.link:
            payload["blocks"].append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{alert.link}|Open in Dagster>"}})
        try:
            resp = httpx.post(self.webhook_url or "", json=payload, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise network_transient(exc) or Transient(type(exc).__name__) from None
        if resp.status_code == 200:
            return
        # Slack answers 200 "ok"; 400 invalid_payload, 403 action_prohibited, 404 channel_not_found/no_service,
        # 410 channel_is_archived are permanent; 429 (rate limited, with Retry-After) and 5xx are retried
        if transient := http_transient(resp.status_code, resp.headers):
            raise transient
        raise DeliveryRefused(f"webhook answered HTTP {resp.status_code} {resp.text[:80]!r}")


def alerts_from_env(env_fn: Callable[..., object], environ: Mapping[str, str] | None = None) -> AlertsResource:
    """The resource from CONSULTANTOS_ALERT_* (secrets through `env_fn`, i.e. dg.EnvVar references)."""
    environ = os.environ if environ is None else environ

    def number(name: str, default: int) -> int:
        raw = (environ.get(name) or "").strip()
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"{name}={raw!r} must be a whole number of at least 1")
        return int(raw)

    return AlertsResource(
        email_to=environ.get("CONSULTANTOS_ALERT_EMAIL_TO", ""),
        email_from=environ.get("CONSULTANTOS_ALERT_EMAIL_FROM") or None,
        smtp_host=environ.get("CONSULTANTOS_ALERT_SMTP_HOST") or None,
        smtp_port=number("CONSULTANTOS_ALERT_SMTP_PORT", 587),
        smtp_security=environ.get("CONSULTANTOS_ALERT_SMTP_SECURITY") or "starttls",
        smtp_user=environ.get("CONSULTANTOS_ALERT_SMTP_USER") or None,
        smtp_password=env_fn("CONSULTANTOS_ALERT_SMTP_PASSWORD"),
        webhook_url=env_fn("CONSULTANTOS_ALERT_WEBHOOK_URL"),
        attempts=number("CONSULTANTOS_ALERT_ATTEMPTS", 3),
        ui_url=environ.get("CONSULTANTOS_UI_URL") or None,
    )


# ------------------------------------------------------------------------------------------ sensors
def failure_alert(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> Alert:
    run = context.dagster_run
    ticker = run.tags.get("dagster/partition")
    steps = []
    for ev in context.get_step_failure_events():
        err = ev.event_specific_data.error if ev.event_specific_data else None
        while err is not None and err.cause is not None:   # the user's exception, not Dagster's wrapper
            err = err.cause
        first = (err.message.strip().splitlines() or ["failed"])[0] if err else (ev.message or "failed")
        steps.append(f"- {ev.step_key}: {first[:300]}")
    lines = [f"Run {run.run_id} of {run.job_name} failed" + (f" for {ticker}" if ticker else "") + ".",
             *(["Failed steps:", *steps] if steps else [f"Reason: {(context.failure_event.message or '')[:300]}"]),
             f"Trigger: {run.tags.get('consultantos/trigger', 'manual')}",
             f"Re-run what did not finish from the UI (Re-execute from failure) or `consultantos report {ticker} "
             "--resume`." if ticker else "Re-execute it from the UI."]
    return Alert(subject=f"ConsultantOS: run failed{' for ' + ticker if ticker else ''} ({run.job_name})",
                 lines=lines, link=alerts.link(f"runs/{run.run_id}"))


def evaluate_run_failure(context: dg.RunFailureSensorContext, alerts: AlertsResource):
    if not alerts.channels():
        return dg.SkipReason("no alert channel configured (CONSULTANTOS_ALERT_EMAIL_TO / CONSULTANTOS_ALERT_WEBHOOK_URL)")
    deliveries = alerts.send(failure_alert(context, alerts))
    if deliveries and not any(d.ok for d in deliveries):
        # nothing reached anyone: fail the tick so the run is offered again on the next one
        raise RuntimeError("alert for run {} not delivered: {}".format(
            context.dagster_run.run_id, "; ".join(f"{d.channel}: {d.detail}" for d in deliveries)))
    return dg.SkipReason("alert sent: " + "; ".join(f"{d.channel} {'ok' if d.ok else d.detail}" for d in deliveries))


def build_run_failure_sensor() -> dg.RunStatusSensorDefinition:
    @dg.run_failure_sensor(name="run_failure_alerts", default_status=dg.DefaultSensorStatus.RUNNING,
                           monitor_all_code_locations=False,
                           description="Tells the portfolio's owners (e-mail and/or webhook) about every failed run, "
                           "with the company, the failed steps and how to resume.")
    def run_failure_alerts(context: dg.RunFailureSensorContext, alerts: AlertsResource):
        return evaluate_run_failure(context, alerts)

    return run_failure_alerts


REPORT = dg.AssetKey("report_pdf")


def change_alert(ticker: str, changes: dict, lines: list[str], path: str | None, alerts: AlertsResource) -> Alert:
    return Alert(subject=f"ConsultantOS: {ticker} changed materially (report of {changes.get('current_as_of')} "
                 f"against {changes.get('previous_as_of')})",
                 lines=[*lines, *([f"Report: {path}"] if path else [])],
                 link=alerts.link(f"assets/report_pdf?partition={ticker}"))


def evaluate_material_changes(context: dg.SensorEvaluationContext, alerts: AlertsResource,
                              thresholds=None, batch: int = 100) -> dg.SensorResult:
    """One tick over report_pdf materializations after the cursor, oldest first.

    Cursor: {"after": storage id of the last handled materialization, "alerted": {ticker: inputs hash}}.
    The first tick starts from the newest materialization (history is not alerted). A report whose
    inputs were already alerted (a re-render of the same inputs) sends nothing. When no channel accepts
    an alert, the cursor stops before it and the next tick tries again."""
    import json

    from ..report.changes import AlertThresholds, ReportChanges, material

    thresholds = thresholds or AlertThresholds.from_env()
    state = json.loads(context.cursor) if context.cursor else None
    if state is None:
        # baseline: history is not alerted, and a later re-render of a company's current inputs neither
        from .partitions import valid_companies

        latest = context.instance.fetch_materializations(REPORT, limit=1).records
        alerted = {}
        for ticker in valid_companies(context.instance)[0]:
            rec = context.instance.fetch_materializations(
                dg.AssetRecordsFilter(REPORT, asset_partitions=[ticker]), limit=1).records
            meta = rec[0].asset_materialization.metadata if rec and rec[0].asset_materialization else {}
            if value := getattr(meta.get("inputs_hash"), "value", None):
                alerted[ticker] = value
        state = {"after": latest[0].storage_id if latest else 0, "alerted": alerted}
        return dg.SensorResult(skip_reason=dg.SkipReason("baseline: later reports are compared"),
                               cursor=json.dumps(state, sort_keys=True))
    channels = alerts.channels()
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(REPORT, after_storage_id=state["after"]), limit=batch, ascending=True).records
    said: list[str] = []
    for rec in records:
        mat = rec.asset_materialization
        ticker = mat.partition if mat else None
        meta = mat.metadata if mat else {}
        inputs = getattr(meta.get("inputs_hash"), "value", "") or ""
        raw = getattr(meta.get("changes"), "value", None) or getattr(meta.get("changes"), "data", None) or {}
        if ticker and raw and inputs and state["alerted"].get(ticker) != inputs:
            lines = material(ReportChanges.model_validate(raw), thresholds)
            if lines and channels:
                path = getattr(meta.get("path"), "value", None)
                deliveries = alerts.send(change_alert(ticker, raw, lines, path, alerts))
                if not any(d.ok for d in deliveries):
                    context.log.error("%s: material change not delivered (%s); retried next tick", ticker,
                                      "; ".join(f"{d.channel}: {d.detail}" for d in deliveries))
                    said.append(f"{ticker}: not delivered, retried next tick")
                    break
                said.append(f"{ticker}: alerted ({len(lines)} change line(s))")
            elif lines:
                said.append(f"{ticker}: material change, no alert channel configured")
            else:
                said.append(f"{ticker}: changes below the thresholds")
            state["alerted"][ticker] = inputs
        state["after"] = rec.storage_id
    cursor = json.dumps(state, sort_keys=True)
    return dg.SensorResult(skip_reason=dg.SkipReason("; ".join(said) or "no new reports"), cursor=cursor)


def build_material_change_sensor(interval: int = 60) -> dg.SensorDefinition:
    @dg.sensor(name="material_changes", minimum_interval_seconds=interval,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Tells the portfolio's owners when a company's new report moved a rating, revenue or a "
               "margin beyond the CONSULTANTOS_ALERT_* thresholds, added or removed points, or lost confidence; "
               "each report once.")
    def material_changes(context: dg.SensorEvaluationContext, alerts: AlertsResource):
        return evaluate_material_changes(context, alerts)

    return material_changes
