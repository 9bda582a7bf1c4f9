package e2e

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// The benchmarks measure avs-sync against the original tool's daily full sweep on the devnet:
// staleness, gas, RPC load, memory, sweep scale and idle cost. They take minutes, so they run only
// with AVS_SYNC_BENCH=1 (`make bench`); each prints a table and writes JSON under bench-results/.

const (
	// benchEnabled is the environment variable that turns the benchmarks on.
	benchEnabled = "AVS_SYNC_BENCH"
	// benchSeedEnv overrides the scenario's seed (default 1).
	benchSeedEnv = "AVS_SYNC_BENCH_SEED"
	// benchOutEnv overrides the results directory (default bench-results at the module root).
	benchOutEnv = "AVS_SYNC_BENCH_OUT"

	// mainnetBlockTime and mainnetSyncInterval are what the devnet figures are scaled from.
	mainnetBlockTime    = 12 * time.Second
	mainnetSyncInterval = 24 * time.Hour
	// benchSyncInterval is the original tool's --sync-interval on the devnet: 200 blocks of
	// blockTime stand for the 7200 blocks of a day at 12 s.
	benchSyncInterval = 20 * time.Second
	// benchDebounce is avs-sync watch's --debounce: 3 blocks.
	benchDebounce = 3 * blockTime
)

// benchPopulationText describes benchPopulation.
const benchPopulationText = "240 registered operators (quorum 0: 210, quorum 1: 55, quorum 2: 35; 60 in two quorums), 54 EigenLayer operators outside the AVS"

// benchPopulation is the AVS both strategies run against: 240 registered operators over three
// quorums (quorum 0 has 210; 60 operators are in two quorums), and 54 EigenLayer operators that
// are not registered with the AVS, 4 of which register during the scenario. Each operator holds
// 0.2 to 1 ETH of stake before it registers, so every stored stake starts fresh.
func benchPopulation() devnet.Population {
	return devnet.Population{
		Quorums: 3,
		Groups: []devnet.Group{
			{Count: 150, Quorums: []uint8{0}},
			{Count: 35, Quorums: []uint8{0, 1}},
			{Count: 25, Quorums: []uint8{0, 2}},
			{Count: 20, Quorums: []uint8{1}},
			{Count: 10, Quorums: []uint8{2}},
		},
		Outsiders: 54,
		Stake:     func(i int) *big.Int { return milliEth(200 + int64(i*37%800)) },
	}
}

// requireBench skips the test unless the benchmarks are enabled.
func requireBench(t *testing.T) {
	t.Helper()
	if os.Getenv(benchEnabled) != "1" {
		t.Skipf("benchmark: set %s=1 (make bench)", benchEnabled)
	}
}

// benchSeed is the scenario's seed.
func benchSeed(t *testing.T) uint64 {
	t.Helper()
	v := os.Getenv(benchSeedEnv)
	if v == "" {
		return 1
	}
	seed, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", benchSeedEnv, v, err)
	}
	return seed
}

// steadyTip is the priority fee the busy benchmarks hold the devnet's fee market at (see
// devnet.SteadyTips).
var steadyTip = big.NewInt(1e9)

// benchChain is a fresh devnet holding a population, with a client, a clock of block arrivals and
// the sender avs-sync uses (anvil account 1).
type benchChain struct {
	*env
	pop   *devnet.Populated
	clock *headClock
	// setup is how long starting the devnet and populating it took.
	setup time.Duration
	// blockTime is the devnet's block time.
	blockTime time.Duration
}

// newBenchChain starts a devnet with p on it. With busy, anvil account 2 and one extra account
// hold the suggested tip at steadyTip, as the traffic of other users would, for benchmarks that
// send many transactions. It lives until the test ends.
func newBenchChain(t *testing.T, ctx context.Context, p devnet.Population, busy bool) *benchChain {
	t.Helper()
	return newBenchChainAt(t, ctx, p, busy, blockTime)
}

// newBenchChainAt is newBenchChain with blocks every bt.
func newBenchChainAt(t *testing.T, ctx context.Context, p devnet.Population, busy bool, bt time.Duration) *benchChain {
	t.Helper()
	began := time.Now()
	d, err := devnet.Start(ctx, devnet.Options{BlockTime: bt, Accounts: p.Size() + 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if busy {
		stop, err := d.SteadyTips(ctx, steadyTip, 2, 3+p.Size())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	eth, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eth.Close)
	clock, err := startHeadClock(ctx, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(clock.close)
	pop, err := d.Populate(ctx, 3, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pop.Close)
	key := d.Key(1)
	e := &env{t: t, ctx: ctx, d: d, eth: eth, senderKey: hex.EncodeToString(crypto.FromECDSA(key)), sender: crypto.PubkeyToAddress(key.PublicKey)}
	c := &benchChain{env: e, pop: pop, clock: clock, setup: time.Since(began), blockTime: bt}
	t.Logf("devnet with %d registered operators and %d outsiders ready in %v", len(pop.Registered), len(pop.Outsiders), c.setup.Round(time.Millisecond))
	return c
}

// waitBlock waits until the chain reaches block n, within a deadline generous for its distance.
func (c *benchChain) waitBlock(n uint64) {
	c.t.Helper()
	distance := n - min(n, c.clock.last())
	ctx, cancel := context.WithTimeout(c.ctx, time.Duration(distance+50)*c.blockTime*4)
	defer cancel()
	if err := c.clock.wait(ctx, n); err != nil {
		c.t.Fatalf("wait for block %d: %v", n, err)
	}
}

// meter puts a counting proxy between a process and the devnet.
func (c *benchChain) meter() *rpcproxy.Proxy {
	c.t.Helper()
	m, err := rpcproxy.New(c.d.HTTPURL, c.d.WSURL)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { m.Close() })
	return m
}

// benchContext bounds a whole benchmark.
func benchContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// resultsDir is where results are written: bench-results at the module root unless overridden.
func resultsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(benchOutEnv)
	if dir == "" {
		dir = filepath.Join("..", "bench-results")
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeJSON writes v as indented JSON to name in the results directory.
func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(resultsDir(t), name)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	fmt.Printf("results written to %s\n", abs)
}

// writeTable prints a table to stdout and to name in the results directory.
func writeTable(t *testing.T, name string, print func(io.Writer)) {
	t.Helper()
	f, err := os.Create(filepath.Join(resultsDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	print(io.MultiWriter(os.Stdout, f))
}

func milliEth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e15)) }
