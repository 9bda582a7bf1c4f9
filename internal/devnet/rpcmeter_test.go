package devnet_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// The meter counts HTTP round trips, the calls in batches, websocket calls and the notifications
// of each subscription kind.
func TestRPCMeter(t *testing.T) {
	d := start(t, devnet.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := devnet.NewRPCMeter(d.HTTPURL, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	c, err := rpc.DialContext(ctx, m.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := ethclient.NewClient(c).BlockNumber(ctx); err != nil {
		t.Fatal(err)
	}
	batch := make([]rpc.BatchElem, 3)
	for i := range batch {
		batch[i] = rpc.BatchElem{Method: "eth_chainId", Result: new(string)}
	}
	if err := c.BatchCallContext(ctx, batch); err != nil {
		t.Fatal(err)
	}

	ws, err := ethclient.DialContext(ctx, m.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	heads := make(chan *types.Header, 4)
	sub, err := ws.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for range 2 {
		d.Mine()
		select {
		case <-heads:
		case err := <-sub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("no head through the meter")
		}
	}

	got := m.Counts()
	if got.HTTPRequests != 2 || got.HTTPCalls["eth_blockNumber"] != 1 || got.HTTPCalls["eth_chainId"] != 3 {
		t.Errorf("HTTP counts %+v, want 2 requests: 1 eth_blockNumber, 3 eth_chainId", got)
	}
	if got.WSCalls["eth_subscribe"] != 1 || got.WSNotifications["newHeads"] != 2 {
		t.Errorf("websocket counts %+v, want 1 eth_subscribe and 2 newHeads notifications", got)
	}
	if diff := m.Counts().Sub(got); diff.HTTPRequests != 0 || diff.Calls() != 0 {
		t.Errorf("difference of equal snapshots %+v, want zero", diff)
	}
}
