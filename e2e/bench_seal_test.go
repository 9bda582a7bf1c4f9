package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// sealBlocks and sealSegment: the sealing bench seals this many blocks, timed in segments.
const (
	sealBlocks  = 20_000
	sealSegment = 2_500
	// sealDrift is the most any segment's mean sealing time may exceed the first's by: the
	// day table runs 50 ms blocks for 44,000 blocks and needs the chain to keep its clock.
	sealDrift = 2.0
)

// TestBenchDevnetSealing seals blocks on the EigenDA-shaped devnet with steady traffic (two
// transfers a block, as the day table's chain carries) for longer than the node's freezer takes to
// start moving finalized blocks (a minute), and checks that sealing a block costs as much at the
// end as at the start. The day table's six-day rows rest on it: a chain that slows as it grows
// puts fewer blocks than a day's into a day of the daemon's clock.
func TestBenchDevnetSealing(t *testing.T) {
	requireBench(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	d, err := devnet.Start(ctx, devnet.Options{Profile: devnet.ProfileEigenDA, Accounts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tippers := []int{2, d.Keys() - 1}
	stop, err := d.SteadyTips(ctx, steadyTip, tippers...)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// Each block waits for both transfers its parent's head set off (or 1 s), so that every block
	// carries the same traffic whatever the machine's speed.
	nonces := make([]uint64, len(tippers))
	pending := func() []uint64 {
		out := make([]uint64, len(tippers))
		for i, k := range tippers {
			n, err := c.PendingNonceAt(ctx, crypto.PubkeyToAddress(d.Key(k).PublicKey))
			if err != nil {
				t.Fatal(err)
			}
			out[i] = n
		}
		return out
	}
	var means []float64
	var sum time.Duration
	began := time.Now()
	for i := 1; i <= sealBlocks; i++ {
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			now := pending()
			moved := true
			for j := range now {
				moved = moved && now[j] > nonces[j]
			}
			if moved {
				nonces = now
				break
			}
			time.Sleep(time.Millisecond)
		}
		s := time.Now()
		d.Mine()
		sum += time.Since(s)
		if i%sealSegment == 0 {
			mean := float64(sum.Microseconds()) / sealSegment / 1000
			means = append(means, mean)
			t.Logf("blocks %d-%d: %.2f ms to seal a block; %v since start", i-sealSegment+1, i, mean, time.Since(began).Round(time.Second))
			sum = 0
		}
	}
	first, worst := means[0], slices.Max(means)
	t.Logf("sealing: %.2f ms a block over the first %d blocks, %.2f over the slowest %d (x%.2f)", first, sealSegment, worst, sealSegment, worst/first)
	if worst > sealDrift*first {
		t.Errorf("sealing slowed from %.2f to %.2f ms a block within %d blocks, more than x%.1f", first, worst, sealBlocks, sealDrift)
	}
}
