# One image for every Django process (api, ws, worker, beat, migrate); compose.yaml picks the
# command. Deployment notes: docs/deploy.md.

# --- builder: the virtualenv, built from the pinned requirements only ----------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Requirements first, so a source change does not reinstall them. Every pinned package
# ships a manylinux wheel for x86_64 and aarch64: no compiler is needed.
COPY requirements/ /tmp/requirements/
RUN pip install -r /tmp/requirements/prod.txt

# --- runtime ---------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=lms.settings.prod

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The source stays owned by root: the app user can read it but not change it.
COPY . .

# prod settings refuse to load without these; the values below exist only for this one
# command (nothing connects to them) and are never stored in the image's environment.
# MEDIA_ROOT is the only place the app writes to (uploads when no Azure storage is set).
RUN SECRET_KEY=build-only-collectstatic-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/private \
    && chown app:app /app/media /app/private

USER app

# 8000: granian WSGI (HTTP). 8001: granian ASGI (WebSockets), same image, other command.
EXPOSE 8000 8001

# The slim image has no curl; Python's urllib raises (exit 1) on a refused connection or a
# non-2xx answer. compose.yaml overrides this for the processes that do not serve :8000.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]

CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "2", "--blocking-threads", "1", "lms.wsgi:application"]
