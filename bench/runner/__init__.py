"""bench/run: the benchmark runner (see bench/README.md).

It serves the app as production does (granian WSGI, 2 workers, lms.settings.bench), drives
each scenario and its baselines with wrk in the same run, and writes the report.
"""
