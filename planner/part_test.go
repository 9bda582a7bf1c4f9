package planner

import (
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestAddParts(t *testing.T) {
	a, b, c := common.HexToAddress("0xa"), common.HexToAddress("0xb"), common.HexToAddress("0xc")
	list := []common.Address{a, b}
	tests := []struct {
		name  string
		batch Batch
		parts []Part
		want  Outcome
	}{
		{name: "landed parts fail and wait nothing, and store their operators", batch: Batch{Operators: list},
			parts: []Part{{Operators: list}, {Operators: []common.Address{c}, Quorums: []uint8{1}}},
			want:  Outcome{Stored: []common.Address{a, b, c}}},
		{name: "an own failure of one operator fails it, no list", batch: Batch{Operators: []common.Address{a}},
			parts: []Part{{Operators: []common.Address{a}, Fault: FaultOwn}},
			want:  Outcome{FailedOperators: []common.Address{a}}},
		{name: "an own failure of a list fails all and is split", batch: Batch{Operators: list},
			parts: []Part{{Operators: list, Fault: FaultOwn}},
			want:  Outcome{FailedOperators: list, FailedLists: [][]common.Address{list}}},
		{name: "the node's fault waits", batch: Batch{Operators: list},
			parts: []Part{{Operators: list, Fault: FaultNode}},
			want:  Outcome{WaitingOperators: list}},
		{name: "fees, budget and shutdown wait", batch: Batch{Operators: []common.Address{a, b, c}},
			parts: []Part{{Operators: []common.Address{a}, Fault: FaultFees}, {Operators: []common.Address{b}, Fault: FaultBudget},
				{Operators: []common.Address{c}, Fault: FaultStopped}},
			want: Outcome{WaitingOperators: []common.Address{a, b, c}}},
		{name: "a failed refresh fails its quorum and takes the batch's own members back", batch: Batch{Operators: []common.Address{a}, Work: refreshWork(1)},
			parts: []Part{{Operators: []common.Address{a, c}, Quorums: []uint8{1}, Fault: FaultOwn}},
			want:  Outcome{FailedQuorums: []uint8{1}, WaitingOperators: []common.Address{a}}},
		{name: "a refresh that waits on fees waits", batch: Batch{Work: refreshWork(0, 1)},
			parts: []Part{{Operators: []common.Address{a, c}, Quorums: []uint8{0, 1}, Fault: FaultFees}},
			want:  Outcome{WaitingQuorums: []uint8{0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o Outcome
			o.AddParts(tt.batch, tt.parts)
			if !slices.Equal(o.FailedOperators, tt.want.FailedOperators) || !slices.Equal(o.FailedQuorums, tt.want.FailedQuorums) ||
				!slices.Equal(o.WaitingOperators, tt.want.WaitingOperators) || !slices.Equal(o.WaitingQuorums, tt.want.WaitingQuorums) ||
				!slices.EqualFunc(o.FailedLists, tt.want.FailedLists, slices.Equal) || !slices.Equal(o.Stored, tt.want.Stored) {
				t.Fatalf("outcome %+v, want %+v", o, tt.want)
			}
		})
	}
}
