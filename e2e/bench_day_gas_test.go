package e2e

import "testing"

// TestMostInBlocks checks the day benchmark's gas per day of blocks: the most gas within any span
// of n blocks, a span's first block included and the block n after it not.
func TestMostInBlocks(t *testing.T) {
	txs := []sentTx{{Block: 100, GasUsed: 5}, {Block: 150, GasUsed: 7}, {Block: 199, GasUsed: 11}, {Block: 200, GasUsed: 13}, {Block: 400, GasUsed: 2}}
	for _, tc := range []struct {
		n    uint64
		want uint64
	}{
		{1, 13},
		{50, 24},  // 199 and 200; 150 to 199 holds 18
		{100, 31}, // 150, 199 and 200; 100 to 199 holds 23
		{101, 36}, // 100 to 200
		{300, 36}, // 100 to 399: 400 is out
		{301, 38},
	} {
		if got := mostInBlocks(txs, tc.n); got != tc.want {
			t.Errorf("mostInBlocks(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	if got := mostInBlocks(nil, 7200); got != 0 {
		t.Errorf("mostInBlocks of none = %d, want 0", got)
	}
}
