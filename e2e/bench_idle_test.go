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

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// idleBlocks is how many quiet blocks each idle run is measured over.
const idleBlocks = 200

// idleBlockTime and idlePoll are mainnet's 12 s blocks and the default 2 s --poll-interval, both
// scaled by 1/10: what decides the idle cost over a websocket is their ratio, six poll ticks per
// block, and a block time much longer than the poll interval, as on mainnet.
const (
	idleBlockTime = mainnetBlockTime / 10
	idlePoll      = 2 * time.Second / 10
)

// mainnetBlocksPerHour scales per-block figures to mainnet.
const mainnetBlocksPerHour = uint64(time.Hour / mainnetBlockTime)

// idleRun is `avs-sync watch` on a quiet chain in one mode.
type idleRun struct {
	Mode                  string          `json:"mode"`
	Command               []string        `json:"command"`
	Window                span            `json:"window"`
	Blocks                uint64          `json:"blocks"`
	Seconds               float64         `json:"seconds"`
	RPC                   rpcproxy.Counts `json:"rpc"`
	RequestsPerBlock      float64         `json:"requests_per_block"`
	NotificationsPerBlock float64         `json:"ws_notifications_per_block"`
	RequestsPerHour       float64         `json:"requests_per_hour_at_12s_blocks"`
	NotificationsPerHour  float64         `json:"ws_notifications_per_hour_at_12s_blocks"`
	PeakRSSKiB            uint64          `json:"peak_rss_kib"`
}

// idleReport is idle.json.
type idleReport struct {
	Blocks uint64    `json:"blocks"`
	Runs   []idleRun `json:"runs"`
	Notes  []string  `json:"notes"`
}

// The cost of watching a chain where nothing happens, over a websocket and by HTTP polling at the
// block time, in requests per block and, scaled, per hour of mainnet.
func TestBenchIdle(t *testing.T) {
	requireBench(t)
	ctx := benchContext(t, 2*(idleBlocks+100)*idleBlockTime)
	quiet := devnet.Population{Quorums: 1, Groups: []devnet.Group{{Count: 3, Quorums: []uint8{0}}}, Stake: func(int) *big.Int { return milliEth(500) }}
	c := newBenchChainAt(t, ctx, quiet, false, idleBlockTime)
	modes := []struct {
		name string
		args func(m *rpcproxy.Proxy) []string
	}{
		{"websocket", func(m *rpcproxy.Proxy) []string {
			return []string{"--eth-ws-url", m.WSURL(), "--poll-interval", idlePoll.String()}
		}},
		{"polling", func(*rpcproxy.Proxy) []string { return []string{"--poll-interval", idleBlockTime.String()} }},
	}
	report := idleReport{Blocks: idleBlocks}
	for _, mode := range modes {
		report.Runs = append(report.Runs, c.idleOnce(mode.name, mode.args))
	}
	report.Notes = []string{
		fmt.Sprintf("Blocks every %v and --poll-interval %v over websocket: mainnet's 12 s blocks and the default 2 s poll interval scaled by 1/10, so six poll ticks fall in each block as on mainnet; a tick reads the chain only when the subscription has been silent for 1.5 block times.", idleBlockTime, idlePoll),
		fmt.Sprintf("Per hour at 12 s blocks = per block x %d: both modes work once per block (websocket: per newHeads notification; polling: --poll-interval equal to the block time, one poll per block), so the cost scales with blocks, not with time.", mainnetBlocksPerHour),
		fmt.Sprintf("Polling at the default --poll-interval 2s makes 6 polls per 12 s block; the 5 that find no new block cost one eth_getBlockByNumber each: add %d requests per hour.", 5*mainnetBlocksPerHour),
		"The AVS here has 3 operators: an idle watcher's requests do not depend on how many operators or quorums the AVS has (its log filter is by contract and event); only its start-up reads do.",
		"Requests = HTTP round trips + websocket calls; websocket notifications are pushed by the node and listed apart.",
	}
	writeJSON(t, "idle.json", report)
	writeTable(t, "idle.txt", func(w io.Writer) { printIdle(w, report) })
}

// idleOnce runs watch in one mode through a meter over idleBlocks quiet blocks.
func (c *benchChain) idleOnce(mode string, modeArgs func(*rpcproxy.Proxy) []string) idleRun {
	c.t.Helper()
	m := c.meter()
	args := append(append([]string{"watch", "--debounce", benchDebounce.String()}, modeArgs(m)...), c.contractArgs(m.HTTPURL())...)
	p := startProc(c.t, "idle-"+mode, c.senderKey, args...)
	c.waitReady(p, "start-up check done", func() bool { return watchStrategy().settled(c, p) })
	w := span{Start: c.clock.last()}
	before := m.Counts()
	c.waitBlock(w.Start + idleBlocks)
	w.End = c.clock.last()
	rpc := m.Counts().Sub(before)
	rss, err := p.peakRSS()
	if err != nil {
		c.t.Fatal(err)
	}
	p.stop(c.t)
	secs, _ := c.clock.since(w.Start, w.End)
	perBlock := float64(rpc.Requests()) / float64(w.Blocks())
	notes := float64(rpc.Notifications()) / float64(w.Blocks())
	return idleRun{
		Mode: mode, Command: args, Window: w, Blocks: w.Blocks(), Seconds: secs, RPC: rpc,
		RequestsPerBlock: perBlock, NotificationsPerBlock: notes,
		RequestsPerHour: perBlock * float64(mainnetBlocksPerHour), NotificationsPerHour: notes * float64(mainnetBlocksPerHour),
		PeakRSSKiB: rss,
	}
}

func printIdle(out io.Writer, r idleReport) {
	fmt.Fprintf(out, "\n== Idle cost: avs-sync watch, %d blocks without activity ==\n\n", r.Blocks)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tBLOCKS\tREQUESTS\tPER BLOCK\tPER HOUR AT 12 S\tWS NOTIFICATIONS/BLOCK\tBY METHOD\tPEAK RSS")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.0f\t%.2f\t%s\t%.1f MiB\n", run.Mode, run.Blocks, run.RPC.Requests(), run.RequestsPerBlock,
			run.RequestsPerHour, run.NotificationsPerBlock, byMethod(run.RPC), float64(run.PeakRSSKiB)/1024)
	}
	tw.Flush()
	fmt.Fprintln(out)
	for _, n := range r.Notes {
		fmt.Fprintf(out, "- %s\n", n)
	}
}

// byMethod lists a count's calls and notifications by method, most frequent first.
func byMethod(c rpcproxy.Counts) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range c.HTTPCalls {
		all = append(all, kv{"http " + k, v})
	}
	for k, v := range c.WSCalls {
		all = append(all, kv{"ws " + k, v})
	}
	for k, v := range c.WSNotifications {
		all = append(all, kv{"ws notify " + k, v})
	}
	slices.SortFunc(all, func(a, b kv) int { return b.v - a.v })
	parts := make([]string, len(all))
	for i, e := range all {
		parts[i] = fmt.Sprintf("%s %d", e.k, e.v)
	}
	return strings.Join(parts, ", ")
}
