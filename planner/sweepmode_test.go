package planner

import (
	"slices"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/watcher"
)

// An audit sweep hands every quorum out as members (each operator read, only the stale sent); a
// refresh sweep, the default, as whole quorums. A quorum due for its stale-stakes deadline goes
// out whole in either mode, alone, before the sweep; an audit sweep does not restart its clock.
func TestSweepMode(t *testing.T) {
	const interval = time.Hour
	for _, tt := range []struct {
		mode          SweepMode
		wantQuorums   []uint8
		wantMembers   []uint8
		wantUpdateBlk bool
	}{
		{mode: "", wantQuorums: []uint8{0, 1}, wantUpdateBlk: true},
		{mode: SweepRefresh, wantQuorums: []uint8{0, 1}, wantUpdateBlk: true},
		{mode: SweepAudit, wantMembers: []uint8{0, 1}},
		{mode: SweepMaterial, wantMembers: []uint8{0, 1}},
	} {
		t.Run(string(tt.mode), func(t *testing.T) {
			p, clk := newTestPlanner(t, Config{SyncInterval: interval, SweepMode: tt.mode}, 2)
			clk.Advance(interval)
			b := mustNext(t, p)
			wantQuorums(t, b, tt.wantQuorums...)
			wantMembers(t, b, tt.wantMembers...)
			if b.Reason != ReasonSweep {
				t.Fatalf("reason %q, want %q", b.Reason, ReasonSweep)
			}
			if material := len(materialMembers(b)) == 2; material != (tt.mode == SweepMaterial) {
				t.Fatalf("sweep batch material quorums %v in mode %q", materialMembers(b), tt.mode)
			}
			p.Done(b, Outcome{})
			checkInvariants(t, p)
			if got := p.deadlines.updateBlock[0] == testHead; got != tt.wantUpdateBlk {
				t.Fatalf("quorum 0 counted as refreshed at the sweep: %v, want %v", got, tt.wantUpdateBlk)
			}
			wantWake(t, p, t0.Add(2*interval))
		})
	}

	t.Run("deadline whole under audit", func(t *testing.T) {
		p, clk := newTestPlanner(t, Config{SyncInterval: interval, SweepMode: SweepAudit, StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10}, 2)
		p.SetQuorumUpdateBlock(0, 50)
		p.SetQuorumUpdateBlock(1, testHead)
		p.AdvanceHead(testHead + 40) // quorum 0 due at 140
		clk.Advance(interval)
		b := mustNext(t, p)
		wantQuorums(t, b, 0)
		wantMembers(t, b)
		if b.Reason != ReasonDeadline {
			t.Fatalf("reason %q, want %q", b.Reason, ReasonDeadline)
		}
		p.Done(b, Outcome{})
		// Then the audit, which reads quorum 0 again at no cost.
		b = mustNext(t, p)
		wantQuorums(t, b)
		wantMembers(t, b, 0, 1)
		if b.Reason != ReasonSweep {
			t.Fatalf("reason %q, want %q", b.Reason, ReasonSweep)
		}
		p.Done(b, Outcome{})
		checkInvariants(t, p)
		noNext(t, p)
	})
}

func TestSweepModeValidate(t *testing.T) {
	if err := (Config{SweepMode: "sometimes"}).Validate(); err == nil {
		t.Fatal("sweep mode \"sometimes\" accepted")
	}
}

// A material sweep holds only the quorums it brings to the materiality rule: a quorum whose
// configuration changed, handed out in the same batch, keeps its exemption.
func TestMaterialSweepExemptsConfigChange(t *testing.T) {
	const interval = time.Hour
	p, clk := newTestPlanner(t, Config{Debounce: time.Second, SyncInterval: interval, SweepMode: SweepMaterial}, 2)
	p.Observe(watcher.Event{Kind: watcher.QuorumConfigChanged, Name: "StrategyMultiplierUpdated", Quorum: 0, Block: testHead})
	clk.Advance(interval)
	b := mustNext(t, p)
	wantMembers(t, b, 0, 1)
	if !slices.Equal(materialMembers(b), []uint8{1}) {
		t.Fatalf("material members %v, want [1]: quorum 0's multiplier changed", materialMembers(b))
	}
}
