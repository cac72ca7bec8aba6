"""The canonical afternoon: load, then memory, then restarts, then users hurt.

14:00 CPU rises with traffic; 14:30 memory runs short on some pods; 15:00
pods restart (OOM kills) and the load balancer wobbles; 15:30 users see
errors and latency as the remaining pods run out of CPU.
"""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import plateau, ramp, sawtooth
from lab.scenarios.targets import BatchJob, Node, Volume, web_service

NODES = ("node-1", "node-2", "node-3")


class IncidentTimeline(Scenario):
    name = "incident-timeline"
    description = (
        "The canonical afternoon outage of the checkout service: 14:00 traffic (and CPU) "
        "rises, 14:30 memory runs short on two pods, 15:00 they are OOM killed and restart "
        "while the load balancer wobbles, 15:30 the remaining capacity runs out of CPU and "
        "users see errors and multi-second latency; recovery from 16:00."
    )
    start = "2026-03-02T13:00:00Z"
    duration = "4h"
    baseline = "1h"
    seed = 1530
    targets = (
        *(Node(n, ip=f"10.0.0.{10 + i}") for i, n in enumerate(NODES)),
        web_service("checkout", replicas=3, nodes=NODES, rps=80.0),
        # bystanders that stay healthy (and feed the dashboards' other panels)
        Volume("data-postgres-0", node="node-1"),
        BatchJob("invoice-export"),
    )
    faults = (
        Fault("traffic rises", at="1h", target="checkout", knob="traffic",
              shape=ramp(1.6, over="20m", hold="1h55m")),
        *(Fault(f"nodes busier ({n})", at="1h", target=n, knob="cpu",
                shape=ramp(0.3, over="20m", hold="1h55m")) for n in NODES),
        Fault("memory runs short", at="1h30m", target="checkout", knob="memory", members=(0, 1),
              shape=ramp(0.47, over="25m", hold="30m")),
        Fault("OOM kills", at="2h", target="checkout", knob="memory", members=(0, 1),
              shape=sawtooth(0.08, period="6m", cycles=4)),
        Fault("load balancer wobbles", at="2h", target="checkout", knob="unready", members=(2,),
              shape=plateau(1.0, hold="14m")),
        Fault("CPU exhausted", at="2h30m", target="checkout", knob="cpu",
              shape=plateau(0.5, hold="28m", rise="2m")),
    )
    expect = (
        fires("ServiceTrafficSurge", after="traffic rises", within="35m", resolves_within="20m",
              job="checkout"),
        fires("ServiceCPUSaturation", after="traffic rises", within="35m", severity="warning"),
        fires("KubeContainerMemoryNearLimit", after="memory runs short", within="30m",
              resolves_within="15m", container="checkout"),
        fires("KubeContainerOOMKilled", after="OOM kills", within="10m", resolves_within="15m"),
        fires("KubePodNotReady", after="load balancer wobbles", within="15m",
              resolves_within="5m"),
        fires("ServiceHighErrorRate", after="CPU exhausted", within="15m", resolves_within="15m",
              job="checkout"),
        fires("ServiceLatencyHigh", after="CPU exhausted", within="15m", resolves_within="15m",
              severity="critical"),
        fires("ServiceErrorBudgetBurn", after="CPU exhausted", within="15m",
              resolves_within="15m", long="1h"),
        fires("ServiceSaturationEmergency", after="CPU exhausted", within="15m",
              resolves_within="15m"),
        fires("ServiceCPUSaturation", after="CPU exhausted", within="15m", severity="critical"),
        fires("KubeCPUThrottlingHigh", after="CPU exhausted", within="25m", resolves_within="20m"),
    )
