"""Service families (``--resources=services``): identity ``namespace, service, uid``."""

from __future__ import annotations

from .base import (
    Family,
    Obj,
    Options,
    Sample,
    created,
    deletion_timestamp,
    md,
    meta_families,
    one,
    spec,
    status,
)

RESOURCE = "services"
GO_TYPE = "*v1.Service"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [
        ("namespace", m.get("namespace", "")),
        ("service", m.get("name", "")),
        ("uid", m.get("uid", "")),
    ]


def _info(o: Obj) -> list[Sample]:
    sp = spec(o)
    return one(
        [
            ("cluster_ip", sp.get("clusterIP", "")),
            ("external_name", sp.get("externalName", "")),
            ("external_traffic_policy", sp.get("externalTrafficPolicy", "")),
            ("load_balancer_ip", sp.get("loadBalancerIP", "")),
        ]
    )


def _type(o: Obj) -> list[Sample]:
    return one([("type", spec(o).get("type", "ClusterIP"))])


def _external_ips(o: Obj) -> list[Sample]:
    return [([("external_ip", ip)], 1.0) for ip in spec(o).get("externalIPs") or []]


def _lb_ingress(o: Obj) -> list[Sample]:
    ingress = (status(o).get("loadBalancer") or {}).get("ingress") or []
    return [([("ip", i.get("ip", "")), ("hostname", i.get("hostname", ""))], 1.0) for i in ingress]


def families(opts: Options) -> list[Family]:
    return [
        *meta_families(RESOURCE, "service", opts),
        Family("kube_service_info", "Information about service.", _info),
        created("service"),
        Family("kube_service_spec_type", "Type about service.", _type),
        Family(
            "kube_service_spec_external_ip",
            "Service external ips. One series for each ip",
            _external_ips,
        ),
        Family(
            "kube_service_status_load_balancer_ingress",
            "Service load balancer ingress status",
            _lb_ingress,
        ),
        deletion_timestamp("service"),
    ]
