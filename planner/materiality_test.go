package planner

import (
	"context"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestMaterial(t *testing.T) {
	const e18 = 1_000_000_000_000_000_000
	big18 := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(e18)) }
	plus := func(a *big.Int, d int64) *big.Int { return new(big.Int).Add(a, big.NewInt(d)) }
	tests := []struct {
		name                    string
		stored, weight, minimum *big.Int
		total                   *big.Int // the quorum's total stored stake; nil: 1,000,000 ETH
		want                    bool
	}{
		{name: "1 wei on 10 ETH", stored: big18(10), weight: plus(big18(10), 1), minimum: new(big.Int), want: false},
		{name: "20 wei on 10 ETH", stored: big18(10), weight: plus(big18(10), 20), minimum: new(big.Int), want: false},
		{name: "just under 0.1%", stored: big18(1000), weight: plus(big18(1000), e18-1), minimum: new(big.Int), want: false},
		{name: "exactly 0.1%", stored: big18(1000), weight: big18(1001), minimum: new(big.Int), want: true},
		{name: "decrease of 1%", stored: big18(100), weight: big18(99), minimum: new(big.Int), want: true},
		{name: "1 wei on stored 0", stored: new(big.Int), weight: big.NewInt(1), minimum: new(big.Int), want: false},
		// The floor is a millionth of the quorum (minChange / 1000 of its total): 1 ETH of 1,000,000.
		{name: "just under the quorum floor on stored 0", stored: new(big.Int), weight: plus(big18(1), -1), minimum: new(big.Int), want: false},
		{name: "the quorum floor on stored 0", stored: new(big.Int), weight: big18(1), minimum: new(big.Int), want: true},
		{name: "a doubling of a tiny stake, under the quorum floor", stored: big.NewInt(1e9), weight: big.NewInt(2e9), minimum: new(big.Int), want: false},
		{name: "stored 0, total unknown", stored: new(big.Int), weight: big.NewInt(1), minimum: new(big.Int), total: new(big.Int), want: true},
		// Units are the AVS's: 1% of an operator holding 1,000 tokens of a 6-decimal token (weight
		// 1e9 at multiplier 1e18) in a quorum of 100,000 tokens is material, as it is at 18 decimals.
		{name: "1% at 6 decimals", stored: big.NewInt(1000e6), weight: big.NewInt(1010e6), minimum: new(big.Int), total: big.NewInt(100_000e6), want: true},
		{name: "1% at 18 decimals", stored: big18(1000), weight: big18(1010), minimum: new(big.Int), total: big18(100_000), want: true},
		{name: "1% at 8 decimals, multiplier 1e12", stored: big.NewInt(1000e8 / 1e6), weight: big.NewInt(1010e8 / 1e6), minimum: new(big.Int), total: big.NewInt(100_000e8 / 1e6), want: true},
		{name: "0.05% at 6 decimals", stored: big.NewInt(1000e6), weight: big.NewInt(1000_500_000), minimum: new(big.Int), total: big.NewInt(100_000e6), want: false},
		{name: "1 unit on stored 0 at 6 decimals", stored: new(big.Int), weight: big.NewInt(1), minimum: new(big.Int), total: big.NewInt(100_000e6), want: false},
		{name: "stored 0 crossing the minimum up", stored: new(big.Int), weight: big18(10), minimum: big18(10), want: true},
		{name: "dust crossing the minimum down", stored: big18(10), weight: plus(big18(10), -1), minimum: big18(10), want: true},
		{name: "dust crossing the minimum up", stored: plus(big18(10), -1), weight: big18(10), minimum: big18(10), want: true},
		{name: "dust above the minimum", stored: big18(11), weight: plus(big18(11), 1), minimum: big18(10), want: false},
		{name: "nil amounts", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total := tt.total
			if total == nil {
				total = big18(1_000_000)
			}
			st := QuorumStake{Stored: tt.stored, Weight: tt.weight, Minimum: tt.minimum, Total: total}
			if got := Material(st, DefaultMinStakeChange); got != tt.want {
				t.Fatalf("Material(%s -> %s, min %s) = %v, want %v", tt.stored, tt.weight, tt.minimum, got, tt.want)
			}
		})
	}
}

// The materiality rule applies to event-driven candidates only: quorum members (configuration
// changes, failed refreshes) and sweeps are exempt.
func TestResolveMateriality(t *testing.T) {
	dust := func(op common.Address) OperatorStake { return registered(op, stake(0, 1e18, 1e18+1e12, 0)) }
	real := func(op common.Address) OperatorStake { return registered(op, stake(0, 1e18, 1.1e18, 0)) }
	r := &fakeReader{
		stakes: stakesOf(dust(addr(1)), real(addr(2)), dust(addr(3))),
		sets:   map[uint8][]common.Address{0: addrs(1, 2, 3), 1: addrs(3)},
	}
	cfg := Config{MinStakeChange: DefaultMinStakeChange, FullQuorumRatio: 1}
	rs := NewResolver(r, cfg)

	plan, res, err := rs.Resolve(context.Background(), Batch{Operators: addrs(1, 2), Head: 1, Reason: ReasonDirty})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Operators, addrs(2)) || !slices.Equal(res.Immaterial, addrs(1)) {
		t.Fatalf("plan %v immaterial %v, want [2] sent and [1] held back", plan.Operators, res.Immaterial)
	}
	if len(res.Stale) != 2 {
		t.Fatalf("stale %v, want both operators reported stale", res.Stale)
	}

	// Members of a quorum are exempt, even when also in Operators.
	plan, res, err = rs.Resolve(context.Background(), Batch{Operators: addrs(1), Work: []QuorumWork{{Quorum: 1, Mode: QuorumMembers}}, Head: 1, Reason: ReasonConfig})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Operators, addrs(3)) || !slices.Equal(res.Immaterial, addrs(1)) {
		t.Fatalf("plan %v immaterial %v, want member 3 sent, operator 1 held back", plan.Operators, res.Immaterial)
	}

	// A sweep's refresh carries every operator.
	plan, _, err = rs.Resolve(context.Background(), Batch{Work: refreshWork(0), Head: 1, Reason: ReasonSweep})
	if err != nil || len(plan.Quorums) != 1 {
		t.Fatalf("sweep plan %+v, %v", plan, err)
	}
}

// A sweep in material mode holds its members to the rule too: the dust stays, the real change
// goes; a deregistering drop below the minimum is material whatever its size.
func TestResolveMaterialSweep(t *testing.T) {
	dust := func(op common.Address) OperatorStake { return registered(op, stake(0, 1e18, 1e18+1e12, 0)) }
	real := func(op common.Address) OperatorStake { return registered(op, stake(0, 1e18, 1.1e18, 0)) }
	below := func(op common.Address) OperatorStake { return registered(op, stake(0, 1e18, 1e18-1, 1e18)) }
	r := &fakeReader{
		stakes: stakesOf(dust(addr(1)), real(addr(2)), dust(addr(3)), below(addr(4))),
		sets:   map[uint8][]common.Address{0: addrs(1, 2, 3, 4)},
	}
	rs := NewResolver(r, Config{MinStakeChange: DefaultMinStakeChange, FullQuorumRatio: 1})
	for _, material := range []bool{false, true} {
		b := Batch{Work: []QuorumWork{{Quorum: 0, Mode: QuorumMembers}}, Head: 1, Reason: ReasonSweep}
		if material {
			b.Work[0].Mode = QuorumMaterialMembers
		}
		plan, res, err := rs.Resolve(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		wantSent, wantHeld := addrs(1, 2, 3, 4), []common.Address(nil)
		if material {
			wantSent, wantHeld = addrs(2, 4), addrs(1, 3)
		}
		if !slices.Equal(plan.Operators, wantSent) || !slices.Equal(res.Immaterial, wantHeld) {
			t.Fatalf("material %v: plan %v immaterial %v, want %v sent and %v held back", material, plan.Operators, res.Immaterial, wantSent, wantHeld)
		}
	}
}

// In a batch that carries a material sweep of quorum 0 and a configuration change of quorum 1, an
// operator in both quorums is exempt: the configuration change moved it.
func TestResolveMaterialSweepWithConfigChange(t *testing.T) {
	dust := func(op common.Address, qs ...uint8) OperatorStake {
		o := registered(op)
		for _, q := range qs {
			o.Quorums = append(o.Quorums, stake(q, 1e18, 1e18+1e12, 0))
		}
		return o
	}
	r := &fakeReader{
		stakes: stakesOf(dust(addr(1), 0), dust(addr(2), 0, 1)),
		sets:   map[uint8][]common.Address{0: addrs(1, 2), 1: addrs(2)},
	}
	rs := NewResolver(r, Config{MinStakeChange: DefaultMinStakeChange, FullQuorumRatio: 1})
	plan, res, err := rs.Resolve(context.Background(), Batch{Work: []QuorumWork{{Quorum: 0, Mode: QuorumMaterialMembers}, {Quorum: 1, Mode: QuorumMembers}}, Head: 1, Reason: ReasonConfig})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Operators, addrs(2)) || !slices.Equal(res.Immaterial, addrs(1)) {
		t.Fatalf("plan %v immaterial %v, want 2 (quorum 1 changed) sent and 1 held back", plan.Operators, res.Immaterial)
	}
}

// A quorum whose refresh failed: its stale members go through updateOperators, the quorum is not
// refreshed nor escalated, whatever share of it is stale.
func TestResolveMembersOnly(t *testing.T) {
	r := &fakeReader{
		stakes: stakesOf(
			registered(addr(1), stake(0, 1, 2, 0)),
			registered(addr(2), stake(0, 1, 2, 0)),
			registered(addr(3), stake(0, 5, 5, 0)),
			registered(addr(4), stake(1, 1, 3, 0)),
		),
		sets: map[uint8][]common.Address{0: addrs(3, 1, 2)},
	}
	plan, res, err := NewResolver(r, Config{FullQuorumRatio: 0.5}).Resolve(context.Background(),
		Batch{Operators: addrs(1, 4), Work: []QuorumWork{{Quorum: 0, Mode: QuorumMembersOnly}}, Head: 7, Reason: ReasonSweep})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Quorums) != 0 || res.Escalated != 0 {
		t.Fatalf("plan quorums %+v escalated %d, want none", plan.Quorums, res.Escalated)
	}
	if !slices.Equal(plan.Operators, addrs(1, 2, 4)) {
		t.Fatalf("plan operators %v, want [1 2 4]", plan.Operators)
	}
	if res.Candidates != 4 || res.Noops != 1 {
		t.Fatalf("resolution %+v, want 4 candidates, 1 noop", res)
	}
	// Quorum 0's set is read once; the second read is quorum 1's, for escalating operator 4.
	if r.stakeCalls != 1 || r.setCalls != 2 || !slices.Equal(r.setQuorums, []uint8{1}) {
		t.Fatalf("reads: %d stakes, %d sets (last %v); want 1 and 2 (last [1])", r.stakeCalls, r.setCalls, r.setQuorums)
	}
}

// Members of a configuration change are resolved like any batch: nothing stale sends nothing;
// nearly all stale is escalated to a refresh, and the set read once serves both.
func TestResolveMembersEscalate(t *testing.T) {
	fresh := &fakeReader{
		stakes: stakesOf(registered(addr(1), stake(0, 5, 5, 0)), registered(addr(2), stake(0, 5, 5, 0))),
		sets:   map[uint8][]common.Address{0: addrs(1, 2)},
	}
	plan, _, err := NewResolver(fresh, Config{}).Resolve(context.Background(), Batch{Work: []QuorumWork{{Quorum: 0, Mode: QuorumMembers}}, Head: 1, Reason: ReasonConfig})
	if err != nil || !plan.Empty() {
		t.Fatalf("plan %+v, %v; want nothing to send", plan, err)
	}
	stale := &fakeReader{
		stakes: stakesOf(registered(addr(1), stake(0, 5, 6, 0)), registered(addr(2), stake(0, 5, 6, 0))),
		sets:   map[uint8][]common.Address{0: addrs(2, 1)},
	}
	plan, res, err := NewResolver(stale, Config{}).Resolve(context.Background(), Batch{Work: []QuorumWork{{Quorum: 0, Mode: QuorumMembers}}, Head: 1, Reason: ReasonConfig})
	if err != nil || len(plan.Quorums) != 1 || len(plan.Operators) != 0 || res.Escalated != 1 {
		t.Fatalf("plan %+v res %+v, %v; want quorum 0 refreshed whole", plan, res, err)
	}
	if !slices.Equal(plan.Quorums[0].Operators, addrs(1, 2)) || stale.setCalls != 1 {
		t.Fatalf("refresh %+v after %d set reads, want the sorted set read once", plan.Quorums[0], stale.setCalls)
	}
}
