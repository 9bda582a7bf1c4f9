package syncer

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
)

// The cron's bill: a quiet interval costs the refresh of every quorum with nothing stale; each
// operator that moved adds a stale operator's price in each quorum it moved in, until an interval
// has passed since it did; the window scales it.
func TestCronBill(t *testing.T) {
	m := planner.DefaultCostModel
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCronBill(m, 24*time.Hour, 24*time.Hour)
	c.setShapes(map[uint8]quorumSize{0: {operators: 200, strategies: 10}, 1: {operators: 50, strategies: 1}})
	quiet := uint64(m.RefreshGas(200, 10, 0) + m.RefreshGas(50, 1, 0))
	if got := c.perWindow(at); got != quiet {
		t.Fatalf("quiet bill %d, want %d", got, quiet)
	}
	a, b := common.HexToAddress("0x0a"), common.HexToAddress("0x0b")
	c.sawStale(map[common.Address][]uint8{a: {0, 1}, b: {0}, common.HexToAddress("0x0c"): {7}}, at)
	busy := uint64(m.RefreshGas(200, 10, 2) + m.RefreshGas(50, 1, 1))
	if got := c.perWindow(at.Add(time.Hour)); got != busy {
		t.Fatalf("bill with a and b moved %d, want %d (a quorum out of scope counts nothing)", got, busy)
	}
	c.sawStale(map[common.Address][]uint8{a: {0}}, at.Add(12*time.Hour))
	after := uint64(m.RefreshGas(200, 10, 1) + m.RefreshGas(50, 1, 0))
	if got := c.perWindow(at.Add(24 * time.Hour)); got != after {
		t.Fatalf("a day later %d, want %d: only a's second move is within the interval", got, after)
	}
	if got := c.perWindow(at.Add(48 * time.Hour)); got != quiet {
		t.Fatalf("two days later %d, want the quiet bill %d", got, quiet)
	}
	// A cron every 6 days pays one refresh per 6 days: the window is the interval, so that a
	// single update is never larger than the budget.
	six := newCronBill(m, 144*time.Hour, 24*time.Hour)
	six.setShapes(map[uint8]quorumSize{0: {operators: 200, strategies: 10}})
	if got, want := six.perWindow(at), uint64(m.RefreshGas(200, 10, 0)); got != want || six.window != 144*time.Hour {
		t.Fatalf("a cron every 6 days: %d over %s, want %d over 144h", got, six.window, want)
	}
	hourly := newCronBill(m, time.Hour, 24*time.Hour)
	hourly.setShapes(map[uint8]quorumSize{0: {operators: 200, strategies: 10}})
	if got, want := hourly.perWindow(at), uint64(24*m.RefreshGas(200, 10, 0)); got != want {
		t.Fatalf("an hourly cron: %d a day, want %d", got, want)
	}
	empty := newCronBill(m, time.Hour, 24*time.Hour)
	if got := empty.perWindow(at); got != 1 {
		t.Fatalf("no quorum to refresh: %d, want 1 (a bill of 0 would mean no limit)", got)
	}
	c.setShapes(map[uint8]quorumSize{1: {operators: 60, strategies: 1}})
	if got, want := c.perWindow(at.Add(24*time.Hour)), uint64(m.RefreshGas(60, 1, 0)); got != want {
		t.Fatalf("after quorum 0 left the scope %d, want %d", got, want)
	}
}
