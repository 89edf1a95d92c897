"""`consultantos report`: build what is not up to date for each company, one after another in this
process or in worker processes, and print where the report and its exports are."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import CliError
from .instance import asset_order, known_profiles, open_instance, validated_tickers
from .process import lean_gc
from .progress import Progress, run_with_progress

RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
# the steps whose work runs in worker processes (consultantos_assets.workers)
POOLED = frozenset({"research_index", "insight_index", "report_pdf"})
OUTPUT_NAMES = {"md": "markdown", "json": "json", "pptx": "slides", "xlsx": "workbook"}


@dataclass
class Session:
    """What every company's report in this process shares: the instance, the definitions, the graph's order."""

    instance: object
    defs: object
    order: list[str]


def cmd_report(args: argparse.Namespace) -> int:
    """One company, or a portfolio: every ticker is validated and looked up before anything runs;
    companies are built one after another in this process (start-up paid once), or by --jobs worker
    processes, each taking every n-th company. A failed company does not stop the others."""
    profiles = _known_companies(args)
    if args.jobs > 1 and len(profiles) > 1:
        return report_in_workers(args, [p.ticker for p in profiles])
    _warm_if_building(args, [p.ticker for p in profiles])
    session = _open_session([p.ticker for p in profiles])
    failed = _report_each(args, profiles, session)
    if failed:
        raise CliError(f"{len(failed)} of {len(profiles)} reports failed: {', '.join(failed)}")
    return 0


def _warm_if_building(args: argparse.Namespace, tickers: list[str]) -> None:
    """Start the workers as soon as the companies are known, when this command will surely build a
    report (--force, or a company with no stored report in the local profile): their libraries
    (LanceDB, the renderers) then load on the other core while this process opens the instance, plans
    and runs the first steps, instead of keeping research_index waiting. Otherwise the run's plan
    decides, as for every run (`_Build`)."""
    from .. import workers
    from ..settings import ProfileSettings
    from ..value_files import VALUES_DIR, value_path

    settings = ProfileSettings.from_env()
    if settings.production:  # stored values are objects in the bucket: the plan decides
        return
    if args.force or any(not value_path(settings.home / VALUES_DIR, "report_pdf", t).is_file() for t in tickers):
        workers.warm()


def _known_companies(args: argparse.Namespace) -> list:
    tickers = list(dict.fromkeys(validated_tickers(args.tickers)))
    profiles = known_profiles(tickers)
    if args.jobs < 1:
        raise CliError("--jobs must be at least 1")
    from .. import workers

    try:
        workers.default_workers()  # a bad CONSULTANTOS_WORKERS is refused before anything runs
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    return profiles


def _open_session(tickers: list[str]) -> Session:
    """The instance (temp files of killed writers swept), the companies' partitions, the definitions."""
    from ..defs import build_definitions
    from ..defs.partitions import add_companies

    instance = open_instance()
    _sweep_temp_files()
    add_companies(instance, tickers)
    defs = build_definitions()
    lean_gc()
    return Session(instance, defs, asset_order(defs))


def _report_each(args: argparse.Namespace, profiles: list, session: Session) -> dict[str, str]:
    """Each company's report in turn; the error of each one that failed, by ticker (one company alone
    raises its error)."""
    failed: dict[str, str] = {}
    for profile in profiles:
        try:
            report_one(args, profile, session)
        except CliError as exc:
            if len(profiles) == 1:
                raise
            failed[profile.ticker] = str(exc)
            print(f"consultantos: error: {exc}", file=sys.stderr, flush=True)
    return failed


def _sweep_temp_files() -> None:
    """Remove temp files that killed writers left beside the outputs (never a file a reader opens)."""
    from ..atomic import sweep_temp_files
    from ..settings import storage_root

    root = storage_root()
    removed = sweep_temp_files([root / d for d in ("assets", "reports", "llm", "requests", "portfolios")])
    if removed:
        print(f"note: removed {len(removed)} temp file(s) left by an interrupted run", file=sys.stderr, flush=True)


def report_in_workers(args: argparse.Namespace, tickers: list[str]) -> int:
    """--jobs N: N `consultantos report` processes, worker i taking tickers i, i+N, ...; their output
    passes through as it comes, each line prefixed with the worker's companies."""
    flags = [flag for flag, on in (("--resume", args.resume), ("--force", args.force)) if on]
    env = dict(os.environ)
    # each process gets render workers of its own only where it has two cores to itself
    share = (os.cpu_count() or 1) // args.jobs
    from .. import workers as worker_pool

    env.setdefault(worker_pool.ENV, str(share if share >= 2 else 0))
    workers = []
    for i in range(min(args.jobs, len(tickers))):
        part = tickers[i :: args.jobs]
        proc = subprocess.Popen([sys.executable, "-m", "consultantos_assets.cli", "report", *part, *flags],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
        workers.append((part, proc))

    def relay(part: list[str], proc) -> None:
        for line in proc.stdout:
            print(f"[{','.join(part)}] {line.rstrip()}", flush=True)

    threads = [threading.Thread(target=relay, args=worker, daemon=True) for worker in workers]
    for thread in threads:
        thread.start()
    codes = [proc.wait() for _, proc in workers]
    for thread in threads:
        thread.join()
    failed = [",".join(part) for (part, _), code in zip(workers, codes, strict=True) if code != 0]
    if failed:
        raise CliError(f"the workers for {'; '.join(failed)} failed; see their lines above")
    return 0


# ------------------------------------------------------------------------------------------- one company
def report_one(args: argparse.Namespace, profile, session: Session) -> None:
    """Resume the company's failed run (--resume) or build what is stale; then print the outputs."""
    from ..defs.recovery import cli_run_tags

    ticker = profile.ticker
    attempt = uuid.uuid4().hex
    tags = cli_run_tags(attempt)
    parent = _run_to_resume(session.instance, ticker) if args.resume else None
    if parent is not None:
        ok, run = _resume(session, parent, ticker, attempt, tags)
    else:
        ok, run = _build_stale(args, session, profile, attempt, tags)
    if not ok:
        raise CliError(f"the run for {ticker} failed ({run}); see the messages above or the Dagster UI. "
                       f"`consultantos report {ticker} --resume` re-executes only what did not finish")
    _print_outputs(ticker)


def _run_to_resume(instance, ticker: str):
    """The most recent company_report run for the company if it failed, else None (said)."""
    import dagster as dg

    runs = instance.get_runs(dg.RunsFilter(job_name="company_report", tags={"dagster/partition": ticker}), limit=1)
    if runs and runs[0].status == dg.DagsterRunStatus.FAILURE:
        return runs[0]
    print(f"No failed run to resume for {ticker}: building what is not up to date.", flush=True)
    return None


def in_process_report_job():
    """company_report with the in-process executor: what `report --resume` re-executes (reconstructable,
    so it must live at module level and build the same definitions as the code location)."""
    import dagster as dg

    from ..defs import build_definitions

    return build_definitions().resolve_job_def("company_report").with_executor_def(dg.in_process_executor)


def _resume(session: Session, parent, ticker: str, attempt: str, tags: dict[str, str]) -> tuple[bool, str]:
    """Re-execute the failed run from its failure: steps that succeeded are reused."""
    import dagster as dg

    job = dg.reconstructable(in_process_report_job)
    tags = {**{k: v for k, v in parent.tags.items() if not k.startswith(("dagster/", "consultantos/cli-"))},
            **tags, "dagster/partition": ticker}
    print(f"Resuming run {parent.run_id} for {ticker} from its failure: steps that succeeded are "
          f"reused (instance: {os.environ['DAGSTER_HOME']})", flush=True)

    def execute():
        return dg.execute_job(job, session.instance, run_config=RUN_CONFIG, tags=tags,
                              reexecution_options=dg.ReexecutionOptions.from_failure(parent.run_id, session.instance))
    return run_with_progress(session.instance, execute, attempt, Progress(len(session.order)))


def _build_stale(args: argparse.Namespace, session: Session, profile, attempt: str,
                 tags: dict[str, str]) -> tuple[bool, str]:
    """Materialize what the plan says is stale (everything with --force). Stale sources (and peers) go
    first: a refresh that returns identical data (the same content-hash data version) leaves everything
    downstream up to date, which the plan made after them shows."""
    from ..defs.automation import FINGERPRINTED_ASSETS as FETCHING  # the sources, the peers and their figures

    order = session.order
    plan = {a: "--force" for a in order} if args.force else report_plan(session, profile)
    progress = Progress(len(order))
    build = _Build(args, session, profile.ticker, attempt, tags, progress)
    due = [a for a in order if a in FETCHING and a in plan]
    if not (due and len(plan) < len(order)):
        progress.up_to_date([a for a in order if a not in plan])
        return build([a for a in order if a in plan], plan) if plan else (True, "")
    ok, run = build(due, plan)
    if not ok:
        return ok, run
    plan = report_plan(session, profile)
    rest = [a for a in order if a in plan and a not in due]
    progress.up_to_date([a for a in order if a not in due and a not in rest])
    return build(rest, plan) if rest else (ok, run)


@dataclass
class _Build:
    """One run of company_report over some of the company's assets, its progress shown."""

    args: argparse.Namespace
    session: Session
    ticker: str
    attempt: str
    tags: dict[str, str]
    progress: Progress

    def __call__(self, names: list[str], plan: dict[str, str]) -> tuple[bool, str]:
        import dagster as dg

        order, instance = self.session.order, self.session.instance
        run_id = str(uuid.uuid4())
        why = "; ".join(f"{a}: {plan[a]}" for a in names) if len(names) < len(order) else \
            ("--force" if self.args.force else "the whole graph")
        print(f"Building {len(names)} of {len(order)} assets for {self.ticker} (run {run_id}, instance: "
              f"{os.environ['DAGSTER_HOME']}): {why}", flush=True)
        selection = None if len(names) == len(order) else [dg.AssetKey(a) for a in names]
        job = self.session.defs.resolve_job_def("company_report")
        if POOLED.intersection(names):  # their libraries load in the workers while the sources run
            from .. import workers

            workers.warm()

        def execute():
            return job.execute_in_process(run_config=RUN_CONFIG, instance=instance, partition_key=self.ticker,
                                          run_id=run_id, tags=self.tags, raise_on_error=False,
                                          asset_selection=selection)
        return run_with_progress(instance, execute, self.attempt, self.progress, run_id)


def report_plan(session: Session, profile) -> dict[str, str]:
    """What this company's report run must materialize and why (defs/automation.py: report_plan)."""
    from ..defs.automation import FINGERPRINTED_ASSETS
    from ..defs.automation import report_plan as plan_for
    from ..defs.resources import build_resources, stored_value
    from ..settings import AutomationSettings

    sources = build_resources(resolve_env=True)["sources"]
    named = stored_value("peers", profile.ticker)  # the peer list peer_figures read (if peers is current)
    peers = [(p.ticker, p.cik) for p in named.peers] if named is not None else []
    inputs = {a: sources.snapshot_fingerprint(a, profile.ticker, profile.cik, peers) for a in FINGERPRINTED_ASSETS}
    specs = [s for s in session.defs.resolve_all_asset_specs() if s.key.to_user_string() in session.order]
    plan = plan_for(session.instance, specs, profile.ticker, AutomationSettings.from_env().windows, inputs)
    if "report_pdf" not in plan:
        artifact = stored_value("report_pdf", profile.ticker)
        files = {} if artifact is None else {"pdf": artifact.path, **artifact.outputs}
        missing = [fmt for fmt, path in files.items() if not _report_exists(path)]
        if artifact is None or "pdf" in missing:
            plan["report_pdf"] = "its PDF is missing"
        elif missing:
            plan["report_pdf"] = f"its {', '.join(missing)} file(s) are missing"
    return plan


def _report_exists(path: str) -> bool:
    return path.startswith("gs://") or Path(path).is_file()


def _print_outputs(ticker: str) -> None:
    """The exports, a note when not every analysis came from the model, then the PDF's path alone on the
    last line."""
    from ..analysis.llm import fallback_line
    from ..analysis.prompts import ASSET_OF, FRAMEWORKS
    from ..defs.resources import stored_value

    artifact = stored_value("report_pdf", ticker)
    if artifact is None:
        raise CliError(f"the run for {ticker} succeeded but no report_pdf value is stored for it")
    for fmt, path in artifact.outputs.items():
        if fmt != "pdf":
            print(f"{OUTPUT_NAMES.get(fmt, fmt)}: {path}")
    fell_back = fallback_line([stored_value(ASSET_OF[f], ticker) for f in FRAMEWORKS])
    if fell_back:  # the report is whole, but not every analysis came from the model: say so before the path
        print(f"note: {fell_back}", flush=True)
    print(artifact.path)
