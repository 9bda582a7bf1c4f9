package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
	"github.com/avs-sync/avs-sync/registry"
)

// A backend 3 blocks behind (a load balancer's lagging member) answers reads at the newest block
// with "header not found": every read says ErrBlockUnavailable, so its caller can retry at the
// same block; the same reads at a block it has succeed.
func TestReadsAtBlockOfLaggingMember(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ops, err := d.RegisterOperators(ctx, 3, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ops {
		defer a.Close()
	}
	direct := dial(t, d.HTTPURL)
	c, err := registry.Discover(ctx, direct, discoverConfig(d))
	if err != nil {
		t.Fatal(err)
	}
	p, err := rpcproxy.New(d.HTTPURL, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Inject(rpcproxy.Fault{Lag: 3})
	r, err := registry.NewReader(dial(t, p.HTTPURL()), c)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []common.Address{ops[0].Address, ops[1].Address}
	reads := map[string]func(block uint64) error{
		"OperatorStakes":  func(b uint64) error { _, err := r.OperatorStakes(ctx, addrs, b); return err },
		"QuorumOperators": func(b uint64) error { _, err := r.QuorumOperators(ctx, []uint8{0}, b); return err },
		"AllOperators":    func(b uint64) error { _, err := r.AllOperators(ctx, b); return err },
		"Quorums":         func(b uint64) error { _, err := r.Quorums(ctx, b); return err },
		"PendingAllocations": func(b uint64) error {
			_, err := r.PendingAllocations(ctx, addrs, []uint8{0}, b)
			return err
		},
	}
	d.Pause(true)
	defer d.Pause(false)
	head := blockNumber(ctx, t, direct)
	for name, read := range reads {
		err := read(head)
		if !errors.Is(err, registry.ErrBlockUnavailable) || registry.BlockUnavailableReason(err) != registry.UnavailableBlock {
			t.Errorf("%s at the node's head %d through a member 3 blocks behind: %v, want ErrBlockUnavailable (%s)", name, head, err, registry.UnavailableBlock)
		}
		if err := read(head - 3); err != nil {
			t.Errorf("%s at block %d, which the lagging member has: %v", name, head-3, err)
		}
	}
}
