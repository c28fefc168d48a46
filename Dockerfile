# The sentra image: the official Airflow 3 image plus this project, installed from the lock.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

# The lock pins the same apache-airflow as the base image and was resolved together with
# it, so installing it changes nothing Airflow depends on in an incompatible way; hashes
# make the build reproducible.
COPY --chown=airflow:0 requirements.lock /opt/sentra/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /opt/sentra/requirements.lock

# The package, its SQL, suites and DAGs. Editable, so sentra finds sql/ and
# expectations/ next to include/ (the same layout as a checkout).
COPY --chown=airflow:0 pyproject.toml README.md /opt/sentra/
COPY --chown=airflow:0 include /opt/sentra/include
COPY --chown=airflow:0 sql /opt/sentra/sql
COPY --chown=airflow:0 expectations /opt/sentra/expectations
COPY --chown=airflow:0 deploy /opt/sentra/deploy
RUN pip install --no-cache-dir --no-deps -e /opt/sentra

COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins

ENV SENTRA_EXPECTATIONS_DIR=/opt/sentra/expectations
