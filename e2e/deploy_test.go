package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Series Prometheus makes itself: the only names the rules may use that avs-sync does not export.
var prometheusSeries = []string{"up"}

// Every series the alert rules and the dashboard read is on avs-sync's first /metrics page, label
// values included (known label sets start at zero), so no alert watches a series that does not
// exist yet and no panel stays empty until something happens.
func TestDeployMetricsExported(t *testing.T) {
	e := newEnv(t, 2, 0)
	port := freePort(t)
	p, err := startDaemon(t, binary, e.watchArgs(port, "--state-dir", t.TempDir()), append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first page that answers is the one checked.
	var first string
	e.waitFor("first /metrics page", 60*time.Second, func() bool {
		if !p.running() {
			t.Fatalf("avs-sync exited: %v\n%s", p.err, p.log())
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, err = bufio.NewReader(resp.Body).WriteTo(&b)
		first = b.String()
		return err == nil && resp.StatusCode == 200
	})
	samples := parseSamples(t, first)

	_, rules := alertRules(t)
	type ref struct{ where, expr string }
	var refs []ref
	for _, r := range rules {
		refs = append(refs, ref{"alert " + r.Alert, r.Expr})
	}
	for _, q := range dashboardQueries(t) {
		refs = append(refs, ref{"dashboard", q})
	}
	checked := map[string]bool{}
	var missing []string
	for _, r := range refs {
		sels, err := selectors(r.expr)
		if err != nil {
			t.Fatalf("%s: %v", r.where, err)
		}
		if len(sels) == 0 {
			t.Errorf("%s: no metric in %s", r.where, r.expr)
		}
		for _, s := range sels {
			if slices.Contains(prometheusSeries, s.name) {
				continue
			}
			checked[s.name] = true
			if !satisfied(s, samples) {
				missing = append(missing, fmt.Sprintf("%s: %s", r.where, s))
			}
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	if len(missing) > 0 {
		t.Errorf("%d series read by the rules or the dashboard are not on the first /metrics page:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	t.Logf("%d expressions, %d metric names checked against the first scrape (%d samples)", len(refs), len(checked), len(samples))
	p.stop()
}

// A real Prometheus scrapes the binary with the shipped rules (the stale-stakes bound and some
// `for`s shortened): the stale-stakes alert fires for quorum 0 while a fee cap below the base fee
// holds an update back, and is quiet before; the fee-cap alert fires beside it; the process-down
// alert fires once the binary stops, and not before.
func TestPrometheusStaleStakesAlert(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("SKIPPED: prometheus not installed (apt-get install prometheus; .ci/run installs it)")
	}
	e := newEnv(t, 2, 0)
	port := freePort(t)
	// A fee cap of 1 wei, below any base fee: the stale operator is found and its update waits.
	p, err := startDaemon(t, binary, e.watchArgs(port, "--debounce", "300ms", "--max-fee-per-gas", "0.000000001",
		"--max-priority-fee-per-gas", "0.000000001", "--min-priority-fee-per-gas", "0.000000001"),
		append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("127.0.0.1:%d", port)
	e.waitFor("avs-sync /readyz 200", 60*time.Second, func() bool {
		if !p.running() {
			t.Fatalf("avs-sync exited: %v\n%s", p.err, p.log())
		}
		return httpStatus("http://"+target+"/readyz") == 200
	})

	const staleBound = 2 // seconds; 3600 in the shipped rule
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "alerts.yml")
	rules := testRules(t, map[string]override{
		"AvsSyncStakesStale":    {threshold: staleBound, forDur: "1s"},
		"AvsSyncFeeCapBlocking": {forDur: "1s"},
		"AvsSyncDown":           {forDur: "1s"},
	})
	if err := os.WriteFile(rulesPath, rules, 0o644); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: avs-sync
    static_configs:
      - targets: [%q]
`, rulesPath, target)
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	prom := exec.Command(promBin, "--config.file="+configPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	var promLog strings.Builder
	prom.Stdout, prom.Stderr = &promLog, &promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	promDone := make(chan error, 1)
	go func() { promDone <- prom.Wait() }()
	t.Cleanup(func() {
		prom.Process.Signal(syscall.SIGTERM)
		select {
		case <-promDone:
		case <-time.After(20 * time.Second):
			prom.Process.Kill()
			<-promDone
		}
	})
	api := "http://" + promAddr
	e.waitFor("Prometheus scraping avs-sync", 60*time.Second, func() bool {
		select {
		case err := <-promDone:
			t.Fatalf("prometheus exited: %v\n%s", err, promLog.String())
		default:
		}
		v, ok := promQuery(api, `up{job="avs-sync"}`)
		return ok && v == "1"
	})
	// Fresh stakes: staleness 0 in quorum 0, and the rule quiet.
	e.waitFor("quorum 0 staleness scraped", 30*time.Second, func() bool {
		v, ok := promQuery(api, `avssync_stale_seconds{quorum="0"}`)
		return ok && v == "0"
	})
	quorum0 := map[string]string{"quorum": "0"}
	if a := alertState(t, api, "AvsSyncStakesStale", quorum0); a != "" {
		t.Fatalf("AvsSyncStakesStale is %s before any stake changed", a)
	}

	before := e.sent()
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	deposited := time.Now()
	e.waitFor("AvsSyncStakesStale firing", 90*time.Second, func() bool {
		return alertState(t, api, "AvsSyncStakesStale", quorum0) == "firing"
	})
	t.Logf("AvsSyncStakesStale fired %v after the deposit (bound %d s, for 1 s, scrape and evaluation every 1 s)",
		time.Since(deposited).Round(100*time.Millisecond), staleBound)
	if e.sent() != before || e.fresh(e.ops[0].Address) {
		t.Fatal("the update was not held back: the alert proves nothing")
	}
	if v, ok := promQuery(api, `avssync_fee_cap_blocked`); !ok || v != "1" {
		t.Errorf("avssync_fee_cap_blocked %q, want 1 while the update waits", v)
	}
	e.waitFor("AvsSyncFeeCapBlocking firing", 30*time.Second, func() bool {
		return alertState(t, api, "AvsSyncFeeCapBlocking", map[string]string{"instance": target}) == "firing"
	})
	if a := alertState(t, api, "AvsSyncDown", nil); a != "" {
		t.Fatalf("AvsSyncDown is %s while avs-sync runs", a)
	}
	// Stopped, the process-down rule selects the scrape job by its name and fires.
	p.stop()
	e.waitFor("AvsSyncDown firing", 30*time.Second, func() bool {
		return alertState(t, api, "AvsSyncDown", map[string]string{"job": "avs-sync", "instance": target}) == "firing"
	})
}

// override shortens one rule for a test: its bound (when threshold is above 0) and its `for`.
type override struct {
	threshold float64
	forDur    string
}

// testRules is alerts.yml with the overridden rules' thresholds (the number after the final >)
// and `for` replaced, every other rule as shipped.
func testRules(t *testing.T, overrides map[string]override) []byte {
	t.Helper()
	raw, _ := alertRules(t)
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	bound := regexp.MustCompile(`>\s*[0-9.e+]+\s*$`)
	found := map[string]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			fields := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				fields[n.Content[i].Value] = n.Content[i+1]
			}
			if a := fields["alert"]; a != nil {
				if o, ok := overrides[a.Value]; ok {
					found[a.Value] = true
					if o.threshold > 0 {
						if !bound.MatchString(fields["expr"].Value) {
							t.Fatalf("rule %s: no `> number` bound at the end of %q", a.Value, fields["expr"].Value)
						}
						fields["expr"].Value = bound.ReplaceAllString(fields["expr"].Value, fmt.Sprintf("> %g", o.threshold))
					}
					if fields["for"] == nil {
						t.Fatalf("rule %s has no for", a.Value)
					}
					fields["for"].Value = o.forDur
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	for alert := range overrides {
		if !found[alert] {
			t.Fatalf("no rule %s in alerts.yml", alert)
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// promQuery returns the value of an instant query with exactly one series.
func promQuery(api, q string) (string, bool) {
	resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) != 1 {
		return "", false
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v, true
}

// alertState returns the state (pending, firing) of the named alert with the given labels, or "".
func alertState(t *testing.T, api, name string, labels map[string]string) string {
	t.Helper()
	resp, err := http.Get(api + "/api/v1/alerts")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("/api/v1/alerts: %v", err)
	}
alerts:
	for _, a := range r.Data.Alerts {
		if a.Labels["alertname"] != name {
			continue
		}
		for k, v := range labels {
			if a.Labels[k] != v {
				continue alerts
			}
		}
		return a.State
	}
	return ""
}

// A change below --min-stake-change is left to the sweep by design: it must not count as stale in
// avssync_stale_seconds, or AvsSyncStakesStale would page for a hold the operator configured
// (0.1% by default) every day until the sweep.
func TestStaleSecondsLeavesImmaterialToSweep(t *testing.T) {
	// Three operators, so one stale one is no reason to refresh the whole quorum.
	e := newEnv(t, 3, 0)
	port := freePort(t)
	p, err := startDaemon(t, binary, e.watchArgs(port, "--debounce", "300ms", "--min-stake-change", "0.001"),
		append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	e.waitFor("/readyz 200", 60*time.Second, func() bool { return httpStatus(base+"/readyz") == 200 })
	// A stake to measure the change against, stored first.
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the first deposit stored", 30*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	stored, _, err := e.d.Stakes(e.ctx, e.ops[0].Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A ten-thousandth of the stored stake: a change of 0.01%, a tenth of the threshold.
	if _, err := e.ops[0].Deposit(e.ctx, new(big.Int).Div(stored, big.NewInt(10_000))); err != nil {
		t.Fatal(err)
	}
	t.Logf("stored stake %s", stored)
	defer func() {
		if t.Failed() {
			t.Log(p.log())
		}
	}()
	e.waitFor("the change planned as immaterial", 30*time.Second, func() bool {
		return strings.Contains(p.log(), `"immaterial":1`)
	})
	// Give the loop 20 blocks to publish what it knows.
	e.waitBlocks(20)
	if e.fresh(e.ops[0].Address) {
		t.Fatal("the immaterial change was stored: the test proves nothing")
	}
	for _, s := range parseSamples(t, httpBody(t, base+"/metrics")) {
		if s.name == "avssync_stale_seconds" && s.labels["quorum"] == "0" && s.value != 0 {
			t.Errorf("avssync_stale_seconds{quorum=\"0\"} = %g for a change left to the sweep by --min-stake-change", s.value)
		}
	}
	p.stop()
}
