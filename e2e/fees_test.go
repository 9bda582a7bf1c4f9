package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/big"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// A node that suggests a 1000 gwei tip: with --max-fee-per-gas 50 --max-priority-fee-per-gas 2
// the stake is still updated, and no mined transaction of the sender tips or caps above them.
func TestFeeCapsUnderGreedyNode(t *testing.T) {
	e := newEnv(t, 1, 0)
	proxy, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	greedy := json.RawMessage(fmt.Sprintf(`"0x%x"`, big.NewInt(1000*params.GWei)))
	proxy.Inject(rpcproxy.Fault{Method: "eth_maxPriorityFeePerGas", Result: greedy})
	sent := recordBroadcasts(t, proxy)

	start := e.head()
	args := []string{"watch", "--eth-http-url", proxy.HTTPURL(), "--eth-ws-url", proxy.WSURL(),
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(),
		"--log-format", "json", "--debounce", "300ms", "--metrics-addr", "", "--poll-interval", "100ms",
		"--max-fee-per-gas", "50", "--max-priority-fee-per-gas", "2"}
	p := e.startProcess(args...)
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("deposit applied through the greedy node", 60*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	p.stop()
	if got := proxy.Counts().HTTPCalls["eth_maxPriorityFeePerGas"]; got == 0 {
		t.Fatal("avs-sync never asked the node for a tip: the fault was not exercised")
	}

	txs := e.minedFrom(e.sender, start, e.head())
	if len(txs) == 0 {
		t.Fatal("no transaction of the sender mined")
	}
	maxTip, maxFee := big.NewInt(2*params.GWei), big.NewInt(50*params.GWei)
	paid := new(big.Int)
	for _, m := range txs {
		t.Logf("mined %s: tip %s wei, fee cap %s wei, effective gas price %s wei, gas used %d", m.tx.Hash(), m.tx.GasTipCap(), m.tx.GasFeeCap(),
			m.receipt.EffectiveGasPrice, m.receipt.GasUsed)
		if m.tx.GasTipCap().Cmp(maxTip) > 0 || m.tx.GasFeeCap().Cmp(maxFee) > 0 {
			t.Errorf("transaction %s pays tip %s, fee cap %s: above the caps", m.tx.Hash(), m.tx.GasTipCap(), m.tx.GasFeeCap())
		}
		paid.Add(paid, new(big.Int).Mul(m.receipt.EffectiveGasPrice, new(big.Int).SetUint64(m.receipt.GasUsed)))
	}
	t.Logf("%d transactions under a 1000 gwei suggestion paid %s wei in fees", len(txs), paid)
	// Every broadcast, mined or not (a replacement, one dropped), within the caps.
	all := sent()
	if len(all) < len(txs) {
		t.Fatalf("%d broadcasts seen at the proxy, %d transactions mined", len(all), len(txs))
	}
	for _, tx := range all {
		if tx.GasTipCap().Cmp(maxTip) > 0 || tx.GasFeeCap().Cmp(maxFee) > 0 {
			t.Errorf("broadcast %s (nonce %d) tips %s, caps %s: above the caps", tx.Hash(), tx.Nonce(), tx.GasTipCap(), tx.GasFeeCap())
		}
	}
	t.Logf("%d broadcasts, all within the caps", len(all))
}

// recordBroadcasts decodes every eth_sendRawTransaction that passes through the proxy; the calls
// go on to the node unchanged. The returned function lists what was broadcast so far.
func recordBroadcasts(t *testing.T, p *rpcproxy.Proxy) func() []*types.Transaction {
	var mu sync.Mutex
	var txs []*types.Transaction
	p.Inject(rpcproxy.Fault{
		Method: "eth_sendRawTransaction",
		Match: func(params json.RawMessage) bool {
			var raw []hexutil.Bytes
			tx := new(types.Transaction)
			if err := json.Unmarshal(params, &raw); err != nil || len(raw) != 1 || tx.UnmarshalBinary(raw[0]) != nil {
				t.Errorf("undecodable eth_sendRawTransaction params %.100s", params)
				return false
			}
			mu.Lock()
			txs = append(txs, tx)
			mu.Unlock()
			return false
		},
	})
	return func() []*types.Transaction {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(txs)
	}
}

// The base fee pushed above --max-fee-per-gas by full blocks: the daemon sends nothing, says so
// (avssync_fee_cap_blocked 1), and the deposit's update lands once the base fee falls.
func TestWaitsForBaseFeeUnderCap(t *testing.T) {
	e := newEnv(t, 1, 0)
	port := freePort(t)
	args := append([]string{"watch"}, e.baseArgs()...)
	args = append(args, "--eth-ws-url", e.d.WSURL, "--debounce", "300ms", "--poll-interval", "100ms",
		"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port), "--max-fee-per-gas", "1", "--max-priority-fee-per-gas", "0.5")
	p := e.startProcess(args...)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	e.waitFor("/readyz 200", 60*time.Second, func() bool { return httpStatus(base+"/readyz") == 200 })

	maxFee, minTip := big.NewInt(params.GWei), big.NewInt(params.GWei/10)
	stop, err := e.d.FillBlocks(e.ctx, 2, big.NewInt(20*params.GWei))
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("base fee above 2 gwei", 60*time.Second, func() bool {
		h, err := e.eth.HeaderByNumber(e.ctx, nil)
		return err == nil && h.BaseFee.Cmp(big.NewInt(2*params.GWei)) > 0
	})
	start := e.head()
	nonce := e.sent()
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("avssync_fee_cap_blocked 1", 60*time.Second, func() bool {
		return strings.Contains(httpBody(t, base+"/metrics"), "avssync_fee_cap_blocked 1")
	})
	// The pending nonce counts what the node holds unmined too.
	if got, err := e.eth.PendingNonceAt(e.ctx, e.sender); err != nil || got != nonce {
		t.Fatalf("pending nonce %d (%v), %d before: the sender broadcast above the cap", got, err, nonce)
	}
	blocked := e.head()
	if err := stop(e.ctx); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	e.waitFor("deposit applied once the base fee fell", 90*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	took := time.Since(stopped)
	ups := e.stakeUpdates(e.ops[0].Address, start)
	if len(ups) != 1 {
		t.Fatalf("stake updates at blocks %v, want one", ups)
	}
	var fellAt uint64
	for n := blocked; n <= ups[0]; n++ {
		h, err := e.eth.HeaderByNumber(e.ctx, new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatal(err)
		}
		if new(big.Int).Add(h.BaseFee, minTip).Cmp(maxFee) <= 0 {
			fellAt = n
			break
		}
	}
	for _, m := range e.minedFrom(e.sender, start, ups[0]) {
		if m.receipt.BlockNumber.Uint64() < fellAt {
			t.Fatalf("transaction %s mined at block %d, before the base fee fell under the cap (block %d)", m.tx.Hash(), m.receipt.BlockNumber, fellAt)
		}
		if m.tx.GasFeeCap().Cmp(maxFee) > 0 {
			t.Fatalf("transaction %s fee cap %s above the cap", m.tx.Hash(), m.tx.GasFeeCap())
		}
	}
	t.Logf("blocked from block %d; base fee under the cap from block %d; update mined at block %d: %d blocks of %v after it fell, %v after the blocks stopped filling",
		blocked, fellAt, ups[0], ups[0]-fellAt, blockTime, took.Round(time.Millisecond))
	if !strings.Contains(httpBody(t, base+"/metrics"), "avssync_fee_cap_blocked 0") {
		t.Fatal("avssync_fee_cap_blocked not back to 0 after the update")
	}
	if len(p.logs("fees above the cap")) == 0 {
		t.Fatal("no warning about fees above the cap")
	}
	p.stop()
}

// A process killed with its update pending, priced higher than a fresh send (its minimum tip
// was 2 gwei), and restarted with the default fees on the same --state-dir: the restart replaces
// the abandoned transaction 12.5% above it, and the replacement is mined.
func TestRestartReplacesAbandonedTransaction(t *testing.T) {
	e := newEnv(t, 1, 0)
	state := t.TempDir()
	args := append([]string{"watch"}, e.baseArgs()...)
	args = append(args, "--eth-ws-url", e.d.WSURL, "--debounce", "300ms", "--poll-interval", "100ms", "--metrics-addr", "",
		"--state-dir", state)
	first := e.startProcess(append(args, "--min-priority-fee-per-gas", "2")...)
	e.waitFor("first process following the chain", 60*time.Second, func() bool { return len(first.logs("watching the chain")) > 0 })
	start := e.head()
	mined := e.sent()
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	var restarted *process
	err := e.d.WithBackend(func(*simulated.Backend) error {
		e.waitFor("the first process's update in the pool", 60*time.Second, func() bool {
			n, err := e.eth.PendingNonceAt(e.ctx, e.sender)
			return err == nil && n > mined
		})
		if err := first.cmd.Process.Kill(); err != nil {
			return err
		}
		<-first.exited
		// The abandoned transaction does the same work: the restart waits one resubmission
		// timeout for it before replacing it.
		restarted = e.startProcess(append(args, "--resubmission-timeout", "2s")...)
		e.waitFor("the restart's replacement in the pool", 60*time.Second, func() bool {
			return len(restarted.logs(`"replacement":true`)) > 0
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("deposit applied by the restart", 60*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	txs := e.minedFrom(e.sender, start, e.head())
	if len(txs) != 1 {
		t.Fatalf("%d transactions of the sender mined, want the one replacement", len(txs))
	}
	tip := txs[0].tx.GasTipCap()
	t.Logf("replacement mined at block %d: tip %s wei, fee cap %s wei", txs[0].receipt.BlockNumber, tip, txs[0].tx.GasFeeCap())
	if tip.Cmp(big.NewInt(2_250_000_000)) < 0 {
		t.Fatalf("mined tip %s wei: not the replacement 12.5%% above the abandoned 2 gwei", tip)
	}
	if len(restarted.logs("replacement underpriced")) != 0 {
		t.Fatal("the restart learnt the price from the pool: --state-dir was not read")
	}
	restarted.stop()
}

// minedTx is a mined transaction with its receipt.
type minedTx struct {
	tx      *types.Transaction
	receipt *types.Receipt
}

// minedFrom returns the transactions from sender mined in blocks [from, to].
func (e *env) minedFrom(sender common.Address, from, to uint64) []minedTx {
	e.t.Helper()
	signer := types.LatestSignerForChainID(big.NewInt(devnet.ChainID))
	var out []minedTx
	for n := from; n <= to; n++ {
		b, err := e.eth.BlockByNumber(e.ctx, new(big.Int).SetUint64(n))
		if err != nil {
			e.t.Fatal(err)
		}
		for _, tx := range b.Transactions() {
			if f, err := types.Sender(signer, tx); err != nil || f != sender {
				continue
			}
			r, err := e.eth.TransactionReceipt(e.ctx, tx.Hash())
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, minedTx{tx, r})
		}
	}
	return out
}

// process is the binary running in the background, its log lines collected.
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	exited chan error
	mu     sync.Mutex
	lines  []string
	read   chan struct{}
}

// startProcess runs the binary with args and the sender's key in the environment.
func (e *env) startProcess(args ...string) *process {
	e.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	p := &process{t: e.t, cmd: cmd, exited: make(chan error, 1), read: make(chan struct{})}
	go func() {
		defer close(p.read)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, s.Text())
			p.mu.Unlock()
		}
	}()
	go func() {
		<-p.read
		p.exited <- cmd.Wait()
	}()
	e.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// logs returns the lines logged so far that contain sub.
func (p *process) logs(sub string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.lines {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Fatalf("exit after SIGTERM: %v\n%s", err, strings.Join(p.logs(""), "\n"))
		}
	case <-time.After(30 * time.Second):
		p.t.Fatal("no exit within 30 s of SIGTERM")
	}
}
