#!/usr/bin/env python3
"""Generates the Grafana dashboards in deploy/grafana/dashboards/ (the JSON files are committed).

    python3 deploy/grafana/generate_dashboards.py

Edit the panel tables below, not the JSON. Every expression may use only metrics exported by
src/obs/service_metrics.cc; tests/obs/check_deploy.sh verifies that.
"""
import json
import os

DS = {"type": "prometheus", "uid": "scriptgen-prometheus"}
RI = "$__rate_interval"


def panel(title, exprs, unit="short", kind="timeseries", desc="", w=12, h=8, stack=False):
    """exprs: list of (expr, legend)."""
    p = {
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": DS,
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": e, "legendFormat": l,
             "range": kind != "table", "instant": kind == "table"}
            for i, (e, l) in enumerate(exprs)
        ],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "_w": w,
        "_h": h,
    }
    if kind == "timeseries":
        p["fieldConfig"]["defaults"]["custom"] = {
            "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        }
        p["options"] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}}
    elif kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto"}
    return p


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "_w": 24, "_h": 1}


def dashboard(uid, title, description, items):
    panels, x, y, line_h = [], 0, 0, 0
    for i, p in enumerate(items, start=1):
        w, h = p.pop("_w"), p.pop("_h")
        if x + w > 24:
            x, y, line_h = 0, y + line_h, 0
        p["id"] = i
        p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        panels.append(p)
        x += w
        line_h = max(line_h, h)
        if w == 24:
            x, y, line_h = 0, y + h, 0
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["scriptgen"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 38,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "links": [{"title": "scriptgen dashboards", "type": "dashboards", "tags": ["scriptgen"],
                   "asDropdown": True}],
        "panels": panels,
    }


def q(x):
    return x.replace("RI", RI)


WORKER_HEALTH = dashboard(
    "scriptgen-worker-health", "scriptgen / Worker Health",
    "Are the workers alive and keeping up with the queue?",
    [
        panel("Queued jobs", [("sum(worker_queue_length{state=\"queued\"})", "queued")],
              kind="stat", w=6, h=4),
        panel("Running jobs", [("sum(worker_queue_length{state=\"running\"})", "running")],
              kind="stat", w=6, h=4),
        panel("Oldest queued job", [("max(worker_queue_oldest_age_seconds)", "age")], unit="s",
              kind="stat", w=6, h=4),
        panel("Worker utilisation",
              [("sum(worker_threads_busy) / clamp_min(sum(worker_threads), 1)", "busy")],
              unit="percentunit", kind="stat", w=6, h=4),
        panel("Queue length by state", [("sum by (state) (worker_queue_length)", "{{state}}")],
              desc="worker_queue_length, read from the queue at scrape time. Queue stagnation "
                   "alert: queued > 0 while nothing finishes."),
        panel("Job transitions per second by state",
              [(q("sum by (state) (rate(worker_jobs_total[RI]))"), "{{state}}")], unit="ops"),
        panel("Busy vs configured worker threads",
              [("sum(worker_threads_busy)", "busy"), ("sum(worker_threads)", "configured")]),
        panel("Lease expirations (crashed or hung workers)",
              [(q("sum(rate(worker_lease_expirations_total[RI]))"), "expired leases/s")],
              unit="ops"),
        panel("Oldest queued job age", [("max(worker_queue_oldest_age_seconds)", "age")], unit="s"),
        panel("Redis connection pool", [("sum(redis_connection_pool_size)", "connections")],
              desc="Only with the Redis queue backend."),
    ])

JOB_PROCESSING = dashboard(
    "scriptgen-job-processing", "scriptgen / Job Processing",
    "Throughput, step latency and embedding efficiency of the ingest pipeline.",
    [
        panel("Jobs succeeded per second by type",
              [(q("sum by (type) (rate(worker_jobs_total{state=\"succeeded\"}[RI]))"), "{{type}}")],
              unit="ops"),
        panel("Jobs enqueued per second by type",
              [(q("sum by (type) (rate(worker_jobs_total{state=\"queued\"}[RI]))"), "{{type}}")],
              unit="ops"),
        panel("Step duration p95",
              [(q("histogram_quantile(0.95, sum by (le, step) "
                  "(rate(worker_processing_duration_seconds_bucket[RI])))"), "{{step}}")],
              unit="s"),
        panel("Step duration p50",
              [(q("histogram_quantile(0.5, sum by (le, step) "
                  "(rate(worker_processing_duration_seconds_bucket[RI])))"), "{{step}}")],
              unit="s"),
        panel("End-to-end job latency p95 (target 30 s)",
              [(q("histogram_quantile(0.95, sum by (le, type) "
                  "(rate(job_end_to_end_duration_seconds_bucket[RI])))"), "{{type}}")],
              unit="s"),
        panel("Jobs finished within 30 s",
              [(q("sum(rate(job_end_to_end_duration_seconds_bucket{le=\"30\"}[RI])) / "
                  "sum(rate(job_end_to_end_duration_seconds_count[RI]))"), "within 30 s")],
              unit="percentunit"),
        panel("Embedding API calls by outcome",
              [(q("sum by (provider, outcome) (rate(embedding_api_calls_total[RI]))"),
                "{{provider}} {{outcome}}")], unit="ops", stack=True),
        panel("Embedding API latency p95",
              [(q("histogram_quantile(0.95, sum by (le, provider) "
                  "(rate(embedding_api_duration_seconds_bucket[RI])))"), "{{provider}}")],
              unit="s"),
        panel("Embedding batch efficiency",
              [(q("histogram_quantile(0.5, sum by (le) (rate(embedding_batch_efficiency_bucket[RI])))"),
                "median"),
               (q("sum(rate(embedding_batch_efficiency_sum[RI])) / "
                  "sum(rate(embedding_batch_efficiency_count[RI]))"), "mean")],
              unit="percentunit",
              desc="Fill ratio of embedding batches; low values mean many small provider calls."),
        panel("Vectors in the index by embed_version",
              [("sum by (embed_version) (vector_index_size)", "{{embed_version}}")]),
        panel("Cancellation requests per second",
              [(q("sum(rate(job_cancellation_requests_total[RI]))"), "cancel requests/s"),
               (q("sum(rate(worker_jobs_total{state=\"cancelled\"}[RI]))"), "jobs cancelled/s")],
              unit="ops"),
        panel("Retries scheduled per second by type",
              [(q("sum by (type) (rate(worker_jobs_total{state=\"scheduled\"}[RI]))"), "{{type}}")],
              unit="ops"),
    ])

SECURITY = dashboard(
    "scriptgen-security-monitoring", "scriptgen / Security Monitoring",
    "Authentication failures, upload validation, PII scrubbing and data-governance activity.",
    [
        panel("Authentication / authorisation failures by route",
              [(q("sum by (route, status) (rate(http_requests_total{status=~\"401|403\"}[RI]))"),
                "{{route}} {{status}}")], unit="reqps"),
        panel("Uploads rejected for size or type",
              [(q("sum by (status) (rate(http_requests_total{status=~\"413|415\"}[RI]))"),
                "{{status}}")], unit="reqps"),
        panel("File validation results",
              [(q("sum by (result) (rate(file_validation_results_total[RI]))"), "{{result}}")],
              unit="ops", stack=True),
        panel("Rejected files by MIME type (1 h)",
              [("topk(10, sum by (mime) (increase(file_validation_results_total"
                "{result!=\"accepted\"}[1h])))", "{{mime}}")], kind="bargauge"),
        panel("PII scrubbed per second by kind",
              [(q("sum by (kind) (rate(pii_scrubbing_operations_total[RI]))"), "{{kind}}")],
              unit="ops", stack=True),
        panel("GDPR erase requests by outcome (1 h)",
              [("sum by (outcome) (increase(erase_requests_total[1h]))", "{{outcome}}")]),
        panel("Audit log entries per second",
              [(q("sum(rate(audit_entries_total[RI]))"), "entries/s")], unit="ops"),
        panel("Retention: deleted per hour by data class",
              [("sum by (data_class) (increase(retention_deleted_total[1h]))", "{{data_class}}")]),
        panel("Retention: overdue items by data class",
              [("sum by (data_class) (retention_overdue_items)", "{{data_class}}")],
              desc="Items past their retention period. RetentionOverdue alert."),
        panel("Retention sweeps by outcome (1 h)",
              [("sum by (outcome) (increase(retention_runs_total[1h]))", "{{outcome}}")]),
        panel("Time since last successful retention sweep",
              [("time() - max(retention_last_success_timestamp_seconds)", "since last sweep")],
              unit="s", kind="stat"),
    ])

SYSTEM = dashboard(
    "scriptgen-system-resources", "scriptgen / System Resources",
    "Process CPU, memory, file descriptors, store size and open connections.",
    [
        panel("Uptime", [("time() - max(process_start_time_seconds)", "uptime")], unit="s",
              kind="stat", w=8, h=4),
        panel("Version", [("scriptgen_build_info", "{{version}}")], kind="table", w=8, h=4),
        panel("Resident memory", [("sum(process_resident_memory_bytes)", "rss")], unit="bytes",
              kind="stat", w=8, h=4),
        panel("CPU usage (cores)", [(q("rate(process_cpu_seconds_total[RI])"), "{{instance}}")],
              unit="short"),
        panel("Memory", [("process_resident_memory_bytes", "resident {{instance}}"),
                         ("process_virtual_memory_bytes", "virtual {{instance}}")],
              unit="bytes"),
        panel("File descriptors", [("process_open_fds", "open"), ("process_max_fds", "limit")]),
        panel("OS threads", [("process_threads", "threads")]),
        panel("Store size on disk by component",
              [("sum by (component) (store_size_bytes)", "{{component}}")], unit="bytes",
              stack=True),
        panel("Open connections",
              [("sum(http_requests_in_flight)", "HTTP requests in flight"),
               ("sum(sse_connections_open)", "SSE streams open")]),
    ])

ERRORS = dashboard(
    "scriptgen-error-analysis", "scriptgen / Error Analysis",
    "Where failures happen: HTTP errors, dead letters, retries, provider errors, SSE drops.",
    [
        panel("HTTP 5xx ratio",
              [(q("sum(rate(http_requests_total{status=~\"5..\"}[RI])) / "
                  "clamp_min(sum(rate(http_requests_total[RI])), 1e-9)"), "5xx")],
              unit="percentunit", desc="Http5xxSurge alert fires above 5 %."),
        panel("HTTP 503 per second", [(q("sum(rate(http_requests_total{status=\"503\"}[RI]))"),
                                       "503")], unit="reqps",
              desc="Http503Surge alert."),
        panel("HTTP errors by route and status",
              [(q("sum by (route, status) (rate(http_requests_total{status=~\"4..|5..\"}[RI]))"),
                "{{route}} {{status}}")], unit="reqps", w=24),
        panel("HTTP latency p95 by route",
              [(q("histogram_quantile(0.95, sum by (le, route) "
                  "(rate(http_request_duration_seconds_bucket[RI])))"), "{{route}}")], unit="s"),
        panel("Dead-lettered jobs by error class (1 h)",
              [("sum by (error_class) (increase(dlq_jobs_total[1h]))", "{{error_class}}")],
              desc="DlqGrowth alert."),
        panel("Jobs in the DLQ now", [("sum(worker_queue_length{state=\"dead\"})", "dead")]),
        panel("Retries scheduled per second",
              [(q("sum by (type) (rate(worker_jobs_total{state=\"scheduled\"}[RI]))"), "{{type}}")],
              unit="ops"),
        panel("Embedding provider error ratio",
              [(q("sum by (provider) (rate(embedding_api_calls_total{outcome!=\"ok\"}[RI])) / "
                  "sum by (provider) (rate(embedding_api_calls_total[RI]))"), "{{provider}}")],
              unit="percentunit", desc="EmbeddingProviderErrors alert fires above 10 %."),
        panel("SSE disconnects per second",
              [(q("sum(rate(sse_disconnects_total[RI]))"), "disconnects/s")], unit="ops",
              desc="SseDisconnectStorm alert."),
    ])


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
    os.makedirs(out, exist_ok=True)
    for name, d in [("worker-health", WORKER_HEALTH), ("job-processing", JOB_PROCESSING),
                    ("security-monitoring", SECURITY), ("system-resources", SYSTEM),
                    ("error-analysis", ERRORS)]:
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(d, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
