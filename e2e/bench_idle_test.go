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

// idleBlocks is how many quiet blocks the idle runs are measured over.
const idleBlocks = 60

// idleBlockTime and idlePoll are mainnet's 12 s blocks and the default 2 s --poll-interval, both
// halved: what decides the idle cost over a websocket is their ratio, six poll ticks per block,
// and the block time against the fixed periods of the daemon (the balance is read every few heads
// between transactions, the websocket's silence is timed in block times), so the blocks stay
// seconds long, as on mainnet.
const (
	idleBlockTime = mainnetBlockTime / 2
	idlePoll      = 2 * time.Second / 2
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
	// Both modes watch the same quiet blocks side by side, each through its own meter.
	report := idleReport{Blocks: idleBlocks}
	runs := make([]*idleWatch, len(modes))
	for i, mode := range modes {
		runs[i] = c.idleStart(mode.name, mode.args)
	}
	start := c.clock.last()
	for _, r := range runs {
		r.before = r.m.Counts()
	}
	c.waitBlock(start + idleBlocks)
	end := c.clock.last()
	for _, r := range runs {
		report.Runs = append(report.Runs, c.idleEnd(r, span{Start: start, End: end}))
	}
	for _, run := range report.Runs {
		if run.Mode == "websocket" && run.RequestsPerBlock > 1.5 {
			t.Errorf("websocket watch made %.2f requests per idle block at %v blocks, want at most 1.5", run.RequestsPerBlock, idleBlockTime)
		}
		if got := float64(run.RPC.HTTPCalls["eth_getBalance"]+run.RPC.WSCalls["eth_getBalance"]) / float64(run.Blocks); got > 0.25 {
			t.Errorf("%s watch read the balance %.2f times per idle block, want one read per 5 heads", run.Mode, got)
		}
	}
	report.Notes = []string{
		fmt.Sprintf("Blocks every %v and --poll-interval %v over websocket: mainnet's 12 s blocks and the default 2 s poll interval halved, so six poll ticks fall in each block as on mainnet; a tick reads the chain only when the subscription has been silent for 1.5 block times. Both modes watch the same %d blocks side by side.", idleBlockTime, idlePoll, idleBlocks),
		fmt.Sprintf("Per hour at 12 s blocks = per block x %d: both modes work once per block (websocket: per newHeads notification; polling: --poll-interval equal to the block time, one poll per block), and the sender's balance is read every 5 heads, so the cost scales with blocks, not with time.", mainnetBlocksPerHour),
		fmt.Sprintf("Polling at the default --poll-interval 2s makes 6 polls per 12 s block; the 5 that find no new block cost one eth_getBlockByNumber each: add %d requests per hour.", 5*mainnetBlocksPerHour),
		"The AVS here has 3 operators: an idle watcher's requests do not depend on how many operators or quorums the AVS has (its log filter is by contract and event); only its start-up reads do.",
		"Requests = HTTP round trips + websocket calls; websocket notifications are pushed by the node and listed apart.",
	}
	writeJSON(t, "idle.json", report)
	writeTable(t, "idle.txt", func(w io.Writer) { printIdle(w, report) })
}

// idleWatch is one idle watch process and its meter.
type idleWatch struct {
	mode   string
	args   []string
	m      *rpcproxy.Proxy
	p      *proc
	before rpcproxy.Counts
}

// idleStart starts watch in one mode through its own meter and waits for its start-up check.
func (c *benchChain) idleStart(mode string, modeArgs func(*rpcproxy.Proxy) []string) *idleWatch {
	c.t.Helper()
	m := c.meter()
	args := append(append([]string{"watch", "--debounce", benchDebounce.String()}, modeArgs(m)...), c.contractArgs(m.HTTPURL())...)
	p := startProc(c.t, "idle-"+mode, c.senderKey, args...)
	c.waitReady(p, "start-up check done", func() bool { return watchStrategy().settled(c, p) })
	return &idleWatch{mode: mode, args: args, m: m, p: p}
}

// idleEnd stops an idle watch and reports what it cost over w.
func (c *benchChain) idleEnd(r *idleWatch, w span) idleRun {
	c.t.Helper()
	rpc := r.m.Counts().Sub(r.before)
	rss, err := r.p.peakRSS()
	if err != nil {
		c.t.Fatal(err)
	}
	r.p.stop(c.t)
	secs, _ := c.clock.since(w.Start, w.End)
	perBlock := float64(rpc.Requests()) / float64(w.Blocks())
	notes := float64(rpc.Notifications()) / float64(w.Blocks())
	return idleRun{
		Mode: r.mode, Command: r.args, Window: w, Blocks: w.Blocks(), Seconds: secs, RPC: rpc,
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
