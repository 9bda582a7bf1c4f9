package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// The start-up check of the EigenDA shape (240 operators over three quorums, batches of up to 500
// calls by default), as `plan` runs it, under --rpc-rate-limit 50: no second at the provider sees
// more than 50 calls, batches counted call by call, and the check finishes.
func TestRateLimitStartupCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the EigenDA-shaped devnet")
	}
	e := newShapeEnv(t)
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	// The check reads at one block for as long as the limit makes it take; at the devnet's 100 ms
	// blocks that block would leave the node's recent state (128 blocks, 25 minutes of mainnet)
	// before the check ends. Blocks wait until it has.
	e.d.Pause(true)
	defer e.d.Pause(false)
	ctx, cancel := context.WithTimeout(e.ctx, 4*time.Minute)
	defer cancel()
	began := time.Now()
	// A read's timeout counts the time its calls wait for the limit: the stakes of 240 operators
	// at 50 calls a second take longer than the default 5 s.
	cmd := exec.CommandContext(ctx, binary, "plan", "--json", "--eth-http-url", p.HTTPURL(), "--rpc-rate-limit", "50",
		"--reader-timeout-duration", "60s",
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex())
	cmd.Env = cleanEnv()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("plan: %v\n%s", err, errb.String())
	}
	calls := p.Counts().Calls()
	busiest := p.Busiest(time.Second)
	t.Logf("start-up check done in %v: %d calls over HTTP, at most %d in any second", time.Since(began).Round(100*time.Millisecond), calls, busiest)
	if busiest > 50 {
		t.Errorf("%d calls in one second at the provider, want at most 50", busiest)
	}
	if calls <= 100 {
		t.Errorf("%d calls in all: the check did not need more than two seconds' allowance, the limit was not tested", calls)
	}
}
