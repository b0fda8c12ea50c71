# Atelier API / worker image. Production needs DATABASE_URL (PostgreSQL with pgvector), REDIS_URL and
# ATELIER_SECRET_KEY (one key shared by every replica); the embedded servers are disabled here
# (ATELIER_REQUIRE_SERVICES=true: a missing setting is a clear start-up error). Thumbnails go to
# ATELIER_THUMBNAIL_DIR on a shared volume or to ATELIER_S3_BUCKET. The HEALTHCHECK below is the API's;
# run the worker (`worker` command) with `atelier worker --check` as its health check (compose does).
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
# The CPU build of torch comes from PyTorch's CPU wheel index; PyPI's Linux wheels pull CUDA.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/atelier
ENV PATH=/opt/atelier/bin:$PATH
WORKDIR /src
COPY constraints.txt ./
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0
COPY pyproject.toml README.md ./
COPY api ./api
COPY engine ./engine
COPY catalog ./catalog
COPY billing ./billing
COPY reflection ./reflection
COPY migrations ./migrations
RUN pip install -c constraints.txt .

FROM python:${PYTHON_VERSION}-slim AS runtime
RUN groupadd --system atelier && useradd --system --gid atelier --home-dir /data --create-home atelier
COPY --from=build /opt/atelier /opt/atelier
ENV PATH=/opt/atelier/bin:$PATH \
    ATELIER_HOME=/data \
    ATELIER_HOST=0.0.0.0 \
    ATELIER_PORT=8000 \
    ATELIER_REQUIRE_SERVICES=true \
    HF_HUB_OFFLINE=1 \
    PYTHONUNBUFFERED=1
USER atelier
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
ENTRYPOINT ["atelier"]
CMD ["serve"]
