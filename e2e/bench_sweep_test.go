package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/params"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
	"github.com/avs-sync/avs-sync/submitter"
)

// sweepGasBudget is the sweep scale benchmark's --gas-budget: below what one quorum of 210
// operators needs, so that the budget's limits show.
const sweepGasBudget = 2_000_000

// sweepRun is one run of `avs-sync sweep` to completion.
type sweepRun struct {
	Name        string   `json:"name"`
	Command     []string `json:"command"`
	Stale       int      `json:"stale_operators_before"`
	WallSeconds float64  `json:"wall_seconds"`
	// Error is the process's last error when it exited non-zero.
	Error    string          `json:"error,omitempty"`
	Blocks   uint64          `json:"blocks_to_last_tx"`
	Txs      []sentTx        `json:"transactions"`
	GasUsed  uint64          `json:"gas_used"`
	MaxShare float64         `json:"max_share_of_block_gas_limit"`
	RPC      rpcproxy.Counts `json:"rpc"`
}

// sweepReport is sweep.json.
type sweepReport struct {
	Population string     `json:"population"`
	GasBudget  uint64     `json:"gas_budget"`
	MaxTxGas   uint64     `json:"max_tx_gas"`
	Runs       []sweepRun `json:"runs"`
	Notes      []string   `json:"notes"`
}

// someStale is how many of quorum 0's operators the partial sweep makes stale, someOperators how
// many the --operators run updates.
const (
	someStale     = 60
	someOperators = 40
)

// Full sweeps of an AVS whose largest quorum has 210 operators, with a gas budget smaller than
// that quorum's update: with nothing stale, with 60 stale, and with every operator stale; then the
// dirty path, updateOperators over 40 stale operators. The runs are reported as they end, sent or
// not; every transaction sent must fit the block and the per-transaction cap.
func TestBenchSweepScale(t *testing.T) {
	requireBench(t)
	ctx := benchContext(t, 4*time.Minute)
	c := newBenchChain(t, ctx, benchPopulation(), true)
	addrs := func(ms []devnet.Member) string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.Address.Hex()
		}
		return strings.Join(out, ",")
	}
	reg := c.pop.Registered // the first 150 are in quorum 0 only
	sweep := []string{"sweep", "--gas-budget", fmt.Sprint(sweepGasBudget)}
	dirty := func(ms []devnet.Member) []string {
		return append(slices.Clone(sweep), "--full-quorum-ratio", "1", "--operators", addrs(ms))
	}
	report := sweepReport{Population: benchPopulationText, GasBudget: sweepGasBudget, MaxTxGas: params.MaxTxGas}
	report.Runs = append(report.Runs, c.sweepOnce("sweep, none stale", 0, sweep...))
	c.makeStale(reg[:someStale])
	report.Runs = append(report.Runs, c.sweepOnce(fmt.Sprintf("sweep, %d stale", someStale), someStale, sweep...))
	c.makeStale(reg)
	report.Runs = append(report.Runs, c.sweepOnce("sweep, all stale", len(reg), sweep...))
	c.makeStale(reg[:someOperators])
	report.Runs = append(report.Runs, c.sweepOnce(fmt.Sprintf("sweep --operators <%d stale>", someOperators), someOperators, dirty(reg[:someOperators])...))

	for _, r := range report.Runs {
		for _, tx := range r.Txs {
			if tx.Failed || tx.GasUsed > min(tx.BlockGasLimit, params.MaxTxGas) {
				t.Errorf("%s: transaction in block %d failed or passed a gas limit: %+v", r.Name, tx.Block, tx)
			}
		}
	}
	report.Notes = sweepNotes(report)
	writeJSON(t, "sweep.json", report)
	writeTable(t, "sweep.txt", func(w io.Writer) { printSweep(w, report) })
}

// makeStale deposits a little for each of members, 32 at a time.
func (c *benchChain) makeStale(members []devnet.Member) {
	c.t.Helper()
	sem := make(chan struct{}, 32)
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, errs[i] = m.Deposit(c.ctx, milliEth(10))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.t.Fatal(err)
	}
}

// sweepOnce runs the binary to completion through a meter and reads the transactions it sent.
func (c *benchChain) sweepOnce(name string, stale int, args ...string) sweepRun {
	c.t.Helper()
	m := c.meter()
	args = append(slices.Clone(args), c.contractArgs(m.HTTPURL())...)
	start := c.head()
	wall, runErr := c.runToCompletion(name, args)
	r := sweepRun{Name: name, Command: abbreviate(args), Stale: stale, WallSeconds: wall.Seconds(), Error: runErr, RPC: m.Counts()}
	r.Txs = c.senderTxs(span{Start: start, End: c.head()})
	for _, tx := range r.Txs {
		r.GasUsed += tx.GasUsed
		r.MaxShare = max(r.MaxShare, float64(tx.GasUsed)/float64(tx.BlockGasLimit))
		r.Blocks = tx.Block - start
	}
	c.t.Logf("%s: %d transactions, %s gas, %.1f s %s", name, len(r.Txs), thousands(r.GasUsed), r.WallSeconds, r.Error)
	return r
}

// runToCompletion runs the binary with the sender's key in the environment, logging to the results
// directory, and returns how long it ran and, if it exited non-zero, the error it logged last.
func (c *benchChain) runToCompletion(name string, args []string) (time.Duration, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Minute)
	defer cancel()
	logPath := filepath.Join(resultsDir(c.t), "logs", slug(name)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, binary, append(args, "--log-format", "json")...)
	cmd.Env = append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+c.senderKey)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	began := time.Now()
	err = cmd.Run()
	wall := time.Since(began)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return wall, ""
	case errors.As(err, &exit) && ctx.Err() == nil:
		return wall, lastError(c.t, logPath)
	}
	c.t.Fatalf("%s: %v; log: %s", name, err, logPath)
	return 0, ""
}

// lastError is the err field of the last error-level line of a JSON log.
func lastError(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := "no error logged"
	for _, line := range strings.Split(string(b), "\n") {
		var l struct {
			Level string `json:"level"`
			Err   string `json:"err"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Level == "ERROR" && l.Err != "" {
			last = l.Err
		}
	}
	return last
}

func sweepNotes(r sweepReport) []string {
	notes := []string{
		fmt.Sprintf("--gas-budget %s caps what one transaction is estimated at. updateOperators lists are split to fit it; updateOperatorsForQuorum needs a quorum's complete operator set, so a quorum over the budget is sent alone if its estimate times %.1f (the gas limit headroom) fits the block gas limit and the per-transaction cap.",
			thousands(r.GasBudget), submitter.GasLimitMultiplier),
		fmt.Sprintf("Since Osaka (Fusaka on mainnet, EIP-7825) no transaction may use more than %s gas, whatever the block gas limit; the devnet runs under that rule. A call that needs more cannot be estimated: the node answers \"execution reverted\" with no data (an inner call runs out of gas).", thousands(r.MaxTxGas)),
		"Wall time is the whole process: connecting, reading the AVS, estimating, and each transaction from sending to its receipt (polled every 500 ms); blocks are 100 ms.",
	}
	if m, ok := quorumGasModel(r); ok {
		notes = append(notes, m)
	}
	for _, run := range r.Runs {
		if run.Error != "" {
			notes = append(notes, fmt.Sprintf("%q FAILED and sent nothing: %s", run.Name, run.Error))
		}
	}
	return notes
}

// quorumGasModel fits quorum 0's updateOperatorsForQuorum gas from the none-stale and partly
// stale runs, and says how many stale operators one quorum of that size can carry under the
// per-transaction cap.
func quorumGasModel(r sweepReport) (string, bool) {
	if len(r.Runs) < 2 {
		return "", false
	}
	fresh, ok1 := quorumTx(r.Runs[0], 0)
	partly, ok2 := quorumTx(r.Runs[1], 0)
	stale := r.Runs[1].Stale
	if !ok1 || !ok2 || stale == 0 || partly.GasUsed <= fresh.GasUsed || fresh.Operators == 0 {
		return "", false
	}
	perStale := float64(partly.GasUsed-fresh.GasUsed) / float64(stale)
	limit := float64(r.MaxTxGas) / submitter.GasLimitMultiplier
	fits := int((limit - float64(fresh.GasUsed)) / perStale)
	return fmt.Sprintf("updateOperatorsForQuorum of quorum 0 (%d operators) used %s gas with nothing stale (%s per operator) and %s more per stale operator; under the %s cap with the %.1f headroom, one updateOperatorsForQuorum of that quorum fits only while at most about %d of its %d operators are stale; past that, the stale operators must be brought up to date with updateOperators first.",
		fresh.Operators, thousands(fresh.GasUsed), thousands(fresh.GasUsed/uint64(fresh.Operators)), thousands(uint64(perStale)),
		thousands(r.MaxTxGas), submitter.GasLimitMultiplier, fits, fresh.Operators), true
}

// quorumTx is the run's updateOperatorsForQuorum transaction that refreshed quorum q alone.
func quorumTx(run sweepRun, q int) (sentTx, bool) {
	for _, tx := range run.Txs {
		if tx.Function == "updateOperatorsForQuorum" && len(tx.Quorums) == 1 && tx.Quorums[0] == q {
			return tx, true
		}
	}
	return sentTx{}, false
}

func printSweep(out io.Writer, r sweepReport) {
	fmt.Fprintf(out, "\n== Sweep scale: --gas-budget %s, per-transaction gas cap %s ==\nAVS: %s\n\n", thousands(r.GasBudget), thousands(r.MaxTxGas), r.Population)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTALE\tRESULT\tTXS\tGAS\tMAX % OF BLOCK\tWALL S\tBLOCKS\tHTTP REQUESTS")
	for _, run := range r.Runs {
		result := "ok"
		if run.Error != "" {
			result = "FAILED (see notes)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%.1f%%\t%.2f\t%d\t%d\n", run.Name, run.Stale, result, len(run.Txs), thousands(run.GasUsed),
			100*run.MaxShare, run.WallSeconds, run.Blocks, run.RPC.HTTPRequests)
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tFUNCTION\tTXS\tOPERATORS/TX\tGAS/TX\tMAX % OF BLOCK\tGAS/OPERATOR")
	for _, run := range r.Runs {
		for _, g := range groupTxs(run.Txs) {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%.1f%%\t%s\n", run.Name, g.function, g.txs, rangeOf(g.minOps, g.maxOps, strconv.Itoa),
				rangeOf(g.minGas, g.maxGas, thousands), 100*g.maxShare, thousands(g.gas/uint64(max(g.ops, 1))))
		}
	}
	tw.Flush()
	fmt.Fprintln(out)
	for _, n := range r.Notes {
		fmt.Fprintf(out, "- %s\n", n)
	}
}

// txGroup summarises a run's transactions of one function.
type txGroup struct {
	function            string
	txs, ops            int
	minOps, maxOps      int
	gas, minGas, maxGas uint64
	maxShare            float64
}

// groupTxs summarises txs by function, in order of first appearance.
func groupTxs(txs []sentTx) []*txGroup {
	var out []*txGroup
	for _, tx := range txs {
		i := slices.IndexFunc(out, func(g *txGroup) bool { return g.function == tx.Function })
		if i < 0 {
			out = append(out, &txGroup{function: tx.Function, minOps: tx.Operators, minGas: tx.GasUsed})
			i = len(out) - 1
		}
		g := out[i]
		g.txs++
		g.ops += tx.Operators
		g.gas += tx.GasUsed
		g.minOps, g.maxOps = min(g.minOps, tx.Operators), max(g.maxOps, tx.Operators)
		g.minGas, g.maxGas = min(g.minGas, tx.GasUsed), max(g.maxGas, tx.GasUsed)
		g.maxShare = max(g.maxShare, float64(tx.GasUsed)/float64(tx.BlockGasLimit))
	}
	return out
}

// rangeOf prints a range, or one value when both ends agree.
func rangeOf[T comparable](lo, hi T, format func(T) string) string {
	if lo == hi {
		return format(lo)
	}
	return format(lo) + "-" + format(hi)
}

// slug makes a file name of a run's name: lower-case letters and digits, dashes between words.
func slug(name string) string {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	return strings.Join(words, "-")
}

// abbreviate shortens long lists of addresses in a command line for the record.
func abbreviate(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if n := strings.Count(a, ",") + 1; n > 3 {
			out[i] = fmt.Sprintf("<%d addresses>", n)
		}
	}
	return out
}
