# syntax=docker/dockerfile:1
# The serving image: `groundwork serve` with the online stores and the PostgreSQL
# catalog (extras redis, aws, azure, postgres; no Spark, no Feast). Every setting
# comes from GROUNDWORK_* environment variables.
#
#   docker build -t groundwork:0.1.0 .
#   docker run -p 8000:8000 -e GROUNDWORK_CATALOG_URL=... groundwork:0.1.0

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . .
RUN python -m pip wheel --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE} AS runtime
# The extras the serving process needs; tests/packaging installs the same ones.
ARG SERVING_EXTRAS=redis,aws,azure,postgres
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    GROUNDWORK_HOST=0.0.0.0 \
    GROUNDWORK_PORT=8000 \
    GROUNDWORK_STATE_DIR=/tmp/groundwork
COPY --from=build /dist/ /tmp/dist/
# The wheel of the build stage, with its extras; its dependencies keep the ranges
# pyproject.toml declares, so there is no version to pin here.
# hadolint ignore=DL3013
RUN set -- /tmp/dist/groundwork-*.whl \
    && python -m pip install "$1[${SERVING_EXTRAS}]" \
    && rm -rf /tmp/dist \
    && groupadd --system --gid 10001 groundwork \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin groundwork
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "groundwork.healthcheck"]
CMD ["groundwork", "serve"]
