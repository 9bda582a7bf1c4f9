package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Two processes on one --state-dir would send with one key and count only their own gas: the
// second of any sending command exits at once, non-zero, with one line naming the holder, and
// sends nothing. Once the holder stops, the state directory is free again.
func TestStateDirLockedByOneProcess(t *testing.T) {
	e := newEnv(t, 1, 0)
	dir := t.TempDir()
	first := e.startWatch("holder", e.d.HTTPURL, e.d.WSURL, "--state-dir", dir)
	e.waitUp(first)
	holder := fmt.Sprintf("pid %d", first.cmd.Process.Pid)
	nonce := func() uint64 {
		n, err := e.eth.NonceAt(e.ctx, e.sender, nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := nonce()
	key := []string{"--state-dir", dir, "--ecdsa-private-key", e.senderKey}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"watch", append(append([]string{"watch"}, e.baseArgs()...), append(key, "--metrics-addr", "")...)},
		{"sweep", append(append([]string{"sweep"}, e.baseArgs()...), key...)},
		{"bare command", append(append(e.baseArgs(), "--sync-interval", "0", "--metrics-addr", ""), key...)},
	} {
		cmd := c.args
		t.Run(c.name, func(t *testing.T) {
			e := e.sub(t)
			start := time.Now()
			r := e.runCLI(cmd...)
			took := time.Since(start)
			if r.code == 0 {
				t.Fatalf("second process on the state directory exited 0:\n%s", r.stderr)
			}
			if n := errorLines(r.stderr); n != 1 {
				t.Errorf("%d error lines, want 1:\n%s", n, r.stderr)
			}
			if !strings.Contains(r.stderr, holder) || !strings.Contains(r.stderr, "is held by") {
				t.Errorf("exit message does not name the holder (%s):\n%s", holder, r.stderr)
			}
			t.Logf("exit %d after %v: %s", r.code, took.Round(time.Millisecond), strings.TrimSpace(r.stderr))
		})
	}
	first.alive(t)
	if n := nonce(); n != before {
		t.Errorf("the sender's nonce moved %d -> %d while only the holder may send", before, n)
	}
	first.stop(t)
	r := e.runCLI(append(append([]string{"sweep"}, e.baseArgs()...), key...)...)
	if r.code != 0 {
		t.Fatalf("sweep after the holder stopped: exit %d:\n%s", r.code, r.stderr)
	}
}
