# syntax=docker/dockerfile:1
# One image for every AnSinh component; the command picks which one runs:
#   ansinh serve gateway | registry | payments | insurance | child_protection,   ansinh migrate
FROM python:3.11-slim

# PYTHONPATH=/app: the code runs from the copied tree, so common.migrations.ROOT is /app and finds
# alembic.ini, the migration scripts and seed/ there. The locked runtime set
# (requirements/runtime.txt, with hashes) provides the dependencies, `pip install --no-deps .` the `ansinh`
# console script.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 ansinh \
 && useradd --system --uid 10001 --gid ansinh --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin ansinh

WORKDIR /app

# README.md* : pyproject.toml names README.md; the glob keeps the build working while it is absent.
COPY pyproject.toml README.md* ./
COPY requirements/runtime.txt requirements/runtime.txt
COPY alembic.ini ./
COPY common/ common/
COPY gateway/ gateway/
COPY services/ services/
COPY ansinh/ ansinh/
COPY seed/ seed/

# Code stays root-owned and read-only for the app user; only var/ (local secrets fallback) is writable.
RUN pip install --require-hashes -r requirements/runtime.txt \
 && pip install --no-deps . \
 && rm -rf build ./*.egg-info \
 && mkdir -p var \
 && chown ansinh:ansinh var

USER 10001:10001

EXPOSE 8000 8101-8104

CMD ["ansinh", "serve", "gateway"]
