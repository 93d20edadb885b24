"""gunicorn's settings for ssi-sync: ``gunicorn -c gunicorn.conf.py 'app:app'``.

Workers, threads and the address come from the product's own settings (``WEB_WORKERS``,
``WEB_THREADS``, ``WEB_BIND``), so one environment configures every process. Threads serve
the pages while a request waits on C4C or a mail server (the Save dialog's calls); a worker
that stops answering for ``timeout`` seconds is replaced, and on a stop every worker finishes
its requests for up to ``graceful_timeout`` seconds. gunicorn's own log lines, the access log
included, go through the product's logging: redacted (an invitation link's secret, tokens) and
as JSON with ``LOG_FORMAT=json``.
"""

from backend.serving import ProductLogger
from backend.settings import load_settings

_settings = load_settings()

bind = _settings.web_bind
workers = _settings.web_workers
threads = _settings.web_threads
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
logger_class = ProductLogger
forwarded_allow_ips = ""
"""Forwarded headers are the app's to judge (``TRUSTED_PROXIES``), not gunicorn's."""
