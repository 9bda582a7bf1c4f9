package submitter_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
)

// lockedBuffer is a log sink a test reads while the sender writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// gasReports records what a Sender reports through OnReceipt.
type gasReports struct {
	mu  sync.Mutex
	gas map[common.Hash]uint64
}

func reportsOf(s *submitter.Sender) *gasReports {
	g := &gasReports{gas: map[common.Hash]uint64{}}
	s.OnReceipt(func(h common.Hash, gas uint64) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.gas[h] += gas
	})
	return g
}

func (g *gasReports) of(h common.Hash) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gas[h]
}

// senderLogging is newSender whose log also goes to w.
func senderLogging(t *testing.T, e *env, w io.Writer, cfg submitter.SignerConfig) (*submitter.Sender, *prometheus.Registry) {
	t.Helper()
	cfg.PrivateKey = hex.EncodeToString(crypto.FromECDSA(e.d.Key(senderKey)))
	cfg.ReceiptPollInterval = 20 * time.Millisecond
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, w), &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, _, err := submitter.NewTxManager(context.Background(), cfg, e.client, big.NewInt(devnet.ChainID), log, reg)
	if err != nil {
		t.Fatal(err)
	}
	return s, reg
}

// Two processes with one key and their own state dirs. Each counts the other's mined
// transactions in foreign_transactions_total and in its gas budget (OnReceipt, the receipt's
// gas), logs one ERROR line, and ends the send with ErrForeignTransaction instead of sending the
// same work again at the next nonce: one mined transaction per stake change.
func TestForeignTransactionsCounted(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op := e.ops[0].Address
	plan := planner.Plan{Operators: []common.Address{op}, Reason: "dirty"}

	var aLog, bLog lockedBuffer
	a, aReg := senderLogging(t, e, &aLog, submitter.SignerConfig{StateDir: t.TempDir()})
	aGas := reportsOf(a)
	// b prices higher: its transaction replaces a's in the pool.
	b, bReg := senderLogging(t, e, &bLog, submitter.SignerConfig{StateDir: t.TempDir(),
		Fees: submitter.FeeLimits{MinPriorityFeePerGas: gwei(5), MaxPriorityFeePerGas: gwei(10), MaxFeePerGas: gwei(100)}})
	bGas := reportsOf(b)

	t.Run("the other's transaction takes the nonce in the pool", func(t *testing.T) {
		if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		n, err := e.client.NonceAt(ctx, e.sender, nil)
		if err != nil {
			t.Fatal(err)
		}
		aDone := make(chan error, 1)
		var bRes submitter.Result
		bDone := make(chan error, 1)
		// Blocks held: a's transaction waits in the pool, b's (priced higher) replaces it.
		err = e.d.WithBackend(func(*simulated.Backend) error {
			go func() { _, err := newSubmitter(t, e, a).Submit(ctx, plan); aDone <- err }()
			waitUntil(t, ctx, "a's transaction in the pool", func() bool { return strings.Contains(aLog.String(), "transaction sent") })
			go func() {
				var err error
				bRes, err = newSubmitter(t, e, b).Submit(ctx, plan)
				bDone <- err
			}()
			waitUntil(t, ctx, "b's transaction in the pool", func() bool { return strings.Contains(bLog.String(), "transaction sent") })
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-bDone; err != nil {
			t.Fatalf("b: %v", err)
		}
		aErr := <-aDone
		if !errors.Is(aErr, submitter.ErrForeignTransaction) {
			t.Fatalf("a: err = %v, want ErrForeignTransaction", aErr)
		}
		m, err := e.client.NonceAt(ctx, e.sender, nil)
		if err != nil {
			t.Fatal(err)
		}
		won := bRes.Txs[0]
		t.Logf("a: %v; nonce %d -> %d; b's %s used %d gas; a counted %d", aErr, n, m, won.Hash, won.GasUsed, aGas.of(won.Hash))
		if m != n+1 {
			t.Fatalf("nonce %d -> %d: %d transactions mined for one stake change, want 1", n, m, m-n)
		}
		if got := metric(t, aReg, "avssync_foreign_transactions_total"); got != 1 {
			t.Errorf("a's foreign_transactions_total = %v, want 1", got)
		}
		if got := aGas.of(won.Hash); got != won.GasUsed {
			t.Errorf("a counted b's transaction with %d gas, want its %d", got, won.GasUsed)
		}
		if got := strings.Count(aLog.String(), "level=ERROR"); got != 1 {
			t.Errorf("a logged %d ERROR lines, want 1:\n%s", got, aLog.String())
		}
	})

	t.Run("the other's transaction while idle", func(t *testing.T) {
		if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		res, err := newSubmitter(t, e, a).Submit(ctx, plan)
		if err != nil {
			t.Fatalf("a: %v", err)
		}
		mined := res.Txs[0]
		n, err := e.client.NonceAt(ctx, e.sender, nil)
		if err != nil {
			t.Fatal(err)
		}
		// b was idle: its next send finds a's, counts it and sends nothing.
		_, err = newSubmitter(t, e, b).Submit(ctx, plan)
		if !errors.Is(err, submitter.ErrForeignTransaction) {
			t.Fatalf("b: err = %v, want ErrForeignTransaction", err)
		}
		if m, _ := e.client.NonceAt(ctx, e.sender, nil); m != n {
			t.Fatalf("b sent after finding a's transaction: nonce %d -> %d", n, m)
		}
		if got := bGas.of(mined.Hash); got != mined.GasUsed {
			t.Errorf("b counted a's transaction with %d gas, want its %d", got, mined.GasUsed)
		}
		if got := metric(t, bReg, "avssync_foreign_transactions_total"); got != 1 {
			t.Errorf("b's foreign_transactions_total = %v, want 1", got)
		}
		// Its next send goes out: the nonce is accounted for.
		if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		if _, err := newSubmitter(t, e, b).Submit(ctx, plan); err != nil {
			t.Fatalf("b's next send: %v", err)
		}
	})
}

// A transaction the pool held when the process started (an earlier run's, its record lost
// without --state-dir) is counted in the budget once mined, but not as foreign: a restart raises
// no alert, and the send goes on.
func TestInheritedTransactionNotForeign(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plan := planner.Plan{Operators: []common.Address{e.ops[0].Address}, Reason: "dirty"}
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	var restarted *submitter.Sender
	var reg *prometheus.Registry
	err := e.d.WithBackend(func(*simulated.Backend) error { // no blocks: the earlier run's stays pending
		earlier, _ := newSender(t, e, e.client, submitter.SignerConfig{})
		sctx, scancel := context.WithTimeout(ctx, 2*time.Second)
		defer scancel()
		if _, err := newSubmitter(t, e, earlier).Submit(sctx, plan); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("earlier run: err = %v, want a timeout with its transaction pending", err)
		}
		restarted, reg = newSender(t, e, e.client, submitter.SignerConfig{})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gas := reportsOf(restarted)
	n, err := e.client.NonceAt(ctx, e.sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the earlier run's transaction mined", func() bool {
		m, err := e.client.NonceAt(ctx, e.sender, nil)
		return err == nil && m > n
	})
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	res, err := newSubmitter(t, e, restarted).Submit(ctx, plan)
	if err != nil {
		t.Fatalf("restarted: %v", err)
	}
	if got := metric(t, reg, "avssync_foreign_transactions_total"); got != 0 {
		t.Errorf("foreign_transactions_total = %v for a transaction pending at start, want 0", got)
	}
	gas.mu.Lock()
	defer gas.mu.Unlock()
	t.Logf("reported: %v; own %s", gas.gas, res.Txs[0].Hash)
	if len(gas.gas) != 2 {
		t.Errorf("%d transactions reported, want the earlier run's and the restarted one's", len(gas.gas))
	}
	for h, g := range gas.gas {
		if g == 0 {
			t.Errorf("%s reported with no gas", h)
		}
	}
}

// The balance watcher reads the chain without holding the sender: while it looks for another
// process's transaction (its balance fell) and the node is slow to answer, the sender's own
// calls go on. What it finds is still counted.
func TestIdleForeignReadsDoNotHoldTheSender(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
	a, aReg := newSender(t, e, client, submitter.SignerConfig{StateDir: t.TempDir()})
	b, _ := newSender(t, e, e.client, submitter.SignerConfig{StateDir: t.TempDir()})
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		a.WatchBalance(wctx, submitter.BalanceEvery{Interval: 20 * time.Millisecond})
	}()
	defer func() { stop(); <-watched }()
	// The first read of the sender's nonce at a block (the search for where the other's
	// transaction was mined) takes 20 s.
	const slow = 20 * time.Second
	atBlock := p.Inject(rpcproxy.Fault{Method: "eth_getTransactionCount", Times: 1, Delay: slow,
		Match: func(params json.RawMessage) bool {
			return !strings.Contains(string(params), "latest") && !strings.Contains(string(params), "pending")
		}})
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	if _, err := newSubmitter(t, e, b).Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}, Reason: "dirty"}); err != nil {
		t.Fatalf("b: %v", err)
	}
	waitUntil(t, ctx, "a's balance watcher searching for b's transaction", func() bool { return p.Hits(atBlock) > 0 })
	began := time.Now()
	if _, err := a.RefreshBalance(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > slow/2 {
		t.Fatalf("a's own balance read took %v: it waited for the balance watcher's slow reads", took)
	}
	waitUntil(t, ctx, "b's transaction counted by a", func() bool { return metric(t, aReg, "avssync_foreign_transactions_total") == 1 })
}
