package syncer

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGasBudgetWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	dir := t.TempDir()
	g, err := newGasBudget(1_000_000, 0, dir, clock, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Exhausted() {
		t.Fatal("empty window exhausted")
	}
	for _, gas := range []uint64{400_000, 400_000} {
		if err := g.add(gas); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	if g.Exhausted() || g.Used() != 800_000 {
		t.Fatalf("used %d exhausted %v, want 800000 and not exhausted", g.Used(), g.Exhausted())
	}
	if err := g.add(300_000); err != nil {
		t.Fatal(err)
	}
	if !g.Exhausted() {
		t.Fatal("1.1M of 1M not exhausted")
	}
	// The first spend (t0) expires at t0+24h, leaving 700k: available again then.
	if want := t0.Add(24 * time.Hour); !g.FreesAt().Equal(want) {
		t.Fatalf("frees at %v, want %v", g.FreesAt(), want)
	}

	// A restart keeps the window.
	again, err := newGasBudget(1_000_000, 0, dir, clock, nil, nil)
	if err != nil || again.Used() != 1_100_000 || !again.Exhausted() {
		t.Fatalf("after restart: used %d, err %v; want 1100000 exhausted", again.Used(), err)
	}
	now = t0.Add(24*time.Hour + time.Second)
	if again.Exhausted() || again.Used() != 700_000 {
		t.Fatalf("a day later: used %d, want 700000 and available", again.Used())
	}

	// A corrupt file starts an empty window, with an error to log.
	if err := os.WriteFile(filepath.Join(dir, budgetFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if g, err := newGasBudget(1, 0, dir, clock, nil, nil); err == nil || g.Used() != 0 {
		t.Fatalf("corrupt window: used %d, err %v; want 0 and an error", g.Used(), err)
	}
	// Unlimited is never exhausted.
	if g, _ := newGasBudget(0, 0, "", clock, nil, nil); g.add(1<<40) != nil || g.Exhausted() {
		t.Fatal("unlimited budget exhausted")
	}
}

// A transaction held back for not fitting what remains keeps the budget spent until the window
// has room for it, so the loop does not hand the same work out again and again meanwhile.
func TestGasBudgetNeed(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	now := t0
	g, err := newGasBudget(1_000_000, 0, "", func() time.Time { return now }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.add(300_000)
	now = now.Add(time.Hour)
	g.add(400_000)
	if g.Exhausted() {
		t.Fatal("700k of 1M exhausted with nothing held back")
	}
	g.setNeed(450_000, 1)
	if !g.Exhausted() {
		t.Fatal("700k of 1M with a 450k transaction held back: not exhausted")
	}
	// The 300k spend leaves the window at t0+24h: 400k + 450k fits then.
	if want := t0.Add(24 * time.Hour); !g.FreesAt().Equal(want) {
		t.Fatalf("frees at %v, want %v", g.FreesAt(), want)
	}
	g.setNeed(0, 1)
	if g.Exhausted() {
		t.Fatal("exhausted after the held transaction went out")
	}
}

// Two budgets on one state directory (two processes, or a restart overlapping the old one):
// every write succeeds, and the file is always a whole window.
func TestGasBudgetSharedDirWrites(t *testing.T) {
	dir := t.TempDir()
	clock := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	var gs [2]*gasBudget
	for i := range gs {
		g, err := newGasBudget(0, 0, dir, clock, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		gs[i] = g
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*200)
	for _, g := range gs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if err := g.add(21_000); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("write: %v", err)
	}
	again, err := newGasBudget(0, 0, dir, clock, nil, nil)
	if err != nil || again.Used() != 200*21_000 {
		t.Fatalf("window read back: used %d, err %v; want %d (one writer's whole window)", again.Used(), err, 200*21_000)
	}
	st, err := os.Stat(filepath.Join(dir, budgetFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("window file mode %v, err %v; want 0600", st.Mode().Perm(), err)
	}
}

// An entry dated beyond now (a clock that was ahead when it was written) is ignored with a
// warning: it would hold the budget spent until that date. A clock stepped back by less than the
// tolerance keeps its entries.
func TestGasBudgetIgnoresFutureEntries(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		at       []time.Duration // entries of 600k gas each, relative to now
		wantUsed uint64
		warned   bool
	}{
		{"a year ahead", []time.Duration{365 * 24 * time.Hour}, 0, true},
		{"an hour ahead among past entries", []time.Duration{-2 * time.Hour, time.Hour}, 600_000, true},
		{"ahead after an entry of the past", []time.Duration{time.Hour, -30 * time.Minute}, 600_000, true},
		{"within the tolerance", []time.Duration{time.Minute}, 600_000, false},
		{"expired and current", []time.Duration{-25 * time.Hour, -time.Hour}, 600_000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var spends []spend
			for _, d := range tt.at {
				spends = append(spends, spend{At: now.Add(d), Gas: 600_000})
			}
			raw, _ := json.Marshal(spends)
			if err := os.WriteFile(filepath.Join(dir, budgetFile), raw, 0o600); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			g, err := newGasBudget(1_000_000, 0, dir, func() time.Time { return now }, nil, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Used(); got != tt.wantUsed {
				t.Errorf("used %d, want %d", got, tt.wantUsed)
			}
			if g.Exhausted() {
				t.Error("budget exhausted")
			}
			if warned := strings.Contains(logs.String(), "dated in the future"); warned != tt.warned {
				t.Errorf("warned %v, want %v; log:\n%s", warned, tt.warned, logs.String())
			}
		})
	}
}

// A transaction held back for its pace share keeps the budget paced, not spent, until the window
// holds less than its share: other work still goes.
func TestGasBudgetPace(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	g, err := newGasBudget(1_000_000, 0, "", func() time.Time { return now }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.add(600_000)
	g.setNeed(200_000, 0.55)
	if g.Exhausted() || !g.Paced() {
		t.Fatalf("600k of 1M, 200k held back for a 0.55 share: exhausted %v paced %v, want false true", g.Exhausted(), g.Paced())
	}
	// Another change goes out: the paced one still waits for its share.
	g.sent()
	if !g.Paced() {
		t.Fatal("a send cleared the pace of a change it did not carry")
	}
	// A less valuable change paced meanwhile: the budget waits for the larger share.
	g.setNeed(200_000, 0.52)
	if g.needShare != 0.55 {
		t.Fatalf("paced for a share of %v, want the larger 0.55", g.needShare)
	}
	// The cron's bill grows: 600k is less than 0.55 of 1.2M.
	g.setLimit(1_200_000)
	if g.Paced() {
		t.Fatal("still paced with room within the share")
	}
	g.setLimit(1_000_000)
	g.setNeed(0, 1)
	if g.Paced() || g.Exhausted() {
		t.Fatal("paced or exhausted after the held transaction went out")
	}
	// A share of 1 (or none given) is the budget's own need, cleared by the send that carries it.
	g.setNeed(500_000, 0)
	if !g.Exhausted() || g.Paced() {
		t.Fatalf("600k + 500k of 1M: exhausted %v paced %v, want true false", g.Exhausted(), g.Paced())
	}
	g.sent()
	if g.Exhausted() {
		t.Fatal("exhausted after the held transaction went out")
	}
	if left, limit, ok := g.LeftAndLimit(); !ok || left != 400_000 || limit != 1_000_000 {
		t.Fatalf("left %d of %d (%v), want 400000 of 1000000", left, limit, ok)
	}
}
