package e2e

import (
	"fmt"
	"os"
	"path/filepath"
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

// A gas window holding an entry dated a year ahead (written while the clock was wrong) would keep
// the budget spent for a year, silently: the entry is ignored with a warning, and updates go out.
func TestGasWindowEntryFromTheFuture(t *testing.T) {
	e := newEnv(t, 1, 0)
	dir := t.TempDir()
	ahead := time.Now().AddDate(1, 0, 0).UTC()
	window := fmt.Sprintf(`[{"at":%q,"gas":10000000}]`, ahead.Format(time.RFC3339Nano))
	if err := os.WriteFile(filepath.Join(dir, "gas-window.json"), []byte(window), 0o600); err != nil {
		t.Fatal(err)
	}
	p := e.startWatch("future-window", e.d.HTTPURL, e.d.WSURL, "--state-dir", dir, "--max-gas-per-day", "5000000", "--debounce", "300ms")
	e.waitUp(p)
	if !p.logged("gas budget window holds entries dated in the future, written while the clock was wrong; ignoring them") {
		t.Fatal("no warning about the entry dated a year ahead")
	}
	if n, _ := p.metric("avssync_gas_budget_exhausted"); n != 0 {
		t.Fatalf("avssync_gas_budget_exhausted %v, want 0", n)
	}
	op := e.ops[0]
	if _, err := op.Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("deposit stored", 60*time.Second, func() bool {
		p.alive(t)
		return e.fresh(op.Address)
	})
	e.waitFor("the update counted in the window", 30*time.Second, func() bool {
		used, _ := p.metric("avssync_gas_used_24h")
		return used > 0
	})
	used, _ := p.metric("avssync_gas_used_24h")
	raw, err := os.ReadFile(filepath.Join(dir, "gas-window.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), ahead.Format(time.DateOnly)) {
		t.Errorf("the window still holds the entry of %s: %s", ahead.Format(time.DateOnly), raw)
	}
	t.Logf("entry of %s ignored; deposit stored, gas_used_24h %v; window now %s", ahead.Format(time.DateOnly), used, strings.TrimSpace(string(raw)))
}
