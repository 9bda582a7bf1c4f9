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
// halved: the idle cost over a websocket is set by the block time (a head read every two block
// times) and by fixed periods of the daemon (the log subscription verified every 2 minutes, the
// balance read every --balance-interval), so the blocks stay seconds long, as on mainnet, and
// the fixed periods fall in the window as they would.
const (
	idleBlockTime = mainnetBlockTime / 2
	idlePoll      = 2 * time.Second / 2
)

// maxIdleCU is the most compute units an idle block may cost over the websocket.
const maxIdleCU = 20

// alchemyCU is what a provider bills per call, in Alchemy's compute units, from its published
// table (https://www.alchemy.com/docs/reference/compute-unit-costs): each call of a batch is
// billed as a call, and a subscription's notifications by their size (alchemyCUPerByte).
// eth_feeHistory and eth_maxPriorityFeePerGas are not in the table this was taken from: 10
// assumed, as eth_blockNumber; a method not listed here is counted at alchemyCUDefault.
var alchemyCU = map[string]float64{
	"eth_chainId": 0, "net_version": 0,
	"eth_blockNumber": 10, "eth_subscribe": 10, "eth_unsubscribe": 10, "eth_feeHistory": 10, "eth_maxPriorityFeePerGas": 10,
	"eth_getTransactionReceipt": 15, "eth_getBlockByNumber": 16, "eth_getBalance": 19, "eth_gasPrice": 19,
	"eth_getCode": 19, "eth_getBlockByHash": 21, "eth_call": 26, "eth_getTransactionCount": 26,
	"eth_getLogs": 60, "eth_estimateGas": 87, "eth_sendRawTransaction": 250,
}

const (
	alchemyCUPerByte = 0.04
	alchemyCUDefault = 26
)

// computeUnits is what c costs at Alchemy's prices.
func computeUnits(c rpcproxy.Counts) float64 {
	cu := alchemyCUPerByte * float64(c.NotificationBytes())
	for _, calls := range []map[string]int{c.HTTPCalls, c.WSCalls} {
		for m, n := range calls {
			price, ok := alchemyCU[m]
			if !ok {
				price = alchemyCUDefault
			}
			cu += price * float64(n)
		}
	}
	return cu
}

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
	NotificationBytes     float64         `json:"ws_notification_bytes_per_block"`
	ComputeUnits          float64         `json:"alchemy_compute_units"`
	CUPerBlock            float64         `json:"alchemy_compute_units_per_block"`
	RequestsPerDay        float64         `json:"requests_per_day"`
	CUPerDay              float64         `json:"alchemy_compute_units_per_day"`
	PeakRSSKiB            uint64          `json:"peak_rss_kib"`
}

// idleReport is idle.json.
type idleReport struct {
	Blocks uint64      `json:"blocks"`
	Runs   []idleRun   `json:"runs"`
	Change *changeCost `json:"change_websocket"`
	Notes  []string    `json:"notes"`
}

// changeCost is what one stake change costs over the websocket on top of idling: from a deposit to
// a registered operator until its stake is stored and three blocks more.
type changeCost struct {
	Blocks   uint64          `json:"blocks"`
	RPC      rpcproxy.Counts `json:"rpc"`
	Requests float64         `json:"requests_over_idle"`
	CU       float64         `json:"alchemy_compute_units_over_idle"`
}

// The cost of watching a chain where nothing happens, over a websocket and by HTTP polling at the
// block time, in requests and in Alchemy's compute units, per block and per day.
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
	// Idle is after start-up: the websocket's new heads subscription, which measures the block
	// time, has ended.
	c.waitFor("the websocket watch's new heads subscription ended", 20*idleBlockTime, func() bool {
		return runs[0].m.Counts().WSCalls["eth_unsubscribe"] > 0
	})
	start := c.clock.last()
	for _, r := range runs {
		r.before = r.m.Counts()
	}
	c.waitBlock(start + idleBlocks)
	end := c.clock.last()
	for _, r := range runs {
		report.Runs = append(report.Runs, c.idleMeasure(r, span{Start: start, End: end}))
	}
	runs[1].p.stop(t)
	report.Change = c.idleChange(runs[0], report.Runs[0])
	runs[0].p.stop(t)
	for _, run := range report.Runs {
		if run.Mode == "websocket" && run.CUPerBlock > maxIdleCU {
			t.Errorf("websocket watch cost %.1f compute units per idle block at %v blocks, want at most %d", run.CUPerBlock, idleBlockTime, maxIdleCU)
		}
		// The balance is read every --balance-interval (5m) between transactions.
		if got, most := run.RPC.HTTPCalls["eth_getBalance"]+run.RPC.WSCalls["eth_getBalance"], int(run.Seconds/(5*60))+1; got > most {
			t.Errorf("%s watch read the balance %d times in %.0f s, want at most %d (every 5 minutes)", run.Mode, got, run.Seconds, most)
		}
	}
	report.Notes = []string{
		fmt.Sprintf("Blocks every %v; both modes watch the same %d blocks side by side. Websocket: --poll-interval %v (polls only while the subscription is down); polling: --poll-interval %v, one poll per block.", idleBlockTime, idleBlocks, idlePoll, idleBlockTime),
		fmt.Sprintf("Compute units (CU) at Alchemy's published prices (https://www.alchemy.com/docs/reference/compute-unit-costs): eth_getLogs 60, eth_call 26, eth_getBalance 19, eth_getBlockByNumber 16, eth_blockNumber 10, eth_subscribe 10, each call of a batch billed as a call, notifications %.2f CU per byte; eth_feeHistory and eth_maxPriorityFeePerGas assumed 10, any other method %d.", alchemyCUPerByte, alchemyCUDefault),
		"Websocket mode reads the head (eth_getBlockByNumber) every two block times and takes events from the log subscription; every 2 minutes one eth_getLogs verifies the blocks since, with a header or two. Polling mode reads the head and the new block's logs at every poll. Both read the sender's balance every --balance-interval (5m) between transactions.",
		"Per day = per second of the window x 86,400, at these blocks: the head reads scale with blocks, the rest with time.",
		"The AVS here has 3 operators: an idle watcher's requests do not depend on how many operators or quorums the AVS has (its log filter is by contract and event); only its start-up reads do.",
		"Requests = HTTP round trips + websocket calls; websocket notifications are pushed by the node and listed apart, with their bytes.",
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

// idleChange makes one stake change under the websocket watch r, alone (two processes of one key
// would race for it), and reports what it cost beyond idle.
func (c *benchChain) idleChange(r *idleWatch, idle idleRun) *changeCost {
	c.t.Helper()
	op := c.pop.Registered[0]
	before, from := r.m.Counts(), c.clock.last()
	if _, err := op.Deposit(c.ctx, milliEth(100)); err != nil {
		c.t.Fatal(err)
	}
	c.waitFor("the change stored", 60*idleBlockTime, func() bool { return c.fresh(op.Address) })
	c.waitBlock(c.clock.last() + 3)
	used, blocks := r.m.Counts().Sub(before), c.clock.last()-from
	return &changeCost{Blocks: blocks, RPC: used,
		Requests: float64(used.Requests()) - idle.RequestsPerBlock*float64(blocks),
		CU:       computeUnits(used) - idle.CUPerBlock*float64(blocks)}
}

// idleMeasure reports what an idle watch cost over w.
func (c *benchChain) idleMeasure(r *idleWatch, w span) idleRun {
	c.t.Helper()
	rpc := r.m.Counts().Sub(r.before)
	rss, err := r.p.peakRSS()
	if err != nil {
		c.t.Fatal(err)
	}
	secs, _ := c.clock.since(w.Start, w.End)
	blocks := float64(w.Blocks())
	cu := computeUnits(rpc)
	perDay := float64(24*time.Hour/time.Second) / secs
	return idleRun{
		Mode: r.mode, Command: r.args, Window: w, Blocks: w.Blocks(), Seconds: secs, RPC: rpc,
		RequestsPerBlock: float64(rpc.Requests()) / blocks, NotificationsPerBlock: float64(rpc.Notifications()) / blocks,
		NotificationBytes: float64(rpc.NotificationBytes()) / blocks, ComputeUnits: cu, CUPerBlock: cu / blocks,
		RequestsPerDay: float64(rpc.Requests()) * perDay, CUPerDay: cu * perDay,
		PeakRSSKiB: rss,
	}
}

func printIdle(out io.Writer, r idleReport) {
	fmt.Fprintf(out, "\n== Idle cost: avs-sync watch, %d blocks without activity ==\n\n", r.Blocks)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tBLOCKS\tREQUESTS\tPER BLOCK\tCU PER BLOCK\tREQUESTS/DAY\tCU/DAY\tWS NOTIFICATIONS/BLOCK\tWS BYTES/BLOCK\tBY METHOD\tPEAK RSS")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.1f\t%.0f\t%.0f\t%.2f\t%.0f\t%s\t%.1f MiB\n", run.Mode, run.Blocks, run.RPC.Requests(), run.RequestsPerBlock,
			run.CUPerBlock, run.RequestsPerDay, run.CUPerDay, run.NotificationsPerBlock, run.NotificationBytes, byMethod(run.RPC), float64(run.PeakRSSKiB)/1024)
	}
	tw.Flush()
	if ch := r.Change; ch != nil {
		fmt.Fprintf(out, "\nOne stake change over the websocket, beyond idle (%d blocks from the deposit to its update stored and 3 more): %.0f requests, %.0f CU (%s)\n",
			ch.Blocks, ch.Requests, ch.CU, byMethod(ch.RPC))
	}
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
