"""Alerts end to end: a real failed run told by e-mail (aiosmtpd) and webhook (a Slack incoming-webhook
stand-in) on 127.0.0.1, bounded retries, receivers that are down, and the material-change rules."""

from __future__ import annotations

import dagster as dg
import pytest

from consultantos_assets.defs import build_definitions
from consultantos_assets.defs.alerts import Alert, AlertsResource, alerts_from_env, evaluate_run_failure, scrub
from consultantos_assets.defs.resources import build_resources
from consultantos_assets.report.changes import AlertThresholds, material, report_changes
from consultantos_assets.settings import ConfigError

from .alert_receivers import SmtpReceiver, WebhookReceiver, free_port
from .report_fixtures import apple_report

FAKE_KEY = "AIzaSyTEST-alert-key-0123456789abcdefghij"


def _alerts(smtp_port: int | None = None, webhook: str | None = None, attempts: int = 3) -> AlertsResource:
    return AlertsResource(email_to="owner@example.com" if smtp_port else "", email_from="ops@example.com",
                          smtp_host="127.0.0.1" if smtp_port else None, smtp_port=smtp_port or 25,
                          smtp_security="none", webhook_url=webhook, attempts=attempts, backoff_s=0.01,
                          timeout_s=3, ui_url="http://dagster.example:3000")


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """company_profile, the run's first step, fails for AAPL on a snapshot path that quotes a key (an error
    text with a key in it)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONSULTANTOS_HOME", str(home))
        mp.setenv("CONSULTANTOS_MODE", "offline")
        mp.setenv("GEMINI_API_KEY", FAKE_KEY)
        mp.setenv("CONSULTANTOS_SNAPSHOT_DIR", f"/nonexistent/{FAKE_KEY}")
        defs = build_definitions()
        first = next(a for a in defs.assets if a.key == dg.AssetKey("company_profile"))
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("companies", ["AAPL"])
            result = dg.materialize([first], partition_key="AAPL", instance=instance,
                                    resources=build_resources(home), raise_on_error=False)
            assert not result.success
            [rec] = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
            yield instance, instance.get_run_by_id(result.run_id), rec.event_log_entry.dagster_event


def _context(failed_run, alerts):
    instance, run, event = failed_run
    return dg.build_run_status_sensor_context(sensor_name="run_failure_alerts", dagster_event=event,
                                              dagster_instance=instance, dagster_run=run,
                                              resources={"alerts": alerts}).for_run_failure()


def test_failed_run_is_told_by_email_and_webhook_without_the_key(failed_run):
    _, run, _ = failed_run
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        alerts = _alerts(smtp.port, hook.url)
        result = evaluate_run_failure(_context(failed_run, alerts), alerts)
        assert "email ok" in result.skip_message and "webhook ok" in result.skip_message
        [mail] = smtp.messages
        [post] = hook.requests
    body = mail.get_content()
    assert mail["Subject"] == "ConsultantOS: run failed for AAPL (__ephemeral_asset_job__)"
    assert mail["To"] == "owner@example.com"
    assert run.run_id in body and "company_profile" in body and "CONSULTANTOS_SNAPSHOT_DIR" in body
    assert f"http://dagster.example:3000/runs/{run.run_id}" in body
    assert "consultantos report AAPL --resume" in body
    assert post["text"].startswith("ConsultantOS: run failed for AAPL")
    assert post["blocks"][0]["type"] == "header"
    # the step's error quoted the key; no alert carries it
    assert FAKE_KEY not in body and FAKE_KEY not in str(post)
    assert "/nonexistent/***" in body


def test_receivers_down_retry_boundedly_then_fail_the_tick(failed_run):
    closed = free_port()
    with WebhookReceiver(mode="failing") as hook:
        alerts = _alerts(smtp_port=closed, webhook=hook.url, attempts=3)
        with pytest.raises(RuntimeError, match="not delivered") as err:
            evaluate_run_failure(_context(failed_run, alerts), alerts)
        assert hook.attempts == 3                        # 500 rollup_error: retried, 3 tries in all
    text = str(err.value)
    assert "email: alert email: service unreachable after 3 attempts" in text
    assert "webhook: alert webhook: HTTP 500 after 3 attempts" in text
    assert hook.url not in text and "T000TEST" not in text   # the webhook URL is a secret too


def test_rate_limited_webhook_waits_for_retry_after_and_delivers(failed_run):
    with WebhookReceiver(mode="rate_limited_once") as hook:
        alerts = _alerts(webhook=hook.url)
        [delivery] = alerts.send(Alert(subject="test", lines=["one line"]))
        assert delivery.ok and delivery.attempts == 2 and hook.attempts == 2
        assert hook.requests[0]["text"].startswith("test")


def test_refused_webhook_is_not_retried():
    with WebhookReceiver() as hook:
        alerts = _alerts(webhook=hook.url.replace("abcdefghij", "zzzzzzzzzz"))   # revoked: 404 no_service
        [delivery] = alerts.send(Alert(subject="x", lines=[]))
        assert not delivery.ok and delivery.attempts == 1 and hook.attempts == 1
        assert "HTTP 404 'no_service'" in delivery.detail


def test_smtp_transient_reply_is_retried():
    with SmtpReceiver() as smtp:
        smtp.box.tempfail = 1
        [delivery] = _alerts(smtp.port).send(Alert(subject="s", lines=["l"]))
        assert delivery.ok and delivery.attempts == 2 and len(smtp.messages) == 1


def test_no_channel_configured_sends_nothing(failed_run):
    alerts = AlertsResource()
    result = evaluate_run_failure(_context(failed_run, alerts), alerts)
    assert "no alert channel configured" in result.skip_message


def test_alert_configuration_from_environment(monkeypatch):
    monkeypatch.setenv("CONSULTANTOS_ALERT_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/secret-part-123")
    res = alerts_from_env(lambda name: dg.EnvVar(name) if name in {"CONSULTANTOS_ALERT_WEBHOOK_URL"} else None,
                          {"CONSULTANTOS_ALERT_EMAIL_TO": "a@example.com", "CONSULTANTOS_ALERT_SMTP_HOST": "smtp",
                           "CONSULTANTOS_ALERT_ATTEMPTS": "5"})
    assert res.attempts == 5 and res.smtp_host == "smtp"
    with pytest.raises(ConfigError, match="SMTP_HOST"):
        AlertsResource(email_to="a@example.com").channels()
    with pytest.raises(ConfigError, match="ATTEMPTS"):
        alerts_from_env(lambda n: None, {"CONSULTANTOS_ALERT_ATTEMPTS": "0"})
    assert scrub("url https://hooks.slack.com/services/T/B/secret-part-123 and tvly-abcdefghijklmnop1234") == \
        "url *** and ***"


# ------------------------------------------------------------------------------------ material changes
def test_material_changes_measured_from_the_report_inputs():
    report = apple_report()
    prev = report.previous
    ch = report_changes(report)
    # figures straight from the two reports' inputs
    rev_prev, rev_cur = prev.financials.latest("revenue"), report.financials.latest("revenue")
    assert ch.revenue.previous == rev_prev.value and ch.revenue.current == rev_cur.value
    gp, rv = report.financials.value("gross_profit", rev_cur.fiscal_year), rev_cur
    assert [m for m in ch.margins if m.item == "Gross margin"][0].current == gp.value / rv.value
    moved = {m.item: (m.previous, m.current) for m in ch.ratings}
    old = {f.name: f.rating for f in prev.porter.forces}
    for f in report.porter.forces:
        if old[f.name] != f.rating:
            assert any(v == (old[f.name], f.rating) for v in moved.values())
    assert ch.confidence.previous == prev.synthesis.confidence and ch.confidence.current == report.synthesis.confidence

    defaults = material(ch, AlertThresholds())
    rel = rev_cur.value / rev_prev.value - 1            # +2.0% < 5%: not material by default
    assert abs(rel) < 0.05 and not any(line.startswith("Revenue") for line in defaults)
    strict = material(ch, AlertThresholds(revenue_change=0.01, rating_move=0.5, points_changed=0))
    assert any(line.startswith("Revenue") and "+2.0%" in line for line in strict)
    assert any(line.startswith("Porter: Competitive rivalry: 3.5 to 4 (+0.5)") for line in strict)
    assert not any("point(s) added" in line for line in strict)       # points turned off
    assert material(ch, AlertThresholds(rating_move=10, revenue_change=1, margin_change=1, points_changed=0,
                                        confidence_drop=1)) == []
    assert report_changes(prev) is None


def test_thresholds_from_environment():
    t = AlertThresholds.from_env({"CONSULTANTOS_ALERT_REVENUE_CHANGE": "10%", "CONSULTANTOS_ALERT_RATING_MOVE": "0.5"})
    assert t.revenue_change == pytest.approx(0.10) and t.rating_move == 0.5
    with pytest.raises(ConfigError, match="not a number"):
        AlertThresholds.from_env({"CONSULTANTOS_ALERT_MARGIN_CHANGE": "lots"})
    with pytest.raises(ConfigError, match="positive"):
        AlertThresholds.from_env({"CONSULTANTOS_ALERT_RATING_MOVE": "-1"})
