"""Talking to a Kubernetes API server (a real one or ``lab.cluster``'s simulation):
the list + watch reflector shared by the kube-state exporter and kubernetes_sd."""
