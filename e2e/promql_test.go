package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// selector is one series selector of a PromQL expression: a metric name and its label matchers.
type selector struct {
	name     string
	matchers []matcher
}

type matcher struct {
	label, op, value string
}

func (s selector) String() string {
	var ms []string
	for _, m := range s.matchers {
		ms = append(ms, fmt.Sprintf("%s%s%q", m.label, m.op, m.value))
	}
	if len(ms) == 0 {
		return s.name
	}
	return s.name + "{" + strings.Join(ms, ",") + "}"
}

// PromQL words that are not metric names: aggregations (which may be followed by by/without
// before their parenthesis), binary operators and modifiers. Functions are recognised by the
// parenthesis that follows them.
var (
	aggregations = []string{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"}
	keywords     = []string{"and", "or", "unless", "bool", "offset"}
	labelLists   = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}
)

// selectors returns the series selectors of a PromQL expression. It reads what the rules and the
// dashboard use (selectors with matchers, ranges, functions, aggregations with by/without, vector
// matching); it is not a full PromQL parser, and fails on what it does not understand.
func selectors(expr string) ([]selector, error) {
	var out []selector
	i := 0
	skipSpace := func() {
		for i < len(expr) && strings.ContainsRune(" \t\r\n", rune(expr[i])) {
			i++
		}
	}
	ident := func() string {
		start := i
		for i < len(expr) && (isIdentStart(expr[i]) || expr[i] >= '0' && expr[i] <= '9') {
			i++
		}
		return expr[start:i]
	}
	for {
		skipSpace()
		if i >= len(expr) {
			return out, nil
		}
		c := expr[i]
		switch {
		case isIdentStart(c):
			word := ident()
			skipSpace()
			next := byte(0)
			if i < len(expr) {
				next = expr[i]
			}
			switch {
			case slices.Contains(labelLists, word):
				if next != '(' {
					return nil, fmt.Errorf("%q at %d: %s without a label list", expr, i, word)
				}
				end := strings.IndexByte(expr[i:], ')')
				if end < 0 {
					return nil, fmt.Errorf("%q: unclosed %s list", expr, word)
				}
				i += end + 1
			case next == '(' || slices.Contains(aggregations, word) || slices.Contains(keywords, word):
				// A function, an aggregation or an operator: its arguments are read next.
			default:
				s := selector{name: word}
				if next == '{' {
					ms, n, err := matchers(expr[i:])
					if err != nil {
						return nil, fmt.Errorf("%q: %w", expr, err)
					}
					s.matchers, i = ms, i+n
				}
				out = append(out, s)
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(expr) && (isIdentStart(expr[i]) || expr[i] >= '0' && expr[i] <= '9' || expr[i] == '.') {
				i++
			}
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("%q: unclosed range", expr)
			}
			i += end + 1
		case c == '"' || c == '\'':
			_, n, err := quoted(expr[i:])
			if err != nil {
				return nil, fmt.Errorf("%q: %w", expr, err)
			}
			i += n
		case c == '{':
			return nil, fmt.Errorf("%q at %d: a selector without a metric name", expr, i)
		case strings.IndexByte("()+-*/%^=!<>,", c) >= 0:
			i++
		default:
			return nil, fmt.Errorf("%q at %d: unexpected %q", expr, i, c)
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// matchers reads {label op "value", ...} and reports how many bytes it took.
func matchers(s string) ([]matcher, int, error) {
	var out []matcher
	i := 1
	for {
		for i < len(s) && strings.ContainsRune(" \t\n,", rune(s[i])) {
			i++
		}
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unclosed matchers %q", s)
		}
		if s[i] == '}' {
			return out, i + 1, nil
		}
		start := i
		for i < len(s) && (isIdentStart(s[i]) || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		m := matcher{label: s[start:i]}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		for _, op := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(s[i:], op) {
				m.op = op
				break
			}
		}
		if m.label == "" || m.op == "" {
			return nil, 0, fmt.Errorf("bad matcher at %q", s[start:])
		}
		i += len(m.op)
		for i < len(s) && s[i] == ' ' {
			i++
		}
		v, n, err := quoted(s[i:])
		if err != nil {
			return nil, 0, err
		}
		m.value = v
		i += n
		out = append(out, m)
	}
}

// quoted reads a PromQL string literal.
func quoted(s string) (string, int, error) {
	if s == "" || (s[0] != '"' && s[0] != '\'') {
		return "", 0, fmt.Errorf("want a string at %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case s[0]:
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unclosed string %q", s)
}

func TestSelectors(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`up{job="avs-sync"} == 0`, []string{`up{job="avs-sync"}`}},
		{`absent(up{job="avs-sync"})`, []string{`up{job="avs-sync"}`}},
		{`avssync_stale_seconds > 3600`, []string{`avssync_stale_seconds`}},
		{`max by (quorum) (avssync_stale_seconds{job=~"$job",instance=~"$instance"})`, []string{`avssync_stale_seconds{job=~"$job",instance=~"$instance"}`}},
		{"sum by (job, instance) (increase(avssync_transactions_total{status!=\"succeed\"}[1h])) >= 3\nand\nsum by (job, instance) (increase(avssync_transactions_total{status=\"succeed\"}[1h]))",
			[]string{`avssync_transactions_total{status!="succeed"}`, `avssync_transactions_total{status="succeed"}`}},
		{`avssync_sender_balance_eth / (rate(avssync_fees_paid_eth_total[1d]) > 0) < 3 * 86400`, []string{`avssync_sender_balance_eth`, `avssync_fees_paid_eth_total`}},
		{`histogram_quantile(0.95, sum by (le) (rate(avssync_event_to_update_seconds_bucket{job=~"$job"}[$__rate_interval])))`, []string{`avssync_event_to_update_seconds_bucket{job=~"$job"}`}},
		{`label_values(avssync_last_processed_block{job=~"$job"}, instance)`, []string{`avssync_last_processed_block{job=~"$job"}`, `instance`}},
		{`a * on (instance) group_left (quorum) b offset 5m`, []string{`a`, `b`}},
	}
	for _, tt := range tests {
		got, err := selectors(tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		var s []string
		for _, g := range got {
			s = append(s, g.String())
		}
		if !slices.Equal(s, tt.want) {
			t.Errorf("selectors(%s) = %v, want %v", tt.expr, s, tt.want)
		}
	}
	if _, err := selectors(`sum(x{a="b"`); err == nil {
		t.Error("no error for unclosed matchers")
	}
}

// alertRules reads deploy/prometheus/alerts.yml.
func alertRules(t *testing.T) (raw []byte, rules []struct{ Alert, Expr string }) {
	t.Helper()
	raw, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string } `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	return raw, rules
}

// dashboardQueries returns every PromQL expression of deploy/grafana/avs-sync.json: panel queries
// and the variables' label_values queries.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../deploy/grafana/avs-sync.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct{ Expr string } `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Query any `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			out = append(out, q.Expr)
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
	for _, v := range d.Templating.List {
		q, _ := v.Query.(map[string]any)
		if s, _ := q["query"].(string); s != "" {
			m := labelValues.FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("dashboard variable query %q: want label_values(selector, label)", s)
			}
			out = append(out, m[1])
		}
	}
	return out
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)`)

// parseSamples reads the text format served on /metrics.
func parseSamples(t *testing.T, text string) []sample {
	t.Helper()
	var out []sample
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unreadable /metrics line %q", line)
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		if m[3] != "" {
			ms, _, err := matchers("{" + m[3] + "}")
			if err != nil {
				t.Fatalf("/metrics line %q: %v", line, err)
			}
			for _, l := range ms {
				s.labels[l.label] = l.value
			}
		}
		out = append(out, s)
	}
	return out
}

// Labels Prometheus attaches when it scrapes (or histograms add), so absent from /metrics.
var scrapeLabels = []string{"job", "instance", "le"}

// satisfied reports whether some sample matches sel. Matchers on scrape labels and on Grafana
// variables ($job) are left to Prometheus and Grafana.
func satisfied(sel selector, samples []sample) bool {
	for _, s := range samples {
		if s.name != sel.name {
			continue
		}
		ok := true
		for _, m := range sel.matchers {
			if slices.Contains(scrapeLabels, m.label) || strings.Contains(m.value, "$") {
				continue
			}
			v := s.labels[m.label]
			switch m.op {
			case "=":
				ok = ok && v == m.value
			case "!=":
				ok = ok && v != m.value
			case "=~", "!~":
				re := regexp.MustCompile("^(?:" + m.value + ")$")
				ok = ok && re.MatchString(v) == (m.op == "=~")
			}
		}
		if ok {
			return true
		}
	}
	return false
}
