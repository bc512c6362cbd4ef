FROM python:3.11-slim

WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BALLOT_HOST=0.0.0.0 \
    BALLOT_DATA_DIR=/app/data

COPY pyproject.toml README.md ./
COPY app ./app
COPY routing ./routing
COPY data ./data
RUN pip install --no-cache-dir -e . \
    && useradd --create-home --uid 10001 ballot \
    && mkdir -p /app/var \
    && chown ballot /app/var

USER 10001
EXPOSE 8000
CMD ["ballot-routing", "serve"]
