#!/usr/bin/env python3
"""Checks the docker/ files without a Docker engine (none runs on the development machines).

    python3 docker/check.py [--binary PATH] [--schema compose-spec.json]

- compose.yml and worker-remote.yml parse as YAML (anchors and merge keys resolved), with
  ${VAR}, ${VAR:-default} and ${VAR:?message} filled in from example.env as compose would;
- with --schema (the Compose Specification's JSON schema, schema/compose-spec.json of
  github.com/compose-spec/compose-spec) both files validate against it;
- every orchestrator service's command is a real subcommand, and every ORCH_* variable it
  sets is one that `orchestrator <role> --help` names (so the binary really reads it);
- every orchestrator service has `init: true` (an init as PID 1 reaps the zombies that
  grandchildren of killed handlers leave behind);
- every ORCH_* in example.env is read by some role;
- the Dockerfile builds the product `make build` builds (swift build -c release), runs as a
  non-root user, installs tini and has ENTRYPOINT ["tini", "--", "orchestrator"] (the same reaping
  under a plain `docker run`), and a HEALTHCHECK whose script exists.
Needs PyYAML (and jsonschema for --schema). Exit 1 with the reasons on any problem.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ROLES = {"api", "worker", "notifier", "dev", "example-handler"}


def read_env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key] = value
    return values


def interpolate(value, env, problems, where):
    def substitute(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if op == ":-":
            return env.get(name) or arg
        if op == ":?":
            if not env.get(name):
                problems.append(f"{where}: ${{{name}}} is required ({arg})")
            return env.get(name, "")
        return env.get(name, "")
    if isinstance(value, str):
        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}", substitute, value)
    if isinstance(value, list):
        return [interpolate(v, env, problems, where) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env, problems, where) for k, v in value.items()}
    return value


def help_variables(binary, role):
    out = subprocess.run([binary, role, "--help"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise SystemExit(f"`{binary} {role} --help` failed: {out.stderr}")
    return set(re.findall(r"ORCH_[A-Z_]+", out.stdout))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.environ.get("ORCHESTRATOR_BINARY",
                                                           os.path.join(ROOT, ".build", "release", "orchestrator")))
    parser.add_argument("--schema", help="the Compose Specification JSON schema (compose-spec.json)")
    args = parser.parse_args()
    problems, checked = [], []
    env = read_env_file(os.path.join(HERE, "example.env"))
    env.setdefault("REDIS_HOST", "10.0.0.5")  # worker-remote.yml: set on the worker machine
    helps = {role: help_variables(args.binary, role) for role in ("api", "worker", "notifier")}
    read_by_some_role = set().union(*helps.values())

    schema = None
    if args.schema:
        import jsonschema
        with open(args.schema) as f:
            schema = json.load(f)

    for name in ("compose.yml", "worker-remote.yml"):
        with open(os.path.join(HERE, name)) as f:
            raw = yaml.safe_load(f)
        document = interpolate(raw, env, problems, name)
        if schema is not None:
            validator = jsonschema.Draft7Validator(schema)
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
            for error in errors:
                problems.append(f"{name}: schema: {'/'.join(map(str, error.path))}: {error.message}")
            checked.append(f"{name}: valid against the Compose Specification schema" if not errors else "")
        for service, spec in document.get("services", {}).items():
            command = spec.get("command")
            environment = spec.get("environment") or {}
            if isinstance(environment, list):
                environment = dict(item.split("=", 1) for item in environment)
            orch = sorted(k for k in environment if k.startswith("ORCH_"))
            if not command or not isinstance(command, list) or command[0] not in ROLES:
                if orch:
                    problems.append(f"{name}: {service} sets ORCH_* but runs no orchestrator role")
                continue
            role = command[0]
            if spec.get("init") is not True:
                problems.append(f"{name}: service {service} ({role}) lacks `init: true`: zombies of killed handlers' children would pile up")
            else:
                checked.append(f"{name}: {service} runs under an init (init: true)")
            known = helps.get(role, read_by_some_role)
            unknown = [k for k in orch if k not in known]
            if unknown:
                problems.append(f"{name}: service {service} ({role}) sets {unknown}, which `orchestrator {role} --help` does not name")
            else:
                checked.append(f"{name}: {service} runs `orchestrator {role}` with {len(orch)} ORCH_* variables, all named by its --help")
            handler = environment.get("ORCH_HANDLER", "")
            if handler.startswith("orchestrator "):
                sub = handler.split()[1]
                if sub not in ROLES:
                    problems.append(f"{name}: {service}: handler subcommand {sub} does not exist")
    for key in read_env_file(os.path.join(HERE, "example.env")):
        if key.startswith("ORCH_") and key not in read_by_some_role and key != "ORCH_IMAGE_TAG":
            problems.append(f"example.env: {key} is read by no role")

    with open(os.path.join(HERE, "Dockerfile")) as f:
        dockerfile = f.read()
    with open(os.path.join(ROOT, "Makefile")) as f:
        makefile = f.read()
    musts = [
        (r'^ENTRYPOINT \["tini", "--", "orchestrator"\]', 'ENTRYPOINT ["tini", "--", "orchestrator"]'),
        (r"apt-get install [^\n]*\btini\b", "tini installed in the runtime stage"),
        (r"^USER (?!root)\S+", "a non-root USER"),
        (r"^HEALTHCHECK .*orchestrator-healthcheck", "a HEALTHCHECK"),
        (r"swift build -c release --product orchestrator", "the release build of the orchestrator product"),
        (r"libhiredis0\.14", "libhiredis in the runtime stage"),
        (r"ca-certificates", "CA certificates in the runtime stage"),
        (r"^FROM \$\{SWIFT_IMAGE\} AS build", "a builder stage"),
    ]
    for pattern, what in musts:
        if re.search(pattern, dockerfile, re.M):
            checked.append(f"Dockerfile: {what}")
        else:
            problems.append(f"Dockerfile: missing {what}")
    if "build -c release" not in makefile:
        problems.append("Makefile: `make build` no longer runs `swift build -c release`; keep the Dockerfile in step")
    if not os.access(os.path.join(HERE, "healthcheck.sh"), os.X_OK):
        problems.append("docker/healthcheck.sh missing or not executable")

    for line in filter(None, checked):
        print("ok  " + line)
    for line in problems:
        print("BAD " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
