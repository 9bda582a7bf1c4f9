package watcher

import (
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// A late event goes into the history in block order, after the events of its block, and its block
// is remembered unless one of that number is, and never after the last block; remove takes out
// exactly the event of the log named.
func TestHistoryInsertAndRemove(t *testing.T) {
	ref := func(n uint64) blockRef { return blockRef{Number: n, Hash: common.BytesToHash([]byte{byte(n)})} }
	ev := func(block uint64, index uint) Event {
		return Event{Block: block, TxHash: common.BigToHash(common.Big2), LogIndex: index}
	}
	h := history{window: 128, blocks: []blockRef{ref(10), ref(20), ref(30)}, events: []Event{ev(10, 0), ev(20, 0), ev(20, 1)}}
	h.insert(ev(20, 5), ref(20))
	h.insert(ev(15, 0), ref(15))
	h.insert(ev(35, 0), ref(35))
	var got []uint64
	for _, e := range h.events {
		got = append(got, e.Block*10+uint64(e.LogIndex))
	}
	if want := []uint64{100, 150, 200, 201, 205, 350}; !slices.Equal(got, want) {
		t.Fatalf("events (block*10+index) %v, want %v", got, want)
	}
	var blocks []uint64
	for _, r := range h.blocks {
		blocks = append(blocks, r.Number)
	}
	if want := []uint64{10, 15, 20, 30}; !slices.Equal(blocks, want) {
		t.Fatalf("blocks %v, want %v: block 15 added, 20 kept, 35 not after the last", blocks, want)
	}
	if _, ok := h.remove(20, common.BigToHash(common.Big2), 1); !ok {
		t.Fatal("remove found no event of block 20 index 1")
	}
	if _, ok := h.remove(20, common.BigToHash(common.Big2), 1); ok {
		t.Fatal("an event removed twice")
	}
	if len(h.events) != 5 {
		t.Fatalf("%d events left, want 5", len(h.events))
	}
}
