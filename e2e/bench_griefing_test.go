package e2e

import (
	"fmt"
	"io"
	"math/big"
	"text/tabwriter"
	"time"

	"testing"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// griefingDust is how many 1-wei deposits the griefer makes, each after the debounce.
const griefingDust = 30

// griefingRun is avs-sync watch under dust deposits with one --min-stake-change.
type griefingRun struct {
	MinStakeChange string   `json:"min_stake_change"`
	Command        []string `json:"command"`
	Window         span     `json:"window"`
	DustEvents     int      `json:"dust_events"`
	Transactions   int      `json:"transactions"`
	GasUsed        uint64   `json:"gas_used"`
	// GriefGas is what the griefer's deposits cost it (the deposit transactions; their mints aside).
	GriefGas uint64 `json:"griefer_deposit_gas"`
}

// griefingReport is griefing.json.
type griefingReport struct {
	Runs  []griefingRun `json:"runs"`
	Notes []string      `json:"notes"`
}

// Dust griefing: a staker delegated to a registered operator deposits 1 wei after every debounce.
// With the default --min-stake-change none of it costs the AVS a transaction; with the rule off
// (0, every difference, as before it existed) each deposit costs an updateOperators.
func TestBenchGriefing(t *testing.T) {
	requireBench(t)
	ctx := benchContext(t, 10*time.Minute)
	pop := devnet.Population{Quorums: 1, Groups: []devnet.Group{{Count: 3, Quorums: []uint8{0}}}, Stake: func(int) *big.Int { return milliEth(500) }}
	c := newBenchChain(t, ctx, pop, false)
	report := griefingReport{}
	for _, rule := range []string{"0.001", "0"} {
		report.Runs = append(report.Runs, c.griefOnce(rule))
	}
	report.Notes = []string{
		fmt.Sprintf("%d deposits of 1 wei to a registered operator holding 0.5 ETH, one every %d blocks (debounce %v + 2 blocks): each one an event avs-sync reads after its debounce.", griefingDust, uint64(benchDebounce/blockTime)+2, benchDebounce),
		"--min-stake-change 0.001 (the default): a change below 0.1% of the stored stake waits for the sweep. 0: every difference is sent, the behaviour before the rule.",
		"To force one update under the default a griefer must move the operator's stake by 0.1% (0.0005 ETH here, 1 ETH for an operator of 1,000 ETH), and --max-gas-per-day bounds the total.",
	}
	writeJSON(t, "griefing.json", report)
	writeTable(t, "griefing.txt", func(w io.Writer) { printGriefing(w, report) })
}

// griefOnce runs watch with --min-stake-change rule while the griefer deposits dust.
func (c *benchChain) griefOnce(rule string) griefingRun {
	c.t.Helper()
	m := c.meter()
	args := append([]string{"watch", "--eth-ws-url", m.WSURL(), "--debounce", benchDebounce.String(), "--min-stake-change", rule}, c.contractArgs(m.HTTPURL())...)
	p := startProc(c.t, "griefing-"+rule, c.senderKey, args...)
	c.waitReady(p, "start-up check done", func() bool { return watchStrategy().settled(c, p) })
	griefer := c.pop.Registered[0]
	w := span{Start: c.clock.last()}
	run := griefingRun{MinStakeChange: rule, Command: args, DustEvents: griefingDust}
	for range griefingDust {
		r, err := griefer.Deposit(c.ctx, big.NewInt(1))
		if err != nil {
			c.t.Fatal(err)
		}
		run.GriefGas += r.GasUsed
		c.waitBlock(r.BlockNumber.Uint64() + uint64(benchDebounce/blockTime) + 2)
	}
	// Room for the last event's update to land.
	c.waitBlock(c.clock.last() + uint64(benchDebounce/blockTime) + 10)
	w.End = c.clock.last()
	p.stop(c.t)
	for _, tx := range c.senderTxs(w) {
		run.Transactions++
		run.GasUsed += tx.GasUsed
	}
	run.Window = w
	return run
}

func printGriefing(out io.Writer, r griefingReport) {
	fmt.Fprintf(out, "\n== Griefing: %d dust deposits of 1 wei to a registered operator ==\n\n", griefingDust)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "--MIN-STAKE-CHANGE\tDUST EVENTS\tTRANSACTIONS\tGAS (AVS KEY)\tGAS (GRIEFER'S DEPOSITS)")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", run.MinStakeChange, run.DustEvents, run.Transactions, thousands(run.GasUsed), thousands(run.GriefGas))
	}
	tw.Flush()
	fmt.Fprintln(out)
	for _, n := range r.Notes {
		fmt.Fprintf(out, "- %s\n", n)
	}
}
