package e2e

import (
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// benchTail is how long the window stays open after the scenario's last step: past one sweep
// interval, so that the sweep after the last change falls inside it.
const benchTail = 250

// strategy is one way of keeping stakes fresh, run as the real binary.
type strategy struct {
	Name        string
	Description string
	// args are the command line against the node at m.
	args func(c *benchChain, m *rpcproxy.Proxy) []string
	// settled reports that the process finished its start-up work; the window opens then.
	settled func(c *benchChain, p *proc) bool
}

// watchStrategy is avs-sync's daemon: websocket events, a 3-block debounce, the default 24 h
// safety-net sweep (which never falls inside the window).
func watchStrategy() strategy {
	return strategy{
		Name:        "watch",
		Description: fmt.Sprintf("avs-sync watch over websocket, --debounce %v (3 blocks), default --sync-interval 24h", benchDebounce),
		args: func(c *benchChain, m *rpcproxy.Proxy) []string {
			return append([]string{"watch", "--eth-ws-url", m.WSURL(), "--debounce", benchDebounce.String()}, c.contractArgs(m.HTTPURL())...)
		},
		settled: func(c *benchChain, p *proc) bool {
			// The start-up check of every registered operator is through.
			noops, _ := p.metric("avssync_noops_skipped_total")
			updated, _ := p.metric("avssync_operators_updated")
			return int(noops+updated) >= len(c.pop.Registered)
		},
	}
}

// sweepStrategy is the original tool's behaviour: the bare command with its flags, a full
// updateOperatorsForQuorum sweep at start and every --sync-interval, scaled to the devnet.
func sweepStrategy() strategy {
	return strategy{
		Name:        "daily-sweep",
		Description: fmt.Sprintf("original flags, --sync-interval %v (%d blocks, standing for 24 h = 7200 blocks)", benchSyncInterval, benchSyncInterval/blockTime),
		args: func(c *benchChain, m *rpcproxy.Proxy) []string {
			return append(c.contractArgs(m.HTTPURL()), "--sync-interval", benchSyncInterval.String())
		},
		settled: func(c *benchChain, p *proc) bool {
			// The sweep at start is through.
			at, _ := p.metric("avssync_last_sweep_timestamp_seconds")
			return at > 0
		},
	}
}

// contractArgs locate the node and the AVS.
func (c *benchChain) contractArgs(httpURL string) []string {
	return []string{
		"--eth-http-url", httpURL,
		"--registry-coordinator-addr", c.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", c.d.Addresses.OperatorStateRetriever.Hex(),
	}
}

// strategyResult is what one strategy did over the window.
type strategyResult struct {
	Strategy     string   `json:"strategy"`
	Description  string   `json:"description"`
	Command      []string `json:"command"`
	SetupSeconds float64  `json:"devnet_setup_seconds"`
	Window       span     `json:"window"`
	Blocks       uint64   `json:"window_blocks"`
	Seconds      float64  `json:"window_seconds"`

	Changes int `json:"effective_changes"`
	NetZero int `json:"net_zero_changes"`
	// NetZeroUpdated counts net-zero pairs whose deposit was applied before its withdrawal.
	NetZeroUpdated  int `json:"net_zero_applied_midway"`
	Outsider        int `json:"outsider_changes"`
	Registrations   int `json:"registrations"`
	Deregistrations int `json:"deregistrations"`

	Staleness    staleness `json:"staleness"`
	StakeUpdates int       `json:"stake_updates_logged"`

	Transactions        int               `json:"transactions"`
	NonceDelta          uint64            `json:"sender_nonce_delta"`
	Reverted            int               `json:"reverted"`
	TxByFunction        map[string]int    `json:"transactions_by_function"`
	OperatorsByFunction map[string]int    `json:"operators_by_function"`
	GasByFunction       map[string]uint64 `json:"gas_by_function"`
	Sweeps              int               `json:"sweeps"`
	GasUsed             uint64            `json:"gas_used"`
	GasPerChange        float64           `json:"gas_per_effective_change"`
	// MetricGasUsed is the binary's avssync_gas_used_total over the window, a cross-check.
	MetricGasUsed float64 `json:"metric_gas_used_in_window"`

	RPC         rpcproxy.Counts `json:"rpc_window"`
	RPCStartup  rpcproxy.Counts `json:"rpc_startup"`
	RPCPerBlock float64         `json:"rpc_requests_per_block"`
	PeakRSSKiB  uint64          `json:"peak_rss_kib"`
}

// compareReport is compare.json.
type compareReport struct {
	Seed        uint64           `json:"seed"`
	Scenario    scenario         `json:"scenario"`
	TailBlocks  uint64           `json:"tail_blocks"`
	BlockTimeMS int64            `json:"block_time_ms"`
	Scaling     string           `json:"scaling"`
	Population  string           `json:"population"`
	Strategies  []strategyResult `json:"strategies"`
	Notes       []string         `json:"notes"`
}

// Both strategies, each on a fresh devnet with the same population, face the same seeded stream
// of share changes, registrations and deregistrations.
func TestBenchCompare(t *testing.T) {
	requireBench(t)
	ctx := benchContext(t, 8*time.Minute)
	seed := benchSeed(t)
	report := compareReport{
		Seed:        seed,
		TailBlocks:  benchTail,
		BlockTimeMS: blockTime.Milliseconds(),
		Scaling: fmt.Sprintf("--sync-interval %v = %d blocks of %v stands for 24 h = %d blocks of %v (x%d); staleness under a sweep scales with its interval",
			benchSyncInterval, benchSyncInterval/blockTime, blockTime, mainnetSyncInterval/mainnetBlockTime, mainnetBlockTime, (mainnetSyncInterval/mainnetBlockTime)/(benchSyncInterval/blockTime)),
		Population: benchPopulationText,
	}
	for _, s := range []strategy{watchStrategy(), sweepStrategy()} {
		// A subtest per strategy, so that its chain stops before the next one starts.
		t.Run(s.Name, func(t *testing.T) {
			c := newBenchChain(t, ctx, benchPopulation(), true)
			sc := newScenario(seed, benchScenario, c.pop.Registered, len(c.pop.Outsiders))
			report.Scenario = sc
			report.Strategies = append(report.Strategies, c.runStrategy(s, sc))
		})
	}
	report.Notes = compareNotes(report)
	writeJSON(t, "compare.json", report)
	writeTable(t, "compare.txt", func(w io.Writer) { printCompare(w, report) })
}

// runStrategy starts s through a meter, opens the window once it has settled, plays the scenario,
// and measures the window.
func (c *benchChain) runStrategy(s strategy, sc scenario) strategyResult {
	c.t.Helper()
	m := c.meter()
	args := s.args(c, m)
	p := startProc(c.t, s.Name, c.senderKey, args...)
	c.waitReady(p, "start-up work done", func() bool { return s.settled(c, p) })

	open := c.snapshot(p, m, c.clock.last())
	c.t.Logf("%s settled; window opens at block %d", s.Name, open.block)
	outcomes, err := c.play(c.ctx, sc, open.block)
	if err != nil {
		c.t.Fatalf("scenario: %v", err)
	}
	c.waitBlock(open.block + sc.Config.Blocks + benchTail)
	p.alive(c.t)
	closed := c.snapshot(p, m, open.block+sc.Config.Blocks+benchTail)
	rss, err := p.peakRSS()
	if err != nil {
		c.t.Fatal(err)
	}
	p.stop(c.t)

	w := span{Start: open.block, End: closed.block}
	history := c.stakeHistory(w)
	r := strategyResult{
		Strategy: s.Name, Description: s.Description, Command: args, SetupSeconds: c.setup.Seconds(),
		Window: w, Blocks: w.Blocks(), Seconds: closed.at.Sub(open.at).Seconds(),
		Staleness:      c.measureStaleness(history, outcomes),
		NetZeroUpdated: netZeroUpdated(history, outcomes),
		NonceDelta:     closed.nonce - open.nonce,
		MetricGasUsed:  closed.gasMetric - open.gasMetric,
		RPC:            closed.rpc.Sub(open.rpc),
		RPCStartup:     open.rpc,
		PeakRSSKiB:     rss,
	}
	r.countOutcomes(outcomes)
	for _, ups := range history.updates {
		r.StakeUpdates += len(ups)
	}
	r.addTxs(c.senderTxs(w))
	if r.Changes > 0 {
		r.GasPerChange = float64(r.GasUsed) / float64(r.Changes)
	}
	r.RPCPerBlock = float64(r.RPC.Requests()) / float64(r.Blocks)
	return r
}

// snapshot is what is read at either edge of a window.
type snapshot struct {
	block     uint64
	at        time.Time
	rpc       rpcproxy.Counts
	nonce     uint64
	gasMetric float64
}

// snapshot reads the counters at block, the newest block.
func (c *benchChain) snapshot(p *proc, m *rpcproxy.Proxy, block uint64) snapshot {
	c.t.Helper()
	at, _ := c.clock.at(block)
	gas, _ := p.metric("avssync_gas_used_total")
	return snapshot{block: block, at: at, rpc: m.Counts(), nonce: c.nonceAt(block), gasMetric: gas}
}

func (r *strategyResult) countOutcomes(outcomes []outcome) {
	for _, o := range outcomes {
		switch o.Step.Kind {
		case stepDeposit, stepWithdrawal:
			r.Changes++
		case stepNetZero:
			r.NetZero++
		case stepOutsiderDeposit:
			r.Outsider++
		case stepRegister:
			r.Registrations++
		case stepDeregister:
			r.Deregistrations++
		}
	}
}

func (r *strategyResult) addTxs(txs []sentTx) {
	r.TxByFunction, r.OperatorsByFunction, r.GasByFunction = map[string]int{}, map[string]int{}, map[string]uint64{}
	for _, tx := range txs {
		r.Transactions++
		r.TxByFunction[tx.Function]++
		r.OperatorsByFunction[tx.Function] += tx.Operators
		if slices.Contains(tx.Quorums, 0) {
			r.Sweeps++ // every sweep refreshes quorum 0 in exactly one transaction
		}
		r.GasByFunction[tx.Function] += tx.GasUsed
		r.GasUsed += tx.GasUsed
		if tx.Failed {
			r.Reverted++
		}
	}
}

// nonceAt is the sender's nonce at block n.
func (c *benchChain) nonceAt(n uint64) uint64 {
	c.t.Helper()
	nonce, err := c.eth.NonceAt(c.ctx, c.sender, new(big.Int).SetUint64(n))
	if err != nil {
		c.t.Fatalf("nonce of %s at block %d: %v", c.sender, n, err)
	}
	return nonce
}

// compareNotes are the caveats printed under the table and kept in the JSON.
func compareNotes(r compareReport) []string {
	perSweep := "-"
	for _, s := range r.Strategies {
		if s.Sweeps > 0 {
			perSweep = thousands(s.GasByFunction["updateOperatorsForQuorum"]/uint64(s.Sweeps)) + " gas"
		}
	}
	return []string{
		"Staleness: blocks from the block of a registered operator's share change to the block of the first OperatorStakeUpdate of that operator after it; seconds between the arrivals of those two blocks. Net-zero changes and registrations are not staleness samples.",
		"Scaling: " + r.Scaling + ". Multiply the daily sweep's staleness in blocks by 36 for mainnet blocks; the watch's staleness is its debounce plus inclusion and does not depend on the interval (default --debounce 24s = 2 mainnet blocks).",
		"The watch keeps its default 24 h safety-net sweep, which never falls inside this window; on the scaled clock the window spans about four days, in which the watch would also sweep about four times, at the daily sweep's cost (" + perSweep + " per sweep here), unless --sync-interval is raised.",
		"RPC: every HTTP request and websocket message between the binary and the node, counted by a proxy; a JSON-RPC batch is one HTTP request and one call per element. Requests per block = HTTP round trips + websocket calls, over the window.",
		"The binary polls receipts every 500 ms (5 devnet blocks; a fraction of one mainnet block), which delays a sweep's later transactions and the watch's next batch, not the block an update lands in.",
	}
}

// printCompare prints the comparison table.
func printCompare(out io.Writer, r compareReport) {
	fmt.Fprintf(out, "\n== Staleness, gas and RPC load: avs-sync watch vs the daily full sweep (seed %d) ==\n", r.Seed)
	fmt.Fprintf(out, "AVS: %s\n", r.Population)
	cfg := r.Scenario.Config
	fmt.Fprintf(out, "Scenario over %d blocks of %d ms, then %d quiet blocks: %d outsider deposits, %d deposits and %d withdrawals of registered operators, %d net-zero pairs, %d registrations, %d deregistrations\n",
		cfg.Blocks, r.BlockTimeMS, r.TailBlocks, cfg.OutsiderDeposits, cfg.Deposits, cfg.Withdrawals, cfg.NetZero, cfg.Registrations, cfg.Deregistrations)
	fmt.Fprintf(out, "Scaling: %s\n\n", r.Scaling)

	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	row := func(label string, f func(s strategyResult) string) {
		cells := []string{label}
		for _, s := range r.Strategies {
			cells = append(cells, f(s))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	row("", func(s strategyResult) string { return s.Strategy })
	row("window: blocks / seconds", func(s strategyResult) string { return fmt.Sprintf("%d / %.1f", s.Blocks, s.Seconds) })
	row("effective changes (registered operators)", func(s strategyResult) string { return fmt.Sprint(s.Changes) })
	row("staleness, blocks: median / p95 / max", func(s strategyResult) string { return triple(s.Staleness.Blocks, "%.0f") })
	row("staleness, seconds: median / p95 / max", func(s strategyResult) string { return triple(s.Staleness.Seconds, "%.1f") })
	row("changes never applied by the end", func(s strategyResult) string { return fmt.Sprint(s.Staleness.NeverApplied) })
	row("net-zero pairs applied midway (cost updates)", func(s strategyResult) string { return fmt.Sprintf("%d of %d", s.NetZeroUpdated, s.NetZero) })
	row("stake updates logged (OperatorStakeUpdate)", func(s strategyResult) string { return fmt.Sprint(s.StakeUpdates) })
	row("transactions (sender nonce delta)", func(s strategyResult) string { return fmt.Sprintf("%d (%d)", s.Transactions, s.NonceDelta) })
	for _, fn := range functions(r) {
		row("  "+fn+": txs / operators listed / gas", func(s strategyResult) string {
			return fmt.Sprintf("%d / %d / %s", s.TxByFunction[fn], s.OperatorsByFunction[fn], thousands(s.GasByFunction[fn]))
		})
	}
	row("  reverted", func(s strategyResult) string { return fmt.Sprint(s.Reverted) })
	row("full sweeps (quorum 0 refreshed)", func(s strategyResult) string { return fmt.Sprint(s.Sweeps) })
	row("gas used", func(s strategyResult) string { return thousands(s.GasUsed) })
	row("gas per effective change", func(s strategyResult) string { return thousands(uint64(s.GasPerChange)) })
	row("RPC: HTTP requests / calls", func(s strategyResult) string {
		return fmt.Sprintf("%d / %d", s.RPC.HTTPRequests, total(s.RPC.HTTPCalls))
	})
	for _, m := range methods(r, func(c rpcproxy.Counts) map[string]int { return c.HTTPCalls }) {
		row("  http "+m, func(s strategyResult) string { return fmt.Sprint(s.RPC.HTTPCalls[m]) })
	}
	for _, m := range methods(r, func(c rpcproxy.Counts) map[string]int { return c.WSCalls }) {
		row("  ws "+m, func(s strategyResult) string { return fmt.Sprint(s.RPC.WSCalls[m]) })
	}
	for _, m := range methods(r, func(c rpcproxy.Counts) map[string]int { return c.WSNotifications }) {
		row("  ws notifications "+m, func(s strategyResult) string { return fmt.Sprint(s.RPC.WSNotifications[m]) })
	}
	row("RPC requests per block", func(s strategyResult) string { return fmt.Sprintf("%.2f", s.RPCPerBlock) })
	row("RPC at start-up: HTTP requests / calls", func(s strategyResult) string {
		return fmt.Sprintf("%d / %d", s.RPCStartup.HTTPRequests, s.RPCStartup.Calls())
	})
	row("peak RSS (VmHWM)", func(s strategyResult) string { return fmt.Sprintf("%.1f MiB", float64(s.PeakRSSKiB)/1024) })
	tw.Flush()
	fmt.Fprintln(out)
	for _, n := range r.Notes {
		fmt.Fprintf(out, "- %s\n", n)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func triple(d distribution, format string) string {
	if d.N == 0 {
		return "-"
	}
	return fmt.Sprintf(format+" / "+format+" / "+format, d.Median, d.P95, d.Max)
}

// functions lists the functions any strategy's transactions called.
func functions(r compareReport) []string {
	var out []string
	for _, s := range r.Strategies {
		for fn := range s.TxByFunction {
			if !slices.Contains(out, fn) {
				out = append(out, fn)
			}
		}
	}
	slices.Sort(out)
	return out
}

// methods lists the methods of one kind of count across strategies.
func methods(r compareReport, of func(rpcproxy.Counts) map[string]int) []string {
	var out []string
	for _, s := range r.Strategies {
		for m := range of(s.RPC) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	slices.Sort(out)
	return out
}

// thousands formats n with thousands separators.
func thousands(n uint64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
