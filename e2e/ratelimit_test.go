package e2e

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// The start-up check of the EigenDA shape (240 operators over three quorums, batches of up to 500
// calls by default), as `plan` runs it, under --rpc-rate-limit 50 and under the default limit: no
// second at the provider sees more calls than the limit, batches counted call by call, and the
// check finishes with the default --reader-timeout-duration (a read's wait for its turn does not
// count against it).
func TestRateLimitStartupCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the EigenDA-shaped devnet")
	}
	e := newShapeEnv(t)
	// The check reads at one block for as long as the limit makes it take; at the devnet's 100 ms
	// blocks that block would leave the node's recent state (128 blocks, 25 minutes of mainnet)
	// before the check ends. Blocks wait until it has.
	e.d.Pause(true)
	defer e.d.Pause(false)
	for _, tc := range []struct {
		name  string
		args  []string
		limit int
	}{
		{"rpc-rate-limit 50", []string{"--rpc-rate-limit", "50"}, 50},
		{"default", nil, 20},
	} {
		t.Run(slug(tc.name), func(t *testing.T) {
			p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(e.ctx, 5*time.Minute)
			defer cancel()
			began := time.Now()
			args := append([]string{"plan", "--json", "--eth-http-url", p.HTTPURL(),
				"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
				"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex()}, tc.args...)
			cmd := exec.CommandContext(ctx, binary, args...)
			// The test environment's limit is left out: the default is the one under test.
			cmd.Env = slices.DeleteFunc(cleanEnv(), func(kv string) bool { return strings.HasPrefix(kv, "AVS_SYNC_RPC_RATE_LIMIT=") })
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("plan: %v\n%s", err, errb.String())
			}
			calls := p.Counts().Calls()
			busiest := p.Busiest(time.Second)
			took := time.Since(began)
			t.Logf("start-up check done in %v: %d calls over HTTP, at most %d in any second", took.Round(100*time.Millisecond), calls, busiest)
			if busiest > tc.limit {
				t.Errorf("%d calls in one second at the provider, want at most %d", busiest, tc.limit)
			}
			if calls <= 10*tc.limit {
				t.Errorf("%d calls in all: the check did not need more than ten seconds' allowance, the limit was not tested", calls)
			}
			// More than the default reads' bound of 5 × 5 s: the wait did not count against it.
			if tc.limit == 20 && took < 25*time.Second {
				t.Errorf("the check took %v, within the read timeout of its load: the default limit did not hold it back", took)
			}
		})
	}
}
