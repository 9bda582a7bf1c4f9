package deploy

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/avs-sync/avs-sync/syncer"
)

var update = flag.Bool("update", false, "rewrite kubernetes/prometheusrule.yaml from prometheus/alerts.yml")

// nonroot is the uid and gid of distroless's nonroot user, which the image runs as.
const nonroot = 65532

// stopMargin is what a stop needs beyond the drain: the checkpoint write and the metrics server's
// shutdown (up to 5 s).
const stopMargin = 10 * time.Second

// manifest is one Kubernetes object, decoded loosely.
type manifest struct {
	file string
	obj  map[string]any
}

func (m manifest) kind() string { return str(m.obj, "kind") }
func (m manifest) name() string { return str(m.obj, "metadata", "name") }

// kubernetesManifests reads every object of every YAML file in kubernetes/ but the kustomization.
func kubernetesManifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []manifest
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		dec := yaml.NewDecoder(bytes.NewReader(read(t, f)))
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if obj != nil {
				out = append(out, manifest{file: f, obj: obj})
			}
		}
	}
	return out
}

func find(t *testing.T, ms []manifest, kind string) manifest {
	t.Helper()
	var found []manifest
	for _, m := range ms {
		if m.kind() == kind {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s in kubernetes/, want 1", len(found), kind)
	}
	return found[0]
}

// The Deployment keeps the invariants of a process that holds a hot key: one pod, never two at
// once, not root, nothing writable but its state, the key from a Secret file, probes on the health
// endpoints and time to drain.
func TestKubernetesDeployment(t *testing.T) {
	ms := kubernetesManifests(t)
	d := find(t, ms, "Deployment")
	spec := d.obj["spec"]
	if n := num(spec, "replicas"); n != 1 {
		t.Errorf("replicas %v, want 1", n)
	}
	if s := str(spec, "strategy", "type"); s != "Recreate" {
		t.Errorf("strategy %q, want Recreate: two pods must never send with the same key", s)
	}
	pod := get(spec, "template", "spec")
	if b, _ := get(pod, "securityContext", "runAsNonRoot").(bool); !b {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	for _, k := range []string{"runAsUser", "runAsGroup", "fsGroup"} {
		if n := num(pod, "securityContext", k); n != nonroot {
			t.Errorf("pod securityContext.%s %v, want %d (the image's nonroot user)", k, n, nonroot)
		}
	}
	grace := time.Duration(num(pod, "terminationGracePeriodSeconds")) * time.Second
	if grace < syncer.DefaultDrain+stopMargin {
		t.Errorf("terminationGracePeriodSeconds %v, want at least %v (drain %v + %v)", grace, syncer.DefaultDrain+stopMargin, syncer.DefaultDrain, stopMargin)
	}
	containers := list(pod, "containers")
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	c := containers[0]
	if b, _ := get(c, "securityContext", "readOnlyRootFilesystem").(bool); !b {
		t.Error("container securityContext.readOnlyRootFilesystem is not true")
	}
	if b, ok := get(c, "securityContext", "allowPrivilegeEscalation").(bool); !ok || b {
		t.Error("container securityContext.allowPrivilegeEscalation is not false")
	}
	if n := num(c, "securityContext", "runAsUser"); n != 0 && n != nonroot {
		t.Errorf("container runAsUser %v, want %d", n, nonroot)
	}

	port := ""
	for _, p := range list(c, "ports") {
		if str(p, "name") == "metrics" {
			port = "metrics"
			if n := num(p, "containerPort"); n != 9090 {
				t.Errorf("metrics containerPort %v, want 9090", n)
			}
		}
	}
	if port == "" {
		t.Error("no container port named metrics")
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if p := str(c, probe, "httpGet", "path"); p != path {
			t.Errorf("%s path %q, want %s", probe, p, path)
		}
		if p := fmt.Sprint(get(c, probe, "httpGet", "port")); p != "metrics" && p != "9090" {
			t.Errorf("%s port %q, want the metrics port", probe, p)
		}
	}

	args := flagValues(t, strs(list(c, "args")))
	if args["--metrics-addr"] != "" && !strings.HasSuffix(args["--metrics-addr"], ":9090") {
		t.Errorf("--metrics-addr %q does not listen on the metrics port", args["--metrics-addr"])
	}
	if strs(list(c, "args"))[0] != "watch" {
		t.Errorf("args %v, want the watch command first", list(c, "args"))
	}
	volumes := map[string]any{}
	for _, v := range list(pod, "volumes") {
		volumes[str(v, "name")] = v
	}
	mountOf := func(path string) (volume any, readOnly bool) {
		for _, m := range list(c, "volumeMounts") {
			mp := str(m, "mountPath")
			if path == mp || strings.HasPrefix(path, mp+"/") {
				ro, _ := get(m, "readOnly").(bool)
				return volumes[str(m, "name")], ro
			}
		}
		return nil, false
	}

	keyFile := args["--ecdsa-private-key-file"]
	if keyFile == "" {
		t.Error("no --ecdsa-private-key-file: the key must come from a Secret mounted as a file")
	} else if v, ro := mountOf(keyFile); str(v, "secret", "secretName") == "" || !ro {
		t.Errorf("--ecdsa-private-key-file %s is not on a read-only Secret volume", keyFile)
	}
	for _, e := range list(c, "env") {
		if strings.Contains(str(e, "name"), "PRIVATE_KEY") {
			t.Errorf("env %s: the key must not be in the environment", str(e, "name"))
		}
	}
	cm := find(t, ms, "ConfigMap")
	for k := range asMap(cm.obj["data"]) {
		if strings.Contains(k, "PRIVATE_KEY") {
			t.Errorf("ConfigMap holds %s: the key must come from the Secret file", k)
		}
	}
	if cms := list(c, "envFrom"); len(cms) == 0 || str(cms[0], "configMapRef", "name") != cm.name() {
		t.Errorf("envFrom does not load ConfigMap %s", cm.name())
	}

	stateDir := args["--state-dir"]
	pvc := find(t, ms, "PersistentVolumeClaim")
	if stateDir == "" {
		t.Error("no --state-dir: the checkpoint must survive restarts")
	} else if v, ro := mountOf(stateDir); str(v, "persistentVolumeClaim", "claimName") != pvc.name() || ro {
		t.Errorf("--state-dir %s is not on a writable mount of PersistentVolumeClaim %s", stateDir, pvc.name())
	}
	if !slices.Contains(strs(list(pvc.obj, "spec", "accessModes")), "ReadWriteOnce") {
		t.Errorf("PVC access modes %v, want ReadWriteOnce", list(pvc.obj, "spec", "accessModes"))
	}
	t.Logf("Deployment: 1 replica, Recreate, uid %d, read-only root, key %s, state %s, grace %v", nonroot, keyFile, stateDir, grace)
}

// The Service selects the pod and exposes its metrics port; the ServiceMonitor scrapes it.
func TestKubernetesServiceMonitor(t *testing.T) {
	ms := kubernetesManifests(t)
	d := find(t, ms, "Deployment")
	podLabels := asMap(get(d.obj, "spec", "template", "metadata", "labels"))
	if !sameLabels(asMap(get(d.obj, "spec", "selector", "matchLabels")), podLabels) {
		t.Error("Deployment selector does not match its pod labels")
	}
	svc := find(t, ms, "Service")
	if !sameLabels(asMap(get(svc.obj, "spec", "selector")), podLabels) {
		t.Errorf("Service selector %v does not select pods %v", get(svc.obj, "spec", "selector"), podLabels)
	}
	svcPort := ""
	for _, p := range list(svc.obj, "spec", "ports") {
		if fmt.Sprint(get(p, "targetPort")) == "metrics" {
			svcPort = str(p, "name")
		}
	}
	if svcPort == "" {
		t.Fatal("Service has no port targeting the container's metrics port")
	}
	sm := find(t, ms, "ServiceMonitor")
	if !sameLabels(asMap(get(sm.obj, "spec", "selector", "matchLabels")), asMap(get(svc.obj, "metadata", "labels"))) {
		t.Error("ServiceMonitor selector does not select the Service's labels")
	}
	eps := list(sm.obj, "spec", "endpoints")
	if len(eps) != 1 || str(eps[0], "port") != svcPort || str(eps[0], "path") != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %v, want port %s path /metrics", eps, svcPort)
	}
	// The process-down alerts select job="avs-sync": the operator names the job after the Service.
	if svc.name() != "avs-sync" || str(sm.obj, "spec", "jobLabel") != "" {
		t.Errorf("Service %q with jobLabel %q: the scrape job would not be avs-sync", svc.name(), str(sm.obj, "spec", "jobLabel"))
	}
}

// kustomization.yaml lists exactly the manifests in the directory.
func TestKustomizationComplete(t *testing.T) {
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(read(t, "kubernetes/kustomization.yaml"), &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("kubernetes/*.yaml")
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, files %v", got, want)
	}
}

// prometheusRule renders alerts.yml's groups as a PrometheusRule, text for text.
func prometheusRule(t *testing.T) []byte {
	t.Helper()
	src := string(read(t, "prometheus/alerts.yml"))
	i := strings.Index(src, "\ngroups:\n")
	if i < 0 {
		t.Fatal("prometheus/alerts.yml has no top-level groups:")
	}
	var b strings.Builder
	b.WriteString(`# Generated from deploy/prometheus/alerts.yml; do not edit. Regenerate with
#   go test ./deploy -run TestPrometheusRuleInSync -update
# Needs the Prometheus Operator's CRDs; its Prometheus must select this rule's labels.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: avs-sync
  labels:
    app.kubernetes.io/name: avs-sync
spec:
`)
	for _, line := range strings.SplitAfter(src[i+1:], "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	return []byte(b.String())
}

// The PrometheusRule carries exactly the rules of alerts.yml.
func TestPrometheusRuleInSync(t *testing.T) {
	want := prometheusRule(t)
	const path = "kubernetes/prometheusrule.yaml"
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(read(t, path), want) {
		t.Fatalf("%s differs from prometheus/alerts.yml: run go test ./deploy -run TestPrometheusRuleInSync -update", path)
	}
	// And they mean the same once parsed, so the text copy cannot hide a YAML mistake.
	var rules, pr struct {
		Groups []any `yaml:"groups"`
		Spec   struct {
			Groups []any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(read(t, "prometheus/alerts.yml"), &rules); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(want, &pr); err != nil {
		t.Fatal(err)
	}
	if len(rules.Groups) == 0 || fmt.Sprint(rules.Groups) != fmt.Sprint(pr.Spec.Groups) {
		t.Fatal("PrometheusRule spec.groups do not parse to alerts.yml's groups")
	}
}

// compose is the part of docker-compose.yml the tests read.
type compose struct {
	Services map[string]struct {
		Command         []string          `yaml:"command"`
		Environment     map[string]string `yaml:"environment"`
		Secrets         []string          `yaml:"secrets"`
		StopGracePeriod string            `yaml:"stop_grace_period"`
		Volumes         []string          `yaml:"volumes"`
		Profiles        []string          `yaml:"profiles"`
		Image           string            `yaml:"image"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// docker-compose.yml: the key from a secret file, a stop grace above the drain, the state on a
// volume at the image's state directory, and Prometheus with the rules under a profile.
func TestCompose(t *testing.T) {
	var c compose
	if err := yaml.Unmarshal(read(t, "../docker-compose.yml"), &c); err != nil {
		t.Fatal(err)
	}
	s, ok := c.Services["avs-sync"]
	if !ok {
		t.Fatal("no avs-sync service")
	}
	for k := range s.Environment {
		if strings.Contains(k, "PRIVATE_KEY") {
			t.Errorf("environment %s: docker inspect shows the environment; use the secret file", k)
		}
	}
	args := flagValues(t, s.Command)
	if len(s.Secrets) != 1 || args["--ecdsa-private-key-file"] != "/run/secrets/"+s.Secrets[0] {
		t.Errorf("secrets %v, --ecdsa-private-key-file %q: want the key from /run/secrets/<secret>", s.Secrets, args["--ecdsa-private-key-file"])
	} else if c.Secrets[s.Secrets[0]].File == "" {
		t.Errorf("secret %s is not file-based", s.Secrets[0])
	}
	grace, err := time.ParseDuration(s.StopGracePeriod)
	if err != nil || grace < syncer.DefaultDrain+stopMargin {
		t.Errorf("stop_grace_period %q, want at least %v (drain %v + %v)", s.StopGracePeriod, syncer.DefaultDrain+stopMargin, syncer.DefaultDrain, stopMargin)
	}
	img := dockerfile(t)
	if args["--state-dir"] != img.volume {
		t.Errorf("--state-dir %q, want the image's volume %s", args["--state-dir"], img.volume)
	}
	if !slices.ContainsFunc(s.Volumes, func(v string) bool { return strings.HasSuffix(v, ":"+img.volume) }) {
		t.Errorf("volumes %v: none mounted at %s", s.Volumes, img.volume)
	}

	p, ok := c.Services["prometheus"]
	if !ok {
		t.Fatal("no prometheus service")
	}
	if !slices.Equal(p.Profiles, []string{"prometheus"}) {
		t.Errorf("prometheus profiles %v, want [prometheus]: optional", p.Profiles)
	}
	mounts := map[string]string{}
	for _, v := range p.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			mounts[parts[0]] = parts[1]
		}
	}
	rulesAt, configAt := mounts["./deploy/prometheus/alerts.yml"], mounts["./deploy/prometheus/prometheus.yml"]
	if rulesAt == "" || configAt == "" {
		t.Fatalf("prometheus volumes %v: want deploy/prometheus/alerts.yml and prometheus.yml mounted", p.Volumes)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(read(t, "prometheus/prometheus.yml"), &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.RuleFiles, rulesAt) {
		t.Errorf("prometheus.yml rule_files %v do not load %s", cfg.RuleFiles, rulesAt)
	}
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0].JobName != "avs-sync" ||
		len(cfg.ScrapeConfigs[0].StaticConfigs) != 1 || !slices.Equal(cfg.ScrapeConfigs[0].StaticConfigs[0].Targets, []string{"avs-sync:9090"}) {
		t.Errorf("scrape configs %+v, want job avs-sync on avs-sync:9090", cfg.ScrapeConfigs)
	}
	if !strings.Contains(p.Command[0], configAt) {
		t.Errorf("prometheus command %v does not read %s", p.Command, configAt)
	}

	// Grafana, in the same profile, shows the dashboard on that Prometheus.
	g, ok := c.Services["grafana"]
	if !ok {
		t.Fatal("no grafana service")
	}
	if !slices.Equal(g.Profiles, p.Profiles) {
		t.Errorf("grafana profiles %v, want %v", g.Profiles, p.Profiles)
	}
	gm := map[string]string{}
	for _, v := range g.Volumes {
		if parts := strings.Split(v, ":"); len(parts) >= 2 {
			gm[parts[0]] = parts[1]
		}
	}
	if gm["./deploy/grafana/provisioning"] != "/etc/grafana/provisioning" {
		t.Errorf("grafana volumes %v: want ./deploy/grafana/provisioning on /etc/grafana/provisioning", g.Volumes)
	}
	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(read(t, "grafana/provisioning/dashboards/avs-sync.yml"), &provider); err != nil {
		t.Fatal(err)
	}
	if dash := gm["./deploy/grafana/avs-sync.json"]; len(provider.Providers) != 1 || dash == "" || filepath.Dir(dash) != provider.Providers[0].Options.Path {
		t.Errorf("dashboard mounted at %q, provider reads %+v", dash, provider.Providers)
	}
	var ds struct {
		Datasources []struct {
			Type, URL string
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(read(t, "grafana/provisioning/datasources/prometheus.yml"), &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("grafana data sources %+v, want the prometheus service", ds.Datasources)
	}
}

// image is what the Dockerfile's run stage says about users and state.
type image struct {
	user, volume string
	// stateOwner is the --chown of the COPY that creates the volume's directory ("" if none does).
	stateOwner string
	cmd        []string
}

func dockerfile(t *testing.T) image {
	t.Helper()
	var img image
	stages := strings.Split(string(read(t, "../Dockerfile")), "\nFROM ")
	run := stages[len(stages)-1]
	for _, line := range strings.Split(run, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "USER":
			img.user = f[1]
		case "VOLUME":
			img.volume = f[1]
		case "CMD":
			s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "CMD")), "["), "]")
			for _, a := range strings.Split(s, ",") {
				img.cmd = append(img.cmd, strings.Trim(strings.TrimSpace(a), `"`))
			}
		}
	}
	for _, line := range strings.Split(run, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "COPY" && f[len(f)-1] == img.volume {
			for _, o := range f[1 : len(f)-2] {
				if v, ok := strings.CutPrefix(o, "--chown="); ok {
					img.stateOwner = v
				}
			}
		}
	}
	return img
}

// The image runs as nonroot and creates its state directory owned by nonroot, so a fresh named
// volume (which Docker fills from the image's directory, owner included) is writable. The e2e
// test TestImageStateLayout runs the binary as that user on that layout.
func TestDockerfile(t *testing.T) {
	img := dockerfile(t)
	want := fmt.Sprintf("%d:%d", nonroot, nonroot)
	if img.user != want && img.user != "nonroot:nonroot" {
		t.Errorf("USER %q, want %s", img.user, want)
	}
	if img.volume != "/var/lib/avs-sync" {
		t.Errorf("VOLUME %q, want /var/lib/avs-sync", img.volume)
	}
	if img.stateOwner != want {
		t.Errorf("the state directory %s is created owned by %q, want %s (COPY --chown)", img.volume, img.stateOwner, want)
	}
	if args := flagValues(t, img.cmd); args["--state-dir"] != img.volume {
		t.Errorf("CMD %v does not use the volume %s as --state-dir", img.cmd, img.volume)
	}
}

// flagValues maps "--flag value" and "--flag=value" arguments to their values.
func flagValues(t *testing.T, args []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			continue
		}
		if k, v, ok := strings.Cut(a, "="); ok {
			out[k] = v
		} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			out[a] = args[i+1]
			i++
		} else {
			out[a] = "true"
		}
	}
	return out
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// get walks nested maps by key; a missing key gives nil.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

func num(v any, path ...string) int {
	n, _ := get(v, path...).(int)
	return n
}

func list(v any, path ...string) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func strs(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// sameLabels reports whether every label of sel is in labels with the same value, and sel is not
// empty.
func sameLabels(sel, labels map[string]any) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
