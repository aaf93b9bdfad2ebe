"""Baseline views of the benchmark suite (issue 6), mounted at /bench/ only when
settings.BENCH_BASELINES is on (bench/urls.py). They answer the same requests as the real
API so that the runner can report each scenario as a ratio to them:

- `floor`: the framework's ceiling (a fixed JSON body, no database, no authentication);
- `bcrypt`: a bare password-hash check, the cost that dominates token login;
- `raw`: hand-written SQL + json.dumps twins, bodies equal to the real endpoints';
- `naive`: the endpoints as a typical DRF project writes them (ModelViewSet, nested
  ModelSerializers, no select_related/prefetch_related, no caching).
"""
