package watcher

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// liveWatcher starts a watcher over the websocket through p, with verification every verify, and
// waits until the subscription covers the chain: the block time measured, and the new heads
// subscription, which only measures it, ended.
func liveWatcher(t *testing.T, d *devnet.Devnet, p *rpcproxy.Proxy, verify time.Duration) *running {
	t.Helper()
	r := startWatcher(t, Config{
		HTTPURL: p.HTTPURL(), WSURL: p.WSURL(), Sources: devnetSources(t, d), StartBlock: headOf(t, d) + 1,
		PollInterval: 50 * time.Millisecond, VerifyInterval: verify, RetryMin: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond,
	}, nil)
	eventually(t, 10*time.Second, "the websocket and a measured block time", func() bool {
		st := r.w.Status()
		return st.Mode == "ws" && st.BlockTime > 0 && !r.w.wantHeads.Load()
	})
	// The next head notification, if one was in flight, ends the new heads subscription; on a
	// loaded machine a notification may still be on its way through the proxy a block later, so
	// the subscription counts as ended after three blocks without one.
	heads := func() int { return p.Counts().WSNotifications["newHeads"] }
	n, quiet := heads(), 0
	for i := 0; i < 40 && quiet < 3; i++ {
		r.awaitBlock(10*time.Second, headOf(t, d)+1)
		if m := heads(); m == n {
			quiet++
		} else {
			n, quiet = m, 0
		}
	}
	if quiet < 3 {
		t.Fatal("new heads notifications still come once the block time is known")
	}
	return r
}

// isLogNotification selects the node's notifications of a logs subscription.
func isLogNotification(params json.RawMessage) bool {
	return bytes.Contains(params, []byte(`"topics"`))
}

// With the log subscription live, a deposit comes out of the subscription once, idle blocks cost
// no eth_getLogs and no new heads notification, and a log a reorganisation takes back comes out
// withdrawn, once.
func TestLiveLogsFromTheSubscription(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx := t.Context()
	op := operator(t, ctx, d, 3)
	p := proxied(t, d)
	r := liveWatcher(t, d, p, time.Hour)
	// A tick emits the blocks up to the head the tick before it read. On a loaded machine a log
	// notification can come through the proxy later than that: the watcher then emits it late,
	// once, as designed (a CI run saw the deposit's log come after its block was emitted).
	r.mu.Lock()
	r.late = true
	r.mu.Unlock()
	before := p.Counts()
	from := headOf(t, d)

	rec := deposit(t, ctx, op)
	ev, _ := r.awaitEvent(10*time.Second, "the deposit", deposited(op.Address, rec.TxHash))
	r.awaitBlock(10*time.Second, ev.Block+40)
	used := p.Counts().Sub(before)
	blocks := headOf(t, d) - from
	if n := r.count(txEvents(rec.TxHash)); n != 1 {
		t.Fatalf("the deposit came out %d times, want once", n)
	}
	if n := used.HTTPCalls["eth_getLogs"]; n != 0 {
		t.Fatalf("%d eth_getLogs over %d blocks with the subscription live, want none", n, blocks)
	}
	if n := used.WSNotifications["newHeads"]; n != 0 {
		t.Fatalf("%d new heads notifications once the block time is known, want none", n)
	}
	if n := used.WSNotifications["logs"]; n == 0 {
		t.Fatal("no log notification: the deposit did not come from the subscription")
	}
	// A head read every two block times, and nothing else.
	if per := float64(used.HTTPRequests) / float64(blocks); per > 0.8 {
		t.Fatalf("%.2f HTTP requests per block (%v over %d blocks), want about one every two blocks", per, used.HTTPCalls, blocks)
	}

	block, err := d.DropTx(ctx, rec.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	gone, _ := r.awaitEvent(10*time.Second, "the deposit withdrawn", func(ev Event) bool { return ev.TxHash == rec.TxHash && ev.Removed })
	if gone.Block != block || gone.Operator != op.Address {
		t.Fatalf("withdrawn event %+v", gone)
	}
	r.awaitBlock(10*time.Second, block+20)
	if n := r.count(txEvents(rec.TxHash)); n != 2 {
		t.Fatalf("the dropped deposit came out %d times, want twice (emitted, withdrawn)", n)
	}
}

// A log notification the node never delivers is found by the next verification's eth_getLogs and
// emitted once; a subscription dropped at a log notification is re-established and what it
// missed backfilled by eth_getLogs, once.
func TestLiveSubscriptionLossesAreReadBack(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx := t.Context()
	op := operator(t, ctx, d, 3)
	p := proxied(t, d)
	r := liveWatcher(t, d, p, 500*time.Millisecond)
	r.mu.Lock()
	r.late = true
	r.mu.Unlock()

	lost := p.Inject(rpcproxy.Fault{Method: "eth_subscription", Match: isLogNotification, Drop: true})
	rec := deposit(t, ctx, op)
	r.awaitEvent(20*time.Second, "the deposit whose notification was lost", deposited(op.Address, rec.TxHash))
	if p.Hits(lost) == 0 {
		t.Fatal("no log notification was dropped")
	}
	p.Remove(lost)
	r.awaitBlock(10*time.Second, rec.BlockNumber.Uint64()+20)
	if n := r.count(txEvents(rec.TxHash)); n != 1 {
		t.Fatalf("the deposit whose notification was lost came out %d times, want once", n)
	}
	// A deposit's logs are the share increase and the delegated stake's: each counted as missed.
	if n := r.w.Status().MissedLogs; n == 0 || n > uint64(p.Hits(lost)) {
		t.Errorf("%d logs counted missed, %d notifications dropped: want between 1 and the dropped", n, p.Hits(lost))
	}

	reconnects := r.w.Status().Reconnects
	reset := p.Inject(rpcproxy.Fault{Method: "eth_subscription", Match: isLogNotification, Reset: true, Times: 1})
	rec = deposit(t, ctx, op)
	r.awaitEvent(20*time.Second, "the deposit whose notification reset the websocket", deposited(op.Address, rec.TxHash))
	if p.Hits(reset) == 0 {
		t.Fatal("the websocket was not reset")
	}
	eventually(t, 10*time.Second, "the subscription re-established", func() bool {
		st := r.w.Status()
		return st.Reconnects > reconnects && st.Mode == "ws"
	})
	r.awaitBlock(10*time.Second, rec.BlockNumber.Uint64()+20)
	if n := r.count(txEvents(rec.TxHash)); n != 1 {
		t.Fatalf("the deposit whose notification reset the websocket came out %d times, want once", n)
	}
}
