package e2e

import (
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// While every eth_getLogs fails, the node's head still reaches the planner: an allocation that
// takes effect meanwhile is checked at its effect block and its stake updated, although no block
// of that time has been read.
func TestAllocationCheckedWhileLogsFail(t *testing.T) {
	e := newEnv(t, 1, 0)
	op := e.ops[0]
	// The delay leaves time for avs-sync to start before the effect block.
	const lookahead, delay = 5, 200
	q := slashableMember(t, e, op, lookahead, delay)
	r, err := op.Allocate(e.ctx, q, 5e17)
	if err != nil {
		t.Fatal(err)
	}
	effect := effectBlock(t, e, r)

	p := e.newProxy()
	// Polling: over a websocket events come from the log subscription, and eth_getLogs only
	// backfills and verifies.
	w := e.startWatch("logs-failing", p.HTTPURL(), "", "--debounce", debounce.String(), "--poll-interval", blockTime.String())
	e.waitUp(w) // the start-up load has scheduled the allocation
	p.Inject(rpcproxy.Fault{Method: "eth_getLogs", Error: &rpcproxy.RPCError{Code: rpcproxy.CodeServerError, Message: "backend unavailable"}})
	stuckAt := e.head()
	if stuckAt >= effect {
		t.Fatalf("logs fail from block %d, not before the effect block %d: raise the allocation delay", stuckAt, effect)
	}
	e.waitFor("the allocation counted in the stored stake", time.Duration(effect-stuckAt+100)*blockTime*4, func() bool {
		stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
		if err != nil {
			t.Fatal(err)
		}
		return weight.Sign() > 0 && stored.Cmp(weight) == 0
	})
	processed, _ := w.metric("avssync_last_processed_block")
	ups := e.stakeUpdates(op.Address, receiptBlock(r))
	t.Logf("logs failing from block %d, effect block %d, stake updated in blocks %v, last processed block %v", stuckAt, effect, ups, processed)
	// Debounce (3 blocks) and inclusion, with slack for a loaded machine; the retries of the
	// failing reads are 16 s (160 blocks) apart by then and must not set the pace.
	if len(ups) == 0 || ups[0] < effect || ups[0]-effect > 20 {
		t.Fatalf("stake updates %v, want one within 20 blocks of the effect block %d", ups, effect)
	}
	if uint64(processed) >= effect {
		t.Fatalf("last processed block %v: the logs did not fail", processed)
	}
}
