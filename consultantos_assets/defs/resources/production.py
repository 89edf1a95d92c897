"""The production profile's storage (CONSULTANTOS_PROFILE=production): Google Cloud Storage and PostgreSQL.

gs://<bucket>/<prefix>/assets/<asset>/<TICKER>.json     asset values, the same JSON envelope as the local
                                                        profile ({"type": ..., "value": ...})
gs://<bucket>/<prefix>/reports/<TICKER>/<TICKER>_report.pdf|.md|.json|.pptx|.xlsx   the report and its exports
gs://<bucket>/<prefix>/reports/<TICKER>/history/<inputs hash>.json      report inputs, for "what changed"
gs://<bucket>/<prefix>/llm/cache/<k[:2]>/<key>.json     LLM answers by cache key
gs://<bucket>/<prefix>/lancedb/                         the research index (CONSULTANTOS_LANCEDB_URI)
gs://<bucket>/<prefix>/requests/<file>                  request files users drop (the portfolio_requests
                                                        sensor), moved to requests/done|failed/ once handled
gs://<bucket>/<prefix>/portfolios/<name>.txt            portfolio files (the portfolio_refresh schedule)
PostgreSQL table llm_calls                              the LLM cost ledger (CONSULTANTOS_LEDGER_DSN, else the
                                                        Dagster instance's database from DAGSTER_PG_*)

Every machine that runs a step reads and writes the same bucket and database, so nothing depends on the
machine a run lands on and nothing is lost when a machine is replaced. Objects are uploaded whole (a
reader sees the old or the new object, never a part), and the GCS client comes from dagster-gcp's
GCSResource (credentials: Application Default Credentials; STORAGE_EMULATOR_HOST points it at an
emulator).
"""

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
from dagster_gcp.gcs import GCSResource
from google.api_core.exceptions import Forbidden, NotFound, PreconditionFailed, ServiceUnavailable, TooManyRequests
from google.api_core.retry import Retry, if_exception_type
from pydantic import PrivateAttr

from ...models import ReportArtifact
from ...settings import ConfigError, ProfileSettings
from ...value_files import value_path
from ..inputs import DESTINATIONS, InputsResource, RequestFile, unique_name
from ..io_manager import JsonEnvelopeIOManager
from .common import optional_env
from .local import AnalystResource, ReportStore

log = logging.getLogger(__name__)
# uploads retried on GCS's throttling and unavailability answers, with exponential back-off (0.1 s
# doubling) for at most 30 s; google-cloud-storage's own default retries only idempotent requests
_UPLOAD_RETRY = Retry(predicate=if_exception_type(TooManyRequests, ServiceUnavailable, Forbidden),
                      initial=0.1, multiplier=2.0, maximum=2.0, timeout=30.0)
_CONTENT_TYPES = {
    "pdf": "application/pdf", "md": "text/markdown; charset=utf-8", "json": "application/json",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def gcs_bucket(gcs: GCSResource, name: str):
    """The bucket, checked once: a clear error instead of failures on the first write."""
    bucket = gcs.get_client().bucket(name)
    try:
        found = bucket.exists()
    except Forbidden as exc:
        raise ConfigError(f"the GCS credentials may not read bucket {name!r} (CONSULTANTOS_GCS_BUCKET): "
                          f"grant storage.buckets.get and object read/write on it ({exc})") from exc
    if not found:
        raise ConfigError(f"GCS bucket {name!r} (CONSULTANTOS_GCS_BUCKET) does not exist; create it or point "
                          "CONSULTANTOS_GCS_BUCKET at an existing bucket")
    return bucket


def _upload(blob, data: str | bytes, content_type: str, **kwargs: Any) -> None:
    blob.upload_from_string(data, content_type=content_type, retry=_UPLOAD_RETRY, **kwargs)


class _InBucket(dg.ConfigurableResource):
    """A resource keeping its objects in bucket `gcs_bucket`, which is checked on first use, once per instance."""

    gcs: dg.ResourceDependency[GCSResource]
    gcs_bucket: str
    _checked_bucket: Any = PrivateAttr(default=None)

    @property
    def _bucket(self):
        if self._checked_bucket is None:
            self._checked_bucket = gcs_bucket(self.gcs, self.gcs_bucket)
        return self._checked_bucket


# ------------------------------------------------------------------------------------------- asset values
class GCSModelJsonIOManager(_InBucket, JsonEnvelopeIOManager):
    """Asset values as JSON envelopes in a bucket: gs://<gcs_bucket>/<gcs_prefix>/<asset>/<TICKER>.json (an
    asset without partitions: <gcs_prefix>/<asset>.json)."""

    gcs_prefix: str = "consultantos/assets"

    def location(self, asset: str, partition: str | None) -> str:
        prefix = self.gcs_prefix.strip("/")
        if partition is None:
            return f"gs://{self.gcs_bucket}/{prefix}/{asset}.json"
        return f"gs://{self.gcs_bucket}/{value_path(prefix, asset, partition).as_posix()}"

    def _blob(self, location: str):
        return self._bucket.blob(location.removeprefix(f"gs://{self.gcs_bucket}/"))

    def write_text(self, location: str, text: str) -> None:
        _upload(self._blob(location), text, "application/json")

    def read_text(self, location: str) -> str:
        try:
            return self._blob(location).download_as_text()
        except NotFound as exc:
            raise FileNotFoundError(f"no stored value at {location}") from exc

    def stored_at(self, location: str) -> dg.MetadataValue:
        return dg.MetadataValue.url(location)


# ------------------------------------------------------------------------------------------- reports
class GCSReportStore(_InBucket, ReportStore):
    """ReportStore whose files live in a bucket: gs://<gcs_bucket>/<directory>/<TICKER>/... (ReportStore's
    storage interface on google-cloud-storage's public API).

    Rendering happens in a temporary directory; the PDF and every export (Markdown, JSON, slide deck,
    workbook) are then uploaded, and the report's paths are gs:// URIs. The inputs history is read from and
    written to the bucket.
    """

    kept_where_rendered: ClassVar[bool] = False  # uploaded: the PDF is read back from the bucket

    def _name(self, ticker: str, *parts: str) -> str:
        return "/".join([self.directory.strip("/"), ticker, *parts])

    def uri(self, name: str) -> str:
        return f"gs://{self.gcs_bucket}/{name}"

    @contextmanager
    def render_dir(self, ticker: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix=f"consultantos-report-{ticker}-") as tmp:
            yield Path(tmp)

    def keep(self, ticker: str, paths: dict[str, Path]) -> dict[str, str]:
        kept = {}
        for fmt in sorted(paths, key=lambda f: f == "pdf"):  # the PDF last: once it is there, its exports are too
            name = self._name(ticker, paths[fmt].name)
            _upload(self._bucket.blob(name), paths[fmt].read_bytes(), _CONTENT_TYPES[fmt])
            kept[fmt] = self.uri(name)
        return kept

    def history(self, ticker: str) -> list[tuple[str, Callable[[], str]]]:
        blobs = [b for b in self._bucket.client.list_blobs(self._bucket, prefix=self._name(ticker, "history", ""))
                 if b.name.endswith(".json")]
        blobs.sort(key=lambda b: (b.time_created, b.name), reverse=True)
        return [(b.name.rsplit("/", 1)[-1].removesuffix(".json"), b.download_as_text) for b in blobs]

    def archive(self, ticker: str, inputs_hash: str, text: str) -> None:
        blob = self._bucket.blob(self._name(ticker, "history", f"{inputs_hash}.json"))
        try:  # create-only: the first archiving of identical inputs stays, with its time
            _upload(blob, text, "application/json", if_generation_match=0)
        except PreconditionFailed:
            pass

    @contextmanager
    def local_pdf(self, artifact: ReportArtifact) -> Iterator[Path]:
        prefix = f"gs://{self.gcs_bucket}/"
        if not artifact.path.startswith(prefix):
            raise ValueError(f"{artifact.path} is not in bucket {self.gcs_bucket}")
        with tempfile.TemporaryDirectory(prefix="consultantos-verify-") as tmp:
            local = Path(tmp) / Path(artifact.path).name
            try:
                self._bucket.blob(artifact.path.removeprefix(prefix)).download_to_filename(str(local))
            except NotFound:
                local.unlink(missing_ok=True)  # verify_pdf then reports the file as missing
            yield local


# ------------------------------------------------------------------------------------------- LLM storage
class SharedAnalystResource(_InBucket, AnalystResource):
    """AnalystResource whose answer cache is in the bucket and whose cost ledger is in PostgreSQL, so every
    machine shares them and they outlive any machine. `ledger_dsn` (CONSULTANTOS_LEDGER_DSN, through
    dg.EnvVar) defaults to the Dagster instance's database, assembled from DAGSTER_PG_* when used."""

    cache_prefix: str = "consultantos/llm/cache"
    ledger_dsn: str | None = None

    def ledger(self):
        from ...llm_store import PostgresLedger
        from ...settings import postgres_dsn_from_env

        return PostgresLedger(self.ledger_dsn or postgres_dsn_from_env())

    def answer_cache(self):
        from ...llm_store import GCSAnswerCache

        return GCSAnswerCache(self._bucket, self.cache_prefix)


# ------------------------------------------------------------------------------------------- user inputs
REQUEST_ID_KEY = "consultantos-request-file-id"


class GCSInputsResource(_InBucket, InputsResource):
    """Request and portfolio files in a bucket: `requests_dir` and `portfolios_dir` are object prefixes
    (<prefix>/requests and <prefix>/portfolios), laid out as the local folders are.

    A bucket has no rename, so moving a handled request file to done/ or failed/ is a copy, then a
    delete of the original. The reason object is written first, tagged with the sensor's file id
    (custom metadata REQUEST_ID_KEY), which reserves the target name. A tick that stops anywhere in
    between leaves the original in requests/ and its id in the sensor's cursor (the cursor only moves
    when a tick completes); the next tick reads the same id, finds the tagged reason, copies only if
    the copy is not there yet and deletes the original: one copy, never two.
    """


    def _requests(self, *parts: str) -> str:
        return "/".join([self.requests_dir.strip("/"), *parts])

    def _portfolio(self, name: str) -> str:
        return f"{self.portfolios_dir.strip('/')}/{name}.txt"

    def requests_location(self) -> str:
        return f"gs://{self.gcs_bucket}/{self._requests('')}"

    def list_requests(self) -> list[RequestFile]:
        prefix = self._requests("")
        out = []
        for b in self._bucket.client.list_blobs(self._bucket, prefix=prefix, delimiter="/"):
            name = b.name[len(prefix):]
            if name and "/" not in name:
                out.append(RequestFile(name, int(b.size or 0), b.updated.timestamp(), int(b.generation)))
        return out

    def read_request(self, f: RequestFile, limit: int) -> bytes:
        blob = self._bucket.blob(self._requests(f.name), generation=f.version)
        try:  # exactly the listed generation, so the content matches the file id
            return blob.download_as_bytes(end=limit - 1 if f.size > limit else None)
        except NotFound as exc:
            raise FileNotFoundError(f"{self.requests_location()}{f.name} (generation {f.version}) is gone") from exc

    def move_request(self, f: RequestFile, dest: str, reason: str, file_id: str) -> str:
        if dest not in DESTINATIONS:
            raise ValueError(f"a handled request file goes to one of {DESTINATIONS}, not {dest!r}")
        folder = self._requests(dest, "")
        there = {b.name[len(folder):]: b for b in self._bucket.client.list_blobs(
            self._bucket, prefix=folder + f.name.partition(".")[0])}   # every name unique_name may give
        earlier = sorted(n.removesuffix(".reason.txt") for n, b in there.items()
                         if n.endswith(".reason.txt") and (b.metadata or {}).get(REQUEST_ID_KEY) == file_id)
        if earlier:
            target = earlier[0]
            log.info("finishing the move of request file %s to %s%s", f.name, folder, target)
        else:
            target = unique_name(f.name, lambda n: n in there or f"{n}.reason.txt" in there)
            reason_blob = self._bucket.blob(folder + target + ".reason.txt")
            reason_blob.metadata = {REQUEST_ID_KEY: file_id}
            _upload(reason_blob, reason, "text/plain; charset=utf-8")
        if target not in there:
            try:  # create-only: a copy made by an earlier attempt whose answer was lost stays as it is
                self._bucket.copy_blob(self._bucket.blob(self._requests(f.name)), self._bucket, folder + target,
                                       source_generation=f.version, if_generation_match=0)
            except PreconditionFailed:
                pass
        try:  # only the generation that was read: a file uploaded again meanwhile stays, as a new request
            self._bucket.blob(self._requests(f.name)).delete(if_generation_match=f.version)
        except NotFound:
            pass
        except PreconditionFailed:
            log.info("request file %s was replaced after it was read; the new version stays in %s", f.name,
                     self.requests_location())
        return f"gs://{self.gcs_bucket}/{folder}{target}"

    def portfolio_location(self, name: str) -> str:
        return f"gs://{self.gcs_bucket}/{self._portfolio(name)}"

    def read_portfolio(self, name: str) -> str | None:
        try:
            return self._bucket.blob(self._portfolio(name)).download_as_bytes().decode("utf-8", errors="replace")
        except NotFound:
            return None


def production_resources(profile: ProfileSettings, analyst_kind: str, gemini_key,
                         env: Callable[..., Any] = optional_env) -> dict[str, object]:
    """io_manager, analyst, reports and inputs of the production profile (see build_resources; `env` reads an
    optional variable as build_resources does: an EnvVar reference, or its value outside a run)."""
    gcs = GCSResource(project=profile.gcp_project)
    bucket = profile.gcs_bucket or ""
    return {
        "io_manager": GCSModelJsonIOManager(gcs=gcs, gcs_bucket=bucket,
                                            gcs_prefix=f"{profile.gcs_prefix}/assets"),
        "analyst": SharedAnalystResource(
            kind=analyst_kind, gemini_api_key=gemini_key, home=str(profile.home), gcs=gcs, gcs_bucket=bucket,
            cache_prefix=f"{profile.gcs_prefix}/llm/cache",
            ledger_dsn=env("CONSULTANTOS_LEDGER_DSN"),
        ),
        "reports": GCSReportStore(gcs=gcs, gcs_bucket=bucket, directory=f"{profile.gcs_prefix}/reports"),
        "inputs": GCSInputsResource(gcs=gcs, gcs_bucket=bucket, requests_dir=f"{profile.gcs_prefix}/requests",
                                    portfolios_dir=f"{profile.gcs_prefix}/portfolios"),
    }
