"""The scale-out deployment files are valid and agree with the code and with each other.

Instance YAMLs are validated with Dagster's own instance schema (and each configurable class's
config schema where the class is installed); the Helm values are checked against the keys of the
dagster chart 1.13 schema this project relies on, and the instance settings the chart renders from
them are validated the same way; the compose files are checked for the wiring the launcher needs.
Every environment variable the files reference must be documented in docs/DEPLOY.md, and pool
names and limits must match consultantos_assets/defs/pools.py.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from dagster._config import process_config, validate_config
from dagster._core.instance.config import dagster_instance_config

from consultantos_assets.defs.pools import POOL_LIMITS, POOLS

from .conftest import REPO

DEPLOY = REPO / "deploy"
K8S_INSTANCE = DEPLOY / "k8s" / "dagster.yaml"
DOCKER_INSTANCE = DEPLOY / "docker" / "dagster.yaml"
ONE_MACHINE_INSTANCE = DEPLOY / "dagster.yaml"
VALUES = DEPLOY / "k8s" / "values.yaml"
K8S_CONFIGMAP = DEPLOY / "k8s" / "config.yaml"
POOL_JOB = DEPLOY / "k8s" / "pool-limits-job.yaml"
COMPOSE = DEPLOY / "docker" / "docker-compose.yml"
COMPOSE_EMULATOR = DEPLOY / "docker" / "docker-compose.emulator.yml"
WORKSPACE = DEPLOY / "docker" / "workspace.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
GUIDE = REPO / "docs" / "DEPLOY.md"

# Config keys of the run launchers in dagster-k8s / dagster-docker 0.29.27 (the release matching
# dagster 1.13.27). test_launcher_config_matches_the_installed_launcher checks the real schema when
# the library is installed.
K8S_LAUNCHER_KEYS = {
    "dagster_home", "env_config_maps", "env_secrets", "env_vars", "fail_pod_on_run_failure",
    "image_pull_policy", "image_pull_secrets", "instance_config_map", "job_image", "job_namespace",
    "k8s_api_ssl_ca_cert_file", "kubeconfig_file", "labels", "load_incluster_config",
    "only_allow_user_defined_env_vars", "only_allow_user_defined_k8s_config_fields",
    "postgres_password_secret", "resources", "run_k8s_config", "scheduler_name", "security_context",
    "service_account_name", "volume_mounts", "volumes",
}
K8S_RUN_K8S_CONFIG_KEYS = {"container_config", "pod_template_spec_metadata", "pod_spec_config", "job_config",
                           "job_metadata", "job_spec_config"}
DOCKER_LAUNCHER_KEYS = {"container_kwargs", "env_vars", "image", "network", "networks", "registry"}
# docker-py create() arguments the launcher refuses in container_kwargs (it sets them itself)
DOCKER_RESERVED_KWARGS = {"image", "environment", "network"}

# Keys of the dagster Helm chart (1.13) this project sets; the chart's values schema rejects others.
CHART_K8S_LAUNCHER_KEYS = {
    "image", "imagePullPolicy", "jobNamespace", "loadInclusterConfig", "kubeconfigFile", "envConfigMaps",
    "envSecrets", "envVars", "volumeMounts", "volumes", "labels", "failPodOnRunFailure", "resources",
    "schedulerName", "securityContext", "runK8sConfig",
}
CHART_RUN_K8S_CONFIG = {"containerConfig": "container_config", "podSpecConfig": "pod_spec_config",
                        "podTemplateSpecMetadata": "pod_template_spec_metadata",
                        "jobSpecConfig": "job_spec_config", "jobMetadata": "job_metadata"}
CHART_USER_DEPLOYMENT_KEYS = {
    "name", "image", "dagsterApiGrpcArgs", "codeServerArgs", "includeConfigInLaunchedRuns", "port", "env",
    "envConfigMaps", "envSecrets", "annotations", "nodeSelector", "affinity", "tolerations",
    "podSecurityContext", "securityContext", "resources", "livenessProbe", "readinessProbe", "startupProbe",
    "labels", "volumeMounts", "volumes", "schedulerName",
}
CHART_POSTGRESQL_KEYS = {"image", "enabled", "postgresqlHost", "postgresqlUsername", "postgresqlPassword",
                         "postgresqlDatabase", "postgresqlParams", "postgresqlScheme", "service"}
CHART_GCS_LOGS_KEYS = {"bucket", "localDir", "prefix", "jsonCredentialsEnvvar", "uploadInterval"}
# instance keys the chart renders itself: additionalInstanceConfig must not repeat them
CHART_RENDERED_INSTANCE_KEYS = {"scheduler", "schedule_storage", "run_launcher", "run_storage",
                                "event_log_storage", "run_coordinator", "compute_logs", "python_logs",
                                "run_monitoring", "telemetry", "retention", "concurrency"}

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_all(path: Path) -> list:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def validated_instance(directory: Path, filename: str = "dagster.yaml") -> dict:
    config, custom_class = dagster_instance_config(str(directory), filename)
    assert custom_class is None
    return dict(config)


def mebibytes(quantity: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi|m|g)", str(quantity))
    assert match, f"unexpected memory quantity {quantity!r}"
    value, unit = float(match.group(1)), match.group(2)
    return value * 1024 if unit in ("Gi", "g") else value


def measured_peak_mb() -> float:
    """The largest measured peak of one company run: `make bench`'s in-process figure, or the run-worker
    figures the guide's sizing table reports (rows saying 'as a run worker executes it')."""
    peaks = [json.loads((REPO / "bench" / "results.json").read_text())["pipeline"]["peak_rss_mb"]]
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if "as a run worker executes it" in line:
            peaks += [float(m.replace(",", "")) for m in re.findall(r"\| ([\d,]+(?:\.\d+)?) MB", line)]
    assert len(peaks) >= 2, "docs/DEPLOY.md reports no run-worker peak"
    return max(peaks)


# ----------------------------------------------------------------------------------- instance configs
@pytest.mark.parametrize("path", [K8S_INSTANCE, DOCKER_INSTANCE], ids=["k8s", "docker"])
def test_instance_config_is_valid_and_production_shaped(path):
    config = validated_instance(path.parent)

    # one shared store for every machine
    assert set(config["storage"]) == {"postgres"}
    db = config["storage"]["postgres"]["postgres_db"]
    assert db["hostname"] == {"env": "DAGSTER_PG_HOST"} and db["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert db["scheme"] == "postgresql+psycopg2"  # the driver dagster-postgres installs
    env = {"DAGSTER_PG_HOST": "db", "DAGSTER_PG_PORT": "5433", "DAGSTER_PG_USER": "u",
           "DAGSTER_PG_PASSWORD": "p", "DAGSTER_PG_DB": "d"}
    from dagster._core.storage.config import pg_config

    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        resolved = process_config(pg_config(), config["storage"]["postgres"])
    assert resolved.success, resolved.errors
    assert resolved.value["postgres_db"]["port"] == 5433 and resolved.value["postgres_db"]["hostname"] == "db"

    # queued runs; limits in `concurrency` (Dagster refuses them in both places)
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator" and not coordinator.get("config")
    from dagster import QueuedRunCoordinator

    assert validate_config(QueuedRunCoordinator.config_type(), coordinator.get("config") or {}).success
    runs = config["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] >= 1
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in \
        runs["tag_concurrency_limits"]
    assert config["concurrency"]["pools"]["granularity"] == "op"

    # dead workers are noticed and their slots freed; a crashed worker is retried, a failed asset is not
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
    assert config["run_retries"] == {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False}

    # step logs in the bucket, readable from any machine
    from dagster_gcp.gcs.compute_log_manager import GCSComputeLogManager

    logs = config["compute_logs"]
    assert (logs["module"], logs["class"]) == ("dagster_gcp.gcs.compute_log_manager", "GCSComputeLogManager")
    assert validate_config(GCSComputeLogManager.config_type(), logs["config"]).success
    assert logs["config"]["bucket"] == {"env": "CONSULTANTOS_GCS_BUCKET"}

    # sensors one after another in the single daemon; automation through sensors
    assert config["sensors"]["use_threads"] is False and config["schedules"]["use_threads"] is False
    assert config["auto_materialize"]["use_sensors"] is True
    assert config["telemetry"]["enabled"] is False


def test_a_broken_instance_config_is_refused(tmp_path):
    """The validation above can fail: the same file with one misspelt key is refused."""
    broken = load(K8S_INSTANCE)
    broken["run_monitoring"]["poll_interval"] = broken["run_monitoring"].pop("poll_interval_seconds")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(broken))
    from dagster._core.errors import DagsterInvalidConfigError

    with pytest.raises(DagsterInvalidConfigError):
        validated_instance(tmp_path)


def test_k8s_launcher_config():
    launcher = validated_instance(K8S_INSTANCE.parent)["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    config = launcher["config"]
    assert set(config) <= K8S_LAUNCHER_KEYS, set(config) - K8S_LAUNCHER_KEYS
    assert set(config["run_k8s_config"]) <= K8S_RUN_K8S_CONFIG_KEYS
    assert config["job_image"] == {"env": "CONSULTANTOS_IMAGE"}
    assert config["job_namespace"] == {"env": "DAGSTER_K8S_JOB_NAMESPACE"}
    assert config["env_secrets"] == ["consultantos-secrets"]
    assert config["env_config_maps"] == ["consultantos-config"]
    assert config["dagster_home"] == dockerfile_env()["DAGSTER_HOME"]
    assert_run_resources(config["resources"])
    uid = int(dockerfile_arg("APP_UID"))
    assert config["run_k8s_config"]["pod_spec_config"]["security_context"]["run_as_user"] == uid


def test_docker_launcher_config():
    launcher = validated_instance(DOCKER_INSTANCE.parent)["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    config = launcher["config"]
    assert set(config) <= DOCKER_LAUNCHER_KEYS, set(config) - DOCKER_LAUNCHER_KEYS
    assert not set(config["container_kwargs"]) & DOCKER_RESERVED_KWARGS
    assert mebibytes(config["container_kwargs"]["mem_limit"]) >= 2 * measured_peak_mb()


def assert_run_resources(resources: dict) -> None:
    """Run pods get the measured peak as a request and room above it as a limit, never less."""
    peak = measured_peak_mb()
    request, limit = mebibytes(resources["requests"]["memory"]), mebibytes(resources["limits"]["memory"])
    assert request >= peak, f"run pods request {request} MiB, below the measured peak of {peak} MB"
    assert limit >= 1.5 * peak and limit >= request
    assert "cpu" in resources["requests"] and "cpu" not in resources["limits"]  # no CPU throttling


@pytest.mark.parametrize("module, cls, path", [
    ("dagster_k8s", "K8sRunLauncher", K8S_INSTANCE),
    ("dagster_docker", "DockerRunLauncher", DOCKER_INSTANCE),
], ids=["k8s", "docker"])
def test_launcher_config_matches_the_installed_launcher(module, cls, path):
    launcher_cls = getattr(pytest.importorskip(module), cls)
    config = validated_instance(path.parent)["run_launcher"]["config"]
    result = validate_config(launcher_cls.config_type(), config)
    assert result.success, result.errors
    if module == "dagster_k8s":
        assert_k8s_job_spec(config)


def assert_k8s_job_spec(config: dict) -> None:
    """The Kubernetes Job the launcher builds from this config carries the sizes, settings and user."""
    import kubernetes
    from dagster_k8s import K8sRunLauncher
    from dagster_k8s.job import DagsterK8sJobConfig, UserDefinedDagsterK8sConfig, construct_dagster_k8s_job

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONSULTANTOS_IMAGE", "registry.example/consultantos:abc123")
        mp.setenv("DAGSTER_K8S_JOB_NAMESPACE", "consultantos")
        resolved = process_config(K8sRunLauncher.config_type(), config)
    assert resolved.success, resolved.errors
    value = resolved.value
    job_config = DagsterK8sJobConfig(job_image=value["job_image"], dagster_home=value["dagster_home"],
                                     instance_config_map=value["instance_config_map"],
                                     env_config_maps=value["env_config_maps"], env_secrets=value["env_secrets"],
                                     service_account_name=value["service_account_name"],
                                     resources=value["resources"])
    job = construct_dagster_k8s_job(job_config, ["dagster", "api", "execute_run", "{}"], "dagster-run-test",
                                    user_defined_k8s_config=UserDefinedDagsterK8sConfig.from_dict(
                                        value["run_k8s_config"]), component="run_worker")
    spec = kubernetes.client.ApiClient().sanitize_for_serialization(job)["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.example/consultantos:abc123"
    assert container["resources"] == value["resources"]
    assert {"configMapRef": {"name": "consultantos-config"}} in container["envFrom"]
    assert {"secretRef": {"name": "consultantos-secrets"}} in container["envFrom"]
    assert pod["securityContext"]["runAsUser"] == int(dockerfile_arg("APP_UID"))
    assert spec["ttlSecondsAfterFinished"] == 86400


# ----------------------------------------------------------------------------------------- Helm values
def chart_rendered_instance(values: dict) -> dict:
    """The instance settings the dagster chart renders from the values this project sets (its
    templates for storage, launcher, coordinator, compute logs, run monitoring/retries, concurrency,
    retention and additionalInstanceConfig), so Dagster's schema can judge them."""
    pg = values["postgresql"]
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    daemon = values["dagsterDaemon"]
    monitoring = daemon["runMonitoring"]
    gcs = values["computeLogManager"]["config"]["gcsComputeLogManager"]
    concurrency = values["concurrency"]
    rendered = {
        "storage": {"postgres": {"postgres_db": {
            "hostname": pg["postgresqlHost"], "username": pg["postgresqlUsername"],
            "password": {"env": "DAGSTER_PG_PASSWORD"}, "db_name": pg["postgresqlDatabase"],
            "port": pg["service"]["port"], "scheme": pg["postgresqlScheme"]}}},
        "run_launcher": {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": {
            "instance_config_map": "dagster-instance", "service_account_name": "dagster",
            "postgres_password_secret": values["global"]["postgresqlSecretName"],
            "load_incluster_config": launcher["loadInclusterConfig"],
            "image_pull_policy": launcher["imagePullPolicy"],
            "env_config_maps": [e["name"] for e in launcher["envConfigMaps"]],
            "env_secrets": [e["name"] for e in launcher["envSecrets"]],
            "resources": launcher["resources"],
            "run_k8s_config": {CHART_RUN_K8S_CONFIG[k]: v for k, v in launcher["runK8sConfig"].items()}}},
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator"},
        "compute_logs": {"module": "dagster_gcp.gcs.compute_log_manager", "class": "GCSComputeLogManager",
                         "config": {"bucket": gcs["bucket"], "prefix": gcs["prefix"],
                                    "upload_interval": gcs["uploadInterval"]}},
        "run_monitoring": {"enabled": monitoring["enabled"],
                           "start_timeout_seconds": monitoring["startTimeoutSeconds"],
                           "max_resume_run_attempts": monitoring["maxResumeRunAttempts"],
                           "poll_interval_seconds": monitoring["pollIntervalSeconds"],
                           "free_slots_after_run_end_seconds": monitoring["freeSlotsAfterRunEndSeconds"]},
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
        "retention": {k: {"purge_after_days": v["purgeAfterDays"]} for k, v in values["retention"].items()
                      if k != "enabled"},
        "concurrency": {
            "pools": {"default_limit": concurrency["pools"]["defaultLimit"],
                      "granularity": concurrency["pools"]["granularity"]},
            "runs": {"max_concurrent_runs": concurrency["runs"]["maxConcurrentRuns"],
                     "tag_concurrency_limits": concurrency["runs"]["tagConcurrencyLimits"]}},
    }
    rendered.update(values.get("additionalInstanceConfig") or {})
    return rendered


def test_helm_values_render_a_valid_instance_equal_to_the_k8s_instance(tmp_path):
    values = load(VALUES)
    assert not set(values.get("additionalInstanceConfig") or {}) & CHART_RENDERED_INSTANCE_KEYS
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(chart_rendered_instance(values)))
    from_chart = validated_instance(tmp_path)
    standalone = validated_instance(K8S_INSTANCE.parent)
    for key in ("concurrency", "run_monitoring", "run_retries", "auto_materialize", "retention", "compute_logs"):
        assert from_chart[key] == standalone[key], key
    assert from_chart["run_launcher"]["config"]["resources"] == standalone["run_launcher"]["config"]["resources"]
    # the chart refuses run limits in both the coordinator and `concurrency`
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert not queued.get("maxConcurrentRuns") and not queued.get("tagConcurrencyLimits")
    assert values["dagsterDaemon"]["runRetries"]["enabled"] is False  # set in additionalInstanceConfig


def test_helm_values_use_only_chart_keys_and_the_code_location_image():
    values = load(VALUES)
    assert values["postgresql"]["enabled"] is False and set(values["postgresql"]) <= CHART_POSTGRESQL_KEYS
    assert values["generatePostgresqlPasswordSecret"] is False
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert set(launcher) <= CHART_K8S_LAUNCHER_KEYS, set(launcher) - CHART_K8S_LAUNCHER_KEYS
    assert set(launcher["runK8sConfig"]) <= set(CHART_RUN_K8S_CONFIG)
    assert_run_resources(launcher["resources"])
    assert values["computeLogManager"]["type"] == "GCSComputeLogManager"
    assert set(values["computeLogManager"]["config"]["gcsComputeLogManager"]) <= CHART_GCS_LOGS_KEYS
    assert values["concurrency"]["enabled"] is True
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"

    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert set(deployment) <= CHART_USER_DEPLOYMENT_KEYS, set(deployment) - CHART_USER_DEPLOYMENT_KEYS
    cmd = dockerfile_cmd()
    assert deployment["dagsterApiGrpcArgs"] == cmd[cmd.index("-m"):cmd.index("-m") + 2]
    assert str(deployment["port"]) == cmd[cmd.index("-p") + 1] == dockerfile_expose()
    # with includeConfigInLaunchedRuns on, the deployment's (smaller) resources would replace the
    # run launcher's on every run pod
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": False}
    assert mebibytes(deployment["resources"]["limits"]["memory"]) < mebibytes(launcher["resources"]["limits"]["memory"])
    # run pods and the code server read the same settings and keys
    assert deployment["envConfigMaps"] == launcher["envConfigMaps"] == [{"name": "consultantos-config"}]
    assert deployment["envSecrets"] == launcher["envSecrets"] == [{"name": "consultantos-secrets"}]
    uid = int(dockerfile_arg("APP_UID"))
    assert deployment["podSecurityContext"]["runAsUser"] == uid
    assert launcher["runK8sConfig"]["podSpecConfig"]["securityContext"]["runAsUser"] == uid


def test_k8s_manifests_agree():
    (configmap,) = load_all(K8S_CONFIGMAP)
    assert configmap["kind"] == "ConfigMap" and configmap["metadata"]["name"] == "consultantos-config"
    data = configmap["data"]
    assert all(isinstance(v, str) for v in data.values())  # ConfigMap values must be strings
    assert data["CONSULTANTOS_PROFILE"] == "production"
    # no secret in a ConfigMap
    assert not {"DAGSTER_PG_PASSWORD", "GEMINI_API_KEY", "GOOGLE_API_KEY", "TAVILY_API_KEY"} & set(data)
    # every {env: X} of the standalone instance config comes from this ConfigMap or a Secret
    secret_env = {"DAGSTER_PG_PASSWORD"}
    assert env_refs(load(K8S_INSTANCE)) <= set(data) | secret_env

    (job,) = load_all(POOL_JOB)
    assert job["kind"] == "Job"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "POOL_LIMITS" in " ".join(container["command"])
    assert "dagster instance concurrency set" in " ".join(container["command"])
    mount = container["volumeMounts"][0]["mountPath"]
    assert mount == dockerfile_env()["DAGSTER_HOME"]
    assert [e for e in container["env"] if e["name"] == "DAGSTER_HOME"][0]["value"] == mount


# ---------------------------------------------------------------------------------------------- compose
def test_compose_wires_the_docker_launcher():
    compose = load(COMPOSE)
    services = compose["services"]
    assert {"postgres", "pool-limits", "code-location", "webserver", "daemon"} <= set(services)
    launcher = load(DOCKER_INSTANCE)["run_launcher"]["config"]

    # run containers join the compose network by its fixed name
    assert compose["networks"]["consultantos"]["name"] == launcher["network"]
    # named volumes the launcher mounts into run containers exist under those exact names
    fixed_names = {v["name"] for v in compose["volumes"].values()}
    for spec in launcher["container_kwargs"]["volumes"]:
        assert spec.split(":")[0] in fixed_names, spec
    # every variable the launcher forwards is set in the daemon (else launching a run fails)
    daemon_env = services["daemon"]["environment"]
    assert set(launcher["env_vars"]) <= set(daemon_env), set(launcher["env_vars"]) - set(daemon_env)
    # and every {env: X} the instance config reads is forwarded to run containers
    assert env_refs(load(DOCKER_INSTANCE)) - {"CONSULTANTOS_IMAGE"} <= set(launcher["env_vars"])

    # the code server reports the image the daemon starts runs from
    code = services["code-location"]
    assert code["environment"]["DAGSTER_CURRENT_IMAGE"] == code["image"]
    assert "command" not in code  # the image's CMD: the gRPC server
    assert code["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (COMPOSE.parent / code["build"]["context"]).resolve() == REPO

    instance_mount = f"./dagster.yaml:{dockerfile_env()['DAGSTER_HOME']}/dagster.yaml:ro"
    workspace = load(WORKSPACE)["load_from"][0]["grpc_server"]
    assert workspace["host"] == "code-location" and str(workspace["port"]) == dockerfile_expose()
    for name in ("pool-limits", "code-location", "webserver", "daemon"):
        assert instance_mount in services[name]["volumes"], name
    for name in ("webserver", "daemon"):
        command = services[name]["command"]
        assert command[command.index("-w") + 1] == "/opt/dagster/workspace.yaml"
        assert "/var/run/docker.sock:/var/run/docker.sock" in services[name]["volumes"]
        assert services[name]["depends_on"]["code-location"]["condition"] == "service_healthy"
    assert services["code-location"]["depends_on"]["pool-limits"]["condition"] == "service_completed_successfully"
    assert "POOL_LIMITS" in " ".join(services["pool-limits"]["command"])
    # the UI has no login: published on loopback only
    assert all(p.startswith("127.0.0.1:") for p in services["webserver"]["ports"])
    # secrets come from the environment, never written into the file
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${DAGSTER_PG_PASSWORD")


def test_compose_emulator_overlay_only_adds_the_emulator():
    base, overlay = load(COMPOSE), load(COMPOSE_EMULATOR)
    assert set(overlay["services"]) - set(base["services"]) == {"gcs"}
    for name, service in overlay["services"].items():
        if name != "gcs":
            assert service["environment"]["STORAGE_EMULATOR_HOST"] == "http://gcs:9023"
    command = overlay["services"]["gcs"]["command"]
    assert command[:2] == ["gcp-storage-emulator", "start"] and "--default-bucket" in command
    # LanceDB cannot list objects on this emulator, so its index goes to the shared scratch volume
    assert overlay["services"]["daemon"]["environment"]["CONSULTANTOS_LANCEDB_URI"].startswith("/var/lib/consultantos")
    assert "consultantos_scratch:/var/lib/consultantos" in load(DOCKER_INSTANCE)["run_launcher"]["config"][
        "container_kwargs"]["volumes"]


# --------------------------------------------------------------------------------------------- Dockerfile
def dockerfile_lines() -> list[str]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def dockerfile_instruction(name: str) -> list[str]:
    return [line[len(name):].strip() for line in dockerfile_lines() if line.upper().startswith(name + " ")]


def dockerfile_cmd() -> list[str]:
    (cmd,) = dockerfile_instruction("CMD")
    return json.loads(cmd)


def dockerfile_expose() -> str:
    (port,) = dockerfile_instruction("EXPOSE")
    return port


def dockerfile_arg(name: str) -> str:
    for arg in dockerfile_instruction("ARG"):
        key, _, value = arg.partition("=")
        if key == name:
            return value
    raise AssertionError(f"no ARG {name} in {DOCKERFILE}")


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in dockerfile_instruction("ENV"):
        for token in shlex.split(line):
            key, _, value = token.partition("=")
            env[key] = value
    return env


def dockerignore_includes(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a directory covers its files."""
    included = True
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [pattern, pattern.removeprefix("**/")] if pattern.startswith("**/") else [pattern]
        for prefix in prefixes:
            names = [prefix] + ([prefix.split("/")[-1]] if pattern.startswith("**/") else [])
            if any(fnmatch.fnmatchcase(n, c) for n in names for c in candidates):
                included = negate
                break
    return included


def test_dockerfile_builds_from_files_that_exist_and_reach_the_context():
    assert dockerfile_instruction("FROM")[0].startswith("${PYTHON_IMAGE}")
    assert dockerfile_arg("PYTHON_IMAGE") == "python:3.11-slim"
    copies = [c for c in dockerfile_instruction("COPY") if not c.startswith("--from")]
    assert copies
    for copy in copies:
        *sources, _dest = copy.split()
        for source in sources:
            assert (REPO / source).exists(), source
            sample = REPO / source
            files = [sample] if sample.is_file() else [p for p in sample.rglob("*.py")][:5]
            for f in files:
                rel = f.relative_to(REPO).as_posix()
                assert dockerignore_includes(rel), f"{rel} is excluded by .dockerignore"
    for private in (".venv/bin/python", ".consultantos/dagster/dagster.yaml", "consultantos_assets_tests/conftest.py",
                    ".git/config"):
        assert not dockerignore_includes(private), private


def test_dockerfile_installs_the_lock_and_runs_the_code_server():
    lock = (REPO / "requirements.lock").read_text()
    runs = " ".join(dockerfile_instruction("RUN"))
    # the locked set from PyPI alone: no extra index or wheel folder, and no torch or CUDA package
    assert "uv pip sync" in runs and "requirements.lock" in runs
    assert "--find-links" not in runs and "--index-url" not in runs and "--extra-index-url" not in runs
    assert not re.search(r"^(torch|nvidia-[\w-]+|triton)==", lock, re.M)
    # launcher libraries of the same release line as dagster-postgres/dagster-gcp in the lock
    for lib in ("dagster-postgres", "dagster-gcp"):
        assert re.search(rf"^{lib}==(\S+)$", lock, re.M).group(1) == dockerfile_arg("DAGSTER_LIBS_VERSION")
    assert "--constraint requirements.lock" in runs
    dev_lock = (REPO / "requirements-dev.lock").read_text()
    assert re.search(r"^gcp-storage-emulator==(\S+)$", dev_lock, re.M).group(1) == dockerfile_arg("EMULATOR_VERSION")
    # the project itself, not editable
    assert re.search(r"uv pip install [^&]*--no-deps \.(\s|$)", runs) and " -e " not in runs
    assert dockerfile_arg("UV_VERSION") in (REPO / "Makefile").read_text()

    assert dockerfile_cmd() == ["dagster", "api", "grpc", "-m", "consultantos_assets.definitions", "-h", "0.0.0.0",
                                "-p", "4000"]
    assert not dockerfile_instruction("ENTRYPOINT")  # run launchers replace CMD to start run workers
    (health,) = dockerfile_instruction("HEALTHCHECK")
    assert "dagster api grpc-health-check -p 4000" in health
    (user,) = dockerfile_instruction("USER")
    assert user == "${APP_UID}" and int(dockerfile_arg("APP_UID")) >= 1000
    assert dockerfile_env()["CONSULTANTOS_PROFILE"] == "production"


# ------------------------------------------------------------------------------- env vars and pools
def env_refs(node) -> set[str]:
    """Names in {env: NAME} values anywhere in a parsed YAML document."""
    found: set[str] = set()
    if isinstance(node, dict):
        if set(node) == {"env"} and isinstance(node["env"], str):
            found.add(node["env"])
        for value in node.values():
            found |= env_refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= env_refs(value)
    return found


def referenced_env_vars() -> set[str]:
    names: set[str] = set()
    for path in (K8S_INSTANCE, DOCKER_INSTANCE):
        doc = load(path)
        names |= env_refs(doc)
        names |= set(doc["run_launcher"]["config"].get("env_vars") or [])
    names |= env_refs(load(VALUES))
    names |= set(load_all(K8S_CONFIGMAP)[0]["data"])
    job = load_all(POOL_JOB)[0]["spec"]["template"]["spec"]["containers"][0]
    names |= {e["name"] for e in job["env"]}
    for path in (COMPOSE, COMPOSE_EMULATOR):
        text = path.read_text()
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
        doc = load(path)
        for service in doc["services"].values():
            env = service.get("environment") or {}
            if service.get("image", "").startswith("${CONSULTANTOS_IMAGE"):
                names |= set(env)
    return {n for n in names if ENV_NAME.match(n)}


def test_every_environment_variable_is_documented_in_the_guide():
    guide = GUIDE.read_text(encoding="utf-8")
    names = referenced_env_vars()
    assert {"CONSULTANTOS_GCS_BUCKET", "DAGSTER_PG_PASSWORD", "EDGAR_IDENTITY", "DOCKER_GID"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in guide)
    assert not missing, f"docs/DEPLOY.md does not document {missing}"


def pool_comment_limits(path: Path) -> dict[str, int]:
    """Limits written in a file as '(search 2, trends 1, ...)'."""
    match = re.search(r"\(((?:[a-z]+ \d+, )+[a-z]+ \d+)", path.read_text())
    assert match, f"{path} does not list the pool limits"
    return {name: int(n) for name, n in (item.split() for item in match.group(1).split(", "))}


def test_pool_names_and_limits_match_the_code():
    assert set(POOLS.values()) <= set(POOL_LIMITS)
    for path in (K8S_INSTANCE, VALUES, DOCKER_INSTANCE):
        assert pool_comment_limits(path) == POOL_LIMITS, path
    guide = GUIDE.read_text(encoding="utf-8")
    table = dict(re.findall(r"^\s*\| `([a-z]+)` \| (\d+) \|", guide, re.M))
    assert {k: int(v) for k, v in table.items()} == POOL_LIMITS
    # one default for pools without their own limit, everywhere
    defaults = {validated_instance(p.parent)["concurrency"]["pools"]["default_limit"]
                for p in (K8S_INSTANCE, DOCKER_INSTANCE)}
    defaults.add(load(VALUES)["concurrency"]["pools"]["defaultLimit"])
    defaults.add(load(REPO / "dagster.yaml")["concurrency"]["pools"]["default_limit"])
    if ONE_MACHINE_INSTANCE.exists():
        defaults.add(load(ONE_MACHINE_INSTANCE)["concurrency"]["pools"]["default_limit"])
    assert len(defaults) == 1, defaults


def test_the_guide_is_linked_from_the_readme():
    assert "docs/DEPLOY.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_guide_quotes_the_benchmark_figures():
    """The sizing section's `make bench` figures are the ones in bench/results.json."""
    pipeline = json.loads((REPO / "bench" / "results.json").read_text())["pipeline"]
    guide = GUIDE.read_text(encoding="utf-8")
    expected = [f"{pipeline['peak_rss_mb'] / 1000:.2f} GB", f"{pipeline['cold_report_s']:.1f} s",
                f"{pipeline['rerun_report_s']:.1f} s", f"{pipeline['portfolio_serial_s']:.0f} s",
                f"{pipeline['portfolio_parallel2_s']:.0f} s", f"{pipeline['portfolio_speedup']:.2f}x"]
    assert [f for f in expected if f not in guide] == []
    assert "2 CPU cores" in guide
