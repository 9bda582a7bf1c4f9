package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// The day benchmark runs avs-sync on the EigenDA shape at mainnet-scaled time: every duration is
// mainnet's divided by dayScale, blocks included (12 s blocks become 50 ms), so a day is still
// 7200 blocks. Each run starts from the state a day of the row's own running leaves (see
// preAge), plays the share changes of 1/dayFraction of a day at a given daily activity, waits out
// the latency budget, and scales what it measured to a day.
const (
	dayScale     = 240
	dayBlockTime = mainnetBlockTime / dayScale
	dayBlocks    = uint64(24 * time.Hour / mainnetBlockTime)
	// dayFraction: the changes of 1/dayFraction of a day (900 blocks) are played.
	dayFraction = 8
	// dayTail is how long each run goes on after its changes: past --max-staleness 1h (300 blocks).
	dayTail = 350
)

// dayActivities are the effective share changes per day the runs are played at.
var dayActivities = []int{0, 10, 100, 1000}

// dayRow is one way of running avs-sync.
type dayRow struct {
	Name string
	// args are the command's flags beyond the node and the contracts, in mainnet durations.
	args []string
	// sweep marks the bare command, whose start-up sweep is its once-a-day cost.
	sweep bool
	// material is the --min-stake-change of a --sweep-mode material row: its sweeps store nothing
	// within it, so its stored stakes start within it of their weights, unless prevDay.
	material float64
	// prevDay starts a material row after a previous day of changes, as the audit rows start (the
	// sensitivity of its figures to the drift it starts from).
	prevDay bool
	// fullDay runs watch with its gas budget (the cron's bill over a window scaled like the rest)
	// from a fresh AVS and an empty window through whole days of changes, as many as the cron's
	// interval holds (one at 24 h, six at 144 h, the budget's window): what it spends over them,
	// per day, is its gas per day, with no extrapolation, and what it holds back stands.
	fullDay bool
	// interval is the --sync-interval the row is compared at (its cron's).
	interval time.Duration
}

// dayIntervals are the cron intervals the untuned watch is compared at: the original's daily
// default and EigenDA's mainnet 6 days.
var dayIntervals = []time.Duration{24 * time.Hour, 144 * time.Hour}

// untunedRow is the row the issue asks about: watch with the flags the cron took and nothing else.
const untunedRow = "watch (no tuning flags)"

func dayRows(interval time.Duration) []dayRow {
	scaled := func(d time.Duration) string { return (d / dayScale).String() }
	// watch with no flag the cron did not take: its debounce and budget window are its defaults
	// scaled like every duration; the budget is the default, named because the test environment
	// turns it off.
	untuned := dayRow{Name: untunedRow, fullDay: true, interval: interval, args: []string{"watch", "--debounce", scaled(24 * time.Second),
		"--sync-interval", scaled(interval), "--gas-window", scaled(24 * time.Hour), "--max-gas-per-day", "cron"}}
	bare := dayRow{Name: "bare command, daily sweep", interval: interval, sweep: true,
		args: []string{"--sync-interval", scaled(interval), "--max-gas-per-day", "0"}}
	if interval != 24*time.Hour {
		bare.Name = fmt.Sprintf("bare command, sweep every %s", interval)
		return []dayRow{untuned, bare}
	}
	// No gas budget: each row spends what its behaviour costs (the budget's window is 24 h of wall
	// clock, not of scaled time).
	watch := []string{"watch", "--debounce", scaled(24 * time.Second), "--sync-interval", scaled(interval), "--max-gas-per-day", "0"}
	material := func(f string) []string {
		return append(slices.Clone(watch), "--sweep-mode", "material", "--min-stake-change", f, "--max-staleness", scaled(time.Hour))
	}
	return []dayRow{
		untuned,
		{Name: "watch (defaults, no budget)", args: watch},
		{Name: "watch --min-stake-change 0.01", args: append(slices.Clone(watch), "--min-stake-change", "0.01")},
		{Name: "watch --max-staleness 1h", args: append(slices.Clone(watch), "--max-staleness", scaled(time.Hour))},
		{Name: "watch --sweep-mode material --min-stake-change 0.1 --max-staleness 1h", material: 0.1, args: material("0.1")},
		{Name: "the same, started after a previous day of changes", material: 0.1, prevDay: true, args: material("0.1")},
		bare,
	}
}

// days is how many days the row's cron interval holds, at least one.
func (r dayRow) days() uint64 { return max(uint64(r.interval/(24*time.Hour)), 1) }

// dayChange is one share change of a run.
type dayChange struct {
	At       uint64 // blocks after the window opens
	Member   int    // index in Shape.Registered
	Strategy int
	Amount   *big.Int
	Withdraw bool
}

// dayChanges draws the changes of one run: n at random blocks of a window of that many blocks;
// 85% small deposits (moving the operator's weight by 0.1-1% in the quorum it moves most, as
// liquid-restaking deposits are), 10% large deposits (10-50%), 5% withdrawals (1-5%, at most a
// tenth of the strategy's shares). bases are changeBases.
func dayChanges(seed uint64, shape *devnet.Shape, bases []*big.Int, n int, window uint64) []dayChange {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	var out []dayChange
	for range n {
		m := rng.IntN(len(shape.Registered))
		op := shape.Registered[m]
		frac := func(lo, hi float64) *big.Int {
			return fraction(bases[m], lo+rng.Float64()*(hi-lo))
		}
		c := dayChange{At: rng.Uint64N(window - 10), Member: m, Strategy: heldStrategy(shape, op)}
		switch r := rng.Float64(); {
		case r < 0.85:
			c.Amount = frac(0.001, 0.01)
		case r < 0.95:
			c.Amount = frac(0.1, 0.5)
		default:
			c.Withdraw = true
			c.Amount = frac(0.01, 0.05)
			if most := new(big.Int).Div(op.Deposits[c.Strategy], big.NewInt(10)); c.Amount.Cmp(most) > 0 {
				c.Amount = most
			}
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b dayChange) int { return int(a.At) - int(b.At) })
	return out
}

// fraction is f of v.
func fraction(v *big.Int, f float64) *big.Int {
	out, _ := new(big.Float).Mul(new(big.Float).SetInt(v), big.NewFloat(f)).Int(nil)
	return out
}

// changeBases are, per registered operator, the shares of its heldStrategy that move its weight
// by 100% in the quorum they move most (its smallest weight, at the strategy's largest
// multiplier): a change of f of it moves no quorum weight of the operator by more than f.
func (c *benchChain) changeBases() []*big.Int {
	c.t.Helper()
	shape := c.d.Shape
	sr := c.stakeRegistryBinding()
	out := make([]*big.Int, len(shape.Registered))
	for m, op := range shape.Registered {
		s := heldStrategy(shape, op)
		var least *big.Int
		mult := new(big.Int)
		for _, q := range op.Quorums {
			w, err := sr.WeightOfOperatorForQuorum(&bind.CallOpts{Context: c.ctx}, q, op.Address)
			if err != nil {
				c.t.Fatal(err)
			}
			if least == nil || w.Cmp(least) < 0 {
				least = w
			}
			sq := shape.Quorums[q]
			if i := slices.Index(sq.Strategies, shape.Strategies[s].Address); i >= 0 && sq.Multipliers[i].Cmp(mult) > 0 {
				mult = sq.Multipliers[i]
			}
		}
		out[m] = new(big.Int)
		if least != nil && mult.Sign() > 0 {
			out[m].Div(new(big.Int).Mul(least, big.NewInt(1e18)), mult)
		}
	}
	return out
}

// heldStrategy is a strategy the operator holds shares of and every one of its quorums weighs.
func heldStrategy(shape *devnet.Shape, op devnet.ShapeOperator) int {
	held := make([]int, 0, len(op.Deposits))
	for s := range op.Deposits {
		held = append(held, s)
	}
	slices.Sort(held)
	for _, s := range held {
		all := true
		for _, q := range op.Quorums {
			all = all && slices.Contains(shape.Quorums[q].Strategies, shape.Strategies[s].Address)
		}
		if all {
			return s
		}
	}
	return held[0]
}

// dayResult is one row at one activity.
type dayResult struct {
	Row       string       `json:"row"`
	Activity  int          `json:"changes_per_day"`
	Interval  string       `json:"sync_interval"`
	Command   []string     `json:"command"`
	Changes   int          `json:"changes_played"`
	GasWindow uint64       `json:"gas_in_window"`
	GasPerDay float64      `json:"gas_per_day"`
	Txs       int          `json:"transactions"`
	Latency   distribution `json:"blocks_change_to_update"`
	// Sent counts the changes followed by an update of their operator within the run; the others
	// wait for the daily sweep (bare command, watch in audit mode) or, below a material
	// threshold, are never sent on their own.
	Sent int `json:"changes_updated_in_run"`
	// SweepGas is the row's daily sweep: the bare command's sweep at start, after a day of
	// changes; for watch in audit mode, an update of every operator still stale at the end.
	SweepGas uint64 `json:"daily_sweep_gas"`
	// MaxError is the largest |weight - stored| / stored of any operator at any block of the run
	// (for the bare command, from the day of drift before its sweep on); Standing the largest that
	// stood standingBlocks or more.
	MaxError float64 `json:"largest_relative_stake_error"`
	Standing float64 `json:"largest_relative_stake_error_standing_2h"`
	// Misattributed is the largest share of a quorum's total stored stake attributed to the wrong
	// operators (the sum of |weight - stored| over the total) at any block of the run, MisStanding
	// the largest that stood standingBlocks or more.
	Misattributed float64 `json:"largest_quorum_misattributed"`
	MisStanding   float64 `json:"largest_quorum_misattributed_standing_2h"`
	// DayOverWindow is, for a whole-day row, the run's wall time (its days and the tail of
	// standingBlocks after them) over its budget window.
	DayOverWindow float64 `json:"day_over_budget_window,omitempty"`
	// Pace is, for a whole-day row, the wall time its days took (the tail left out) over the
	// budget window they stand for: above 1 the chain ran slower than the process's durations,
	// and each of its windows held less than a day of blocks; below 1, more.
	Pace float64 `json:"days_over_budget_window,omitempty"`
	// GasPerWindow is, for a whole-day row, the most it spent within any window of the process's
	// clock, per day: what its budget bounds. GasPerDay is the most within any span of the days'
	// blocks, per day: what the cron's bill is compared with. At a Pace of 1 the two spans hold
	// the same blocks.
	GasPerWindow float64 `json:"gas_per_budget_window,omitempty"`
}

// dayPaceTolerance is how far from the process's durations the chain's pace may be over a
// whole-day row's days. Slower, a window of the process's clock holds less than a day of blocks
// and the budget comes back sooner per block than on mainnet: at 1,000 changes a day a pace of
// 1.04 let 67.8M gas fall within one day of blocks where the budget held every window to 55.3M,
// because the spending of the window's first hour was free again before the day's blocks ended.
// Faster, the watch's own sweep, due after a day of its clock, falls after the day's blocks.
// Either way the row's figures are not at mainnet's ratios.
const dayPaceTolerance = 0.02

// standingBlocks is how long an error must stand to count in dayResult.Standing: 2 h, past every
// row's latency budget (--max-staleness 1h plus the debounce and inclusion).
const standingBlocks = 600

// TestBenchShapeDay prints the table: on the EigenDA shape at mainnet-scaled time, gas
// per day, blocks from a change to its update and the largest relative stake error, for watch at
// its defaults, with a materiality threshold of 1%, with a latency budget of 1 h, and the bare
// command's daily sweep, at 0, 10, 100 and 1000 effective share changes per day.
func TestBenchShapeDay(t *testing.T) {
	requireBench(t)
	// A whole-day row at 144 h plays six days: 36 minutes at dayScale.
	ctx := benchContext(t, 8*time.Hour)
	seed := benchSeed(t)
	activities := dayActivities
	if v := os.Getenv("AVS_SYNC_BENCH_DAY_ACTIVITY"); v != "" {
		activities = nil
		for _, f := range strings.Split(v, ",") {
			a, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			activities = append(activities, a)
		}
	}
	intervals := dayIntervals
	if v := os.Getenv("AVS_SYNC_BENCH_DAY_INTERVALS"); v != "" {
		intervals = nil
		for _, f := range strings.Split(v, ",") {
			d, err := time.ParseDuration(f)
			if err != nil {
				t.Fatal(err)
			}
			intervals = append(intervals, d)
		}
	}
	var results []dayResult
	for _, interval := range intervals {
		for _, activity := range activities {
			n := int(math.Round(float64(activity) / dayFraction))
			if activity > 0 {
				n = max(n, 1)
			}
			for i, row := range dayRows(interval) {
				if v := os.Getenv("AVS_SYNC_BENCH_DAY_ROWS"); v != "" && !slices.Contains(strings.Split(v, ","), strconv.Itoa(i)) {
					continue
				}
				// A subtest per row, so that its chain and process stop before the next row starts.
				t.Run(slug(fmt.Sprintf("%s %d %s", interval, activity, row.Name)), func(t *testing.T) {
					c := newShapeChainAt(t, ctx, true, dayBlockTime, false)
					bases := c.changeBases()
					var changes []dayChange
					if row.fullDay {
						days := row.days()
						changes = dayChanges(seed, c.d.Shape, bases, activity*int(days), dayBlocks*days)
					} else {
						changes = dayChanges(seed, c.d.Shape, bases, n, dayBlocks/dayFraction)
						c.preAge(row, seed, activity, bases)
					}
					r := c.runDay(row, activity, changes)
					r.Interval = interval.String()
					results = append(results, r)
				})
			}
		}
	}
	writeJSON(t, "shape-day.json", results)
	writeTable(t, "shape-day.txt", func(w io.Writer) { printDay(w, results) })
	for _, p := range dayProblems(results) {
		t.Error(p)
	}
}

// dayKey pairs rows of one cron interval and activity.
type dayKey struct {
	interval string
	activity int
}

// dayWinners lists, per activity at the daily interval, the watch rows that beat the bare
// command's daily sweep on both axes at once: less gas per day and a smaller largest stake error
// standing 2 h (both 0 counts as smaller; the largest at any block is the same change's where
// both play the same day). Activities without a bare command row are
// left out.
func dayWinners(rs []dayResult) map[int][]string {
	bare := map[int]dayResult{}
	for _, r := range rs {
		if r.Interval == (24*time.Hour).String() && strings.HasPrefix(r.Row, "bare command") {
			bare[r.Activity] = r
		}
	}
	out := map[int][]string{}
	for _, r := range rs {
		b, ok := bare[r.Activity]
		if !ok || r.Interval != b.Interval {
			continue
		}
		if _, seen := out[r.Activity]; !seen {
			out[r.Activity] = []string{}
		}
		if strings.HasPrefix(r.Row, "watch") && r.GasPerDay < b.GasPerDay && smallerOrBothZero(r.Standing, b.Standing) {
			out[r.Activity] = append(out[r.Activity], r.Row)
		}
	}
	return out
}

// smallerOrBothZero is the test of one error against the cron's.
func smallerOrBothZero(watch, cron float64) bool { return watch < cron || (watch == 0 && cron == 0) }

// dayProblems checks the table against what it is run to show: watch with no tuning flags spends
// no gas on a day without changes, and at every activity and interval it spends no more gas per
// day than the bare command at the same --sync-interval, with a smaller largest standing error on
// both measures (per-operator relative, quorum misattributed; no larger where both are 0).
func dayProblems(rs []dayResult) []string {
	var out []string
	bare := map[dayKey]dayResult{}
	for _, r := range rs {
		if strings.HasPrefix(r.Row, "bare command") {
			bare[dayKey{r.Interval, r.Activity}] = r
		}
	}
	for _, r := range rs {
		if r.Row != untunedRow {
			continue
		}
		if r.Activity == 0 && r.GasPerDay != 0 {
			out = append(out, fmt.Sprintf("watch with no tuning flags spent %.0f gas on a day without changes at --sync-interval %s, want 0", r.GasPerDay, r.Interval))
		}
		b, ok := bare[dayKey{r.Interval, r.Activity}]
		if !ok {
			continue
		}
		if r.GasPerDay > b.GasPerDay {
			out = append(out, fmt.Sprintf("at %d changes a day and --sync-interval %s watch with no tuning flags spent %.0f gas a day, the cron %.0f", r.Activity, r.Interval, r.GasPerDay, b.GasPerDay))
		}
		if !smallerOrBothZero(r.Standing, b.Standing) {
			out = append(out, fmt.Sprintf("at %d changes a day and --sync-interval %s watch with no tuning flags left a relative error of %.4f standing, the cron %.4f", r.Activity, r.Interval, r.Standing, b.Standing))
		}
		if !smallerOrBothZero(r.MisStanding, b.MisStanding) {
			out = append(out, fmt.Sprintf("at %d changes a day and --sync-interval %s watch with no tuning flags left %.4f of a quorum misattributed standing, the cron %.4f", r.Activity, r.Interval, r.MisStanding, b.MisStanding))
		}
	}
	return out
}

// preAge brings the AVS to where a day of the row's own running leaves it, before the row starts:
// for the bare command, the changes of the days the whole-day watch row plays (its start-up sweep
// is its sweep after them); for watch in audit mode, the changes of the previous day (drawn like
// the day's own, from another seed; its start-up check then stores what it would have stored on
// its own during that day); for a --sweep-mode material row, which never stores a drift below its
// threshold, each operator's stake moved by a fraction drawn uniformly below the threshold (a drift that grows
// in small steps and is reset when it crosses the threshold is about uniform below it). A quiet
// AVS starts with no drift.
func (c *benchChain) preAge(row dayRow, seed uint64, activity int, bases []*big.Int) {
	c.t.Helper()
	shape := c.d.Shape
	var changes []dayChange
	switch {
	case activity == 0:
		// A quiet AVS has no drift.
	case row.material > 0 && !row.prevDay:
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		for m, op := range shape.Registered {
			changes = append(changes, dayChange{Member: m, Strategy: heldStrategy(shape, op), Amount: fraction(bases[m], rng.Float64()*row.material)})
		}
	default:
		// The changes of the row's cron interval (a day, or the 6 days a 144 h cron leaves). The
		// bare command's are the very changes the whole-day watch row plays (one draw), so the
		// two face the same days; watch in audit mode's are a previous day's, another draw.
		days := max(int(row.interval/(24*time.Hour)), 1)
		drawn := seed + 1
		if row.sweep {
			drawn = seed
		}
		changes = dayChanges(drawn, shape, bases, activity*days, dayBlocks*uint64(days))
	}
	began, from := time.Now(), c.head()
	c.playAll(changes)
	c.t.Logf("%s at %d/day: aged by %d changes in %d blocks (%v)", row.Name, activity, len(changes), c.head()-from, time.Since(began).Round(time.Millisecond))
}

// playAll plays changes as fast as the chain takes them: each operator's in order, 32 operators
// at a time.
func (c *benchChain) playAll(changes []dayChange) {
	c.t.Helper()
	byMember := map[int][]dayChange{}
	for _, ch := range changes {
		byMember[ch.Member] = append(byMember[ch.Member], ch)
	}
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	errs := make(chan error, len(byMember))
	for m, chs := range byMember {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			op, err := c.d.Actor(c.ctx, c.d.Shape.Registered[m].Key)
			if err != nil {
				errs <- err
				return
			}
			defer op.Close()
			for _, ch := range chs {
				if _, err := c.playChange(op, ch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		c.t.Fatal(err)
	}
}

// playChange makes one change as op.
func (c *benchChain) playChange(op *devnet.Actor, ch dayChange) (*types.Receipt, error) {
	st := c.d.Shape.Strategies[ch.Strategy]
	var r *types.Receipt
	var err error
	if ch.Withdraw {
		r, err = op.Unstake(c.ctx, st, ch.Amount)
	} else {
		r, err = op.Stake(c.ctx, st, ch.Amount)
	}
	if err != nil {
		return nil, fmt.Errorf("change %+v: %w", ch, err)
	}
	return r, nil
}

// runDay runs row through a meter until it settles, plays changes, waits dayTail blocks and
// measures.
func (c *benchChain) runDay(row dayRow, activity int, changes []dayChange) dayResult {
	c.t.Helper()
	sr := c.stakeRegistryBinding()
	res := dayResult{Row: row.Name, Activity: activity, Changes: len(changes)}
	before := c.head()
	beforeErrs := c.stakeErrors(sr, before)
	beforeErr, beforeMis := maxRel(beforeErrs), misattributedAt(beforeErrs)
	days := row.days()

	m := c.meter()
	rowArgs := slices.Clone(row.args)
	stretch := 1.0
	if row.fullDay {
		// The process's durations are wall clock, the day is blocks: on a loaded machine blocks
		// come slower than dayBlockTime, and a window of 6 wall minutes would hold less than a
		// day of blocks. Its durations follow the chain's measured pace instead.
		if head := c.clock.last(); head > 200 {
			if secs, ok := c.clock.since(head-200, head); ok {
				stretch = max(1, secs/200/dayBlockTime.Seconds())
			}
		}
		rowArgs = stretchDurations(rowArgs, stretch, "--debounce", "--sync-interval", "--gas-window")
	}
	args := append(rowArgs, c.contractArgs(m.HTTPURL())...)
	res.Command = abbreviate(args)
	if !row.sweep {
		args = append(args, "--eth-ws-url", m.WSURL())
	}
	start := c.clock.last()
	p := startProc(c.t, slug(fmt.Sprintf("day %d %s", activity, row.Name)), c.senderKey, args...)
	settled := func() bool {
		// Nothing waits, nothing is in an update (all 240 are dirty from before the process is
		// ready: its start-up check).
		dirty, ok1 := p.metric("avssync_dirty_operators")
		processing, ok2 := p.metric("avssync_processing_operators")
		return ok1 && ok2 && dirty == 0 && processing == 0
	}
	c.waitReady(p, "start-up work done", func() bool {
		if row.sweep {
			at, _ := p.metric("avssync_last_sweep_timestamp_seconds")
			return at > 0
		}
		return settled()
	})
	open := c.clock.last()
	openErrs := c.stakeErrors(sr, open)

	// Per operator, its error from each block on where it changes: at open, after each change,
	// 0 after each update.
	type step struct {
		pos position
		err opError
	}
	steps := map[int][]step{}
	for i, e := range openErrs {
		steps[i] = []step{{position{Block: open}, e}}
	}
	type played struct {
		member int
		pos    position
	}
	var done []played
	for _, ch := range changes {
		c.waitDayBlock(open + ch.At)
		op, err := c.d.Actor(c.ctx, c.d.Shape.Registered[ch.Member].Key)
		if err != nil {
			c.t.Fatal(err)
		}
		r, err := c.playChange(op, ch)
		op.Close()
		if err != nil {
			c.t.Fatal(err)
		}
		pos := position{r.BlockNumber.Uint64(), r.TransactionIndex}
		done = append(done, played{ch.Member, pos})
		sop := c.d.Shape.Registered[ch.Member]
		e, err := c.stakeError(sr, sop.Address, sop.Quorums, pos.Block)
		if err != nil {
			c.t.Fatal(err)
		}
		steps[ch.Member] = append(steps[ch.Member], step{pos, e})
	}
	end := open + dayBlocks/dayFraction + dayTail
	switch {
	case len(changes) == 0 && !row.fullDay:
		end = open + 50 // a quiet day: nothing to wait for
	case row.fullDay:
		// The days of an interval, then standingBlocks with no change: whether a change made
		// late in the last day stands 2 h is seen, not assumed, as the window turns over and
		// its own sweep, due at about the last block, runs. What stands at the end stands on.
		end = open + days*dayBlocks + standingBlocks
	}
	c.waitDayBlock(end)
	p.alive(c.t)
	if !row.sweep && !row.fullDay {
		c.waitFor(p.name+" settled at the end", time.Minute, settled)
	}
	p.stop(c.t)
	end = max(end, c.head())

	w := span{Start: open, End: end}
	h := c.stakeHistory(w)
	var lat []float64
	for _, d := range done {
		up, ok := h.firstAfter(c.d.Shape.Registered[d.member].Address, d.pos)
		switch {
		case ok && !row.sweep:
			res.Sent++
			lat = append(lat, float64(up.Block-d.pos.Block))
		case row.sweep || row.material == 0:
			// Stored by the next sweep (watch's audit sweep runs an interval after its start too).
			lat = append(lat, float64(open+days*dayBlocks-min(open+days*dayBlocks, d.pos.Block)))
		}
	}
	res.Latency = distributionOf(lat)
	quorumSteps := map[uint8][]partStep{}
	standingAt := ""
	for m, ss := range steps {
		id, err := c.operatorID(c.d.Shape.Registered[m].Address)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, u := range h.updates[id] {
			ss = append(ss, step{u, opError{}})
		}
		slices.SortStableFunc(ss, func(a, b step) int {
			if a.pos.after(b.pos) {
				return 1
			}
			if b.pos.after(a.pos) {
				return -1
			}
			return 0
		})
		// What stands at the end stands on: until the daily sweep (a day after the start) or,
		// below a material threshold, for good.
		for k, st := range ss {
			res.MaxError = max(res.MaxError, st.err.rel)
			least := st.err.rel
			until := "the end of the run"
			for _, next := range ss[k+1:] {
				if next.pos.Block >= st.pos.Block+standingBlocks {
					until = fmt.Sprintf("block %d", next.pos.Block)
					break
				}
				least = min(least, next.err.rel)
			}
			if least > res.Standing {
				res.Standing = least
				standingAt = fmt.Sprintf("operator %s from block %d (%d after the window opened) to %s", c.d.Shape.Registered[m].Address.Hex(), st.pos.Block, st.pos.Block-open, until)
			}
		}
		for _, st := range ss {
			for _, q := range c.d.Shape.Registered[m].Quorums {
				quorumSteps[q] = append(quorumSteps[q], partStep{pos: st.pos, member: m, part: st.err.parts[q]})
			}
		}
	}
	if standingAt != "" {
		c.t.Logf("%s at %d/day: the largest relative error standing 2 h, %.4f: %s", row.Name, activity, res.Standing, standingAt)
	}
	for _, qs := range quorumSteps {
		most, standing := misattributedSeries(qs)
		res.Misattributed = max(res.Misattributed, most)
		res.MisStanding = max(res.MisStanding, standing)
	}

	if row.sweep {
		// The bare command sweeps at start and then every day: its day's gas is that sweep (all it
		// sends in the run; the last of it may land after the window opened) after a day of
		// changes, whose drift it found.
		sweep := c.senderTxs(span{Start: start, End: end})
		for _, tx := range sweep {
			res.SweepGas += tx.GasUsed
		}
		res.Txs = len(sweep)
		res.GasPerDay = float64(res.SweepGas) / float64(days)
		res.MaxError = max(res.MaxError, beforeErr)
		res.Misattributed = max(res.Misattributed, beforeMis)
		// What its sweep found had stood until it: a change waits for the sweep.
		res.Standing = max(res.Standing, beforeErr)
		res.MisStanding = max(res.MisStanding, beforeMis)
	} else {
		txs := c.senderTxs(w)
		for _, tx := range txs {
			res.GasWindow += tx.GasUsed
		}
		res.Txs = len(txs)
		switch {
		case row.fullDay:
			// Whole days played: its gas per day is the most it spent within any span of the
			// days' blocks, per day, its sweeps included. The run is longer than the days (the
			// tail), and what the window's first spending freed can be spent again within it.
			//
			// The cron's bill is per day of blocks, the budget per day of the process's clock. On
			// mainnet the two are one; here the chain can fall behind the process's durations on
			// a loaded machine, and a window of its clock then holds less than a day of blocks:
			// GasPerDay counts the day of blocks, GasPerWindow (informational) what the budget
			// bounds, and a row whose pace is off by more than dayPaceTolerance fails.
			res.GasPerDay = float64(mostInBlocks(txs, days*dayBlocks)) / float64(days)
			res.GasPerWindow = float64(res.GasWindow) / float64(days)
			window := stretch * float64(days*dayBlocks) * dayBlockTime.Seconds()
			if secs, ok := c.clock.since(open, end); ok {
				res.DayOverWindow = secs / window
				if res.DayOverWindow > 1 {
					res.GasPerWindow = float64(c.mostInWindow(txs, open, window)) / float64(days)
				}
			}
			if secs, ok := c.clock.since(open, open+days*dayBlocks); ok {
				res.Pace = secs / window
			}
		case len(changes) > 0:
			res.GasPerDay = float64(res.GasWindow) * float64(activity) / float64(len(changes))
		}
		if row.fullDay {
			// Nothing more: its sweep ran at the end of its interval, held to the budget like
			// the rest.
		} else if row.material == 0 {
			// The audit sweep stores whatever is stale: here, what the start-up check and the
			// run held back as immaterial, up to a day old.
			var ops []string
			for _, o := range c.d.Shape.Registered {
				ops = append(ops, o.Address.Hex())
			}
			run := c.sweepOnce(slug(fmt.Sprintf("day %d %s audit sweep", activity, row.Name)), 0, "sweep", "--max-gas-per-day", "0", "--operators", strings.Join(ops, ","))
			if run.Error != "" {
				c.t.Fatalf("audit sweep after %s: %s", row.Name, run.Error)
			}
			res.SweepGas = run.GasUsed
			res.GasPerDay += float64(res.SweepGas)
		} else if e := maxRel(c.stakeErrors(sr, end)); e >= row.material {
			// A material sweep would store it: not measured here.
			c.t.Errorf("%s: an error of %.4f at the end, above its threshold %v", row.Name, e, row.material)
		}
	}
	if row.fullDay {
		c.t.Logf("%s at %d/day: durations stretched x%.2f to the chain's pace; its days took %.2f budget windows, the run (its days and the 2 h tail) %.2f; %.0f gas per day of blocks at most, %.0f per budget window",
			row.Name, activity, stretch, res.Pace, res.DayOverWindow, res.GasPerDay, res.GasPerWindow)
		if math.Abs(res.Pace-1) > dayPaceTolerance {
			c.t.Errorf("%s at %d/day: its days took %.2f budget windows of the process's clock, want 1 ± %.2f: the chain did not keep the pace its durations were scaled to, so its budget per block was not mainnet's; run it on a machine doing nothing else", row.Name, activity, res.Pace, dayPaceTolerance)
		}
	}
	c.t.Logf("%s at %d/day: %d changes, %d sent, %d txs, %s gas in window, sweep %s, %.0f gas/day, latency %+v, error max %.4f standing %.4f (before start %.4f), quorum misattributed max %.4f standing %.4f (before start %.4f)",
		row.Name, activity, len(changes), res.Sent, res.Txs, thousands(res.GasWindow), thousands(res.SweepGas), res.GasPerDay, res.Latency, res.MaxError, res.Standing, beforeErr,
		res.Misattributed, res.MisStanding, beforeMis)
	return res
}

// mostInBlocks is the most gas txs used within any span of n blocks.
func mostInBlocks(txs []sentTx, n uint64) uint64 {
	var most uint64
	for i := range txs {
		var sum uint64
		for j := range txs {
			if txs[j].Block >= txs[i].Block && txs[j].Block < txs[i].Block+n {
				sum += txs[j].GasUsed
			}
		}
		most = max(most, sum)
	}
	return most
}

// mostInWindow is the most gas txs used within any span of window seconds of block arrival
// time, counted from block open.
func (c *benchChain) mostInWindow(txs []sentTx, open uint64, window float64) uint64 {
	at := make([]float64, len(txs))
	for i, tx := range txs {
		at[i], _ = c.clock.since(open, max(open, tx.Block))
	}
	var most uint64
	for i := range txs {
		var sum uint64
		for j := range txs {
			if at[j] >= at[i] && at[j] < at[i]+window {
				sum += txs[j].GasUsed
			}
		}
		most = max(most, sum)
	}
	return most
}

// waitDayBlock waits for block n, allowing a loaded machine to make blocks up to ten times slower
// than dayBlockTime.
func (c *benchChain) waitDayBlock(n uint64) {
	c.t.Helper()
	distance := n - min(n, c.clock.last())
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute+time.Duration(distance)*dayBlockTime*10)
	defer cancel()
	if err := c.clock.wait(ctx, n); err != nil {
		c.t.Fatalf("wait for block %d: %v", n, err)
	}
}

func (c *benchChain) stakeRegistryBinding() *stakeregistry.ContractStakeRegistry {
	c.t.Helper()
	sr, err := stakeregistry.NewContractStakeRegistry(c.stakeRegistry(), c.eth)
	if err != nil {
		c.t.Fatal(err)
	}
	return sr
}

// opError is one operator's error at a block: the largest |weight − stored| / stored over its
// quorums (rel), and per quorum its part of the quorum's misattributed stake, |weight − stored|
// over the quorum's total stored stake.
type opError struct {
	rel   float64
	parts map[uint8]float64
}

// stakeError is op's opError at block.
func (c *benchChain) stakeError(sr *stakeregistry.ContractStakeRegistry, op common.Address, quorums []uint8, block uint64) (opError, error) {
	opts := &bind.CallOpts{Context: c.ctx, BlockNumber: new(big.Int).SetUint64(block)}
	out := opError{parts: map[uint8]float64{}}
	id, err := c.operatorID(op)
	if err != nil {
		return out, err
	}
	for _, q := range quorums {
		stored, err := sr.GetCurrentStake(opts, id, q)
		if err != nil {
			return out, err
		}
		weight, err := sr.WeightOfOperatorForQuorum(opts, q, op)
		if err != nil {
			return out, err
		}
		total, err := sr.GetCurrentTotalStake(opts, q)
		if err != nil {
			return out, err
		}
		diff := new(big.Float).SetInt(new(big.Int).Abs(new(big.Int).Sub(weight, stored)))
		if total.Sign() > 0 {
			out.parts[q], _ = new(big.Float).Quo(diff, new(big.Float).SetInt(total)).Float64()
		}
		if stored.Sign() == 0 {
			continue
		}
		e, _ := new(big.Float).Quo(diff, new(big.Float).SetInt(stored)).Float64()
		out.rel = max(out.rel, e)
	}
	return out, nil
}

// maxRel is the largest relative error of errs.
func maxRel(errs []opError) float64 {
	var m float64
	for _, e := range errs {
		m = max(m, e.rel)
	}
	return m
}

// misattributedAt is the largest quorum sum of the parts of errs.
func misattributedAt(errs []opError) float64 {
	sums := map[uint8]float64{}
	var m float64
	for _, e := range errs {
		for q, p := range e.parts {
			sums[q] += p
			m = max(m, sums[q])
		}
	}
	return m
}

// stakeErrors are the stakeErrors of every registered operator at block, read 16 at a time.
func (c *benchChain) stakeErrors(sr *stakeregistry.ContractStakeRegistry, block uint64) []opError {
	c.t.Helper()
	worst := make([]opError, len(c.d.Shape.Registered))
	errs := make([]error, len(c.d.Shape.Registered))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, op := range c.d.Shape.Registered {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			worst[i], errs[i] = c.stakeError(sr, op.Address, op.Quorums, block)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.t.Fatalf("stake errors at block %d: %v", block, err)
	}
	return worst
}

func printDay(out io.Writer, rs []dayResult) {
	fmt.Fprintf(out, "\n== A day on the EigenDA shape at mainnet-scaled time (x%d: 12 s blocks = %v, a day = %d blocks) ==\n", dayScale, dayBlockTime, dayBlocks)
	fmt.Fprintf(out, "AVS: %s\n", shapePopulationText)
	fmt.Fprintf(out, "Each row but watch with no tuning flags starts where a day of its own running leaves the AVS, plays the changes of 1/%d day (%d blocks) and %d more blocks, with no gas budget (--max-gas-per-day 0).\n\n", dayFraction, dayBlocks/dayFraction, dayTail)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INTERVAL\tCHANGES/DAY\tROW\tPLAYED\tSENT IN RUN\tTXS\tGAS/DAY\tOF WHICH SWEEP\tBLOCKS CHANGE->UPDATE median / p95\tLARGEST STAKE ERROR\tLARGEST STANDING 2 H\tQUORUM MISATTRIBUTED\tSTANDING 2 H")
	for _, r := range rs {
		lat := "-"
		if r.Latency.N > 0 {
			lat = fmt.Sprintf("%.0f / %.0f", r.Latency.Median, r.Latency.P95)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%.2f%%\t%.2f%%\t%.3f%%\t%.3f%%\n", r.Interval, r.Activity, r.Row, r.Changes, r.Sent, r.Txs,
			thousands(uint64(r.GasPerDay)), thousands(r.SweepGas), lat, 100*r.MaxError, 100*r.Standing, 100*r.Misattributed, 100*r.MisStanding)
	}
	tw.Flush()
	fmt.Fprintln(out)
	winners := dayWinners(rs)
	for _, a := range slices.Sorted(maps.Keys(winners)) {
		w := "none"
		if len(winners[a]) > 0 {
			w = strings.Join(winners[a], "; ")
		}
		fmt.Fprintf(out, "Beats the daily sweep on gas/day and largest stake error standing 2 h at %d changes/day: %s\n", a, w)
	}
	fmt.Fprintln(out, strings.TrimSpace(`
- watch (no tuning flags): the flags the cron took (--sync-interval) and nothing else; its default budget is
  the cron's bill over a window scaled like every duration. It starts on a fresh AVS with an empty window and
  plays a whole day of changes, then 600 blocks (2 h) with none, so that whether a late change stands 2 h
  is seen: its gas/day is the most it spent within any span of a day of blocks (of the interval's days, per
  day), its sweeps within it; what it holds back at the end stands. A row whose days took other than 1 ± 0.02
  budget windows of the process's clock (a loaded machine) fails: its budget per block was not mainnet's.
- Start: the bare command and watch in audit mode start after a previous day of changes (the bare command's
  start-up sweep is its daily sweep after a day of changes); a --sweep-mode material row with every
  operator's stake moved by a fraction drawn uniformly below its threshold, or after a previous day as named.
- Gas/day: watch's gas in the window x changes per day / changes played, plus its daily sweep (audit mode: an
  update of every operator still stale at the end of the run); the bare command's sweep after a day of changes.
- Blocks change->update: to the operator's next OperatorStakeUpdate; a change not sent in the run waits for the
  daily sweep (bare command, audit mode: counted as sent 7200 blocks after the window opened) or, below a
  material threshold, is not sent on its own (not counted).
- Largest stake error: the largest |weight - stored| / stored of any operator in any quorum at any block of
  the run (for the bare command, from the day of drift its sweep found on); largest standing 2 h: the largest
  that stood for 600 blocks or more (what stands at the end stands until the daily sweep, or for good below a
  material threshold; for the bare command, the drift its sweep found stood until it). Quorum misattributed: the largest share of a quorum's total stored stake attributed to
  the wrong operators (sum of |weight - stored| over the total stored) at any block, and the largest that stood.
- At --sync-interval 144h the bare command starts after 6 days of changes and its gas/day is its sweep / 6;
  watch with no tuning flags plays 6 whole days (its budget's window) and its gas/day is the most it spent
  within any 6 days of blocks / 6.`))
}

// partStep is one operator's part of a quorum's misattributed stake from pos on.
type partStep struct {
	pos    position
	member int
	part   float64
}

// misattributedSeries runs a quorum's part steps in order and returns the largest sum of the
// operators' current parts, and the largest that stood standingBlocks or more.
func misattributedSeries(steps []partStep) (most, standing float64) {
	slices.SortStableFunc(steps, func(a, b partStep) int {
		if a.pos.after(b.pos) {
			return 1
		}
		if b.pos.after(a.pos) {
			return -1
		}
		return 0
	})
	cur := map[int]float64{}
	type point struct {
		block uint64
		sum   float64
	}
	var series []point
	var sum float64
	for _, st := range steps {
		sum += st.part - cur[st.member]
		cur[st.member] = st.part
		series = append(series, point{st.pos.Block, max(sum, 0)})
	}
	for k, p := range series {
		most = max(most, p.sum)
		least := p.sum
		for _, next := range series[k+1:] {
			if next.block >= p.block+standingBlocks {
				break
			}
			least = min(least, next.sum)
		}
		standing = max(standing, least)
	}
	return most, standing
}

// stretchDurations multiplies the duration values of the named flags in args by f.
func stretchDurations(args []string, f float64, names ...string) []string {
	out := slices.Clone(args)
	for i := 0; i+1 < len(out); i++ {
		if !slices.Contains(names, out[i]) {
			continue
		}
		if d, err := time.ParseDuration(out[i+1]); err == nil {
			out[i+1] = time.Duration(float64(d) * f).Round(time.Millisecond).String()
		}
	}
	return out
}
