"""The Vagrant lab: a ``Vagrantfile`` for one monitoring VM (promlab server,
Alertmanager, Grafana) and two workers (node exporter + demo app as systemd
services), its ``provision/*.sh`` scripts and ``files/``, and ``driver`` —
``promlab vagrant up|status|ssh|destroy`` through python-vagrant.

Errors: ``errors.VagrantError`` and its subclasses.
"""
