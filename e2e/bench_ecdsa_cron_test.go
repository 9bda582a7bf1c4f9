package e2e

import (
	"fmt"
	"io"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// ecdsaCronRow is one strategy's staleness and gas on the ECDSA devnet.
type ecdsaCronRow struct {
	Strategy string   `json:"strategy"`
	Command  []string `json:"command"`
	Deposits int      `json:"deposits"`
	// Staleness is, per deposit, the blocks until the registry stored the operator's weight
	// (capped at the window's end for one never stored).
	Staleness []uint64 `json:"staleness_blocks"`
	Unstored  int      `json:"unstored"`
	Txs       int      `json:"txs"`
	GasUsed   uint64   `json:"gas_used"`
}

// ecdsaCronSyncInterval stands for the cron's 24 h: 60 blocks of 100 ms against 7,200 of 12 s.
const ecdsaCronSyncInterval = 6 * time.Second

// TestBenchECDSACron plays the same stream of deposits (one every 3 blocks to a registered
// operator, 30 in all) on two ECDSA devnets, one kept by `avs-sync watch`, one by the daily cron
// (the bare command with --sync-interval, scaled), and reports each one's staleness and gas.
func TestBenchECDSACron(t *testing.T) {
	requireBench(t)
	var rows []ecdsaCronRow
	for _, s := range []struct {
		name string
		args []string
	}{
		{"watch", []string{"watch", "--debounce", debounce.String()}},
		{"cron (bare command, --sync-interval scaled from 24 h)", []string{"--sync-interval", ecdsaCronSyncInterval.String()}},
	} {
		t.Run(s.name, func(t *testing.T) {
			e := newECDSAEnv(t)
			args := append(slices.Clone(s.args), "--eth-http-url", e.d.HTTPURL, "--eth-ws-url", e.d.WSURL,
				"--ecdsa-stake-registry-addr", e.d.Shape.ECDSAStakeRegistry.Hex(), "--delegation-manager-addr", e.d.Addresses.DelegationManager.Hex(),
				"--poll-interval", blockTime.String())
			p := startProc(t, "ecdsa-"+s.name[:4], e.senderKey, args...)
			e.waitFor("ready", 60*time.Second, func() bool { p.alive(t); return p.ready() })
			start := e.head()
			row := ecdsaCronRow{Strategy: s.name, Command: s.args}
			type dep struct {
				op    *devnet.Actor
				block uint64
			}
			var deps []dep
			for i := range 30 {
				op := e.pop.Registered[(i*7+3)%len(e.pop.Registered)].Actor
				r, err := op.Stake(e.ctx, e.d.Shape.Strategies[i%len(e.d.Shape.Strategies)], eth(int64(1+i%4)))
				if err != nil {
					t.Fatal(err)
				}
				deps = append(deps, dep{op: op, block: receiptBlock(r)})
				e.waitBlocks(3)
			}
			end := e.waitBlocks(uint64(ecdsaCronSyncInterval/blockTime) + 20)
			p.alive(t)
			for _, d := range deps {
				row.Deposits++
				stored := slices.IndexFunc(e.weightUpdates(d.op.Address, d.block), func(b uint64) bool { return b >= d.block })
				if stored < 0 {
					row.Unstored++
					row.Staleness = append(row.Staleness, end-d.block)
					continue
				}
				row.Staleness = append(row.Staleness, e.weightUpdates(d.op.Address, d.block)[stored]-d.block)
			}
			for _, tx := range e.sentTxs(start) {
				r, err := e.eth.TransactionReceipt(e.ctx, tx.Hash())
				if err != nil {
					t.Fatal(err)
				}
				row.Txs++
				row.GasUsed += r.GasUsed
			}
			rows = append(rows, row)
		})
	}
	writeJSON(t, "ecdsa-cron.json", rows)
	writeTable(t, "ecdsa-cron.txt", func(w io.Writer) { printECDSACron(w, rows) })
}

func printECDSACron(out io.Writer, rows []ecdsaCronRow) {
	fmt.Fprintf(out, "\n== ECDSA devnet: avs-sync watch against the daily cron (%v of 100 ms blocks stands for 24 h) ==\n\n", ecdsaCronSyncInterval)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STRATEGY\tDEPOSITS\tSTALENESS BLOCKS median / p95 / max\tNEVER STORED\tTXS\tGAS")
	for _, r := range rows {
		s := slices.Clone(r.Staleness)
		slices.Sort(s)
		q := func(f float64) uint64 {
			if len(s) == 0 {
				return 0
			}
			return s[min(len(s)-1, int(f*float64(len(s))))]
		}
		fmt.Fprintf(tw, "%s\t%d\t%d / %d / %d\t%d\t%d\t%s\n", r.Strategy, r.Deposits, q(0.5), q(0.95), q(1), r.Unstored, r.Txs, thousands(r.GasUsed))
	}
	tw.Flush()
}
