package planner

import (
	"context"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// In a quorum at its operator cap, a stale stored stake that decides who a registration churns out
// is sent whatever the materiality rule says: the lowest stored stake, and any operator whose
// weight fell below it. Below the cap, or away from the line, the rule holds.
func TestResolveChurnLine(t *testing.T) {
	const e = int64(1e15) // above MinMaterialChange, far below 10% of the stakes
	// Operators 1..4 in quorum 0; 1 holds the lowest stored stake (100e).
	base := func(dirty OperatorStake) map[common.Address]OperatorStake {
		ss := stakesOf(
			registered(addr(1), stake(0, 100*e, 100*e, 0)),
			registered(addr(2), stake(0, 200*e, 200*e, 0)),
			registered(addr(3), stake(0, 300*e, 300*e, 0)),
			registered(addr(4), stake(0, 400*e, 400*e, 0)),
		)
		ss[dirty.Operator] = dirty
		return ss
	}
	tests := []struct {
		name  string
		dirty OperatorStake
		caps  map[uint8]uint32
		// material: a sweep in material mode instead of an event.
		material bool
		want     []common.Address
		wantLine bool
	}{
		{name: "weight falls below the lowest, quorum full", dirty: registered(addr(3), stake(0, 300*e, 95*e, 0)),
			caps: map[uint8]uint32{0: 4}, want: addrs(3), wantLine: true},
		{name: "lowest operator moves, quorum full", dirty: registered(addr(1), stake(0, 100*e, 101*e, 0)),
			caps: map[uint8]uint32{0: 4}, want: addrs(1), wantLine: true},
		{name: "material sweep, weight below the lowest, quorum full", dirty: registered(addr(3), stake(0, 300*e, 95*e, 0)),
			caps: map[uint8]uint32{0: 4}, material: true, want: addrs(3), wantLine: true},
		{name: "weight falls below the lowest, quorum below its cap", dirty: registered(addr(3), stake(0, 300*e, 95*e, 0)),
			caps: map[uint8]uint32{0: 5}},
		{name: "no cap known", dirty: registered(addr(3), stake(0, 300*e, 95*e, 0))},
		{name: "away from the line, quorum full", dirty: registered(addr(3), stake(0, 300*e, 290*e, 0)),
			caps: map[uint8]uint32{0: 4}},
		{name: "cap in another quorum", dirty: registered(addr(3), stake(0, 300*e, 95*e, 0)),
			caps: map[uint8]uint32{1: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeReader{stakes: base(tt.dirty), sets: map[uint8][]common.Address{0: addrs(1, 2, 3, 4)}}
			// A threshold of 99%: every change here is immaterial to the rule alone.
			rs := NewResolver(r, Config{MinStakeChange: 0.99, FullQuorumRatio: 1})
			b := Batch{Operators: []common.Address{tt.dirty.Operator}, Head: 7, Reason: ReasonDirty, Caps: tt.caps}
			if tt.material {
				b = Batch{Work: []QuorumWork{{Quorum: 0, Mode: QuorumMaterialMembers}}, Head: 7, Reason: ReasonSweep, Caps: tt.caps}
			}
			plan, res, err := rs.Resolve(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(plan.Operators, tt.want) {
				t.Fatalf("sent %v, want %v (immaterial %v)", plan.Operators, tt.want, res.Immaterial)
			}
			if slices.Contains(res.Immaterial, tt.dirty.Operator) == tt.wantLine {
				t.Fatalf("immaterial %v: operator %s held back = %v, want %v", res.Immaterial, tt.dirty.Operator, !tt.wantLine, !tt.wantLine)
			}
			if got := len(res.ChurnLine) > 0; got != tt.wantLine {
				t.Fatalf("churn line %+v, want one: %v", res.ChurnLine, tt.wantLine)
			}
			if tt.wantLine {
				c := res.ChurnLine[0]
				if c.Operator != tt.dirty.Operator || c.Quorum != 0 || c.Lowest.Cmp(big.NewInt(100*e)) != 0 {
					t.Fatalf("churn line %+v, want operator %s of quorum 0 against the lowest stored 100e", c, tt.dirty.Operator)
				}
			}
		})
	}
}

func TestLowestStored(t *testing.T) {
	stakes := []OperatorStake{
		registered(addr(1), stake(0, 5, 5, 0), stake(1, 9, 9, 0)),
		registered(addr(2), stake(0, 3, 30, 0)),
		{Operator: addr(3), Quorums: []QuorumStake{stake(0, 1, 1, 0)}}, // not registered
	}
	got := LowestStored(stakes, map[uint8]uint32{0: 2, 1: 2})
	if len(got) != 1 || got[0].Cmp(big.NewInt(3)) != 0 {
		t.Fatalf("LowestStored = %v, want only quorum 0 (full, 2 of 2) at 3", got)
	}
}

// While the gas budget is spent, dirty operators are still read, in a batch that sends only the
// certificate-critical ones (the churn line of a full quorum, a crossing of a quorum minimum); the
// others are deferred for the budget and come back when it is available again. The batch says
// the caps only where a quorum has one.
func TestChurnLineWhileBudgetSpent(t *testing.T) {
	for _, full := range []bool{false, true} {
		p, clk := newTestPlanner(t, Config{Debounce: time.Second}, 3)
		p.SetOperatorCap(0, 3)
		p.SetQuorumFull(0, full)
		p.SetBudget(BudgetExhausted)
		p.Observe(shares(addr(1)))
		p.Observe(shares(addr(2)))
		clk.Advance(time.Second)
		b, ok := p.Next()
		if !ok || !b.ChurnLineOnly || !slices.Equal(b.Operators, addrs(1, 2)) || b.Caps[0] != 3 {
			t.Fatalf("budget spent, quorum 0 full: batch %+v, %v; want operators 1 and 2, churn line only, with the cap", b, ok)
		}
		p.Done(b, Outcome{Deferred: addrs(2)})
		if got := p.HeldBack()[addr(2)]; got != HeldBudget {
			t.Fatalf("deferred operator held back as %q, want %q", got, HeldBudget)
		}
		clk.Advance(time.Hour)
		if b, ok := p.Next(); ok {
			t.Fatalf("deferred operator handed out again while the budget is spent: %+v", b)
		}
		p.SetBudget(BudgetAvailable)
		clk.Advance(time.Second)
		b, ok = p.Next()
		if !ok || b.ChurnLineOnly || !slices.Equal(b.Operators, addrs(2)) {
			t.Fatalf("budget available again: batch %+v, %v; want the deferred operator 2", b, ok)
		}
	}
}

// A churn-line-only batch sends the operators at the line, material or not, and defers the rest.
func TestResolveChurnLineOnly(t *testing.T) {
	const e = int64(1e15)
	r := &fakeReader{
		stakes: stakesOf(
			registered(addr(1), stake(0, 100*e, 100*e, 0)),
			registered(addr(2), stake(0, 200*e, 50*e, 0)),  // below the lowest: sent
			registered(addr(3), stake(0, 300*e, 600*e, 0)), // material, away from the line: deferred
		),
		sets: map[uint8][]common.Address{0: addrs(1, 2, 3)},
	}
	rs := NewResolver(r, Config{MinStakeChange: DefaultMinStakeChange})
	plan, res, err := rs.Resolve(context.Background(), Batch{Operators: addrs(2, 3), Head: 7, Reason: ReasonDirty,
		ChurnLineOnly: true, Caps: map[uint8]uint32{0: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.ChurnLine || !slices.Equal(plan.Operators, addrs(2)) || len(plan.Quorums) != 0 || !slices.Equal(res.Deferred, addrs(3)) {
		t.Fatalf("plan %+v deferred %v; want operator 2 alone, marked churn line, and 3 deferred", plan, res.Deferred)
	}
}

// A registration where a quorum has an operator cap asks for a reload: it may have filled the
// quorum, and only a quorum known to be full has its churn line kept exact. Without caps a
// registration costs no reload.
func TestRegistrationReloadsCappedQuorums(t *testing.T) {
	for _, capped := range []bool{false, true} {
		p, _ := newTestPlanner(t, Config{Debounce: time.Second}, 3)
		if capped {
			p.SetOperatorCap(0, 4)
		}
		p.Observe(watcher.Event{Kind: watcher.OperatorRegistered, Operator: addr(9), Quorum: watcher.NoQuorum, Block: 1})
		if got := p.NeedsReload(); got != capped {
			t.Fatalf("capped %v: NeedsReload after a registration = %v, want %v", capped, got, capped)
		}
	}
}
