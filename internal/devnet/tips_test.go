package devnet_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// With SteadyTips running, the node's suggested tip climbs from its default to the steady tip and
// stays there.
func TestSteadyTips(t *testing.T) {
	d := start(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tip := big.NewInt(5e8) // below the devnet's 1 gwei cap on suggestions
	stop, err := d.SteadyTips(ctx, tip, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	heads := make(chan *types.Header, 64)
	ws, err := ethclient.DialContext(ctx, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	sub, err := ws.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// The node samples the last 20 blocks: after 25 every sample is a steady transfer.
	for seen := 0; seen < 25; {
		select {
		case <-heads:
			seen++
		case err := <-sub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("no new heads")
		}
	}
	got, err := c.SuggestGasTipCap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(tip) != 0 {
		t.Fatalf("suggested tip %v, want %v", got, tip)
	}
}
