package planner

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// checkOutcomeInvariants checks the invariants written on the retry and held-back fields; every
// checkInvariants runs it.
func checkOutcomeInvariants(t *testing.T, p *Planner) {
	t.Helper()
	if err := p.ops.check(p.cfg.MaxFailures); err != nil {
		t.Fatal(err)
	}
	if err := p.quorums.check(p.cfg.MaxFailures); err != nil {
		t.Fatal(err)
	}
	// These hold of the Planner's use of its operator queue.
	for op, r := range p.ops.heldBack {
		if p.ops.isDirty(op) {
			t.Fatalf("held-back operator %s (%s) is dirty", op, r)
		}
		if !p.ops.isRegistered(op) {
			t.Fatalf("held-back operator %s is not registered", op)
		}
	}
}

// A sweep of two quorums whose second refresh fails: the first, mined, is not handed out again;
// the second comes back as its stale members first, then as a refresh; the schedule moves on.
func TestDonePartialSweep(t *testing.T) {
	p, clk := newTestPlanner(t, Config{SyncInterval: time.Hour, MaxFailures: 3}, 2)
	clk.Set(t0.Add(time.Hour))
	sweep := mustNext(t, p)
	wantQuorums(t, sweep, 0, 1)
	p.Done(sweep, Outcome{FailedQuorums: []uint8{1}})
	checkOutcomeInvariants(t, p)
	if p.deadlines.updateBlock[0] != testHead || p.deadlines.updateBlock[1] != 0 {
		t.Fatalf("update blocks %v, want quorum 0 refreshed at %d only", p.deadlines.updateBlock, testHead)
	}
	if !p.sweep.next.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("next sweep %v, want the schedule to move on", p.sweep.next)
	}
	noNext(t, p) // backoff
	wantWake(t, p, clk.Now().Add(DefaultRetryBackoff))
	clk.Advance(DefaultRetryBackoff)
	retry := mustNext(t, p)
	if len(retry.Refreshes()) != 0 || len(members(retry)) != 0 || !slices.Equal(membersOnly(retry), []uint8{1}) {
		t.Fatalf("retry %+v, want quorum 1's members only", retry)
	}
	if retry.Reason != ReasonSweep {
		t.Fatalf("retry reason %q, want %q", retry.Reason, ReasonSweep)
	}
	p.Done(retry, Outcome{})
	refresh := mustNext(t, p)
	wantQuorums(t, refresh, 1)
	p.Done(refresh, Outcome{})
	checkOutcomeInvariants(t, p)
	noNext(t, p)
	if len(p.quorums.failures) != 0 {
		t.Fatalf("quorum failures %v after the refresh landed", p.quorums.failures)
	}
}

// A refresh the resolver escalated fails around the batch's operators, who come back at once:
// while the refresh waits for its retry, their batch does not escalate it again, so they are
// updated on their own instead of retrying the failing refresh with no backoff.
func TestFailedEscalationNotEscalatedAgain(t *testing.T) {
	p, _ := newTestPlanner(t, Config{MaxFailures: 3}, 3)
	p.Observe(shares(addr(1)))
	p.Observe(shares(addr(2)))
	b := mustNext(t, p)
	wantOperators(t, b, addrs(1, 2)...)
	if len(noEscalated(b)) != 0 {
		t.Fatalf("first batch NoEscalate %v, want none", noEscalated(b))
	}
	p.Done(b, Outcome{FailedQuorums: []uint8{1}, WaitingOperators: addrs(1, 2)})
	checkOutcomeInvariants(t, p)
	again := mustNext(t, p)
	wantOperators(t, again, addrs(1, 2)...)
	if !slices.Equal(noEscalated(again), []uint8{1}) {
		t.Fatalf("retry of the operators: NoEscalate %v, want [1] (its refresh failed)", noEscalated(again))
	}
	p.Done(again, Outcome{})
	checkOutcomeInvariants(t, p)
	if !p.quorums.retrying().has(1) {
		t.Fatal("quorum 1 no longer waits for its retry after its members landed")
	}
}

// An operator whose update fails every time is retried with a growing backoff, set aside after
// MaxFailures, and another operator's work is never held up by it.
func TestFailingOperatorSetAside(t *testing.T) {
	const maxFailures = 3
	p, clk := newTestPlanner(t, Config{MaxFailures: maxFailures}, 3)
	p.Observe(shares(addr(1)))
	attempts := 0
	for step := 0; step < 20; step++ {
		b, ok := p.Next()
		if !ok {
			at, more := p.NextWake()
			if !more {
				break
			}
			clk.Set(at)
			continue
		}
		for _, op := range b.Operators {
			if op == addr(1) {
				attempts++
			}
		}
		if step == 1 {
			// Another operator's change while operator 1 is backing off goes out at once.
			p.Observe(shares(addr(2)))
		}
		p.Done(b, Outcome{FailedOperators: []common.Address{addr(1)}})
		checkOutcomeInvariants(t, p)
	}
	if attempts != maxFailures {
		t.Fatalf("operator 1 attempted %d times, want %d", attempts, maxFailures)
	}
	if got := p.HeldBack()[addr(1)]; got != HeldSetAside {
		t.Fatalf("operator 1 held back as %q, want %q", got, HeldSetAside)
	}
	if s := p.Stats(); s.SetAside != 1 {
		t.Fatalf("set aside %d, want 1", s.SetAside)
	}
	// New events, a 1-wei deposit after every debounce say, do not give it another chance: each
	// would buy MaxFailures more failing transactions. Only the next sweep does.
	for range 5 {
		p.Observe(shares(addr(1)))
		if got := p.HeldBack()[addr(1)]; got != HeldSetAside {
			t.Fatalf("operator 1 held back as %q after a new event, want %q until the next sweep", got, HeldSetAside)
		}
		clk.Advance(time.Hour)
		if b, ok := p.Next(); ok && slices.Contains(b.Operators, addr(1)) {
			t.Fatalf("operator 1 handed out again after a new event: %+v", b)
		}
	}
	p.SweepNow()
	b := mustNext(t, p)
	if _, held := p.HeldBack()[addr(1)]; held {
		t.Fatal("operator 1 still held back after the sweep")
	}
	p.Done(b, Outcome{})
}

// An operator that leaves the AVS, seen only when the operator set is read again (SetOperators),
// takes its held-back reason and failure count with it, and one that was in an outstanding batch
// is not held back by its outcome: the held-back gauge names only operators that are still
// there, and one that registers again starts with a clean slate.
func TestDepartedOperatorForgotten(t *testing.T) {
	const maxFailures = 2
	p, clk := newTestPlanner(t, Config{MaxFailures: maxFailures}, 4)
	next := func() Batch {
		t.Helper()
		for range 10 {
			if b, ok := p.Next(); ok {
				return b
			}
			at, more := p.NextWake()
			if !more {
				break
			}
			clk.Set(at)
		}
		t.Fatal("no batch")
		return Batch{}
	}
	// Operator 1 fails until it is set aside.
	p.Observe(shares(addr(1)))
	for range maxFailures {
		p.Done(next(), Outcome{FailedOperators: []common.Address{addr(1)}})
	}
	if got := p.HeldBack()[addr(1)]; got != HeldSetAside {
		t.Fatalf("operator 1 held back as %q, want %q", got, HeldSetAside)
	}
	// Operator 2 fails once and waits for its retry.
	p.Observe(shares(addr(2)))
	p.Done(next(), Outcome{FailedOperators: []common.Address{addr(2)}})
	if p.ops.failures[addr(2)] != 1 {
		t.Fatalf("operator 2 failures %d, want 1", p.ops.failures[addr(2)])
	}
	// Operator 3 is in an outstanding batch when all three leave.
	p.Observe(shares(addr(3)))
	out := next()
	if !slices.Contains(out.Operators, addr(3)) {
		t.Fatalf("batch %+v, want operator 3 in it", out)
	}
	p.SetOperators(addrs(4))
	checkOutcomeInvariants(t, p)
	if h := p.HeldBack(); len(h) != 0 {
		t.Fatalf("held back after operators 1, 2 and 3 left: %v, want none", h)
	}
	if n := len(p.ops.failures); n != 0 {
		t.Fatalf("%d failure counts kept for operators that left, want 0", n)
	}
	// The batch comes back with its operators immaterial or deferred for the budget.
	p.Done(out, Outcome{Immaterial: out.Operators, Deferred: out.Operators})
	checkOutcomeInvariants(t, p)
	if h := p.HeldBack(); len(h) != 0 {
		t.Fatalf("held back after the outstanding batch of operators that left: %v, want none", h)
	}
}

func TestBackoffGrows(t *testing.T) {
	p, clk := newTestPlanner(t, Config{MaxFailures: 10, RetryBackoff: time.Second, MaxRetryBackoff: 5 * time.Second}, 1)
	p.Observe(shares(addr(1)))
	var waits []time.Duration
	for range 5 {
		b := mustNext(t, p)
		p.Done(b, Outcome{FailedOperators: b.Operators})
		at, _ := p.NextWake()
		waits = append(waits, at.Sub(clk.Now()))
		clk.Set(at)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

// Work that waited for fees (or was cut) is taken back at once and counts no failure.
func TestWaitingNotCounted(t *testing.T) {
	p, _ := newTestPlanner(t, Config{MaxFailures: 1}, 2)
	p.Observe(shares(addr(1)))
	p.SweepNow()
	for range 5 {
		b := mustNext(t, p)
		p.Done(b, Outcome{WaitingOperators: b.Operators, WaitingQuorums: b.Refreshes()})
		checkOutcomeInvariants(t, p)
	}
	b := mustNext(t, p)
	wantOperators(t, b, addr(1))
	if s := p.Stats(); s.SetAside != 0 || s.Retries != 0 {
		t.Fatalf("stats %+v, want no failure counted", s)
	}
}

// A failed refresh of a deadline quorum goes through its retry path, not straight back out.
func TestDeadlineRetryBacksOff(t *testing.T) {
	cfg := Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10, MaxFailures: 2}
	p, clk := newTestPlanner(t, cfg, 1)
	p.SetQuorumUpdateBlock(0, testHead)
	p.SetQuorumUpdateBlock(1, testHead)
	p.AdvanceHead(testHead + 90)
	b := mustNext(t, p)
	if b.Reason != ReasonDeadline {
		t.Fatalf("reason %q", b.Reason)
	}
	wantQuorums(t, b, 0, 1)
	p.Done(b, Outcome{FailedQuorums: []uint8{0}})
	checkOutcomeInvariants(t, p)
	noNext(t, p)
	clk.Advance(DefaultRetryBackoff)
	retry := mustNext(t, p)
	if len(membersOnly(retry)) != 1 || membersOnly(retry)[0] != 0 || retry.Reason != ReasonDeadline {
		t.Fatalf("retry %+v, want quorum 0's members for the deadline", retry)
	}
	p.Done(retry, Outcome{})
	refresh := mustNext(t, p)
	wantQuorums(t, refresh, 0)
	p.Done(refresh, Outcome{FailedQuorums: []uint8{0}})
	checkOutcomeInvariants(t, p)
	if got := p.SetAsideQuorums(); len(got) != 1 || got[0] != 0 {
		t.Fatalf("set-aside quorums %v, want [0]", got)
	}
	clk.Advance(time.Hour)
	noNext(t, p)
	// A configuration change of the quorum gives it another chance.
	p.Observe(watcher.Event{Kind: watcher.QuorumConfigChanged, Name: "StrategyMultiplierUpdated", Quorum: 0})
	if len(p.SetAsideQuorums()) != 0 {
		t.Fatal("quorum 0 still set aside after a configuration change")
	}
}

// Over the gas budget only deadline and certificate-critical work goes out: dirty operators are
// read once for what is critical, the rest and the sweep wait for the budget, held back for it.
func TestBudgetExhausted(t *testing.T) {
	cfg := Config{SyncInterval: time.Hour, StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10}
	p, clk := newTestPlanner(t, cfg, 2)
	p.SetQuorumUpdateBlock(0, testHead)
	p.SetQuorumUpdateBlock(1, testHead+50)
	p.SetBudget(BudgetExhausted)
	p.Observe(shares(addr(1)))
	p.Observe(watcher.Event{Kind: watcher.QuorumConfigChanged, Name: "StrategyAddedToQuorum", Quorum: 1})
	clk.Set(t0.Add(time.Hour))
	if b := mustNext(t, p); !b.ChurnLineOnly || !slices.Equal(b.Operators, []common.Address{addr(1)}) {
		t.Fatalf("batch %+v, want operator 1 read for critical work only", b)
	} else {
		p.Done(b, Outcome{Deferred: b.Operators})
	}
	noNext(t, p)
	wantNoWake(t, p)
	if got := p.HeldBack()[addr(1)]; got != HeldBudget {
		t.Fatalf("operator 1 held back as %q, want %q", got, HeldBudget)
	}
	p.AdvanceHead(testHead + 90)
	b := mustNext(t, p)
	if b.Reason != ReasonDeadline || len(b.Operators) != 0 || len(members(b)) != 0 {
		t.Fatalf("batch %+v, want quorum 0's deadline refresh only", b)
	}
	wantQuorums(t, b, 0)
	p.Done(b, Outcome{})
	noNext(t, p)
	p.SetBudget(BudgetAvailable)
	b = mustNext(t, p)
	wantOperators(t, b, addr(1))
	wantMembers(t, b)       // quorum 1 refreshed whole by the sweep covers its members
	wantQuorums(t, b, 0, 1) // the sweep due since t0+1h
}

// Configuration events: one that moves no weight sends nothing; a lookahead change matters only
// to slashable quorums; the others make the quorum's members candidates, not a forced refresh.
func TestConfigEventsResolveMembers(t *testing.T) {
	tests := []struct {
		name      string
		event     string
		quorum    int
		slashable bool
		want      []uint8 // Members of the batch; nil: nothing handed out
	}{
		{name: "operator set params", event: "OperatorSetParamsUpdated", quorum: 1},
		{name: "lookahead, delegated quorums", event: "LookAheadPeriodChanged", quorum: watcher.NoQuorum},
		{name: "lookahead, slashable quorum", event: "LookAheadPeriodChanged", quorum: watcher.NoQuorum, slashable: true, want: []uint8{1}},
		{name: "strategy added", event: "StrategyAddedToQuorum", quorum: 1, want: []uint8{1}},
		{name: "strategy removed", event: "StrategyRemovedFromQuorum", quorum: 1, want: []uint8{1}},
		{name: "multiplier", event: "StrategyMultiplierUpdated", quorum: 0, want: []uint8{0}},
		{name: "minimum stake", event: "MinimumStakeForQuorumUpdated", quorum: 1, want: []uint8{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clk := newTestPlanner(t, Config{Debounce: time.Second}, 2)
			p.SetSlashable(1, tt.slashable)
			p.Observe(watcher.Event{Kind: watcher.QuorumConfigChanged, Name: tt.event, Quorum: tt.quorum, Block: testHead})
			clk.Advance(time.Second)
			if tt.want == nil {
				noNext(t, p)
				wantNoWake(t, p)
				return
			}
			b := mustNext(t, p)
			wantMembers(t, b, tt.want...)
			wantQuorums(t, b)
			if b.Reason != ReasonConfig {
				t.Fatalf("reason %q, want %q", b.Reason, ReasonConfig)
			}
		})
	}
}

// A batch that failed as a whole (its reads) counts no failure against its work.
func TestDoneErrNotCounted(t *testing.T) {
	p, _ := newTestPlanner(t, Config{MaxFailures: 1}, 1)
	p.Observe(shares(addr(1)))
	for range 3 {
		b := mustNext(t, p)
		p.Done(b, Outcome{Err: errors.New("node down")})
	}
	wantOperators(t, mustNext(t, p), addr(1))
	if len(p.HeldBack()) != 0 {
		t.Fatalf("held back %v after read failures", p.HeldBack())
	}
}

// The daily budget exempts deadline refreshes only, so a deadline refresh goes out in a batch of
// its own: dirty operators, configuration changes and the sweep that are ready at the same time
// come in the next batch, under the budget, instead of riding on the deadline's exemption.
func TestDeadlineBatchCarriesNothingElse(t *testing.T) {
	cfg := Config{SyncInterval: time.Hour, StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10}
	p, clk := newTestPlanner(t, cfg, 2)
	p.SetQuorumUpdateBlock(0, testHead)
	p.SetQuorumUpdateBlock(1, testHead+50)
	p.Observe(shares(addr(1)))
	p.Observe(watcher.Event{Kind: watcher.QuorumConfigChanged, Name: "StrategyAddedToQuorum", Quorum: 1})
	clk.Set(t0.Add(time.Hour))
	p.AdvanceHead(testHead + 90)

	b := mustNext(t, p)
	if b.Reason != ReasonDeadline || len(b.Operators) != 0 || len(members(b)) != 0 || len(membersOnly(b)) != 0 {
		t.Fatalf("batch %+v, want quorum 0's deadline refresh alone", b)
	}
	wantQuorums(t, b, 0)
	p.Done(b, Outcome{})

	b = mustNext(t, p)
	if b.Reason == ReasonDeadline {
		t.Fatalf("batch %+v after the deadline refresh still has reason %q", b, b.Reason)
	}
	wantOperators(t, b, addr(1))
	wantQuorums(t, b, 0, 1) // the sweep due since t0+1h
	p.Done(b, Outcome{})
	checkInvariants(t, p)
	noNext(t, p)
}

// listRun is what became of operators 1..n, all dirty at once, when every list holding bad fails
// as a whole (a transaction mined and reverted names none of its operators).
type listRun struct {
	// withBad counts the failed lists holding bad; shared those holding another operator too.
	withBad, shared int
	// landed is when each other operator landed, in failed lists it was part of before.
	landed map[common.Address]int
	// failures counts each operator's failed lists.
	failures map[common.Address]int
}

func runFailingList(t *testing.T, n, maxFailures int, bad common.Address) (*Planner, listRun) {
	t.Helper()
	p, clk := newTestPlanner(t, Config{MaxFailures: maxFailures}, n)
	for i := 1; i <= n; i++ {
		p.Observe(shares(addr(i)))
	}
	r := listRun{landed: map[common.Address]int{}, failures: map[common.Address]int{}}
	for step := 0; step < 10*n+100; step++ {
		b, ok := p.Next()
		if !ok {
			at, more := p.NextWake()
			if !more {
				return p, r
			}
			clk.Set(at)
			continue
		}
		checkInvariants(t, p)
		if !slices.Contains(b.Operators, bad) {
			for _, op := range b.Operators {
				r.landed[op] = r.failures[op]
			}
			p.Done(b, Outcome{})
			continue
		}
		r.withBad++
		o := Outcome{FailedOperators: b.Operators}
		if len(b.Operators) > 1 {
			r.shared++
			o.FailedLists = [][]common.Address{b.Operators}
		}
		for _, op := range b.Operators {
			r.failures[op]++
		}
		p.Done(b, o)
		checkInvariants(t, p)
	}
	t.Fatal("the planner kept handing out work")
	return p, r
}

// A list that fails as a whole is split, halves at most and small enough that the operator at
// fault is alone by its last attempt: it takes part in at most MaxFailures failed transactions and
// is set aside, and every other operator lands, never set aside for sharing its list.
func TestFailedListSplit(t *testing.T) {
	for _, tc := range []struct {
		n, maxFailures, bad int
		// wantWithBad is how many lists holding bad are handed out.
		wantWithBad int
	}{
		{n: 2, maxFailures: 3, bad: 1, wantWithBad: 3},
		{n: 2, maxFailures: 3, bad: 2, wantWithBad: 3},
		{n: 3, maxFailures: 2, bad: 2, wantWithBad: 2},
		{n: 8, maxFailures: 3, bad: 5, wantWithBad: 3},
		{n: 33, maxFailures: 3, bad: 33, wantWithBad: 3},
		{n: 33, maxFailures: 5, bad: 7, wantWithBad: 5},
		{n: 200, maxFailures: 10, bad: 150, wantWithBad: 10},
	} {
		bad := addr(tc.bad)
		p, r := runFailingList(t, tc.n, tc.maxFailures, bad)
		if r.withBad != tc.wantWithBad {
			t.Errorf("n=%d max=%d: %d lists held the bad operator, want %d", tc.n, tc.maxFailures, r.withBad, tc.wantWithBad)
		}
		if p.HeldBack()[bad] != HeldSetAside {
			t.Errorf("n=%d max=%d: the bad operator is not set aside", tc.n, tc.maxFailures)
		}
		if len(r.landed) != tc.n-1 {
			t.Errorf("n=%d max=%d: %d of the %d other operators landed; held back: %v", tc.n, tc.maxFailures, len(r.landed), tc.n-1, p.HeldBack())
		}
		for op, f := range r.landed {
			if f >= tc.maxFailures {
				t.Errorf("n=%d max=%d: %s landed after %d failed lists", tc.n, tc.maxFailures, op, f)
			}
		}
		t.Logf("n=%d max=%d: %d failed lists held the bad operator (%d shared); the %d others landed", tc.n, tc.maxFailures, r.withBad, r.shared, len(r.landed))
	}
}

// Without MaxFailures the lists halve: the operator at fault is alone after log2(n) shared
// failures, and the others land after at most that many.
func TestFailedListHalvesWithoutLimit(t *testing.T) {
	const n = 16
	bad := addr(11)
	p, clk := newTestPlanner(t, Config{}, n)
	for i := 1; i <= n; i++ {
		p.Observe(shares(addr(i)))
	}
	var sizes []int
	landed := 0
	for landed < n-1 {
		b, ok := p.Next()
		if !ok {
			at, _ := p.NextWake()
			clk.Set(at)
			continue
		}
		if !slices.Contains(b.Operators, bad) {
			landed += len(b.Operators)
			p.Done(b, Outcome{})
			continue
		}
		sizes = append(sizes, len(b.Operators))
		o := Outcome{FailedOperators: b.Operators}
		if len(b.Operators) > 1 {
			o.FailedLists = [][]common.Address{b.Operators}
		}
		p.Done(b, o)
	}
	// Then alone, as long as the others take to land.
	if want := []int{16, 8, 4, 2}; len(sizes) < len(want) || !slices.Equal(sizes[:len(want)], want) ||
		slices.ContainsFunc(sizes[len(want):], func(n int) bool { return n != 1 }) {
		t.Fatalf("lists holding the bad operator had %v operators, want %v then 1", sizes, want)
	}
}

// A part of a failed list goes out alone: another operator's change ready at the same time waits
// for the next batch rather than sharing its transaction.
func TestFailedListPartsAlone(t *testing.T) {
	p, clk := newTestPlanner(t, Config{MaxFailures: 3}, 3)
	p.Observe(shares(addr(1)))
	p.Observe(shares(addr(2)))
	b := mustNext(t, p)
	wantOperators(t, b, addr(1), addr(2))
	p.Done(b, Outcome{FailedOperators: b.Operators, FailedLists: [][]common.Address{b.Operators}})
	clk.Advance(DefaultRetryBackoff)
	p.Observe(shares(addr(3)))
	for _, want := range []common.Address{addr(1), addr(2), addr(3)} {
		b := mustNext(t, p)
		wantOperators(t, b, want)
		p.Done(b, Outcome{})
	}
	noNext(t, p)
	if len(p.ops.group) != 0 || len(p.ops.failures) != 0 {
		t.Fatalf("parts %v, failures %v after every update landed", p.ops.group, p.ops.failures)
	}
	// Landed, operator 1 shares lists again.
	p.Observe(shares(addr(1)))
	p.Observe(shares(addr(2)))
	wantOperators(t, mustNext(t, p), addr(1), addr(2))
}

// With MaxFailures 1 a failed list is set aside whole: none of its operators may fail again.
func TestFailedListOneTry(t *testing.T) {
	p, _ := newTestPlanner(t, Config{MaxFailures: 1}, 2)
	p.Observe(shares(addr(1)))
	p.Observe(shares(addr(2)))
	b := mustNext(t, p)
	p.Done(b, Outcome{FailedOperators: b.Operators, FailedLists: [][]common.Address{b.Operators}})
	checkInvariants(t, p)
	noNext(t, p)
	if h := p.HeldBack(); h[addr(1)] != HeldSetAside || h[addr(2)] != HeldSetAside {
		t.Fatalf("held back %v, want both set aside", h)
	}
}

// Paced, what waits for its pace stays held while new changes still go out; leaving a spent
// budget for its pace releases everything that waited for it, to be read and ranked again.
func TestBudgetPaced(t *testing.T) {
	p, clk := newTestPlanner(t, Config{}, 3)
	p.Observe(shares(addr(1)))
	clk.Advance(time.Second)
	b := mustNext(t, p)
	wantOperators(t, b, addr(1))
	p.Done(b, Outcome{Deferred: b.Operators}) // held for its pace
	p.SetBudget(BudgetPaced)
	noNext(t, p)
	if got := p.HeldBack()[addr(1)]; got != HeldBudget {
		t.Fatalf("operator 1 held back as %q, want %q", got, HeldBudget)
	}
	// A new change goes out, ranked by the resolver; the paced one stays held.
	p.Observe(shares(addr(2)))
	clk.Advance(time.Second)
	b = mustNext(t, p)
	wantOperators(t, b, addr(2))
	p.Done(b, Outcome{})
	p.SetBudget(BudgetPaced)
	noNext(t, p)
	// Spent: a change is read for critical work only and held.
	p.SetBudget(BudgetExhausted)
	p.Observe(shares(addr(3)))
	clk.Advance(time.Second)
	b = mustNext(t, p)
	if !b.ChurnLineOnly {
		t.Fatalf("batch %+v while spent, want a churn-line read", b)
	}
	p.Done(b, Outcome{Deferred: b.Operators})
	// From spent to paced: both held operators are read again.
	p.SetBudget(BudgetPaced)
	clk.Advance(time.Second)
	b = mustNext(t, p)
	wantOperators(t, b, addr(1), addr(3))
}

// tickingClock moves a microsecond at every read, as a real clock does between two reads.
type tickingClock struct{ t time.Time }

func (c *tickingClock) Now() time.Time { c.t = c.t.Add(time.Microsecond); return c.t }

// Operators dirtied together are ready together and handed out in one batch, to be ranked
// against each other: with a clock that moves between reads, a wake at the first one's ready
// time must not hand it out alone. Together: released by the budget (with one that became ready
// while it was spent), re-checked, the events of one watcher batch, a removed stored stake,
// allocations coming due at one block, newcomers after a reload; with and without MaxStaleness.
func TestReleasedTogetherHandedOutTogether(t *testing.T) {
	deferAll := func(t *testing.T, p *Planner, clk *tickingClock, ops []common.Address) {
		for _, op := range ops {
			p.Observe(shares(op))
		}
		clk.t = clk.t.Add(time.Hour)
		b := mustNext(t, p)
		wantOperators(t, b, ops...)
		p.Done(b, Outcome{Deferred: b.Operators})
	}
	tests := []struct {
		name string
		// setup leaves ops 1..5 registered and not dirty, or held back for the budget.
		setup   func(t *testing.T, p *Planner, clk *tickingClock, ops []common.Address)
		release func(p *Planner, clk *tickingClock, ops []common.Address)
		want    []common.Address
	}{
		{name: "budget available", setup: deferAll,
			release: func(p *Planner, _ *tickingClock, _ []common.Address) { p.SetBudget(BudgetAvailable) }},
		{name: "budget paced after spent", setup: deferAll,
			release: func(p *Planner, _ *tickingClock, _ []common.Address) {
				p.SetBudget(BudgetExhausted)
				p.SetBudget(BudgetPaced)
			}},
		{name: "budget available, one ready while spent",
			setup: func(t *testing.T, p *Planner, clk *tickingClock, ops []common.Address) {
				deferAll(t, p, clk, ops[:4])
				p.SetBudget(BudgetExhausted)
				p.Observe(shares(ops[4])) // ready while the budget is spent, not handed out yet
				clk.t = clk.t.Add(time.Hour)
			},
			release: func(p *Planner, _ *tickingClock, _ []common.Address) { p.SetBudget(BudgetAvailable) }},
		{name: "recheck", release: func(p *Planner, _ *tickingClock, ops []common.Address) { p.Recheck(ops...) }},
		{name: "one watcher batch", release: func(p *Planner, _ *tickingClock, ops []common.Address) {
			p.Together(func() {
				for _, op := range ops {
					p.Observe(shares(op))
				}
				p.AdvanceHead(testHead + 1)
			})
		}},
		{name: "stored stake removed", release: func(p *Planner, _ *tickingClock, _ []common.Address) {
			p.Observe(watcher.Event{Kind: watcher.StakeStored, Quorum: 0, Block: testHead, Removed: true})
		}},
		{name: "allocations due at one block",
			setup: func(t *testing.T, p *Planner, _ *tickingClock, ops []common.Address) {
				for _, op := range ops {
					p.ScheduleAllocation(op, 0, testHead+5)
				}
				noNext(t, p)
			},
			release: func(p *Planner, _ *tickingClock, _ []common.Address) { p.AdvanceHead(testHead + 5) }},
		{name: "newcomers after a reload",
			setup: func(t *testing.T, p *Planner, _ *tickingClock, ops []common.Address) {
				p.SetOperators(ops[:2])
				p.Observe(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: ops[0], Quorum: watcher.NoQuorum, Removed: true})
			},
			release: func(p *Planner, _ *tickingClock, ops []common.Address) { p.SetOperators(ops) },
			want:    addrs(3, 4, 5)},
	}
	for _, tc := range tests {
		for _, staleness := range []time.Duration{0, time.Minute} {
			t.Run(fmt.Sprintf("%s, max staleness %s", tc.name, staleness), func(t *testing.T) {
				cfg := Config{Debounce: time.Second, MaxStaleness: staleness}
				if err := cfg.Validate(); err != nil {
					t.Fatal(err)
				}
				clk := &tickingClock{t: t0}
				p := New(cfg, clk.Now)
				ops := addrs(1, 2, 3, 4, 5)
				p.SetOperators(ops)
				p.SetQuorums([]uint8{0})
				p.AdvanceHead(testHead)
				if tc.setup != nil {
					tc.setup(t, p, clk, ops)
				}
				clk.t = clk.t.Add(time.Hour)
				tc.release(p, clk, ops)
				wake, ok := p.NextWake()
				if !ok {
					t.Fatal("nothing waits after the release")
				}
				if wake.Before(clk.t) {
					wake = clk.t
				}
				clk.t = wake.Add(-time.Microsecond) // the next read is the wake itself
				b := mustNext(t, p)
				want := tc.want
				if want == nil {
					want = ops
				}
				wantOperators(t, b, want...)
			})
		}
	}
}

// The budget's release makes wait with the released work what it does not find waiting: an
// operator dirtied again while in a batch, and a change joining a MaxStaleness group due before
// the released work: both go in its batch, not alone ahead of it.
func TestBudgetReleaseGathersInFlightAndGroup(t *testing.T) {
	start := func(t *testing.T, cfg Config, n int) (*Planner, *tickingClock) {
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		clk := &tickingClock{t: t0}
		p := New(cfg, clk.Now)
		p.SetOperators(addrs(1, 2, 3, 4, 5, 6, 7)[:n])
		p.SetQuorums([]uint8{0})
		p.AdvanceHead(testHead)
		p.Together(func() {
			for _, op := range addrs(1, 2, 3, 4) {
				p.Observe(shares(op))
			}
		})
		clk.t = clk.t.Add(time.Hour)
		b := mustNext(t, p)
		wantOperators(t, b, addrs(1, 2, 3, 4)...)
		p.Done(b, Outcome{Deferred: b.Operators})
		return p, clk
	}
	atWake := func(t *testing.T, p *Planner, clk *tickingClock) Batch {
		wake, ok := p.NextWake()
		if !ok {
			t.Fatal("nothing waits")
		}
		if wake.After(clk.t) {
			clk.t = wake.Add(-time.Microsecond)
		}
		return mustNext(t, p)
	}
	t.Run("dirtied again in a batch", func(t *testing.T) {
		p, clk := start(t, Config{Debounce: time.Second}, 5)
		p.Observe(shares(addr(5)))
		clk.t = clk.t.Add(time.Hour)
		out := mustNext(t, p)
		wantOperators(t, out, addr(5))
		p.Observe(shares(addr(5))) // dirtied again while its batch is out
		clk.t = clk.t.Add(time.Hour)
		p.SetBudget(BudgetAvailable)
		p.Done(out, Outcome{})
		wantOperators(t, atWake(t, p, clk), addrs(1, 2, 3, 4, 5)...)
	})
	t.Run("joining a max staleness group", func(t *testing.T) {
		p, clk := start(t, Config{Debounce: time.Second, MaxStaleness: time.Minute}, 7)
		p.Observe(shares(addr(5))) // quiet: after the debounce
		p.Observe(shares(addr(6))) // busy: the group goes a minute later
		clk.t = clk.t.Add(2 * time.Second)
		b := mustNext(t, p)
		wantOperators(t, b, addr(5))
		p.Done(b, Outcome{})
		clk.t = clk.t.Add(time.Minute - 2*time.Second - 500*time.Millisecond) // half a second before the group
		p.SetBudget(BudgetAvailable)
		clk.t = clk.t.Add(100 * time.Millisecond)
		p.Observe(shares(addr(7))) // joins the group
		wantOperators(t, atWake(t, p, clk), addrs(1, 2, 3, 4, 6, 7)...)
	})
}
