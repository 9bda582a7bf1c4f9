package e2e

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// watchProc is `avs-sync watch` running as a process, its metrics on a local port and its log
// lines kept for assertions.
type watchProc struct {
	t       *testing.T
	metrics string
	mu      sync.Mutex
	lines   []string
}

// watchBinary starts the binary against httpURL and wsURL with the test's sender key, and waits
// until it is ready and its start-up check of every operator is done.
func (e *env) watchBinary(httpURL, wsURL string, extra ...string) *watchProc {
	e.t.Helper()
	port := freePort(e.t)
	args := []string{"watch", "--eth-http-url", httpURL, "--eth-ws-url", wsURL,
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(),
		"--log-format", "json", "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port), "--poll-interval", "100ms"}
	cmd := exec.Command(binary, append(args, extra...)...)
	cmd.Env = append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	w := &watchProc{t: e.t, metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", port)}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		s := bufio.NewScanner(stderr)
		s.Buffer(make([]byte, 1<<20), 1<<20)
		for s.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, s.Text())
			w.mu.Unlock()
		}
	}()
	e.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		<-scanned
		if e.t.Failed() {
			for _, l := range w.logs() {
				e.t.Log(l)
			}
		}
	})
	base := strings.TrimSuffix(w.metrics, "/metrics")
	e.waitFor("/readyz 200", 60*time.Second, func() bool { return httpStatus(base+"/readyz") == 200 })
	e.waitFor("start-up check done", 60*time.Second, func() bool {
		return w.has("planned") && w.gauge("avssync_dirty_operators") == 0
	})
	return w
}

func (w *watchProc) logs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines...)
}

// has reports whether a log line's msg is msg.
func (w *watchProc) has(msg string) bool { return w.count(msg) > 0 }

// count returns how many log lines have msg as their message.
func (w *watchProc) count(msg string) int {
	n := 0
	for _, l := range w.logs() {
		var rec struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == msg {
			n++
		}
	}
	return n
}

// gauge reads one series from /metrics, exactly as exposed (name{labels}); -1 when absent.
func (w *watchProc) gauge(series string) float64 {
	body := httpBody(w.t, w.metrics)
	for _, l := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(l, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				w.t.Fatalf("metric %s: %v", l, err)
			}
			return v
		}
	}
	return -1
}

// Dust griefing: deposits of 1 wei to a registered operator, each after the debounce, cost the
// AVS no transaction under the default --min-stake-change; the operator is shown as held back, and
// a real deposit right after is applied within the debounce and 3 blocks.
func TestDustDepositsHeldBack(t *testing.T) {
	const dust = 20
	e := newEnv(t, 2, 0)
	op := e.ops[0].Address
	w := e.watchBinary(e.d.HTTPURL, e.d.WSURL, "--debounce", debounce.String())
	// Operators register with no stake: give it one (a stored 0 makes any change material).
	if _, err := e.ops[0].Deposit(e.ctx, eth(10)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("stake stored", 30*time.Second, func() bool { return e.fresh(op) && w.gauge(`avssync_dirty_operators`) == 0 })
	before := e.sent()
	for i := 0; i < dust; i++ {
		if _, err := e.ops[0].Deposit(e.ctx, big.NewInt(1)); err != nil {
			t.Fatal(err)
		}
		// Each deposit after the debounce: its own batch.
		e.waitBlocks(uint64(debounce/blockTime) + 2)
	}
	e.waitFor("dust resolved", 30*time.Second, func() bool { return w.gauge(`avssync_dirty_operators`) == 0 })
	if sent := e.sent() - before; sent != 0 {
		t.Fatalf("%d transactions for %d deposits of 1 wei, want 0", sent, dust)
	}
	if e.fresh(op) {
		t.Fatal("operator fresh after dust deposits: the deposits did not move its weight")
	}
	if got := w.gauge(`avssync_held_back_operators{reason="immaterial"}`); got != 1 {
		t.Fatalf("held_back_operators{immaterial} = %v, want 1", got)
	}
	planned := w.count("planned")

	// plan and status say which operator is held back and why.
	r := e.runCLI(append([]string{"plan", "--json"}, e.baseArgs()...)...)
	var po struct {
		Stale    []common.Address `json:"stale_operators"`
		HeldBack []struct {
			Operator common.Address `json:"operator"`
			Reason   string         `json:"reason"`
		} `json:"held_back"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &po); err != nil || r.code != 0 {
		t.Fatalf("plan exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if len(po.Stale) != 0 || len(po.HeldBack) != 1 || po.HeldBack[0].Operator != op || po.HeldBack[0].Reason != "immaterial" {
		t.Fatalf("plan %+v, want %s held back as immaterial and nothing to send", po, op)
	}
	st := e.runCLI(append([]string{"status"}, e.baseArgs()...)...)
	if st.code != 0 || !strings.Contains(st.stdout, op.Hex()+" held back (immaterial") {
		t.Fatalf("status exit %d:\n%s\n%s", st.code, st.stdout, st.stderr)
	}
	t.Logf("status:\n%s", st.stdout)

	rec, err := e.ops[0].Deposit(e.ctx, eth(1))
	if err != nil {
		t.Fatal(err)
	}
	at := receiptBlock(rec)
	e.waitFor("material deposit applied", 30*time.Second, func() bool { return e.fresh(op) })
	ups := e.stakeUpdates(op, at)
	if len(ups) == 0 {
		t.Fatal("no OperatorStakeUpdate after the material deposit")
	}
	if lag := ups[0] - at; lag > uint64(debounce/blockTime)+3 {
		t.Fatalf("material deposit at block %d applied at %d: %d blocks, want at most debounce (%d) + 3", at, ups[0], lag, debounce/blockTime)
	}
	if sent := e.sent() - before; sent != 1 {
		t.Fatalf("%d transactions in all, want 1 (the material deposit)", sent)
	}
	t.Logf("%d dust deposits: 0 transactions, %d reads that found them immaterial; the material deposit at block %d stored at %d (1 transaction)",
		dust, planned, at, ups[0])
}

// An update that fails every time (its gas estimate reverts, injected between the binary and the
// node) is tried --retry-sync-n-times times and set aside, while another operator's change in the
// same window is applied.
func TestFailingUpdateSetAside(t *testing.T) {
	const retries = 3
	const window = 200 // blocks
	// Three operators, two stale at once: below --full-quorum-ratio, so no whole-quorum refresh.
	e := newEnv(t, 3, 0)
	bad, good := e.ops[0].Address, e.ops[1].Address
	p := e.newProxy()

	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	alone, err := rcABI.Pack("updateOperators", []common.Address{bad})
	if err != nil {
		t.Fatal(err)
	}
	selector := hex.EncodeToString(alone[:4])
	aloneHex := hex.EncodeToString(alone)
	needle := strings.ToLower(bad.Hex()[2:])
	var attempts, sends atomic.Int64
	p.Inject(rpcproxy.Fault{
		Method: "eth_estimateGas",
		Match: func(params json.RawMessage) bool {
			s := strings.ToLower(string(params))
			if strings.Contains(s, aloneHex) {
				attempts.Add(1)
			}
			return strings.Contains(s, selector) && strings.Contains(s, needle)
		},
		Error: &rpcproxy.RPCError{Code: 3, Message: "execution reverted"},
	})
	p.Inject(rpcproxy.Fault{
		Method: "eth_sendRawTransaction",
		Match: func(params json.RawMessage) bool {
			if strings.Contains(strings.ToLower(string(params)), needle) {
				sends.Add(1)
			}
			return false
		},
	})

	w := e.watchBinary(p.HTTPURL(), p.WSURL(), "--debounce", debounce.String(), "--retry-sync-n-times", strconv.Itoa(retries))
	before := e.sent()
	start := e.head()
	// Both change in the same block: one batch, one updateOperators list that reverts because of
	// bad, split so that good lands.
	if err := devnet.DepositAll(e.ctx, e.ops[:2], eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the other operator's change applied", 30*time.Second, func() bool { return e.fresh(good) })
	e.waitBlocks(20)
	// Another change of good later in the window, while bad backs off or is set aside.
	if _, err := e.ops[1].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the other operator's second change applied", 30*time.Second, func() bool { return e.fresh(good) })
	e.waitFor(fmt.Sprintf("a window of %d blocks", window), 2*time.Minute, func() bool { return e.head() >= start+window })
	daemonAttempts := attempts.Load() // before plan below estimates it once more
	if n := daemonAttempts; n > retries || n == 0 {
		t.Fatalf("%d attempts at updating %s over %d blocks, want 1..%d", n, bad, window, retries)
	}
	if n := sends.Load(); n != 0 {
		t.Fatalf("%d transactions sent for %s, want none (its estimate reverts)", n, bad)
	}
	if e.fresh(bad) {
		t.Fatal("the failing operator is fresh: the fault did not hold")
	}
	if got := w.gauge(`avssync_held_back_operators{reason="set_aside"}`); got != 1 {
		t.Fatalf("held_back_operators{set_aside} = %v, want 1", got)
	}
	if n := w.count("updates set aside after failing --retry-sync-n-times times; they wait for the next sweep"); n != 1 {
		t.Fatalf("%d set-aside lines, want 1", n)
	}
	if got := w.gauge(`avssync_consecutive_failures`); got < 1 || got > retries {
		t.Fatalf("consecutive_failures = %v, want 1..%d (the set-aside operator's failures since the last success)", got, retries)
	}
	sent := e.sent() - before
	if sent != 2 {
		t.Fatalf("%d transactions, want 2 (the other operator's two updates)", sent)
	}
	// plan shows the failing part with its error instead of failing as a whole.
	r := e.runCLI("plan", "--json", "--eth-http-url", p.HTTPURL(),
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex())
	var po struct {
		Transactions []struct {
			Operators []common.Address `json:"operators"`
			Error     string           `json:"error"`
		} `json:"transactions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &po); err != nil || r.code != 0 {
		t.Fatalf("plan exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if len(po.Transactions) != 1 || len(po.Transactions[0].Operators) != 1 || po.Transactions[0].Operators[0] != bad ||
		!strings.Contains(po.Transactions[0].Error, "reverted") {
		t.Fatalf("plan transactions %+v, want the failing operator's update with its error", po.Transactions)
	}
	t.Logf("over %d blocks: %d attempts for the failing operator (%d sent), %d transactions in all, the other operator's two changes applied",
		e.head()-start, daemonAttempts, sends.Load(), sent)
}

// An update that passes its gas estimate and reverts when mined, paying gas each time: the node's
// estimate for any updateOperators list holding the bad operator is too low (injected between the
// binary and the node), so the transaction runs out of gas in the block. It shares its first list
// with another operator that changed in the same block: the list is split, the other operator's
// change lands, and the bad operator is mined at most --retry-sync-n-times times before it is set
// aside. Read from the mined transactions over at least 200 blocks.
func TestMinedRevertIsolated(t *testing.T) {
	const retries = 3
	const window = 200 // blocks
	// Three operators, two stale at once: below --full-quorum-ratio, so no whole-quorum refresh.
	e := newEnv(t, 3, 0)
	bad, good := e.ops[0].Address, e.ops[1].Address
	p := e.newProxy()
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	selector := hex.EncodeToString(rcABI.Methods["updateOperators"].ID)
	needle := strings.ToLower(bad.Hex()[2:])
	// 30,000 gas: above the intrinsic gas of the call (about 23,000), far below what it needs.
	p.Inject(rpcproxy.Fault{
		Method: "eth_estimateGas",
		Match: func(params json.RawMessage) bool {
			s := strings.ToLower(string(params))
			return strings.Contains(s, selector) && strings.Contains(s, needle)
		},
		Result: json.RawMessage(`"0x7530"`),
	})

	// Both deposits in one block put them in one batch, and so in one list (concurrent
	// deposits of a loaded machine may land blocks apart, each ready after its own debounce).
	w := e.watchBinary(p.HTTPURL(), p.WSURL(), "--debounce", "1s", "--retry-sync-n-times", strconv.Itoa(retries))
	start := e.head()
	if _, err := e.d.DepositAllInOneBlock(e.ctx, e.ops[:2], eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the other operator's change applied", 60*time.Second, func() bool { return e.fresh(good) })
	e.waitBlocks(20)
	// Another change of good later in the window, while bad backs off or is set aside.
	if _, err := e.ops[1].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the other operator's second change applied", 60*time.Second, func() bool { return e.fresh(good) })
	e.waitFor(fmt.Sprintf("a window of %d blocks", window), 2*time.Minute, func() bool { return e.head() >= start+window })
	end := e.head()

	var withBad, shared, reverted, total int
	var revertGas, gas uint64
	for _, m := range e.minedFrom(e.sender, start, end) {
		if to := m.tx.To(); to == nil || *to != e.d.Addresses.RegistryCoordinator {
			continue
		}
		total++
		gas += m.receipt.GasUsed
		method, err := rcABI.MethodById(m.tx.Data()[:4])
		if err != nil {
			t.Fatal(err)
		}
		if m.receipt.Status == 0 {
			reverted++
			revertGas = max(revertGas, m.receipt.GasUsed)
		}
		if method.Name != "updateOperators" {
			continue
		}
		args, err := method.Inputs.Unpack(m.tx.Data()[4:])
		if err != nil {
			t.Fatal(err)
		}
		ops := args[0].([]common.Address)
		if !slices.Contains(ops, bad) {
			continue
		}
		withBad++
		if m.receipt.Status != 0 {
			t.Fatalf("updateOperators(%v) at block %d succeeded: the fault did not hold", ops, m.receipt.BlockNumber)
		}
		if slices.Contains(ops, good) {
			shared++
		}
		t.Logf("mined revert at block %d: updateOperators(%v), gas limit %d, gas used %d",
			m.receipt.BlockNumber, ops, m.tx.Gas(), m.receipt.GasUsed)
	}
	if withBad == 0 || withBad > retries {
		t.Fatalf("%d mined transactions hold %s over %d blocks, want 1..%d", withBad, bad, end-start, retries)
	}
	if shared == 0 {
		t.Fatal("no mined list held both operators: the shared-list revert was not exercised")
	}
	if e.fresh(bad) {
		t.Fatal("the failing operator is fresh: the fault did not hold")
	}
	if got := w.gauge(`avssync_held_back_operators{reason="set_aside"}`); got != 1 {
		t.Fatalf("held_back_operators{set_aside} = %v, want 1", got)
	}
	if reverted != withBad {
		t.Fatalf("%d mined reverts, %d of them holding %s: another update reverted", reverted, withBad, bad)
	}
	t.Logf("over %d blocks: %d transactions (%d gas), %d mined reverts holding the failing operator (%d shared with the other, at most %d gas each), the other operator's two changes applied",
		end-start, total, gas, withBad, shared, revertGas)
}

// Over --max-gas-per-day only a deadline refresh goes out: a deposit whose update does not fit
// what remains waits for it (held back for the budget), and the gauge says the budget is spent.
func TestBudgetOnlyDeadline(t *testing.T) {
	e := newEnv(t, 2, 0)
	// The budget leaves room for the deadline refresh at start (about 250k gas) and one
	// updateOperators (about 363k used, a 440k gas limit), not for a second one.
	const budget = 750_000
	dm := e.start(daemonOpts{debounce: debounce, maxGasPerDay: budget, withdrawalDelay: 80, deadlineMargin: 10})
	exhausted := func() bool { return counter(t, dm.reg, "avssync_gas_budget_exhausted") == 1 }
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("first update", 30*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	if got := counter(t, dm.reg, "avssync_gas_budget_per_day"); got != budget {
		t.Fatalf("gas_budget_per_day = %v, want %d", got, budget)
	}
	used := counter(t, dm.reg, "avssync_gas_used_24h")
	before := e.sent()
	op := e.ops[1].Address
	rec, err := e.ops[1].Deposit(e.ctx, eth(1))
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("held back for the budget", 30*time.Second, func() bool {
		return counter(t, dm.reg, "avssync_held_back_operators", "reason", "budget") == 1 && exhausted()
	})
	if e.sent() != before {
		t.Fatal("a transaction went out over the budget before the deadline")
	}
	e.waitFor("deadline refresh stores the deposit", 60*time.Second, func() bool { return e.fresh(op) })
	sent := e.sent() - before
	if sent == 0 {
		t.Fatal("the deposit is stored but avs-sync sent nothing")
	}
	for n := before; n < before+sent; n++ {
		m := e.methodOfNonce(n)
		if m != "updateOperatorsForQuorum" {
			t.Fatalf("transaction %d over the budget calls %q, want updateOperatorsForQuorum (a deadline refresh)", n, m)
		}
		r := e.receiptOfNonce(n)
		t.Logf("over the budget: %s at block %d, gas %d (deposit at block %d)", m, r.BlockNumber, r.GasUsed, receiptBlock(rec))
	}
	e.waitFor("deadline refresh counted", 10*time.Second, func() bool { return counter(t, dm.reg, "avssync_gas_used_24h") > used })
	if !exhausted() {
		t.Fatal("gas_budget_exhausted went back to 0 within the day")
	}
	t.Logf("budget %d gas: %v used when it was reached; %d deadline refresh(es) after, gas_used_24h now %v",
		budget, used, sent, counter(t, dm.reg, "avssync_gas_used_24h"))
}

// A sweep whose second transaction fails: the first, mined, quorum refresh is not sent again;
// only the failed one is retried (its stale members first, then the refresh).
func TestSweepSecondTransactionFails(t *testing.T) {
	e := newEnv(t, 2, 0)
	q, err := e.owner.CreateQuorum(e.ctx, new(big.Int))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range e.ops {
		if err := op.RegisterWithAVS(e.ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	p := e.newProxy()
	var sends atomic.Int64
	p.Inject(rpcproxy.Fault{
		Method: "eth_sendRawTransaction",
		// The second transaction of the sweep is refused by the node.
		Match: func(json.RawMessage) bool { return sends.Add(1) == 2 },
		Error: &rpcproxy.RPCError{Code: -32000, Message: "internal error"},
	})
	from := e.head()
	before := e.sent()
	// A budget below one refresh puts each quorum in its own transaction.
	args := []string{"sweep", "--eth-http-url", p.HTTPURL(),
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(),
		"--log-format", "json", "--gas-budget", "100000", "--ecdsa-private-key", e.senderKey}
	r := e.runCLI(args...)
	if r.code != 0 {
		t.Fatalf("sweep exit %d:\n%s", r.code, r.stderr)
	}
	q0, q1 := e.quorumUpdates(0, from), e.quorumUpdates(q, from)
	if len(q0) != 1 || len(q1) != 1 {
		t.Fatalf("quorum refreshes: quorum 0 at %v, quorum %d at %v; want one each", q0, q, q1)
	}
	sent := e.sent() - before
	if sent != 2 {
		t.Fatalf("%d transactions mined, want 2 (one refresh per quorum)", sent)
	}
	var gas uint64
	for n := before; n < before+sent; n++ {
		gas += e.receiptOfNonce(n).GasUsed
	}
	t.Logf("sweep of 2 quorums, second send refused once: %d broadcasts, %d mined, %d gas; quorum 0 refreshed at %v only, quorum %d at %v",
		sends.Load(), sent, gas, q0, q, q1)
}

// Quorum configuration events are resolved like any batch: OperatorSetParamsUpdated (no weight
// changes) and a minimum-stake update that leaves every stake valid send nothing; a minimum that
// one operator falls below updates that operator alone, not the whole quorum.
func TestConfigEventsSendOnlyStale(t *testing.T) {
	e := newEnv(t, 2, 0)
	large, small := e.ops[0], e.ops[1]
	if _, err := large.Deposit(e.ctx, eth(10)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.owner.UpdateOperators(e.ctx, []common.Address{large.Address}); err != nil {
		t.Fatal(err)
	}
	dm := e.start(daemonOpts{debounce: debounce})
	before, from := e.sent(), e.head()
	if err := e.owner.SetOperatorSetParams(e.ctx, 0, 50); err != nil {
		t.Fatal(err)
	}
	if err := e.owner.SetMinimumStake(e.ctx, 0, new(big.Int)); err != nil {
		t.Fatal(err)
	}
	e.waitBlocks(uint64(debounce/blockTime) + 10)
	e.waitFor("configuration changes resolved", 20*time.Second, func() bool { st := dm.sy.Status(); return st.Processing == 0 })
	if sent := e.sent() - before; sent != 0 {
		t.Fatalf("%d transactions for configuration changes that moved no weight, want 0", sent)
	}

	// A minimum above the small operator's stake: it alone is updated (and leaves the quorum).
	if err := e.owner.SetMinimumStake(e.ctx, 0, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the operator below the minimum updated", 30*time.Second, func() bool { return e.sent() > before })
	e.waitBlocks(uint64(debounce/blockTime) + 10)
	if ups := e.quorumUpdates(0, from); len(ups) != 0 {
		t.Fatalf("whole-quorum refreshes at %v, want none", ups)
	}
	if sent := e.sent() - before; sent != 1 {
		t.Fatalf("%d transactions, want 1 (updateOperators of the operator below the minimum)", sent)
	}
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	r := e.receiptOfNonce(before)
	tx, _, err := e.eth.TransactionByHash(e.ctx, r.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rcABI.MethodById(tx.Data()[:4])
	if err != nil || m.Name != "updateOperators" {
		t.Fatalf("transaction calls %v, want updateOperators", m)
	}
	args, err := m.Inputs.Unpack(tx.Data()[4:])
	if err != nil {
		t.Fatal(err)
	}
	if ops := args[0].([]common.Address); len(ops) != 1 || ops[0] != small.Address {
		t.Fatalf("updateOperators(%v), want the operator below the minimum, %s", ops, small.Address)
	}
	t.Logf("OperatorSetParamsUpdated and an unchanged minimum: 0 transactions; minimum raised above one operator: 1 updateOperators of %d gas", r.GasUsed)
}

// LookAheadPeriodChanged names no quorum, and the StakeRegistry accepts a lookahead only for
// slashable quorums: on an AVS with a total-delegated quorum and a slashable one, nothing stale in
// either and no allocation pending, a new lookahead sends nothing, least of all a refresh of the
// total-delegated quorum. The loop is seen to take the event in before the count is read, so a
// refresh it caused could not be missed.
func TestLookaheadChangeWithNothingStaleSendsNothing(t *testing.T) {
	e := newEnv(t, 2, 0)
	op := e.ops[0]
	q := slashableMember(t, e, op, 2, 5)
	r, err := op.Allocate(e.ctx, q, 5e17)
	if err != nil {
		t.Fatal(err)
	}
	e.d.MineBlocks(int(effectBlock(t, e, r)-receiptBlock(r)) + 1)
	if _, err := e.owner.UpdateOperators(e.ctx, []common.Address{op.Address}); err != nil {
		t.Fatal(err)
	}
	if stored, weight, err := e.d.Stakes(e.ctx, op.Address, q); err != nil || weight.Sign() == 0 || stored.Cmp(weight) != 0 {
		t.Fatalf("slashable quorum %d before the change: stored %v weight %v (%v), want equal and positive", q, stored, weight, err)
	}
	dm := e.start(daemonOpts{debounce: debounce})
	before, from := e.sent(), e.head()
	seen := counter(t, dm.reg, "avssync_events_total", "kind", "quorum_config_changed")
	if err := e.owner.SetLookahead(e.ctx, q, 10); err != nil {
		t.Fatal(err)
	}
	at := e.head() // at or after the event's block
	e.waitFor("the loop took in the lookahead change", 30*time.Second, func() bool {
		return counter(t, dm.reg, "avssync_events_total", "kind", "quorum_config_changed") == seen+1 && dm.sy.Status().LastBlock >= at
	})
	// What the change dirtied goes out after the debounce; leave it that and more.
	e.waitBlocks(uint64(debounce/blockTime) + 10)
	e.waitFor("nothing dirty or in flight", 20*time.Second, func() bool { st := dm.sy.Status(); return st.Dirty == 0 && st.Processing == 0 })
	if sent := e.sent() - before; sent != 0 {
		t.Fatalf("%d transactions for a lookahead change that moved no weight, want 0", sent)
	}
	for _, qq := range []uint8{0, q} {
		if ups := e.quorumUpdates(qq, from); len(ups) != 0 {
			t.Fatalf("quorum %d refreshed whole at %v, want never", qq, ups)
		}
	}
	t.Logf("lookahead of slashable quorum %d changed by block %d and taken in; %d blocks later: 0 transactions, no refresh of quorum 0 or %d",
		q, at, e.head()-at, q)
}
