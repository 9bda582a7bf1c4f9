package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/devnet"
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

// A checkpoint far above the node's head (a testnet reset under the same chain id) has no block
// to be checked against: it is a warning, the watch starts from the start-up check, and a later
// deposit is stored, instead of every read failing below a "deep reorganisation".
func TestCheckpointAboveHead(t *testing.T) {
	e := newEnv(t, 1, 0)
	dir := t.TempDir()
	above := e.head() + 1_000_000_000
	cp := fmt.Sprintf(`{"chain_id":%d,"block":%d,"hash":"0x%064x"}`, devnet.ChainID, above, 1)
	if err := os.WriteFile(filepath.Join(dir, "checkpoint.json"), []byte(cp), 0o600); err != nil {
		t.Fatal(err)
	}
	p := e.startWatch("checkpoint-above-head", e.d.HTTPURL, e.d.WSURL, "--state-dir", dir, "--debounce", "300ms")
	e.waitUp(p)
	if !p.logged("checkpoint unusable; starting from the start-up check") || !strings.Contains(p.log(), "above the node's head") {
		t.Fatal("no warning that the checkpoint is above the node's head")
	}
	if n, _ := p.metric("avssync_checkpoint_errors_total"); n < 1 {
		t.Errorf("avssync_checkpoint_errors_total %v, want at least 1", n)
	}
	op := e.ops[0]
	rec, err := op.Deposit(e.ctx, eth(1))
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("deposit stored", 60*time.Second, func() bool {
		p.alive(t)
		return e.fresh(op.Address)
	})
	var saved struct{ Block uint64 }
	e.waitFor("checkpoint rewritten on the node's chain", 30*time.Second, func() bool {
		raw, err := os.ReadFile(filepath.Join(dir, "checkpoint.json"))
		return err == nil && json.Unmarshal(raw, &saved) == nil && saved.Block >= receiptBlock(rec) && saved.Block < above
	})
	t.Logf("checkpoint at block %d set aside; deposit at block %d stored; checkpoint now at block %d", above, receiptBlock(rec), saved.Block)
}
