package watcher

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// proxied starts a fault proxy in front of d for one test.
func proxied(t *testing.T, d *devnet.Devnet) *rpcproxy.Proxy {
	t.Helper()
	p, err := rpcproxy.New(d.HTTPURL, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// A provider that caps eth_getLogs at 50 blocks, met 300 blocks behind: the watcher halves its
// 2000-block range until the provider takes it and backfills every block, the deposit included.
func TestProviderRangeCapIsBackfilled(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	op := operator(t, ctx, d, 3)
	rec := deposit(t, ctx, op)
	d.MineBlocks(300)
	p := proxied(t, d)
	p.Inject(rpcproxy.Fault{MaxBlockRange: 50})
	reg := prometheus.NewRegistry()
	start := rec.BlockNumber.Uint64() - 5
	r := startWatcher(t, Config{HTTPURL: p.HTTPURL(), Sources: devnetSources(t, d), StartBlock: start, PollInterval: 50 * time.Millisecond}, reg)
	r.awaitEvent(30*time.Second, "the deposit, 300 blocks back", deposited(op.Address, rec.TxHash))
	r.awaitBlock(30*time.Second, start+305)
	for _, b := range r.batches {
		if b.To >= b.From && b.To-b.From+1 > 50 {
			t.Fatalf("batch %d..%d spans more than the provider's 50 blocks", b.From, b.To)
		}
	}
	if n := gathered(t, reg, "avssync_log_range_shrinks_total", ""); n < 6 {
		t.Fatalf("log_range_shrinks_total %v, want at least 6 (2000 halved to 31)", n)
	}
	if n := gathered(t, reg, "avssync_log_range_blocks", ""); n > 50 {
		t.Fatalf("log_range_blocks %v, want at most 50", n)
	}
}

// A lagging backend behind a load balancer answers a range of logs only up to its own, older
// head, without an error: the deposit in the blocks it left out is still emitted, read again by
// block hash where the verified header's bloom says our logs may be.
func TestLaggingBackendLosesNoLogs(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	op := operator(t, ctx, d, 3)
	rec := deposit(t, ctx, op)
	d.MineBlocks(3)
	p := proxied(t, d)
	// Every range read is answered by a backend far behind: no logs at all, no error.
	p.Inject(rpcproxy.Fault{Method: "eth_getLogs", Lag: 1 << 20})
	start := rec.BlockNumber.Uint64() - 5
	r := startWatcher(t, Config{HTTPURL: p.HTTPURL(), Sources: devnetSources(t, d), StartBlock: start, PollInterval: 50 * time.Millisecond}, nil)
	r.awaitBlock(30*time.Second, rec.BlockNumber.Uint64()+3)
	if n := r.count(deposited(op.Address, rec.TxHash)); n != 1 {
		t.Fatalf("the deposit emitted %d times, want once", n)
	}
}
