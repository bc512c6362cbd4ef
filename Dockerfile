# The service in one container: SQLite in the volume at /app/var by default, or PostgreSQL and a
# Dask cluster by URL (compose.yaml). Build: docker build -t ballot-routing .
FROM python:3.11-slim

WORKDIR /app
# BALLOT_PUBLIC_URL: where phones reach the service (the field page's link in a key's QR code);
# set it to the address the crews' phones use (HTTPS for the field page to work offline). The
# default only suits a browser on the machine that runs the container (-p 8000:8000).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BALLOT_HOST=0.0.0.0 \
    BALLOT_PORT=8000 \
    BALLOT_DATA_DIR=/app/data \
    BALLOT_PUBLIC_URL=http://localhost:8000

COPY pyproject.toml README.md ./
COPY app ./app
COPY routing ./routing
COPY data ./data
# [cluster]: distributed, for API workers that send plans to a Dask scheduler (DASK_SCHEDULER)
# and for the same image run as `dask scheduler` and `dask worker` (compose.yaml).
RUN pip install --no-cache-dir -e ".[cluster]" \
    && useradd --create-home --uid 10001 ballot \
    && mkdir -p /app/var \
    && chown ballot /app/var

USER 10001
# What must outlive the container: the SQLite database (plans, API keys, field events) at
# /app/var/ballot-routing.db (the default beside BALLOT_DATA_DIR) and the sea-network cache.
# A named volume takes the folder's owner (uid 10001) from the image; a host folder needs it.
VOLUME ["/app/var"]
EXPOSE 8000
# Slim images have no curl: python's urllib asks /healthz, which answers once the dataset is
# loaded and the database migrated (a refusal or an error status fails the check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('BALLOT_PORT', '8000'), timeout=4)"]
CMD ["ballot-routing", "serve"]
