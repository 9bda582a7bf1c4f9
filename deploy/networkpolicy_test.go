package deploy

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
)

// The NetworkPolicy isolates the pod both ways: only Prometheus's pods reach it, on the metrics
// port alone; it reaches DNS and the node the ConfigMap names.
func TestKubernetesNetworkPolicy(t *testing.T) {
	ms := kubernetesManifests(t)
	np := find(t, ms, "NetworkPolicy")
	d := find(t, ms, "Deployment")
	podLabels := asMap(get(d.obj, "spec", "template", "metadata", "labels"))
	if !sameLabels(asMap(get(np.obj, "spec", "podSelector", "matchLabels")), podLabels) {
		t.Errorf("podSelector %v does not select the pod %v", get(np.obj, "spec", "podSelector"), podLabels)
	}
	if types := strs(list(np.obj, "spec", "policyTypes")); !slices.Contains(types, "Ingress") || !slices.Contains(types, "Egress") {
		t.Errorf("policyTypes %v, want Ingress and Egress", types)
	}

	ingress := list(np.obj, "spec", "ingress")
	if len(ingress) == 0 {
		t.Fatal("no ingress rule: the scrape would be refused")
	}
	for i, r := range ingress {
		from := list(r, "from")
		if len(from) == 0 {
			t.Errorf("ingress rule %d admits every source", i)
		}
		for _, peer := range from {
			if len(asMap(get(peer, "podSelector", "matchLabels"))) == 0 || get(peer, "ipBlock") != nil {
				t.Errorf("ingress rule %d admits %v: want Prometheus's pods by label, nothing wider", i, peer)
			}
		}
		ports := list(r, "ports")
		if len(ports) == 0 {
			t.Errorf("ingress rule %d admits every port", i)
		}
		for _, p := range ports {
			if port := fmt.Sprint(get(p, "port")); port != "metrics" && port != "9090" {
				t.Errorf("ingress rule %d admits port %s: want the metrics port alone", i, port)
			}
		}
	}

	egress := list(np.obj, "spec", "egress")
	allows := func(port int, proto string) bool {
		for _, r := range egress {
			for _, p := range list(r, "ports") {
				if num(p, "port") == port && (str(p, "protocol") == proto || (str(p, "protocol") == "" && proto == "TCP")) {
					return true
				}
			}
		}
		return false
	}
	if !allows(53, "UDP") || !allows(53, "TCP") {
		t.Error("egress does not admit DNS (53 UDP and TCP)")
	}
	cm := find(t, ms, "ConfigMap")
	for _, key := range []string{"AVS_SYNC_ETH_HTTP_URL", "AVS_SYNC_ETH_WS_URL"} {
		u, err := url.Parse(str(cm.obj, "data", key))
		if err != nil {
			t.Fatalf("ConfigMap %s: %v", key, err)
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443"}[u.Scheme]
		}
		var n int
		fmt.Sscan(port, &n)
		if !allows(n, "TCP") {
			t.Errorf("egress does not admit the node at %s (port %d)", u.Host, n)
		}
	}
	if !allows(443, "TCP") {
		t.Error("egress does not admit 443: hosted nodes, Fireblocks and AWS")
	}
}
