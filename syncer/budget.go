package syncer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/metricsreg"
	"github.com/avs-sync/avs-sync/internal/statefile"
)

// DefaultBudgetWindow is the span of the rolling gas budget (--max-gas-per-day's day).
const DefaultBudgetWindow = 24 * time.Hour

// clockTolerance is how far in the future an entry of the window may be dated (a clock stepped
// back by NTP) before it is taken for the mark of a clock that was wrong, and ignored.
const clockTolerance = 5 * time.Minute

// budgetFile holds the budget's window in --state-dir, so a restart loop cannot reset it.
const budgetFile = "gas-window.json"

// gasBudget is the rolling 24-hour window of gas used by mined stake updates, against
// --max-gas-per-day. The loop goroutine reads it; the sender reports every receipt it sees into
// it (spent), from the goroutine sending: mu guards the window.
type gasBudget struct {
	mu sync.Mutex
	// limit is the most gas the window may hold before only deadline work goes out; 0 = unlimited.
	limit uint64
	// window is the span of the rolling window (DefaultBudgetWindow unless a test shortens it).
	window time.Duration
	// path is the file the window is kept in; empty keeps it in memory only.
	path string
	now  func() time.Time
	log  *slog.Logger
	// spends are the window's entries, oldest first; none is older than window once pruned.
	spends []spend
	// need is the gas limit of the smallest transaction last held back because it exceeded what
	// remained (at most limit; 0 when none): the budget counts as spent until it fits. With
	// needShare below 1 it was held back for its pace only: the budget counts as paced (not
	// spent) while the window holds needShare of the limit or more.
	need      uint64
	needShare float64

	used, perDay, exhausted, paced prometheus.Gauge
}

// spend is the gas of one mined transaction (Hash), or of the transactions of one batch (no
// Hash), counted at At.
type spend struct {
	At   time.Time   `json:"at"`
	Gas  uint64      `json:"gas"`
	Hash common.Hash `json:"hash,omitzero"`
}

// newGasBudget returns the budget, with the window read from stateDir when there is one. A
// missing or unreadable file starts an empty window; the error says so for a log line.
func newGasBudget(limit uint64, window time.Duration, stateDir string, now func() time.Time, reg prometheus.Registerer, log *slog.Logger) (*gasBudget, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if window <= 0 {
		window = DefaultBudgetWindow
	}
	g := &gasBudget{
		limit:  limit,
		window: window,
		now:    now,
		log:    log,
		used: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "gas_used_24h",
			Help: "Gas used by mined stake updates in the last 24 hours (the window of --max-gas-per-day)."}),
		perDay: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "gas_budget_per_day",
			Help: "The gas budget of the last 24 hours: --max-gas-per-day, or by default the cron's bill (one whole refresh of every quorum per --sync-interval, with the operators that moved in it stale); 0 = unlimited."}),
		exhausted: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "gas_budget_exhausted",
			Help: "1 while the gas used in the last 24 hours is at or above --max-gas-per-day: only deadline refreshes are sent."}),
		paced: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "gas_budget_paced",
			Help: "1 while changes worth less per gas than most wait for the window to hold less than their share of the budget (past half of it); new changes are still read, ranked and sent."}),
	}
	g.perDay.Set(float64(limit))
	if err := metricsreg.All(reg, "gas budget", g.used, g.perDay, g.exhausted, g.paced); err != nil {
		return nil, err
	}
	if stateDir == "" {
		return g, nil
	}
	g.path = filepath.Join(stateDir, budgetFile)
	data, err := os.ReadFile(g.path)
	if errors.Is(err, fs.ErrNotExist) {
		return g, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &g.spends)
	}
	if err != nil {
		g.spends = nil
		return g, &budgetUnreadableError{path: g.path, err: err}
	}
	g.prune()
	g.publish()
	return g, nil
}

// budgetUnreadableError is newGasBudget's answer when the window in --state-dir cannot be read:
// the budget it returns starts an empty window.
type budgetUnreadableError struct {
	path string
	err  error
}

func (e *budgetUnreadableError) Error() string {
	return fmt.Sprintf("read gas budget window %s: %v", e.path, e.err)
}

func (e *budgetUnreadableError) Unwrap() error { return e.err }

// add records gas used now, and writes the window down.
func (g *gasBudget) add(gas uint64) error {
	return g.spent(common.Hash{}, gas)
}

// spent records the gas a mined transaction used, reverted or not, once per hash: the sender
// reports every receipt it sees, the loop the receipts of its batches, and either may see one
// the other saw. A zero hash is counted every time.
func (g *gasBudget) spent(hash common.Hash, gas uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gas == 0 {
		return nil
	}
	g.prune()
	if hash != (common.Hash{}) {
		for _, s := range g.spends {
			if s.Hash == hash {
				return nil
			}
		}
	}
	g.spends = append(g.spends, spend{At: g.now(), Gas: gas, Hash: hash})
	g.publish()
	return g.save()
}

// setWindow sets the span of the rolling window.
func (g *gasBudget) setWindow(window time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.window = window
	g.publish()
}

// setLimit moves the budget (the cron's bill as it is re-priced); it reports whether it changed.
func (g *gasBudget) setLimit(limit uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if limit == g.limit {
		return false
	}
	g.limit = limit
	g.need = min(g.need, limit)
	g.perDay.Set(float64(limit))
	g.publish()
	return true
}

// Limit returns the budget of the window; 0 = unlimited.
func (g *gasBudget) Limit() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit
}

// setNeed records the gas limit of the smallest transaction just held back for the budget (0:
// none was) and its pace share (1: none; below, see planner.PaceFloor): the budget counts as
// spent until the window has room for it, or, held for its pace, as paced until the window
// holds less than that share of the limit.
func (g *gasBudget) setNeed(gas uint64, share float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if share <= 0 || share > 1 {
		share = 1
	}
	if share < 1 && g.need > 0 && g.needShare < 1 && g.pacedAt(g.used24h()) {
		// Still paced for an earlier change: the budget waits for the larger of their shares,
		// and the work released then is ranked again.
		share = max(share, g.needShare)
	}
	g.need, g.needShare = min(gas, g.limit), share
	g.publish()
}

// sent says that work held back for the budget went out: the budget no longer waits for room
// for it. A change held for its pace still waits for its share, which the window reaches on its
// own.
func (g *gasBudget) sent() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.needShare < 1 && g.pacedAt(g.used24h()) {
		return
	}
	g.need, g.needShare = 0, 1
	g.publish()
}

// spentAt reports whether used leaves no room: it reaches the limit, or not the gas of the
// transaction held back (for the budget, not its pace).
func (g *gasBudget) spentAt(used uint64) bool {
	return g.limit > 0 && (used >= g.limit || (g.need > 0 && g.needShare >= 1 && used+g.need > g.limit))
}

// pacedAt reports whether the window, holding used, still holds the pace share of the
// transaction held back for its pace.
func (g *gasBudget) pacedAt(used uint64) bool {
	return g.limit > 0 && g.need > 0 && g.needShare < 1 && float64(used) >= g.needShare*float64(g.limit)
}

// Used returns the gas of the last 24 hours.
func (g *gasBudget) Used() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.used24h()
}

func (g *gasBudget) used24h() uint64 {
	g.prune()
	var sum uint64
	for _, s := range g.spends {
		sum += s.Gas
	}
	return sum
}

// Exhausted reports whether the window holds the whole budget.
func (g *gasBudget) Exhausted() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	ex := g.spentAt(g.used24h())
	g.publish()
	return ex
}

// Paced reports whether the transaction held back for its pace still waits for the window to
// hold less than its share of the limit (see setNeed); other work may still spend.
func (g *gasBudget) Paced() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pacedAt(g.used24h())
}

// LeftAndLimit returns, at one instant, what remains of the budget in the window and its limit;
// ok is false when the budget is unlimited.
func (g *gasBudget) LeftAndLimit() (left, limit uint64, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit == 0 {
		return 0, 0, false
	}
	return g.limit - min(g.used24h(), g.limit), g.limit, true
}

// Left returns what remains of the budget in the window (0 when spent); ok is false when the
// budget is unlimited.
func (g *gasBudget) Left() (left uint64, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit == 0 {
		return 0, false
	}
	used := g.used24h()
	if used >= g.limit {
		return 0, true
	}
	return g.limit - used, true
}

// FreesAt is when enough of the window expires for the budget to be available again.
func (g *gasBudget) FreesAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	used := g.used24h()
	for _, s := range g.spends {
		if !g.spentAt(used) {
			break
		}
		used -= s.Gas
		if !g.spentAt(used) {
			return s.At.Add(g.window)
		}
	}
	return g.now()
}

// prune drops the entries older than the window, and those dated beyond now and clockTolerance:
// written while the clock was ahead, they would hold the budget spent until that date.
func (g *gasBudget) prune() {
	now := g.now()
	cut, ahead := now.Add(-g.window), now.Add(clockTolerance)
	kept := g.spends[:0]
	var future []spend
	for _, s := range g.spends {
		switch {
		case s.At.After(ahead):
			future = append(future, s)
		case s.At.After(cut):
			kept = append(kept, s)
		}
	}
	clear(g.spends[len(kept):])
	g.spends = kept
	if len(future) > 0 {
		var gas uint64
		for _, s := range future {
			gas += s.Gas
		}
		g.log.Warn("gas budget window holds entries dated in the future, written while the clock was wrong; ignoring them",
			"entries", len(future), "gas", gas, "first_at", future[0].At.UTC(), "now", now.UTC(), "tolerance", clockTolerance)
	}
}

func (g *gasBudget) publish() {
	var sum uint64
	for _, s := range g.spends {
		sum += s.Gas
	}
	g.used.Set(float64(sum))
	g.exhausted.Set(flag(g.spentAt(sum)))
	g.paced.Set(flag(g.pacedAt(sum)))
}

// save writes the window atomically (see statefile.Write).
func (g *gasBudget) save() error {
	if g.path == "" {
		return nil
	}
	data, err := json.Marshal(g.spends)
	if err != nil {
		return fmt.Errorf("encode gas budget window: %w", err)
	}
	if err := statefile.Write(filepath.Dir(g.path), filepath.Base(g.path), data); err != nil {
		return fmt.Errorf("write gas budget window: %w", err)
	}
	return nil
}

// flag is a gauge's value of b.
func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
