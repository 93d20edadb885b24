# ssi-sync: one image for the web server, the RQ workers, the scheduler and migrations (the
# command differs; see compose.yaml). The install is the Makefile's, without the test extras.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SSI_ENV=production \
    WEB_BIND=0.0.0.0:8000

RUN groupadd --system ssi \
    && useradd --system --gid ssi --home-dir /app --no-create-home --shell /usr/sbin/nologin ssi

WORKDIR /app
COPY pyproject.toml README.md app.py gunicorn.conf.py ./
COPY backend ./backend
COPY emulators ./emulators
COPY static ./static
COPY addin/manifest.xml ./addin/manifest.xml
COPY gmail_addon ./gmail_addon
RUN python -m pip install --quiet --upgrade pip setuptools \
    && python -m pip install --quiet -e . \
    && pybabel compile -d backend/translations

USER ssi
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]
