package deploy

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Every rule of alerts.yml has a promtool case where it fires and one where it stays quiet, and
// every rule has a severity, a summary and a description naming a first command.
func TestAlertRulesTested(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(read(t, "prometheus/alerts.yml"), &rules); err != nil {
		t.Fatal(err)
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(read(t, "prometheus/alerts_test.yml"), &tests); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]int{}, map[string]int{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname]++
			} else {
				quiet[a.Alertname]++
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if fires[r.Alert] == 0 || quiet[r.Alert] == 0 {
				t.Errorf("%s: %d promtool cases firing, %d quiet; want both", r.Alert, fires[r.Alert], quiet[r.Alert])
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || !strings.Contains(strings.ToLower(r.Annotations["description"]), "first command") {
				t.Errorf("%s: want a summary and a description naming the first command", r.Alert)
			}
		}
	}
	if n == 0 {
		t.Fatal("no rules in alerts.yml")
	}
}

// Every rule's runbook_url links an entry of docs/runbook.md that exists, and every entry there
// is a rule, so the runbook and the rules cannot drift apart.
func TestAlertRunbookEntries(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(read(t, "prometheus/alerts.yml"), &rules); err != nil {
		t.Fatal(err)
	}
	entries := map[string]bool{}
	for _, line := range strings.Split(string(read(t, "../docs/runbook.md")), "\n") {
		if name, ok := strings.CutPrefix(line, "## "); ok {
			entries[strings.ToLower(strings.TrimSpace(name))] = true
		}
	}
	const base = "https://github.com/avs-sync/avs-sync/blob/main/docs/runbook.md#"
	linked := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], base)
			if !ok {
				t.Errorf("%s: runbook_url %q, want %s<entry>", r.Alert, r.Annotations["runbook_url"], base)
				continue
			}
			if !entries[anchor] {
				t.Errorf("%s: runbook_url names #%s, which docs/runbook.md has no entry for", r.Alert, anchor)
			}
			linked[anchor] = true
		}
	}
	for e := range entries {
		if !linked[e] {
			t.Errorf("docs/runbook.md has an entry %q that no rule links", e)
		}
	}
	if len(linked) == 0 {
		t.Fatal("no rule read from alerts.yml")
	}
}
