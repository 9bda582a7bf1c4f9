package submitter_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
)

// newSender builds a Sender for the devnet's sender key over client, with its own registry.
func newSender(t *testing.T, e *env, client *ethclient.Client, cfg submitter.SignerConfig) (*submitter.Sender, *prometheus.Registry) {
	t.Helper()
	if cfg.PrivateKey == "" {
		cfg.PrivateKey = hex.EncodeToString(crypto.FromECDSA(e.d.Key(senderKey)))
	}
	if cfg.ReceiptPollInterval == 0 {
		cfg.ReceiptPollInterval = 20 * time.Millisecond
	}
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, _, err := submitter.NewTxManager(context.Background(), cfg, client, big.NewInt(devnet.ChainID), log, reg)
	if err != nil {
		t.Fatal(err)
	}
	return s, reg
}

// newSubmitter is a submitter sending through s.
func newSubmitter(t *testing.T, e *env, s *submitter.Sender) *submitter.Submitter {
	t.Helper()
	sub, err := submitter.New(submitter.Config{Timeout: time.Minute}, e.client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func gwei(f float64) *big.Int {
	w, _ := new(big.Float).Mul(big.NewFloat(f), big.NewFloat(params.GWei)).Int(nil)
	return w
}

// A previous run left a transaction in the pool at the sender's next nonce, priced higher than a
// fresh send would be (its minimum tip was 2 gwei). After a restart the update replaces it, 12.5%
// above both of its fees, and is mined: from the record in --state-dir, or without one from the
// pool's "replacement transaction underpriced" answers.
func TestReplacesAbandonedTransaction(t *testing.T) {
	for _, remembered := range []bool{true, false} {
		name := "remembered in state dir"
		if !remembered {
			name = "unknown, learnt from the pool"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, 1, submitter.Config{})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			op := e.ops[0].Address
			if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
				t.Fatal(err)
			}
			dir := ""
			if remembered {
				dir = t.TempDir()
			}
			old, _ := newSender(t, e, e.client, submitter.SignerConfig{StateDir: dir,
				Fees: submitter.FeeLimits{MinPriorityFeePerGas: gwei(2), MaxPriorityFeePerGas: gwei(3), MaxFeePerGas: gwei(50)}})
			plan := planner.Plan{Operators: []common.Address{op}, Reason: "dirty"}

			var res submitter.Result
			var sendErr error
			var reg *prometheus.Registry
			done := make(chan struct{})
			// Hold block production: the old run's transaction stays in the pool, and so does
			// the replacement until it is known to have taken its place.
			err := e.d.WithBackend(func(*simulated.Backend) error {
				octx, ocancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := newSubmitter(t, e, old).Submit(octx, plan)
				ocancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("old run: err = %v, want a timeout with its transaction pending", err)
				}
				mined, _ := e.client.NonceAt(ctx, e.sender, nil)
				pending, _ := e.client.PendingNonceAt(ctx, e.sender)
				if pending != mined+1 {
					t.Errorf("old run left pending nonce %d, mined %d", pending, mined)
				}
				// The restart: a new process reads what the old one left in the state dir.
				// Its resubmission timeout is short: the old run's transaction, doing the same work,
				// is waited for that long before it is replaced.
				fresh, freshReg := newSender(t, e, e.client, submitter.SignerConfig{StateDir: dir, BumpAfter: time.Second})
				reg = freshReg
				restarted := newSubmitter(t, e, fresh)
				go func() {
					defer close(done)
					res, sendErr = restarted.Submit(ctx, plan)
				}()
				waitUntil(t, ctx, "replacement accepted by the pool", func() bool {
					return metric(t, reg, "avssync_tx_replacements_total") >= 1
				})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			<-done
			if sendErr != nil {
				t.Fatalf("restart: %v", sendErr)
			}
			if len(res.Txs) != 1 || res.Txs[0].Status != types.ReceiptStatusSuccessful {
				t.Fatalf("result %+v", res)
			}
			tx, _, err := e.client.TransactionByHash(ctx, res.Txs[0].Hash)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("replacement mined in block %d: tip %s gwei, fee cap %s gwei; underpriced answers %v",
				res.Txs[0].Block, submitter.Gwei(tx.GasTipCap()), submitter.Gwei(tx.GasFeeCap()),
				metric(t, reg, "avssync_send_errors_total", "kind", "underpriced"))
			if tx.GasTipCap().Cmp(gwei(2.25)) < 0 {
				t.Fatalf("mined tip %s gwei: not 12.5%% above the abandoned 2 gwei", submitter.Gwei(tx.GasTipCap()))
			}
			underpriced := metric(t, reg, "avssync_send_errors_total", "kind", "underpriced")
			if remembered && underpriced != 0 {
				t.Fatalf("with the record, %v underpriced answers, want 0", underpriced)
			}
			if !remembered && underpriced == 0 {
				t.Fatal("without the record, no underpriced answer: the test did not exercise the pool's answer")
			}
			if s := e.stakes(t, ctx, []common.Address{op}); s[0].Stored.Cmp(s[0].Weight) != 0 {
				t.Fatalf("stake not updated: %+v", s[0])
			}
			if got := metric(t, reg, "avssync_fees_paid_eth_total"); got <= 0 {
				t.Fatalf("fees_paid_eth_total = %v", got)
			}
		})
	}
}

// The base fee pushed above --max-fee-per-gas: nothing is sent (ErrFeeAboveCap, the gauge at 1)
// until it falls, then the update lands; no transaction pays above the cap.
func TestWaitsWhileBaseFeeAboveCap(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	op := e.ops[0].Address
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	limits := submitter.FeeLimits{MaxFeePerGas: gwei(1), MaxPriorityFeePerGas: gwei(0.5), MinPriorityFeePerGas: gwei(0.1)}
	s, reg := newSender(t, e, e.client, submitter.SignerConfig{Fees: limits})
	sub := newSubmitter(t, e, s)
	plan := planner.Plan{Operators: []common.Address{op}, Reason: "dirty"}

	stop, err := e.d.FillBlocks(ctx, 1, gwei(20))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "base fee above 2 gwei", func() bool { return baseFee(t, ctx, e).Cmp(gwei(2)) > 0 })
	start, _ := e.client.BlockNumber(ctx)
	nonce, _ := e.client.PendingNonceAt(ctx, e.sender)
	began := time.Now()
	_, err = sub.Submit(ctx, plan)
	if !errors.Is(err, submitter.ErrFeeAboveCap) {
		t.Fatalf("err = %v, want ErrFeeAboveCap", err)
	}
	t.Logf("refused in %v: %v", time.Since(began).Round(time.Millisecond), err)
	if after, _ := e.client.PendingNonceAt(ctx, e.sender); after != nonce {
		t.Fatalf("a transaction was sent above the cap: pending nonce %d -> %d", nonce, after)
	}
	if got := metric(t, reg, "avssync_fee_cap_blocked"); got != 1 {
		t.Fatalf("fee_cap_blocked = %v, want 1", got)
	}
	if got := metric(t, reg, "avssync_send_errors_total", "kind", "fee_cap"); got != 1 {
		t.Fatalf("send_errors_total{fee_cap} = %v, want 1", got)
	}
	if err := stop(ctx); err != nil {
		t.Fatal(err)
	}

	// The loop's wait, in short: retry until the fees allow it.
	var res submitter.Result
	for {
		res, err = sub.Submit(ctx, plan)
		if err == nil {
			break
		}
		if !errors.Is(err, submitter.ErrFeeAboveCap) {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatal("the base fee never fell")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if len(res.Txs) != 1 || res.Txs[0].Status != types.ReceiptStatusSuccessful {
		t.Fatalf("result %+v", res)
	}
	// The first block whose successor could take a transaction within the cap.
	var fellAt uint64
	for n := start; n <= res.Txs[0].Block; n++ {
		h, err := e.client.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatal(err)
		}
		if new(big.Int).Add(h.BaseFee, limits.MinPriorityFeePerGas).Cmp(limits.MaxFeePerGas) <= 0 {
			fellAt = n
			break
		}
	}
	t.Logf("base fee under the cap from block %d; update mined at block %d (%d blocks of 50 ms later)", fellAt, res.Txs[0].Block,
		res.Txs[0].Block-fellAt)
	if got := metric(t, reg, "avssync_fee_cap_blocked"); got != 0 {
		t.Fatalf("fee_cap_blocked = %v after a send, want 0", got)
	}
	end, _ := e.client.BlockNumber(ctx)
	for n := start; n <= end; n++ {
		b, err := e.client.BlockByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Transactions() {
			from, _ := types.Sender(types.LatestSignerForChainID(big.NewInt(devnet.ChainID)), tx)
			if from != e.sender {
				continue
			}
			if tx.GasFeeCap().Cmp(limits.MaxFeePerGas) > 0 || tx.GasTipCap().Cmp(limits.MaxPriorityFeePerGas) > 0 {
				t.Fatalf("transaction %s in block %d pays above the caps: tip %s, fee cap %s", tx.Hash(), n, tx.GasTipCap(), tx.GasFeeCap())
			}
			if n < fellAt {
				t.Fatalf("transaction %s mined at block %d, before the base fee fell (block %d)", tx.Hash(), n, fellAt)
			}
		}
	}
	if s := e.stakes(t, ctx, []common.Address{op}); s[0].Stored.Cmp(s[0].Weight) != 0 {
		t.Fatalf("stake not updated: %+v", s[0])
	}
}

// A sender that cannot pay: nothing is sent (ErrOutOfFunds, out_of_funds 1) until it is funded;
// the balance gauges follow the funding and the transaction.
func TestOutOfFundsWaitsForFunds(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	key, _ := crypto.ToECDSA(crypto.Keccak256([]byte("avs-sync poor sender")))
	poor := crypto.PubkeyToAddress(key.PublicKey)
	fund := func(amount *big.Int) {
		t.Helper()
		k := e.d.Key(1)
		nonce, err := e.client.PendingNonceAt(ctx, crypto.PubkeyToAddress(k.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		tx := types.MustSignNewTx(k, types.LatestSignerForChainID(big.NewInt(devnet.ChainID)), &types.DynamicFeeTx{
			ChainID: big.NewInt(devnet.ChainID), Nonce: nonce, GasTipCap: gwei(1), GasFeeCap: gwei(10), Gas: 21_000, To: &poor, Value: amount})
		if err := e.client.SendTransaction(ctx, tx); err != nil {
			t.Fatal(err)
		}
		waitReceipt(t, ctx, e.client, tx.Hash())
	}
	fund(big.NewInt(1e12)) // enough to exist, far from enough for an update
	s, reg := newSender(t, e, e.client, submitter.SignerConfig{PrivateKey: hex.EncodeToString(crypto.FromECDSA(key)),
		LowBalance: big.NewInt(1e17)})
	sub, err := submitter.New(submitter.Config{Timeout: time.Minute}, e.client, s, poor, e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := planner.Plan{Operators: []common.Address{e.ops[0].Address}, Reason: "dirty"}
	_, err = sub.Submit(ctx, plan)
	if !errors.Is(err, submitter.ErrOutOfFunds) {
		t.Fatalf("err = %v, want ErrOutOfFunds", err)
	}
	t.Logf("unfunded: %v", err)
	if n, _ := e.client.PendingNonceAt(ctx, poor); n != 0 {
		t.Fatalf("%d transactions sent without funds", n)
	}
	if got := metric(t, reg, "avssync_out_of_funds"); got != 1 {
		t.Fatalf("out_of_funds = %v, want 1", got)
	}
	if got := metric(t, reg, "avssync_sender_balance_low"); got != 1 {
		t.Fatalf("sender_balance_low = %v, want 1", got)
	}

	wctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.WatchBalance(wctx, submitter.BalanceEvery{Interval: 20 * time.Millisecond})
	}()
	fund(big.NewInt(1e18))
	waitUntil(t, ctx, "out_of_funds back to 0 once funded", func() bool {
		return metric(t, reg, "avssync_out_of_funds") == 0 && metric(t, reg, "avssync_sender_balance_low") == 0
	})
	stop()
	<-watched
	res, err := sub.Submit(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	bal, err := e.client.BalanceAt(ctx, poor, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := new(big.Float).Quo(new(big.Float).SetInt(bal), big.NewFloat(1e18)).Float64()
	if got := metric(t, reg, "avssync_sender_balance_eth"); got != want {
		t.Fatalf("sender_balance_eth = %v after the transaction, chain says %v", got, want)
	}
	t.Logf("funded: mined in block %d, balance %v ETH, fees paid %v ETH", res.Txs[0].Block, want, metric(t, reg, "avssync_fees_paid_eth_total"))
}

// A node whose latest header has no base fee (pre-London, or garbage) is an error, not a panic.
func TestHeaderWithoutBaseFee(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var head map[string]any
	if err := e.client.Client().CallContext(ctx, &head, "eth_getBlockByNumber", "latest", false); err != nil {
		t.Fatal(err)
	}
	delete(head, "baseFeePerGas")
	raw, _ := json.Marshal(head)
	p.Inject(rpcproxy.Fault{Method: "eth_getBlockByNumber", Result: raw})
	client, err := ethclient.Dial(p.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s, _ := newSender(t, e, client, submitter.SignerConfig{})
	nonce, _ := e.client.PendingNonceAt(ctx, e.sender)
	sub, err := submitter.New(submitter.Config{}, client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
	if err == nil || !strings.Contains(err.Error(), "no base fee") {
		t.Fatalf("err = %v, want an error naming the missing base fee", err)
	}
	t.Logf("header without base fee: %v", err)
	if after, _ := e.client.PendingNonceAt(ctx, e.sender); after != nonce {
		t.Fatal("a transaction was sent")
	}
}

func baseFee(t *testing.T, ctx context.Context, e *env) *big.Int {
	t.Helper()
	h, err := e.client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h.BaseFee
}

func waitReceipt(t *testing.T, ctx context.Context, c *ethclient.Client, h common.Hash) *types.Receipt {
	t.Helper()
	var r *types.Receipt
	waitUntil(t, ctx, "receipt of "+h.Hex(), func() bool {
		var err error
		r, err = c.TransactionReceipt(ctx, h)
		return err == nil
	})
	return r
}

// waitUntil polls cond until it holds or ctx ends.
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// A transaction left unmined past the resubmission timeout is replaced 12.5% higher, and the
// replacement is what gets mined; when the caps leave no room for a replacement the pending one
// is waited for instead.
func TestResubmission(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	for _, tt := range []struct {
		name   string
		limits submitter.FeeLimits
		bumps  bool
	}{
		{"bumped within the caps", submitter.FeeLimits{MinPriorityFeePerGas: gwei(1), MaxPriorityFeePerGas: gwei(3)}, true},
		{"caps leave no room: waits", submitter.FeeLimits{MinPriorityFeePerGas: gwei(1), MaxPriorityFeePerGas: gwei(1.1)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
				t.Fatal(err)
			}
			s, reg := newSender(t, e, e.client, submitter.SignerConfig{Fees: tt.limits, BumpAfter: 500 * time.Millisecond})
			sub := newSubmitter(t, e, s)
			var res submitter.Result
			var sendErr error
			done := make(chan struct{})
			err := e.d.WithBackend(func(*simulated.Backend) error {
				go func() {
					defer close(done)
					res, sendErr = sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
				}()
				if tt.bumps {
					waitUntil(t, ctx, "two replacements", func() bool { return metric(t, reg, "avssync_tx_replacements_total") >= 2 })
					return nil
				}
				// Three resubmission timeouts pass without a replacement.
				deadline := time.Now().Add(1500 * time.Millisecond)
				waitUntil(t, ctx, "three resubmission timeouts", func() bool { return time.Now().After(deadline) })
				if got := metric(t, reg, "avssync_tx_replacements_total"); got != 0 {
					t.Errorf("%v replacements above the caps", got)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			<-done
			if sendErr != nil {
				t.Fatal(sendErr)
			}
			tx, _, err := e.client.TransactionByHash(ctx, res.Txs[0].Hash)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("mined: tip %s gwei, fee cap %s gwei, after %v replacements", submitter.Gwei(tx.GasTipCap()),
				submitter.Gwei(tx.GasFeeCap()), metric(t, reg, "avssync_tx_replacements_total"))
			want := gwei(1)
			if tt.bumps {
				want = gwei(1.265625) // two bumps of 12.5% over 1 gwei
			}
			if tx.GasTipCap().Cmp(want) < 0 || tx.GasTipCap().Cmp(tt.limits.MaxPriorityFeePerGas) > 0 {
				t.Fatalf("mined tip %s gwei, want at least %s within the cap", submitter.Gwei(tx.GasTipCap()), submitter.Gwei(want))
			}
		})
	}
}

// The node's answers to a broadcast, told apart: "nonce too low" re-reads the nonce and gives up
// after three; "already known" counts as sent and is waited for (here the proxy lied, so the
// resubmission sends it for real).
func TestSendErrorsToldApart(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, err := ethclient.Dial(p.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	answer := func(msg string, times int) {
		p.Inject(rpcproxy.Fault{Method: "eth_sendRawTransaction", Times: times, Error: &rpcproxy.RPCError{Code: -32000, Message: msg}})
	}
	// tooLow is a "nonce too low" answer naming the sender's true next nonce, as a node does.
	tooLow := func(t *testing.T) string {
		n, err := e.client.NonceAt(context.Background(), e.sender, nil)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("nonce too low: next nonce %d, tx nonce %d", n, max(n, 1)-1)
	}
	submit := func(t *testing.T, s *submitter.Sender) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		sub, err := submitter.New(submitter.Config{Timeout: 30 * time.Second}, client, s, s.Address(), e.c, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
		return err
	}

	t.Run("nonce too low twice, then sent", func(t *testing.T) {
		s, reg := newSender(t, e, client, submitter.SignerConfig{})
		answer(tooLow(t), 2)
		if err := submit(t, s); err != nil {
			t.Fatal(err)
		}
		if got := metric(t, reg, "avssync_send_errors_total", "kind", "nonce_too_low"); got != 2 {
			t.Fatalf("send_errors_total{nonce_too_low} = %v, want 2", got)
		}
	})
	t.Run("nonce too low three times: gives up", func(t *testing.T) {
		s, reg := newSender(t, e, client, submitter.SignerConfig{})
		answer(tooLow(t), 3)
		err := submit(t, s)
		if err == nil || !strings.Contains(err.Error(), "giving up") {
			t.Fatalf("err = %v, want giving up after 3", err)
		}
		t.Logf("gave up: %v", err)
		if got := metric(t, reg, "avssync_send_errors_total", "kind", "nonce_too_low"); got != 3 {
			t.Fatalf("send_errors_total{nonce_too_low} = %v, want 3", got)
		}
	})
	t.Run("a gateway's 502, a 429 and a dropped connection on the way: the same transaction sent again", func(t *testing.T) {
		s, reg := newSender(t, e, client, submitter.SignerConfig{})
		// Faults that select the same call all apply to it at once: one per request, in turn.
		var n atomic.Int32
		for i, f := range []rpcproxy.Fault{{HTTPStatus: http.StatusBadGateway}, {HTTPStatus: http.StatusTooManyRequests}, {Reset: true}} {
			f.Method, f.Times = "eth_sendRawTransaction", 1
			f.Match = func(json.RawMessage) bool { return n.Load() == int32(i) }
			p.Inject(f)
		}
		p.Inject(rpcproxy.Fault{Method: "eth_sendRawTransaction", Delay: time.Nanosecond, Match: func(json.RawMessage) bool { n.Add(1); return true }})
		before := p.Counts().HTTPCalls["eth_sendRawTransaction"]
		if err := submit(t, s); err != nil {
			t.Fatal(err)
		}
		if sent := p.Counts().HTTPCalls["eth_sendRawTransaction"] - before; sent != 4 {
			t.Fatalf("%d sends, want 4: three failed on the way, then the same transaction", sent)
		}
		if got := metric(t, reg, "avssync_tx_replacements_total"); got != 0 {
			t.Fatalf("tx_replacements_total = %v, want 0: the resends are the same transaction", got)
		}
	})
	t.Run("already known: waited for", func(t *testing.T) {
		s, reg := newSender(t, e, client, submitter.SignerConfig{BumpAfter: 500 * time.Millisecond})
		answer("already known", 1)
		if err := submit(t, s); err != nil {
			t.Fatal(err)
		}
		if got := metric(t, reg, "avssync_send_errors_total", "kind", "already_known"); got != 1 {
			t.Fatalf("send_errors_total{already_known} = %v, want 1", got)
		}
		if got := metric(t, reg, "avssync_tx_replacements_total"); got < 1 {
			t.Fatalf("tx_replacements_total = %v, want the resubmission after the lie", got)
		}
	})
	t.Run("underpriced with nothing pending: not recorded", func(t *testing.T) {
		// A full pool refuses a first send as underpriced. Nothing of ours holds the nonce: a
		// record there would make the next send a replacement, and one priced near the caps
		// would wait for nothing forever.
		s, reg := newSender(t, e, client, submitter.SignerConfig{})
		answer("transaction underpriced: tip needed 1, tip permitted 0", 1)
		err := submit(t, s)
		t.Logf("first send: %v", err)
		if err != nil {
			if err := submit(t, s); err != nil {
				t.Fatal(err)
			}
		}
		if got := metric(t, reg, "avssync_tx_replacements_total"); got != 0 {
			t.Fatalf("tx_replacements_total = %v, want 0: the underpriced answer was recorded as a pending transaction", got)
		}
	})
	t.Run("insufficient funds", func(t *testing.T) {
		s, reg := newSender(t, e, client, submitter.SignerConfig{})
		answer("insufficient funds for gas * price + value: balance 0, tx cost 1", 1)
		err := submit(t, s)
		if !errors.Is(err, submitter.ErrOutOfFunds) {
			t.Fatalf("err = %v, want ErrOutOfFunds", err)
		}
		if got := metric(t, reg, "avssync_out_of_funds"); got != 1 {
			t.Fatalf("out_of_funds = %v, want 1", got)
		}
	})
}

// Fees rise above the cap while the update is pending: no replacement goes out, but the send
// keeps waiting for the pending transaction and reports it mined, rather than reporting the work
// as unsent (which would send it again).
func TestFeesRiseWhilePending(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, err := ethclient.Dial(p.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s, reg := newSender(t, e, client, submitter.SignerConfig{BumpAfter: 300 * time.Millisecond,
		Fees: submitter.FeeLimits{MaxFeePerGas: gwei(5), MaxPriorityFeePerGas: gwei(1)}})
	sub, err := submitter.New(submitter.Config{Timeout: time.Minute}, client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var res submitter.Result
	var sendErr error
	done := make(chan struct{})
	err = e.d.WithBackend(func(*simulated.Backend) error {
		mined, err := e.client.NonceAt(ctx, e.sender, nil)
		if err != nil {
			return err
		}
		go func() {
			defer close(done)
			res, sendErr = sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
		}()
		waitUntil(t, ctx, "the update in the pool", func() bool {
			n, err := e.client.PendingNonceAt(ctx, e.sender)
			return err == nil && n > mined
		})
		// The base fee, as the sender reads it, jumps far above the 5 gwei cap.
		p.Inject(rpcproxy.Fault{Method: "eth_getBlockByNumber", FeeMultiplier: 1e10})
		waitUntil(t, ctx, "a resubmission refused by the cap", func() bool {
			return metric(t, reg, "avssync_send_errors_total", "kind", "fee_cap") >= 1
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if sendErr != nil {
		t.Fatalf("the pending update was reported as failed: %v", sendErr)
	}
	if len(res.Txs) != 1 || res.Txs[0].Status != types.ReceiptStatusSuccessful {
		t.Fatalf("result %+v", res)
	}
	if got := metric(t, reg, "avssync_tx_replacements_total"); got != 0 {
		t.Fatalf("%v replacements above the cap", got)
	}
	if got := metric(t, reg, "avssync_fee_cap_blocked"); got != 0 {
		t.Fatalf("fee_cap_blocked = %v once the waiting work was mined, want 0", got)
	}
	t.Logf("pending update mined at block %d while fees read above the cap", res.Txs[0].Block)
}

// A record at the next nonce priced at the caps whose transaction the pool no longer holds
// (dropped, node restarted): the caps forbid a replacement, but there is nothing to replace. The
// record is forgotten and the update goes out fresh, instead of waiting forever.
func TestDroppedRecordAtCapsForgotten(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	n, err := e.client.NonceAt(ctx, e.sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st := fmt.Sprintf(`{"chain_id":%d,"sender":"%s","nonces":{"%d":{"tip":3000000000,"fee_cap":50000000000,"attempts":[{"id":"%s","work":"%s","tip":3000000000,"fee_cap":50000000000,"at":"2020-01-01T00:00:00Z"}]}}}`,
		devnet.ChainID, e.sender.Hex(), n, common.HexToHash("0xdead").Hex(), common.HexToHash("0xbeef").Hex())
	if err := os.WriteFile(filepath.Join(dir, "sent-transactions.json"), []byte(st), 0o600); err != nil {
		t.Fatal(err)
	}
	s, reg := newSender(t, e, e.client, submitter.SignerConfig{StateDir: dir, BumpAfter: time.Second,
		Fees: submitter.FeeLimits{MaxPriorityFeePerGas: gwei(3), MaxFeePerGas: gwei(50)}})
	sub, err := submitter.New(submitter.Config{Timeout: 30 * time.Second}, e.client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}, Reason: "dirty"})
	if err != nil || len(res.Mined()) != 1 {
		t.Fatalf("update not sent past a record of a dropped transaction at the caps: mined %d, err %v", len(res.Mined()), err)
	}
	if got := metric(t, reg, "avssync_tx_replacements_total"); got != 0 {
		t.Fatalf("tx_replacements_total = %v, want 0: nothing was pending to replace", got)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "sent-transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), common.HexToHash("0xdead").Hex()) {
		t.Fatalf("the dropped transaction is still recorded: %s", raw)
	}
}

// A send that timed out leaves its transaction in the pool; once mined, the next send reports
// its receipt too: the gas budget counts what was mined for work no caller waits for any more.
func TestReceiptsOfAbandonedWorkReported(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, _ := newSender(t, e, e.client, submitter.SignerConfig{})
	var mu sync.Mutex
	reported := map[common.Hash]uint64{}
	s.OnReceipt(func(h common.Hash, gas uint64) {
		mu.Lock()
		defer mu.Unlock()
		reported[h] += gas
	})
	sub, err := submitter.New(submitter.Config{Timeout: 2 * time.Second}, e.client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := planner.Plan{Operators: []common.Address{e.ops[0].Address}, Reason: "dirty"}
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	n, err := e.client.NonceAt(ctx, e.sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = e.d.WithBackend(func(*simulated.Backend) error { // no blocks: the send times out
		_, err := sub.Submit(ctx, plan)
		t.Logf("first send: %v", err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the abandoned transaction mined", func() bool {
		m, err := e.client.NonceAt(ctx, e.sender, nil)
		return err == nil && m > n
	})
	block, err := e.client.BlockByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var abandoned common.Hash
	for b := block.NumberU64(); b > 0 && abandoned == (common.Hash{}); b-- {
		blk, err := e.client.BlockByNumber(ctx, new(big.Int).SetUint64(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Transactions() {
			if tx.Nonce() == n && tx.To() != nil && *tx.To() == e.c.RegistryCoordinator {
				abandoned = tx.Hash()
			}
		}
	}
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	res, err := newSubmitter(t, e, s).Submit(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("reported: %v", reported)
	if reported[abandoned] == 0 {
		t.Fatalf("the abandoned transaction %s, mined, was not reported", abandoned)
	}
	if h := res.Txs[0].Hash; reported[h] != res.Txs[0].GasUsed {
		t.Fatalf("the send's own transaction reported with gas %d, want %d once", reported[h], res.Txs[0].GasUsed)
	}
}

// A plan other than a deadline refresh sends no transaction whose gas limit exceeds what remains
// of the daily budget: it is held back (ErrOverBudget), not sent, not failed. A deadline refresh,
// or an update of stored stakes at a churn line, goes out whatever remains.
func TestOverBudgetHeldBack(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	s, _ := newSender(t, e, e.client, submitter.SignerConfig{})
	sub := newSubmitter(t, e, s)
	n, err := e.client.NonceAt(ctx, e.sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := planner.Plan{Operators: []common.Address{e.ops[0].Address}, Reason: planner.ReasonDirty, GasLimited: true, GasLeft: 100_000}
	res, err := sub.Submit(ctx, plan)
	if !errors.Is(err, submitter.ErrOverBudget) || len(res.Txs) != 1 || res.Txs[0].Outcome != submitter.NotSent {
		t.Fatalf("err %v, result %+v: want the update held back as over budget", err, res.Txs)
	}
	if m, _ := e.client.NonceAt(ctx, e.sender, nil); m != n {
		t.Fatalf("nonce moved from %d to %d: a transaction over the budget was sent", n, m)
	}
	churn := plan
	churn.ChurnLine = true
	res, err = sub.Submit(ctx, churn)
	if err != nil || len(res.Mined()) != 1 {
		t.Fatalf("churn-line plan: err %v, mined %d; want it sent whatever the budget", err, len(res.Mined()))
	}
	plan.Reason = planner.ReasonDeadline
	res, err = sub.Submit(ctx, plan)
	if err != nil || len(res.Mined()) != 1 {
		t.Fatalf("deadline plan: err %v, mined %d; want it sent whatever the budget", err, len(res.Mined()))
	}
	t.Logf("deadline update used %d gas with %d left", res.Txs[0].GasUsed, plan.GasLeft)
}

// Every eth_getTransactionCount answers from a backend far behind the one that
// mines: the sender's next nonce is its own last mined nonce + 1, or what the node's "nonce too
// low" names, whatever the lagging backend says. Three updates in a row each go out and are
// mined, at most one refused.
func TestLaggingNonceBackend(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	lag := p.Inject(rpcproxy.Fault{Method: "eth_getTransactionCount", Lag: 100})
	client, err := ethclient.Dial(p.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s, reg := newSender(t, e, client, submitter.SignerConfig{})
	sub, err := submitter.New(submitter.Config{Timeout: 30 * time.Second}, client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 3 {
		if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		if _, err := sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}}); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if p.Hits(lag) == 0 {
		t.Fatal("no nonce read met the lagging backend")
	}
	if got := metric(t, reg, "avssync_send_errors_total", "kind", "nonce_too_low"); got > 1 {
		t.Fatalf("send_errors_total{nonce_too_low} = %v, want at most 1: the lagging nonce was trusted over the sender's own mined one", got)
	}
}

// A send whose own transaction is mined while it re-prices (the replacement is answered "nonce
// too low": the original went into a block meanwhile) returns that transaction's receipt. It does
// not do the same work again at the next nonce, a second transaction for one update.
func TestOwnAttemptMinedDuringReplacement(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, err := ethclient.Dial(p.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	start, err := e.client.NonceAt(ctx, e.sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newSender(t, e, client, submitter.SignerConfig{BumpAfter: 300 * time.Millisecond})
	sub, err := submitter.New(submitter.Config{Timeout: 30 * time.Second}, client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Blocks stop, so the first transaction waits in the pool and is replaced after 300 ms; the
	// replacement finds it mined (the block is made as the replacement arrives) and is refused.
	e.d.Pause(true)
	defer e.d.Pause(false)
	var sends atomic.Int32
	p.Inject(rpcproxy.Fault{Method: "eth_sendRawTransaction", Times: 1,
		Match: func(json.RawMessage) bool {
			if sends.Add(1) != 2 {
				return false
			}
			e.d.Mine()
			return true
		},
		Error: &rpcproxy.RPCError{Code: -32000, Message: fmt.Sprintf("nonce too low: next nonce %d, tx nonce %d", start+1, start)}})
	type result struct {
		res submitter.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
		done <- result{res, err}
	}()
	waitUntil(t, ctx, "the replacement refused", func() bool { return sends.Load() >= 2 })
	e.d.Pause(false)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	// Blocks go on: a second transaction, had one been sent, would be mined by now.
	e.d.Mine()
	e.d.Mine()
	end, err := e.client.NonceAt(ctx, e.sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	if end != start+1 {
		t.Fatalf("the sender's nonce went %d -> %d for one update, want one transaction", start, end)
	}
	if len(r.res.Txs) != 1 || r.res.Txs[0].Receipt == nil || r.res.Txs[0].Receipt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("result %+v, want the first transaction's receipt", r.res)
	}
}

// A reorganisation drops the sender's mined transaction and nothing takes its nonce: the chain's
// nonce goes back below the one the sender knew. The next update goes out at the nonce the chain
// says, not one past the dropped transaction (which would sit behind a gap, never mined).
func TestNonceFloorFollowsReorg(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	s, _ := newSender(t, e, e.client, submitter.SignerConfig{})
	sub := newSubmitter(t, e, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	res, err := sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
	if err != nil || len(res.Mined()) != 1 {
		t.Fatalf("first update: %+v, %v", res, err)
	}
	first := res.Txs[0].Receipt
	mined, _, err := e.client.TransactionByHash(ctx, first.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	block, err := e.d.Unmine(ctx, first.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.client.NonceAt(ctx, e.sender, nil); err != nil || n != mined.Nonce() {
		t.Fatalf("nonce after the reorg %d (%v), want %d", n, err, mined.Nonce())
	}
	t.Logf("transaction at nonce %d dropped from block %d", mined.Nonce(), block)
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
	defer scancel()
	res, err = sub.Submit(sctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
	if err != nil || len(res.Mined()) != 1 {
		t.Fatalf("update after the reorg: %+v, %v: sent behind a nonce gap?", res, err)
	}
	again, _, err := e.client.TransactionByHash(ctx, res.Txs[0].Receipt.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if again.Nonce() != mined.Nonce() {
		t.Fatalf("update after the reorg at nonce %d, want %d (the dropped transaction's)", again.Nonce(), mined.Nonce())
	}
}

// A reorganisation drops the sender's mined transaction, and the pool takes it back (as nodes
// do): it is mined again. The next update goes out after it, at the next nonce, not in its place.
func TestNonceFloorKeptForRependingTransaction(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	s, _ := newSender(t, e, e.client, submitter.SignerConfig{})
	sub := newSubmitter(t, e, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	plan := planner.Plan{Operators: []common.Address{e.ops[0].Address}}
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	res, err := sub.Submit(ctx, plan)
	if err != nil || len(res.Mined()) != 1 {
		t.Fatalf("first update: %+v, %v", res, err)
	}
	first, _, err := e.client.TransactionByHash(ctx, res.Txs[0].Receipt.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	e.d.Pause(true)
	defer e.d.Pause(false)
	if _, err := e.d.Unmine(ctx, first.Hash()); err != nil {
		t.Fatal(err)
	}
	if err := e.client.SendTransaction(ctx, first); err != nil {
		t.Fatalf("the dropped transaction back to the pool: %v", err)
	}
	type result struct {
		res submitter.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := sub.Submit(ctx, plan)
		done <- result{res, err}
	}()
	waitUntil(t, ctx, "the update sent", func() bool {
		n, err := e.client.PendingNonceAt(ctx, e.sender)
		return err == nil && n > first.Nonce()+1
	})
	e.d.Pause(false)
	r := <-done
	if r.err != nil || len(r.res.Mined()) != 1 {
		t.Fatalf("update after the reorg: %+v, %v", r.res, r.err)
	}
	again, _, err := e.client.TransactionByHash(ctx, r.res.Txs[0].Receipt.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if again.Nonce() != first.Nonce()+1 {
		t.Fatalf("update after the reorg at nonce %d, want %d (after the transaction mined again)", again.Nonce(), first.Nonce()+1)
	}
	if rc, err := e.client.TransactionReceipt(ctx, first.Hash()); err != nil || rc.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("the first transaction mined again: %v, %v", rc, err)
	}
}

// A transaction sent but not mined within the timeout may still be mined: the rest of the plan
// counts its gas limit as spent, so a budget that holds one of two transactions does not send
// the second.
func TestOverBudgetCountsUnminedSend(t *testing.T) {
	const perTx = 500_000 // one operator per updateOperators
	e := newEnv(t, 2, submitter.Config{GasBudget: perTx})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := devnet.DepositAll(ctx, e.ops, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	s, _ := newSender(t, e, e.client, submitter.SignerConfig{})
	sub, err := submitter.New(submitter.Config{Timeout: 2 * time.Second, GasBudget: perTx}, e.client, s, s.Address(), e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := e.addresses(e.ops)
	txs, err := sub.Build(ctx, planner.Plan{Operators: all})
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 2 {
		t.Fatalf("Build made %d transactions for 2 operators at %d gas each at most, want 2", len(txs), perTx)
	}
	left := txs[0].GasLimit() + txs[1].GasLimit() - 1
	// Blocks stop: the first transaction waits in the pool past the timeout.
	e.d.Pause(true)
	defer e.d.Pause(false)
	res, err := sub.Submit(ctx, planner.Plan{Operators: all, Reason: planner.ReasonDirty, GasLimited: true, GasLeft: left})
	if err == nil || len(res.Txs) != 2 {
		t.Fatalf("err %v, %d results: want both parts reported with an error", err, len(res.Txs))
	}
	if res.Txs[0].Outcome != submitter.NotSent || errors.Is(res.Txs[0].Err, submitter.ErrOverBudget) {
		t.Fatalf("first part %v (%v): want sent and not mined within the timeout", res.Txs[0].Outcome, res.Txs[0].Err)
	}
	if !errors.Is(res.Txs[1].Err, submitter.ErrOverBudget) {
		t.Fatalf("second part: %v; want it held back, the first's gas limit counted as spent", res.Txs[1].Err)
	}
}
