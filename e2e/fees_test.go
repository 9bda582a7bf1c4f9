package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/big"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
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
