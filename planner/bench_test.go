package planner

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// BenchmarkObserve feeds 10^6 SharesChanged events about 10^4 registered operators through Observe,
// taking a batch every 1000 events and finishing the previous one, as the owner loop would.
func BenchmarkObserve(b *testing.B) {
	const (
		operators = 10_000
		events    = 1_000_000
		tick      = 1_000
	)
	ops := make([]common.Address, operators)
	evs := make([]watcher.Event, operators)
	for i := range ops {
		ops[i] = addr(i + 1)
		evs[i] = shares(ops[i])
	}
	rng := rand.New(rand.NewPCG(3, 4))
	order := make([]uint16, events)
	for i := range order {
		order[i] = uint16(rng.IntN(operators))
	}

	runs, batched := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		clk := &fakeClock{t: t0}
		p := New(Config{Debounce: time.Second, SyncInterval: time.Hour}, clk.Now)
		p.SetOperators(ops)
		p.SetQuorums([]uint8{0, 1})
		p.AdvanceHead(1)
		var out Batch
		busy := false
		for i, k := range order {
			p.Observe(evs[k])
			if i%tick != tick-1 {
				continue
			}
			clk.Advance(100 * time.Millisecond)
			if busy {
				p.Done(out, Outcome{})
			}
			out, busy = p.Next()
			batched += len(out.Operators)
		}
		runs++
	}
	b.ReportMetric(float64(runs*events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(batched)/float64(runs), "operators-batched/run")
}

// BenchmarkTrackOperators measures the heap the planner holds per operator: registered, dirty
// (on top of registered) and per scheduled allocation change.
func BenchmarkTrackOperators(b *testing.B) {
	const n = 10_000
	ops := make([]common.Address, n)
	for i := range ops {
		ops[i] = addr(i + 1)
	}
	var registered, dirty, scheduled float64
	heapNow := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for b.Loop() {
		clk := &fakeClock{t: t0}
		h0 := heapNow()
		p := New(Config{Debounce: time.Second}, clk.Now)
		p.SetOperators(ops)
		p.AdvanceHead(1)
		h1 := heapNow()
		for _, op := range ops {
			p.Observe(shares(op))
		}
		h2 := heapNow()
		for _, op := range ops {
			p.Observe(watcher.Event{Kind: watcher.AllocationChanged, Operator: op, Quorum: 0, EffectBlock: 1000})
		}
		h3 := heapNow()
		if s := p.Stats(); s.Dirty != n || s.Scheduled != n {
			b.Fatalf("stats %+v, want %d dirty and scheduled", s, n)
		}
		runtime.KeepAlive(p)
		registered = float64(h1-h0) / n
		dirty = float64(h2-h1) / n
		scheduled = float64(h3-h2) / n
	}
	b.ReportMetric(registered, "B/registered-op")
	b.ReportMetric(dirty, "B/dirty-op")
	b.ReportMetric(scheduled, "B/scheduled-alloc")
}
