package watcher

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := LoadCheckpoint(dir); ok || err != nil {
		t.Fatalf("empty dir: ok %v, err %v; want neither", ok, err)
	}
	want := Checkpoint{ChainID: 17000, Block: 123, Hash: common.HexToHash("0xabc")}
	for _, c := range []Checkpoint{{ChainID: 17000, Block: 1, Hash: common.HexToHash("0x1")}, want} {
		if err := saveCheckpoint(dir, c); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := LoadCheckpoint(dir)
	if err != nil || !ok || got != want {
		t.Fatalf("LoadCheckpoint = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != checkpointFile {
		t.Fatalf("state dir holds %v; want only %s (no temporary files left)", entries, checkpointFile)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, checkpointFile))
	t.Logf("%s", raw)
}
