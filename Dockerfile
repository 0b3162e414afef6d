FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY . .

# Editable install: static/, migrations/ and alembic.ini live beside the packages in /app.
RUN pip install -e . \
    && pybabel compile -d fair/locale -D messages \
    && useradd --system --uid 10001 --no-create-home --home-dir /app kakehashi \
    && mkdir -p /data/media /data/mail \
    && chown -R kakehashi:kakehashi /data

USER kakehashi

EXPOSE 8000

CMD ["sh", "-c", "fair migrate && fair serve --host 0.0.0.0 --port 8000"]
