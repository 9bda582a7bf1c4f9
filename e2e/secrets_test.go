package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// Secret parts of the node URLs: a password, a key in the path and one in the query. The fault
// proxy routes on neither, as a provider's gateway would check them.
const (
	urlPassword = "SECRETPASS456"
	urlPathKey  = "SECRETPATHKEY123"
	urlQueryKey = "SECRETQUERYKEY789"
)

// leaked names the secrets found in text.
func leaked(text string) []string {
	var out []string
	for _, s := range []string{urlPassword, urlPathKey, urlQueryKey} {
		if strings.Contains(text, s) {
			out = append(out, s)
		}
	}
	return out
}

// The node URLs carry a key in their user info, path and query, given with a trailing newline (a
// Kubernetes Secret as an env var) or a trailing space, in the environment or as flags. The
// daemon starts, and while its sends fail and then its reads fail (connections reset, so the
// errors quote the URL), no log line, no /readyz body and no exit message carries any of the
// secrets, while the logs still show the node's host.
func TestSecretsNeverServed(t *testing.T) {
	e := newEnv(t, 1, 0)
	p := e.newProxy()
	keyed := func(base string) string {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s://avsuser:%s@%s/v2/%s?apikey=%s", u.Scheme, urlPassword, u.Host, urlPathKey, urlQueryKey)
	}
	httpURL, wsURL := keyed(p.HTTPURL()), keyed(p.WSURL())
	host := strings.TrimPrefix(p.HTTPURL(), "http://")
	for _, tail := range []string{"\n", " "} {
		for _, via := range []string{"env", "flag"} {
			t.Run(fmt.Sprintf("%s %q", via, tail), func(t *testing.T) {
				e := e.sub(t)
				env := append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey)
				nodeArgs := []string{"--eth-http-url", httpURL + tail, "--eth-ws-url", wsURL + tail}
				if via == "env" {
					env = append(env, "AVS_SYNC_ETH_HTTP_URL="+httpURL+tail, "AVS_SYNC_ETH_WS_URL="+wsURL+tail)
					nodeArgs = nil
				}
				port := freePort(t)
				base := fmt.Sprintf("http://127.0.0.1:%d", port)
				args := append([]string{"watch",
					"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
					"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(),
					"--log-format", "json", "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port),
					"--poll-interval", "100ms", "--debounce", "300ms", "--max-failing-duration", "1s"}, nodeArgs...)
				d, err := startDaemon(t, binary, args, env, nil)
				if err != nil {
					t.Fatal(err)
				}
				var bodies strings.Builder
				readyz := func() int {
					code, body := getBody(base + "/readyz")
					bodies.WriteString(body + "\n")
					return code
				}
				waitReadyz := func(what string, want int) string {
					t.Helper()
					e.waitFor(what, 60*time.Second, func() bool {
						if !d.running() {
							t.Fatalf("exited (%v), leaking %v:\n%s", d.err, leaked(d.log()), d.log())
						}
						return readyz() == want
					})
					_, body := getBody(base + "/readyz")
					return body
				}
				waitReadyz("/readyz 200", http.StatusOK)

				// Sends failing: every eth_sendRawTransaction's connection reset.
				sends := p.Inject(rpcproxy.Fault{Method: "eth_sendRawTransaction", Reset: true})
				if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
					t.Fatal(err)
				}
				body := waitReadyz("/readyz 503 while sends fail", http.StatusServiceUnavailable)
				if !strings.Contains(body, "sends failing") {
					t.Errorf("/readyz while sends fail: %q, want it to say sends are failing", body)
				}
				e.waitFor("a send's error, quoting the URL, logged", 30*time.Second, func() bool { return strings.Contains(d.log(), host+"/v2/") })
				if p.Hits(sends) == 0 {
					t.Fatal("no send met the fault")
				}
				p.Clear()
				waitReadyz("/readyz 200 once sends land", http.StatusOK)

				// Reads failing: every HTTP request's connection reset.
				logged := strings.Count(d.log(), host+"/v2/")
				reads := p.Inject(rpcproxy.Fault{Transport: "http", Reset: true})
				if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
					t.Fatal(err)
				}
				body = waitReadyz("/readyz 503 while reads fail", http.StatusServiceUnavailable)
				e.waitFor("a read's error, quoting the URL, logged", 30*time.Second, func() bool { return strings.Count(d.log(), host+"/v2/") > logged })
				if p.Hits(reads) == 0 {
					t.Fatal("no read met the fault")
				}

				// An exit message, with the same node unreachable.
				ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
				defer cancel()
				sweep := exec.CommandContext(ctx, binary, append([]string{"sweep",
					"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
					"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(),
					"--log-format", "json", "--reader-timeout-duration", "2s"}, nodeArgs...)...)
				sweep.Env = env
				out, err := sweep.CombinedOutput()
				if err == nil || !strings.Contains(string(out), host) {
					t.Errorf("sweep against a node resetting every connection: %v, want an error naming the node:\n%s", err, out)
				}
				p.Clear()
				d.stop()

				for what, text := range map[string]string{"log": d.log(), "/readyz bodies": bodies.String(), "exit message": string(out)} {
					if l := leaked(text); len(l) > 0 {
						t.Errorf("%s carries %v:\n%s", what, l, text)
					}
				}
				t.Logf("/readyz while reads failed: %q; %d log lines quote the node's URL, redacted", strings.TrimSpace(body), strings.Count(d.log(), host+"/v2/"))
			})
		}
	}
}

// getBody is a GET's status and body (0 and "" when it fails).
func getBody(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
