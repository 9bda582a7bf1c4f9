package registry_test

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/registry"
)

func startDevnet(t *testing.T, opts devnet.Options) *devnet.Devnet {
	t.Helper()
	return devnet.StartForTest(t, opts)
}

func dial(t *testing.T, url string) *rpc.Client {
	t.Helper()
	c, err := rpc.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func discoverConfig(d *devnet.Devnet) registry.DiscoverConfig {
	return registry.DiscoverConfig{
		RegistryCoordinator:    d.Addresses.RegistryCoordinator,
		OperatorStateRetriever: d.Addresses.OperatorStateRetriever,
		ChainID:                devnet.ChainID,
	}
}

func TestDiscover(t *testing.T) {
	for _, f := range []devnet.Flavor{devnet.Slashing, devnet.M2} {
		t.Run(string(f), func(t *testing.T) {
			d := startDevnet(t, devnet.Options{Flavor: f})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			client := dial(t, d.HTTPURL)

			c, err := registry.Discover(ctx, client, discoverConfig(d))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", c)
			if c.ChainID != devnet.ChainID || c.ServiceManager != d.Addresses.ServiceManager ||
				c.DelegationManager != d.Addresses.DelegationManager || c.QuorumCount == 0 ||
				c.StakeRegistry == (common.Address{}) || c.IndexRegistry == (common.Address{}) {
				t.Fatalf("discovered %+v; want chain %d, service manager %s, delegation manager %s, quorums > 0",
					c, devnet.ChainID, d.Addresses.ServiceManager, d.Addresses.DelegationManager)
			}
			if c.AllocationManager != d.Addresses.AllocationManager {
				t.Fatalf("allocation manager %s, want %s", c.AllocationManager, d.Addresses.AllocationManager)
			}

			cfg := discoverConfig(d)
			cfg.DontUseAllocationManager = true
			cfg.ServiceManager = d.Addresses.ServiceManager
			c2, err := registry.Discover(ctx, client, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if c2.AllocationManager != (common.Address{}) || c2.ServiceManager != d.Addresses.ServiceManager {
				t.Fatalf("with DontUseAllocationManager: %+v", c2)
			}

			r, err := registry.NewReader(client, c)
			if err != nil {
				t.Fatal(err)
			}
			qs, err := r.Quorums(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(qs) != int(c.QuorumCount) || qs[0].Number != 0 || qs[0].StakeType != registry.TotalDelegated || qs[0].Minimum == nil {
				t.Fatalf("quorums %+v", qs)
			}
			t.Logf("quorums %+v", qs)
			rule, err := r.StaleStakes(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if rule.Forbidden || len(rule.Unreadable) > 0 || !rule.DelayKnown || rule.DelayBlocks == 0 {
				t.Fatalf("stale-stakes rule %+v: want a readable flag, off, and a withdrawal delay", rule)
			}
			forbidden, delay := rule.Forbidden, rule.DelayBlocks
			t.Logf("staleStakesForbidden %v, withdrawal delay %d blocks, stats %+v", forbidden, delay, r.Stats())
		})
	}
}

func TestDiscoverErrors(t *testing.T) {
	d := startDevnet(t, devnet.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := dial(t, d.HTTPURL)
	nowhere := common.HexToAddress("0x00000000000000000000000000000000deadbeef")

	cases := []struct {
		name  string
		edit  func(*registry.DiscoverConfig)
		want  error
		words []string
	}{
		{"no code at registry coordinator", func(c *registry.DiscoverConfig) { c.RegistryCoordinator = nowhere },
			registry.ErrNoContract, []string{"registry coordinator", nowhere.Hex(), "wrong address or wrong chain"}},
		{"no code at operator state retriever", func(c *registry.DiscoverConfig) { c.OperatorStateRetriever = nowhere },
			registry.ErrNoContract, []string{"operator state retriever", nowhere.Hex()}},
		{"no code at service manager", func(c *registry.DiscoverConfig) { c.ServiceManager = nowhere },
			registry.ErrNoContract, []string{"service manager", nowhere.Hex()}},
		{"wrong chain", func(c *registry.DiscoverConfig) { c.ChainID = 1 },
			registry.ErrWrongChain, []string{"31337", "expected 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := discoverConfig(d)
			tc.edit(&cfg)
			_, err := registry.Discover(ctx, client, cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func blockNumber(ctx context.Context, t *testing.T, client *rpc.Client) uint64 {
	t.Helper()
	var head hexutil.Uint64
	if err := client.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		t.Fatal(err)
	}
	return uint64(head)
}

// countingProxy forwards HTTP requests to a node and counts them.
type countingProxy struct {
	URL      string
	requests atomic.Int64
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &countingProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func TestOperatorStakesAndQuorumOperators(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 4})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ops, err := d.RegisterOperators(ctx, 3, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ops {
		defer a.Close()
	}
	if _, err := ops[1].Deposit(ctx, big.NewInt(2e18)); err != nil {
		t.Fatal(err)
	}
	client := dial(t, d.HTTPURL)
	c, err := registry.Discover(ctx, client, discoverConfig(d))
	if err != nil {
		t.Fatal(err)
	}
	r, err := registry.NewReader(client, c)
	if err != nil {
		t.Fatal(err)
	}
	head := blockNumber(ctx, t, client)

	stranger := common.HexToAddress("0x1234567890123456789012345678901234567890")
	addrs := []common.Address{ops[0].Address, ops[1].Address, ops[2].Address, stranger}
	stakes, err := r.OperatorStakes(ctx, addrs, head)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range stakes {
		if s.Operator != addrs[i] {
			t.Fatalf("answer %d is for %s, want %s", i, s.Operator, addrs[i])
		}
		if i == 3 {
			if s.Registered || len(s.Quorums) != 0 {
				t.Fatalf("stranger: %+v", s)
			}
			continue
		}
		if !s.Registered || len(s.Quorums) != 1 || s.Quorums[0].Quorum != 0 || s.Quorums[0].Minimum == nil {
			t.Fatalf("operator %d: %+v", i, s)
		}
		q := s.Quorums[0]
		stale := q.Stored.Cmp(q.Weight) != 0
		if stale != (i == 1) {
			t.Fatalf("operator %d: stored %s weight %s; only operator 1 deposited", i, q.Stored, q.Weight)
		}
		stored, weight, err := d.Stakes(ctx, addrs[i], 0)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Cmp(q.Stored) != 0 || weight.Cmp(q.Weight) != 0 {
			t.Fatalf("operator %d: reader says %s/%s, devnet %s/%s", i, q.Stored, q.Weight, stored, weight)
		}
	}
	t.Logf("operator 1 stored %s weight %s", stakes[1].Quorums[0].Stored, stakes[1].Quorums[0].Weight)

	sets, err := r.QuorumOperators(ctx, []uint8{0}, head)
	if err != nil {
		t.Fatal(err)
	}
	got := sets[0]
	if !slices.IsSortedFunc(got, common.Address.Cmp) {
		t.Fatalf("quorum 0 operators not sorted: %v", got)
	}
	want, err := d.QuorumOperators(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, common.Address.Cmp)
	if !slices.Equal(got, want) {
		t.Fatalf("quorum 0 operators %v, want %v", got, want)
	}
	for _, a := range ops {
		if !slices.Contains(got, a.Address) {
			t.Fatalf("quorum 0 operators %v miss %s", got, a.Address)
		}
	}
	all, err := r.AllOperators(ctx, head)
	if err != nil || !slices.Equal(all, want) {
		t.Fatalf("all operators %v, %v; want %v", all, err, want)
	}
}

// TestOperatorStakesRoundTrips proves the reads are batched: OperatorStakes of 20 operators takes
// three HTTP round trips, not one per operator.
func TestOperatorStakesRoundTrips(t *testing.T) {
	const n = 20
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: n})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	ops, err := d.RegisterOperators(ctx, 3, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ops {
		defer a.Close()
	}
	if err := devnet.DepositAll(ctx, ops[:5], big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d operators registered, 5 deposits, in %v", n, time.Since(began).Round(time.Millisecond))

	proxy := newCountingProxy(t, d.HTTPURL)
	client := dial(t, proxy.URL)
	c, err := registry.Discover(ctx, client, discoverConfig(d))
	if err != nil {
		t.Fatal(err)
	}
	addrs := make([]common.Address, n)
	for i, a := range ops {
		addrs[i] = a.Address
	}
	head := blockNumber(ctx, t, client)

	for _, tc := range []struct {
		batch, want, wantCached int
	}{
		{registry.DefaultBatchSize, 3, 2},
		// 20 + 20 + 42 calls in batches of 16: 2 + 2 + 3 requests; then 2 + 3 with ids cached.
		{16, 7, 5},
	} {
		r, err := registry.NewReader(client, c, registry.WithBatchSize(tc.batch))
		if err != nil {
			t.Fatal(err)
		}
		before := proxy.requests.Load()
		stakes, err := r.OperatorStakes(ctx, addrs, head)
		if err != nil {
			t.Fatal(err)
		}
		trips := int(proxy.requests.Load() - before)
		stats := r.Stats()
		t.Logf("batch size %d: OperatorStakes(%d operators) took %d HTTP round trips, %d eth_calls %v",
			tc.batch, n, trips, stats.TotalCalls(), stats.Calls)
		if trips != tc.want || stats.Requests != tc.want {
			t.Fatalf("batch size %d: %d round trips (reader counted %d), want %d", tc.batch, trips, stats.Requests, tc.want)
		}
		if want := 2*n + 2*n + 2; stats.TotalCalls() != want { // + the quorum's minimum and total stake
			t.Fatalf("%d calls, want %d", stats.TotalCalls(), want)
		}
		stale := 0
		for _, s := range stakes {
			if s.Quorums[0].Stored.Cmp(s.Quorums[0].Weight) != 0 {
				stale++
			}
		}
		if stale != 5 {
			t.Fatalf("%d stale operators, want 5", stale)
		}
		// Operator ids are cached: the registration round is skipped the second time.
		before = proxy.requests.Load()
		again, err := r.OperatorStakes(ctx, addrs, head)
		if err != nil {
			t.Fatal(err)
		}
		if trips := int(proxy.requests.Load() - before); trips != tc.wantCached {
			t.Fatalf("batch size %d, ids cached: %d round trips, want %d", tc.batch, trips, tc.wantCached)
		}
		for i := range again {
			if !again[i].Registered || again[i].Quorums[0].Stored.Cmp(stakes[i].Quorums[0].Stored) != 0 {
				t.Fatalf("cached read of %s differs: %+v vs %+v", addrs[i], again[i], stakes[i])
			}
		}
	}

	// A cached operator that deregisters reads as unregistered.
	r, err := registry.NewReader(client, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.OperatorStakes(ctx, addrs[:1], head); err != nil {
		t.Fatal(err)
	}
	if err := ops[0].DeregisterFromAVS(ctx, 0); err != nil {
		t.Fatal(err)
	}
	after, err := r.OperatorStakes(ctx, addrs[:1], 0)
	if err != nil {
		t.Fatal(err)
	}
	if after[0].Registered {
		t.Fatalf("%s still registered after deregistering", addrs[0])
	}

	before := proxy.requests.Load()
	sets, err := r.QuorumOperators(ctx, []uint8{0}, head)
	if err != nil {
		t.Fatal(err)
	}
	if trips := proxy.requests.Load() - before; trips != 1 || len(sets[0]) < n {
		t.Fatalf("QuorumOperators: %d round trips, %d operators", trips, len(sets[0]))
	}
}

// The stale-stakes rule of named checkers: one whose staleStakesForbidden() reverts (the mock
// ERC20 has none) or that holds no code counts as forbidding and is named; the service manager's
// readable false does not.
func TestStaleStakesCheckers(t *testing.T) {
	d := startDevnet(t, devnet.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := dial(t, d.HTTPURL)
	c, err := registry.Discover(ctx, client, discoverConfig(d))
	if err != nil {
		t.Fatal(err)
	}
	nowhere := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	for _, tt := range []struct {
		name       string
		checkers   []common.Address
		forbidden  bool
		unreadable []common.Address
	}{
		{"service manager by default", nil, false, nil},
		{"service manager named", []common.Address{d.Addresses.ServiceManager}, false, nil},
		{"reverting checker", []common.Address{d.Addresses.ServiceManager, d.Addresses.Token}, true, []common.Address{d.Addresses.Token}},
		{"no code", []common.Address{nowhere}, true, []common.Address{nowhere}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := registry.NewReader(client, c, registry.WithSignatureCheckers(tt.checkers))
			if err != nil {
				t.Fatal(err)
			}
			rule, err := r.StaleStakes(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if rule.Forbidden != tt.forbidden || !slices.Equal(rule.Unreadable, tt.unreadable) || len(rule.ForbiddenBy) != 0 ||
				!rule.DelayKnown || rule.DelayBlocks != 900 {
				t.Fatalf("rule %+v, want forbidden %v, unreadable %v, delay 900", rule, tt.forbidden, tt.unreadable)
			}
		})
	}
}
