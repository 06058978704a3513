# User-code image of the semaphore-dagster code location, for Dagster's official Helm chart
# (a "user deployment": it runs `dagster api grpc`, and the K8s run launcher starts each run in a pod
# from this same image). See deploy/README.md.
#
# NOT BUILT OR RUN in this project's CI (no container runtime on its machines). To build and try:
#   docker build -t semaphore-dagster:0.1.0 .
#   docker run --rm -p 3030:3030 -e SOURCES__SEMAPHORE__BASE_URL=https://<org>.semaphoreci.com \
#     -e SOURCES__SEMAPHORE__API_TOKEN=... semaphore-dagster:0.1.0
# The same server is tested without a container: semaphore_dagster_tests/defs/test_cluster.py.

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_PREFERENCE=only-system \
    RUNTIME__DLTHUB_TELEMETRY=false \
    DAGSTER_TELEMETRY_DISABLED=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    # dlt's working files (pending load packages) in a known place; mount a volume there to keep them
    # across pod restarts, or leave it: each run restores its state from the destination.
    DLT_DATA_DIR=/opt/dagster/dlt

RUN pip install --no-cache-dir uv

WORKDIR /opt/dagster/app

# Dependencies first (cached layer), from the lock, without the dev group (tests, browser driver).
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY semaphore_dagster ./semaphore_dagster
COPY dagster.yaml workspace.yaml ./
COPY .dlt/config.toml ./.dlt/config.toml
RUN uv sync --frozen --no-dev

ENV PATH="/opt/dagster/app/.venv/bin:${PATH}"

# The insights' dbt manifest, parsed once here (`dbt parse`: local, no network, no database) so that a code
# server or a run pod reads it instead of parsing at start; it is newer than every project file, so
# `ensure_manifest` (semaphore_dagster/defs/insights/project.py) keeps it.
RUN python -c "import semaphore_dagster.defs.insights.project as p; print(p.ensure_manifest(p.insights_project))"

# Non-root: PostgreSQL clients, dlt and Dagster need no privileges.
RUN useradd --uid 10001 --create-home dagster && mkdir -p /opt/dagster/dlt && chown -R dagster /opt/dagster
USER dagster

EXPOSE 3030
# The chart's user deployment overrides this with its own `dagsterApiGrpcArgs`; the default serves the code
# location the same way, on every interface of the pod.
CMD ["dagster", "api", "grpc", "-m", "semaphore_dagster.definitions", "-h", "0.0.0.0", "-p", "3030"]
