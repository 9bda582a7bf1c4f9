package syncer

import (
	"errors"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/planner"
)

// The loop starts one batch at a time, waits HoldBlocks after a hold and backs off after failures
// on the node's side, longer with each in a row, until a batch does not fail there.
func TestWatchLoop(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	wait := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	nodeErr := errors.New("connection refused")
	type turn struct {
		hold    bool
		err     error
		at      time.Duration // after t0
		head    uint64
		want    time.Duration // settled's wait
		startAt time.Duration // first time a batch may start again, at head
		startOn uint64        // first head a batch may start again, at startAt
	}
	for _, tt := range []struct {
		name  string
		turns []turn
	}{
		{name: "landed", turns: []turn{{head: 10, startOn: 10}}},
		{name: "held for fees", turns: []turn{{hold: true, head: 10, startOn: 10 + HoldBlocks}, {head: 10 + HoldBlocks, startOn: 10 + HoldBlocks}}},
		{name: "node failures back off longer, a success resets", turns: []turn{
			{err: nodeErr, head: 10, want: time.Minute, startAt: time.Minute, startOn: 10},
			{err: nodeErr, at: time.Minute, head: 11, want: 2 * time.Minute, startAt: 3 * time.Minute, startOn: 11},
			{at: 3 * time.Minute, head: 12, startAt: 3 * time.Minute, startOn: 12},
			{err: nodeErr, at: 4 * time.Minute, head: 13, want: time.Minute, startAt: 5 * time.Minute, startOn: 13},
		}},
		{name: "held and failing", turns: []turn{{hold: true, err: nodeErr, head: 10, want: time.Minute, startAt: time.Minute, startOn: 10 + HoldBlocks}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newWatchLoop()
			for i, tu := range tt.turns {
				now := t0.Add(tu.at)
				if !l.canStart(now, tu.head) {
					t.Fatalf("turn %d: no batch may start at %s, head %d", i, tu.at, tu.head)
				}
				l.start(func() outcome { return outcome{batch: planner.Batch{Head: tu.head}} })
				if l.canStart(now, tu.head+HoldBlocks) {
					t.Fatalf("turn %d: a second batch may start while one is out", i)
				}
				if o := <-l.done; o.batch.Head != tu.head {
					t.Fatalf("turn %d: outcome of the batch at %d, want %d", i, o.batch.Head, tu.head)
				}
				if got := l.settled(tu.hold, tu.head, tu.err, now, wait); got != tu.want {
					t.Fatalf("turn %d: wait %s, want %s", i, got, tu.want)
				}
				if tu.startAt > tu.at && l.canStart(t0.Add(tu.startAt-time.Nanosecond), tu.startOn) {
					t.Fatalf("turn %d: a batch may start before the backoff ends at %s", i, tu.startAt)
				}
				if tu.startOn > tu.head && l.canStart(t0.Add(tu.startAt), tu.startOn-1) {
					t.Fatalf("turn %d: a batch may start before head %d", i, tu.startOn)
				}
				if !l.canStart(t0.Add(tu.startAt), tu.startOn) {
					t.Fatalf("turn %d: no batch may start at %s, head %d", i, tu.startAt, tu.startOn)
				}
			}
		})
	}
}
