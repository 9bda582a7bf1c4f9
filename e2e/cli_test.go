package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// binary is the avs-sync command built once for the tests that run it as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "avs-sync-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "avs-sync")
	build := exec.Command("go", "build", "-o", binary, "../cmd/avs-sync")
	// With AVS_SYNC_E2E_RACE=1 (make test) the daemon under test is built with the race detector,
	// and every report it writes fails the run: the concurrent code is checked where it runs, in
	// the binary, while the in-process chain runs at full speed.
	raceDir := ""
	if os.Getenv("AVS_SYNC_E2E_RACE") == "1" {
		build = exec.Command("go", "build", "-race", "-o", binary, "../cmd/avs-sync")
		build.Env = append(os.Environ(), "CGO_ENABLED=1")
		// Outside dir and world-writable: one test runs the binary as the image's nonroot user.
		if raceDir, err = os.MkdirTemp("", "avs-sync-race"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.Chmod(raceDir, 0o777); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Setenv("GORACE", "log_path="+filepath.Join(raceDir, "report"))
	}
	out, err := build.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build avs-sync: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	if raceDir != "" && raceReports(raceDir) {
		code = 1
	}
	os.RemoveAll(dir)
	if raceDir != "" {
		os.RemoveAll(raceDir)
	}
	os.Exit(code)
}

// raceReports prints the race detector's reports the daemon wrote under dir, and says whether
// there were any.
func raceReports(dir string) bool {
	reports, _ := filepath.Glob(filepath.Join(dir, "report*"))
	for _, r := range reports {
		b, _ := os.ReadFile(r)
		fmt.Fprintf(os.Stderr, "DATA RACE in avs-sync (%s):\n%s\n", filepath.Base(r), b)
	}
	return len(reports) > 0
}

// cliResult is one run of the binary.
type cliResult struct {
	code           int
	stdout, stderr string
}

func (e *env) runCLI(args ...string) cliResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return cliResult{code, out.String(), errb.String()}
}

// cleanEnv keeps AVS_SYNC_* settings of the machine running the tests out of them.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AVS_SYNC_") {
			env = append(env, kv)
		}
	}
	// The devnet's blocks come 120 times faster than mainnet's: so may the calls, under the default
	// limit scaled alike. Tests of the limit pass --rpc-rate-limit, which wins over the environment.
	// The default gas budget is the bill of a daily cron on a devnet of a handful of operators,
	// while a test plays in minutes what a busy AVS sees in days: tests run unbudgeted, and those
	// of the budget pass --max-gas-per-day (cron or an amount).
	return append(env, "AVS_SYNC_RPC_RATE_LIMIT=2400", "AVS_SYNC_MAX_GAS_PER_DAY=0")
}

func (e *env) baseArgs() []string {
	return []string{
		"--eth-http-url", e.d.HTTPURL,
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(),
		"--log-format", "json",
	}
}

// Bad input gets one clear line and a non-zero exit, never a panic or a stack trace.
func TestBadInput(t *testing.T) {
	e := newEnv(t, 1, 0)
	rc := e.d.Addresses.RegistryCoordinator.Hex()
	osr := e.d.Addresses.OperatorStateRetriever.Hex()
	key := e.senderKey
	unfunded := "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
	common := func(extra ...string) []string {
		return append([]string{"sweep", "--eth-http-url", e.d.HTTPURL, "--log-format", "json"}, extra...)
	}
	dir := t.TempDir()
	// Nodes that misbehave at start, through the fault proxy.
	proxied := func(faults ...rpcproxy.Fault) *rpcproxy.Proxy {
		p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		for _, f := range faults {
			p.Inject(f)
		}
		return p
	}
	otherChainWS := proxied(rpcproxy.Fault{Method: "eth_chainId", Transport: "ws", Result: json.RawMessage(`"0x1"`)})
	oversized := proxied(rpcproxy.Fault{Method: "eth_chainId", Oversize: 40 << 20})
	nullChainID := proxied(rpcproxy.Fault{Method: "eth_chainId", Result: json.RawMessage(`null`)})
	contracts := []string{"--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key}
	watch := func(extra ...string) []string {
		return append(append([]string{"watch", "--eth-http-url", e.d.HTTPURL, "--log-format", "json"}, contracts...), extra...)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"malformed address", common("--registry-coordinator-addr", "0x1234", "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key), "not an address"},
		{"zero address", common("--registry-coordinator-addr", "0x0000000000000000000000000000000000000000", "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key), "zero address"},
		{"no contract at address", common("--registry-coordinator-addr", "0x1111111111111111111111111111111111111111", "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key), "no contract"},
		{"wrong chain id", common("--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key, "--chain-id", "1"), "chain"},
		{"unreachable node", []string{"sweep", "--eth-http-url", "http://127.0.0.1:1", "--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key}, "unreachable"},
		{"websocket URL with http scheme", []string{"watch", "--eth-http-url", e.d.HTTPURL, "--eth-ws-url", e.d.HTTPURL, "--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key}, "eth-ws-url"},
		// An unreachable websocket is the node's fault, not bad input: watch stays up and tries
		// again (TestStartupOnFailingNode).
		{"invalid key", common("--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", "nothex"), "key"},
		{"unfunded key", common("--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", unfunded), "no ETH"},
		{"unknown quorum", common("--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key, "--quorums", "9"), "quorum 9"},
		{"conflicting signers", common("--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key, "--keystore-path", filepath.Join(dir, "ks.json")), "one"},
		{"no signer", common("--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr), "key"},
		{"missing registry coordinator", common("--operator-state-retriever-addr", osr, "--ecdsa-private-key", key), "--registry-coordinator-addr is required"},
		{"bad first sync time", common("--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key, "--first-sync-time", "25:00"), "first-sync-time"},
		{"unknown flag", []string{"watch", "--no-such-flag"}, "unknown flag"},
		{"negative writer timeout", common(append(contracts, "--writer-timeout-duration=-1s")...), "--writer-timeout-duration must be above 0"},
		{"zero reader timeout", common(append(contracts, "--reader-timeout-duration", "0s")...), "--reader-timeout-duration must be above 0"},
		{"negative debounce", watch("--debounce=-1s"), "--debounce must not be negative"},
		{"poll interval too short", watch("--poll-interval", "1ms"), "--poll-interval 1ms is below 100ms"},
		{"negative sync interval", watch("--sync-interval=-1h"), "--sync-interval must not be negative"},
		{"head age below a second", watch("--max-head-age", "10ms"), "--max-head-age 10ms is below 1s"},
		{"negative failing bound", watch("--max-failing-duration=-1m"), "--max-failing-duration must not be negative"},
		{"loop stall within a slow node's reads", watch("--reader-timeout-duration", "15s"), "--max-loop-stall 2m0s must be above 2m5s"},
		{"negative resubmission timeout", watch("--resubmission-timeout=-1s"), "--resubmission-timeout must be above 0"},
		{"fee cap not a number", watch("--max-fee-per-gas", "abc"), "--max-fee-per-gas: \"abc\" is not an amount of gwei"},
		{"negative fee cap", watch("--max-fee-per-gas=-1"), "--max-fee-per-gas: \"-1\" is not an amount of gwei"},
		{"NaN tip cap", watch("--max-priority-fee-per-gas", "NaN"), "--max-priority-fee-per-gas: \"NaN\" is not an amount of gwei"},
		{"fee cap with an exponent", watch("--max-fee-per-gas", "1e3"), "--max-fee-per-gas: \"1e3\" is not an amount of gwei"},
		{"fee cap finer than a wei", watch("--max-fee-per-gas", "0.0000000001"), "not a whole number of wei"},
		{"zero fee cap", watch("--max-fee-per-gas", "0"), "--max-fee-per-gas must be above 0"},
		{"tip cap above fee cap", watch("--max-fee-per-gas", "1", "--max-priority-fee-per-gas", "2"), "is above --max-fee-per-gas"},
		{"websocket of another chain", watch("--eth-ws-url", otherChainWS.WSURL()), "--eth-ws-url serves chain id 1, --eth-http-url chain id 31337"},
		{"oversized node reply", []string{"sweep", "--eth-http-url", oversized.HTTPURL(), "--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key}, "too large"},
		{"coordinator given as an ECDSA registry", common("--ecdsa-stake-registry-addr", rc, "--delegation-manager-addr", e.d.Addresses.DelegationManager.Hex(), "--ecdsa-private-key", key), "is a RegistryCoordinator, not an ECDSAStakeRegistry"},
		{"neither kind of registry", common("--ecdsa-stake-registry-addr", e.d.Addresses.DelegationManager.Hex(), "--delegation-manager-addr", e.d.Addresses.DelegationManager.Hex(), "--ecdsa-private-key", key), "is neither an ECDSAStakeRegistry nor a RegistryCoordinator"},
		{"ECDSA registry without its DelegationManager", common("--ecdsa-stake-registry-addr", rc, "--ecdsa-private-key", key), "needs --delegation-manager-addr"},
		{"node answers null", []string{"sweep", "--eth-http-url", nullChainID.HTTPURL(), "--registry-coordinator-addr", rc, "--operator-state-retriever-addr", osr, "--ecdsa-private-key", key}, "not an Ethereum JSON-RPC endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.runCLI(tt.args...)
			if r.code == 0 {
				t.Fatalf("exit 0 for bad input; stderr:\n%s", r.stderr)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Fatalf("panic or stack trace:\n%s", r.stderr)
			}
			if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(tt.want)) {
				t.Fatalf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if strings.Contains(r.stderr, key) && tt.name != "invalid key" {
				t.Fatal("the private key appears in the output")
			}
			if lines := errorLines(r.stderr); lines != 1 {
				t.Fatalf("%d lines of errors, want one clear line:\n%s", lines, r.stderr)
			}
		})
	}
}

// errorLines counts the lines of stderr that are not informational log records (start-up
// progress and warnings come before the error).
func errorLines(stderr string) int {
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.Contains(l, `"level":"INFO"`) && !strings.Contains(l, `"level":"WARN"`) {
			n++
		}
	}
	return n
}

// `plan` on a devnet with one known stale operator shows exactly that operator and the one
// transaction that would fix it, with a gas estimate; it sends nothing.
func TestPlanCommand(t *testing.T) {
	e := newEnv(t, 3, 0)
	stale := e.ops[1]
	if _, err := stale.Deposit(e.ctx, eth(2)); err != nil {
		t.Fatal(err)
	}
	before := e.sent()
	r := e.runCLI(append([]string{"plan", "--json"}, e.baseArgs()...)...)
	if r.code != 0 {
		t.Fatalf("plan exit %d:\n%s", r.code, r.stderr)
	}
	var out struct {
		Checked      int      `json:"operators_checked"`
		Noops        int      `json:"noops"`
		Stale        []string `json:"stale_operators"`
		Transactions []struct {
			Kind        string   `json:"kind"`
			Operators   []string `json:"operators"`
			GasEstimate uint64   `json:"gas_estimate"`
		} `json:"transactions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("plan output is not JSON: %v\n%s", err, r.stdout)
	}
	if out.Checked != 3 || out.Noops != 2 || len(out.Stale) != 1 || !strings.EqualFold(out.Stale[0], stale.Address.Hex()) {
		t.Fatalf("plan %+v, want 3 checked, 2 no-ops, stale %s", out, stale.Address)
	}
	if len(out.Transactions) != 1 || out.Transactions[0].Kind != "updateOperators" || out.Transactions[0].GasEstimate < 100_000 {
		t.Fatalf("transactions %+v, want one updateOperators with a gas estimate", out.Transactions)
	}
	if e.sent() != before {
		t.Fatal("plan sent a transaction")
	}
	text := e.runCLI(append([]string{"plan"}, e.baseArgs()...)...)
	if text.code != 0 || !strings.Contains(text.stdout, "updateOperators") || !strings.Contains(text.stdout, "1 stale") {
		t.Fatalf("plan text output:\n%s\n%s", text.stdout, text.stderr)
	}
	t.Logf("plan:\n%s", text.stdout)
}

// `status` counts operators and stale stakes per quorum.
func TestStatusCommand(t *testing.T) {
	e := newEnv(t, 3, 0)
	var all []common.Address
	for i, op := range e.ops {
		if _, err := op.Deposit(e.ctx, eth(int64(2+i))); err != nil {
			t.Fatal(err)
		}
		all = append(all, op.Address)
	}
	if _, err := e.owner.UpdateOperators(e.ctx, all); err != nil {
		t.Fatal(err)
	}
	for _, op := range e.ops[:2] {
		if _, err := op.Deposit(e.ctx, eth(1)); err != nil {
			t.Fatal(err)
		}
	}
	r := e.runCLI(append([]string{"status", "--json"}, e.baseArgs()...)...)
	if r.code != 0 {
		t.Fatalf("status exit %d:\n%s", r.code, r.stderr)
	}
	var out struct {
		Block   uint64 `json:"block"`
		Quorums []struct {
			Quorum            uint8    `json:"quorum"`
			Operators         int      `json:"operators"`
			Stale             []string `json:"stale"`
			UpdateBlock       uint64   `json:"update_block"`
			BlocksSinceUpdate uint64   `json:"blocks_since_update"`
			Misattributed     float64  `json:"misattributed_stake_ratio"`
			LargestPart       float64  `json:"misattributed_largest_ratio"`
			LargestRelative   float64  `json:"largest_relative_error"`
		} `json:"quorums"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("status output is not JSON: %v\n%s", err, r.stdout)
	}
	if len(out.Quorums) != 1 {
		t.Fatalf("quorums %+v, want 1", out.Quorums)
	}
	q := out.Quorums[0]
	if q.Operators != 3 || len(q.Stale) != 2 || q.BlocksSinceUpdate != out.Block-q.UpdateBlock {
		t.Fatalf("quorum 0 %+v at block %d, want 3 operators, 2 stale", q, out.Block)
	}
	// The errors, from the chain: the stake misattributed as a share of the quorum's total
	// stored stake, its largest single part, and the largest relative error of one operator.
	total, diffs := new(big.Float), []*big.Float{}
	var rel float64
	for _, op := range e.ops {
		stored, weight, err := e.d.Stakes(e.ctx, op.Address, 0)
		if err != nil {
			t.Fatal(err)
		}
		total.Add(total, new(big.Float).SetInt(stored))
		d := new(big.Int).Sub(weight, stored)
		diffs = append(diffs, new(big.Float).SetInt(d.Abs(d)))
		if stored.Sign() > 0 {
			r, _ := new(big.Float).Quo(new(big.Float).SetInt(d), new(big.Float).SetInt(stored)).Float64()
			rel = max(rel, r)
		}
	}
	var sum, largest float64
	for _, d := range diffs {
		f, _ := new(big.Float).Quo(d, total).Float64()
		sum += f
		largest = max(largest, f)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	if sum == 0 || !near(q.Misattributed, sum) || !near(q.LargestPart, largest) || !near(q.LargestRelative, rel) {
		t.Fatalf("misattributed %v (largest part %v), largest relative error %v; want %v (%v), %v",
			q.Misattributed, q.LargestPart, q.LargestRelative, sum, largest, rel)
	}
	text := e.runCLI(append([]string{"status"}, e.baseArgs()...)...)
	t.Logf("status:\n%s", text.stdout)
}

// The original's bare command with --sync-interval 0 syncs once and exits 0.
func TestOriginalOneShot(t *testing.T) {
	e := newEnv(t, 2, 0)
	from := e.head()
	r := e.runCLI(append(e.baseArgs(), "--sync-interval", "0", "--ecdsa-private-key", e.senderKey, "--metrics-addr", "")...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if ups := e.quorumUpdates(0, from); len(ups) != 1 {
		t.Fatalf("%d quorum updates, want 1", len(ups))
	}
}

// `watch` as a process: /metrics and /readyz answer, a deposit is applied, SIGTERM stops it
// cleanly with its checkpoint written.
func TestWatchProcess(t *testing.T) {
	e := newEnv(t, 2, 0)
	port := freePort(t)
	state := t.TempDir()
	args := append([]string{"watch"}, e.baseArgs()...)
	args = append(args, "--eth-ws-url", e.d.WSURL, "--debounce", "300ms", "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--state-dir", state, "--poll-interval", "100ms")
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 1000)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			select {
			case logs <- s.Text():
			default:
			}
		}
		close(logs)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	e.waitFor("/readyz 200", 30*time.Second, func() bool { return httpStatus(base+"/readyz") == 200 })
	if httpStatus(base+"/healthz") != 200 {
		t.Fatal("/healthz not 200")
	}
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("deposit applied by the process", 30*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	// The counters move once the receipt is in, just after the stake is visible on chain.
	var metrics string
	e.waitFor("transaction metrics", 10*time.Second, func() bool {
		metrics = httpBody(t, base+"/metrics")
		// transactions_total exists from the start; update_stake_attempt only once one is counted.
		return strings.Contains(metrics, "avssync_update_stake_attempt{")
	})
	for _, m := range []string{"avssync_update_stake_attempt", "avssync_events_total", "avssync_transactions_total",
		"avssync_gas_used_total", "avssync_dirty_operators", "avssync_processing_operators", "avssync_noops_skipped_total", "avssync_event_to_update_seconds",
		"avssync_blocks_behind_head", "avssync_ws_reconnects_total", "avssync_sender_balance_eth", "avssync_sweep_interval_seconds", "avssync_next_sweep_timestamp_seconds", "avssync_stale_stakes_deadline_block",
		"eigen_rpc_request_total{avs_name=\"avs-sync\",client_version=\"unknown\",method=\"eth_call\"}", "eigen_rpc_request_total{avs_name=\"avs-sync\",client_version=\"unknown\",method=\"eth_getBlockByNumber\"}"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit within 20 s of SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(state, "checkpoint.json")); err != nil {
		t.Fatalf("no checkpoint after shutdown: %v", err)
	}
	var all strings.Builder
	for l := range logs {
		all.WriteString(l + "\n")
	}
	if strings.Contains(all.String(), e.senderKey) {
		t.Fatal("the private key was logged")
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func httpStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func httpBody(t *testing.T, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

var _ = devnet.ChainID

// `avs-sync devnet --activity --watch`, the demo: a chain with activity and the daemon keeping
// the registered operators fresh, in one process.
func TestDevnetDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("devnet test: starts a chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "devnet", "--activity", "--watch", "--block-time", "100ms", "--every", "2",
		"--operators", "2", "--watch-metrics-addr", "", "--log-format", "json")
	cmd.Env = cleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	s := bufio.NewScanner(stderr)
	for s.Scan() {
		if strings.Contains(s.Text(), `"msg":"stake update mined"`) && strings.Contains(s.Text(), `"reason":"dirty"`) {
			return
		}
	}
	t.Fatalf("no stake update from the demo before it ended: %v", ctx.Err())
}

// --chain-id 0 (the default) keeps the original tool's behaviour, signing for whatever chain the
// node serves, but says so at start; a set --chain-id is checked and not warned about.
func TestChainIDZero(t *testing.T) {
	e := newEnv(t, 1, 0)
	for _, tt := range []struct {
		chainID string
		warned  bool
	}{{"0", true}, {"31337", false}} {
		r := e.runCLI(append(append([]string{"sweep"}, e.baseArgs()...), "--chain-id", tt.chainID, "--ecdsa-private-key", e.senderKey)...)
		if r.code != 0 {
			t.Fatalf("--chain-id %s: exit %d:\n%s", tt.chainID, r.code, r.stderr)
		}
		if got := strings.Contains(r.stderr, "--chain-id not set: signing for the node's chain"); got != tt.warned {
			t.Errorf("--chain-id %s: warned %v, want %v:\n%s", tt.chainID, got, tt.warned, r.stderr)
		}
	}
}
