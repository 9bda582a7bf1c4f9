package planner

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/watcher"
)

// quorumsIn returns the batch's quorums in one of the modes, ascending.
func quorumsIn(b Batch, modes ...QuorumMode) []uint8 {
	return b.quorums(func(w QuorumWork) bool { return slices.Contains(modes, w.Mode) }).list()
}

// members returns the quorums whose members the batch resolves without a refresh to follow.
func members(b Batch) []uint8 { return quorumsIn(b, QuorumMembers, QuorumMaterialMembers) }

func membersOnly(b Batch) []uint8 { return quorumsIn(b, QuorumMembersOnly) }

func materialMembers(b Batch) []uint8 { return quorumsIn(b, QuorumMaterialMembers) }

func noEscalated(b Batch) []uint8 {
	return b.quorums(func(w QuorumWork) bool { return w.NoEscalate }).list()
}

// checkWork fails t unless b's records are ascending by quorum, once each, and each is one a
// batch may carry (see QuorumWork).
func checkWork(t *testing.T, b Batch) {
	t.Helper()
	for i, w := range b.Work {
		switch {
		case i > 0 && b.Work[i-1].Quorum >= w.Quorum:
			t.Fatalf("batch work %v: quorum %d after quorum %d", b.Work, w.Quorum, b.Work[i-1].Quorum)
		case w.Mode > QuorumMembersOnly:
			t.Fatalf("batch work %v: quorum %d in unknown mode %d", b.Work, w.Quorum, w.Mode)
		case w.Mode == QuorumRefresh && w.NoEscalate:
			t.Fatalf("batch work %v: quorum %d refreshed whole and not to be escalated", b.Work, w.Quorum)
		case w.Mode == QuorumNoWork && !w.NoEscalate:
			t.Fatalf("batch work %v: quorum %d has nothing to do", b.Work, w.Quorum)
		}
	}
}

// refreshWork returns the records of a batch refreshing qs whole.
func refreshWork(qs ...uint8) []QuorumWork {
	out := make([]QuorumWork, len(qs))
	for i, q := range qs {
		out[i] = QuorumWork{Quorum: q, Mode: QuorumRefresh}
	}
	return out
}

// Next gathers a batch's quorums in sets; each quorum gets one record, in the mode that covers the
// others: a refresh covers members and escalation, a failed refresh's members-only round covers a
// sweep's audit, and material applies to members only.
func TestQuorumWork(t *testing.T) {
	set := func(qs ...uint8) quorumSet { return quorumsOf(qs) }
	for _, tt := range []struct {
		name                                                string
		refresh, members, membersOnly, material, noEscalate quorumSet
		want                                                []QuorumWork
	}{
		{name: "nothing"},
		{name: "one record per quorum, ascending", refresh: set(3), members: set(1), membersOnly: set(2),
			want: []QuorumWork{{Quorum: 1, Mode: QuorumMembers}, {Quorum: 2, Mode: QuorumMembersOnly}, {Quorum: 3, Mode: QuorumRefresh}}},
		{name: "a refresh covers members, members only, material and escalation", refresh: set(0), members: set(0),
			membersOnly: set(0), material: set(0), noEscalate: set(0), want: []QuorumWork{{Quorum: 0, Mode: QuorumRefresh}}},
		{name: "a failed refresh's members round covers a sweep's audit", members: set(0), membersOnly: set(0), noEscalate: set(0),
			want: []QuorumWork{{Quorum: 0, Mode: QuorumMembersOnly, NoEscalate: true}}},
		{name: "material applies to members", members: set(0, 1), material: set(1, 2),
			want: []QuorumWork{{Quorum: 0, Mode: QuorumMembers}, {Quorum: 1, Mode: QuorumMaterialMembers}}},
		{name: "no escalation alone", noEscalate: set(4), want: []QuorumWork{{Quorum: 4, NoEscalate: true}}},
		{name: "no escalation of members", members: set(1), noEscalate: set(1),
			want: []QuorumWork{{Quorum: 1, Mode: QuorumMembers, NoEscalate: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := quorumWork(tt.refresh, tt.members, tt.membersOnly, tt.material, tt.noEscalate)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("work %v, want %v", got, tt.want)
			}
			checkWork(t, Batch{Work: got})
		})
	}
}

func TestBatchQuorumViews(t *testing.T) {
	b := Batch{Work: []QuorumWork{
		{Quorum: 0, Mode: QuorumRefresh}, {Quorum: 1, Mode: QuorumMembers, NoEscalate: true}, {Quorum: 2, Mode: QuorumMaterialMembers},
		{Quorum: 3, Mode: QuorumMembersOnly}, {Quorum: 4, NoEscalate: true}, {Quorum: 5, Mode: QuorumRefresh},
	}}
	if got := b.Refreshes(); !slices.Equal(got, []uint8{0, 5}) {
		t.Errorf("refreshes %v, want [0 5]", got)
	}
	if got := b.MemberQuorums(); !slices.Equal(got, []uint8{1, 2, 3}) {
		t.Errorf("member quorums %v, want [1 2 3]", got)
	}
	if got := (Batch{}).Refreshes(); got != nil {
		t.Errorf("refreshes of an empty batch %v, want none", got)
	}
}

// An audit sweep due while a quorum's failed refresh waits for its members-only round carries
// the quorum once, members only: that round reads every member, so once it lands the sweep owes
// nothing of the quorum, and the refresh follows on its own.
func TestAuditSweepOverFailedRefresh(t *testing.T) {
	p, clk := newTestPlanner(t, Config{SyncInterval: time.Hour, SweepMode: SweepAudit, MaxFailures: 3}, 2)
	clk.Set(t0.Add(time.Hour))
	first := mustNext(t, p)
	wantMembers(t, first, 0, 1)
	p.Done(first, Outcome{FailedQuorums: []uint8{1}}) // an escalated refresh of quorum 1 failed
	if at, _ := p.NextSweep(); !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("next sweep %v, want the missed one at %v", at, t0.Add(time.Hour))
	}

	clk.Set(t0.Add(2 * time.Hour)) // quorum 1's members-only round is due, and so is the sweep
	b := mustNext(t, p)
	want := []QuorumWork{{Quorum: 0, Mode: QuorumMembers}, {Quorum: 1, Mode: QuorumMembersOnly, NoEscalate: true}}
	if !slices.Equal(b.Work, want) || b.Reason != ReasonSweep {
		t.Fatalf("batch work %v reason %q, want %v for the sweep", b.Work, b.Reason, want)
	}
	p.Done(b, Outcome{})
	if at, _ := p.NextSweep(); !at.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("next sweep %v, want %v: the sweep landed whole", at, t0.Add(3*time.Hour))
	}
	wantQuorums(t, mustNext(t, p), 1)
}

// Every batch Next hands out carries valid records, and a quorum with work is in at most one
// outstanding batch, whatever the mix of events, sweeps, deadlines and outcomes.
func TestBatchWorkInvariants(t *testing.T) {
	for _, mode := range []SweepMode{SweepRefresh, SweepAudit, SweepMaterial} {
		t.Run(string(mode), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(len(mode))))
			cfg := Config{Debounce: 10 * time.Millisecond, SyncInterval: time.Second, SweepMode: mode, MaxFailures: 3,
				StaleStakesForbidden: true, WithdrawalDelayBlocks: 50, DeadlineMargin: 5}
			p, clk := newTestPlanner(t, cfg, 6)
			p.SetQuorums([]uint8{0, 1, 2})
			head := uint64(testHead)
			var outstanding []Batch
			busy := map[uint8]bool{}
			for step := 0; step < 5_000; step++ {
				switch r := rng.IntN(10); {
				case r < 2:
					p.Observe(shares(addr(1 + rng.IntN(6))))
				case r < 3:
					p.Observe(watcher.Event{Kind: watcher.QuorumConfigChanged, Name: "StrategyMultiplierUpdated", Quorum: rng.IntN(3), Block: head})
				case r < 4:
					head += uint64(rng.IntN(5))
					p.AdvanceHead(head)
				case r < 5:
					p.SweepNow()
				case r < 8:
					b, ok := p.Next()
					if !ok {
						break
					}
					checkWork(t, b)
					for _, w := range b.Work {
						if w.Mode == QuorumNoWork {
							continue
						}
						if busy[w.Quorum] {
							t.Fatalf("step %d: quorum %d handed out while in an outstanding batch", step, w.Quorum)
						}
						busy[w.Quorum] = true
					}
					outstanding = append(outstanding, b)
				case len(outstanding) > 0:
					i := rng.IntN(len(outstanding))
					b := outstanding[i]
					outstanding = slices.Delete(outstanding, i, i+1)
					for _, w := range b.Work {
						if w.Mode != QuorumNoWork {
							delete(busy, w.Quorum)
						}
					}
					var o Outcome
					switch qs := b.Refreshes(); rng.IntN(4) {
					case 0:
						o.Err = errors.New("read failed")
					case 1:
						o.FailedQuorums = qs
					case 2:
						o.WaitingQuorums = qs
					}
					p.Done(b, o)
				}
				clk.Advance(time.Duration(rng.IntN(50)) * time.Millisecond)
				checkInvariants(t, p)
			}
		})
	}
}
