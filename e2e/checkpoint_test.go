package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The checkpoint is optional (the start-up check of every operator catches what happened while
// avs-sync was down), so its faults are warnings and a metric, never a stop: a corrupt checkpoint
// is set aside and the watch starts at the head; a state directory it cannot write keeps it
// running, counting each failed write. Either way a deposit is still applied.
func TestCheckpointFaults(t *testing.T) {
	e := newEnv(t, 2, 0)
	tests := []struct {
		name   string
		layout func(dir string)
		// writes: checkpoint writes succeed once the fault is in place
		writes bool
	}{
		{"corrupt checkpoint", func(dir string) {
			os.WriteFile(filepath.Join(dir, "checkpoint.json"), []byte(`{"chain_id":31337,"block":12,"ha`), 0o644)
		}, true},
		{"checkpoint of unknown format", func(dir string) {
			os.WriteFile(filepath.Join(dir, "checkpoint.json"), []byte("\x00\x01garbage"), 0o644)
		}, true},
		// The path is a directory with an entry: neither read nor replaced, even by root.
		{"checkpoint cannot be read or written", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "checkpoint.json", "x"), 0o755)
		}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.sub(t)
			dir := t.TempDir()
			tt.layout(dir)
			p := e.startWatch("checkpoint", e.d.HTTPURL, e.d.WSURL, "--state-dir", dir, "--debounce", "300ms")
			e.waitUp(p)
			if n, _ := p.metric("avssync_checkpoint_errors_total"); n < 1 {
				t.Fatalf("avssync_checkpoint_errors_total %v after a bad checkpoint, want at least 1", n)
			}
			op := e.ops[i%len(e.ops)]
			if _, err := op.Deposit(e.ctx, eth(1)); err != nil {
				t.Fatal(err)
			}
			e.waitFor("deposit applied", 30*time.Second, func() bool {
				p.alive(t)
				return e.fresh(op.Address)
			})
			if tt.writes {
				e.waitFor("a good checkpoint written", 10*time.Second, func() bool {
					raw, err := os.ReadFile(filepath.Join(dir, "checkpoint.json"))
					return err == nil && len(raw) > 0 && raw[0] == '{' && raw[len(raw)-2] == '}'
				})
			} else if n, _ := p.metric("avssync_checkpoint_errors_total"); n < 2 {
				t.Fatalf("avssync_checkpoint_errors_total %v after blocks of failed writes, want the writes counted", n)
			}
			p.stop(t)
			if !p.logged("checkpoint unusable; starting from the start-up check") {
				t.Errorf("no warning about the checkpoint in the log")
			}
		})
	}
}
