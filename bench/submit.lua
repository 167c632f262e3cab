-- wrk script: POST /v2/<endpoint>/run with a 100-byte input over keep-alive connections.
-- The body is set by BENCH_BODY (bench.py passes it) so every tool submits the same job.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY")
