"""The Celery app. Configuration lives in Django settings under the CELERY_ namespace."""

import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")


class LmsTask(Task):
    """Base for every task: transient failures retry with exponential backoff and jitter.

    Tasks take ids, reload, call one service and are safe to run twice, so retrying
    (and acks_late re-delivery) never doubles an effect.
    """

    autoretry_for = (ConnectionError, TimeoutError)
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


app = Celery("lms", task_cls=LmsTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
