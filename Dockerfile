# The sentra image: the official Airflow 3 image plus this project's wheel, installed on
# the lock.
#
# Why installing the lock cannot break the image's Airflow: requirements.lock pins
# apache-airflow, apache-airflow-core and apache-airflow-task-sdk to exactly the version of
# the base image (3.3.2), so pip has no freedom to upgrade or downgrade Airflow (the failure
# mode the Airflow docs warn about when extending the image). The lock is the complete,
# hash-checked closure resolved together with that Airflow, so it is installed with
# --no-deps: pip adds or moves only the packages the lock names, never resolves anew. The
# project itself is a wheel (built in the first stage; sql/ and expectations/ inside it as
# package data), installed with --no-deps on top of the lock: its declared dependencies
# are what the lock already pins. The build then checks that Airflow is still the pinned
# version and that the pipeline imports from the installed wheel, and builds the place
# index (~/.cache/sentra, sentra.matching.places) so no task process has to.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

# --- stage 1: the wheel ---------------------------------------------------------------------
FROM ${AIRFLOW_IMAGE} AS wheel
WORKDIR /tmp/sentra-src
COPY --chown=airflow:0 pyproject.toml setup.py README.md ./
COPY --chown=airflow:0 include ./include
COPY --chown=airflow:0 sql ./sql
COPY --chown=airflow:0 expectations ./expectations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/dist .

# --- stage 2: the runtime image -------------------------------------------------------------
FROM ${AIRFLOW_IMAGE}

ARG AIRFLOW_VERSION=3.3.2

# /opt/sentra holds the lock and the deploy scripts; the data dir exists in the image so
# the named volume mounted on it starts owned by airflow (uid 50000 in the official
# image; numeric so the host can resolve it).
USER 0
RUN install -d -o 50000 -g 0 -m 0775 /opt/sentra /opt/airflow/sentra-data
USER 50000

COPY --chown=airflow:0 requirements.lock /opt/sentra/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /opt/sentra/requirements.lock

COPY --from=wheel --chown=airflow:0 /tmp/dist /opt/sentra/dist
WORKDIR /opt/airflow
RUN pip install --no-cache-dir --no-deps /opt/sentra/dist/sentra-*.whl \
    && python -c "import airflow, sys; v = airflow.__version__; sys.exit(None if v == '${AIRFLOW_VERSION}' else f'Airflow {v} != ${AIRFLOW_VERSION}: the lock and the base image disagree')" \
    && python -c "import sentra.cli, sentra.tasks.ingest, sentra.tasks.consolidate, sentra.warehouse.query as q, sentra.quality.suites as s; assert q.load_views() and s.expectations_dir()" \
    && sentra --help > /dev/null \
    && python -c "from sentra.matching.places import region_place_words as w; assert w('34.02')"

COPY --chown=airflow:0 deploy /opt/sentra/deploy
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
