"""jidi benchmarks: `python -m bench` (or `make bench`) prints one JSON object per line.

Every line has `name`, `value` and `unit`; a comparison also has `baseline` and `ratio` (and says in
`ratio_is` what the ratio divides). Variants are measured side by side in one run: each round runs every
variant once, in alternating order, and the reported numbers are medians over the rounds, so a noisy,
shared machine skews both sides alike.

JIDI_BENCH_SMOKE=1 runs a few iterations of everything (tests/test_bench_smoke.py); JIDI_BENCH_ONLY=fields,http,
passwords picks benchmarks; JIDI_BENCH_PG_ADMIN_URL names the PostgreSQL server (a throwaway database is created
on it and dropped at the end).
"""
