package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dashboard is the part of the Grafana dashboard the tests read.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

// panel is one panel of the dashboard.
type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(read(t, "grafana/avs-sync.json"), &d); err != nil {
		t.Fatalf("grafana/avs-sync.json is not a dashboard: %v", err)
	}
	return d
}

// The dashboard is well formed: unique panel ids and titles, panels inside the 24-column grid,
// every query on the data source variable, every query a valid PromQL expression (checked by
// promtool when installed). The e2e test TestDeployMetricsExported checks that every metric it
// names is exported.
func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard without uid or title")
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	for _, v := range []string{"datasource", "job", "instance"} {
		if !vars[v] {
			t.Errorf("no $%s variable", v)
		}
	}
	ids, titles := map[int]bool{}, map[string]bool{}
	var exprs []string
	for _, p := range d.Panels {
		if ids[p.ID] || titles[p.Title] {
			t.Errorf("panel %d %q: duplicate id or title", p.ID, p.Title)
		}
		ids[p.ID], titles[p.Title] = true, true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside the grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %q, %d queries", p.Title, p.Datasource.UID, len(p.Targets))
		}
		refs := map[string]bool{}
		for _, q := range p.Targets {
			if q.Expr == "" || q.RefID == "" || refs[q.RefID] {
				t.Errorf("panel %q: query %+v without expression or with a duplicate refId", p.Title, q)
			}
			refs[q.RefID] = true
			if !strings.Contains(q.Expr, `job=~"$job"`) || !strings.Contains(q.Expr, `instance=~"$instance"`) {
				t.Errorf("panel %q: %s does not follow the $job and $instance variables", p.Title, q.Expr)
			}
			exprs = append(exprs, q.Expr)
		}
	}
	checkPromQL(t, exprs)
	t.Logf("%d panels, %d queries", len(d.Panels), len(exprs))
}

// checkPromQL has promtool parse each expression, Grafana's variables replaced, as a recording
// rule.
func checkPromQL(t *testing.T, exprs []string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("SKIPPED the PromQL syntax check of the dashboard: promtool not installed (apt-get install prometheus)")
		return
	}
	grafana := strings.NewReplacer("$__rate_interval", "5m", "$job", ".+", "$instance", ".+")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range exprs {
		q, _ := json.Marshal(grafana.Replace(e))
		fmt.Fprintf(&b, "      - record: dashboard:query%d\n        expr: %s\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool rejects a dashboard query: %v\n%s", err, out)
	}
}

// requiredPanel is a panel the dashboard must keep: found by its title and by the metric (and,
// where the panel splits by label, the grouping) one of its queries reads.
type requiredPanel struct {
	what, title, metric, by string
}

// requiredPanels are the panels an operator reads first (issue: staleness per quorum, events
// and updates over time, gas and fees per day, transactions by kind and status, RPC requests by
// method, watcher lag, balance).
var requiredPanels = []requiredPanel{
	{"staleness per quorum", "Staleness per quorum", "avssync_stale_seconds", "quorum"},
	{"events over time", "Events by kind", "avssync_events_total", "kind"},
	{"updates over time", "Updates", "avssync_transactions_total", "kind"},
	{"gas spent per day", "Gas per day", "avssync_gas_used_total", ""},
	{"fees spent per day", "Fees per day", "avssync_fees_paid_eth_total", ""},
	{"transactions by kind and status", "Transactions by kind and status", "avssync_transactions_total", "kind, status"},
	{"RPC requests by method", "RPC requests by method", "eigen_rpc_request_total", "method"},
	{"watcher lag", "Watcher lag", "avssync_blocks_behind_head", ""},
	{"sender balance", "Sender balance", "avssync_sender_balance_eth", ""},
}

// readsMetric reports whether expr selects metric by name (not a longer name it prefixes).
func readsMetric(expr, metric string) bool {
	return regexp.MustCompile(`(^|[^a-zA-Z0-9_:])` + regexp.QuoteMeta(metric) + `($|[^a-zA-Z0-9_:])`).MatchString(expr)
}

// missingPanels returns the required panels d lacks: no time-series panel with the title whose
// queries read the metric (grouped by the labels, where given).
func missingPanels(d dashboard) []string {
	var missing []string
	for _, r := range requiredPanels {
		found := false
		for _, p := range d.Panels {
			if p.Title != r.title || p.Type != "timeseries" {
				continue
			}
			for _, q := range p.Targets {
				if readsMetric(q.Expr, r.metric) && (r.by == "" || strings.Contains(q.Expr, "by ("+r.by+")")) {
					found = true
				}
			}
		}
		if !found {
			m := fmt.Sprintf("%s: a time series %q reading %s", r.what, r.title, r.metric)
			if r.by != "" {
				m += " by (" + r.by + ")"
			}
			missing = append(missing, m)
		}
	}
	return missing
}

// The dashboard keeps every panel an operator reads first, each found by its title and the metric
// its query reads; and dropping any one of them, or pointing its query at another metric, is
// noticed.
func TestDashboardRequiredPanels(t *testing.T) {
	d := readDashboard(t)
	if m := missingPanels(d); len(m) > 0 {
		t.Fatalf("the dashboard lacks:\n  %s", strings.Join(m, "\n  "))
	}
	for _, r := range requiredPanels {
		without := d
		without.Panels = slices.DeleteFunc(slices.Clone(d.Panels), func(p panel) bool { return p.Title == r.title })
		if m := missingPanels(without); !slices.ContainsFunc(m, func(s string) bool { return strings.HasPrefix(s, r.what+":") }) {
			t.Errorf("removing panel %q goes unnoticed", r.title)
		}
		renamed := d
		renamed.Panels = slices.Clone(d.Panels)
		for i, p := range renamed.Panels {
			if p.Title == r.title {
				p.Targets = slices.Clone(p.Targets)
				for j := range p.Targets {
					p.Targets[j].Expr = strings.ReplaceAll(p.Targets[j].Expr, r.metric, r.metric+"_other")
				}
				renamed.Panels[i] = p
			}
		}
		if m := missingPanels(renamed); !slices.ContainsFunc(m, func(s string) bool { return strings.HasPrefix(s, r.what+":") }) {
			t.Errorf("panel %q reading another metric than %s goes unnoticed", r.title, r.metric)
		}
	}
}
