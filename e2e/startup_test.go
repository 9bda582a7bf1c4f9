package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// A node that answers every HTTP request 503 at start-up: the process stays up, /readyz answers
// 503 saying why (the node's error cut short) and /healthz 200, a few log lines, not one per try;
// once the node answers, it starts, becomes ready and stores a deposit.
func TestStartupOnFailingNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain and avs-sync")
	}
	e := newEnv(t, 2, 0)
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	down := p.Inject(rpcproxy.Fault{HTTPStatus: http.StatusServiceUnavailable, Transport: "http"})
	args := append([]string{"--state-dir", t.TempDir()}, chaosFlags...)
	w := e.startWatch("starting", p.HTTPURL(), p.WSURL(), args...)
	var why string
	e.waitFor("/readyz 503 naming the node's answer", 60*time.Second, func() bool {
		w.alive(t)
		code, body := get(w.metrics + "/readyz")
		why = body
		return code == http.StatusServiceUnavailable && strings.Contains(body, "503")
	})
	t.Logf("/readyz while the node fails: %q", why)
	if len(why) > 400 {
		t.Errorf("/readyz body of %d bytes, want the node's error cut short", len(why))
	}
	if code := httpStatus(w.metrics + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d while starting: the process is not wedged", code)
	}
	// Three tries at least (1 s, then 2 s apart).
	e.waitFor("a third try", 30*time.Second, func() bool { w.alive(t); return p.Hits(down) >= 3 })
	p.Remove(down)
	cleared := e.head()
	e.waitUp(w)
	t.Logf("ready %d blocks after the node answered", e.head()-cleared)
	var lines int
	for _, line := range strings.Split(w.log(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			lines++
		}
	}
	if lines > 4 {
		t.Errorf("%d warning lines for a start-up fault, want a few:\n%s", lines, w.log())
	}
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the deposit stored", 60*time.Second, func() bool { w.alive(t); return e.fresh(e.ops[0].Address) })
}

// get returns a URL's status and body; 0 if it could not be fetched.
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
