package registry

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
)

func TestQuorumsInBitmap(t *testing.T) {
	for _, tc := range []struct {
		bitmap *big.Int
		want   []uint8
	}{
		{big.NewInt(0), nil},
		{big.NewInt(1), []uint8{0}},
		{big.NewInt(0b1010), []uint8{1, 3}},
		{new(big.Int).Lsh(big.NewInt(1), 191), []uint8{191}},
	} {
		if got := quorumsInBitmap(tc.bitmap); !slices.Equal(got, tc.want) {
			t.Errorf("quorumsInBitmap(%b) = %v, want %v", tc.bitmap, got, tc.want)
		}
	}
}

type codeErr struct {
	code int
	msg  string
}

func (e codeErr) Error() string  { return e.msg }
func (e codeErr) ErrorCode() int { return e.code }

func TestIsRevert(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{codeErr{3, "execution reverted: custom error 0x1234"}, true},
		{fmt.Errorf("estimate: %w", codeErr{3, "some wording"}), true},
		{codeErr{-32000, "execution reverted"}, true},
		{errors.New("VM Exception while processing transaction: revert"), true},
		{codeErr{-32000, "gas required exceeds allowance (30000000)"}, false},
		{errors.New("connection refused"), false},
	} {
		if got := IsRevert(tc.err); got != tc.want {
			t.Errorf("IsRevert(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestStatsSnapshot(t *testing.T) {
	c := newCounter()
	c.request()
	c.call("getOperator")
	c.call("getOperator")
	s := c.snapshot()
	c.call("getOperator")
	if s.Requests != 1 || s.Calls["getOperator"] != 2 || s.TotalCalls() != 2 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestBlockUnavailableReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{codeErr{-32000, "header not found"}, UnavailableBlock},
		{codeErr{-32000, "unknown block"}, UnavailableBlock},
		{codeErr{-32000, "Block not found"}, UnavailableBlock},
		{codeErr{-32000, "missing trie node 1f2e3d (path )"}, UnavailableState},
		{fmt.Errorf("read stakes at block 9: %w: %w", ErrBlockUnavailable, codeErr{-32000, "header not found"}), UnavailableBlock},
		{codeErr{3, "execution reverted: unknown block"}, ""},
		{codeErr{-32000, "nonce too low"}, ""},
		{errors.New("connection refused"), ""},
	} {
		if got := BlockUnavailableReason(tc.err); got != tc.want {
			t.Errorf("BlockUnavailableReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
