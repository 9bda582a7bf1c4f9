package e2e

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// shapePopulationText describes the EigenDA-shaped devnet (devnet.ProfileEigenDA).
const shapePopulationText = "EigenDA shape: quorum 0 over 10 strategies (210 operators), quorum 1 over 1 strategy (55), slashable quorum 2 over 2 strategies (35); 240 registered operators, 60 in two quorums; 20 outsiders; skewed stake"

// newShapeChain starts the EigenDA-shaped devnet (from its state cache) with actors for its
// operators. With busy, the fee market is held steady as in newBenchChain.
func newShapeChain(t *testing.T, ctx context.Context, busy bool) *benchChain {
	return newShapeChainAt(t, ctx, busy, blockTime, true)
}

// newShapeChainAt is newShapeChain with blocks every every; without actors, c.pop holds the
// registered operators without actors (make them with c.d.Actor as needed).
func newShapeChainAt(t *testing.T, ctx context.Context, busy bool, every time.Duration, actors bool) *benchChain {
	t.Helper()
	began := time.Now()
	d, err := devnet.Start(ctx, devnet.Options{Profile: devnet.ProfileEigenDA, BlockTime: every, Accounts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if busy {
		stop, err := d.SteadyTips(ctx, steadyTip, 2, d.Keys()-1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	eth, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eth.Close)
	clock, err := startHeadClock(ctx, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(clock.close)
	pop := &devnet.Populated{Registered: make([]devnet.Member, len(d.Shape.Registered))}
	if actors {
		if pop, err = d.Actors(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pop.Close)
	}
	key := d.Key(1)
	e := &env{t: t, ctx: ctx, d: d, eth: eth, senderKey: hex.EncodeToString(crypto.FromECDSA(key)), sender: crypto.PubkeyToAddress(key.PublicKey)}
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(owner.Close)
	e.owner = owner
	c := &benchChain{env: e, pop: pop, clock: clock, setup: time.Since(began), blockTime: every}
	t.Logf("EigenDA-shaped devnet with %d registered operators ready in %v", len(pop.Registered), c.setup.Round(time.Millisecond))
	return c
}

// stakeFor makes each of members stale in every quorum it is in: a deposit of amount into a
// strategy every one of its quorums weighs (the slashable quorum's strategies are in quorum 0
// too), 32 at a time.
func (c *benchChain) stakeFor(members []devnet.Member, amount *big.Int) {
	c.t.Helper()
	shape := c.d.Shape
	sem := make(chan struct{}, 32)
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, errs[i] = m.Stake(c.ctx, shape.Strategies[stakeStrategy(shape, m.Quorums, i)], amount)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.t.Fatal(err)
	}
}

// stakeStrategy is the index of a strategy every one of quorums weighs: quorum 1's single
// strategy, the first of the slashable quorum's (allocated by its members), else one of quorum
// 0's ten, spread by i.
func stakeStrategy(shape *devnet.Shape, quorums []uint8, i int) int {
	index := func(a common.Address) int {
		return slices.IndexFunc(shape.Strategies, func(s devnet.Strategy) bool { return s.Address == a })
	}
	switch {
	case slices.Contains(quorums, 1):
		return index(shape.Quorums[1].Strategies[0])
	case slices.Contains(quorums, 2):
		return index(shape.Quorums[2].Strategies[0])
	}
	return i % len(shape.Strategies)
}

// gasPoint is one measured transaction.
type gasPoint struct {
	Function   string `json:"function"`
	Quorum     int    `json:"quorum"`
	Operators  int    `json:"operators"`
	Strategies int    `json:"strategies"`
	Slashable  bool   `json:"slashable,omitempty"`
	// Stale is how many listed operators had a stake to store.
	Stale   int    `json:"stale"`
	GasUsed uint64 `json:"gas_used"`
}

// gasFit is gas = A + B·operators + C·operators·strategies over a function's points.
type gasFit struct {
	Function string  `json:"function"`
	Stale    bool    `json:"stale"`
	A        float64 `json:"a"`
	B        float64 `json:"b_per_operator"`
	C        float64 `json:"c_per_operator_per_strategy"`
	MaxErr   float64 `json:"max_relative_error"`
	Points   int     `json:"points"`
}

type shapeGasReport struct {
	Population string     `json:"population"`
	Points     []gasPoint `json:"points"`
	Fits       []gasFit   `json:"fits"`
	// PerStaleInQuorumRefresh is updateOperatorsForQuorum's extra gas per stale operator of quorum 0.
	PerStaleInQuorumRefresh float64  `json:"per_stale_operator_in_quorum0_refresh"`
	Sweep                   sweepRun `json:"sweep_quorum0_all_stale"`
	MaxTxGas                uint64   `json:"max_tx_gas"`
}

// TestBenchShapeGas measures on the EigenDA shape what one operator costs per strategy in both
// update functions, fits gas = a + b·operators + c·operators·strategies, and runs the sweep of
// quorum 0 with every operator stale under the per-transaction gas cap.
func TestBenchShapeGas(t *testing.T) {
	requireBench(t)
	ctx := benchContext(t, 10*time.Minute)
	c := newShapeChain(t, ctx, true)
	shape := c.d.Shape
	reg := c.pop.Registered
	q0only, q1only, q2only := reg[:150], reg[210:230], reg[230:240]
	var points []gasPoint
	addrs := func(ms []devnet.Member) []common.Address {
		out := make([]common.Address, len(ms))
		for i, m := range ms {
			out[i] = m.Address
		}
		return out
	}
	measure := func(fn string, q uint8, ms []devnet.Member, stale int) {
		t.Helper()
		var used uint64
		if fn == "updateOperators" {
			r, err := c.owner.UpdateOperators(ctx, addrs(ms))
			if err != nil {
				t.Fatalf("updateOperators of %d: %v", len(ms), err)
			}
			used = r.GasUsed
		} else {
			ops, err := c.d.QuorumOperators(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			ops = sortedAddrs(ops)
			r, err := c.owner.UpdateOperatorsForQuorum(ctx, [][]common.Address{ops}, []uint8{q})
			if err != nil {
				t.Fatalf("updateOperatorsForQuorum %d: %v", q, err)
			}
			used = r.GasUsed
			ms = make([]devnet.Member, len(ops))
		}
		quorum := shape.Quorums[q]
		p := gasPoint{Function: fn, Quorum: int(q), Operators: len(ms), Strategies: len(quorum.Strategies), Slashable: quorum.Slashable, Stale: stale, GasUsed: used}
		t.Logf("%s quorum %d: %d operators (%d stale) × %d strategies: %s gas", fn, q, p.Operators, stale, p.Strategies, thousands(used))
		points = append(points, p)
	}
	for q := uint8(0); q < 3; q++ {
		measure("updateOperatorsForQuorum", q, nil, 0)
	}
	sizes := []struct {
		q   uint8
		set []devnet.Member
		ns  []int
	}{{0, q0only, []int{1, 10, 30}}, {1, q1only, []int{1, 10, 20}}, {2, q2only, []int{1, 10}}}
	for _, s := range sizes {
		for _, n := range s.ns {
			measure("updateOperators", s.q, s.set[:n], 0)
		}
	}
	for _, s := range sizes {
		for _, n := range s.ns {
			c.stakeFor(s.set[:n], milliEth(10))
			measure("updateOperators", s.q, s.set[:n], n)
		}
	}
	// Quorum refreshes at more sizes: ten outsiders join quorum 0, ten quorum 1.
	for i, o := range c.pop.Outsiders {
		q := uint8(i % 2)
		if err := o.RegisterWithAVS(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	measure("updateOperatorsForQuorum", 0, nil, 0)
	measure("updateOperatorsForQuorum", 1, nil, 0)
	const stale = 10
	c.stakeFor(q0only[:stale], milliEth(10))
	measure("updateOperatorsForQuorum", 0, nil, stale)

	report := shapeGasReport{Population: shapePopulationText, Points: points, MaxTxGas: params.MaxTxGas}
	fresh0 := points[len(points)-3].GasUsed
	report.PerStaleInQuorumRefresh = float64(points[len(points)-1].GasUsed-fresh0) / stale
	for _, fn := range []string{"updateOperators", "updateOperatorsForQuorum"} {
		for _, st := range []bool{false, true} {
			var ps []gasPoint
			for _, p := range points {
				if p.Function == fn && !p.Slashable && (p.Stale > 0) == st && (p.Stale == 0 || p.Stale == p.Operators) {
					ps = append(ps, p)
				}
			}
			if f, ok := fitGas(fn, st, ps); ok {
				report.Fits = append(report.Fits, f)
			}
		}
	}

	// Sweep scale: every operator of quorum 0 stale, `avs-sync sweep --quorums 0` at its defaults.
	var all0 []devnet.Member
	for _, m := range reg {
		if m.Quorums[0] == 0 {
			all0 = append(all0, m)
		}
	}
	for i, o := range c.pop.Outsiders {
		if i%2 == 0 {
			all0 = append(all0, devnet.Member{Actor: o, Quorums: []uint8{0}})
		}
	}
	c.stakeFor(all0, milliEth(10))
	report.Sweep = c.sweepOnce("sweep --quorums 0, all stale (EigenDA shape)", len(all0), "sweep", "--quorums", "0")
	for _, tx := range report.Sweep.Txs {
		if tx.Failed || tx.GasUsed > params.MaxTxGas {
			t.Errorf("sweep transaction in block %d failed or passed the cap: %+v", tx.Block, tx)
		}
	}
	writeJSON(t, "shape-gas.json", report)
	writeTable(t, "shape-gas.txt", func(w io.Writer) { printShapeGas(w, report) })
}

// fitGas solves the least-squares fit gas = a + b·n + c·n·s over points (3 or more, with at
// least two strategy counts).
func fitGas(fn string, stale bool, ps []gasPoint) (gasFit, bool) {
	if len(ps) < 3 {
		return gasFit{}, false
	}
	// Normal equations XᵀX β = Xᵀy with rows [1, n, n·s].
	var m [3][4]float64
	for _, p := range ps {
		x := [3]float64{1, float64(p.Operators), float64(p.Operators * p.Strategies)}
		for i := range 3 {
			for j := range 3 {
				m[i][j] += x[i] * x[j]
			}
			m[i][3] += x[i] * float64(p.GasUsed)
		}
	}
	for col := range 3 {
		piv := col
		for r := col + 1; r < 3; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[piv][col]) {
				piv = r
			}
		}
		m[col], m[piv] = m[piv], m[col]
		if math.Abs(m[col][col]) < 1e-9 {
			return gasFit{}, false
		}
		for r := range 3 {
			if r == col {
				continue
			}
			f := m[r][col] / m[col][col]
			for k := col; k < 4; k++ {
				m[r][k] -= f * m[col][k]
			}
		}
	}
	f := gasFit{Function: fn, Stale: stale, A: m[0][3] / m[0][0], B: m[1][3] / m[1][1], C: m[2][3] / m[2][2], Points: len(ps)}
	for _, p := range ps {
		pred := f.A + f.B*float64(p.Operators) + f.C*float64(p.Operators*p.Strategies)
		f.MaxErr = max(f.MaxErr, math.Abs(pred-float64(p.GasUsed))/float64(p.GasUsed))
	}
	return f, true
}

func printShapeGas(out io.Writer, r shapeGasReport) {
	fmt.Fprintf(out, "\n== Gas on the EigenDA shape ==\nAVS: %s\n\n", r.Population)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tQUORUM\tSTRATEGIES\tOPERATORS\tSTALE\tGAS\tGAS/OPERATOR")
	for _, p := range r.Points {
		q := fmt.Sprint(p.Quorum)
		if p.Slashable {
			q += " (slashable)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", p.Function, q, p.Strategies, p.Operators, p.Stale, thousands(p.GasUsed), thousands(p.GasUsed/uint64(max(p.Operators, 1))))
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIT gas = a + b·operators + c·operators·strategies\tOPERATORS\ta\tb\tc\tMAX ERROR\tPOINTS")
	for _, f := range r.Fits {
		kind := "unchanged"
		if f.Stale {
			kind = "all stale"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.1f%%\t%d\n", f.Function, kind, f.A, f.B, f.C, 100*f.MaxErr, f.Points)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nupdateOperatorsForQuorum of quorum 0: %.0f gas more per stale operator.\n", r.PerStaleInQuorumRefresh)
	s := r.Sweep
	fmt.Fprintf(out, "Sweep scale, quorum 0 all %d stale, per-transaction cap %s: %d transactions, %s gas, %.1f s", s.Stale, thousands(r.MaxTxGas), len(s.Txs), thousands(s.GasUsed), s.WallSeconds)
	if s.Error != "" {
		fmt.Fprintf(out, ", FAILED: %s", s.Error)
	}
	fmt.Fprintln(out)
	for _, g := range groupTxs(s.Txs) {
		fmt.Fprintf(out, "  %s: %d transactions of %s operators, %s gas each\n", g.function, g.txs, rangeOf(g.minOps, g.maxOps, strconv.Itoa), rangeOf(g.minGas, g.maxGas, thousands))
	}
}

// sortedAddrs sorts addresses ascending, as updateOperatorsForQuorum requires.
func sortedAddrs(a []common.Address) []common.Address {
	out := slices.Clone(a)
	slices.SortFunc(out, func(x, y common.Address) int { return x.Cmp(y) })
	return out
}
