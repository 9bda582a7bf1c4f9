package planner

import (
	"encoding/binary"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// fakeClock is the planner's clock in tests: time moves only when the test says so.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }
func (c *fakeClock) Set(t time.Time)         { c.t = t }

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

const testHead = 100

// addr returns a distinct address; addresses sort in the order of i.
func addr(i int) common.Address {
	var a common.Address
	binary.BigEndian.PutUint32(a[16:], uint32(i))
	return a
}

func addrs(is ...int) []common.Address {
	out := make([]common.Address, len(is))
	for k, i := range is {
		out[k] = addr(i)
	}
	return out
}

// newTestPlanner returns a planner at t0 and head testHead, with operators 1..n registered and
// quorums 0 and 1.
func newTestPlanner(t *testing.T, cfg Config, n int) (*Planner, *fakeClock) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	clk := &fakeClock{t: t0}
	p := New(cfg, clk.Now)
	ops := make([]common.Address, n)
	for i := range ops {
		ops[i] = addr(i + 1)
	}
	p.SetOperators(ops)
	p.SetQuorums([]uint8{0, 1})
	p.AdvanceHead(testHead)
	return p, clk
}

func shares(op common.Address) watcher.Event {
	return watcher.Event{Kind: watcher.SharesChanged, Name: "OperatorSharesIncreased", Operator: op, Quorum: watcher.NoQuorum, Block: testHead}
}

func quorumEvent(kind watcher.Kind, q int, block uint64) watcher.Event {
	return watcher.Event{Kind: kind, Quorum: q, Block: block}
}

// mustNext returns the next batch, failing the test if there is none.
func mustNext(t *testing.T, p *Planner) Batch {
	t.Helper()
	b, ok := p.Next()
	if !ok {
		t.Fatalf("Next: nothing ready, want a batch")
	}
	checkInvariants(t, p)
	checkWork(t, b)
	return b
}

// noNext fails the test if Next hands out anything.
func noNext(t *testing.T, p *Planner) {
	t.Helper()
	if b, ok := p.Next(); ok {
		t.Fatalf("Next: got %+v, want nothing ready", b)
	}
	checkInvariants(t, p)
}

func wantOperators(t *testing.T, b Batch, want ...common.Address) {
	t.Helper()
	if !slices.Equal(b.Operators, want) {
		t.Fatalf("batch operators %v, want %v", b.Operators, want)
	}
}

func wantQuorums(t *testing.T, b Batch, want ...uint8) {
	t.Helper()
	if got := b.Refreshes(); !slices.Equal(got, want) {
		t.Fatalf("batch quorums %v, want %v", got, want)
	}
}

func wantMembers(t *testing.T, b Batch, want ...uint8) {
	t.Helper()
	if got := members(b); !slices.Equal(got, want) {
		t.Fatalf("batch members of quorums %v, want %v", got, want)
	}
}

func wantWake(t *testing.T, p *Planner, want time.Time) {
	t.Helper()
	got, ok := p.NextWake()
	if !ok || !got.Equal(want) {
		t.Fatalf("NextWake = %v, %v; want %v, true", got, ok, want)
	}
}

// wantWakeNow fails the test unless NextWake says Next has something at once.
func wantWakeNow(t *testing.T, p *Planner, clk *fakeClock) {
	t.Helper()
	got, ok := p.NextWake()
	if !ok || got.After(clk.Now()) {
		t.Fatalf("NextWake = %v, %v; want at or before %v", got, ok, clk.Now())
	}
}

func wantNoWake(t *testing.T, p *Planner) {
	t.Helper()
	if got, ok := p.NextWake(); ok {
		t.Fatalf("NextWake = %v, true; want nothing", got)
	}
}

// checkInvariants verifies the invariants written on Planner's fields: each part's own (the
// operator and quorum queues' in checkOutcomeInvariants), and those of the Planner's use of them.
func checkInvariants(t *testing.T, p *Planner) {
	t.Helper()
	if err := p.deadlines.check(); err != nil {
		t.Fatal(err)
	}
	if err := p.allocations.check(p.head); err != nil {
		t.Fatal(err)
	}
	if err := p.sweep.check(); err != nil {
		t.Fatal(err)
	}
	checkOutcomeInvariants(t, p)
	checkFirstEventInvariants(t, p)
}

func TestDebounce(t *testing.T) {
	const window = time.Second
	every := func(n int, gap time.Duration) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = time.Duration(i) * gap
		}
		return out
	}
	tests := []struct {
		name          string
		events        []time.Duration // offsets from t0 of SharesChanged events for operator 1
		wantCoalesced uint64          // events seen by the time the batch is handed out, less one
	}{
		{name: "one event", events: every(1, 0), wantCoalesced: 0},
		{name: "50 events in one window", events: every(50, 10*time.Millisecond), wantCoalesced: 49},
		{name: "events beyond the window do not postpone it", events: every(30, 100*time.Millisecond), wantCoalesced: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clk := newTestPlanner(t, Config{Debounce: window}, 3)
			observeUntil := func(at time.Duration) {
				for len(tt.events) > 0 && tt.events[0] <= at {
					clk.Set(t0.Add(tt.events[0]))
					p.Observe(shares(addr(1)))
					tt.events = tt.events[1:]
				}
				clk.Set(t0.Add(at))
			}

			observeUntil(window - time.Nanosecond)
			noNext(t, p)
			wantWake(t, p, t0.Add(window))

			observeUntil(window)
			b := mustNext(t, p)
			wantOperators(t, b, addr(1))
			if b.Reason != ReasonDirty || b.Head != testHead || len(b.Refreshes()) != 0 {
				t.Fatalf("batch %+v, want reason dirty, head %d, no quorums", b, testHead)
			}
			if s := p.Stats(); s.Dirtied != 1 || s.Coalesced != tt.wantCoalesced || s.Batches != 1 {
				t.Fatalf("stats %+v, want 1 dirtied, %d coalesced, 1 batch", s, tt.wantCoalesced)
			}
			noNext(t, p)
		})
	}
}

func TestDebounceIsPerOperator(t *testing.T) {
	p, clk := newTestPlanner(t, Config{Debounce: time.Second}, 3)
	p.Observe(shares(addr(2)))
	clk.Advance(500 * time.Millisecond)
	p.Observe(shares(addr(1)))
	p.Observe(shares(addr(3)))

	clk.Set(t0.Add(time.Second))
	wantOperators(t, mustNext(t, p), addr(2))
	wantWake(t, p, t0.Add(1500*time.Millisecond))
	clk.Set(t0.Add(1500 * time.Millisecond))
	wantOperators(t, mustNext(t, p), addr(1), addr(3))
}

func TestNothingBeforeFirstHead(t *testing.T) {
	clk := &fakeClock{t: t0}
	p := New(Config{}, clk.Now)
	p.SetOperators(addrs(1))
	p.SetQuorums([]uint8{0})
	p.SweepNow()
	p.Observe(shares(addr(1)))
	noNext(t, p)
	wantNoWake(t, p)

	p.AdvanceHead(7)
	b := mustNext(t, p)
	wantOperators(t, b, addr(1))
	wantQuorums(t, b, 0)
	if b.Head != 7 {
		t.Fatalf("batch head %d, want 7", b.Head)
	}
}

func TestNotOursIgnored(t *testing.T) {
	stranger := addr(99)
	tests := []struct {
		name string
		cfg  Config
		ev   watcher.Event
	}{
		{name: "shares of unregistered operator", ev: shares(stranger)},
		{name: "removed shares of unregistered operator", ev: func() watcher.Event { e := shares(stranger); e.Removed = true; return e }()},
		{name: "allocation in effect for unregistered operator", ev: watcher.Event{Kind: watcher.AllocationChanged, Operator: stranger, Quorum: 0, EffectBlock: testHead}},
		{name: "config of quorum out of scope", cfg: Config{Quorums: []uint8{0}}, ev: quorumEvent(watcher.QuorumConfigChanged, 1, testHead)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clk := newTestPlanner(t, tt.cfg, 3)
			p.Observe(tt.ev)
			clk.Advance(time.Hour)
			noNext(t, p)
			if s := p.Stats(); s.NotOurs != 1 || s.Dirty != 0 || s.Events != 1 {
				t.Fatalf("stats %+v, want 1 event, 1 not ours, nothing dirty", s)
			}
		})
	}
}

func TestRegistration(t *testing.T) {
	p, clk := newTestPlanner(t, Config{Debounce: time.Second}, 1)
	newcomer := addr(5)

	p.Observe(watcher.Event{Kind: watcher.OperatorRegistered, Operator: newcomer, Quorum: watcher.NoQuorum})
	clk.Advance(time.Hour)
	noNext(t, p) // registration stored its stake: nothing to do
	if s := p.Stats(); s.Registered != 2 {
		t.Fatalf("registered %d, want 2", s.Registered)
	}

	p.Observe(shares(newcomer))
	if s := p.Stats(); s.Dirty != 1 {
		t.Fatalf("dirty %d after shares of a new operator, want 1", s.Dirty)
	}

	p.Observe(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: newcomer, Quorum: watcher.NoQuorum})
	p.Observe(shares(newcomer))
	clk.Advance(time.Hour)
	noNext(t, p)
	if s := p.Stats(); s.Registered != 1 || s.Dirty != 0 || s.NotOurs != 1 {
		t.Fatalf("stats %+v, want 1 registered, nothing dirty, 1 not ours", s)
	}
}

func TestProcessing(t *testing.T) {
	const window = time.Second
	redirtyAt := 1100 * time.Millisecond // while operator 1 is being processed
	tests := []struct {
		name    string
		redirty bool
		doneAt  time.Duration
		wantAt  time.Duration // when operator 1 is ready again; 0: never
	}{
		{name: "no event while processing", doneAt: 1500 * time.Millisecond},
		{name: "done before the new window ends", redirty: true, doneAt: 1500 * time.Millisecond, wantAt: redirtyAt + window},
		{name: "done after the new window ended", redirty: true, doneAt: 3 * time.Second, wantAt: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clk := newTestPlanner(t, Config{Debounce: window}, 2)
			p.Observe(shares(addr(1)))
			clk.Set(t0.Add(window))
			first := mustNext(t, p)
			wantOperators(t, first, addr(1))

			clk.Set(t0.Add(redirtyAt))
			if tt.redirty {
				p.Observe(shares(addr(1)))
			}
			clk.Set(t0.Add(tt.doneAt - time.Nanosecond))
			noNext(t, p) // never handed out twice at once
			if tt.redirty {
				if s := p.Stats(); s.Dirty != 1 || s.Processing != 1 {
					t.Fatalf("stats %+v, want 1 dirty and 1 processing", s)
				}
			}

			clk.Set(t0.Add(tt.doneAt))
			p.Done(first, Outcome{})
			checkInvariants(t, p)
			if tt.wantAt == 0 {
				noNext(t, p)
				wantNoWake(t, p)
				return
			}
			if tt.wantAt > tt.doneAt {
				wantWake(t, p, t0.Add(tt.wantAt))
				noNext(t, p)
				clk.Set(t0.Add(tt.wantAt))
			} else {
				wantWakeNow(t, p, clk)
			}
			wantOperators(t, mustNext(t, p), addr(1))
		})
	}
}

func TestDoneErrorRetriesAtOnce(t *testing.T) {
	p, clk := newTestPlanner(t, Config{Debounce: time.Second}, 3)
	p.Observe(shares(addr(1)))
	p.Observe(shares(addr(2)))
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead))
	clk.Advance(time.Second)
	b := mustNext(t, p)
	wantOperators(t, b, addr(1), addr(2))
	wantMembers(t, b, 1)
	if b.Reason != ReasonConfig {
		t.Fatalf("reason %q, want %q", b.Reason, ReasonConfig)
	}

	clk.Advance(100 * time.Millisecond)
	p.Observe(shares(addr(2))) // dirtied again while out: its own window would end later
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead))
	p.Observe(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: addr(1), Quorum: watcher.NoQuorum})
	clk.Advance(100 * time.Millisecond)
	retryAt := clk.Now()
	p.Done(b, Outcome{Err: errors.New("rpc down")})
	checkInvariants(t, p)

	wantWake(t, p, retryAt)
	retry := mustNext(t, p)
	wantOperators(t, retry, addr(2)) // deregistered operator 1 is not retried
	wantMembers(t, retry, 1)
	if retry.Reason != ReasonConfig {
		t.Fatalf("retry reason %q, want %q", retry.Reason, ReasonConfig)
	}
	if s := p.Stats(); s.Retries != 1 || s.Dirty != 0 {
		t.Fatalf("stats %+v, want 1 retry and nothing left dirty", s)
	}
}

func TestAllocationSchedule(t *testing.T) {
	tests := []struct {
		name      string
		lookahead uint64 // of quorum 0
		quorum    int
		effect    uint64
		// wantDue are the heads at which the operator is checked, in order; 0 means at once.
		wantDue []uint64
	}{
		{name: "no lookahead", quorum: 0, effect: 200, wantDue: []uint64{200}},
		// A decrease counts lookahead blocks early, an increase at the effect block.
		{name: "lookahead: early and at the effect block", lookahead: 10, quorum: 0, effect: 200, wantDue: []uint64{190, 200}},
		{name: "lookahead beyond the effect block", lookahead: 300, quorum: 0, effect: 200, wantDue: []uint64{0, 200}},
		{name: "already in effect", quorum: 0, effect: 50, wantDue: []uint64{0}},
		{name: "no quorum uses no lookahead", lookahead: 10, quorum: watcher.NoQuorum, effect: 200, wantDue: []uint64{200}},
	}
	for _, tt := range tests {
		for _, read := range []bool{false, true} {
			if read && tt.quorum == watcher.NoQuorum {
				continue // a change read from the chain names its quorum
			}
			name := tt.name + ", seen"
			if read {
				name = tt.name + ", read" // pending at start-up, or from before a registration
			}
			t.Run(name, func(t *testing.T) {
				p, _ := newTestPlanner(t, Config{}, 2)
				p.SetLookahead(0, tt.lookahead)
				if read {
					p.ScheduleAllocation(addr(1), uint8(tt.quorum), tt.effect)
				} else {
					p.Observe(watcher.Event{Kind: watcher.AllocationChanged, Operator: addr(1), Quorum: tt.quorum, EffectBlock: tt.effect, Block: testHead})
				}
				checkInvariants(t, p)
				for i, due := range tt.wantDue {
					if due > testHead {
						p.AdvanceHead(due - 1)
						noNext(t, p)
						if s := p.Stats(); s.Scheduled != len(tt.wantDue)-i {
							t.Fatalf("before block %d: scheduled %d, want %d", due, s.Scheduled, len(tt.wantDue)-i)
						}
						p.AdvanceHead(due)
					}
					b := mustNext(t, p)
					wantOperators(t, b, addr(1))
					p.Done(b, Outcome{})
				}
				noNext(t, p)
				if s := p.Stats(); s.Scheduled != 0 {
					t.Fatalf("scheduled %d after all came due, want 0", s.Scheduled)
				}
			})
		}
	}
}

func TestAllocationScheduleRepeatsAndMembership(t *testing.T) {
	p, _ := newTestPlanner(t, Config{}, 2)
	alloc := func(op common.Address, effect uint64) {
		p.Observe(watcher.Event{Kind: watcher.AllocationChanged, Operator: op, Quorum: 0, EffectBlock: effect})
	}
	alloc(addr(1), 200)
	alloc(addr(1), 200) // one per strategy: stored once
	alloc(addr(1), 300)
	alloc(addr(7), 200) // not registered yet, registers before the change counts
	alloc(addr(8), 200) // never registers
	if s := p.Stats(); s.Scheduled != 4 {
		t.Fatalf("scheduled %d, want 4", s.Scheduled)
	}
	p.Observe(watcher.Event{Kind: watcher.OperatorRegistered, Operator: addr(7), Quorum: watcher.NoQuorum})

	p.AdvanceHead(250)
	wantOperators(t, mustNext(t, p), addr(1), addr(7))
	if s := p.Stats(); s.NotOurs != 1 || s.Scheduled != 1 {
		t.Fatalf("stats %+v, want 1 not ours (operator 8) and 1 still scheduled", s)
	}
}

func TestSweepSchedule(t *testing.T) {
	const interval = time.Hour
	p, clk := newTestPlanner(t, Config{SyncInterval: interval}, 1)
	wantWake(t, p, t0.Add(interval))
	clk.Set(t0.Add(interval - time.Nanosecond))
	noNext(t, p)

	sweep := func(at, doneAt time.Duration, err error) {
		t.Helper()
		clk.Set(t0.Add(at))
		b := mustNext(t, p)
		wantQuorums(t, b, 0, 1)
		if b.Reason != ReasonSweep {
			t.Fatalf("reason %q, want %q", b.Reason, ReasonSweep)
		}
		noNext(t, p)     // one sweep at a time
		wantNoWake(t, p) // nothing else waits
		clk.Set(t0.Add(doneAt))
		p.Done(b, Outcome{Err: err})
		checkInvariants(t, p)
	}
	sweep(interval, interval+30*time.Minute, nil)
	wantWake(t, p, t0.Add(2*interval))

	// A sweep finishing late skips the slot it overran rather than sweeping twice in a row.
	sweep(2*interval, 3*interval+10*time.Minute, nil)
	wantWake(t, p, t0.Add(4*interval))

	// A failed sweep is retried at once.
	sweep(4*interval, 4*interval+time.Minute, errors.New("reverted"))
	wantWakeNow(t, p, clk)
	sweep(4*interval+time.Minute, 4*interval+2*time.Minute, nil)
	wantWake(t, p, t0.Add(5*interval))
}

func TestFirstSyncTime(t *testing.T) {
	tests := []struct {
		name      string
		start     time.Time
		first     string
		wantFirst time.Time
	}{
		{name: "later today", start: t0, first: "12:30:00", wantFirst: time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC)},
		{name: "passed today, so tomorrow", start: t0, first: "09:15:30", wantFirst: time.Date(2026, 11, 25, 9, 15, 30, 0, time.UTC)},
		{name: "right now", start: t0, first: "10:00:00", wantFirst: t0},
		{name: "midnight", start: t0, first: "00:00:00", wantFirst: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		{name: "start given in another zone", start: t0.In(time.FixedZone("UTC+5", 5*3600)), first: "10:30:00", wantFirst: time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := ParseTimeOfDay(tt.first)
			if err != nil {
				t.Fatal(err)
			}
			clk := &fakeClock{t: tt.start}
			p := New(Config{SyncInterval: 6 * time.Hour, FirstSyncTime: first}, clk.Now)
			p.SetQuorums([]uint8{0})
			p.AdvanceHead(testHead)
			wantWake(t, p, tt.wantFirst)

			clk.Set(tt.wantFirst)
			b := mustNext(t, p)
			p.Done(b, Outcome{})
			wantWake(t, p, tt.wantFirst.Add(6*time.Hour))
		})
	}
}

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
		wantSet bool
		want    string
	}{
		{in: "", wantSet: false, want: ""},
		{in: "00:00:00", wantSet: true, want: "00:00:00"},
		{in: "23:59:59", wantSet: true, want: "23:59:59"},
		{in: "07:05:09", wantSet: true, want: "07:05:09"},
		{in: "24:00:00", wantErr: true},
		{in: "12:00", wantErr: true},
		{in: "noon", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got TimeOfDay
			err := got.UnmarshalText([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("UnmarshalText(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got.IsSet() != tt.wantSet || got.String() != tt.want {
				t.Fatalf("UnmarshalText(%q) = %q (set %v), want %q (set %v)", tt.in, got, got.IsSet(), tt.want, tt.wantSet)
			}
		})
	}
}

func TestSweepNow(t *testing.T) {
	t.Run("sweeps disabled", func(t *testing.T) {
		p, clk := newTestPlanner(t, Config{}, 1)
		wantNoWake(t, p)
		clk.Advance(1000 * time.Hour)
		noNext(t, p)

		p.SweepNow()
		wantWake(t, p, clk.Now())
		b := mustNext(t, p)
		wantQuorums(t, b, 0, 1)
		if b.Reason != ReasonSweep {
			t.Fatalf("reason %q, want %q", b.Reason, ReasonSweep)
		}
		p.Done(b, Outcome{})
		wantNoWake(t, p)
		noNext(t, p)
	})
	t.Run("schedule kept", func(t *testing.T) {
		p, clk := newTestPlanner(t, Config{SyncInterval: time.Hour}, 1)
		clk.Advance(10 * time.Minute)
		p.SweepNow()
		b := mustNext(t, p)
		p.Done(b, Outcome{})
		wantWake(t, p, t0.Add(time.Hour))
	})
	t.Run("failed forced sweep retried", func(t *testing.T) {
		p, _ := newTestPlanner(t, Config{}, 1)
		p.SweepNow()
		p.Done(mustNext(t, p), Outcome{Err: errors.New("reverted")})
		wantQuorums(t, mustNext(t, p), 0, 1)
	})
}

func TestSweepSkipsQuorumsInFlight(t *testing.T) {
	p, clk := newTestPlanner(t, Config{SyncInterval: time.Hour}, 1)
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead))
	config := mustNext(t, p)
	wantMembers(t, config, 1)

	clk.Set(t0.Add(time.Hour))
	sweep := mustNext(t, p)
	wantQuorums(t, sweep, 0) // quorum 1 is being resolved already
	p.Done(sweep, Outcome{})
	p.Done(config, Outcome{})
	wantWake(t, p, t0.Add(2*time.Hour))

	// With every quorum in flight, a due sweep has nothing left to do and is complete.
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 0, testHead))
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead))
	wantMembers(t, mustNext(t, p), 0, 1)
	clk.Set(t0.Add(2 * time.Hour))
	noNext(t, p)
	if p.sweep.inFlight || !p.sweep.next.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("sweep in flight %v, next %v; want a completed sweep, next at %v", p.sweep.inFlight, p.sweep.next, t0.Add(3*time.Hour))
	}
}

func TestDeadline(t *testing.T) {
	cfg := Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10}
	setup := func(t *testing.T, cfg Config) *Planner {
		p, _ := newTestPlanner(t, cfg, 1)
		p.SetQuorumUpdateBlock(0, 1000)
		p.SetQuorumUpdateBlock(1, 1050)
		p.AdvanceHead(1089)
		return p
	}

	t.Run("swept at update+delay-margin, not before", func(t *testing.T) {
		p := setup(t, cfg)
		noNext(t, p)
		wantNoWake(t, p)

		p.AdvanceHead(1090)
		wantWake(t, p, t0)
		b := mustNext(t, p)
		wantQuorums(t, b, 0)
		if b.Reason != ReasonDeadline || b.Head != 1090 {
			t.Fatalf("batch %+v, want reason deadline at head 1090", b)
		}
		noNext(t, p)
		p.Done(b, Outcome{})
		p.AdvanceHead(1091)
		noNext(t, p) // counted as refreshed at the batch's head until the chain says otherwise

		p.AdvanceHead(1140)
		wantQuorums(t, mustNext(t, p), 1)

		// The chain reports when the refresh of quorum 0 landed: its clock restarts there.
		p.Observe(quorumEvent(watcher.QuorumUpdated, 0, 1095))
		p.AdvanceHead(1184)
		noNext(t, p)
		p.AdvanceHead(1185)
		wantQuorums(t, mustNext(t, p), 0)
	})
	t.Run("stale stakes allowed", func(t *testing.T) {
		c := cfg
		c.StaleStakesForbidden = false
		p := setup(t, c)
		p.AdvanceHead(100_000)
		noNext(t, p)
		wantNoWake(t, p)
	})
	// A quorum whose deadline refresh failed, dropped by a reload while its retry was out and
	// learnt again, keeps no retry state from before: its deadline is handed out again, sweeps
	// off or not.
	t.Run("failed refresh of a quorum that left and came back due again", func(t *testing.T) {
		p, clk := newTestPlanner(t, cfg, 1)
		p.SetQuorumUpdateBlock(0, 1000)
		p.SetQuorumUpdateBlock(1, 1050)
		p.AdvanceHead(1090)
		b := mustNext(t, p)
		wantQuorums(t, b, 0)
		p.Done(b, Outcome{FailedQuorums: []uint8{0}})
		clk.Advance(time.Hour)
		b = mustNext(t, p) // its retry: the stale members first
		p.SetQuorums([]uint8{1})
		p.Done(b, Outcome{})
		p.SetQuorums([]uint8{0, 1})
		p.SetQuorumUpdateBlock(0, 1000)
		p.AdvanceHead(1100)
		b = mustNext(t, p)
		if !slices.Contains(b.Refreshes(), 0) || b.Reason != ReasonDeadline {
			t.Fatalf("batch %+v, want quorum 0's deadline refresh", b)
		}
	})
	t.Run("failed refresh due again", func(t *testing.T) {
		p := setup(t, cfg)
		p.AdvanceHead(1090)
		p.Done(mustNext(t, p), Outcome{Err: errors.New("set changed")})
		wantQuorums(t, mustNext(t, p), 0)
	})
	// A reorg removes the refresh of quorum 1 mined at block 1088: the transaction is back in the
	// pools, so the quorum is not refreshed again at once; its last refresh is read from the chain.
	removed := func(t *testing.T) *Planner {
		p := setup(t, cfg)
		p.SetQuorumUpdateBlock(0, 1085) // quorum 0 due from 1175
		p.Observe(quorumEvent(watcher.QuorumUpdated, 1, 1088))
		p.Observe(watcher.Event{Kind: watcher.QuorumUpdated, Quorum: 1, Block: 1088, Removed: true})
		if !p.NeedsReload() {
			t.Fatal("a removed refresh did not ask for the quorum's update block to be read again")
		}
		noNext(t, p)
		// The contract at the new head: the refresh before, long past its deadline.
		p.SetQuorumUpdateBlock(1, 900)
		p.SetOperators(nil)
		noNext(t, p)
		return p
	}
	t.Run("removed refresh re-included a block later is not sent again", func(t *testing.T) {
		p := removed(t)
		p.AdvanceHead(1089)
		p.Observe(quorumEvent(watcher.QuorumUpdated, 1, 1089))
		p.AdvanceHead(1092)
		noNext(t, p)
		p.AdvanceHead(1178) // quorum 1 due again from 1089 + 100 - 10 = 1179; quorum 0 is due
		wantQuorums(t, mustNext(t, p), 0)
		noNext(t, p)
	})
	t.Run("removed refresh seen back by a read", func(t *testing.T) {
		p := removed(t)
		p.SetQuorumUpdateBlock(1, 1089)
		p.AdvanceHead(1089 + 5)
		noNext(t, p)
	})
	t.Run("removed refresh that does not come back is sent again", func(t *testing.T) {
		p := removed(t)
		p.AdvanceHead(1092)
		noNext(t, p)
		p.AdvanceHead(1093) // 1088 + half the margin
		b := mustNext(t, p)
		if !slices.Contains(b.Refreshes(), 1) || b.Reason != ReasonDeadline {
			t.Fatalf("batch %+v, want quorum 1's deadline refresh", b)
		}
	})
	t.Run("never refreshed quorum due at once", func(t *testing.T) {
		p, _ := newTestPlanner(t, cfg, 1)
		wantQuorums(t, mustNext(t, p), 0, 1)
	})
}

// The stale-stakes rule read from the chain while the planner runs: switched on, off, and with
// another withdrawal delay, the deadlines follow at once.
func TestSetStaleStakes(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		forbidden bool
		delay     uint64
		changed   bool
		// wantDue is whether quorum 0, refreshed whole at block 1000, is due at head 1089.
		wantDue      bool
		wantDeadline uint64
	}{
		{name: "switched on", cfg: Config{DeadlineMargin: 10}, forbidden: true, delay: 100, changed: true, wantDue: false, wantDeadline: 1100},
		{name: "switched on, shorter delay", cfg: Config{DeadlineMargin: 10}, forbidden: true, delay: 99, changed: true, wantDue: true, wantDeadline: 1099},
		{name: "switched off", cfg: Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 50, DeadlineMargin: 10}, forbidden: false, delay: 50, changed: true},
		{name: "unchanged", cfg: Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 50, DeadlineMargin: 10}, forbidden: true, delay: 50, wantDue: true, wantDeadline: 1050},
		{name: "delay moved", cfg: Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 50, DeadlineMargin: 10}, forbidden: true, delay: 200, changed: true, wantDeadline: 1200},
		{name: "forbidden without a known delay keeps no deadline", cfg: Config{DeadlineMargin: 10}, forbidden: true, delay: 0},
		// The margin of the command line (300 by default) eats a short delay: a tenth of it.
		{name: "margin above the delay", cfg: Config{DeadlineMargin: 300}, forbidden: true, delay: 98, changed: true, wantDue: true, wantDeadline: 1098},
		{name: "margin above the delay, not due yet", cfg: Config{DeadlineMargin: 300}, forbidden: true, delay: 99, changed: true, wantDeadline: 1099},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestPlanner(t, tt.cfg, 1)
			p.SetQuorums([]uint8{0})
			p.SetQuorumUpdateBlock(0, 1000)
			p.AdvanceHead(1089)
			if got := p.SetStaleStakes(tt.forbidden, tt.delay); got != tt.changed {
				t.Fatalf("changed = %v, want %v", got, tt.changed)
			}
			d, ok := p.StaleStakesDeadline(0)
			if ok != (tt.wantDeadline > 0) || d != tt.wantDeadline {
				t.Fatalf("deadline %d, %v; want %d", d, ok, tt.wantDeadline)
			}
			b, got := p.Next()
			if got != tt.wantDue || (got && b.Reason != ReasonDeadline) {
				t.Fatalf("next = %+v, %v; want a deadline refresh: %v", b, got, tt.wantDue)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "zero", cfg: Config{}},
		{name: "deadline", cfg: Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 99}},
		{name: "margin eats delay", cfg: Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 100}, wantErr: true},
		{name: "negative debounce", cfg: Config{Debounce: -1}, wantErr: true},
		{name: "negative interval", cfg: Config{SyncInterval: -1}, wantErr: true},
		{name: "negative ratio", cfg: Config{FullQuorumRatio: -0.1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestQuorumConfigChanged(t *testing.T) {
	p, clk := newTestPlanner(t, Config{Debounce: time.Second, SyncInterval: time.Hour}, 1)
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead))
	clk.Advance(500 * time.Millisecond)
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead)) // same burst
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 5, testHead)) // a new quorum
	clk.Set(t0.Add(time.Second - time.Nanosecond))
	noNext(t, p)
	clk.Set(t0.Add(time.Second))

	b := mustNext(t, p)
	wantMembers(t, b, 1)
	if b.Reason != ReasonConfig || len(b.Operators) != 0 {
		t.Fatalf("batch %+v, want quorum refresh for config", b)
	}
	if s := p.Stats(); s.Coalesced != 1 {
		t.Fatalf("coalesced %d, want 1", s.Coalesced)
	}

	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead)) // while quorum 1 is out
	clk.Advance(time.Minute)
	b5 := mustNext(t, p)
	wantMembers(t, b5, 5)
	p.Done(b, Outcome{})
	b1 := mustNext(t, p)
	wantMembers(t, b1, 1)

	// The new quorum is part of later sweeps.
	p.Done(b1, Outcome{})
	p.Done(b5, Outcome{})
	clk.Set(t0.Add(time.Hour))
	wantQuorums(t, mustNext(t, p), 0, 1, 5)
}

func TestRemovedEvents(t *testing.T) {
	removed := func(ev watcher.Event) watcher.Event { ev.Removed = true; return ev }
	op := addr(1)
	tests := []struct {
		name       string
		before     []watcher.Event // observed first, not removed
		ev         watcher.Event
		wantDirty  bool
		wantQuorum bool
		wantReload bool
	}{
		{name: "shares", ev: removed(shares(op)), wantDirty: true},
		{name: "allocation", ev: removed(watcher.Event{Kind: watcher.AllocationChanged, Operator: op, Quorum: 0, EffectBlock: 500}), wantDirty: true},
		{name: "registration", ev: removed(watcher.Event{Kind: watcher.OperatorRegistered, Operator: op, Quorum: watcher.NoQuorum}), wantDirty: true, wantReload: true},
		{
			name:       "deregistration",
			before:     []watcher.Event{{Kind: watcher.OperatorDeregistered, Operator: op, Quorum: watcher.NoQuorum}},
			ev:         removed(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: op, Quorum: watcher.NoQuorum}),
			wantReload: true,
		},
		{name: "quorum config", ev: removed(quorumEvent(watcher.QuorumConfigChanged, 1, testHead)), wantQuorum: true, wantReload: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clk := newTestPlanner(t, Config{Debounce: time.Second}, 2)
			for _, ev := range tt.before {
				p.Observe(ev)
			}
			p.Observe(tt.ev)
			if p.NeedsReload() != tt.wantReload {
				t.Fatalf("NeedsReload() = %v, want %v", p.NeedsReload(), tt.wantReload)
			}
			if s := p.Stats(); s.Removed != 1 {
				t.Fatalf("removed %d, want 1", s.Removed)
			}
			clk.Advance(time.Second)
			b, ok := p.Next()
			if !tt.wantDirty && !tt.wantQuorum {
				if ok {
					t.Fatalf("Next: got %+v, want nothing", b)
				}
				return
			}
			if !ok {
				t.Fatalf("Next: nothing, want a re-check")
			}
			if tt.wantDirty {
				wantOperators(t, b, op)
			}
			if tt.wantQuorum {
				wantMembers(t, b, 1)
			}
		})
	}
	t.Run("stake stored not removed", func(t *testing.T) {
		p, clk := newTestPlanner(t, Config{}, 1)
		p.Observe(watcher.Event{Kind: watcher.StakeStored, Operator: op, Quorum: 0})
		clk.Advance(time.Hour)
		noNext(t, p)
	})
}

func TestSetOperators(t *testing.T) {
	t.Run("reload dirties operators new to the set", func(t *testing.T) {
		p, clk := newTestPlanner(t, Config{}, 2)
		p.Observe(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: addr(2), Quorum: watcher.NoQuorum})
		p.Observe(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: addr(2), Quorum: watcher.NoQuorum, Removed: true})
		p.SetOperators(addrs(1, 2, 3))
		if p.NeedsReload() {
			t.Fatalf("NeedsReload() after SetOperators, want false")
		}
		clk.Advance(time.Second)
		wantOperators(t, mustNext(t, p), addr(2), addr(3))
	})
	t.Run("plain load dirties nothing, drops dirty operators that left", func(t *testing.T) {
		p, clk := newTestPlanner(t, Config{}, 2)
		p.Observe(shares(addr(1)))
		p.Observe(shares(addr(2)))
		p.SetOperators(addrs(2, 3))
		checkInvariants(t, p)
		clk.Advance(time.Second)
		wantOperators(t, mustNext(t, p), addr(2))
	})
}

func TestQuorumEventsWithoutQuorum(t *testing.T) {
	p, clk := newTestPlanner(t, Config{}, 1)
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 256, testHead))
	clk.Advance(time.Second)
	noNext(t, p)
	// LookAheadPeriodChanged names no quorum: it concerns the slashable quorums only.
	lookahead := quorumEvent(watcher.QuorumConfigChanged, watcher.NoQuorum, testHead)
	lookahead.Name = "LookAheadPeriodChanged"
	p.Observe(lookahead)
	clk.Advance(time.Second)
	noNext(t, p)
	p.SetSlashable(1, true)
	p.Observe(lookahead)
	clk.Advance(time.Second)
	b := mustNext(t, p)
	wantMembers(t, b, 1)
	if b.Reason != ReasonConfig {
		t.Fatalf("reason %q, want %q", b.Reason, ReasonConfig)
	}
}

// A removed OperatorStakeUpdate names its operator by id only: every registered operator is
// re-checked.
func TestRemovedStakeStoredRechecksAll(t *testing.T) {
	p, clk := newTestPlanner(t, Config{Debounce: time.Second}, 3)
	p.Observe(watcher.Event{Kind: watcher.StakeStored, Quorum: 0})
	clk.Advance(time.Second)
	noNext(t, p)
	p.Observe(watcher.Event{Kind: watcher.StakeStored, Quorum: 0, Removed: true})
	clk.Advance(time.Second)
	wantOperators(t, mustNext(t, p), addr(1), addr(2), addr(3))
}

func TestSetQuorumsDropsQuorumsGone(t *testing.T) {
	p, clk := newTestPlanner(t, Config{}, 1)
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 0, testHead))
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 1, testHead))
	p.SetQuorums([]uint8{0})
	clk.Advance(time.Second)
	wantMembers(t, mustNext(t, p), 0)
}

func TestQuorumFilter(t *testing.T) {
	cfg := Config{Quorums: []uint8{1}, StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10}
	p, clk := newTestPlanner(t, cfg, 1)
	p.SetQuorums([]uint8{0, 1, 2})
	p.SetQuorumUpdateBlock(1, testHead)
	// Quorums 0 and 2 were never refreshed, but they are not ours to refresh.
	noNext(t, p)
	p.Observe(quorumEvent(watcher.QuorumConfigChanged, 2, testHead))
	clk.Advance(time.Hour)
	noNext(t, p)

	p.SweepNow()
	wantQuorums(t, mustNext(t, p), 1)
}

func TestNextWake(t *testing.T) {
	const window = time.Second
	tests := []struct {
		name  string
		cfg   Config
		setup func(p *Planner, clk *fakeClock)
		want  time.Duration // from t0
		none  bool
	}{
		{name: "idle", none: true},
		{name: "dirty operator", setup: func(p *Planner, _ *fakeClock) { p.Observe(shares(addr(1))) }, want: window},
		{
			name: "earliest of operators and quorums",
			setup: func(p *Planner, clk *fakeClock) {
				p.Observe(shares(addr(1)))
				clk.Advance(300 * time.Millisecond)
				p.Observe(shares(addr(2)))
				p.Observe(quorumEvent(watcher.QuorumConfigChanged, 0, testHead))
			},
			want: window,
		},
		{
			name: "operator in processing waits for Done",
			setup: func(p *Planner, clk *fakeClock) {
				p.Observe(shares(addr(1)))
				clk.Advance(window)
				p.Next()
				p.Observe(shares(addr(1)))
			},
			none: true,
		},
		{
			name: "quorum in processing waits for Done",
			setup: func(p *Planner, clk *fakeClock) {
				p.Observe(quorumEvent(watcher.QuorumConfigChanged, 0, testHead))
				clk.Advance(window)
				p.Next()
				p.Observe(quorumEvent(watcher.QuorumConfigChanged, 0, testHead))
			},
			none: true,
		},
		{name: "forced sweep", setup: func(p *Planner, clk *fakeClock) { clk.Advance(time.Minute); p.SweepNow() }, want: time.Minute},
		{name: "scheduled sweep", cfg: Config{SyncInterval: 24 * time.Hour}, want: 24 * time.Hour},
		{name: "scheduled sweep behind a dirty operator", cfg: Config{SyncInterval: 24 * time.Hour}, setup: func(p *Planner, _ *fakeClock) { p.Observe(shares(addr(1))) }, want: window},
		{
			name:  "deadline reached",
			cfg:   Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10},
			setup: func(p *Planner, clk *fakeClock) { clk.Advance(time.Minute) },
			want:  time.Minute,
		},
		{
			name: "allocations wait on blocks",
			setup: func(p *Planner, _ *fakeClock) {
				p.Observe(watcher.Event{Kind: watcher.AllocationChanged, Operator: addr(1), Quorum: 0, EffectBlock: 500})
			},
			none: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Debounce = window
			p, clk := newTestPlanner(t, tt.cfg, 2)
			if tt.setup != nil {
				tt.setup(p, clk)
			}
			if tt.none {
				wantNoWake(t, p)
				return
			}
			wantWake(t, p, t0.Add(tt.want))
		})
	}
}

// TestNeverLoseNeverDuplicate drives the planner with random events, batches and failures, and
// checks that no operator is in two outstanding batches and that every operator dirtied after it
// was last handed out is handed out again.
func TestNeverLoseNeverDuplicate(t *testing.T) {
	const operators = 20
	rng := rand.New(rand.NewPCG(1, 2))
	p, clk := newTestPlanner(t, Config{Debounce: 50 * time.Millisecond}, operators)
	var outstanding []Batch
	inFlight := map[common.Address]bool{}
	// owed holds operators with an event not yet covered by a batch handed out after it.
	owed := map[common.Address]bool{}

	take := func() {
		b, ok := p.Next()
		if !ok {
			return
		}
		for _, op := range b.Operators {
			if inFlight[op] {
				t.Fatalf("operator %s handed out while already in flight", op)
			}
			inFlight[op] = true
			delete(owed, op)
		}
		outstanding = append(outstanding, b)
	}
	for step := 0; step < 20_000; step++ {
		switch r := rng.IntN(10); {
		case r < 6:
			op := addr(1 + rng.IntN(operators))
			p.Observe(shares(op))
			owed[op] = true
		case r < 8:
			take()
		case len(outstanding) > 0:
			i := rng.IntN(len(outstanding))
			b := outstanding[i]
			outstanding = slices.Delete(outstanding, i, i+1)
			for _, op := range b.Operators {
				delete(inFlight, op)
			}
			var o Outcome
			switch rng.IntN(6) {
			case 0:
				o.Err = errors.New("failed")
				for _, op := range b.Operators {
					owed[op] = true
				}
			case 1:
				if len(b.Operators) > 0 {
					// One part failed, the rest landed.
					op := b.Operators[rng.IntN(len(b.Operators))]
					o.FailedOperators = []common.Address{op}
					owed[op] = true
				}
			case 3:
				// A list mined and reverted: all of it failed, split for the next attempts.
				o.FailedOperators = b.Operators
				if len(b.Operators) > 1 {
					o.FailedLists = [][]common.Address{b.Operators}
				}
				for _, op := range b.Operators {
					owed[op] = true
				}
			case 2:
				o.WaitingOperators = b.Operators
				for _, op := range b.Operators {
					owed[op] = true
				}
			}
			p.Done(b, o)
		}
		clk.Advance(time.Duration(rng.IntN(20)) * time.Millisecond)
		checkInvariants(t, p)
	}
	// Drain: everything owed must come out.
	for len(outstanding) > 0 || len(owed) > 0 {
		for _, b := range outstanding {
			for _, op := range b.Operators {
				delete(inFlight, op)
			}
			p.Done(b, Outcome{})
		}
		outstanding = nil
		wake, ok := p.NextWake()
		if !ok {
			break
		}
		clk.Set(wake)
		take()
	}
	if len(owed) > 0 {
		t.Fatalf("operators never handed out after their last event: %v", owed)
	}
}

// Recheck marks operators dirty as an event moving their shares does: with its debounce, once
// each, not for a set-aside operator or one not registered, and giving an immaterial one its
// chance again; it is not counted as an event.
func TestRecheck(t *testing.T) {
	setUp := func(t *testing.T) (*Planner, *fakeClock) {
		p, clk := newTestPlanner(t, Config{Debounce: time.Second, MaxFailures: 1}, 3)
		for _, op := range addrs(2, 3) {
			p.Observe(shares(op))
		}
		clk.Advance(time.Second)
		b := mustNext(t, p)
		p.Done(b, Outcome{FailedOperators: addrs(2), Immaterial: addrs(3)})
		p.Observe(shares(addr(1)))
		clk.Advance(time.Second / 2)
		return p, clk
	}
	ops := addrs(1, 2, 3, 9)
	seen, _ := setUp(t)
	for _, op := range ops {
		seen.Observe(shares(op))
	}
	p, clk := setUp(t)
	before := p.Stats()
	p.Recheck(ops...)
	checkInvariants(t, p)

	if got := p.Stats(); got.Events != before.Events || got.Dirtied != before.Dirtied+1 || got.Coalesced != before.Coalesced+1 || got.NotOurs != before.NotOurs+1 {
		t.Fatalf("stats %+v after %+v, want operator 3 dirtied, 1 coalesced, 9 not ours, no event", got, before)
	}
	want := seen.Stats()
	want.Events = p.Stats().Events
	if p.Stats() != want || !maps.Equal(p.HeldBack(), seen.HeldBack()) {
		t.Fatalf("stats %+v held back %v, want %+v %v as after the events", p.Stats(), p.HeldBack(), want, seen.HeldBack())
	}
	if got := p.HeldBack()[addr(2)]; got != HeldSetAside {
		t.Fatalf("operator 2 held back as %q, want it still set aside", got)
	}
	wantWake(t, p, clk.Now().Add(time.Second/2)) // operator 1's first event
	clk.Advance(time.Second / 2)
	wantOperators(t, mustNext(t, p), addr(1))
	wantWake(t, p, clk.Now().Add(time.Second/2)) // operator 3, dirtied by the recheck
	clk.Advance(time.Second / 2)
	wantOperators(t, mustNext(t, p), addr(3))
}
