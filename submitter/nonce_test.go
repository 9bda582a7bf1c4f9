package submitter

import (
	"errors"
	"testing"
)

func TestNextNonce(t *testing.T) {
	for _, tt := range []struct {
		err  string
		want uint64
		ok   bool
	}{
		{"nonce too low: next nonce 3, tx nonce 2", 3, true},
		{"nonce too low: address 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, tx: 2 state: 7", 7, true},
		{"nonce too low", 0, false},
		{"OldNonce, Current nonce: 5, nonce of rejected tx: 4", 0, false},
	} {
		got, ok := nextNonce(errors.New(tt.err))
		if got != tt.want || ok != tt.ok {
			t.Errorf("nextNonce(%q) = %d, %v; want %d, %v", tt.err, got, ok, tt.want, tt.ok)
		}
	}
}
