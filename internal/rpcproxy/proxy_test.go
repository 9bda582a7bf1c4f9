package rpcproxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// fixture is one devnet behind one proxy, shared by a test's subtests; each subtest clears the
// faults it injected.
type fixture struct {
	t   *testing.T
	ctx context.Context
	d   *devnet.Devnet
	p   *rpcproxy.Proxy
	rpc *rpc.Client
	eth *ethclient.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := devnet.StartForTest(t, devnet.Options{})
	// The fixture serves every subtest of a test: on a loaded machine a table of them runs for
	// minutes, so its calls get a deadline that only a hang reaches.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	p, err := rpcproxy.New(d.HTTPURL, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c, err := rpc.DialContext(ctx, p.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	d.MineBlocks(20)
	return &fixture{t: t, ctx: ctx, d: d, p: p, rpc: c, eth: ethclient.NewClient(c)}
}

// direct is the node's own answer, bypassing the proxy.
func (f *fixture) direct() *ethclient.Client {
	f.t.Helper()
	c, err := ethclient.DialContext(f.ctx, f.d.HTTPURL)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(c.Close)
	return c
}

func (f *fixture) inject(t *testing.T, fault rpcproxy.Fault) int {
	id := f.p.Inject(fault)
	t.Cleanup(func() { f.p.Remove(id) })
	return id
}

// The proxy counts HTTP round trips, the calls in batches, websocket calls and the notifications
// of each subscription kind, as the benchmarks read them.
func TestCounts(t *testing.T) {
	d := devnet.StartForTest(t, devnet.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := rpcproxy.New(d.HTTPURL, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	c, err := rpc.DialContext(ctx, m.HTTPURL())
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

	ws, err := ethclient.DialContext(ctx, m.WSURL())
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
			t.Fatal("no head through the proxy")
		}
	}

	got := m.Counts()
	if got.HTTPRequests != 2 || got.HTTPCalls["eth_blockNumber"] != 1 || got.HTTPCalls["eth_chainId"] != 3 {
		t.Errorf("HTTP counts %+v, want 2 requests: 1 eth_blockNumber, 3 eth_chainId", got)
	}
	if got.WSCalls["eth_subscribe"] != 1 || got.WSNotifications["newHeads"] != 2 {
		t.Errorf("websocket counts %+v, want 1 eth_subscribe and 2 newHeads notifications", got)
	}
	if n := got.WSNotificationBytes["newHeads"]; n < 2*500 {
		t.Errorf("newHeads notifications of %d bytes, want the size of two headers", n)
	}
	if diff := m.Counts().Sub(got); diff.HTTPRequests != 0 || diff.Calls() != 0 {
		t.Errorf("difference of equal snapshots %+v, want zero", diff)
	}
}

// Each fault of the minimal set, over HTTP, single and batched; Times, Remove and Clear.
func TestHTTPFaults(t *testing.T) {
	f := newFixture(t)
	direct := f.direct()
	head, err := direct.BlockNumber(f.ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("error", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_blockNumber", Error: &rpcproxy.RPCError{Code: -32000, Message: "boom"}})
		_, err := f.eth.BlockNumber(f.ctx)
		var re rpc.Error
		if !errors.As(err, &re) || re.ErrorCode() != -32000 || re.Error() != "boom" {
			t.Fatalf("err %v, want the injected JSON-RPC error", err)
		}
		if _, err := f.eth.ChainID(f.ctx); err != nil {
			t.Fatalf("another method failed too: %v", err)
		}
	})
	t.Run("result", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_blockNumber", Result: json.RawMessage(`"0x2a"`)})
		if n, err := f.eth.BlockNumber(f.ctx); err != nil || n != 42 {
			t.Fatalf("block number %d, %v; want the injected 42", n, err)
		}
	})
	t.Run("batch with one faulty call", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_getBalance", Match: func(p json.RawMessage) bool {
			return strings.Contains(strings.ToLower(string(p)), "0x000000000000000000000000000000000000dead")
		}, Error: &rpcproxy.RPCError{Code: -32000, Message: "missing trie node"}})
		var n, ok, bad string
		batch := []rpc.BatchElem{
			{Method: "eth_blockNumber", Result: &n},
			{Method: "eth_getBalance", Args: []any{common.HexToAddress("0xdead"), "latest"}, Result: &bad},
			{Method: "eth_getBalance", Args: []any{common.HexToAddress("0xbeef"), "latest"}, Result: &ok},
		}
		if err := f.rpc.BatchCallContext(f.ctx, batch); err != nil {
			t.Fatal(err)
		}
		if batch[0].Error != nil || batch[2].Error != nil || n == "" || ok != "0x0" {
			t.Fatalf("unfaulted calls: %v %q, %v %q", batch[0].Error, n, batch[2].Error, ok)
		}
		if batch[1].Error == nil || batch[1].Error.Error() != "missing trie node" {
			t.Fatalf("faulty call: %v, want the injected error", batch[1].Error)
		}
	})
	t.Run("share of requests", func(t *testing.T) {
		// A quarter of requests fail, drawn at random, each batch whole or not at all; the draw
		// is wide enough (six standard deviations) that the test does not flake.
		id := f.inject(t, rpcproxy.Fault{Share: 0.25, HTTPStatus: http.StatusBadGateway})
		failed := 0
		for range 600 {
			batch := []rpc.BatchElem{{Method: "eth_chainId", Result: new(string)}, {Method: "eth_chainId", Result: new(string)}}
			if err := f.rpc.BatchCallContext(f.ctx, batch); err != nil {
				failed++
				continue
			}
			if batch[0].Error != nil || batch[1].Error != nil {
				t.Fatalf("one call of a batch failed alone: %v, %v", batch[0].Error, batch[1].Error)
			}
		}
		if failed < 150-60 || failed > 150+60 {
			t.Fatalf("%d of 600 requests failed, want about 150", failed)
		}
		if hits := f.p.Hits(id); hits != 2*failed {
			t.Fatalf("fault applied to %d calls, want the %d of the failed requests", hits, 2*failed)
		}
	})
	t.Run("busiest window", func(t *testing.T) {
		before := f.p.Busiest(time.Hour)
		for _, n := range []int{1, 3, 2} {
			batch := make([]rpc.BatchElem, n)
			for i := range batch {
				batch[i] = rpc.BatchElem{Method: "eth_chainId", Result: new(string)}
			}
			if err := f.rpc.BatchCallContext(f.ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.p.Busiest(time.Hour); got != before+6 {
			t.Fatalf("Busiest(hour) = %d, want %d: every call of the test so far", got, before+6)
		}
		if got := f.p.Busiest(time.Nanosecond); got < 3 {
			t.Fatalf("Busiest(1ns) = %d, want at least the batch of 3", got)
		}
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{HTTPStatus: http.StatusTooManyRequests, RetryAfter: 2 * time.Second})
		resp, err := http.Post(f.p.HTTPURL(), "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("%s, Retry-After %q; want 429 with Retry-After 2", resp.Status, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("per request", func(t *testing.T) {
		// Every other request fails whole, as when a load balancer routes it to a bad backend.
		var n int
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", PerRequest: true, Match: func(json.RawMessage) bool { n++; return n%2 == 1 },
			Error: &rpcproxy.RPCError{Code: -32000, Message: "bad backend"}})
		for i := range 4 {
			batch := make([]rpc.BatchElem, 3)
			for j := range batch {
				batch[j] = rpc.BatchElem{Method: "eth_chainId", Result: new(string)}
			}
			if err := f.rpc.BatchCallContext(f.ctx, batch); err != nil {
				t.Fatal(err)
			}
			for j, b := range batch {
				if failed := b.Error != nil; failed != (i%2 == 0) {
					t.Fatalf("request %d call %d: error %v; want the whole request to fail or pass", i, j, b.Error)
				}
			}
		}
		if n != 4 {
			t.Fatalf("Match asked %d times for 4 requests, want once each", n)
		}
	})
	t.Run("times within a batch", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", Times: 1, Error: &rpcproxy.RPCError{Code: -32000, Message: "once"}})
		batch := make([]rpc.BatchElem, 3)
		for j := range batch {
			batch[j] = rpc.BatchElem{Method: "eth_chainId", Result: new(string)}
		}
		if err := f.rpc.BatchCallContext(f.ctx, batch); err != nil {
			t.Fatal(err)
		}
		if batch[0].Error == nil || batch[1].Error != nil || batch[2].Error != nil {
			t.Fatalf("errors %v %v %v; want only the first call to fail", batch[0].Error, batch[1].Error, batch[2].Error)
		}
	})
	t.Run("http status", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{HTTPStatus: http.StatusServiceUnavailable})
		_, err := f.eth.BlockNumber(f.ctx)
		var he rpc.HTTPError
		if !errors.As(err, &he) || he.StatusCode != 503 {
			t.Fatalf("err %v, want HTTP 503", err)
		}
	})
	t.Run("times", func(t *testing.T) {
		id := f.inject(t, rpcproxy.Fault{Method: "eth_chainId", HTTPStatus: http.StatusBadGateway, Times: 2})
		for i := range 2 {
			if _, err := f.eth.ChainID(f.ctx); err == nil {
				t.Fatalf("call %d passed, want 502", i)
			}
		}
		if _, err := f.eth.ChainID(f.ctx); err != nil {
			t.Fatalf("third call: %v; the fault should be used up", err)
		}
		if got := f.p.Hits(id); got != 2 {
			t.Fatalf("Hits %d after the fault was used up, want 2", got)
		}
	})
	t.Run("delay", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", Delay: 300 * time.Millisecond})
		began := time.Now()
		if _, err := f.eth.ChainID(f.ctx); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(began); took < 300*time.Millisecond {
			t.Fatalf("answered in %v, want at least the 300ms delay", took)
		}
		ctx, cancel := context.WithTimeout(f.ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := f.eth.ChainID(ctx); err == nil {
			t.Fatal("a 50ms deadline passed a 300ms delay")
		}
	})
	t.Run("reset", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", Reset: true})
		_, err := f.eth.ChainID(f.ctx)
		if err == nil || !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("err %v, want a dropped connection", err)
		}
	})
	t.Run("drop", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", Drop: true})
		ctx, cancel := context.WithTimeout(f.ctx, 200*time.Millisecond)
		defer cancel()
		if _, err := f.eth.ChainID(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want the client's deadline", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_blockNumber", Garbage: true})
		if _, err := f.eth.BlockNumber(f.ctx); err == nil {
			t.Fatal("garbage decoded without error")
		}
	})
	t.Run("oversize", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_blockNumber", Oversize: 1 << 20})
		body := post(t, f.p.HTTPURL(), `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`)
		if len(body) < 1<<20 {
			t.Fatalf("reply of %d bytes, want at least 1 MiB", len(body))
		}
		if n, err := f.eth.BlockNumber(f.ctx); err != nil || n < head {
			t.Fatalf("oversized reply: %d, %v; want a valid block number", n, err)
		}
	})
	t.Run("omit", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_getBlockByNumber", Omit: []string{"baseFeePerGas"}})
		h, err := f.eth.HeaderByNumber(f.ctx, nil)
		if err != nil || h.BaseFee != nil {
			t.Fatalf("header %v, %v; want one without a base fee", h, err)
		}
	})
	t.Run("clear", func(t *testing.T) {
		f.p.Inject(rpcproxy.Fault{HTTPStatus: 500})
		f.p.Inject(rpcproxy.Fault{Reset: true})
		f.p.Clear()
		if f.p.Active() != 0 {
			t.Fatalf("%d faults after Clear", f.p.Active())
		}
		if _, err := f.eth.BlockNumber(f.ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("faulting lasts past clear", func(t *testing.T) {
		// A delayed answer met before Clear is still being answered by its fault after it.
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", Delay: time.Hour})
		ctx, cancel := context.WithCancel(f.ctx)
		done := make(chan error, 1)
		go func() { _, err := f.eth.ChainID(ctx); done <- err }()
		for f.p.Faulting() != 1 {
			select {
			case err := <-done:
				t.Fatalf("the delayed call returned: %v", err)
			case <-time.After(time.Millisecond):
			}
		}
		f.p.Clear()
		if n := f.p.Faulting(); n != 1 {
			t.Fatalf("faulting %d after Clear with a delayed answer out, want 1", n)
		}
		cancel()
		<-done
		for f.p.Faulting() != 0 {
			time.Sleep(time.Millisecond)
		}
		if _, err := f.eth.ChainID(f.ctx); err != nil || f.p.Faulting() != 0 {
			t.Fatalf("after the delayed answer: %v, faulting %d", err, f.p.Faulting())
		}
	})
}

// The eth_getLogs limits of hosted providers: a block range cap and a result count cap, with
// their real messages.
func TestLogLimits(t *testing.T) {
	f := newFixture(t)
	head, err := f.eth.BlockNumber(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("range", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{MaxBlockRange: 10})
		q := ethereum.FilterQuery{FromBlock: big.NewInt(int64(head - 10)), ToBlock: big.NewInt(int64(head))}
		_, err := f.eth.FilterLogs(f.ctx, q)
		if err == nil || err.Error() != "query exceeds max block range 10" {
			t.Fatalf("11 blocks: %v, want the range error", err)
		}
		q.FromBlock = big.NewInt(int64(head - 9))
		if _, err := f.eth.FilterLogs(f.ctx, q); err != nil {
			t.Fatalf("10 blocks: %v", err)
		}
		if _, err := f.eth.FilterLogs(f.ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0)}); err == nil {
			t.Fatal("from 0 to latest passed a 10-block cap")
		}
	})
	t.Run("results", func(t *testing.T) {
		sender, err := f.d.Actor(f.ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer sender.Close()
		done := make(chan error, 1)
		go func() { _, err := sender.Deposit(f.ctx, big.NewInt(1e9)); done <- err }()
		waitMined(t, f, done)
		f.inject(t, rpcproxy.Fault{MaxResults: 3})
		all, err := f.direct().FilterLogs(f.ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0)})
		if err != nil || len(all) <= 3 {
			t.Fatalf("the state's own logs: %d, %v; want more than 3", len(all), err)
		}
		_, err = f.eth.FilterLogs(f.ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0)})
		if err == nil || err.Error() != "query returned more than 3 results" {
			t.Fatalf("%d logs: %v, want the results error", len(all), err)
		}
		few, err := f.eth.FilterLogs(f.ctx, ethereum.FilterQuery{FromBlock: big.NewInt(int64(all[0].BlockNumber)),
			ToBlock: big.NewInt(int64(all[0].BlockNumber)), Addresses: []common.Address{all[0].Address}, Topics: [][]common.Hash{{all[0].Topics[0]}}})
		if err != nil || len(few) == 0 || len(few) > 3 {
			t.Fatalf("narrow query: %d logs, %v", len(few), err)
		}
	})
}

// A lagging backend answers as of an older head: block number, latest block, nonce, logs.
func TestLag(t *testing.T) {
	f := newFixture(t)
	direct := f.direct()
	sender, err := f.d.Actor(f.ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	before, err := direct.NonceAt(f.ctx, sender.Address, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Five deposits, five blocks with logs; then a lag of exactly those blocks hides them.
	for range 5 {
		done := make(chan error, 1)
		go func() { _, err := sender.Deposit(f.ctx, big.NewInt(1e9)); done <- err }()
		waitMined(t, f, done)
	}
	head, _ := direct.BlockNumber(f.ctx)
	after, _ := direct.NonceAt(f.ctx, sender.Address, nil)
	if after <= before {
		t.Fatalf("nonce %d after deposits, was %d", after, before)
	}
	first := firstBlockWithNonce(t, f, direct, sender.Address, before)
	lag := head - first + 1
	f.inject(t, rpcproxy.Fault{Lag: lag})

	if n, err := f.eth.BlockNumber(f.ctx); err != nil || n != head-lag {
		t.Fatalf("block number %d, %v; want %d", n, err, head-lag)
	}
	if h, err := f.eth.HeaderByNumber(f.ctx, nil); err != nil || h.Number.Uint64() != head-lag {
		t.Fatalf("latest header %v, %v; want %d", h, err, head-lag)
	}
	if h, err := f.eth.HeaderByNumber(f.ctx, new(big.Int).SetUint64(head)); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("header of the real head: %v, %v; want not found", h, err)
	}
	if n, err := f.eth.PendingNonceAt(f.ctx, sender.Address); err != nil || n != before {
		t.Fatalf("pending nonce %d, %v; want the old %d", n, err, before)
	}
	q := ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(first), Addresses: []common.Address{f.d.Addresses.DelegationManager}}
	all, err := direct.FilterLogs(f.ctx, q)
	if err != nil || len(all) == 0 {
		t.Fatalf("the node's logs of the deposits: %d, %v", len(all), err)
	}
	if got, err := f.eth.FilterLogs(f.ctx, q); err != nil || len(got) != 0 {
		t.Fatalf("lagging logs: %d, %v; want none (all past the lagging head)", len(got), err)
	}
	if r, err := f.eth.TransactionReceipt(f.ctx, all[0].TxHash); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("receipt past the lagging head: %v, %v; want not found", r, err)
	}
}

// Fee suggestions inflated, headers untouched unless asked for.
func TestInflatedFees(t *testing.T) {
	f := newFixture(t)
	real, err := f.direct().SuggestGasTipCap(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.inject(t, rpcproxy.Fault{FeeMultiplier: 100})
	got, err := f.eth.SuggestGasTipCap(f.ctx)
	if err != nil || got.Cmp(new(big.Int).Mul(real, big.NewInt(100))) != 0 {
		t.Fatalf("tip %v, %v; want 100 x %v", got, err, real)
	}
	h, err := f.eth.HeaderByNumber(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.inject(t, rpcproxy.Fault{Method: "eth_getBlockByNumber", FeeMultiplier: 10})
	h2, err := f.eth.HeaderByNumber(f.ctx, h.Number)
	if err != nil || h2.BaseFee.Cmp(new(big.Int).Mul(h.BaseFee, big.NewInt(10))) != 0 {
		t.Fatalf("base fee %v, %v; want 10 x %v", h2.BaseFee, err, h.BaseFee)
	}
}

// Websocket: faults on calls, resets of the connection, dropped notifications.
func TestWebsocketFaults(t *testing.T) {
	f := newFixture(t)
	ws, err := ethclient.DialContext(f.ctx, f.p.WSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()

	t.Run("call error and result", func(t *testing.T) {
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", Transport: "ws", Error: &rpcproxy.RPCError{Code: -32000, Message: "ws boom"}})
		if _, err := ws.ChainID(f.ctx); err == nil || err.Error() != "ws boom" {
			t.Fatalf("err %v, want the injected error", err)
		}
		if _, err := f.eth.ChainID(f.ctx); err != nil {
			t.Fatalf("HTTP hit by a ws fault: %v", err)
		}
		f.inject(t, rpcproxy.Fault{Method: "eth_blockNumber", Lag: 5})
		real, _ := f.eth.BlockNumber(f.ctx)
		if n, err := ws.BlockNumber(f.ctx); err != nil || n != real {
			t.Fatalf("lagging block number over ws %d, %v; want %d (both lag)", n, err, real)
		}
	})
	t.Run("notifications dropped then delivered", func(t *testing.T) {
		heads := make(chan *types.Header, 16)
		sub, err := ws.SubscribeNewHead(f.ctx, heads)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		id := f.inject(t, rpcproxy.Fault{Method: "eth_subscription", Drop: true})
		f.d.Mine()
		f.d.Mine()
		select {
		case h := <-heads:
			t.Fatalf("head %v delivered through a Drop fault", h.Number)
		case <-time.After(300 * time.Millisecond):
		}
		f.p.Remove(id)
		want := f.d.Mine()
		for {
			select {
			case h := <-heads:
				if h.Hash() == want {
					return
				}
			case err := <-sub.Err():
				t.Fatal(err)
			case <-f.ctx.Done():
				t.Fatal("no head after the fault was removed")
			}
		}
	})
	t.Run("reset on a call", func(t *testing.T) {
		c, err := ethclient.DialContext(f.ctx, f.p.WSURL())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		heads := make(chan *types.Header, 16)
		sub, err := c.SubscribeNewHead(f.ctx, heads)
		if err != nil {
			t.Fatal(err)
		}
		f.inject(t, rpcproxy.Fault{Method: "eth_chainId", Transport: "ws", Reset: true, Times: 1})
		// go-ethereum's client keeps the request it is still sending when the connection drops,
		// for a reconnect that never comes here: when the reset beats the write's completion the
		// call waits for its deadline. Either way it is not answered; the deadline keeps the
		// fixture's own for the subtests after this one.
		call, cancel := context.WithTimeout(f.ctx, 20*time.Second)
		defer cancel()
		if _, err := c.ChainID(call); err == nil {
			t.Fatal("call through a reset answered")
		}
		select {
		case err := <-sub.Err():
			if err == nil {
				t.Fatal("subscription ended without error")
			}
		case <-f.ctx.Done():
			t.Fatal("subscription survived the reset")
		}
	})
	t.Run("ResetWS", func(t *testing.T) {
		c, err := ethclient.DialContext(f.ctx, f.p.WSURL())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		heads := make(chan *types.Header, 16)
		sub, err := c.SubscribeNewHead(f.ctx, heads)
		if err != nil {
			t.Fatal(err)
		}
		if n := f.p.ResetWS(); n < 1 {
			t.Fatalf("ResetWS dropped %d connections", n)
		}
		select {
		case <-sub.Err():
		case <-f.ctx.Done():
			t.Fatal("subscription survived ResetWS")
		}
		c2, err := ethclient.DialContext(f.ctx, f.p.WSURL())
		if err != nil {
			t.Fatalf("reconnect after ResetWS: %v", err)
		}
		defer c2.Close()
		if _, err := c2.BlockNumber(f.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// waitMined mines blocks until the transaction being sent (done) is in.
func waitMined(t *testing.T, f *fixture, done <-chan error) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-tick.C:
			f.d.Mine()
		case <-f.ctx.Done():
			t.Fatal("transaction not mined")
		}
	}
}

// firstBlockWithNonce is the block in which addr's transaction with the given nonce was mined.
func firstBlockWithNonce(t *testing.T, f *fixture, c *ethclient.Client, addr common.Address, nonce uint64) uint64 {
	t.Helper()
	head, _ := c.BlockNumber(f.ctx)
	for n := head; n > 0; n-- {
		got, err := c.NonceAt(f.ctx, addr, new(big.Int).SetUint64(n-1))
		if err != nil {
			t.Fatal(err)
		}
		if got <= nonce {
			return n
		}
	}
	t.Fatal("no block with that nonce")
	return 0
}

func post(t *testing.T, url, body string) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
