#!/bin/sh
# The warehouse's own role and database, beside the Prefect server's: the PostgreSQL image
# runs this once, on the first start with an empty data volume (docker-compose.yml mounts
# this folder at /docker-entrypoint-initdb.d). The names and password come from .env
# (WAREHOUSE_DB_USER, WAREHOUSE_DB_PASSWORD, WAREHOUSE_DB_NAME); the Secret block the flow
# reads holds the URL made of them (WAREHOUSE_URL). To change them later, use psql.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v user="$WAREHOUSE_DB_USER" -v password="$WAREHOUSE_DB_PASSWORD" \
    -v database="$WAREHOUSE_DB_NAME" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"user";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
