# The sentra image: the official Airflow 3 image plus this project, installed from the lock.
#
# Why installing the lock cannot break the image's Airflow: requirements.lock pins
# apache-airflow, apache-airflow-core and apache-airflow-task-sdk to exactly the version of
# the base image (3.3.2), so pip has no freedom to upgrade or downgrade Airflow (the failure
# mode the Airflow docs warn about when extending the image). The lock is the complete,
# hash-checked closure resolved together with that Airflow, so it is installed with
# --no-deps: pip adds or moves only the packages the lock names, never resolves anew. The
# build then checks that Airflow is still the pinned version and that the pipeline imports.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

ARG AIRFLOW_VERSION=3.3.2

# /opt/sentra holds the editable checkout (pip writes the egg-info there), and the data
# dir exists in the image so the named volume mounted on it starts owned by airflow
# (uid 50000 in the official image; numeric so the host can resolve it).
USER 0
RUN install -d -o 50000 -g 0 -m 0775 /opt/sentra /opt/airflow/sentra-data /opt/airflow/auth
USER 50000

COPY --chown=airflow:0 requirements.lock /opt/sentra/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /opt/sentra/requirements.lock

# The package, its SQL, suites and deploy scripts. Editable, so sentra finds sql/ and
# expectations/ next to include/ (the same layout as a checkout).
COPY --chown=airflow:0 pyproject.toml README.md /opt/sentra/
COPY --chown=airflow:0 include /opt/sentra/include
COPY --chown=airflow:0 sql /opt/sentra/sql
COPY --chown=airflow:0 expectations /opt/sentra/expectations
COPY --chown=airflow:0 deploy /opt/sentra/deploy
RUN pip install --no-cache-dir --no-deps -e /opt/sentra \
    && python -c "import airflow, sys; v = airflow.__version__; sys.exit(None if v == '${AIRFLOW_VERSION}' else f'Airflow {v} != ${AIRFLOW_VERSION}: the lock and the base image disagree')" \
    && python -c "import sentra.tasks.ingest, sentra.tasks.consolidate, sentra.cli" \
    && sentra --help > /dev/null

COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins

ENV SENTRA_EXPECTATIONS_DIR=/opt/sentra/expectations
