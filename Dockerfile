# The Wegwijs bot (Python 3.11). Rasa runs in its own container (see docker-compose.yml).
FROM python:3.11-slim AS bot
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEGWIJS_CONTENT_DIR=/app/content WEGWIJS_DATA_DIR=/data PTB_TIMEDELTA=true
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /data wegwijs \
    && mkdir -p /data && chown wegwijs /data
COPY content ./content
USER wegwijs
VOLUME ["/data"]
EXPOSE 8443
HEALTHCHECK CMD ["wegwijs", "content", "check"]
CMD ["wegwijs", "run"]
