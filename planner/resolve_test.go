package planner

import (
	"context"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// fakeReader serves stakes and quorum sets from maps and records how it was called.
type fakeReader struct {
	stakes map[common.Address]OperatorStake
	sets   map[uint8][]common.Address
	// err, if set, fails the call it names: "stakes" or "sets".
	errOn string
	// mangle, if set, rewrites OperatorStakes answers to break the interface's promises.
	mangle func([]OperatorStake) []OperatorStake

	stakeCalls, setCalls int
	setQuorums           []uint8
	blocks               []uint64
}

var errRPC = errors.New("rpc down")

func (f *fakeReader) OperatorStakes(_ context.Context, ops []common.Address, block uint64) ([]OperatorStake, error) {
	f.stakeCalls++
	f.blocks = append(f.blocks, block)
	if f.errOn == "stakes" {
		return nil, errRPC
	}
	out := make([]OperatorStake, len(ops))
	for i, op := range ops {
		s, ok := f.stakes[op]
		if !ok {
			s = OperatorStake{Operator: op}
		}
		out[i] = s
	}
	if f.mangle != nil {
		out = f.mangle(out)
	}
	return out, nil
}

func (f *fakeReader) QuorumOperators(_ context.Context, quorums []uint8, block uint64) (map[uint8][]common.Address, error) {
	f.setCalls++
	f.blocks = append(f.blocks, block)
	f.setQuorums = slices.Clone(quorums)
	if f.errOn == "sets" {
		return nil, errRPC
	}
	out := make(map[uint8][]common.Address)
	for _, q := range quorums {
		if ops, ok := f.sets[q]; ok {
			out[q] = ops
		}
	}
	return out, nil
}

// stake is a QuorumStake with small amounts.
func stake(q uint8, stored, weight, minimum int64) QuorumStake {
	return QuorumStake{Quorum: q, Stored: big.NewInt(stored), Weight: big.NewInt(weight), Minimum: big.NewInt(minimum)}
}

func registered(op common.Address, qs ...QuorumStake) OperatorStake {
	return OperatorStake{Operator: op, Registered: true, Quorums: qs}
}

func stakesOf(ss ...OperatorStake) map[common.Address]OperatorStake {
	m := make(map[common.Address]OperatorStake, len(ss))
	for _, s := range ss {
		m[s.Operator] = s
	}
	return m
}

func TestResolve(t *testing.T) {
	fresh := func(i int, qs ...uint8) OperatorStake {
		var st []QuorumStake
		for _, q := range qs {
			st = append(st, stake(q, 10, 10, 1))
		}
		return registered(addr(i), st...)
	}
	stale := func(i int, qs ...uint8) OperatorStake {
		var st []QuorumStake
		for _, q := range qs {
			st = append(st, stake(q, 10, 12, 1))
		}
		return registered(addr(i), st...)
	}
	tests := []struct {
		name         string
		cfg          Config
		batch        Batch
		stakes       map[common.Address]OperatorStake
		sets         map[uint8][]common.Address
		wantOps      []common.Address
		wantQuorums  []QuorumUpdate
		wantRes      Resolution
		wantSetCalls int
	}{
		{
			name:    "no-ops dropped",
			cfg:     Config{FullQuorumRatio: 1},
			batch:   Batch{Operators: addrs(1, 2, 3)},
			stakes:  stakesOf(fresh(1, 0, 1), stale(2, 0), registered(addr(3), stake(0, 5, 5, 0), stake(1, 7, 8, 0))),
			wantOps: addrs(2, 3),
			wantRes: Resolution{Candidates: 3, Noops: 1},
		},
		{
			name:    "below minimum is stale even when stored equals weight",
			cfg:     Config{FullQuorumRatio: 1},
			batch:   Batch{Operators: addrs(1)},
			stakes:  stakesOf(registered(addr(1), stake(0, 5, 5, 6))),
			wantOps: addrs(1),
			wantRes: Resolution{Candidates: 1},
		},
		{
			name:    "unregistered dropped",
			cfg:     Config{FullQuorumRatio: 1},
			batch:   Batch{Operators: addrs(1, 2)},
			stakes:  stakesOf(stale(2, 0)),
			wantOps: addrs(2),
			wantRes: Resolution{Candidates: 2, Unregistered: 1},
		},
		{
			name:    "nil amounts read as zero",
			cfg:     Config{FullQuorumRatio: 1},
			batch:   Batch{Operators: addrs(1)},
			stakes:  stakesOf(registered(addr(1), QuorumStake{Quorum: 0, Weight: new(big.Int)})),
			wantRes: Resolution{Candidates: 1, Noops: 1},
		},
		{
			name:    "stale only outside the filter is a no-op",
			cfg:     Config{Quorums: []uint8{0}, FullQuorumRatio: 1},
			batch:   Batch{Operators: addrs(1, 2)},
			stakes:  stakesOf(registered(addr(1), stake(0, 1, 1, 0), stake(1, 1, 2, 0)), stale(2, 0, 1)),
			wantOps: addrs(2),
			wantRes: Resolution{Candidates: 2, Noops: 1},
		},
		{
			name:         "escalated above the default ratio",
			batch:        Batch{Operators: addrs(1, 2, 3, 4)},
			stakes:       stakesOf(stale(1, 0), stale(2, 0), stale(3, 0), stale(4, 0)),
			sets:         map[uint8][]common.Address{0: addrs(4, 3, 2, 1)},
			wantQuorums:  []QuorumUpdate{{Quorum: 0, Operators: addrs(1, 2, 3, 4)}},
			wantRes:      Resolution{Candidates: 4, Escalated: 1, Covered: 4},
			wantSetCalls: 1,
		},
		{
			name:         "not escalated at exactly the ratio",
			batch:        Batch{Operators: addrs(1, 2, 3, 4, 5, 6, 7, 8, 9)},
			stakes:       stakesOf(stale(1, 0), stale(2, 0), stale(3, 0), stale(4, 0), stale(5, 0), stale(6, 0), stale(7, 0), stale(8, 0), stale(9, 0)),
			sets:         map[uint8][]common.Address{0: addrs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)},
			wantOps:      addrs(1, 2, 3, 4, 5, 6, 7, 8, 9),
			wantRes:      Resolution{Candidates: 9},
			wantSetCalls: 1,
		},
		{
			name:         "custom ratio",
			cfg:          Config{FullQuorumRatio: 0.25},
			batch:        Batch{Operators: addrs(1, 2)},
			stakes:       stakesOf(stale(1, 0), stale(2, 0)),
			sets:         map[uint8][]common.Address{0: addrs(1, 2, 3, 4)},
			wantQuorums:  []QuorumUpdate{{Quorum: 0, Operators: addrs(1, 2, 3, 4)}},
			wantRes:      Resolution{Candidates: 2, Escalated: 1, Covered: 2},
			wantSetCalls: 1,
		},
		{
			name:         "a quorum whose refresh failed is not escalated again",
			cfg:          Config{FullQuorumRatio: 0.25},
			batch:        Batch{Operators: addrs(1, 2, 3), Work: []QuorumWork{{Quorum: 0, NoEscalate: true}}},
			stakes:       stakesOf(stale(1, 0), stale(2, 0), stale(3, 1)),
			sets:         map[uint8][]common.Address{0: addrs(1, 2), 1: addrs(3)},
			wantOps:      addrs(1, 2),
			wantQuorums:  []QuorumUpdate{{Quorum: 1, Operators: addrs(3)}},
			wantRes:      Resolution{Candidates: 3, Escalated: 1, Covered: 1},
			wantSetCalls: 1,
		},
		{
			name:         "escalated operator stale in another quorum stays",
			batch:        Batch{Operators: addrs(1, 2)},
			stakes:       stakesOf(stale(1, 0, 1), stale(2, 0)),
			sets:         map[uint8][]common.Address{0: addrs(1, 2), 1: addrs(1, 5, 6, 7)},
			wantOps:      addrs(1),
			wantQuorums:  []QuorumUpdate{{Quorum: 0, Operators: addrs(1, 2)}},
			wantRes:      Resolution{Candidates: 2, Escalated: 1, Covered: 1},
			wantSetCalls: 1,
		},
		{
			name:         "no escalation without the quorum's set",
			batch:        Batch{Operators: addrs(1)},
			stakes:       stakesOf(stale(1, 0)),
			wantOps:      addrs(1),
			wantRes:      Resolution{Candidates: 1},
			wantSetCalls: 1,
		},
		{
			name:    "ratio 1 never escalates nor reads sets",
			cfg:     Config{FullQuorumRatio: 1},
			batch:   Batch{Operators: addrs(1)},
			stakes:  stakesOf(stale(1, 0)),
			sets:    map[uint8][]common.Address{0: addrs(1)},
			wantOps: addrs(1),
			wantRes: Resolution{Candidates: 1},
		},
		{
			name:         "batch quorums with complete sorted sets, empty kept",
			cfg:          Config{FullQuorumRatio: 1},
			batch:        Batch{Work: refreshWork(0, 2)},
			sets:         map[uint8][]common.Address{0: addrs(9, 1, 5), 2: {}},
			wantQuorums:  []QuorumUpdate{{Quorum: 0, Operators: addrs(1, 5, 9)}, {Quorum: 2, Operators: []common.Address{}}},
			wantSetCalls: 1,
		},
		{
			name:         "batch quorum covers operators stale only there",
			cfg:          Config{FullQuorumRatio: 1},
			batch:        Batch{Operators: addrs(1, 2), Work: refreshWork(0)},
			stakes:       stakesOf(stale(1, 0), stale(2, 0, 1)),
			sets:         map[uint8][]common.Address{0: addrs(1, 2, 3, 4, 5)},
			wantOps:      addrs(2),
			wantQuorums:  []QuorumUpdate{{Quorum: 0, Operators: addrs(1, 2, 3, 4, 5)}},
			wantRes:      Resolution{Candidates: 2, Covered: 1},
			wantSetCalls: 1,
		},
		{
			name:         "batch quorums filtered",
			cfg:          Config{Quorums: []uint8{1}},
			batch:        Batch{Work: refreshWork(0, 1)},
			sets:         map[uint8][]common.Address{0: addrs(1), 1: addrs(2)},
			wantQuorums:  []QuorumUpdate{{Quorum: 1, Operators: addrs(2)}},
			wantSetCalls: 1,
		},
		{
			name:  "empty batch reads nothing",
			batch: Batch{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeReader{stakes: tt.stakes, sets: tt.sets}
			tt.batch.Head, tt.batch.Reason = 1234, ReasonDirty
			plan, res, err := NewResolver(r, tt.cfg).Resolve(context.Background(), tt.batch)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if !slices.Equal(plan.Operators, tt.wantOps) {
				t.Errorf("plan operators %v, want %v", plan.Operators, tt.wantOps)
			}
			if !slices.EqualFunc(plan.Quorums, tt.wantQuorums, func(a, b QuorumUpdate) bool {
				return a.Quorum == b.Quorum && slices.Equal(a.Operators, b.Operators)
			}) {
				t.Errorf("plan quorums %v, want %v", plan.Quorums, tt.wantQuorums)
			}
			res.Stale, res.Membership, res.Misattributed = nil, nil, nil // checked by the tests of the materiality rule, value and metrics
			if !reflect.DeepEqual(res, tt.wantRes) {
				t.Errorf("resolution %+v, want %+v", res, tt.wantRes)
			}
			if plan.Block != 1234 || plan.Reason != ReasonDirty {
				t.Errorf("plan block %d reason %q, want 1234 %q", plan.Block, plan.Reason, ReasonDirty)
			}
			wantStakeCalls := 0
			if len(tt.batch.Operators) > 0 {
				wantStakeCalls = 1
			}
			if r.stakeCalls != wantStakeCalls || r.setCalls != tt.wantSetCalls {
				t.Errorf("reader calls: %d stakes, %d sets; want %d, %d", r.stakeCalls, r.setCalls, wantStakeCalls, tt.wantSetCalls)
			}
			for _, b := range r.blocks {
				if b != 1234 {
					t.Errorf("read at block %d, want the batch head 1234", b)
				}
			}
		})
	}
}

func TestResolveDoesNotModifyReaderSets(t *testing.T) {
	set := addrs(3, 1, 2)
	r := &fakeReader{sets: map[uint8][]common.Address{0: set}}
	if _, _, err := NewResolver(r, Config{}).Resolve(context.Background(), Batch{Work: refreshWork(0), Head: 1}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(set, addrs(3, 1, 2)) {
		t.Fatalf("reader's set reordered to %v", set)
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name    string
		reader  *fakeReader
		batch   Batch
		wantRPC bool // the reader's error is wrapped
	}{
		{name: "stakes read fails", reader: &fakeReader{errOn: "stakes"}, batch: Batch{Operators: addrs(1)}, wantRPC: true},
		{name: "sets read fails", reader: &fakeReader{errOn: "sets"}, batch: Batch{Work: refreshWork(0)}, wantRPC: true},
		{
			name:   "too few answers",
			reader: &fakeReader{mangle: func(s []OperatorStake) []OperatorStake { return s[:1] }},
			batch:  Batch{Operators: addrs(1, 2)},
		},
		{
			name:   "answers out of order",
			reader: &fakeReader{mangle: func(s []OperatorStake) []OperatorStake { s[0], s[1] = s[1], s[0]; return s }},
			batch:  Batch{Operators: addrs(1, 2)},
		},
		{name: "batch quorum set missing", reader: &fakeReader{}, batch: Batch{Work: refreshWork(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, _, err := NewResolver(tt.reader, Config{}).Resolve(context.Background(), tt.batch)
			if err == nil {
				t.Fatalf("Resolve: plan %+v, want an error", plan)
			}
			if errors.Is(err, errRPC) != tt.wantRPC {
				t.Fatalf("Resolve error %q: wraps the reader's error %v, want %v", err, !tt.wantRPC, tt.wantRPC)
			}
			if !plan.Empty() {
				t.Fatalf("Resolve returned plan %+v with its error", plan)
			}
		})
	}
}
