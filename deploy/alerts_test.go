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
