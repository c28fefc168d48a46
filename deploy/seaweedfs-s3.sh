#!/bin/sh
# Entrypoint of the `object-store` service (SeaweedFS): write the S3 identities from .env,
# then start the image's own entrypoint (`weed server` with the S3 gateway on 8333).
#
# Two identities, least privilege (SeaweedFS checks "Action:bucket/key" patterns):
# - pipeline: read, write, list and administer the sentra bucket only (landing/, staging/,
#   warehouse/); these are the keys in SENTRA_S3_* of the Airflow containers;
# - analyst: read and list warehouse/ only (the published Iceberg tables), for DuckDB,
#   Trino or Spark; landing/ (the offices' files) and staging/ stay out of reach.
# No anonymous identity: with identities configured, unsigned requests are refused.
set -eu

: "${S3_PIPELINE_ACCESS_KEY:?}" "${S3_PIPELINE_SECRET_KEY:?}"
: "${S3_ANALYST_ACCESS_KEY:?}" "${S3_ANALYST_SECRET_KEY:?}" "${SENTRA_BUCKET:?}"
for value in "$S3_PIPELINE_ACCESS_KEY" "$S3_PIPELINE_SECRET_KEY" \
  "$S3_ANALYST_ACCESS_KEY" "$S3_ANALYST_SECRET_KEY" "$SENTRA_BUCKET"; do
  case "$value" in
    *'"'* | *'\'* | *' '*)
      echo "object-store: keys and bucket may not contain quotes, backslashes or blanks" >&2
      exit 1
      ;;
  esac
done

config=/run/sentra-s3.json
umask 077
cat > "$config" <<JSON
{
  "identities": [
    {
      "name": "sentra-pipeline",
      "credentials": [{"accessKey": "$S3_PIPELINE_ACCESS_KEY", "secretKey": "$S3_PIPELINE_SECRET_KEY"}],
      "actions": ["Admin:$SENTRA_BUCKET", "Read:$SENTRA_BUCKET", "Write:$SENTRA_BUCKET",
                  "List:$SENTRA_BUCKET", "Tagging:$SENTRA_BUCKET"]
    },
    {
      "name": "sentra-analyst",
      "credentials": [{"accessKey": "$S3_ANALYST_ACCESS_KEY", "secretKey": "$S3_ANALYST_SECRET_KEY"}],
      "actions": ["Read:$SENTRA_BUCKET/warehouse/*", "List:$SENTRA_BUCKET/warehouse/*"]
    }
  ]
}
JSON
# The image's entrypoint drops to the `seaweed` user; it must still read the file.
if [ "$(id -u)" = "0" ]; then chown seaweed "$config"; fi
exec /entrypoint.sh server -s3 -s3.port=8333 -s3.config="$config"
