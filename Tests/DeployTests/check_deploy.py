#!/usr/bin/env python3
"""Checks the deployment files in deploy/ against each other and against the server's config.

Run from anywhere: python3 Tests/DeployTests/check_deploy.py
Needs Python 3.11 and PyYAML; `systemd-analyze` (Debian package `systemd`) for the unit check.
When systemd-analyze is missing the unit check is skipped with a message, unless CI is set
(CI=true, as CI systems export), in which case it fails.
Prints one line per check and finally exactly `N passed, M failed`; exits 1 if any failed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

try:
    import yaml
except ImportError:  # reported as a failure of every YAML check, not a crash
    yaml = None

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
UNIT = DEPLOY / "systemd" / "ringmaster.service"
TEMPLATE = DEPLOY / "systemd" / "ringmaster@.service"
SWITCH = DEPLOY / "systemd" / "ringmaster-switch"
BUILD_INFO = ROOT / "Sources" / "Ringmaster" / "Metrics" / "BuildInfo.swift"
IO_URING_LABEL = "ringmaster.dev/io-uring"
SECCOMP = K8S / "seccomp" / "ringmaster.json"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
IMAGE_CONFIG = DEPLOY / "docker" / "ringmaster.json"
REFERENCE_CONFIG = ROOT / "config" / "ringmaster.json"

IO_URING = ("io_uring_setup", "io_uring_enter", "io_uring_register")
CONFIG_PATH = "/etc/ringmaster/ringmaster.json"
HEALTH_PATH, HEALTH_PORT = "/healthz", 8080

# Keys whose documented values may have another JSON type than the reference file's value.
ALTERNATIVE_TYPES = {"workers": {"auto"}}

CHECKS: list = []
SKIPPED: list[str] = []


class Skip(Exception):
    pass


def check(name):
    def register(function):
        CHECKS.append((name, function))
        return function
    return register


def ci_enabled() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# ---------------------------------------------------------------- loading


def load_manifests() -> list[tuple[Path, dict]]:
    if yaml is None:
        raise AssertionError("PyYAML is not installed (apt-get install python3-yaml, or pip install pyyaml)")
    docs = []
    files = sorted(p for p in K8S.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert files, f"no YAML files under {K8S}"
    for path in files:
        with path.open() as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((path, doc))
    return docs


def by_kind(kind: str) -> list[dict]:
    found = [doc for _, doc in load_manifests() if doc.get("kind") == kind]
    assert found, f"no {kind} in {K8S}"
    return found


def one(kind: str) -> dict:
    found = by_kind(kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def configmap_json() -> dict:
    cm = one("ConfigMap")
    text = (cm.get("data") or {}).get("ringmaster.json")
    assert text is not None, "ConfigMap has no data key ringmaster.json"
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise AssertionError(f"ConfigMap ringmaster.json is not valid JSON: {e}")


def reference_config() -> dict:
    return json.loads(REFERENCE_CONFIG.read_text())


def pod_spec() -> dict:
    return one("Deployment")["spec"]["template"]["spec"]


def containers(spec: dict) -> list[dict]:
    return list(spec.get("containers") or []) + list(spec.get("initContainers") or [])


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as {section: {key: [values in order]}}; comments and continuations handled."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    pending = ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path}: assignment outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not an assignment: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service_value(unit, key: str) -> str:
    values = unit.get("Service", {}).get(key)
    assert values, f"[Service] has no {key}="
    return values[-1]


def seconds(value: str) -> Fraction:
    """systemd time span ("15s", "15", "1min 30s", "1500ms") in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1, "ms": Fraction(1, 1000), "msec": Fraction(1, 1000),
             "min": 60, "m": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600}
    total = Fraction(0)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value.strip())
    assert parts and re.fullmatch(r"(\s*\d+(?:\.\d+)?\s*[a-z]*)+\s*", value), f"cannot parse time span {value!r}"
    for number, unit in parts:
        assert unit in units, f"unknown time unit {unit!r} in {value!r}"
        total += Fraction(number) * units[unit]
    return total


def rlimit(value: str) -> float:
    """systemd resource limit (soft[:hard]; "infinity"; K/M/G/T suffixes, base 1024) -> soft value."""
    soft = value.split(":")[0].strip()
    if soft == "infinity":
        return float("inf")
    m = re.fullmatch(r"(\d+)([KMGTPE]?)", soft)
    assert m, f"cannot parse limit {value!r}"
    return int(m.group(1)) * 1024 ** " KMGTPE".index(m.group(2) or " ")


def quantity(value) -> Fraction:
    """Kubernetes resource quantity ("4", 4, "500m", "1Gi", "1e3") as an exact number."""
    text = str(value).strip()
    m = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)(?:(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+))?", text)
    assert m, f"cannot parse quantity {value!r}"
    number = Fraction(m.group(1))
    suffix, exponent = m.group(2), m.group(3)
    if exponent:
        return number * Fraction(10) ** int(exponent)
    factors = {None: 1, "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
               "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
    return number * factors[suffix]


def prestop_sleep_seconds(container: dict) -> int:
    """Seconds a preStop hook sleeps (exec sleep N or the sleep action), 0 when none."""
    pre = ((container.get("lifecycle") or {}).get("preStop")) or {}
    if "sleep" in pre:
        return int(pre["sleep"]["seconds"])
    command = (pre.get("exec") or {}).get("command") or []
    if command and os.path.basename(command[0]) == "sleep" and len(command) == 2:
        return int(command[1])
    return 0


def compare_schema(value, reference, path: str, problems: list[str]):
    if isinstance(reference, dict):
        if not isinstance(value, dict):
            problems.append(f"{path}: must be an object like in config/ringmaster.json")
            return
        for key, sub in value.items():
            name = f"{path}.{key}" if path else key
            if key not in reference:
                problems.append(f"{name}: not a key of config/ringmaster.json (the loader rejects unknown keys)")
            else:
                compare_schema(sub, reference[key], name, problems)
        return
    if isinstance(value, str) and value in ALTERNATIVE_TYPES.get(path, ()):
        return
    kinds = (bool,) if isinstance(reference, bool) else (int, float) if isinstance(reference, (int, float)) else (type(reference),)
    if isinstance(value, bool) != isinstance(reference, bool) or not isinstance(value, kinds):
        problems.append(f"{path}: {value!r} has another type than the reference value {reference!r}")


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text()
    text = re.sub(r"\\\n", " ", text)  # line continuations
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


# ---------------------------------------------------------------- Kubernetes


@check("kubernetes: every YAML document parses and names apiVersion, kind, metadata.name")
def _():
    docs = load_manifests()
    for path, doc in docs:
        assert isinstance(doc, dict), f"{path.name}: a document is not a mapping"
        for key in ("apiVersion", "kind"):
            assert doc.get(key), f"{path.name}: a document has no {key}"
        assert (doc.get("metadata") or {}).get("name"), f"{path.name}: {doc['kind']} has no metadata.name"


@check("kubernetes: kinds are ConfigMap, Deployment, Service, HPA, PodDisruptionBudget, ServiceMonitor")
def _():
    kinds = sorted(doc["kind"] for _, doc in load_manifests())
    expected = ["ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor"]
    assert kinds == sorted(expected), f"kinds: {kinds}"


@check("configmap: ringmaster.json listens on 0.0.0.0:8080 with workers auto and a drain timeout")
def _():
    config = configmap_json()
    listen = config.get("listen") or {}
    assert listen.get("host") == "0.0.0.0", f"listen.host is {listen.get('host')!r}"
    assert listen.get("port") == HEALTH_PORT, f"listen.port is {listen.get('port')!r}"
    assert config.get("workers") == "auto", f"workers is {config.get('workers')!r}"
    timeout = config.get("shutdown_timeout_ms")
    assert isinstance(timeout, int) and not isinstance(timeout, bool), "shutdown_timeout_ms must be an integer"


@check("configmap: ringmaster.json keys and types are those of config/ringmaster.json")
def _():
    problems: list[str] = []
    compare_schema(configmap_json(), reference_config(), "", problems)
    assert not problems, "; ".join(problems)


@check("docker: deploy/docker/ringmaster.json keys and types are those of config/ringmaster.json")
def _():
    problems: list[str] = []
    config = json.loads(IMAGE_CONFIG.read_text())
    compare_schema(config, reference_config(), "", problems)
    assert not problems, "; ".join(problems)
    assert (config.get("listen") or {}).get("host") == "0.0.0.0", "the image must listen on 0.0.0.0"


@check("deployment: Guaranteed QoS (integral CPU, requests == limits for CPU and memory)")
def _():
    spec = pod_spec()
    for c in containers(spec):
        resources = c.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        for name in ("cpu", "memory"):
            assert name in limits, f"container {c['name']}: no {name} limit"
            assert name in requests, f"container {c['name']}: no {name} request (set it equal to the limit)"
            assert quantity(requests[name]) == quantity(limits[name]), \
                f"container {c['name']}: {name} request {requests[name]} != limit {limits[name]}"
        cpu = quantity(limits["cpu"])
        assert cpu.denominator == 1 and cpu >= 1, \
            f"container {c['name']}: CPU {limits['cpu']} is not a whole number (no exclusive CPUs)"
        for name in set(requests) | set(limits):
            if name.startswith("hugepages-"):
                assert quantity(requests.get(name, -1)) == quantity(limits.get(name, -2)), \
                    f"container {c['name']}: {name} requests != limits"


@check("deployment: readiness and liveness probes GET /healthz on port 8080")
def _():
    spec = pod_spec()
    main = spec["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in main.get("ports") or []}
    assert HEALTH_PORT in ports.values(), f"container port {HEALTH_PORT} is not declared"
    for probe in ("readinessProbe", "livenessProbe"):
        get = (main.get(probe) or {}).get("httpGet")
        assert get, f"{probe} is not an httpGet probe"
        port = ports.get(get.get("port"), get.get("port"))
        assert get.get("path") == HEALTH_PATH and port == HEALTH_PORT, \
            f"{probe} is GET {get.get('path')} on port {get.get('port')}"


@check("deployment: terminationGracePeriodSeconds > preStop sleep + shutdown_timeout_ms")
def _():
    spec = pod_spec()
    grace = spec.get("terminationGracePeriodSeconds", 30)
    drain = Fraction(configmap_json().get("shutdown_timeout_ms", 10000), 1000)
    pre = max((prestop_sleep_seconds(c) for c in spec["containers"]), default=0)
    assert grace > pre + drain, f"terminationGracePeriodSeconds {grace} <= preStop {pre} s + drain {float(drain)} s"


@check("deployment: the ConfigMap is mounted so that the server reads /etc/ringmaster/ringmaster.json")
def _():
    spec = pod_spec()
    name = one("ConfigMap")["metadata"]["name"]
    volumes = [v["name"] for v in spec.get("volumes") or [] if (v.get("configMap") or {}).get("name") == name]
    assert volumes, f"no volume from ConfigMap {name}"
    mounts = [m for m in spec["containers"][0].get("volumeMounts") or [] if m["name"] in volumes]
    assert any(m["mountPath"] == os.path.dirname(CONFIG_PATH) and "subPath" not in m for m in mounts), \
        f"ConfigMap {name} is not mounted at {os.path.dirname(CONFIG_PATH)}"
    argv = (spec["containers"][0].get("command") or []) + (spec["containers"][0].get("args") or [])
    assert "--config" not in argv or CONFIG_PATH in argv, f"the container overrides --config: {argv}"


@check("deployment: Localhost seccomp profile, non-root, no privilege escalation, capabilities dropped")
def _():
    spec = pod_spec()
    pod_sc = spec.get("securityContext") or {}
    for c in spec["containers"]:
        sc = c.get("securityContext") or {}
        profile = sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}
        assert profile.get("type") == "Localhost", f"container {c['name']}: seccompProfile is {profile or 'unset'}"
        local = profile.get("localhostProfile", "")
        assert Path(local).name == SECCOMP.name and (K8S / "seccomp" / Path(local).name).is_file(), \
            f"localhostProfile {local!r} does not name {SECCOMP.relative_to(ROOT)}"
        assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, f"container {c['name']}: runAsNonRoot is not true"
        assert sc.get("allowPrivilegeEscalation") is False, f"container {c['name']}: allowPrivilegeEscalation is not false"
        caps = sc.get("capabilities") or {}
        assert "ALL" in (caps.get("drop") or []), f"container {c['name']}: capabilities.drop lacks ALL"
        assert set(caps.get("add") or []) <= {"NET_BIND_SERVICE"}, f"container {c['name']}: adds {caps.get('add')}"
        uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
        users = [rest for word, rest in dockerfile_instructions() if word == "USER"]
        if uid is not None and users:
            assert users[-1].split(":")[0] == str(uid), f"runAsUser {uid} != Dockerfile USER {users[-1]}"


@check("seccomp: profile denies by default and allows io_uring, NUMA and affinity calls")
def _():
    profile = json.loads(SECCOMP.read_text())
    assert profile.get("defaultAction") == "SCMP_ACT_ERRNO", f"defaultAction is {profile.get('defaultAction')}"
    arches = set(profile.get("architectures") or [])
    assert {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"} <= arches, f"architectures: {sorted(arches)}"
    allowed, conditional, denied = set(), set(), set()
    for rule in profile.get("syscalls") or []:
        names = set(rule.get("names") or [])
        if rule.get("action") == "SCMP_ACT_ALLOW":
            (conditional if rule.get("args") or rule.get("includes") or rule.get("excludes") else allowed).update(names)
        else:
            denied.update(names)
    needed = set(IO_URING) | {"mbind", "set_mempolicy", "get_mempolicy", "sched_setaffinity", "sched_getaffinity",
                              "socket", "bind", "listen", "setsockopt", "prlimit64", "rt_sigprocmask", "sendto",
                              "mmap", "munmap", "madvise", "futex", "exit_group"}
    missing = needed - allowed
    assert not missing, f"not allowed unconditionally: {sorted(missing)}"
    assert not (denied & needed), f"denied by a rule: {sorted(denied & needed)}"
    assert "clone" in allowed | conditional, "clone (thread creation) is not allowed"


@check("service: selects the Deployment's pods and targets container port 8080")
def _():
    svc, dep = one("Service"), one("Deployment")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    selector = svc["spec"]["selector"]
    assert selector and all(labels.get(k) == v for k, v in selector.items()), f"selector {selector} misses pod labels {labels}"
    assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items(), "Deployment selector does not match its pods"
    ports = {p.get("name"): p["containerPort"] for p in dep["spec"]["template"]["spec"]["containers"][0].get("ports") or []}
    targets = [ports.get(p.get("targetPort"), p.get("targetPort", p.get("port"))) for p in svc["spec"]["ports"]]
    assert HEALTH_PORT in targets, f"Service targets {targets}"


@check("hpa: autoscaling/v2 on CPU utilisation of the Deployment")
def _():
    hpa, dep = one("HorizontalPodAutoscaler"), one("Deployment")
    assert hpa["apiVersion"] == "autoscaling/v2", hpa["apiVersion"]
    ref = hpa["spec"]["scaleTargetRef"]
    assert ref["kind"] == "Deployment" and ref["name"] == dep["metadata"]["name"], f"scaleTargetRef {ref}"
    assert 1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"], "minReplicas > maxReplicas"
    cpu = [m for m in hpa["spec"].get("metrics") or []
           if m.get("type") == "Resource" and m["resource"]["name"] == "cpu" and m["resource"]["target"]["type"] == "Utilization"]
    assert cpu, "no Resource cpu Utilization metric"
    assert 0 < cpu[0]["resource"]["target"]["averageUtilization"] <= 100


# ---------------------------------------------------------------- systemd


@check("systemd: systemd-analyze verify accepts the unit (ExecStart binary replaced by a stub)")
def _():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if ci_enabled():
            raise AssertionError("systemd-analyze not found and CI is set: apt-get install systemd")
        raise Skip("systemd-analyze not found (apt-get install systemd); CI is not set, so skipping")
    with tempfile.TemporaryDirectory() as tmp:
        # The unit is copied verbatim except for the program path in ExecStart=: verify checks
        # that the program exists and is executable, and the server is not installed here.
        # A stub script at a temporary path stands in for /usr/local/bin/ringmaster; every
        # other line (options, limits, sandboxing, syscall filter) is checked as written.
        stub = Path(tmp) / "ringmaster"
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
        for source, name in ((UNIT, UNIT.name), (TEMPLATE, "ringmaster@blue.service")):
            text = source.read_text()
            rewritten, count = re.subn(r"(?m)^(ExecStart|ExecStartPre|ExecReload)=(\S*/)?ringmaster(?=\s|$)", rf"\1={stub}", text)
            assert len(re.findall(r"(?m)^ExecStart=", rewritten)) == 1 and count >= 1, \
                f"{source.name}: expected exactly one ExecStart= line running ringmaster"
            unit = Path(tmp) / name
            unit.write_text(rewritten)
            result = subprocess.run([analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=120)
            output = (result.stdout + result.stderr).strip()
            # verify exits 0 on some problems (unknown keys, bad values: "..., ignoring"), so any
            # line that names this unit counts as a failure too.
            ours = [line for line in output.splitlines() if name in line or str(unit) in line]
            assert result.returncode == 0 and not ours, f"systemd-analyze verify {name} (rc {result.returncode}): {output}"


@check("systemd: Type=notify, ExecStartPre and ExecReload validate with check-config, then SIGHUP, KillSignal=SIGTERM")
def _():
    unit = parse_unit(UNIT)
    assert service_value(unit, "Type") == "notify"
    assert service_value(unit, "NotifyAccess") == "main"
    check_config = ["check-config", "--config", CONFIG_PATH]
    pre = [shlex.split(v) for v in unit["Service"].get("ExecStartPre", [])]
    assert any(p[0].endswith("/ringmaster") and p[1:] == check_config for p in pre), f"no ExecStartPre=ringmaster check-config: {pre}"
    reloads = unit["Service"].get("ExecReload", [])
    assert len(reloads) == 2, f"ExecReload= should validate, then signal: {reloads}"
    first = shlex.split(reloads[0])
    assert first[0].endswith("/ringmaster") and first[1:] == check_config, f"first ExecReload={reloads[0]}"
    assert re.fullmatch(r"\S*kill -(HUP|SIGHUP|s HUP|s SIGHUP) \$MAINPID", reloads[1]), f"second ExecReload={reloads[1]}"
    assert service_value(unit, "KillSignal") in ("SIGTERM", "TERM", "15")
    start = shlex.split(service_value(unit, "ExecStart"))
    assert start[0].endswith("/ringmaster") and start[1:3] == ["--config", CONFIG_PATH], f"ExecStart={start}"


@check("systemd: TimeoutStopSec > shutdown_timeout_ms")
def _():
    unit = parse_unit(UNIT)
    stop = seconds(service_value(unit, "TimeoutStopSec"))
    drain = Fraction(max(reference_config().get("shutdown_timeout_ms", 10000),
                         configmap_json().get("shutdown_timeout_ms", 10000)), 1000)
    assert stop > drain, f"TimeoutStopSec {float(stop)} s <= drain timeout {float(drain)} s"


@check("systemd: LimitNOFILE covers max_connections and LimitMEMLOCK is raised")
def _():
    unit = parse_unit(UNIT)
    nofile = rlimit(service_value(unit, "LimitNOFILE"))
    wanted = reference_config().get("max_connections", 16384)
    assert nofile >= wanted + 64, f"LimitNOFILE {nofile} < max_connections {wanted} + margin"
    memlock = rlimit(service_value(unit, "LimitMEMLOCK"))
    assert memlock >= 64 * 1024**2, f"LimitMEMLOCK {memlock} < 64M"


@check("systemd: syscall filter names io_uring; sandbox keeps AF_UNIX for sd_notify")
def _():
    unit = parse_unit(UNIT)
    filters = " ".join(unit["Service"].get("SystemCallFilter", [])).split()
    assert "@system-service" in filters, f"SystemCallFilter: {filters}"
    assert all(name in filters for name in IO_URING), f"SystemCallFilter lacks {[n for n in IO_URING if n not in filters]}"
    assert not any(f.startswith("~") for f in filters), "a deny-list SystemCallFilter= would be merged oddly"
    families = service_value(unit, "RestrictAddressFamilies").split()
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} <= set(families), f"RestrictAddressFamilies={families}"
    assert service_value(unit, "AmbientCapabilities") == "CAP_NET_BIND_SERVICE"
    assert service_value(unit, "CapabilityBoundingSet") == "CAP_NET_BIND_SERVICE"


@check("systemd: ringmaster@.service is ringmaster.service plus --takeover and one shared User=")
def _():
    unit, template = parse_unit(UNIT), parse_unit(TEMPLATE)
    start = shlex.split(service_value(template, "ExecStart"))
    assert start == shlex.split(service_value(unit, "ExecStart")) + ["--takeover"], f"template ExecStart={start}"
    assert service_value(template, "User") == "ringmaster", "both instances need one UID for SO_REUSEPORT"
    for section in set(unit) | set(template):
        a, b = dict(unit.get(section, {})), dict(template.get(section, {}))
        for key in ("Description", "ExecStart", "User"):
            a.pop(key, None)
            b.pop(key, None)
        assert a == b, f"[{section}] differs: {sorted(set(a.items()) ^ set(b.items()), key=str)[:4]}"


@check("systemd: ringmaster-switch is valid sh, checks the config, starts the other instance before stopping")
def _():
    text = SWITCH.read_text()
    assert os.access(SWITCH, os.X_OK), f"{SWITCH.name} is not executable"
    result = subprocess.run(["sh", "-n", str(SWITCH)], capture_output=True, text=True)
    assert result.returncode == 0, f"sh -n: {result.stderr}"
    assert "RINGMASTER_" not in text, "the script must not set RINGMASTER_* variables (the server rejects unknown ones)"
    steps = [text.index(s) for s in ("check-config", 'systemctl start "ringmaster@$new.service"', 'systemctl stop "ringmaster@$old.service"')]
    assert steps == sorted(steps), "ringmaster-switch must validate, start the new instance, then stop the old one"


# ---------------------------------------------------------------- observability, disruption, nodes


def version() -> str:
    found = re.search(r'static let version: StaticString = "([^"]+)"', BUILD_INFO.read_text())
    assert found, f"no version in {BUILD_INFO.relative_to(ROOT)}"
    return found.group(1)


@check("deployment: the image tag is the version (BuildInfo.version), not :latest; Dockerfile labels it")
def _():
    images = [c["image"] for c in containers(pod_spec())]
    assert images and all(i.rsplit(":", 1)[-1] == version() for i in images if "@" not in i), f"images {images} != version {version()}"
    labels = " ".join(rest for word, rest in dockerfile_instructions() if word == "LABEL")
    assert f'org.opencontainers.image.version="{version()}"' in labels, f"Dockerfile LABEL: {labels}"
    readme = (DEPLOY / "README.md").read_text()
    assert ":latest" not in readme and f"ringmaster:{version()}" in readme, "deploy/README.md must build and run the versioned tag"


@check("deployment: startupProbe GET /healthz before the readiness and liveness probes count")
def _():
    main = pod_spec()["containers"][0]
    probe = main.get("startupProbe") or {}
    get = probe.get("httpGet") or {}
    assert get.get("path") == HEALTH_PATH and get.get("port") == HEALTH_PORT, f"startupProbe {probe}"
    budget = probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
    assert budget >= 10, f"startupProbe allows only {budget} s"


@check("deployment: Prometheus scrape annotations name port 8080 and /metrics")
def _():
    annotations = one("Deployment")["spec"]["template"]["metadata"].get("annotations") or {}
    assert annotations.get("prometheus.io/scrape") == "true", f"annotations {annotations}"
    assert annotations.get("prometheus.io/port") == str(HEALTH_PORT) and annotations.get("prometheus.io/path") == "/metrics"


@check("servicemonitor: scrapes /metrics on a named port of the Service it selects")
def _():
    monitor, svc = one("ServiceMonitor"), one("Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1", monitor["apiVersion"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    labels = svc["metadata"].get("labels") or {}
    assert selector.items() <= labels.items(), f"selector {selector} does not select the Service (labels {labels})"
    names = {p.get("name") for p in svc["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint.get("port") in names, f"endpoint port {endpoint.get('port')} is not a Service port name {names}"
        assert endpoint.get("path") == "/metrics", f"endpoint path {endpoint.get('path')}"


@check("pdb: policy/v1 PodDisruptionBudget keeps a pod of the Deployment up")
def _():
    pdb, dep, hpa = one("PodDisruptionBudget"), one("Deployment"), one("HorizontalPodAutoscaler")
    assert pdb["apiVersion"] == "policy/v1", pdb["apiVersion"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), "the PDB does not select the pods"
    replicas = min(dep["spec"].get("replicas", 1), hpa["spec"].get("minReplicas", 1))
    if "maxUnavailable" in pdb["spec"]:
        assert pdb["spec"]["maxUnavailable"] in (1, "1"), f"maxUnavailable {pdb['spec']['maxUnavailable']}"
        assert replicas >= 2, f"maxUnavailable 1 with {replicas} replica(s) allows no pod at all"
    else:
        assert 1 <= int(pdb["spec"]["minAvailable"]) < replicas, "minAvailable must leave room to evict one pod"


@check("deployment: required node affinity on the io_uring node label, documented in deploy/README.md")
def _():
    affinity = ((pod_spec().get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = affinity.get("nodeSelectorTerms") or []
    assert terms and all(any(e.get("key") == IO_URING_LABEL for e in t.get("matchExpressions") or []) for t in terms), \
        f"every nodeSelectorTerm must require {IO_URING_LABEL}: {terms}"
    readme = (DEPLOY / "README.md").read_text()
    assert f"kubectl label node" in readme and IO_URING_LABEL in readme, f"deploy/README.md does not say how to set {IO_URING_LABEL}"


@check("configmap: JSON logs (logging.format json)")
def _():
    assert (configmap_json().get("logging") or {}).get("format") == "json", "the ConfigMap should log JSON for collectors"


@check("configmap and image: ringmaster check-config accepts them (strict reader), when a build is at hand")
def _():
    binary = next((p for p in (ROOT / ".build" / "release" / "ringmaster", ROOT / ".build" / "debug" / "ringmaster") if p.exists()), None)
    if binary is None:
        raise Skip("no built ringmaster under .build (swift build first)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in (("configmap", one("ConfigMap")["data"]["ringmaster.json"]), ("image", IMAGE_CONFIG.read_text())):
            path = Path(tmp) / f"{name}.json"
            path.write_text(text)
            env = {k: v for k, v in os.environ.items() if not k.startswith("RINGMASTER_")}
            result = subprocess.run([str(binary), "check-config", "--config", str(path)], capture_output=True, text=True, env=env, timeout=60)
            assert result.returncode == 0, f"{name}: {result.stderr.strip()}"


@check("release binary: relative relocations packed (DT_RELR) and few dynamic symbols, for idle memory, when a build is at hand")
def _():
    binary = ROOT / ".build" / "release" / "ringmaster"
    if not binary.exists():
        raise Skip("no release build under .build (make release first)")
    dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, timeout=60).stdout
    assert "(RELR)" in dynamic, "no DT_RELR: Package.swift's release link flags for ringmaster are gone (docs/benchmarks.md, idle memory)"
    symbols = subprocess.run(["readelf", "--dyn-syms", "-W", str(binary)], capture_output=True, text=True, timeout=60).stdout
    count = sum(1 for line in symbols.splitlines() if re.match(r"\s*\d+:", line))
    assert count < 2000, f"{count} dynamic symbols: the executable exports its own again (--no-export-dynamic)"


@check("docs: nothing still says SIGHUP is ignored or reload is not implemented; check-config lists /metrics")
def _():
    stale = re.compile(r"SIGHUP is (logged and )?ignored|reload is not implemented|SIGHUP reload is not implemented|reload is a later issue", re.I)
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), DEPLOY / "README.md", UNIT, TEMPLATE, *K8S.glob("*.yaml")]
    found = [f"{f.relative_to(ROOT)}: {m.group(0)}" for f in files for m in [stale.search(f.read_text())] if m]
    assert not found, f"stale: {found}"
    table = (ROOT / "Sources" / "Ringmaster" / "Config" / "ConfigurationKey+Table.swift").read_text()
    assert "GET,HEAD /metrics]" in table, "check-config's built-in routes line does not list /metrics"


# ---------------------------------------------------------------- Docker


@check("docker: Dockerfile stages, ENTRYPOINT, port, stop signal, numeric user, copied files exist")
def _():
    instructions = dockerfile_instructions()
    froms = [rest for word, rest in instructions if word == "FROM"]
    assert len(froms) >= 2, f"expected a multi-stage build, FROM lines: {froms}"
    entry = [rest for word, rest in instructions if word == "ENTRYPOINT"]
    assert entry and json.loads(entry[-1]) == ["/usr/local/bin/ringmaster", "--config", CONFIG_PATH], f"ENTRYPOINT {entry}"
    assert ("EXPOSE", str(HEALTH_PORT)) in instructions, "EXPOSE 8080 missing"
    assert ("STOPSIGNAL", "SIGTERM") in instructions, "STOPSIGNAL SIGTERM missing"
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1]), f"USER must be numeric and not 0: {users}"
    build = " ".join(rest for word, rest in instructions if word == "RUN")
    assert "--static-swift-stdlib" in build and "-c release" in build, "no release build with --static-swift-stdlib"
    # The build stage needs every library `make deps` installs (libssl-dev was missing once
    # TLS came), the runtime stage their shared libraries.
    deps = re.search(r"for p in ([^;]+); do dpkg -s", (ROOT / "Makefile").read_text())
    assert deps, "Makefile: the deps target's package list was not found"
    runtime = {"liburing-dev": "liburing2", "libnuma-dev": "libnuma1", "libssl-dev": "libssl3"}
    for package in deps.group(1).split():
        assert package in runtime, f"make deps installs {package}: name its runtime package in this check"
        for needed in (package, runtime[package]):
            assert re.search(rf"\b{re.escape(needed)}\b", build), f"{needed} is not installed in {DOCKERFILE.name}"
    for word, rest in instructions:
        if word == "COPY" and "--from" not in rest:
            sources = rest.split()[:-1]
            for source in sources:
                if source != ".":
                    assert (ROOT / source).exists(), f"COPY source {source} does not exist"
    ignored = [l.strip() for l in DOCKERIGNORE.read_text().splitlines() if l.strip() and not l.startswith("#")]
    for needed in ("Package.swift", "Sources", "Tests", "config"):
        assert needed not in ignored, f"{DOCKERIGNORE.name} excludes {needed}, which the build needs"
    if "deploy" in ignored:
        assert "!deploy/docker/ringmaster.json" in ignored, "deploy/docker/ringmaster.json is excluded from the context"


# ---------------------------------------------------------------- runner


def main() -> int:
    passed = failed = 0
    for name, function in CHECKS:
        try:
            function()
        except Skip as why:
            SKIPPED.append(name)
            print(f"SKIP  {name}: {why}")
            continue
        except AssertionError as e:
            failed += 1
            print(f"FAIL  {name}: {e or 'assertion failed'}")
            continue
        except Exception as e:  # a crash in a check is a failure of that check, not of the run
            failed += 1
            print(f"FAIL  {name}: {type(e).__name__}: {e}")
            continue
        passed += 1
        print(f"ok    {name}")
    if SKIPPED:
        print(f"({len(SKIPPED)} skipped)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
