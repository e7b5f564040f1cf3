#!/usr/bin/env bash
# Run once by the official postgres image (/docker-entrypoint-initdb.d) when the data directory is empty.
#
# Creates what `bootstrap` in ansinh/database.py creates: the database `ansinh`; for each component a
# login role ansinh_<component> (password from ANSINH_<COMPONENT>_DB_PASSWORD) owning the schema
# <component>; no rights for PUBLIC. `ansinh migrate` runs bootstrap again (it is idempotent, and so is
# this script), so the two must agree: tests/contract/test_compose.py checks that they do.
#
# Values reach SQL only as psql variables (:'literal', :"identifier"), and passwords only through
# \getenv, so nothing is pasted into SQL text and no password appears in a process list.
set -Eeuo pipefail

database=ansinh
components=(registry payments insurance child_protection gateway)

missing=()
for component in "${components[@]}"; do
    var="ANSINH_${component^^}_DB_PASSWORD"
    [[ -n "${!var:-}" ]] || missing+=("$var")
done
if ((${#missing[@]})); then
    echo "01-roles.sh: required environment variable(s) not set: ${missing[*]}" >&2
    exit 1
fi

run_psql() {
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" "$@"
}

# CREATE DATABASE cannot run inside a transaction, so it gets its own session.
run_psql --dbname postgres -v database="$database" <<'SQL'
SELECT format('CREATE DATABASE %I ENCODING %L TEMPLATE template0', :'database', 'UTF8')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \gexec
SQL

run_psql --dbname "$database" --single-transaction -v database="$database" <<'SQL'
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE CREATE, TEMPORARY ON DATABASE :"database" FROM PUBLIC;
SQL

for component in "${components[@]}"; do
    run_psql --dbname "$database" --single-transaction \
        -v database="$database" \
        -v role="ansinh_${component}" \
        -v schema="$component" \
        -v password_var="ANSINH_${component^^}_DB_PASSWORD" <<'SQL'
\getenv password :password_var
SELECT format('%s ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD %L',
              CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') THEN 'ALTER' ELSE 'CREATE' END,
              :'role', :'password') \gexec
\unset password
GRANT CONNECT ON DATABASE :"database" TO :"role";
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"role";
ALTER SCHEMA :"schema" OWNER TO :"role";
REVOKE ALL ON SCHEMA :"schema" FROM PUBLIC;
ALTER ROLE :"role" IN DATABASE :"database" SET search_path = :"schema";
SQL
done

echo "01-roles.sh: database ${database}: roles and schemas for ${components[*]}"
