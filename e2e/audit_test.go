package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/planner"
)

// newShapeEnv is newEnv on the EigenDA-shaped devnet (started from its state cache): ops are its
// first five registered operators, in quorum 0 only (see devnet.ProfileEigenDA); the others act
// through e.d.Actor when a test needs them.
func newShapeEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	d := devnet.StartForTest(t, devnet.Options{Profile: devnet.ProfileEigenDA, BlockTime: blockTime})
	eth, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eth.Close)
	e := &env{t: t, ctx: ctx, d: d, eth: eth}
	for _, o := range d.Shape.Registered[:5] {
		a, err := d.Actor(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		e.ops = append(e.ops, a)
	}
	if e.owner, err = d.Actor(ctx, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.owner.Close)
	key := d.Key(1)
	e.senderKey = hex.EncodeToString(crypto.FromECDSA(key))
	e.sender = crypto.PubkeyToAddress(key.PublicKey)
	return e
}

// shapes runs a test on the mock AVS (three operators in quorum 0) and on the EigenDA shape.
func shapes(t *testing.T, test func(t *testing.T, e *env, stake func(ops []*devnet.Actor))) {
	t.Run("mock", func(t *testing.T) {
		e := newEnv(t, 3, 0)
		test(t, e, func(ops []*devnet.Actor) {
			if err := devnet.DepositAll(e.ctx, ops, eth(1)); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("eigenda", func(t *testing.T) {
		e := newShapeEnv(t)
		test(t, e, func(ops []*devnet.Actor) {
			for i, op := range ops {
				if _, err := op.Stake(e.ctx, e.d.Shape.Strategies[i%len(e.d.Shape.Strategies)], eth(1)); err != nil {
					t.Fatal(err)
				}
			}
		})
	})
}

// An audit sweep reads every operator and sends only the stale ones, with updateOperators: no
// quorum refresh, one transaction.
func TestAuditSweepSendsOnlyStale(t *testing.T) {
	shapes(t, func(t *testing.T, e *env, stake func([]*devnet.Actor)) {
		stale := e.ops[:2]
		stake(stale)
		for _, op := range stale {
			if e.fresh(op.Address) {
				t.Fatalf("%s fresh after its deposit", op.Address)
			}
		}
		from, nonce := e.head(), e.sent()
		dm := e.oneShot(daemonOpts{sweepMode: planner.SweepAudit})
		if err := dm.sy.Sweep(e.ctx); err != nil {
			t.Fatal(err)
		}
		for _, op := range e.ops {
			if !e.fresh(op.Address) {
				t.Fatalf("%s stale after the audit sweep", op.Address)
			}
		}
		quorums := 1
		if e.d.Shape != nil {
			quorums = len(e.d.Shape.Quorums)
		}
		for q := range uint8(quorums) {
			if ups := e.quorumUpdates(q, from); len(ups) != 0 {
				t.Fatalf("quorum %d refreshed whole at %v by an audit sweep of %d stale operators", q, ups, len(stale))
			}
		}
		if sent := e.sent() - nonce; sent != 1 {
			t.Fatalf("%d transactions, want one updateOperators", sent)
		}
		r := e.receiptOfNonce(nonce)
		if n := histogramCount(t, dm.reg, "avssync_gas_estimate_ratio", "kind", "updateOperators"); n != 1 {
			t.Fatalf("gas_estimate_ratio{kind=updateOperators} holds %d samples, want 1", n)
		}
		t.Logf("audit sweep, %d stale: one transaction, %d gas", len(stale), r.GasUsed)
	})
}

// On a quiet chain watch's audit sweeps spend no gas: nothing is sent after start-up.
func TestAuditWatchQuietDay(t *testing.T) {
	shapes(t, func(t *testing.T, e *env, _ func([]*devnet.Actor)) {
		dm := e.start(daemonOpts{debounce: debounce, syncInterval: 2 * time.Second, sweepMode: planner.SweepAudit})
		nonce, from := e.sent(), e.head()
		first := dm.sy.Status().LastSweep
		e.waitFor("a sweep after start-up", 120*time.Second, func() bool { return dm.sy.Status().LastSweep.After(first) })
		if sent := e.sent() - nonce; sent != 0 {
			t.Fatalf("%d transactions on a quiet chain, want 0", sent)
		}
		if ups := e.quorumUpdates(0, from); len(ups) != 0 {
			t.Fatalf("quorum 0 refreshed at %v on a quiet chain", ups)
		}
	})
}

// With --sweep-mode material the watch's sweeps hold to --min-stake-change as its event-driven
// updates do: an operator that moved by less than the threshold stays as stored through a sweep,
// unpaid for, while one that moved by more is updated; the audit mode's sweep stores both.
func TestMaterialSweepLeavesDrift(t *testing.T) {
	e := newEnv(t, 3, 0)
	if err := devnet.DepositAll(e.ctx, e.ops, eth(10)); err != nil {
		t.Fatal(err)
	}
	opts := daemonOpts{debounce: debounce, syncInterval: 2 * time.Second, sweepMode: planner.SweepMaterial, minStakeChange: 0.01}
	dm := e.start(opts) // its start-up check stores the 10 ETH of each
	small, large := e.ops[0], e.ops[1]
	if _, err := small.Deposit(e.ctx, new(big.Int).Div(eth(10), big.NewInt(200))); err != nil { // 0.5%
		t.Fatal(err)
	}
	if _, err := large.Deposit(e.ctx, eth(1)); err != nil { // 10%
		t.Fatal(err)
	}
	e.waitFor("the 10% change stored", 60*time.Second, func() bool { return e.fresh(large.Address) })
	nonce := e.sent()
	// The second sweep to finish from here was handed out after both changes were read.
	for i := range 2 {
		last := dm.sy.Status().LastSweep
		e.waitFor(fmt.Sprintf("sweep %d after the changes", i+1), 120*time.Second, func() bool { return dm.sy.Status().LastSweep.After(last) })
	}
	if e.fresh(small.Address) {
		t.Fatalf("%s, 0.5%% off its weight, updated by material sweeps at 1%%", small.Address)
	}
	if sent := e.sent() - nonce; sent != 0 {
		t.Fatalf("%d transactions from material sweeps with only a 0.5%% drift left, want 0", sent)
	}
	// The gauge is cleared when a sweep is handed out and set again once the loop has taken its
	// outcome back.
	e.waitFor("the 0.5% operator held back after the sweeps", 30*time.Second, func() bool {
		return counter(t, dm.reg, "avssync_held_back_operators", "reason", planner.HeldImmaterial) == 1
	})
	dm.stop(t)

	opts.sweepMode = planner.SweepAudit
	dm = e.start(opts)
	e.waitFor("an audit sweep to store the 0.5% change", 120*time.Second, func() bool { return e.fresh(small.Address) })
}

// histogramCount is the sample count of the histogram name in reg with the given label.
func histogramCount(t *testing.T, reg *prometheus.Registry, name, label, value string) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// In audit mode (watch's default) a quorum is refreshed whole only for its stale-stakes deadline,
// before the stored update block gets older than the withdrawal delay; a change in between goes
// out as an updateOperators of its operator alone.
func TestAuditDeadlineRefreshesWhole(t *testing.T) {
	const delay, margin = 80, 20
	e := newEnv(t, 2, 0)
	from := e.head()
	e.start(daemonOpts{debounce: debounce, sweepMode: planner.SweepAudit, withdrawalDelay: delay, deadlineMargin: margin})
	e.waitFor("a deadline refresh of quorum 0", 60*time.Second, func() bool { return len(e.quorumUpdates(0, from)) >= 1 })
	first := e.quorumUpdates(0, from)[0]

	nonce := e.sent()
	rec, err := e.ops[0].Deposit(e.ctx, eth(1))
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("the deposit applied", 30*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	r := e.receiptOfNonce(nonce)
	if m := e.methodOfNonce(nonce); m != "updateOperators" {
		t.Fatalf("the deposit's update calls %q, want updateOperators", m)
	}
	if ups := e.quorumUpdates(0, first+1); len(ups) != 0 && ups[0] <= r.BlockNumber.Uint64() {
		t.Fatalf("quorum 0 refreshed at %d, before its deadline at %d, for a change at block %d", ups[0], first+delay-margin, receiptBlock(rec))
	}

	e.waitFor("the next deadline refresh", 60*time.Second, func() bool { return len(e.quorumUpdates(0, first+1)) >= 1 })
	second := e.quorumUpdates(0, first+1)[0]
	if second < first+delay-margin || second >= first+delay {
		t.Fatalf("refreshes at blocks %d and %d: want the second in [%d, %d), due at update + delay - margin and before the stakes go stale",
			first, second, first+delay-margin, first+delay)
	}
	t.Logf("deadline refreshes at blocks %d and %d (delay %d, margin %d); the deposit at block %d stored by updateOperators at %d (%d gas)",
		first, second, delay, margin, receiptBlock(rec), r.BlockNumber, r.GasUsed)
}
