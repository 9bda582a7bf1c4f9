package e2e

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
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
// 7200 blocks. Each run plays the share changes of 1/dayFraction of a day at a given daily
// activity, then waits out the latency budget, and scales what it measured to a day.
const (
	dayScale     = 240
	dayBlockTime = mainnetBlockTime / dayScale
	dayBlocks    = uint64(24 * time.Hour / mainnetBlockTime)
	// dayFraction: the changes of 1/dayFraction of a day (300 blocks) are played.
	dayFraction = 24
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
}

func dayRows() []dayRow {
	scaled := func(d time.Duration) string { return (d / dayScale).String() }
	watch := []string{"watch", "--debounce", scaled(24 * time.Second), "--sync-interval", scaled(24 * time.Hour)}
	return []dayRow{
		{Name: "watch (defaults)", args: watch},
		{Name: "watch --min-stake-change 0.01", args: append(slices.Clone(watch), "--min-stake-change", "0.01")},
		{Name: "watch --max-staleness 1h", args: append(slices.Clone(watch), "--max-staleness", scaled(time.Hour))},
		{Name: "bare command, daily sweep", args: []string{"--sync-interval", scaled(24 * time.Hour)}, sweep: true},
	}
}

// dayChange is one share change of a run.
type dayChange struct {
	At       uint64 // blocks after the window opens
	Member   int    // index in Shape.Registered
	Strategy int
	Amount   *big.Int
	Withdraw bool
}

// dayChanges draws the changes of one run: n at random blocks of the window; 85% small deposits
// (0.1-1% of the operator's stake, as liquid-restaking deposits are), 10% large deposits (10-50%),
// 5% withdrawals (1-5%).
func dayChanges(seed uint64, shape *devnet.Shape, n int) []dayChange {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	window := dayBlocks / dayFraction
	var out []dayChange
	for range n {
		m := rng.IntN(len(shape.Registered))
		op := shape.Registered[m]
		total := new(big.Int)
		for _, v := range op.Deposits {
			total.Add(total, v)
		}
		frac := func(lo, hi float64) *big.Int {
			f := lo + rng.Float64()*(hi-lo)
			v, _ := new(big.Float).Mul(new(big.Float).SetInt(total), big.NewFloat(f)).Int(nil)
			return v
		}
		c := dayChange{At: rng.Uint64N(window - 10), Member: m, Strategy: heldStrategy(shape, op)}
		switch r := rng.Float64(); {
		case r < 0.85:
			c.Amount = frac(0.001, 0.01)
		case r < 0.95:
			c.Amount = frac(0.1, 0.5)
		default:
			c.Withdraw = true
			c.Amount = new(big.Int).Div(op.Deposits[c.Strategy], big.NewInt(int64(20+rng.IntN(80))))
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b dayChange) int { return int(a.At) - int(b.At) })
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
	Row        string       `json:"row"`
	Activity   int          `json:"changes_per_day"`
	Command    []string     `json:"command"`
	Changes    int          `json:"changes_played"`
	GasWindow  uint64       `json:"gas_in_window"`
	GasPerDay  float64      `json:"gas_per_day"`
	Txs        int          `json:"transactions_in_window"`
	Latency    distribution `json:"blocks_change_to_update"`
	NotUpdated int          `json:"changes_not_updated_in_window"`
	MaxError   float64      `json:"largest_relative_stake_error"`
	HeldEst    float64      `json:"held_back_gas_per_day_estimate,omitempty"`
}

// TestBenchShapeDay prints the table: on the EigenDA shape at mainnet-scaled time, gas
// per day, blocks from a change to its update and the largest relative stake error, for watch at
// its defaults, with a materiality threshold of 1%, with a latency budget of 1 h, and the bare
// command's daily sweep, at 0, 10, 100 and 1000 effective share changes per day.
func TestBenchShapeDay(t *testing.T) {
	requireBench(t)
	ctx := benchContext(t, 14*time.Minute)
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
	var results []dayResult
	for _, activity := range activities {
		n := int(math.Round(float64(activity) / dayFraction))
		if activity > 0 {
			n = max(n, 1)
		}
		for i, row := range dayRows() {
			if v := os.Getenv("AVS_SYNC_BENCH_DAY_ROWS"); v != "" && !slices.Contains(strings.Split(v, ","), strconv.Itoa(i)) {
				continue
			}
			c := newShapeChainAt(t, ctx, true, dayBlockTime, false)
			changes := dayChanges(seed, c.d.Shape, n)
			results = append(results, c.runDay(row, activity, changes))
		}
	}
	writeJSON(t, "shape-day.json", results)
	writeTable(t, "shape-day.txt", func(w io.Writer) { printDay(w, results) })
}

// runDay runs row through a meter until it settles, plays changes, waits dayTail blocks and
// measures.
func (c *benchChain) runDay(row dayRow, activity int, changes []dayChange) dayResult {
	c.t.Helper()
	m := c.meter()
	args := append(slices.Clone(row.args), c.contractArgs(m.HTTPURL())...)
	if !row.sweep {
		args = append(args, "--eth-ws-url", m.WSURL())
	}
	start := c.clock.last()
	p := startProc(c.t, slug(fmt.Sprintf("day %d %s", activity, row.Name)), c.senderKey, args...)
	s := watchStrategy()
	if row.sweep {
		s = sweepStrategy()
	}
	c.waitReady(p, "start-up work done", func() bool { return s.settled(c, p) })
	open := c.clock.last()
	sr := c.stakeRegistryBinding()

	type played struct {
		member int
		pos    position
	}
	var done []played
	maxErr := 0.0
	for _, ch := range changes {
		c.waitDayBlock(open + ch.At)
		sop := c.d.Shape.Registered[ch.Member]
		op, err := c.d.Actor(c.ctx, sop.Key)
		if err != nil {
			c.t.Fatal(err)
		}
		st := c.d.Shape.Strategies[ch.Strategy]
		var r *types.Receipt
		if ch.Withdraw {
			r, err = op.Unstake(c.ctx, st, ch.Amount)
		} else {
			r, err = op.Stake(c.ctx, st, ch.Amount)
		}
		if err != nil {
			c.t.Fatalf("change %+v: %v", ch, err)
		}
		done = append(done, played{ch.Member, position{r.BlockNumber.Uint64(), r.TransactionIndex}})
		op.Close()
		maxErr = max(maxErr, c.stakeError(sr, sop.Address, sop.Quorums, r.BlockNumber.Uint64()))
	}
	end := open + dayBlocks/dayFraction + dayTail
	if len(changes) == 0 {
		end = open + 50 // a quiet day: nothing to wait for
	}
	c.waitDayBlock(end)
	p.alive(c.t)
	held, _ := p.metric("avssync_held_back_operators")
	p.stop(c.t)

	w := span{Start: open, End: end}
	res := dayResult{Row: row.Name, Activity: activity, Command: abbreviate(args), Changes: len(changes)}
	txs := c.senderTxs(w)
	for _, tx := range txs {
		res.GasWindow += tx.GasUsed
	}
	res.Txs = len(txs)
	var lat []float64
	if row.sweep {
		// The bare command sweeps at start and then every day: its day's gas is that sweep, and a
		// change waits for the next one.
		var sweepGas uint64
		for _, tx := range c.senderTxs(span{Start: start, End: open}) {
			sweepGas += tx.GasUsed
		}
		res.GasPerDay = float64(sweepGas + res.GasWindow)
		sweptAt := open
		for _, d := range done {
			lat = append(lat, float64(sweptAt+dayBlocks-d.pos.Block))
		}
		res.NotUpdated = len(done)
	} else {
		h := c.stakeHistory(w)
		for _, d := range done {
			up, ok := h.firstAfter(c.d.Shape.Registered[d.member].Address, d.pos)
			if !ok {
				res.NotUpdated++
				continue
			}
			lat = append(lat, float64(up.Block-d.pos.Block))
		}
		if len(changes) > 0 {
			res.GasPerDay = float64(res.GasWindow) * float64(activity) / float64(len(changes))
		}
		// Changes held back as immaterial are stored by the daily audit sweep, at about one
		// updateOperators share each (the fit's b + 10 c).
		if held > 0 && len(changes) > 0 {
			res.HeldEst = held * float64(activity) / float64(len(changes)) * (160_243 + 10*3_948)
			res.GasPerDay += res.HeldEst
		}
	}
	res.Latency = distributionOf(lat)
	res.MaxError = maxErr
	c.t.Logf("%s at %d/day: %d changes, %d txs, %s gas in window, %.0f gas/day, latency %+v, max error %.4f",
		row.Name, activity, len(changes), res.Txs, thousands(res.GasWindow), res.GasPerDay, res.Latency, maxErr)
	return res
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

// stakeError is the largest |weight − stored| / stored of op over its quorums at block.
func (c *benchChain) stakeError(sr *stakeregistry.ContractStakeRegistry, op common.Address, quorums []uint8, block uint64) float64 {
	c.t.Helper()
	opts := &bind.CallOpts{Context: c.ctx, BlockNumber: new(big.Int).SetUint64(block)}
	id, err := c.operatorID(op)
	if err != nil {
		c.t.Fatal(err)
	}
	worst := 0.0
	for _, q := range quorums {
		stored, err := sr.GetCurrentStake(opts, id, q)
		if err != nil {
			c.t.Fatal(err)
		}
		weight, err := sr.WeightOfOperatorForQuorum(opts, q, op)
		if err != nil {
			c.t.Fatal(err)
		}
		if stored.Sign() == 0 {
			continue
		}
		diff := new(big.Float).SetInt(new(big.Int).Abs(new(big.Int).Sub(weight, stored)))
		e, _ := new(big.Float).Quo(diff, new(big.Float).SetInt(stored)).Float64()
		worst = max(worst, e)
	}
	return worst
}

func printDay(out io.Writer, rs []dayResult) {
	fmt.Fprintf(out, "\n== A day on the EigenDA shape at mainnet-scaled time (x%d: 12 s blocks = %v, a day = %d blocks) ==\n", dayScale, dayBlockTime, dayBlocks)
	fmt.Fprintf(out, "AVS: %s\n", shapePopulationText)
	fmt.Fprintf(out, "Each run plays the changes of 1/%d day (%d blocks) and %d more blocks; gas/day = gas per change played x changes per day (watch), one sweep (bare command).\n\n", dayFraction, dayBlocks/dayFraction, dayTail)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANGES/DAY\tROW\tPLAYED\tTXS\tGAS/DAY\tBLOCKS CHANGE->UPDATE median / p95\tLARGEST STAKE ERROR")
	for _, r := range rs {
		lat := "-"
		if r.Latency.N > 0 {
			lat = fmt.Sprintf("%.0f / %.0f", r.Latency.Median, r.Latency.P95)
		}
		gas := thousands(uint64(r.GasPerDay))
		if r.HeldEst > 0 {
			gas += " (incl. " + thousands(uint64(r.HeldEst)) + " est. at the audit sweep)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%.2f%%\n", r.Activity, r.Row, r.Changes, r.Txs, gas, lat, 100*r.MaxError)
	}
	tw.Flush()
	fmt.Fprintln(out, strings.TrimSpace(`
- Blocks change->update: for watch, from the change's block to the operator's next OperatorStakeUpdate; for
  the bare command, to its next daily sweep (7200 blocks after the one at start).
- Largest stake error: the largest |weight - stored| / stored of a changed operator, read at the block of each
  change (the error only grows at a change and falls to 0 at an update), over the run.`))
}
