package e2e

import (
	"fmt"
	"io"
	"math/big"
	"testing"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/planner"
)

// ecdsaGasReport is TestBenchECDSAGas's result: every mined point and the cost model fitted.
type ecdsaGasReport struct {
	Points []gasPoint          `json:"points"`
	Model  planner.CostModel   `json:"model"`
	Fits   []gasFit            `json:"fits"`
	Check  map[string][]string `json:"check,omitempty"`
}

// TestBenchECDSAGas mines both update functions of the ECDSA registry at several sizes (1 to 48
// operators, 1 and 4 strategies, none to all stale) and fits the cost model the daemon uses on
// ECDSA AVSs (planner.ECDSACostModel). It fails when the committed model is off by more than 15%
// at a measured point.
func TestBenchECDSAGas(t *testing.T) {
	requireBench(t)
	e := newECDSAEnv(t)
	var points []gasPoint
	strategies := 4
	// Deposits go to the quorum's first strategy, which both quorums measured weigh.
	q := e.d.Shape.Quorums[0]
	var weighed devnet.Strategy
	for _, s := range e.d.Shape.Strategies {
		if s.Address == q.Strategies[0] {
			weighed = s
		}
	}
	registered := func() []common.Address {
		var out []common.Address
		for _, m := range e.pop.Registered {
			if ok, err := e.reg.OperatorRegistered(nil, m.Address); err == nil && ok {
				out = append(out, m.Address)
			}
		}
		return sortedAddrs(out)
	}
	stake := func(ops []common.Address) {
		t.Helper()
		for _, op := range ops {
			for _, m := range e.pop.Registered {
				if m.Address == op {
					if _, err := m.Stake(e.ctx, weighed, big.NewInt(7e17)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	record := func(fn string, n, stale int, gas uint64) {
		p := gasPoint{Function: fn, Operators: n, Strategies: strategies, Stale: stale, GasUsed: gas}
		t.Logf("%s: %d operators (%d stale) × %d strategies: %s gas", fn, n, stale, strategies, thousands(gas))
		points = append(points, p)
	}
	update := func(k int) {
		t.Helper()
		ops := registered()[:k]
		stake(ops)
		r, err := e.owner.ECDSAUpdateOperators(e.ctx, ops)
		if err != nil {
			t.Fatal(err)
		}
		record("updateOperators", k, k, r.GasUsed)
	}
	refresh := func(stale int) {
		t.Helper()
		ops := registered()
		stake(ops[:stale])
		r, err := e.owner.ECDSAUpdateOperatorsForQuorum(e.ctx, ops)
		if err != nil {
			t.Fatal(err)
		}
		record("updateOperatorsForQuorum", len(ops), stale, r.GasUsed)
	}
	sizes := func() {
		for _, k := range []int{1, 5, 15, 30} {
			update(k)
		}
		for _, k := range []int{0, 10, 30} {
			refresh(k)
		}
	}
	sizes()
	// One strategy: the quorum becomes the first strategy alone, and one refresh stores it.
	if _, err := e.owner.SetECDSAQuorum(e.ctx, q.Strategies[:1], []uint64{10000}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.owner.ECDSAUpdateOperatorsForQuorum(e.ctx, registered()); err != nil {
		t.Fatal(err)
	}
	strategies = 1
	sizes()
	// Fewer operators: half deregister.
	for _, m := range e.pop.Registered[:24] {
		if _, err := m.DeregisterFromECDSA(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	refresh(0)
	refresh(10)

	rep := ecdsaGasReport{Points: points}
	var ups, fresh, staleRefresh []gasPoint
	for _, p := range points {
		switch {
		case p.Function == "updateOperators":
			ups = append(ups, p)
		case p.Stale == 0:
			fresh = append(fresh, p)
		default:
			staleRefresh = append(staleRefresh, p)
		}
	}
	fu, ok1 := fitGas("updateOperators", true, ups)
	fr, ok2 := fitGas("updateOperatorsForQuorum", false, fresh)
	if !ok1 || !ok2 {
		t.Fatal("too few points to fit")
	}
	perStale := 0.0
	for _, p := range staleRefresh {
		base := fr.A + fr.B*float64(p.Operators) + fr.C*float64(p.Operators*p.Strategies)
		perStale += (float64(p.GasUsed) - base) / float64(p.Stale)
	}
	perStale /= float64(len(staleRefresh))
	rep.Fits = []gasFit{fu, fr}
	rep.Model = planner.CostModel{UpdateBase: fu.A, UpdatePerOperator: fu.B, UpdatePerStrategy: fu.C,
		RefreshBase: fr.A, RefreshPerOperator: fr.B, RefreshPerStrategy: fr.C, RefreshPerStale: perStale,
		MaxRefreshGas: planner.ECDSACostModel.MaxRefreshGas}
	t.Logf("fitted: %+v", rep.Model)
	m := planner.ECDSACostModel
	for _, p := range points {
		pred := m.UpdateGas(p.Stale, p.Strategies)
		if p.Function != "updateOperators" {
			pred = m.RefreshGas(p.Operators, p.Strategies, p.Stale)
		}
		if off := (pred - float64(p.GasUsed)) / float64(p.GasUsed); off > 0.15 || off < -0.15 {
			t.Errorf("planner.ECDSACostModel predicts %.0f for %s of %d operators (%d stale, %d strategies), mined %d: %.0f%% off",
				pred, p.Function, p.Operators, p.Stale, p.Strategies, p.GasUsed, 100*off)
		}
	}
	writeJSON(t, "ecdsa-gas.json", rep)
	writeTable(t, "ecdsa-gas.txt", func(w io.Writer) { printECDSAGas(w, rep) })
}

func printECDSAGas(out io.Writer, r ecdsaGasReport) {
	fmt.Fprintf(out, "\n== Gas on the ECDSA registry (%s profile) ==\n\n", devnet.ProfileECDSA)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tSTRATEGIES\tOPERATORS\tSTALE\tGAS\tGAS/OPERATOR")
	for _, p := range r.Points {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", p.Function, p.Strategies, p.Operators, p.Stale, thousands(p.GasUsed), thousands(p.GasUsed/uint64(max(p.Operators, 1))))
	}
	tw.Flush()
	m := r.Model
	fmt.Fprintf(out, "\nfitted: updateOperators = %.0f + k·(%.0f + %.0f·s); updateOperatorsForQuorum = %.0f + n·(%.0f + %.0f·s) + %.0f·k\n",
		m.UpdateBase, m.UpdatePerOperator, m.UpdatePerStrategy, m.RefreshBase, m.RefreshPerOperator, m.RefreshPerStrategy, m.RefreshPerStale)
}
