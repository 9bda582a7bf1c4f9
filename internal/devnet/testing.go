package devnet

import (
	"context"
	"testing"
)

// StartForTest starts a devnet for one test and closes it when the test ends. Under -short the
// test is skipped: devnet tests start a real chain.
func StartForTest(t testing.TB, opts Options) *Devnet {
	t.Helper()
	if testing.Short() {
		t.Skip("devnet test: starts a chain")
	}
	d, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start devnet: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
