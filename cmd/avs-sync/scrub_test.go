package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
)

// Secret parts of a node URL used in the tests below: a password, a key in the path and one in
// the query.
const (
	testPassword = "SECRETPASS456"
	testPathKey  = "SECRETPATHKEY123"
	testQueryKey = "SECRETQUERYKEY789"
)

var testURL = "http://avsuser:" + testPassword + "@127.0.0.1:8545/v2/" + testPathKey + "?apikey=" + testQueryKey

// leaks names the secret parts of testURL found in text.
func leaks(text string) []string {
	var out []string
	for _, s := range []string{testPassword, testPathKey, testQueryKey} {
		if strings.Contains(text, s) {
			out = append(out, s)
		}
	}
	return out
}

// Whatever the URL was given with around it, and however an error renders it, no secret part
// of it survives, and the node's host still shows.
func TestScrubberURLForms(t *testing.T) {
	for _, tail := range []string{"", "\n", " ", " \n", "\r\n\t"} {
		raw := testURL + tail
		trimmed := strings.TrimSpace(raw)
		u, err := url.Parse(trimmed)
		if err != nil {
			t.Fatal(err)
		}
		spaced, _ := url.Parse("http://avsuser:" + testPassword + "@127.0.0.1:8545/v2/" + testPathKey + " ")
		j, _ := json.Marshal(raw)
		texts := map[string]string{
			"as typed":              "dial " + raw + ": refused",
			"quoted":                fmt.Sprintf("--eth-http-url: %q is not a URL", raw),
			"trimmed":               "node " + trimmed + " unreachable",
			"HTTP client error":     (&url.Error{Op: "Post", URL: u.Redacted(), Err: io.EOF}).Error(),
			"url.URL.String":        "connect to " + u.String(),
			"trailing space as %20": "connect to " + spaced.String(),
			"JSON":                  string(j),
			"query escaped":         "next=" + url.QueryEscape(trimmed),
			"parts alone":           "key " + testPathKey + " and " + testQueryKey + " and " + testPassword,
		}
		s := newScrubber([]secretValue{{v: raw, url: true}})
		for name, text := range texts {
			got := s.String(text)
			if l := leaks(got); len(l) > 0 {
				t.Errorf("tail %q, %s: %v survive in %q", tail, name, l, got)
			}
			if name != "parts alone" && name != "query escaped" && !strings.Contains(got, "127.0.0.1:8545") {
				t.Errorf("tail %q, %s: the host is gone from %q", tail, name, got)
			}
		}
	}
}

// Short path segments and query values (a version, a network name) are no secrets and stay.
func TestScrubberLeavesShortParts(t *testing.T) {
	s := newScrubber([]secretValue{{v: "https://eth.example.com/v3/mainnet?x=1", url: true}})
	text := "block 7 on mainnet, tx v3"
	if got := s.String(text); got != text {
		t.Errorf("%q became %q", text, got)
	}
	// Nor is a value too short to be a URL, given by mistake.
	s = newScrubber([]secretValue{{v: "x", url: true}})
	text = "block 7 on mainnet, tx v3"
	if got := s.String(text); got != text {
		t.Errorf("%q became %q", text, got)
	}
}

// A key given with a newline or a 0x is hidden in every form.
func TestScrubberKeyForms(t *testing.T) {
	const key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
	s := newScrubber([]secretValue{{v: key + "\n"}})
	for _, text := range []string{key, "0x" + key, fmt.Sprintf("%q", key+"\n")} {
		if got := s.String(text); strings.Contains(got, key) {
			t.Errorf("%q survives as %q", text, got)
		}
	}
}

// Through the command: a node URL with a key in its user info, path and query, given with a
// trailing newline or space, in a flag or in the environment, exits with an error naming the
// node's host and none of its secrets; a URL that landed where kong did not expect one is
// redacted too.
func TestSecretsScrubbedAnyInput(t *testing.T) {
	common := []string{"--log-format", "json",
		"--registry-coordinator-addr", "0x95401dc811bb5740090279Ba06cfA8fcF6113778",
		"--operator-state-retriever-addr", "0x0E801D84Fa97b50751Dbf25036d067dCf18858bF",
		"--ecdsa-private-key", "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"}
	unreachable := strings.Replace(testURL, "8545", "1", 1)
	for _, tail := range []string{"\n", " "} {
		for _, via := range []string{"flag", "env"} {
			t.Run(fmt.Sprintf("%s %q", via, tail), func(t *testing.T) {
				args := append([]string{"sweep"}, common...)
				if via == "flag" {
					args = append(args, "--eth-http-url", unreachable+tail)
				} else {
					t.Setenv("AVS_SYNC_ETH_HTTP_URL", unreachable+tail)
				}
				var out strings.Builder
				code := run(t.Context(), args, &out, &out)
				if code == 0 {
					t.Fatal("exit 0 with an unreachable node")
				}
				if l := leaks(out.String()); len(l) > 0 {
					t.Fatalf("%v reached the output:\n%s", l, out.String())
				}
				if !strings.Contains(out.String(), "unreachable") || !strings.Contains(out.String(), "127.0.0.1:1") {
					t.Fatalf("exit %d without the node's host: the URL was not taken as given:\n%s", code, out.String())
				}
			})
		}
	}
	for name, args := range map[string][]string{
		"unexpected argument": {"watch", testURL},
		"URL to another flag": {"watch", "--chain-id", testURL},
		"key to another flag": {"watch", "--chain-id", "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},
	} {
		var out strings.Builder
		if code := run(t.Context(), args, &out, &out); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		if l := leaks(out.String()); len(l) > 0 || strings.Contains(out.String(), "ac0974bec39a17e3") {
			t.Errorf("%s: a secret reached the output:\n%s", name, out.String())
		}
	}
}
