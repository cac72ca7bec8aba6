"""Simulated targets: generators of the series our exporters (and the
components they sit beside) emit, as whole numpy columns. See ``base``."""

from lab.scenarios.targets.base import Grid, Scrape, Target
from lab.scenarios.targets.batch import BatchJob
from lab.scenarios.targets.kube import Deployment
from lab.scenarios.targets.node import Node
from lab.scenarios.targets.volume import Volume
from lab.scenarios.targets.web import HttpApp, web_service

__all__ = [
    "BatchJob",
    "Deployment",
    "Grid",
    "HttpApp",
    "Node",
    "Scrape",
    "Target",
    "Volume",
    "web_service",
]
