package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// The chaos table runs the real binary (`avs-sync watch`) through the fault proxy, one fault per
// row, on one shared devnet (rows run in turn, each leaving every stake fresh). While a fault
// lasts, the process stays up and sends at most the row's transactions; once it clears, every
// operator's stored stake equals its weight within the row's number of blocks. Blocks are 100 ms,
// the debounce 3 blocks, polling 1 block: the ratios of 12 s blocks with a 36 s debounce.
func TestChaos(t *testing.T) {
	e := newEnv(t, 4, 0)
	runChaos(t, e, chaosRows())
}

// chaosRows is the chaos table.
func chaosRows() []chaosRow {
	return []chaosRow{
		{
			name: "getLogs range cap of 50 blocks, restart 300 blocks behind", converge: 60, maxTxs: 3,
			run: func(c *chaosRun) { c.restartBehind(300, rpcproxy.Fault{MaxBlockRange: 50}) },
		},
		{
			name: "getLogs result cap", converge: 60, maxTxs: 3,
			run: func(c *chaosRun) { c.restartBehind(30, rpcproxy.Fault{MaxResults: 2}) },
		},
		{
			name: "5xx bursts", converge: 80, maxTxs: 6,
			run: func(c *chaosRun) {
				for i := range 3 {
					id := c.inject(rpcproxy.Fault{HTTPStatus: []int{502, 503, 429}[i], Transport: "http"})
					c.deposit(c.e.ops[i])
					c.blocks(10)
					c.p.Remove(id)
					c.blocks(5)
				}
			},
		},
		{
			name: "websocket reset mid-batch", converge: 40, maxTxs: 6,
			run: func(c *chaosRun) {
				// The first logs notification of the burst drops the connection: the rest of the
				// block's logs never come over the websocket.
				c.inject(rpcproxy.Fault{Method: "eth_subscription", Reset: true, Times: 1, Match: func(p json.RawMessage) bool {
					return strings.Contains(string(p), `"topics"`)
				}})
				c.deposit(c.e.ops...)
				for range 3 {
					c.blocks(5)
					c.p.ResetWS()
				}
			},
		},
		{
			name: "lagging backend", converge: 20, maxTxs: 4,
			run: func(c *chaosRun) {
				// Every other HTTP request reaches a member 3 blocks behind, as a load balancer
				// routes them: old head, old nonce, logs missing the newest blocks, "header not
				// found" for reads at the newest block. Updates land while it lags.
				var n atomic.Int64
				c.inject(rpcproxy.Fault{Lag: 3, Transport: "http", PerRequest: true, Match: func(json.RawMessage) bool { return n.Add(1)%2 == 0 }})
				c.deposit(c.e.ops[0], c.e.ops[1])
				c.note("first deposits fresh %d blocks after them, the member still lagging", c.freshWithin(lagConverge))
				c.deposit(c.e.ops[2])
				c.note("second deposit fresh %d blocks after it, the member still lagging", c.freshWithin(lagConverge))
				c.blocks(10)
				retries, _ := c.proc.metric("avssync_read_retries_total")
				c.note("%v reads retried at the same block", retries)
				if retries < 1 {
					c.e.t.Errorf("avssync_read_retries_total %v: no read met the lagging member", retries)
				}
				for _, line := range strings.Split(c.proc.log(), "\n") {
					if strings.Contains(line, "update failed on the node's side") && strings.Contains(line, "header not found") {
						c.e.t.Errorf("a read at a block the lagging member lacks failed the update (backoff): %s", line)
					}
				}
			},
		},
		{
			name: "every HTTP request to a member 6 blocks behind", converge: 20, maxTxs: 4,
			run: func(c *chaosRun) {
				// A load balancer that keeps the connection on its lagging member: every HTTP read
				// is 6 blocks old while the websocket's logs are new. The update reads at the
				// block of the deposit's log once the 3-block debounce is over: 6 blocks of lag
				// make sure the member does not have it yet.
				c.inject(rpcproxy.Fault{Lag: 6, Transport: "http"})
				c.deposit(c.e.ops[3])
				c.note("deposit fresh %d blocks after it, the member still lagging", c.freshWithin(lagConverge))
				c.deposit(c.e.ops[0], c.e.ops[2])
				c.note("deposits fresh %d blocks after them, the member still lagging", c.freshWithin(lagConverge))
				retries, _ := c.proc.metric("avssync_read_retries_total")
				c.note("%v reads retried at the same block", retries)
				if retries < 1 {
					c.e.t.Errorf("avssync_read_retries_total %v: no read met the lagging member", retries)
				}
			},
		},
		{
			name: "10% of HTTP requests failing for the whole row", converge: 20, maxTxs: 3,
			run: func(c *chaosRun) { c.flaky(0.10, 20) },
		},
		{
			name: "25% of HTTP requests failing for the whole row", converge: 20, maxTxs: 3,
			run: func(c *chaosRun) { c.flaky(0.25, 20) },
		},
		{
			name: "40% of HTTP requests failing for the whole row", converge: 40, maxTxs: 3,
			run: func(c *chaosRun) { c.flaky(0.40, 40) },
		},
		{
			name: "25% of HTTP requests failing from the process's start", converge: 30, maxTxs: 2,
			atStart: flakyFaults(0.25),
			run: func(c *chaosRun) {
				c.note("ready %v after the start", c.upAfter.Round(100*time.Millisecond))
				c.deposit(c.e.ops[1])
				c.note("first deposit fresh %d blocks after it", c.freshWithin(30))
				c.lasts(c.faults, 0)
				c.quiet()
			},
		},
		{
			name: "every nonce from a backend one block behind", converge: 20, maxTxs: 4,
			run: func(c *chaosRun) {
				// The load balancer sends eth_getTransactionCount to a member a block behind the one
				// that mined the sender's last transaction: it answers the nonce before it.
				c.inject(rpcproxy.Fault{Method: "eth_getTransactionCount", Lag: 1, Transport: "http"})
				for i := range 3 {
					c.deposit(c.e.ops[i])
					c.note("deposit %d fresh %d blocks after it", i+1, c.freshWithin(20))
				}
			},
		},
		{
			name: "calls answered after longer than --max-loop-stall during a quorum reload", converge: 20, maxTxs: 1,
			flags: []string{"--reader-timeout-duration", "500ms", "--max-loop-stall", "6s"},
			run: func(c *chaosRun) {
				// Every eth_call waits 8 s at the node while a quorum configuration event makes the
				// loop itself read the quorums again: each read times out, the loop runs again
				// within its bound, and /healthz stays 200. Nothing from outside wedges the loop.
				c.inject(rpcproxy.Fault{Method: "eth_call", Delay: 8 * time.Second, Transport: "http"})
				if err := c.e.owner.SetMinimumStake(c.e.ctx, 0, new(big.Int)); err != nil {
					c.e.t.Fatal(err)
				}
				began := time.Now()
				c.e.waitFor("two reloads timed out, /healthz 200 throughout", 60*time.Second, func() bool {
					c.proc.alive(c.e.t)
					if code := httpStatus(c.metrics + "/healthz"); code != http.StatusOK {
						c.e.t.Fatalf("/healthz %d while the node was slow: a slow node counted as a wedged loop", code)
					}
					// The first failure is one line, the rest a summary a minute: longer than
					// one 8 s answer and the 6 s stall bound with the reloads failing.
					return c.proc.logged("load of quorums and operators failing") && time.Since(began) >= 10*time.Second
				})
				c.note("/healthz 200 through %v of 8 s answers (--max-loop-stall 6s)", time.Since(began).Round(100*time.Millisecond))
			},
		},
		{
			name: "node stops producing blocks", converge: 30, maxTxs: 2,
			run: func(c *chaosRun) {
				c.deposit(c.e.ops[3])
				c.e.waitFor("deposit applied before the stop", 30*time.Second, func() bool { return c.e.fresh(c.e.ops[3].Address) })
				c.e.d.Pause(true)
				stopped := time.Now()
				c.e.waitFor("/readyz 503 once the head is older than --max-head-age", 30*time.Second, func() bool {
					c.proc.alive(c.e.t)
					return httpStatus(c.metrics+"/readyz") == http.StatusServiceUnavailable
				})
				c.note("readyz 503 after %v without blocks", time.Since(stopped).Round(100*time.Millisecond))
				if v, _ := c.proc.metric("avssync_ready"); v != 0 {
					c.e.t.Errorf("avssync_ready %v while /readyz is 503", v)
				}
				if code := httpStatus(c.metrics + "/healthz"); code != http.StatusOK {
					c.e.t.Errorf("/healthz %d while only the node stalled: the loop is not wedged", code)
				}
				c.e.d.Pause(false)
				resumed := c.e.head()
				c.e.waitFor("/readyz 200 once blocks come again", 30*time.Second, func() bool { return c.proc.ready() })
				c.note("readyz 200 again %d blocks after blocks resumed", c.e.head()-resumed)
				c.deposit(c.e.ops[0])
			},
		},
		{
			name: "node refuses every transaction", converge: 60, maxTxs: 2, flags: []string{"--max-failing-duration", "1s"},
			run: func(c *chaosRun) {
				c.inject(rpcproxy.Fault{Method: "eth_sendRawTransaction", Error: &rpcproxy.RPCError{Code: -32000, Message: "transaction pool is full"}})
				c.deposit(c.e.ops[2])
				began := c.e.head()
				c.e.waitFor("/readyz 503 once updates have failed for --max-failing-duration", 30*time.Second, func() bool {
					c.proc.alive(c.e.t)
					return httpStatus(c.metrics+"/readyz") == http.StatusServiceUnavailable
				})
				c.note("readyz 503 %d blocks after the deposit", c.e.head()-began)
				if code := httpStatus(c.metrics + "/healthz"); code != http.StatusOK {
					c.e.t.Errorf("/healthz %d while updates fail: the loop is not wedged", code)
				}
				c.blocks(10)
				c.p.Clear()
				cleared := c.e.head()
				c.e.waitFor("/readyz 200 once an update lands", 60*time.Second, func() bool { return c.proc.ready() })
				c.note("readyz 200 again %d blocks after the node took transactions", c.e.head()-cleared)
			},
		},
		{
			name: "garbage replies", converge: 60, maxTxs: 4, poll: true,
			run: func(c *chaosRun) {
				// One method at a time, each with a deposit to process: log reads, contract reads,
				// then the header the submitter reads before it sends (reached only once the other
				// two answer). The row polls: over a websocket a deposit's log comes from the
				// subscription, and eth_getLogs only verifies it every 2 minutes.
				for i, m := range []string{"eth_getLogs", "eth_call", "eth_getBlockByNumber"} {
					id := c.inject(rpcproxy.Fault{Method: m, Garbage: true, Transport: "http"})
					c.deposit(c.e.ops[i])
					c.blocks(10)
					c.p.Remove(id)
				}
			},
		},
		{
			name: "missing fields: headers without baseFeePerGas, receipts without blockNumber", converge: 60, maxTxs: 3,
			run: func(c *chaosRun) {
				// The header first (nothing is sent without a base fee), then, with headers whole
				// again, the receipt of the transaction that goes out.
				id := c.inject(rpcproxy.Fault{Method: "eth_getBlockByNumber", Omit: []string{"baseFeePerGas"}, Transport: "http"})
				c.deposit(c.e.ops[0])
				c.blocks(10)
				c.p.Remove(id)
				c.inject(rpcproxy.Fault{Method: "eth_getTransactionReceipt", Omit: []string{"blockNumber"}, Transport: "http"})
				c.blocks(20)
			},
		},
		{
			name: "fee suggestions inflated 10000 times", converge: 40, maxTxs: 2,
			run: func(c *chaosRun) {
				c.inject(rpcproxy.Fault{FeeMultiplier: 10000})
				c.deposit(c.e.ops[1])
				// The update goes out within the caps (--max-priority-fee-per-gas 3 gwei,
				// --max-fee-per-gas 100 gwei), whatever the node suggests.
				c.waitFresh()
				for n := c.startTx; n < c.e.sent(); n++ {
					r := c.e.receiptOfNonce(n)
					tx, _, err := c.e.eth.TransactionByHash(c.e.ctx, r.TxHash)
					if err != nil {
						c.e.t.Fatal(err)
					}
					if tx.GasTipCap().Cmp(gwei(3)) > 0 || tx.GasFeeCap().Cmp(gwei(100)) > 0 {
						c.e.t.Errorf("transaction %d tips %v and caps its fee at %v wei: above the caps", n, tx.GasTipCap(), tx.GasFeeCap())
					}
				}
			},
		},
		{
			name: "oversized replies", converge: 60, maxTxs: 6, poll: true,
			run: func(c *chaosRun) {
				// 40 MiB answers to log and header reads: refused by the reply bound, not read.
				logs := c.inject(rpcproxy.Fault{Method: "eth_getLogs", Oversize: 40 << 20, Transport: "http", Times: 4})
				headers := c.inject(rpcproxy.Fault{Method: "eth_getBlockByNumber", Oversize: 40 << 20, Transport: "http", Times: 4})
				// Which reads meet them depends on timing (a range read after a failure, a header
				// read before a send), and a refused 40 MiB answer takes seconds on a loaded machine
				// while blocks come every 100 ms: more activity until both were met, for at most 30
				// deposits.
				for range 30 {
					c.deposit(c.e.ops[2])
					c.blocks(20)
					if c.p.Hits(logs) > 0 && c.p.Hits(headers) > 0 {
						break
					}
				}
			},
		},
	}
}

// runChaos runs rows in turn on e's devnet.
func runChaos(t *testing.T, e *env, rows []chaosRow) {
	// The table shares one chain for minutes: its calls get a deadline of their own, not the
	// environment's three minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	e.ctx = ctx
	began := time.Now()
	if testing.Short() {
		t.Skip("chaos table: starts a chain and avs-sync processes")
	}
	var summary []string
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			if row.skip != "" {
				t.Skip(row.skip)
			}
			c := newChaosRun(e.sub(t), row)
			rowBegan := time.Now()
			row.run(c)
			blocks := c.converge()
			summary = append(summary, fmt.Sprintf("%-58s %3d blocks to converge after it cleared (limit %3d), %d txs, %5.1fs%s",
				row.name, blocks, row.converge, c.txs, time.Since(rowBegan).Seconds(), c.notes()))
		})
	}
	t.Logf("chaos table in %.1fs:\n%s", time.Since(began).Seconds(), strings.Join(summary, "\n"))
}

func gwei(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e9)) }

// chaosRow is one fault. run injects it on c.p, makes activity and returns when the fault is to
// clear; the table then clears every fault and waits for convergence.
type chaosRow struct {
	name string
	// converge is how many blocks after the fault clears every stake must be fresh.
	converge uint64
	// maxTxs bounds the transactions sent in the row, fault and convergence: one update per
	// burst of deposits, and a few retries.
	maxTxs uint64
	run    func(c *chaosRun)
	// flags are added to chaosFlags.
	flags []string
	// skip, when set, names what the row needs that is missing.
	skip string
	// atStart are faults in place before the process starts.
	atStart []rpcproxy.Fault
	// poll runs avs-sync without a websocket: every head and every block's logs are read over
	// HTTP (over a websocket, logs the subscription delivered may need no eth_getLogs).
	poll bool
}

// chaosRun is one row's avs-sync process behind its own fault proxy.
type chaosRun struct {
	e        *env
	row      chaosRow
	p        *rpcproxy.Proxy
	proc     *proc
	metrics  string
	stateDir string
	startTx  uint64
	txs      uint64
	mu       sync.Mutex
	noted    []string
	// faults are the ids of the faults the row injected, each of which must be met.
	faults []int
	// upAfter is how long the process took to be ready.
	upAfter time.Duration
}

// inject puts a fault in place through the row's proxy; converge fails the row if it was never
// met, so that no row passes without its fault.
func (c *chaosRun) inject(f rpcproxy.Fault) int {
	id := c.p.Inject(f)
	c.faults = append(c.faults, id)
	return id
}

// chaosFlags are avs-sync's flags in the table: 3-block debounce, 1-block polling, a stated block
// time, and a head age limit of 20 blocks.
var chaosFlags = []string{"--debounce", "300ms", "--poll-interval", "100ms", "--block-time", "100ms", "--max-head-age", "2s"}

func newChaosRun(e *env, row chaosRow) *chaosRun {
	e.t.Helper()
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { p.Close() })
	c := &chaosRun{e: e, row: row, p: p, stateDir: e.t.TempDir(), startTx: e.sent()}
	for _, f := range row.atStart {
		c.inject(f)
	}
	c.start()
	return c
}

// start runs avs-sync through the proxy and waits until it is ready.
func (c *chaosRun) start() {
	c.e.t.Helper()
	args := append(append([]string{"--state-dir", c.stateDir}, chaosFlags...), c.row.flags...)
	began := time.Now()
	ws := c.p.WSURL()
	if c.row.poll {
		ws = ""
	}
	c.proc = c.e.startWatch("chaos", c.p.HTTPURL(), ws, args...)
	c.metrics = c.proc.metrics
	c.e.waitUp(c.proc)
	c.upAfter = time.Since(began)
}

// flakyFaults fail share of HTTP requests at random, whole batches at a time, in four ways a
// provider's bad day mixes: 502 and 503 from its gateway, 429 asking for a second's wait, and a
// connection dropped. Each takes a quarter of the failures.
func flakyFaults(share float64) []rpcproxy.Fault {
	// Four independent draws fail a request with probability share.
	each := 1 - math.Pow(1-share, 0.25)
	return []rpcproxy.Fault{
		{Share: each, Transport: "http", HTTPStatus: http.StatusBadGateway},
		{Share: each, Transport: "http", HTTPStatus: http.StatusServiceUnavailable},
		{Share: each, Transport: "http", HTTPStatus: http.StatusTooManyRequests, RetryAfter: time.Second},
		{Share: each, Transport: "http", Reset: true},
	}
}

// flaky fails share of HTTP requests for the rest of the row: two deposits, one at a time, each
// fresh within limit blocks with the faults in place, and the log quiet about it.
func (c *chaosRun) flaky(share float64, limit uint64) {
	c.e.t.Helper()
	var ids []int
	for _, f := range flakyFaults(share) {
		ids = append(ids, c.inject(f))
	}
	c.deposit(c.e.ops[0])
	c.note("deposit fresh %d blocks after it", c.freshWithin(limit))
	c.deposit(c.e.ops[2], c.e.ops[3])
	c.note("two deposits fresh %d blocks after them", c.freshWithin(limit))
	c.lasts(ids, 100)
	c.quiet()
}

// lasts keeps the faults ids in place while idle reads go on, for at least blocks blocks and
// until each of them (drawn at random) has been met, at most 1,000 blocks more: a fault met by
// chance or not at all is still a fault the row tests.
func (c *chaosRun) lasts(ids []int, blocks uint64) {
	c.e.t.Helper()
	c.blocks(blocks)
	for range 100 {
		if !slices.ContainsFunc(ids, func(id int) bool { return c.p.Hits(id) == 0 }) {
			break
		}
		c.blocks(10)
	}
}

// quiet checks that the process wrote few lines about the faults: a lasting fault is a line
// when it starts, a summary a minute and a line when it clears, not a line per failure.
func (c *chaosRun) quiet() {
	c.e.t.Helper()
	failed, _ := c.proc.metric("avssync_rpc_failed_attempts_total")
	var lines int
	for _, line := range strings.Split(c.proc.log(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			lines++
		}
	}
	c.note("%v failed requests, %d warning lines", failed, lines)
	if failed < 1 {
		c.e.t.Errorf("avssync_rpc_failed_attempts_total %v: no request met the faults", failed)
	}
	if lines > 5 {
		c.e.t.Errorf("%d warning lines for %v failed requests, want at most 5:\n%s", lines, failed, c.proc.log())
	}
}

// restartBehind stops avs-sync, lets n blocks pass with deposits among them, and starts it again
// from its checkpoint with faults in place; a deposit right after the restart must be applied
// while it catches up.
func (c *chaosRun) restartBehind(n uint64, faults ...rpcproxy.Fault) {
	c.e.t.Helper()
	c.blocks(5)
	c.proc.stop(c.e.t)
	stopped := c.e.head()
	for i, op := range c.e.ops[:3] {
		c.deposit(op)
		for c.e.head() < stopped+uint64(i+1)*n/4 {
			c.e.d.MineBlocks(int(stopped + uint64(i+1)*n/4 - c.e.head()))
		}
	}
	c.e.d.MineBlocks(int(stopped + n - min(stopped+n, c.e.head())))
	for _, f := range faults {
		c.inject(f)
	}
	restarted := c.e.head()
	c.note("restarted %d blocks behind", restarted-stopped)
	args := append(append([]string{"--state-dir", c.stateDir}, chaosFlags...), c.row.flags...)
	c.proc = c.e.startWatch("chaos-restarted", c.p.HTTPURL(), c.p.WSURL(), args...)
	c.metrics = c.proc.metrics
	c.deposit(c.e.ops[3])
	c.e.waitUp(c.proc)
	c.note("caught up (ready) %d blocks after the restart", c.e.head()-restarted)
	// The provider's limits stay: convergence is counted from the restart, under them.
	fresh := c.waitFresh()
	if fresh-restarted > c.row.converge {
		c.e.t.Errorf("stakes fresh %d blocks after the restart, want at most %d", fresh-restarted, c.row.converge)
	}
	c.note("every stake fresh %d blocks after the restart, under the limit", fresh-restarted)
	if shrinks, _ := c.proc.metric("avssync_log_range_shrinks_total"); shrinks < 1 {
		c.e.t.Errorf("avssync_log_range_shrinks_total %v: the provider's limit was never hit", shrinks)
	} else {
		c.note("%v range shrinks", shrinks)
	}
}

// deposit adds stake to each operator at once and waits for the deposits to be mined.
func (c *chaosRun) deposit(ops ...*devnet.Actor) {
	c.e.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(ops))
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := op.Deposit(c.e.ctx, eth(1)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.e.t.Fatal(err)
	}
}

// blocks waits n blocks, checking the process is up.
func (c *chaosRun) blocks(n uint64) {
	c.e.t.Helper()
	start := c.e.head()
	c.e.waitFor(fmt.Sprintf("%d blocks", n), time.Duration(n+20)*blockTime*4, func() bool {
		c.proc.alive(c.e.t)
		return c.e.head() >= start+n
	})
}

// converge clears the faults, checks the spending while they lasted, and waits for every stake
// to be fresh within the row's blocks; it returns the blocks that took.
func (c *chaosRun) converge() uint64 {
	c.e.t.Helper()
	c.proc.alive(c.e.t)
	for _, id := range c.faults {
		if c.p.Hits(id) == 0 {
			c.e.t.Errorf("fault %d of the row was never met: the row did not test it", id)
		}
	}
	c.p.Clear()
	// A fault already met lasts until its answer is out: a 40 MiB reply takes seconds to write on
	// a loaded machine, a dropped request until the client gives up.
	c.e.waitFor("the faults' answers out", time.Minute, func() bool { return c.p.Faulting() == 0 })
	cleared := c.e.head()
	blocks := c.waitFresh() - cleared
	c.txs = c.e.sent() - c.startTx
	if c.txs > c.row.maxTxs {
		c.e.t.Errorf("%d transactions in the row, want at most %d", c.txs, c.row.maxTxs)
	}
	if blocks > c.row.converge {
		c.e.t.Errorf("stakes fresh %d blocks after the fault cleared, want at most %d", blocks, c.row.converge)
	}
	c.proc.stop(c.e.t)
	if os.Getenv("AVS_SYNC_CHAOS_LOGS") != "" {
		c.e.t.Logf("log of %s:\n%s", c.proc.name, c.proc.log())
	}
	if log := c.proc.log(); strings.Contains(log, "panic") || strings.Contains(log, "goroutine ") {
		c.e.t.Errorf("panic in the log of %s", c.proc.name)
	}
	return blocks
}

// lagConverge is how many blocks after a deposit its stake must be fresh while a load balancer's
// member lags: the 3-block debounce, a read retried until the member has the block (3 blocks
// behind), the transaction and its receipt (seen once the member has its block).
const lagConverge = 20

// freshWithin waits until every stake is fresh, with faults in place, and fails the row if that
// took more than limit blocks; it returns the blocks it took.
func (c *chaosRun) freshWithin(limit uint64) uint64 {
	c.e.t.Helper()
	start := c.e.head()
	blocks := c.waitFresh() - start
	if blocks > limit {
		c.e.t.Errorf("stakes fresh %d blocks after the deposit with the fault in place, want at most %d", blocks, limit)
	}
	return blocks
}

// waitFresh waits until every operator's stored stake equals its weight and returns the block.
func (c *chaosRun) waitFresh() uint64 {
	c.e.t.Helper()
	var head uint64
	c.e.waitFor("every stake fresh", time.Duration(c.row.converge+50)*blockTime*4, func() bool {
		c.proc.alive(c.e.t)
		head = c.e.head()
		for _, op := range c.e.ops {
			if !c.e.fresh(op.Address) {
				return false
			}
		}
		return true
	})
	return head
}

func (c *chaosRun) note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := fmt.Sprintf(format, args...)
	c.noted = append(c.noted, s)
	c.e.t.Log(s)
}

func (c *chaosRun) notes() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.noted) == 0 {
		return ""
	}
	return "; " + strings.Join(c.noted, "; ")
}
