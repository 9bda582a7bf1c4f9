// Package deploy holds avs-sync's deployment files: Prometheus alert rules (prometheus/), a Grafana
// dashboard (grafana/) and Kubernetes manifests (kubernetes/). Its tests check the invariants the
// files must keep, together with the Dockerfile and docker-compose.yml at the repository root.
package deploy
